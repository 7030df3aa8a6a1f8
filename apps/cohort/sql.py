"""Portable SQL date arithmetic: a date as an integer day number (days since 1970-01-01).

Subtracting DateFields through Django yields an interval on PostgreSQL and microseconds on
SQLite; integer day numbers subtract, compare, group and sum the same way on both.
"""
from contextlib import contextmanager
from datetime import date

from django.db import connection, transaction
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
        # PostgreSQL: date - date is an integer number of days (the cast makes a truncated timestamp a date).
        return super().as_sql(compiler, connection, template="(CAST(%(expressions)s AS date) - DATE '1970-01-01')",
                              **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # julianday() of a date is an exact x.5 value; 2440587.5 is julianday('1970-01-01').
        return super().as_sql(compiler, connection,
                              template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)",
                              **extra_context)


def fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextmanager
def consistent_read():
    """One snapshot for all queries where that costs nothing: a REPEATABLE READ, READ ONLY transaction
    on PostgreSQL. SQLite transactions here take the write lock (IMMEDIATE), so reads stay in autocommit."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    else:
        yield


@contextmanager
def without_jit():
    """On PostgreSQL, JIT compilation off for the cohort's statements. The planner cannot estimate joins of
    grouped sub-queries (it assumes 200 distinct keys), so it over-estimates them by orders of magnitude and
    spends seconds compiling (inlining and optimising) statements that then run in well under a second.
    SET LOCAL lasts until the end of the transaction: the previous value comes back on the way out."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit')")
            previous = cursor.fetchone()[0]
            cursor.execute("SET LOCAL jit = off")
        try:
            yield
        finally:
            if connection.in_atomic_block and not connection.needs_rollback:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('jit', %s, true)", [previous])
