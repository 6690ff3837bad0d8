"""Pieces every API router shares: the error shape, authentication, pagination."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase
from ninja.security import HttpBearer, django_auth
from pydantic import ConfigDict

from patron.core.errors import PatronError, ValidationFailed
from patron.core.pagination import MAX_BROWSED, read_page
from patron.core.visibility import MAX_ID

logger = logging.getLogger("patron.api")

# Ids the database can hold: larger ones are refused as invalid input (422), not passed on
# to overflow a 64-bit column.
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
# Deeper than this no list goes; it also keeps offsets within a 64-bit integer.
MAX_PAGE = 1_000_000


class InputSchema(Schema):
    """A request body or query: unknown fields are refused (422), so a misspelt field
    name is reported instead of silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(Schema):
    code: str
    message: str
    details: Any = None


class ErrorOut(Schema):
    """Every 4xx answer of the API has this shape."""

    error: ErrorBody


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = ERRORS | {409: ErrorOut}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


class BearerToken(HttpBearer):
    openapi_description = "An API token: `Authorization: Bearer ptn_…`"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from patron.accounts.authentication import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def _pydantic_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        details.append(
            {"field": ".".join(loc), "message": error.get("msg", ""), "type": error.get("type", "")}
        )
    return details


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(PatronError)
    def domain_error(request: HttpRequest, exc: PatronError) -> HttpResponse:
        return respond(request, exc.status, error_body(exc.code, exc.message, exc.details))

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        details = _pydantic_details(exc.errors)
        first = details[0] if details else {"field": "", "message": ""}
        message = _("Invalid input: %(field)s: %(message)s") % first
        return respond(request, 422, error_body("invalid_input", message, details))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = _("Authentication required: send “Authorization: Bearer <token>”.")
        response = respond(request, 401, error_body("unauthenticated", message))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", _("Not found.")))

    @api.exception_handler(DjangoPermissionDenied)
    def forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return respond(request, 403, error_body("forbidden", str(exc) or _("Forbidden.")))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {
            400: "bad_request",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
        }.get(exc.status_code, "error")
        return respond(request, exc.status_code, error_body(code, str(exc)))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error on %s %s", request.method, request.path)
        return respond(request, 500, error_body("server_error", _("Something went wrong.")))


class PagePagination(PaginationBase):
    """`?page=N&page_size=M` (at most 200); the answer says how many there are in all.

    A handler may return a `LongList`: its count stops at a bound (`count_exact` is then
    false, `count` the bound) and `has_next` tells whether to ask for the next page."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="1-based page number")
        page_size: int = Field(50, ge=1, le=200, description="items per page, at most 200")

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="how many in all, or the bound when count_exact is false")
        count_exact: bool = Field(True, description="false when more than `count` match")
        has_next: bool = Field(description="whether a next page has items")
        page: int
        page_size: int
        pages: int = Field(description="pages of `count` items")

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        page, _source = read_page(
            queryset, number=pagination.page, size=pagination.page_size, clamp=False
        )
        if not page.count_exact and (page.number - 1) * page.page_size >= MAX_BROWSED:
            raise ValidationFailed(
                _(
                    "Only the first %(rows)d rows of a list this long can be paged through: "
                    "narrow it with filters or a search."
                )
                % {"rows": MAX_BROWSED},
                details={"page": [_("Too deep for a list of unknown length.")]},
            )
        return {
            "items": page.items,
            "count": page.count,
            "count_exact": page.count_exact,
            "has_next": bool(page.has_next),
            "page": page.number,
            "page_size": page.page_size,
            "pages": page.num_pages,
        }


AUTH = [BearerToken(), django_auth]
