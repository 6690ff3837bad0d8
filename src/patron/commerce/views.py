"""Orders and products in the web UI: the orders of a customer (a tab of the customer
page), the list of orders, one order with its lines, the product catalogue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patron.commerce import selectors
from patron.commerce.models import Order
from patron.core.pagination import paginate
from patron.core.text import search_text
from patron.customers import selectors as customer_selectors

RECENT_ORDERS = 10


def recent_orders(viewer: object, customer_id: int) -> list[Order]:
    """The customer page's Orders tab: the latest few, one query."""
    return list(selectors.order_list(viewer=viewer, customer_id=customer_id)[: RECENT_ORDERS + 1])


@login_required
def customer_orders(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_selectors.customer_get(viewer=request.user, customer_id=customer_id)
    context = {"customer": customer, "orders": recent_orders(request.user, customer.pk)}
    return render(request, "commerce/customer_orders.html", context)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    customer = None
    raw = request.GET.get("customer", "")
    if raw.isdecimal():
        customer = customer_selectors.customer_get(viewer=request.user, customer_id=int(raw))
    status = request.GET.get("status", "")
    status = status if status in Order.Status.values else ""
    orders = selectors.order_list(
        viewer=request.user, customer_id=customer.pk if customer else None, status=status
    )
    # Counting every order of a large base is the slow part of a page: bounded like the
    # customer list.
    page = paginate(request, orders, count_limit=1000)
    context = {
        "page": page,
        "customer": customer,
        "status": status,
        "statuses": Order.Status.choices,
    }
    return render(request, "commerce/order_list.html", context)


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get(viewer=request.user, order_id=order_id)
    lines = selectors.order_lines(order)
    return render(request, "commerce/order_detail.html", {"order": order, "lines": lines})


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    query = search_text(request.GET.get("q"))
    category = search_text(request.GET.get("category"))
    page = paginate(request, selectors.product_list(q=query, category=category), default_size=50)
    context = {"page": page, "query": query, "category": category}
    return render(request, "commerce/product_list.html", context)
