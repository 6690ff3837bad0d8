"""Reads of orders and products, with the visibility rule: an order is seen by whoever
sees its customer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext as _

from patron.commerce.models import Order, OrderLine, Product
from patron.core import visibility
from patron.core.errors import NotFound
from patron.core.text import search_text
from patron.core.visibility import visible_through

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.customers.models import Customer

YEAR = dt.timedelta(days=365)
CENT = Decimal("0.01")


def order_list(
    *,
    viewer: User,
    customer_id: int | None = None,
    status: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> models.QuerySet[Order]:
    rows = Order.objects.filter(visible_through(viewer, "customer"))
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    if status:
        rows = rows.filter(status=status)
    if since:
        rows = rows.filter(placed_at__gte=since)
    if until:
        rows = rows.filter(placed_at__lt=until)
    return rows.select_related("customer").order_by("-placed_at", "-id")


def order_get(*, viewer: User, order_id: Any = None, external_id: str = "") -> Order:
    rows = Order.objects.filter(visible_through(viewer, "customer")).select_related("customer")
    if external_id:
        order = rows.filter(external_id=external_id).first()
    elif visibility.is_record_id(order_id):
        order = rows.filter(pk=order_id).first()
    else:
        order = None
    if order is None:
        raise NotFound(_("Not found."))
    return order


def order_lines(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("product").order_by("id"))


def product_list(*, q: str = "", category: str = "") -> models.QuerySet[Product]:
    rows = Product.objects.all()
    query = search_text(q)
    if query:
        rows = rows.filter(models.Q(sku__istartswith=query) | models.Q(name__icontains=query))
    if category:
        rows = rows.filter(category=category)
    return rows.order_by("name", "id")


def product_get(*, product_id: Any = None, sku: str = "") -> Product:
    if sku:
        product = Product.objects.filter(sku=sku).first()
    elif visibility.is_record_id(product_id):
        product = Product.objects.filter(pk=product_id).first()
    else:
        product = None
    if product is None:
        raise NotFound(_("Not found."))
    return product


def value_last_12_months(customer: Customer, now: dt.datetime) -> dict[str, Any]:
    """Completed orders of the last 12 months: how many, revenue per currency (largest
    first) and the last order's time, in one grouped query."""
    rows = list(
        Order.objects.filter(
            customer=customer, status=Order.Status.COMPLETED, placed_at__gte=now - YEAR
        )
        .values("currency")
        .annotate(
            n=models.Count("id"),
            revenue=models.Sum("total_amount"),
            last=models.Max("placed_at"),
        )
        .order_by()
    )
    # In cents: SQLite adds decimals up as floats (150.100000000000).
    for row in rows:
        row["revenue"] = Decimal(row["revenue"] or 0).quantize(CENT)
    rows.sort(key=lambda r: r["revenue"], reverse=True)
    return {
        "orders": sum(r["n"] for r in rows),
        "revenue": [(r["currency"], r["revenue"]) for r in rows],
        "last_order_at": max((r["last"] for r in rows), default=None),
    }
