"""Valuable complainers: a complaint from a most-valuable or A-class customer is the last
chance to keep them, so it does not wait in the queue like any other ticket.

When such a complaint is created (`events.ticket_created`, inside the ticket's
transaction), Patron
- gives the customer a named caretaker if they have none: the ticket's owner, else the
  manager of the ticket's team (else nobody, and the window says so);
- makes that caretaker the ticket's owner too when the ticket has none;
- raises a COMPLAINT signal (a task for the caretaker, due in a day, urgent);
- opens a 30-day win-back window, shown on the customer page. A second complaint while a
  window is open opens no second one and does not extend it (the caretaker already works
  on the customer; the first complaint's 30 days are the promise made).

The signal's episode ends when the window has closed and the customer has no complaint
still open: checked when a complaint is resolved and by a daily job.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db.models import Exists, F, OuterRef
from django.dispatch import receiver
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from patron.analytics.models import AbcClass, CustomerMetrics, Signal, ValueTier
from patron.analytics.signal_events import raise_signal
from patron.core.audit import audit_record
from patron.core.models import AuditEntry
from patron.customers.models import Customer
from patron.interactions.models import Task
from patron.service import events
from patron.service.models import ACTIVE_STATUSES, Ticket, TicketType, WinBackWindow

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(days=30)


def valuable_figures(customer: Customer) -> dict[str, Any] | None:
    """The figures that make `customer` valuable (tier, class, revenue), or None when
    they are not (or have no figures yet)."""
    row = (
        CustomerMetrics.objects.filter(customer_id=customer.pk)
        .values("value_tier", "abc_class", "revenue_12m")
        .first()
    )
    if row is None:
        return None
    if row["value_tier"] != ValueTier.MOST_VALUABLE and row["abc_class"] != AbcClass.A:
        return None
    return row


def _set_customer_owner(customer: Customer, caretaker: Any, actor: Any) -> bool:
    """The caretaker as the customer's owner, only if the owner is still the one that
    could not act (a direct update: the ticket's actor may be the system or someone who
    may not edit customers), with an audit entry saying why."""
    previous = customer.owner_id
    changed = Customer.objects.filter(pk=customer.pk, owner_id=previous).update(
        owner=caretaker, version=F("version") + 1, updated_at=timezone.now()
    )
    if not changed:
        return False
    customer.owner = caretaker
    customer.version += 1
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        customer,
        [
            {"field": "owner", "old": previous, "new": caretaker.pk},
            {"field": "reason", "old": None, "new": "caretaker of a valuable complainer"},
        ],
    )
    return True


def _set_ticket_owner(ticket: Ticket, caretaker: Any, actor: Any) -> None:
    previous = ticket.owner_id
    Ticket.objects.filter(pk=ticket.pk, owner_id=previous).update(
        owner=caretaker, version=F("version") + 1
    )
    ticket.owner = caretaker
    ticket.version += 1
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        ticket,
        [{"field": "owner", "old": previous, "new": caretaker.pk}],
    )


def _can_care(user: Any) -> bool:
    """A caretaker acts: an active user who may write (not a viewer, not someone gone)."""
    return user is not None and user.is_active and user.role != "viewer"


def _caretaker_for(customer: Customer, ticket: Ticket) -> Any:
    team_manager = ticket.team.manager if ticket.team_id is not None else None
    for candidate in (customer.owner, ticket.owner, team_manager):
        if _can_care(candidate):
            return candidate
    return None


def open_window(
    ticket: Ticket, *, actor: Any = None, now: dt.datetime | None = None
) -> WinBackWindow | None:
    """Everything a valuable customer's complaint sets off (see the module's docstring);
    returns the window opened, or None (not valuable, or a window already open)."""
    if ticket.type != TicketType.COMPLAINT:
        return None
    customer = ticket.customer
    figures = valuable_figures(customer)
    if figures is None:
        return None
    now = now or timezone.now()
    # Thirty days from the complaint (a ticket taken from old mail may be days old).
    start = min(ticket.created_at or now, now)
    if start + WINDOW <= now:
        return None
    if WinBackWindow.objects.filter(customer=customer, closes_at__gt=now).exists():
        return None
    caretaker = _caretaker_for(customer, ticket)
    if caretaker is not None:
        # No owner, or one who can no longer act (deactivated, a viewer): the caretaker.
        if not _can_care(customer.owner):
            _set_customer_owner(customer, caretaker, actor)
        if not _can_care(ticket.owner):
            _set_ticket_owner(ticket, caretaker, actor)
    else:
        log.warning("valuable complainer %s has no caretaker: no owner, no manager", customer.pk)
    revenue = figures["revenue_12m"]
    raise_signal(
        customer=customer,
        kind=Signal.Kind.COMPLAINT,
        details={
            "ticket_id": ticket.pk,
            "subject": ticket.subject[:200],
            "tier": figures["value_tier"],
            "abc": figures["abc_class"],
            "revenue_12m": None if revenue is None else str(revenue),
            "caretaker": caretaker.display_name if caretaker is not None else "",
        },
        due_days=1,
        priority=Task.Priority.URGENT,
        now=start,
    )
    return WinBackWindow.objects.create(
        customer=customer,
        ticket=ticket,
        caretaker=caretaker,
        opened_at=start,
        closes_at=start + WINDOW,
    )


def end_episodes(*, now: dt.datetime | None = None, customer_ids: list[int] | None = None) -> int:
    """Clear the COMPLAINT signals of customers whose last window has closed and who have
    no complaint still open; returns how many were cleared."""
    now = now or timezone.now()
    open_signals = Signal.objects.filter(kind=Signal.Kind.COMPLAINT, cleared_at__isnull=True)
    if customer_ids is not None:
        open_signals = open_signals.filter(customer_id__in=customer_ids)
    window_open = WinBackWindow.objects.filter(
        customer_id=OuterRef("customer_id"), closes_at__gt=now
    )
    complaint_open = Ticket.objects.filter(
        customer_id=OuterRef("customer_id"),
        type=TicketType.COMPLAINT,
        status__in=ACTIVE_STATUSES,
    )
    return (
        open_signals.filter(~Exists(window_open), ~Exists(complaint_open))
        # Only the customers who had a window: a signal raised before this app, or by
        # hand, is left to whoever raised it.
        .filter(Exists(WinBackWindow.objects.filter(customer_id=OuterRef("customer_id"))))
        .update(cleared_at=now)
    )


@receiver(events.ticket_created, dispatch_uid="service.complaints.created")
def _on_created(sender: Any, ticket: Ticket, actor: Any = None, **kwargs: Any) -> None:
    open_window(ticket, actor=actor)


@receiver(events.ticket_retyped, dispatch_uid="service.complaints.retyped")
def _on_retyped(sender: Any, ticket: Ticket, actor: Any = None, **kwargs: Any) -> None:
    # A question or request recognised as a complaint while it is still being dealt with.
    if ticket.is_active:
        open_window(ticket, actor=actor)


@receiver(events.ticket_resolved, dispatch_uid="service.complaints.resolved")
def _on_resolved(sender: Any, ticket: Ticket, **kwargs: Any) -> None:
    if ticket.type == TicketType.COMPLAINT:
        end_episodes(customer_ids=[ticket.customer_id])


@db_periodic_task(crontab(minute="20", hour="3"))
def close_win_back_windows() -> None:
    """Daily: the episodes of windows that closed overnight end (unless a complaint of
    the customer is still open)."""
    cleared = end_episodes()
    if cleared:
        log.info("win-back: %d complaint signals cleared", cleared)
