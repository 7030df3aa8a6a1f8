"""The cohort: which patients, exposure periods and reactions every figure counts, and the pure
statistics computed on them. Reports, summaries and the dashboard read only through this package."""
