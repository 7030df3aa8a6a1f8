"""Which figures the refresh task stores: kind -> dotted path of compute(scope, reference) -> JSON.

Paths, not functions, so that registering (in an AppConfig.ready) imports nothing heavy: a management
command such as import_pv_csv starts without loading scipy or the views."""
FIGURE_KINDS = {"summaries": "apps.summaries.snapshots.summaries_figures"}


def register_figures(kind: str, compute_path: str):
    FIGURE_KINDS[kind] = compute_path
