"""The closed loop: a low score opens a follow-up ticket (feedback/responding.py); the
loop closes when an agent's reply to the customer is logged on that ticket, and not
before (resolving or closing the ticket without a word to the customer does not close
it). Time to close = `loop_closed_at` - `submitted_at`, in wall-clock time.

Statuses (`Response.loop`): "" no follow-up needed (a neutral or favourable answer),
"open" a follow-up ticket waits for its reply, "closed" the customer was answered.
An open loop is overdue once `OVERDUE_AFTER` (24 h) passed since the answer.

Read for the results page and the API with `loop_summary`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.dispatch import receiver
from django.utils import timezone

from patron.feedback.models import Response, SurveyKind
from patron.service.events import ticket_replied

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.feedback.models import Survey

OVERDUE_AFTER = dt.timedelta(hours=24)
Loop = Response.Loop


@receiver(ticket_replied, dispatch_uid="feedback.close_loops")
def close_loops(sender: Any, ticket: Any, actor: Any = None, message: Any = None, **_: Any) -> None:
    """An agent answered the customer on a follow-up ticket: its loops are closed (in the
    reply's transaction). A detractor's signal episode ends with it."""
    from patron.analytics.models import Signal
    from patron.analytics.signal_events import clear_signal

    at = getattr(message, "created_at", None) or timezone.now()
    open_loops = Response.objects.filter(follow_up_ticket=ticket, loop=Loop.OPEN)
    detractor = open_loops.filter(survey__kind=SurveyKind.NPS).exists()
    if open_loops.update(loop=Loop.CLOSED, loop_closed_at=at) and detractor:
        clear_signal(customer=ticket.customer, kind=Signal.Kind.DETRACTOR, now=at)


@dataclass(frozen=True)
class LoopSummary:
    """The closed loop over some responses: how many loops are open, overdue (open for
    more than 24 h), closed, and the median and 90th-percentile time to close."""

    opened: int
    open: int
    overdue: int
    closed: int
    median_time_to_close: dt.timedelta | None
    p90_time_to_close: dt.timedelta | None

    @property
    def closed_share(self) -> float | None:
        return self.closed / self.opened if self.opened else None


class SecondsToClose(models.Func):
    """`loop_closed_at - submitted_at` in seconds, computed by the database itself
    (julianday on SQLite, EXTRACT(EPOCH) on PostgreSQL): Django's duration arithmetic on
    SQLite calls back into Python for every row, 20 times slower over a year of loops."""

    output_field = models.FloatField()

    def __init__(self) -> None:
        super().__init__(models.F("loop_closed_at"), models.F("submitted_at"))

    def _parts(self, compiler: Any, connection: Any) -> tuple[str, str, list[Any]]:
        (end, end_params), (start, start_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return end, start, [*end_params, *start_params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        end, start, params = self._parts(compiler, connection)
        return f"((julianday({end}) - julianday({start})) * 86400.0)", params

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        end, start, params = self._parts(compiler, connection)
        return f"EXTRACT(EPOCH FROM ({end} - {start}))", params


def _ranks(rows: models.QuerySet[Response], shares: tuple[float, ...]) -> list[dt.timedelta | None]:
    """The times to close at each of `shares` of the way through the closed loops (nearest
    rank). The seconds are read in one pass over the index and ranked here: sorting a
    year's few ten thousand numbers in Python is quicker than asking the database for
    each rank with ORDER BY … OFFSET (which sorts them again every time)."""
    seconds = sorted(rows.values_list("seconds_to_close", flat=True).order_by())
    if not seconds:
        return [None for _share in shares]
    count = len(seconds)
    picked = [seconds[max(0, min(count - 1, math.ceil(share * count) - 1))] for share in shares]
    # julianday (SQLite) is exact to about 0.1 ms.
    return [dt.timedelta(seconds=round(float(value), 3)) for value in picked]


def loop_responses(
    *,
    viewer: User | None = None,
    survey: Survey | int | Iterable[Survey | int] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> models.QuerySet[Response]:
    """Responses that opened a loop (answered in [since, until)) of one survey or a list
    of them, on customers `viewer` may see (everyone's when no viewer is given: the
    caller checked)."""
    from patron.core.visibility import visible_through

    rows = Response.objects.exclude(loop=Loop.NONE)
    if viewer is not None:
        rows = rows.filter(visible_through(viewer, "customer"))
    if isinstance(survey, list | tuple | set | frozenset):
        rows = rows.filter(survey_id__in=[getattr(s, "pk", s) for s in survey])
    elif survey is not None:
        rows = rows.filter(survey_id=getattr(survey, "pk", survey))
    if since is not None:
        rows = rows.filter(submitted_at__gte=since)
    if until is not None:
        rows = rows.filter(submitted_at__lt=until)
    return rows


def loop_summary(
    survey: Survey | int | Iterable[Survey | int] | None = None,
    since: dt.datetime | None = None,
    *,
    until: dt.datetime | None = None,
    viewer: User | None = None,
    now: dt.datetime | None = None,
) -> LoopSummary:
    """Open, overdue and closed loops of the responses answered since `since` (of one
    survey, a list, or all), with the median and p90 time to close. Two queries, read
    from the partial index `responses_loops` alone (the responses that opened a loop,
    their survey, time, status and closing time)."""
    now = now or timezone.now()
    rows = loop_responses(viewer=viewer, survey=survey, since=since, until=until)
    counts = rows.aggregate(
        # Columns of the index only (not the id): PostgreSQL can skip the table.
        opened=models.Count("loop"),
        open=models.Count("loop", filter=models.Q(loop=Loop.OPEN)),
        overdue=models.Count(
            "loop", filter=models.Q(loop=Loop.OPEN, submitted_at__lt=now - OVERDUE_AFTER)
        ),
        closed=models.Count("loop", filter=models.Q(loop=Loop.CLOSED)),
    )
    closed = rows.filter(loop=Loop.CLOSED, loop_closed_at__isnull=False).annotate(
        seconds_to_close=SecondsToClose()
    )
    median, p90 = _ranks(closed, (0.5, 0.9))
    return LoopSummary(
        opened=counts["opened"],
        open=counts["open"],
        overdue=counts["overdue"],
        closed=counts["closed"],
        median_time_to_close=median,
        p90_time_to_close=p90,
    )


def open_loops(
    *, viewer: User, overdue_only: bool = False, now: dt.datetime | None = None
) -> models.QuerySet[Response]:
    """The open loops `viewer` may see, oldest first (the partial index on open loops
    serves it), with their customer and ticket."""
    rows = loop_responses(viewer=viewer).filter(loop=Loop.OPEN)
    if overdue_only:
        rows = rows.filter(submitted_at__lt=(now or timezone.now()) - OVERDUE_AFTER)
    return rows.select_related("customer", "survey", "follow_up_ticket").order_by(
        "submitted_at", "pk"
    )
