"""Portable SQL date arithmetic: a date as an integer day number (days since 1970-01-01).

Subtracting DateFields through Django yields an interval on PostgreSQL and microseconds on
SQLite; integer day numbers subtract, compare, group and sum the same way on both.
"""
from datetime import date

from django.db.models import Func, IntegerField

EPOCH = date(1970, 1, 1)


def day_number(value: date) -> int:
    """The Python twin of DayNumber, for constants such as the as-of date."""
    return (value - EPOCH).days


class DayNumber(Func):
    """Days since 1970-01-01 of a date expression."""

    arity = 1
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')",
                              **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # julianday() of a date is an exact x.5 value; 2440587.5 is julianday('1970-01-01').
        return super().as_sql(compiler, connection,
                              template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)",
                              **extra_context)
