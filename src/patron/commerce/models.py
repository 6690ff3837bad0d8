"""What customers bought: products, orders and their lines (mostly imported from the
shop, the till or the ERP; also created through the API)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patron.core.models import TimeStampedModel


class Product(TimeStampedModel):
    """A catalogue entry, created on the fly by the first order line that names its SKU."""

    sku = models.CharField(_("SKU"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=255)
    category = models.CharField(_("category"), max_length=120, blank=True, db_index=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        RETURNED = "returned", _("Returned")

    # The id in the system the order came from: what makes imports and API creates
    # idempotent. Orders entered by hand may have none.
    external_id = models.CharField(
        _("external id"), max_length=200, unique=True, null=True, blank=True
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="orders",
        db_index=False,
    )
    placed_at = models.DateTimeField(_("placed"))
    currency = models.CharField(_("currency"), max_length=3)
    channel = models.CharField(_("channel"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.COMPLETED
    )
    # Sums of the lines, kept on the order: the timeline, the brief and the metrics read
    # one row per order instead of adding up its lines.
    total_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    # Unknown (null) when a line has no unit cost: a margin is never guessed.
    total_cost = models.DecimalField(
        _("cost"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    # The import that last wrote this order: within one import the rows of an order add
    # up, and a later import replaces its lines (so re-running a file changes nothing).
    import_run = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            # The trailing columns cover the refresh of the metrics: one pass over this
            # index, in customer order, with no sort and no table lookups.
            models.Index(
                fields=[
                    "customer",
                    "-placed_at",
                    "-id",
                    "status",
                    "currency",
                    "total_amount",
                    "total_cost",
                ],
                name="commerce_order_customer_v2",
            ),
            models.Index(fields=["-placed_at", "-id"], name="commerce_order_placed"),
        ]

    def __str__(self) -> str:
        return self.external_id or f"#{self.pk}"

    @property
    def margin(self) -> Decimal | None:
        if self.total_cost is None:
            return None
        return self.total_amount - self.total_cost


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # No index of its own: lines are read through their order; a product is never
    # deleted while lines name it (PROTECT looks once, at that rare moment).
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


def default_currency() -> str:
    return settings.PATRON_DEFAULT_CURRENCY
