"""REST endpoints for signals: what the figures say someone should act on, newest first,
with cursor pagination; each explained in the caller's language."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Query, Router, Schema

from patron.analytics import worklist
from patron.analytics.models import Signal
from patron.core.api_base import ERRORS, RecordId
from patron.customers.api_common import text

router = Router(tags=["signals"])

CursorText = text(500)
KindName = text(20)
TaskStatus = Literal["open", "done", "cancelled"]


class SignalQuery(Schema):
    kind: KindName = Field("", description="Only this kind: " + ", ".join(Signal.Kind.values))
    status: Literal["open", "cleared", "all"] = Field(
        "all", description="open: not cleared yet; cleared: the condition has ended"
    )
    customer_id: RecordId | None = Field(None, description="Only this customer's")
    owner: Literal["me"] | RecordId | None = Field(
        None, description='Only on the customers of this owner: "me" or a user id'
    )
    cursor: CursorText | None = Field(
        None, description="`next_cursor` of the page before; omitted: the newest signals"
    )
    size: int = Field(
        worklist.SIGNALS_PAGE_SIZE,
        ge=1,
        le=worklist.MAX_SIGNALS_PAGE_SIZE,
        description="At most 100",
    )


class SignalOut(Schema):
    id: int
    kind: str = Field(..., description=", ".join(Signal.Kind.values))
    label: str = Field(..., description="The kind, in your language")
    explanation: str = Field(..., description="Why it was raised, in your language")
    details: dict[str, Any] = Field(..., description="The figures that raised it")
    raised_at: dt.datetime
    cleared_at: dt.datetime | None = Field(..., description="null: still open")
    customer_id: int
    customer_name: str
    owner_id: int | None = Field(..., description="The customer's owner")
    task_id: int | None = Field(..., description="The task raised with it (GET /tasks/{id})")
    task_status: TaskStatus | None
    task_assignee_id: int | None


def _row(signal: Signal) -> dict[str, Any]:
    """A signal as the API shows it, in the active language (labels are translated when
    read, so the row is made here rather than by the schema after the handler)."""
    task = signal.task
    return {
        "id": signal.pk,
        "kind": signal.kind,
        "label": str(signal.get_kind_display()),
        "explanation": getattr(signal, "explanation", None) or worklist.explanation(signal),
        "details": worklist.details_of(signal),
        "raised_at": signal.raised_at,
        "cleared_at": signal.cleared_at,
        "customer_id": signal.customer_id,
        "customer_name": signal.customer.display_name,
        "owner_id": signal.customer.owner_id,
        "task_id": signal.task_id,
        "task_status": task.status if task is not None else None,
        "task_assignee_id": task.assignee_id if task is not None else None,
    }


class SignalPageOut(Schema):
    items: list[SignalOut] = Field(..., description="Newest first")
    next_cursor: str | None = Field(
        ..., description="Send it as `cursor` for the next page; null: this was the last one"
    )


@contextlib.contextmanager
def in_callers_language(request: HttpRequest) -> Iterator[None]:
    """Explanations in the caller's language: their saved one, else the request's
    (Accept-Language). A token authenticates inside the API, after the middleware that
    activates a signed-in user's language."""
    language = getattr(request.user, "language", "") or ""
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        yield


@router.get(
    "",
    response={200: SignalPageOut, **ERRORS},
    summary="List signals",
    description="The signals on the customers you can see, newest first. A cursor the list "
    "did not give out, or an unknown kind, answers 422.",
)
def signal_list(request: HttpRequest, query: Query[SignalQuery]) -> Any:
    owner_id = request.user.pk if query.owner == "me" else query.owner
    filters = worklist.SignalFilters(
        kind=query.kind,
        status=query.status,
        customer_id=query.customer_id,
        owner_id=owner_id,  # type: ignore[arg-type]
    )
    with in_callers_language(request):
        page = worklist.signal_list(request.user, filters, query.cursor, size=query.size)
        items = [_row(signal) for signal in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get(
    "/{signal_id}",
    response={200: SignalOut, **ERRORS},
    summary="Get a signal",
    description="A signal on a customer you cannot see answers 404.",
)
def signal_get(request: HttpRequest, signal_id: RecordId) -> Any:
    with in_callers_language(request):
        return _row(worklist.signal_get(request.user, signal_id))
