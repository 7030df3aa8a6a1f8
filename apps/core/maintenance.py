"""Fresh data is fast data: planner statistics refreshed after bulk writes and on a schedule.

Right after a bulk import the query planner still believes the tables are as small as before
(SQLite without sqlite_stat1 guesses; PostgreSQL's autovacuum ANALYZE comes minutes later), and
picks plans that cost seconds per page. The importer and the demo generator therefore ANALYZE
the tables they wrote as soon as their transaction commits, and the beat schedule runs the same
for every table once a day (apps.core.tasks).
"""
import logging

from django.db import connection
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent (after commit) by writers that bypass model saves: the importer and the demo generator.
# `tables` lists the database tables they wrote. apps.summaries refreshes its stored figures on it.
bulk_data_written = Signal()

# Rows SQLite's ANALYZE reads per index: approximate statistics in milliseconds instead of a full scan.
SQLITE_ANALYSIS_LIMIT = 1000


def tables_of(*models) -> list[str]:
    """The tables of `models` and of their simple-history models."""
    tables = []
    for model in models:
        tables.append(model._meta.db_table)
        history = getattr(model, "history", None)
        if history is not None:
            tables.append(history.model._meta.db_table)
    return tables


def refresh_planner_statistics(tables=None):
    """ANALYZE `tables` (all when None) on either backend; PRAGMA optimize as well on SQLite."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        statements = [f"ANALYZE {quote(table)}" for table in tables] if tables else ["ANALYZE"]
        for statement in statements:
            cursor.execute(statement)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
    logger.info("Planner statistics refreshed for %s", ", ".join(tables) if tables else "every table")


def after_bulk_write(tables, sender=None):
    """What follows a committed bulk write: fresh planner statistics, then the listeners (stored figures)."""
    refresh_planner_statistics(tables)
    bulk_data_written.send(sender=sender, tables=tables)
