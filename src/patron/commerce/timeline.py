"""Orders on the customer's timeline."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from patron.commerce.models import Order
from patron.interactions.timeline import TimelineKind, register_timeline_kind


def describe_order(order: Order) -> dict[str, Any]:
    return {
        "title": order.external_id or f"#{order.pk}",
        "channel": order.channel or None,
        "status": order.status,
        "currency": order.currency,
        "total_amount": str(order.total_amount),
        "line_count": order.line_count,
    }


def register() -> None:
    register_timeline_kind(
        TimelineKind(
            key="order",
            label=_("Orders"),
            model=Order,
            template="commerce/timeline_order.html",
            occurred_field="placed_at",
            # An order's channel (web, store...) is its own vocabulary: the channel filter
            # matches it when the names agree (web, store, phone).
            channel_field="channel",
            icon="bag",
            describe=describe_order,
        )
    )
