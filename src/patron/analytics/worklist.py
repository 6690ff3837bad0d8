"""What each user should act on: My day (the tasks due, and the new signals on their
customers, most valuable customers first) and the list of signals.

Both are reads shared by the pages and the API, with the visibility rule applied: a
task through `interactions.selectors.task_list`, a signal through its customer.

My day holds, among the open tasks the viewer may see:

- the tasks given to the viewer that are due by the end of the viewer's day (overdue
  ones included);
- the tasks of the signals raised on the viewer's own customers in the last
  `NEW_SIGNAL_DAYS` days and not cleared, while nobody has changed the task (a snooze,
  a reassignment or an edit takes it off, until it falls due);
- for a manager, the unassigned tasks of signals on the customers of their teams.

Each part is found through its own index and the parts are joined by id, so the cost
follows the viewer's work, not the size of the base.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.analytics.models import Signal
from patron.analytics.signals import explain
from patron.core import visibility
from patron.core.errors import NotFound, ValidationFailed
from patron.core.pagination import Page, read_page
from patron.core.visibility import MAX_ID, visible_through
from patron.interactions import selectors as task_selectors
from patron.interactions.models import Task

if TYPE_CHECKING:
    from patron.accounts.models import User

NEW_SIGNAL_DAYS = 14
MY_DAY_PAGE_SIZE = 25
SIGNALS_PAGE_SIZE = 25
MAX_SIGNALS_PAGE_SIZE = 100
# Roles that also see their teams' unassigned signal tasks.
LEADS = ("manager", "admin")
# More visible customers than this, and the signals are read in time order (see
# `visible_to`'s `in_list_order`).
MANY_CUSTOMERS = 2000

SignalStatus = Literal["open", "cleared", "all"]


def details_of(signal: Signal) -> dict[str, Any]:
    """The figures kept with `signal`, as a mapping."""
    details = signal.details
    if isinstance(details, str):  # a JSON text written by raw SQL, on some backends
        try:
            details = json.loads(details)
        except ValueError:
            details = {}
    return dict(details) if isinstance(details, dict) else {}


def explanation(signal: Signal) -> str:
    """Why `signal` was raised, in the active language."""
    return explain(signal.kind, details_of(signal))


# --- My day ---------------------------------------------------------------------------


@dataclass
class WorkItem:
    task: Task
    signal: Signal | None = None
    explanation: str = ""
    # Why it is on the list: "overdue", "today", "signal" (new), "unassigned".
    reason: str = ""


@dataclass
class MyDay:
    items: list[WorkItem]
    page: Page
    counts: dict[str, int] = field(default_factory=dict)


def end_of_day(now: dt.datetime) -> dt.datetime:
    """The end of the viewer's day (the current time zone), as the tasks page counts it."""
    return dt.datetime.combine(
        timezone.localtime(now).date() + dt.timedelta(days=1),
        dt.time.min,
        tzinfo=timezone.get_current_timezone(),
    )


def _leads(viewer: User) -> bool:
    return visibility.sees_everything(viewer) and viewer.role in LEADS


def my_day_tasks(viewer: User, *, now: dt.datetime | None = None) -> models.QuerySet[Task]:
    """The open tasks of My day (see the module), most valuable customers first: by the
    value predicted for the next 12 months, then the revenue of the last 12, then the
    due date (those without any of them last)."""
    now = now or timezone.now()
    due = Task.objects.filter(
        assignee=viewer, status=Task.Status.OPEN, due_at__lt=end_of_day(now)
    ).values("pk")
    new_signals = Signal.objects.filter(
        customer__owner=viewer,
        cleared_at__isnull=True,
        raised_at__gte=now - dt.timedelta(days=NEW_SIGNAL_DAYS),
        task__status=Task.Status.OPEN,
        task__version=1,  # nobody has changed it since it was raised
    ).values("task_id")
    parts = [due, new_signals]
    if _leads(viewer):
        parts.append(
            Task.objects.filter(
                source=Task.Source.SIGNAL,
                status=Task.Status.OPEN,
                assignee__isnull=True,
                customer__team__in=viewer.teams.all(),
            ).values("pk")
        )
    chosen = parts[0].order_by().union(*(part.order_by() for part in parts[1:]))
    return (
        task_selectors.task_list(viewer=viewer, view="open", now=now)
        .filter(pk__in=chosen)
        .select_related("customer__metrics")
        .order_by(
            models.F("customer__metrics__clv_12m").desc(nulls_last=True),
            models.F("customer__metrics__revenue_12m").desc(nulls_last=True),
            models.F("due_at").asc(nulls_last=True),
            "id",
        )
    )


def _reason(task: Task, signal: Signal | None, now: dt.datetime, day_ends: dt.datetime) -> str:
    if task.due_at is not None and task.due_at < now:
        return "overdue"
    if task.due_at is not None and task.due_at < day_ends:
        return "today"
    if task.assignee_id is None:
        return "unassigned"
    return "signal" if signal is not None else "today"


def work_items(tasks: list[Task], *, now: dt.datetime | None = None) -> list[WorkItem]:
    """The tasks of a page with their signals (one query) and why each is listed."""
    now = now or timezone.now()
    day_ends = end_of_day(now)
    signals = {
        s.task_id: s
        for s in Signal.objects.filter(task_id__in=[t.pk for t in tasks]).order_by("raised_at")
    }
    items = []
    for task in tasks:
        signal = signals.get(task.pk)
        if signal is not None:
            signal.customer = task.customer  # the same row: no query to show it
        items.append(
            WorkItem(
                task=task,
                signal=signal,
                explanation=explanation(signal) if signal is not None else "",
                reason=_reason(task, signal, now, day_ends),
            )
        )
    return items


