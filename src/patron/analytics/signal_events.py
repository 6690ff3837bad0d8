"""Signals raised by an event rather than by the nightly figures: a valuable customer
complained (service), a customer gave a low score (feedback).

They follow the same episode rule as the figure signals (decision 0017): not raised while
an episode of the kind is open for the customer, nor within the cool-down after the last
one; each comes with a task for the customer's owner, worded in the owner's language.
The refresh never clears them (no figure holds them): their episode ends with
`clear_signal`, when the matter is dealt with.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation

from patron.analytics.models import Signal
from patron.analytics.selectors import current_settings
from patron.analytics.signals import task_description, task_title
from patron.customers.models import Customer
from patron.interactions.models import Task


def raise_signal(
    *,
    customer: Customer,
    kind: str,
    details: dict[str, Any],
    due_days: int = 1,
    priority: int = Task.Priority.HIGH,
    now: dt.datetime | None = None,
) -> Signal | None:
    """Open an episode of `kind` for `customer` with its task for the owner, unless one
    is open or was raised within the cool-down; returns the new signal or None."""
    from patron.interactions.services import task_create

    now = now or timezone.now()
    cooldown = dt.timedelta(days=current_settings().signal_cooldown_days)
    recent = Signal.objects.filter(customer=customer, kind=kind).filter(
        Q(cleared_at__isnull=True) | Q(raised_at__gte=now - cooldown)
    )
    if recent.exists():
        return None
    owner = customer.owner
    try:
        with transaction.atomic():
            signal = Signal.objects.create(
                customer=customer, kind=kind, raised_at=now, details=details
            )
            with translation.override((owner.language if owner else "") or None):
                title, description = task_title(kind)[:200], task_description(kind)
            signal.task = task_create(
                actor=None,
                title=title,
                description=description,
                customer=customer,
                # An owner who left cannot be given a task (task_create refuses them).
                assignee=owner if owner is not None and owner.is_active else None,
                due_at=now + dt.timedelta(days=due_days),
                priority=priority,
                source=Task.Source.SIGNAL,
                source_key=f"signal:{signal.pk}",
            )
            signal.save(update_fields=["task"])
    except IntegrityError:  # another request opened the same episode a moment ago
        return None
    return signal


def clear_signal(*, customer: Customer, kind: str, now: dt.datetime | None = None) -> int:
    """End the open episode of `kind` for `customer` (the matter was dealt with)."""
    return Signal.objects.filter(customer=customer, kind=kind, cleared_at__isnull=True).update(
        cleared_at=now or timezone.now()
    )
