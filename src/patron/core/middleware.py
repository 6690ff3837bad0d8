"""Per-user language and time zone; domain errors rendered once for the web UI."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from patron.core.errors import NotFound, PatronError


class UserPreferencesMiddleware:
    """A signed-in user's saved language wins over the browser's; their time zone is active."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language and user.language in dict(settings.LANGUAGES):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone or "UTC"))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response


class DomainErrorMiddleware:
    """A PatronError escaping a page view becomes a proper error page (or HTMX fragment)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/") or not isinstance(exception, PatronError):
            return None
        if isinstance(exception, NotFound):
            raise Http404(exception.message) from exception
        template = (
            "web/partials/error.html" if getattr(request, "htmx", False) else "web/error.html"
        )
        return render(request, template, {"error": exception}, status=exception.status)


API_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported",
    422: "invalid_input",
    429: "throttled",
}


class ApiErrorShapeMiddleware:
    """Whatever answers an API error (Django's 405, a CSRF failure), clients get our shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self._as_json(response)
        return response

    @staticmethod
    def _as_json(response: HttpResponse) -> HttpResponse:
        from django.http import JsonResponse

        status = response.status_code
        code = API_CODES.get(status, "server_error" if status >= 500 else "error")
        message = response.reason_phrase or code
        details = (
            {"allowed_methods": response["Allow"].split(", ")}
            if response.has_header("Allow")
            else {}
        )
        replacement = JsonResponse(
            {"error": {"code": code, "message": message, "details": details}}, status=status
        )
        for header in ("Allow", "WWW-Authenticate"):
            if response.has_header(header):
                replacement[header] = response[header]
        return replacement
