"""Reads of tickets, with visibility applied (tickets are OwnedModels: their owner and
team decide who sees them): the queue with its filters and sorts, one ticket with its
thread, a customer's tickets, counts, and where a ticket stands against its SLA."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, models
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.errors import ValidationFailed
from patron.service.models import (
    ACTIVE_STATUSES,
    SlaState,
    Ticket,
    TicketMessage,
    TicketStatus,
)

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.customers.models import Customer

# The queue's sorts: name → order. "due" puts the deadline that matters first (the first
# response while none was given, else the resolution), undated tickets last.
SORTS = {
    "due": (F("next_due_at").asc(nulls_last=True), "id"),
    "priority": ("-priority", F("next_due_at").asc(nulls_last=True), "id"),
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "last_customer_message": (F("last_customer_message_at").desc(nulls_last=True), "-id"),
}
SLA_FILTERS = ("on_track", "at_risk", "breached")
# The queue counts its matches up to this many; past it, it says "more than".
QUEUE_COUNT_LIMIT = 1000
STATUS_FILTERS = ("active", "all", *TicketStatus.values)


@dataclass
class QueueFilters:
    """What the queue shows. `owner`: "me", "unassigned", "anyone" or a user id;
    `status`: "active" (new, open, waiting), "all", or one status."""

    status: str = "active"
    type: str = ""
    priority: int | None = None
    category: int | None = None
    owner: str | int = "anyone"
    team: int | None = None
    sla: str = ""
    customer: int | None = None
    q: str = ""


def _breached(now: dt.datetime) -> Q:
    return (
        Q(sla_state=SlaState.BREACHED)
        | Q(first_response_at__isnull=True, first_response_due_at__lt=now)
        | Q(waiting_since__isnull=True, resolution_due_at__lt=now)
    )


def _sla_filter(state: str, now: dt.datetime) -> Q:
    active = Q(status__in=ACTIVE_STATUSES)
    if state == "breached":
        return active & _breached(now)
    if state == "at_risk":
        return active & Q(sla_state=SlaState.AT_RISK) & ~_breached(now)
    return active & ~Q(sla_state=SlaState.AT_RISK) & ~_breached(now)


def _check_filters(filters: QueueFilters) -> None:
    errors: dict[str, list[str]] = {}
    if filters.status not in STATUS_FILTERS:
        errors["status"] = [_("Unknown status.")]
    if filters.sla and filters.sla not in SLA_FILTERS:
        errors["sla"] = [_("Unknown SLA state.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], details=errors)


def _base(viewer: User, *, in_list_order: bool = False) -> models.QuerySet[Ticket]:
    return visibility.visible_to(viewer, Ticket.objects.all(), in_list_order=in_list_order)


def _filtered(
    viewer: User,
    filters: QueueFilters,
    *,
    now: dt.datetime,
    with_status: bool = True,
    in_due_order: bool = False,
) -> models.QuerySet[Ticket]:
    # A page of active tickets in due order, on SQLite: it walks the next_due_at index and
    # tests each row's status and visibility (15 ms over 100,000 active tickets) where it
    # would otherwise gather every active ticket through the status or owner indexes and
    # sort them all (200-400 ms). `status || ''` and `visible_to(in_list_order=True)` are
    # the same tests, written so that no index serves them.
    walk = (
        in_due_order
        and with_status
        and filters.status == "active"
        and connection.vendor == "sqlite"
    )
    rows = _base(viewer, in_list_order=walk)
    if walk:
        rows = rows.alias(scan_status=Concat(F("status"), Value(""))).filter(
            scan_status__in=ACTIVE_STATUSES
        )
    elif with_status and filters.status == "active":
        rows = rows.filter(status__in=ACTIVE_STATUSES)
    elif with_status and filters.status != "all":
        rows = rows.filter(status=filters.status)
    if filters.type:
        rows = rows.filter(type=filters.type)
    if filters.priority:
        rows = rows.filter(priority=filters.priority)
    if filters.category:
        rows = rows.filter(category_id=filters.category)
    if filters.owner == "me":
        rows = rows.filter(owner=viewer)
    elif filters.owner == "unassigned":
        rows = rows.filter(owner__isnull=True)
    elif filters.owner not in ("anyone", "", None):
        rows = rows.filter(owner_id=filters.owner)
    if filters.team:
        rows = rows.filter(team_id=filters.team)
    if filters.sla:
        rows = rows.filter(_sla_filter(filters.sla, now))
    if filters.customer:
        rows = rows.filter(customer_id=filters.customer)
    text = " ".join((filters.q or "").split())
    if text:
        number = text.removeprefix("#")
        match = Q(subject__icontains=text)
        if number.isdecimal() and visibility.is_record_id(number):
            match |= Q(pk=int(number))
        rows = rows.filter(match)
    return rows


def ticket_queue(
    *,
    viewer: User,
    filters: QueueFilters | None = None,
    sort: str = "due",
    now: dt.datetime | None = None,
) -> models.QuerySet[Ticket]:
    """The tickets `viewer` may see that match `filters`, in the order `sort` names; the
    caller pages it (rows carry customer, its metrics, owner, team and category)."""
    filters = filters or QueueFilters()
    _check_filters(filters)
    if sort not in SORTS:
        message = _("Unknown sort.")
        raise ValidationFailed(message, details={"sort": [message]})
    now = now or timezone.now()
    rows = _filtered(viewer, filters, now=now, in_due_order=sort == "due")
    return rows.select_related(
        "customer", "customer__metrics", "owner", "team", "category"
    ).order_by(*SORTS[sort])


def status_counts(
    *, viewer: User, filters: QueueFilters | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """How many tickets of each status match the other filters (one query)."""
    filters = filters or QueueFilters()
    rows = _filtered(viewer, filters, now=now or timezone.now(), with_status=False)
    counts = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
    result = {status: counts.get(status, 0) for status in TicketStatus.values}
    result["active"] = sum(result[s] for s in ACTIVE_STATUSES)
    return result


def ticket_get(*, viewer: User, ticket_id: int | str) -> Ticket:
    """One ticket `viewer` may see (else NotFound), with its customer, people and policy."""
    rows = Ticket.objects.select_related(
        "customer", "customer__metrics", "owner", "team", "category", "sla_policy", "created_by"
    )
    return visibility.get_visible(viewer, rows, pk=ticket_id)


def ticket_thread(ticket: Ticket, *, include_notes: bool = True) -> list[TicketMessage]:
    """The conversation, oldest first, with authors (one query)."""
    rows = TicketMessage.objects.filter(ticket=ticket).select_related("author")
    if not include_notes:
        rows = rows.exclude(kind=TicketMessage.Kind.NOTE)
    return list(rows.order_by("created_at", "id"))


def tickets_of(
    customer: Customer, viewer: User, *, active_only: bool = True, limit: int | None = None
) -> list[Ticket]:
    """The customer's tickets `viewer` may see, active ones first by due time."""
    rows = _base(viewer).filter(customer=customer)
    if active_only:
        rows = rows.filter(status__in=ACTIVE_STATUSES)
    rows = rows.select_related("owner", "category").order_by(
        F("next_due_at").asc(nulls_last=True), "-created_at", "-id"
    )
    return list(rows[:limit] if limit else rows)


