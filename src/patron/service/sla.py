"""SLA due times: which policy a ticket falls under, and when its first response and its
resolution are due, counted in the service hours of its team.

Matching: a policy matches when each of its criteria (ticket type, customer tier,
priority) is empty or equal to the ticket's. The most specific matching active policy
wins (more criteria given beats fewer), then the lower position, then the older policy.
The customer's tier is `CustomerMetrics.value_tier` as of the last refresh; a customer
without figures has no tier and matches only policies without one.

Clocks: a policy "in business hours" counts only the open time of the ticket team's
service hours (or the default, team-less hours; with neither, around the clock in UTC);
otherwise it counts wall-clock minutes. Waiting on the customer stops the resolution
clock (never the first-response clock); on resume the resolution due time moves on by
the time spent waiting, counted in the same clock as the policy's.

Nothing here saves: the ticket services save the fields they changed.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from patron.service import calendar
from patron.service.models import ServiceHours, SlaPolicy, SlaState, Ticket


def customer_tier(ticket: Ticket) -> str:
    """The value tier of the ticket's customer, or "" when the refresh has not rated them."""
    from patron.analytics.models import CustomerMetrics

    if not ticket.customer_id:
        return ""
    tier = (
        CustomerMetrics.objects.filter(customer_id=ticket.customer_id)
        .values_list("value_tier", flat=True)
        .first()
    )
    return tier or ""


def matches(policy: SlaPolicy, *, ticket_type: str, tier: str, priority: int | None) -> bool:
    return (
        (not policy.ticket_type or policy.ticket_type == ticket_type)
        and (not policy.customer_tier or policy.customer_tier == tier)
        and (policy.priority is None or policy.priority == priority)
    )


def specificity(policy: SlaPolicy) -> int:
    return sum((bool(policy.ticket_type), bool(policy.customer_tier), policy.priority is not None))


def precedence_key(policy: SlaPolicy) -> tuple[int, int, int]:
    """Sort key: the policy that wins comes first."""
    return (-specificity(policy), policy.position, policy.pk or 0)


def choose_policy(
    *, ticket_type: str, tier: str, priority: int | None, policies: list[SlaPolicy] | None = None
) -> SlaPolicy | None:
    """The active policy that governs a ticket with these attributes (one query)."""
    if policies is None:
        policies = list(SlaPolicy.objects.filter(active=True))
    candidates = [
        p
        for p in policies
        if p.active and matches(p, ticket_type=ticket_type, tier=tier, priority=priority)
    ]
    return min(candidates, key=precedence_key, default=None)


def hours_for(ticket: Ticket) -> ServiceHours | None:
    """The team's service hours, else the default (team-less) ones, else None (24/7 UTC);
    holidays prefetched. One query."""
    rows = ServiceHours.objects.prefetch_related("holidays")
    if ticket.team_id:
        rows = rows.filter(Q(team_id=ticket.team_id) | Q(team__isnull=True))
    else:
        rows = rows.filter(team__isnull=True)
    # The team's own row first, then the default.
    found = sorted(rows, key=lambda h: (h.team_id is None, h.pk))
    return found[0] if found else None


def schedule_for(ticket: Ticket, policy: SlaPolicy | None) -> calendar.Schedule:
    """The clock the ticket's policy counts in."""
    if policy is None or not policy.business_hours:
        return calendar.ALWAYS
    return calendar.schedule_of(hours_for(ticket))


def apply_policy(ticket: Ticket, *, at: dt.datetime) -> SlaPolicy | None:
    """Set the ticket's policy and due times, counted from `at` (not saved).

    A ticket already answered keeps its first-response due time: that target has been
    met or missed, and moving it would rewrite history (and hide or invent a breach).
    Resets the at-risk notice, so a new deadline can warn its owner again."""
    policy = choose_policy(
        ticket_type=ticket.type, tier=customer_tier(ticket), priority=ticket.priority
    )
    ticket.sla_policy = policy
    ticket.at_risk_notified_at = None
    if policy is None:
        if ticket.first_response_at is None:
            ticket.first_response_due_at = None
        ticket.resolution_due_at = None
        ticket.sla_state = SlaState.ON_TRACK
        return None
    schedule = schedule_for(ticket, policy)
    if ticket.first_response_at is None:
        ticket.first_response_due_at = calendar.add_business_minutes(
            schedule, at, policy.first_response_minutes
        )
    ticket.resolution_due_at = calendar.add_business_minutes(
        schedule, at, policy.resolution_minutes
    )
    if ticket.waiting_since is not None:
        # Waiting already: the clock is stopped; count from the moment it stopped.
        ticket.waiting_since = max(ticket.waiting_since, at)
    if ticket.sla_state != SlaState.BREACHED:
        ticket.sla_state = SlaState.ON_TRACK
    return policy


def pause(ticket: Ticket, *, at: dt.datetime) -> None:
    """The ticket waits on the customer from `at`: the resolution clock stops (not
    saved). Pausing a ticket that already waits keeps the earlier start."""
    if ticket.waiting_since is None:
        ticket.waiting_since = at


def resume(ticket: Ticket, *, at: dt.datetime) -> None:
    """The customer answered (or the agent took the ticket back): the resolution due time
    moves on by the time spent waiting, in the policy's clock (not saved)."""
    since = ticket.waiting_since
    ticket.waiting_since = None
    if since is None or ticket.resolution_due_at is None or at <= since:
        return
    policy = ticket.sla_policy if ticket.sla_policy_id else None
    schedule = schedule_for(ticket, policy)
    waited = calendar.business_time_between(schedule, since, at)
    if waited > dt.timedelta(0):
        ticket.resolution_due_at = calendar.add_business_time(
            schedule, ticket.resolution_due_at, waited
        )
