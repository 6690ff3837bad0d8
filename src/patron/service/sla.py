"""SLA due times. INTERIM (owned and replaced by the SLA work): around-the-clock
minutes from the first matching policy; the real version counts business hours."""

from __future__ import annotations

import datetime as dt

from patron.service.models import SlaPolicy, Ticket


def apply_policy(ticket: Ticket, *, at: dt.datetime) -> None:
    """Set the ticket's policy and due times (not saved)."""
    policy = SlaPolicy.objects.filter(active=True).order_by("position", "id").first()
    ticket.sla_policy = policy
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    ticket.first_response_due_at = at + dt.timedelta(minutes=policy.first_response_minutes)
    ticket.resolution_due_at = at + dt.timedelta(minutes=policy.resolution_minutes)


def pause(ticket: Ticket, *, at: dt.datetime) -> None:
    """The ticket waits on the customer from `at` (not saved)."""
    ticket.waiting_since = at


def resume(ticket: Ticket, *, at: dt.datetime) -> None:
    """The customer answered: the resolution due time moves on by the time waited."""
    if ticket.waiting_since and ticket.resolution_due_at:
        ticket.resolution_due_at += at - ticket.waiting_since
    ticket.waiting_since = None
