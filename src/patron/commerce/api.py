"""REST endpoints for orders (with their lines) and the product catalogue.

Orders are idempotent by `external_id`, as imports are: sending the same order again
replaces its fields and lines. Products are created by the order lines that name their
SKU; POST /products creates one ahead of its first order. Money is a decimal string."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.commerce import selectors, services
from patron.commerce.models import Order, OrderLine, Product
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import NotFound
from patron.customers import selectors as customer_selectors
from patron.customers.api_common import Moment, text

orders = Router(tags=["orders"])
products = Router(tags=["products"])

StatusName = Literal["pending", "completed", "cancelled", "returned"]
ExternalId = text(200, 1)
Currency = text(3)
OrderChannel = text(40)
Sku = text(100, 1)
ProductName = text(255)
Category = text(120)
# A decimal as a JSON number or string ("12.50"): a string keeps every digit.
Amount = Annotated[Decimal, Field(allow_inf_nan=False)]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class OrderOut(Schema):
    id: int
    external_id: str | None = Field(..., description="Its id in the shop, till or ERP")
    customer_id: int
    customer_name: str
    placed_at: dt.datetime
    currency: str = Field(..., description="ISO 4217")
    channel: str = Field(..., description="Where it was placed: web, store, …")
    status: StatusName
    total_amount: str = Field(..., description="Sum of the lines, a decimal string")
    total_cost: str | None = Field(..., description="Null when a line has no unit cost")
    margin: str | None
    line_count: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_customer_name(obj: Order) -> str:
        return obj.customer.display_name

    @staticmethod
    def resolve_total_amount(obj: Order) -> str:
        return str(obj.total_amount)

    @staticmethod
    def resolve_total_cost(obj: Order) -> str | None:
        return _money(obj.total_cost)

    @staticmethod
    def resolve_margin(obj: Order) -> str | None:
        return _money(obj.margin)


class OrderLineOut(Schema):
    id: int
    product_id: int
    sku: str
    product_name: str
    quantity: str = Field(..., description="A decimal string; negative for a return")
    unit_price: str
    unit_cost: str | None
    amount: str = Field(..., description="quantity × unit_price")

    @staticmethod
    def resolve_sku(obj: OrderLine) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_product_name(obj: OrderLine) -> str:
        return obj.product.name

    @staticmethod
    def resolve_quantity(obj: OrderLine) -> str:
        return str(obj.quantity)

    @staticmethod
    def resolve_unit_price(obj: OrderLine) -> str:
        return str(obj.unit_price)

    @staticmethod
    def resolve_unit_cost(obj: OrderLine) -> str | None:
        return _money(obj.unit_cost)

    @staticmethod
    def resolve_amount(obj: OrderLine) -> str:
        return str(obj.amount.quantize(services.CENT))


class OrderDetail(OrderOut):
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_lines(obj: Order) -> list[OrderLine]:
        return selectors.order_lines(obj)


class OrderLineIn(InputSchema):
    sku: Sku = Field(..., description="A SKU not seen before creates its product")
    product_name: ProductName = Field("", description="For a new product; default its SKU")
    category: Category = Field("", description="For a new product")
    quantity: Amount = Field(Decimal(1), description="Negative for a return; not zero")
    unit_price: Amount
    unit_cost: Amount | None = Field(None, description="Unknown: no margin is computed")


class OrderIn(InputSchema):
    customer_id: RecordId
    external_id: ExternalId | None = Field(
        None,
        description="Its id in the shop, till or ERP: sending it again replaces that order "
        "and its lines (200) instead of creating a second one (201)",
    )
    placed_at: Moment | None = Field(None, description="Default: now")
    currency: Currency = Field("", description="ISO 4217; default the installation's")
    channel: OrderChannel = ""
    status: StatusName = "completed"
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=services.MAX_LINES)


class OrderFilters(Schema):
    customer_id: RecordId | None = None
    status: StatusName | None = None
    since: Moment | None = Field(None, description="Placed from this moment (included)")
    until: Moment | None = Field(None, description="Placed before this moment")


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductIn(InputSchema):
    sku: Sku
    name: ProductName = Field("", description="Default: the SKU")
    category: Category = ""


class ProductPatch(InputSchema):
    name: ProductName | None = None
    category: Category | None = None


class ProductFilters(Schema):
    q: text(100) = Field("", description="SKU (by prefix) or a part of the name")
    category: Category = Field("", description="Exact category")


# --- Orders -----------------------------------------------------------------------------


@orders.get(
    "",
    response={200: list[OrderOut], **ERRORS},
    summary="List orders",
    description="Newest first, of the customers you can see.",
)
@paginate(PagePagination)
def order_list(request: HttpRequest, filters: Query[OrderFilters]) -> Any:
    return selectors.order_list(
        viewer=request.user,
        customer_id=filters.customer_id,
        status=filters.status or "",
        since=filters.since,
        until=filters.until,
    )


@orders.post(
    "",
    response={200: OrderDetail, 201: OrderDetail, **WRITE_ERRORS},
    summary="Create an order (or replace the one with the same external id)",
    description="Idempotent by `external_id`: an order already known by it has its fields "
    "and lines replaced (200) instead of being created twice (201); the external id of "
    "another customer's order answers 409. The totals are the sums of the lines. A line's "
    "error names it (`lines.2`).",
)
def order_create(request: HttpRequest, payload: OrderIn) -> Any:
    customer = customer_selectors.customer_get(viewer=request.user, customer_id=payload.customer_id)
    order, created = services.order_save(
        actor=request.user,
        customer=customer,
        lines=[line.model_dump() for line in payload.lines],
        placed_at=payload.placed_at,
        currency=payload.currency,
        channel=payload.channel,
        status=payload.status,
        external_id=payload.external_id,
    )
    return Status(201 if created else 200, order)


@orders.get(
    "/{order_id}", response={200: OrderDetail, **ERRORS}, summary="Get an order with its lines"
)
def order_get(request: HttpRequest, order_id: RecordId) -> Any:
    return selectors.order_get(viewer=request.user, order_id=order_id)


@orders.delete("/{order_id}", response={204: None, **WRITE_ERRORS}, summary="Delete an order")
def order_delete(request: HttpRequest, order_id: RecordId) -> Any:
    order = selectors.order_get(viewer=request.user, order_id=order_id)
    services.order_delete(actor=request.user, order=order)
    return Status(204, None)


# --- Products ---------------------------------------------------------------------------


@products.get(
    "", response={200: list[ProductOut], **ERRORS}, summary="List products", description="By name."
)
@paginate(PagePagination)
def product_list(request: HttpRequest, filters: Query[ProductFilters]) -> Any:
    return selectors.product_list(q=filters.q, category=filters.category)


@products.post(
    "",
    response={200: ProductOut, 201: ProductOut, **WRITE_ERRORS},
    summary="Create a product (or get the one with this SKU)",
    description="Idempotent by SKU: a product already known answers 200 unchanged (change it "
    "with PATCH); a new one 201. Orders create their products by themselves.",
)
def product_create(request: HttpRequest, payload: ProductIn) -> Any:
    try:
        return Status(200, selectors.product_get(sku=payload.sku.strip()))
    except NotFound:
        pass
    product = services.product_get_or_create(
        sku=payload.sku, name=payload.name, category=payload.category, actor=request.user
    )
    return Status(201, product)


@products.get("/{product_id}", response={200: ProductOut, **ERRORS}, summary="Get a product")
def product_get(request: HttpRequest, product_id: RecordId) -> Any:
    return selectors.product_get(product_id=product_id)


@products.patch(
    "/{product_id}",
    response={200: ProductOut, **WRITE_ERRORS},
    summary="Change a product",
    description="Its name and category (its SKU is its identity).",
)
def product_update(request: HttpRequest, product_id: RecordId, payload: ProductPatch) -> Any:
    product: Product = selectors.product_get(product_id=product_id)
    fields = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.product_update(actor=request.user, product=product, **fields)