def open_ticket_counts(*, viewer: User, now: dt.datetime | None = None) -> dict[str, int]:
    """Active tickets the viewer sees: in all, theirs, unassigned, and breached."""
    now = now or timezone.now()
    return (
        _base(viewer)
        .filter(status__in=ACTIVE_STATUSES)
        .aggregate(
            active=Count("pk"),
            mine=Count("pk", filter=Q(owner=viewer)),
            unassigned=Count("pk", filter=Q(owner__isnull=True)),
            breached=Count("pk", filter=_breached(now)),
        )
    )


# --- Where a ticket stands ------------------------------------------------------------------


@dataclass(frozen=True)
class Countdown:
    """The deadline that matters now, for the countdown of the queue and the ticket."""

    target: str  # "first_response" | "resolution"
    due_at: dt.datetime
    state: str  # on_track | at_risk | breached | paused
    seconds_left: int

    @property
    def label(self) -> str:
        return _("First response") if self.target == "first_response" else _("Resolution")


def countdown(ticket: Ticket, now: dt.datetime | None = None) -> Countdown | None:
    if ticket.status not in ACTIVE_STATUSES:
        return None
    now = now or timezone.now()
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        target, due = "first_response", ticket.first_response_due_at
    elif ticket.resolution_due_at is not None:
        target, due = "resolution", ticket.resolution_due_at
    else:
        return None
    left = int((due - now).total_seconds())
    if target == "resolution" and ticket.waiting_since is not None:
        # The clock stands still while the customer has to answer.
        left = int((due - ticket.waiting_since).total_seconds())
        state = "breached" if left < 0 else "paused"
        return Countdown(target, due, state, left)
    total = (due - ticket.created_at).total_seconds()
    if left < 0 or ticket.sla_state == SlaState.BREACHED:
        state = "breached"
    elif ticket.sla_state == SlaState.AT_RISK or (
        total > 0 and left <= total * settings.PATRON_SLA_AT_RISK_SHARE
    ):
        state = "at_risk"
    else:
        state = "on_track"
    return Countdown(target, due, state, left)
