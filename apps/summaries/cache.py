"""Summaries computed once per state of the data, then served from Django's cache.

An aggregate over a million reactions takes the database a second or more, whereas the
data it summarises changes far less often than the pages are read. Every write of a
patient, exposure period, reaction or reference profile, through the services, forms,
admin or importer, adds a row (new records) and a simple-history row (every save, void
and bulk import), so the largest primary keys of those tables — one index lookup each —
change whenever the data does. That stamp is part of the cache key: a page is never
older than the data. The demo generator writes no history rows, but new records move
the stamp too. A timeout bounds what nothing else covers (e.g. renaming a site).

The cache is shared by every worker (CACHES from CACHE_URL: Redis in production) and a figure
is computed once under a lock (apps.core.cache.get_or_compute), not once per worker.
"""
from django.db import connection

from apps.core.cache import get_or_compute
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.products.models import ReferenceProfile
from apps.reactions.models import InjectionSiteReaction

from .proportions import Proportion
from .selectors import all_summaries, summary

CACHE_SECONDS = 600
STAMPED_MODELS = (Patient, ExposurePeriod, InjectionSiteReaction, ReferenceProfile)


def _max_pk_sql(model):
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    return f"(SELECT MAX({pk}) FROM {table})"


def data_stamp():
    """One query: the largest id and history id of every table the summaries read."""
    parts = []
    for model in STAMPED_MODELS:
        parts.append(_max_pk_sql(model))
        parts.append(_max_pk_sql(model.history.model))
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return "-".join("0" if value is None else str(value) for value in cursor.fetchone())


def cached(kind, scope, compute, *extra, stamp=None):
    """compute() for this scope, recomputed only when the data stamp changes.

    Pass `stamp` when a page caches several things, to read it once."""
    key = ":".join(str(part) for part in ("summaries", kind, scope.cache_key(), *extra, stamp or data_stamp()))
    return get_or_compute(key, compute, timeout=CACHE_SECONDS)


def _with_intervals(summaries):
    """Compute every cell's confidence interval before caching, so cached pages skip scipy."""
    for summary in summaries:
        for row in summary.rows:
            for value in row.values():
                if isinstance(value, Proportion):
                    value.ci  # noqa: B018 - fills the cached_property
    return summaries


def cached_summaries(scope, reference, slug=None, stamp=None):
    """Every table of the scope (their counts shared: three statements), or only table `slug`."""
    if slug is not None:
        return cached(f"table-{slug}", scope, lambda: _with_intervals([summary(slug, scope, reference)]),
                      reference.pk if reference else None, stamp=stamp)
    return cached("tables", scope, lambda: _with_intervals(all_summaries(scope, reference)),
                  reference.pk if reference else None, stamp=stamp)
