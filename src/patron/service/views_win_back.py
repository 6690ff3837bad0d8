"""The win-back card of the customer page: loaded once the page is shown (HTMX), so the
customer page keeps its query budget; empty when no window is open."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from patron.customers import selectors as customer_selectors
from patron.service.models import WinBackWindow


@login_required
@require_GET
def win_back_card(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_selectors.customer_get(viewer=request.user, customer_id=customer_id)
    now = timezone.now()
    window = (
        WinBackWindow.objects.filter(customer=customer, closes_at__gt=now)
        .select_related("ticket", "caretaker")
        .order_by("-opened_at")
        .first()
    )
    if window is None:
        return HttpResponse("")
    left = window.closes_at - now
    context = {
        "customer": customer,
        "window": window,
        # Whole days left, counting a started day (29 days and 2 hours: 30).
        "days_left": left.days + (1 if left.seconds or left.microseconds else 0),
    }
    return render(request, "service/partials/win_back_card.html", context)
