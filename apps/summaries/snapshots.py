"""Precomputed figures (the rollup design of docs/performance.md): computed from the rows by a Celery
task whenever the data stamp changes, read by the pages in one small query.

Which scopes: every product with a current reference profile, for all sites and for each site, as of
today — what the summary pages show by default and what the dashboard always shows. Other as-of
dates are computed from the rows on request (cached per data stamp).

When: a page that finds its stored figures older than the data (another data stamp) shows them, says
as of when, and queues a refresh; the importer and the demo generator queue one after their commit
(apps.core.maintenance.bulk_data_written); the beat runs one every few minutes (a no-op when nothing
changed) and after midnight, when "today" moves. One refresh runs at a time (a lock in the shared
cache); a refresh computes only the scopes whose stamp or date changed.
"""
import json
import logging
import time

from celery import current_app
from django.core.cache import cache
from django.db import transaction
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.accounts.models import Site
from apps.cohort.scope import Scope
from apps.core.models import today
from apps.products.models import Product

from .cache import data_stamp
from .figure_kinds import FIGURE_KINDS
from .models import FigureSnapshot
from .selectors import all_summaries

logger = logging.getLogger(__name__)

REFRESH_TASK = "summaries.refresh_figures"
QUEUED_KEY = "figures:refresh-queued"
RUNNING_KEY = "figures:refresh-running"
QUEUE_DEBOUNCE_SECONDS = 30
RUN_LOCK_SECONDS = 1800

def summaries_figures(scope, reference):
    """What the refresh task stores for the summary pages of a scope: every table, its texts in English with the
    msgid and parameters of the formatted ones (Summary.from_json shows them in the reader's language)."""
    return {"tables": [summary.as_json(sources=True) for summary in all_summaries(scope, reference)]}


def scope_key(kind, scope: Scope) -> str:
    return f"{kind}:{scope.product.pk}:{scope.site_id or 'all'}"


def stored_figures(kind, scope: Scope) -> FigureSnapshot | None:
    """The stored figures of `scope`, when it is one the task precomputes (as of today, no dose or range)."""
    if scope.narrows_periods or scope.as_of != today():
        return None
    return FigureSnapshot.objects.filter(scope_key=scope_key(kind, scope), as_of=scope.as_of).first()


def precomputed_scopes():
    as_of = today()
    products = Product.objects.filter(reference_profiles__is_primary=True).distinct().order_by("code")
    sites = [None, *Site.objects.order_by("code")]
    for product in products:
        reference = product.current_reference_profile()
        for site in sites:
            yield Scope(product=product, as_of=as_of, site=site), reference


def refresh_figures() -> int:
    """Compute the stored figures whose data stamp or date changed; return how many were written."""
    stamp = data_stamp()
    current = {snapshot.scope_key: snapshot for snapshot in FigureSnapshot.objects.only("scope_key", "as_of",
                                                                                            "data_stamp")}
    written = 0
    for scope, reference in precomputed_scopes():
        for kind, compute_path in FIGURE_KINDS.items():
            compute = import_string(compute_path)
            key = scope_key(kind, scope)
            existing = current.get(key)
            if existing is not None and existing.data_stamp == stamp and existing.as_of == scope.as_of:
                continue
            started = time.perf_counter()
            # Labels may be lazy translations (i18n): stored in English (the msgids), translated when shown.
            payload = json.loads(json.dumps(compute(scope, reference), cls=DjangoJSONEncoder))
            FigureSnapshot.objects.update_or_create(scope_key=key, defaults={
                "kind": kind, "product": scope.product, "site": scope.site, "as_of": scope.as_of,
                "data_stamp": stamp, "computed_at": timezone.now(), "seconds": time.perf_counter() - started,
                "payload": payload})
            written += 1
    logger.info("Stored figures refreshed: %s written", written)
    return written


def refresh_figures_once() -> int | None:
    """refresh_figures() unless another worker is running one (None then)."""
    if not cache.add(RUNNING_KEY, 1, RUN_LOCK_SECONDS):
        return None
    try:
        cache.delete(QUEUED_KEY)
        return refresh_figures()
    finally:
        cache.delete(RUNNING_KEY)


def request_refresh():
    """Queue the refresh task once the current transaction commits (at most one per debounce window)."""
    if not cache.add(QUEUED_KEY, 1, QUEUE_DEBOUNCE_SECONDS):
        return

    def send():
        try:
            # By name: the task module wraps this one, which does not import it back.
            current_app.signature(REFRESH_TASK).apply_async(retry=False)
        except Exception:  # noqa: BLE001 - a broker outage only delays the figures: the beat refreshes them
            logger.exception("Could not queue the refresh of the stored figures; the beat will do it.")
            cache.delete(QUEUED_KEY)

    transaction.on_commit(send)


def is_stale(snapshot: FigureSnapshot, stamp=None) -> bool:
    return snapshot.data_stamp != (stamp or data_stamp())
