from tests.summaries.conftest import cohort, empty_cache  # noqa: F401  (same cohort, cache emptied)
