"""Surveys sent after events: a ticket resolved (or closed without being resolved), an
order delivered, some days after the first purchase.

- Tickets: receivers of `ticket_resolved` and `ticket_closed` invite the ticket's
  customer to every active survey with the trigger "ticket resolved" (the feedback is
  about the ticket's owner), and set the ticket's `satisfaction_asked_at`. A ticket
  already asked is not asked again when it closes; the cool-down keeps a customer with
  many tickets from being asked each time.
- Orders: commerce has no "delivered" status, so an order counts as delivered when it is
  completed; the survey goes `trigger_days` days (default 0) after `placed_at`.
- First purchase: `trigger_days` days after the customer's first completed order.

`invite_due(now)` runs daily: for each such survey it selects, in one query, the orders
placed in the window [now - trigger_days - LOOKBACK_DAYS, now - trigger_days] (so a day
the job missed is caught up) whose customer has no invitation to the survey for that
order (nor one within the cool-down), at most `BATCH` per survey and run.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.utils import timezone

from patron.commerce.models import Order
from patron.feedback.invitations import ASKED, invite
from patron.feedback.models import Invitation, Survey, Trigger
from patron.service.events import ticket_closed, ticket_resolved

logger = logging.getLogger("patron.feedback")

# Orders invited per survey and run of the daily job; the rest wait for the next run.
BATCH = 1000
# How far back the daily job looks for orders it has not seen (a missed run).
LOOKBACK_DAYS = 7


def _ticket_surveys() -> list[Survey]:
    return list(
        Survey.objects.filter(status=Survey.Status.ACTIVE, trigger=Trigger.TICKET_RESOLVED)
        .prefetch_related("versions")
        .order_by("pk")
    )


def invite_after_ticket(ticket: Any, *, now: dt.datetime | None = None) -> list[Invitation]:
    """Invite the ticket's customer to the ticket surveys; set `satisfaction_asked_at`
    when at least one invitation is on its way."""
    now = now or timezone.now()
    if ticket.customer_id is None or ticket.satisfaction_asked_at is not None:
        return []
    made = []
    for survey in _ticket_surveys():
        if Invitation.objects.filter(survey=survey, ticket=ticket, status__in=ASKED).exists():
            continue
        made.append(
            invite(
                survey=survey,
                customer=ticket.customer,
                via=Invitation.Via.EMAIL,
                trigger=Trigger.TICKET_RESOLVED,
                ticket=ticket,
                about_user=ticket.owner if ticket.owner_id else None,
                now=now,
            )
        )
    if any(i.status in ASKED for i in made):
        ticket.satisfaction_asked_at = now
        type(ticket).objects.filter(pk=ticket.pk).update(satisfaction_asked_at=now)
    return made


def _safely(ticket: Any) -> None:
    # Inside the ticket's transaction: a failure here must not undo the resolution, so
    # it runs in a savepoint and is logged.
    try:
        with transaction.atomic():
            invite_after_ticket(ticket)
    except Exception:
        logger.exception("survey after ticket %s", getattr(ticket, "pk", None))


@receiver(ticket_resolved, dispatch_uid="feedback.survey_after_resolved")
def _on_resolved(sender: Any, ticket: Any, **kwargs: Any) -> None:
    _safely(ticket)


@receiver(ticket_closed, dispatch_uid="feedback.survey_after_closed")
def _on_closed(sender: Any, ticket: Any, **kwargs: Any) -> None:
    # A ticket closed straight away (never resolved) is asked now; one resolved before
    # was asked then (satisfaction_asked_at is set) and is left alone.
    _safely(ticket)


# --- Orders ----------------------------------------------------------------------------------


def due_orders(survey: Survey, now: dt.datetime, limit: int = BATCH) -> list[Order]:
    """The orders `survey` should follow now: one query, newest customers' orders first
    by placing time, at most `limit`."""
    days = survey.trigger_days or 0
    latest = now - dt.timedelta(days=days)
    rows = Order.objects.filter(
        status=Order.Status.COMPLETED,
        placed_at__lte=latest,
        placed_at__gt=latest - dt.timedelta(days=LOOKBACK_DAYS),
    )
    if survey.trigger == Trigger.AFTER_FIRST_PURCHASE:
        earlier = Order.objects.filter(
            customer=OuterRef("customer"),
            status=Order.Status.COMPLETED,
            placed_at__lt=OuterRef("placed_at"),
        )
        # Once per customer: any earlier invitation to this survey rules them out.
        before = Invitation.objects.filter(survey=survey, customer=OuterRef("customer"))
        rows = rows.exclude(Exists(earlier)).exclude(Exists(before))
    else:
        for_order = Invitation.objects.filter(survey=survey, order=OuterRef("pk"))
        rows = rows.exclude(Exists(for_order))
    if survey.cooldown_days:
        recent = Invitation.objects.filter(
            survey=survey,
            customer=OuterRef("customer"),
            created_at__gte=now - dt.timedelta(days=survey.cooldown_days),
            status__in=ASKED,
        )
        rows = rows.exclude(Exists(recent))
    return list(
        rows.select_related("customer", "customer__owner").order_by("placed_at", "id")[:limit]
    )


def invite_due(*, now: dt.datetime | None = None, limit: int = BATCH) -> dict[int, int]:
    """The daily job: invite the customers whose delivered order or first purchase is
    due, per active survey; returns invitations made per survey id."""
    now = now or timezone.now()
    surveys = Survey.objects.filter(
        status=Survey.Status.ACTIVE,
        trigger__in=[Trigger.ORDER_DELIVERED, Trigger.AFTER_FIRST_PURCHASE],
    ).prefetch_related("versions")
    made: dict[int, int] = {}
    for survey in surveys:
        seen: set[int] = set()
        count = 0
        for order in due_orders(survey, now, limit):
            if order.customer_id in seen:
                continue  # one invitation per customer per run, the first order's
            seen.add(order.customer_id)
            with transaction.atomic():
                invite(
                    survey=survey,
                    customer=order.customer,
                    via=Invitation.Via.EMAIL,
                    trigger=survey.trigger,
                    order=order,
                    about_user=order.customer.owner,
                    now=now,
                )
            count += 1
        made[survey.pk] = count
    return made
