"""A customer's value on the customer page: the card (loaded with the page's first paint
done, so the page keeps its query budget) and the full page of figures and reasons."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from patron.analytics import selectors
from patron.customers import selectors as customer_selectors

# The figures the card shows, each with its reason a click away.
CARD_FIGURES = (
    "value_tier",
    "abc_class",
    "rfm_segment",
    "relationship_stage",
    "clv_12m",
    "p_alive",
    "revenue_12m",
    "trend",
)


@login_required
@require_GET
def value_card(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_selectors.customer_get(viewer=request.user, customer_id=customer_id)
    value = selectors.customer_value(customer)
    shown = [f for name in CARD_FIGURES if (f := value.figure(name)) is not None]
    return render(
        request,
        "analytics/partials/value_card.html",
        {
            "customer": customer,
            "value": value,
            "shown": shown,
            "next_url": reverse("customers:detail", args=[customer.pk]),
        },
    )


@login_required
@require_GET
def value_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_selectors.customer_get(viewer=request.user, customer_id=customer_id)
    value = selectors.customer_value(customer)
    context = {"customer": customer, "value": value, "next_url": request.get_full_path()}
    return render(request, "analytics/customer_value.html", context)
