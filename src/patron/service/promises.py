"""Open tickets are promises to the customer: the customer page's brief lists them with
the tasks (nearest deadline first)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import F
from django.urls import reverse

from patron.interactions.selectors import PROMISES_SHOWN, Promise
from patron.service.models import ACTIVE_STATUSES, Ticket

if TYPE_CHECKING:
    from patron.customers.models import Customer


def open_tickets(customer: Customer, now: dt.datetime) -> list[Promise]:
    tickets = (
        Ticket.objects.filter(customer=customer, status__in=ACTIVE_STATUSES)
        .order_by(F("next_due_at").asc(nulls_last=True), "id")
        .only("id", "subject")[: PROMISES_SHOWN + 1]
    )
    return [
        Promise(
            "ticket",
            f"#{t.pk} {t.subject}",
            t.next_due_at,
            url=reverse("service:ticket", args=[t.pk]),
            overdue=t.next_due_at is not None and t.next_due_at < now,
        )
        for t in tickets
    ]
