"""Writes of orders and products outside the bulk import (the API, the demo): one order
with its lines per call, validated, idempotent by external id, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.commerce.models import Order, OrderLine, Product
from patron.core import visibility
from patron.core.audit import audit_create, audit_delete, audit_record, audit_update, snapshot
from patron.core.errors import Conflict, ValidationFailed
from patron.core.models import AuditEntry
from patron.core.validation import model_validate

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.customers.models import Customer

CURRENCY_LENGTH = 3
MAX_LINES = 10_000
CENT = Decimal("0.01")


def currency_clean(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != CURRENCY_LENGTH or not code.isalpha() or not code.isascii():
        raise ValidationFailed(
            _("“%(value)s” is not a three-letter currency code such as EUR or USD.")
            % {"value": value},
            details={"currency": [_("Use an ISO 4217 code.")]},
        )
    return code


# What the columns hold: quantity (12, 3), prices (12, 2), order totals (14, 2).
MAX_AMOUNT = Decimal("1e10")
MAX_QUANTITY = Decimal("1e9")
MAX_TOTAL = Decimal("1e12")


def amount_clean(
    value: Any, field: str, *, allow_negative: bool = False, limit: Decimal = MAX_AMOUNT
) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(
            _("%(field)s: “%(value)s” is not a number.") % {"field": field, "value": value},
            details={field: [_("Not a number.")]},
        ) from exc
    # Less one: rounded to its column's decimal places, it must still fit the column.
    if not amount.is_finite() or abs(amount) >= limit - 1:
        raise ValidationFailed(
            _("%(field)s: out of range.") % {"field": field}, details={field: [_("Out of range.")]}
        )
    if amount < 0 and not allow_negative:
        raise ValidationFailed(
            _("%(field)s: cannot be negative.") % {"field": field},
            details={field: [_("Cannot be negative.")]},
        )
    return amount


def product_get_or_create(
    *, sku: str, name: str = "", category: str = "", actor: User | None = None
) -> Product:
    if actor is not None:
        visibility.require_create(actor)
    sku = (sku or "").strip()
    if not sku:
        raise ValidationFailed(_("Each line needs a SKU."), details={"sku": [_("Required.")]})
    product = Product.objects.filter(sku=sku).first()
    if product is not None:
        return product
    product = Product(sku=sku, name=(name or "").strip() or sku, category=(category or "").strip())
    model_validate(product)
    product.save()
    audit_create(actor=actor, instance=product)
    return product


def product_update(*, actor: User, product: Product, **fields: Any) -> Product:
    visibility.require_create(actor)
    unknown = set(fields) - {"name", "category"}
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            details={n: [_("Not a field of this record.")] for n in unknown},
        )
    before = snapshot(product)
    for name, value in fields.items():
        setattr(product, name, (value or "").strip())
    if not product.name:
        raise ValidationFailed(_("A product needs a name."), details={"name": [_("Required.")]})
    model_validate(product)
    with transaction.atomic():
        product.save()
        audit_update(actor=actor, instance=product, before=before)
    return product


def _lines_clean(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        prefix = f"lines.{index}"
        try:
            sku = str(line.get("sku") or "").strip()
            if not sku:
                raise ValidationFailed(_("A SKU is required."), details={"sku": [""]})
            quantity = amount_clean(
                line.get("quantity", 1), "quantity", allow_negative=True, limit=MAX_QUANTITY
            )
            if quantity == 0:
                raise ValidationFailed(_("The quantity cannot be zero."), details={})
            price = amount_clean(line.get("unit_price"), "unit_price", allow_negative=True)
            cost = line.get("unit_cost")
            cleaned.append(
                {
                    "sku": sku,
                    "name": str(line.get("product_name") or line.get("name") or "").strip(),
                    "category": str(line.get("category") or "").strip(),
                    "quantity": quantity,
                    "unit_price": price,
                    "unit_cost": None if cost in (None, "") else amount_clean(cost, "unit_cost"),
                }
            )
        except ValidationFailed as exc:
            errors[prefix] = [exc.message]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], details=errors)
    if not cleaned:
        raise ValidationFailed(
            _("An order needs at least one line."), details={"lines": [_("Required.")]}
        )
    if len(cleaned) > MAX_LINES:
        raise ValidationFailed(
            _("At most %(n)d lines per order.") % {"n": MAX_LINES},
            details={"lines": [_("Too many.")]},
        )
    return cleaned


def order_totals(lines: Iterable[Mapping[str, Any]]) -> tuple[Decimal, Decimal | None]:
    total = Decimal(0)
    cost: Decimal | None = Decimal(0)
    for line in lines:
        total += line["quantity"] * line["unit_price"]
        if cost is not None and line["unit_cost"] is not None:
            cost += line["quantity"] * line["unit_cost"]
        else:
            cost = None
    return total.quantize(CENT), (cost.quantize(CENT) if cost is not None else None)


def order_save(
    *,
    actor: User,
    customer: Customer,
    lines: Iterable[Mapping[str, Any]],
    placed_at: dt.datetime | None = None,
    currency: str = "",
    channel: str = "",
    status: str = Order.Status.COMPLETED,
    external_id: str | None = None,
) -> tuple[Order, bool]:
    """Create an order with its lines; an `external_id` already known replaces that
    order's lines and fields instead (idempotent). Returns (order, created)."""
    from django.conf import settings

    visibility.require_write(actor, customer)
    external_id = (external_id or "").strip() or None
    cleaned = _lines_clean(lines)
    currency = currency_clean(currency or settings.PATRON_DEFAULT_CURRENCY)
    placed_at = placed_at or timezone.now()
    if status not in Order.Status.values:
        raise ValidationFailed(
            _("Unknown status “%(s)s”.") % {"s": status},
            details={"status": [", ".join(Order.Status.values)]},
        )
    total, cost = order_totals(cleaned)
    if abs(total) >= MAX_TOTAL or (cost is not None and abs(cost) >= MAX_TOTAL):
        raise ValidationFailed(
            _("The order's total is out of range."), details={"lines": [_("Out of range.")]}
        )
    with transaction.atomic():
        order = (
            Order.objects.select_for_update().filter(external_id=external_id).first()
            if external_id
            else None
        )
        created = order is None
        if order is not None and order.customer_id != customer.pk:
            raise Conflict(
                _("Order %(id)s belongs to another customer.") % {"id": external_id},
                details={"external_id": [_("Already used for another customer.")]},
            )
        before = snapshot(order) if order is not None else {}
        order = order or Order(external_id=external_id, customer=customer)
        order.placed_at, order.currency, order.channel, order.status = (
            placed_at,
            currency,
            (channel or "").strip(),
            status,
        )
        order.total_amount, order.total_cost, order.line_count = total, cost, len(cleaned)
        order.import_run = ""
        model_validate(order, exclude=["customer", "external_id", "import_run"])
        order.save()
        if not created:
            order.lines.all().delete()
        products = {
            line["sku"]: product_get_or_create(
                sku=line["sku"], name=line["name"], category=line["category"], actor=actor
            )
            for line in cleaned
        }
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=products[line["sku"]],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                unit_cost=line["unit_cost"],
            )
            for line in cleaned
        )
        if created:
            audit_record(
                actor,
                AuditEntry.Action.UPDATE,
                customer,
                [{"field": "order", "old": None, "new": str(order)}],
            )
        else:
            audit_update(actor=actor, instance=order, before=before)
    return order, created


def order_delete(*, actor: User, order: Order) -> None:
    visibility.require_write(actor, order.customer)
    with transaction.atomic():
        audit_delete(actor=actor, instance=order)
        order.delete()