def my_day(
    viewer: User, page: int = 1, *, size: int = MY_DAY_PAGE_SIZE, now: dt.datetime | None = None
) -> MyDay:
    """One page of My day, with how many tasks it has in all and how many are overdue."""
    now = now or timezone.now()
    tasks = my_day_tasks(viewer, now=now)
    counts = tasks.aggregate(
        total=models.Count("id"),
        overdue=models.Count("id", filter=models.Q(due_at__lt=now)),
        signals=models.Count("id", filter=models.Q(source=Task.Source.SIGNAL)),
    )
    shown, _source = read_page(_Counted(tasks, counts["total"]), number=page, size=size)
    return MyDay(items=work_items(shown.items, now=now), page=shown, counts=counts)


@dataclass
class _Counted:
    """A queryset whose count is already known (from the aggregate of My day's figures)."""

    rows: models.QuerySet[Task]
    total: int

    def count(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> Any:
        return self.rows[window]


def work_item(viewer: User, task_id: Any) -> WorkItem:
    """One task the viewer may see, as a row of My day (after an action on it)."""
    task = task_selectors.task_get(viewer=viewer, task_id=task_id)
    return work_items([task])[0]


# --- Signals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalFilters:
    kind: str = ""
    status: SignalStatus = "open"
    customer_id: int | None = None
    owner_id: int | None = None


@dataclass(frozen=True)
class SignalCursor:
    """Where a page of signals ends, in their order (raised desc, id desc)."""

    raised_at: dt.datetime
    id: int

    def encode(self) -> str:
        text = json.dumps([self.raised_at.isoformat(), self.id])
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> SignalCursor:
        try:
            padded = value + "=" * (-len(value) % 4)
            moment, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
            raised = dt.datetime.fromisoformat(moment)
            if timezone.is_naive(raised) or not dt.MINYEAR < raised.year < dt.MAXYEAR:
                raise ValueError
            if isinstance(pk, bool) or not isinstance(pk, int) or not 1 <= pk <= MAX_ID:
                raise ValueError
            return cls(raised, pk)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                _("This cursor is not one the signals list gave out; start from the first page."),
                details={"cursor": [_("Not a signals cursor.")]},
            ) from exc


@dataclass
class SignalPage:
    items: list[Signal]
    next_cursor: str | None


def _sees_many_customers(viewer: User) -> bool:
    from patron.customers.models import Customer

    if visibility.sees_everything(viewer):
        return True
    visible = visibility.visible_to(viewer, Customer.objects.order_by()).values("pk")
    return visible[:MANY_CUSTOMERS].count() >= MANY_CUSTOMERS


def signals_visible(viewer: User, *, in_list_order: bool = False) -> models.QuerySet[Signal]:
    """The signals on customers `viewer` may see, each with its customer, owner and task."""
    return Signal.objects.filter(
        visible_through(viewer, "customer", in_list_order=in_list_order)
    ).select_related("customer", "customer__owner", "task", "task__assignee")


def _checked(filters: SignalFilters) -> SignalFilters:
    if filters.kind and filters.kind not in Signal.Kind.values:
        raise ValidationFailed(
            _("Unknown kind of signal: %(kind)s.") % {"kind": filters.kind},
            details={"kind": [_("Choose among: %(known)s.") % {"known": ", ".join(Signal.Kind)}]},
        )
    if filters.status not in ("open", "cleared", "all"):
        raise ValidationFailed(
            _("Unknown status: %(status)s.") % {"status": filters.status},
            details={"status": [_("Choose among: open, cleared, all.")]},
        )
    return filters


def signal_list(
    viewer: User,
    filters: SignalFilters | None = None,
    cursor: str | None = None,
    *,
    size: int = SIGNALS_PAGE_SIZE,
) -> SignalPage:
    """The signals `viewer` may see, newest first, a page after `cursor`; each with its
    `explanation` in the active language."""
    filters = _checked(filters or SignalFilters())
    size = max(1, min(size, MAX_SIGNALS_PAGE_SIZE))
    narrow = filters.customer_id is not None or filters.owner_id is not None
    rows = signals_visible(viewer, in_list_order=not narrow and _sees_many_customers(viewer))
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.status == "open":
        rows = rows.filter(cleared_at__isnull=True)
    elif filters.status == "cleared":
        rows = rows.filter(cleared_at__isnull=False)
    if filters.customer_id is not None:
        rows = rows.filter(customer_id=filters.customer_id)
    if filters.owner_id is not None:
        rows = rows.filter(customer__owner_id=filters.owner_id)
    if cursor:
        after = SignalCursor.decode(cursor)
        rows = rows.filter(
            models.Q(raised_at__lt=after.raised_at)
            | models.Q(raised_at=after.raised_at, pk__lt=after.id)
        )
    found = list(rows.order_by("-raised_at", "-id")[: size + 1])
    items = found[:size]
    for signal in items:
        signal.explanation = explanation(signal)
    last = items[-1] if items else None
    more = len(found) > size and last is not None
    return SignalPage(items, SignalCursor(last.raised_at, last.pk).encode() if more else None)


def signal_get(viewer: User, signal_id: Any) -> Signal:
    if not visibility.is_record_id(signal_id):
        raise NotFound(_("Not found."))
    signal = signals_visible(viewer).filter(pk=signal_id).first()
    if signal is None:
        raise NotFound(_("Not found."))
    signal.explanation = explanation(signal)
    return signal
