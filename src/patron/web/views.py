"""Dashboard, global search, language switch, health and error pages."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron import __version__
from patron.accounts import services as account_services
from patron.core import selectors as core_selectors
from patron.core.errors import PatronError
from patron.core.languages import language_cookie_set
from patron.core.pagination import LongList, read_page
from patron.core.text import search_text
from patron.core.visibility import can_write_any
from patron.customers import selectors as customer_selectors
from patron.customers.models import Customer

HEARTBEAT_STALE_AFTER = dt.timedelta(minutes=5)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    counts = customer_selectors.customer_counts(viewer=request.user)
    mine = customer_selectors.customer_list(viewer=request.user, owner_id=request.user.pk)
    context = {
        "today": timezone.localdate(),
        "can_create": can_write_any(request.user),
        "counts": counts,
        "my_customers": list(mine.order_by("-updated_at")[:8]),
        "recent_changes": core_selectors.audit_recent(viewer=request.user, limit=8),
        "stages": [
            {"value": v, "label": label, "count": counts[v]}
            for v, label in Customer.Lifecycle.choices
        ],
    }
    return render(request, "web/dashboard.html", context)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = search_text(request.GET.get("q"))
    customers: list[Customer] = []
    total, total_exact = 0, True
    if query:
        found = customer_selectors.customer_list(viewer=request.user, query=query)
        # The first 20, counted as the customer list counts (up to its bound).
        page, _ = read_page(LongList(found, customer_selectors.LIST_COUNT_LIMIT), number=1, size=20)
        customers, total, total_exact = page.items, page.count, page.count_exact
    return render(
        request,
        "web/search.html",
        {
            "query": query,
            "customers": customers,
            "customer_total": total,
            "customer_total_exact": total_exact,
        },
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code not in dict(settings.LANGUAGES):
        messages.error(request, _("Unsupported language."))
        return response
    if request.user.is_authenticated:
        try:
            account_services.user_update(actor=request.user, user=request.user, language=code)
        except PatronError as exc:
            messages.error(request, exc.message)
    translation.activate(code)
    language_cookie_set(response, code)
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and `patron check`: database reachable, jobs running."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # the point is to report any failure, not to crash on it
        database = "unavailable"
    jobs: dict[str, object] = {"status": "never", "last_heartbeat": None, "age_seconds": None}
    if database == "ok":
        beat = core_selectors.heartbeat_get()
        if beat is not None:
            age = timezone.now() - beat.beat_at
            jobs = {
                "status": "ok" if age <= HEARTBEAT_STALE_AFTER else "stale",
                "last_heartbeat": beat.beat_at.isoformat(),
                "age_seconds": int(age.total_seconds()),
            }
    status = "ok" if database == "ok" else "unavailable"
    body = {"status": status, "version": __version__, "database": database, "jobs": jobs}
    return JsonResponse(body, status=200 if status == "ok" else 503)


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": {}}}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error("bad_request", _("Bad request."), 400)
    return render(request, "web/error.html", {"status": 400, "title": _("Bad request")}, status=400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error("forbidden", _("Forbidden."), 403)
    context = {"status": 403, "title": _("You do not have access to this page")}
    return render(request, "web/error.html", context, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error("not_found", _("Not found."), 404)
    context = {"status": 404, "title": _("Page not found")}
    return render(request, "web/error.html", context, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error("server_error", _("Something went wrong."), 500)
    context = {"status": 500, "title": _("Something went wrong")}
    return render(request, "web/error.html", context, status=500)
