"""Date arithmetic in native SQL on each backend, so that it stays fast at a million rows.

Django's own date subtraction runs a Python function per row on SQLite; julianday() and
PostgreSQL's date - date are built in.
"""
from django.db.models import Func, IntegerField


class DaysBetween(Func):
    """Whole days from `start` to `end` (end - start), as an integer."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection,
                           template="CAST(julianday(%(expressions)s) AS INTEGER)",
                           arg_joiner=") - julianday(", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ",
                           **extra_context)
