"""A refresh of every customer's figures, in steps, each timed:

1. orders: one aggregate of the orders by customer and day;
2. contact: one aggregate of the interactions and answers;
   service: the open tickets and complaints per customer;
3. tiers: value tiers, ABC classes and RFM scores (window functions);
4. clv: BG/NBD and Gamma-Gamma fitted on the base, every buyer scored;
5. write: the metrics table emptied and filled in one statement (stages decided there);
6. segments: dynamic segments re-evaluated, entries and exits recorded;
7. signals: episodes cleared and raised, tasks created for the new ones.

Steps 1-5 run in one transaction: the figures change all at once. Called by the nightly
job, by `patron refresh` and by the API; one refresh runs at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.analytics import metrics, ranking, scoring, signals, store
from patron.analytics.models import CustomerMetrics, RefreshRun, ValueSettings
from patron.core.errors import Conflict

log = logging.getLogger(__name__)

STEPS = ("orders", "contact", "service", "tiers", "clv", "write", "segments", "signals")
STALE_AFTER = dt.timedelta(hours=2)  # a "running" run older than this crashed

Progress = Callable[[str, int, int], None]


def value_settings() -> ValueSettings:
    """The business's settings (created with the defaults on first use)."""
    found, _created = ValueSettings.objects.get_or_create(pk=1)
    return found


def _claim(as_of: dt.datetime, trigger: str) -> RefreshRun:
    with transaction.atomic():
        running = (
            RefreshRun.objects.select_for_update()
            .filter(status=RefreshRun.Status.RUNNING)
            .order_by("-started_at")
            .first()
        )
        if running is not None:
            if timezone.now() - running.started_at < STALE_AFTER:
                started = running.started_at.isoformat(timespec="seconds")
                raise Conflict(
                    _("A refresh is already running (started %(at)s).") % {"at": started}
                )
            running.status = RefreshRun.Status.FAILED
            running.error = "did not finish (stale)"
            running.save(update_fields=["status", "error"])
        return RefreshRun.objects.create(as_of=as_of, trigger=trigger)


def refresh(
    *,
    as_of: dt.datetime | None = None,
    trigger: str = "manual",
    progress: Progress | None = None,
) -> RefreshRun:
    """Refresh everything as of `as_of` (now by default); returns the finished run."""
    now = timezone.now()
    as_of = as_of or now
    run = _claim(as_of, trigger)
    vs = value_settings()
    window = metrics.Window.ending(as_of)
    timings: dict[str, float] = {}
    stats: dict[str, Any] = {}

    def step(name: str, work: Callable[[], Any]) -> Any:
        if progress:
            progress(name, STEPS.index(name), len(STEPS))
        started = time.perf_counter()
        result = work()
        timings[name] = round(time.perf_counter() - started, 3)
        log.info("refresh %s: %s in %.2f s", run.pk, name, timings[name])
        return result

    try:
        _sqlite_scratch_in_memory()
        with transaction.atomic():
            _postgres_work_memory()
            stats["buyers"] = step("orders", lambda: metrics.aggregate_orders(window))
            stats["in_contact"] = step("contact", lambda: metrics.aggregate_contact(window, vs))
            stats["with_open_tickets"] = step("service", metrics.aggregate_service)
            stats["ranked"] = step("tiers", lambda: ranking.rank_customers(window, vs))
            stats.update(ranking.thresholds())
            stats["clv"] = step("clv", lambda: scoring.score_customers(window))
            stats["customers"] = step("write", lambda: store.write_metrics(window, vs, now))
            stats["stages"] = _stage_counts()
        store.drop_all()
        run.stats = stats
        stats["segments"] = step("segments", _refresh_segments)
        with transaction.atomic():
            _postgres_work_memory()
            stats["signals"] = step("signals", lambda: signals.run_signals(run, vs, now))
    except Exception as exc:
        store.drop_all()
        run.status = RefreshRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.steps = timings
        run.save()
        raise
    if progress:
        progress("done", len(STEPS), len(STEPS))
    run.status = RefreshRun.Status.DONE
    run.finished_at = timezone.now()
    run.steps = timings
    run.stats = stats
    run.save()
    return run


def _sqlite_scratch_in_memory() -> None:
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            # Scratch tables in memory, not in a temporary file.
            cursor.execute("PRAGMA temp_store = MEMORY")


def _postgres_work_memory() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Sorts and hashes of a million rows in memory, for this transaction only.
            cursor.execute("SET LOCAL work_mem = '256MB'")


def _stage_counts() -> dict[str, int]:
    return dict(
        CustomerMetrics.objects.values_list("relationship_stage")
        .annotate(n=Count("customer_id"))
        .order_by()
    )


def _refresh_segments() -> Any:
    try:
        from patron.segments.services import refresh_memberships
    except ImportError:  # the segments app is not there yet
        return {"skipped": "no segments"}
    return refresh_memberships()
