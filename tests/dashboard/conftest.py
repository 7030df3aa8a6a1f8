from tests.summaries.conftest import cohort  # noqa: F401  (the same hand-built cohort)
