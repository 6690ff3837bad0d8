"""REST endpoints for notes on a customer (with @mentions) and the caller's notifications."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.db import models
from django.http import HttpRequest
from ninja import Body, Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.customers.models import Customer
from patron.interactions import selectors, services
from patron.interactions.api_common import customer_of, text, user_name
from patron.interactions.models import Note, Notification

customer_notes = Router(tags=["notes"])
notes = Router(tags=["notes"])
notifications = Router(tags=["notifications"])

NoteBody = text(20_000, 1)


class NoteOut(Schema):
    id: int
    customer_id: int
    author_id: int | None
    author_name: str | None
    body: str
    mention_ids: list[int] = Field(..., description="The colleagues it mentions (@name)")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_author_name(obj: Note) -> str | None:
        return user_name(obj.author)

    @staticmethod
    def resolve_mention_ids(obj: Note) -> list[int]:
        return sorted(user.pk for user in obj.mentions.all())


class NoteIn(InputSchema):
    body: NoteBody = Field(
        ...,
        description="Plain text; @name (the part of a colleague's email before the @) or "
        "@email mentions them, and they are notified",
    )


class NotificationOut(Schema):
    id: int
    kind: Literal["mention", "task_assigned"]
    text: str
    url: str = Field(..., description="The page it is about, in the web UI")
    customer_id: int | None
    actor_id: int | None
    actor_name: str | None = Field(..., description="Who caused it")
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_actor_name(obj: Notification) -> str | None:
        return user_name(obj.actor)


class NotificationFilters(Schema):
    unread_only: bool = False


class MarkReadIn(InputSchema):
    ids: list[RecordId] | None = Field(
        None, max_length=1000, description="Which of your notifications; omitted: all of them"
    )


class MarkedRead(Schema):
    marked: int = Field(..., description="How many were unread and are now read")


def _notes_of(customer: Customer) -> models.QuerySet[Note]:
    """The customer's notes, newest first, with their authors and mentions."""
    return (
        Note.objects.filter(customer=customer)
        .select_related("author")
        .prefetch_related("mentions")
        .order_by("-created_at", "-id")
    )


@customer_notes.get(
    "/{customer_id}/notes",
    response={200: list[NoteOut], **ERRORS},
    summary="A customer's notes, newest first",
)
@paginate(PagePagination)
def note_list(request: HttpRequest, customer_id: RecordId) -> Any:
    return _notes_of(customer_of(request, customer_id))


@customer_notes.post(
    "/{customer_id}/notes",
    response={201: NoteOut, **WRITE_ERRORS},
    summary="Add a note",
    description="Every colleague it mentions gets a notification. A mention that matches "
    "nobody, or several people, answers 422 and nothing is saved.",
)
def note_add(request: HttpRequest, customer_id: RecordId, payload: NoteIn) -> Any:
    customer = customer_of(request, customer_id)
    note = services.note_add(actor=request.user, customer=customer, body=payload.body)
    return Status(201, note)


@notes.get("/{note_id}", response={200: NoteOut, **ERRORS}, summary="Get a note")
def note_get(request: HttpRequest, note_id: RecordId) -> Any:
    return selectors.note_get(viewer=request.user, note_id=note_id)


@notes.delete(
    "/{note_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a note",
    description="Its author's, or a manager's.",
)
def note_delete(request: HttpRequest, note_id: RecordId) -> Any:
    note = selectors.note_get(viewer=request.user, note_id=note_id)
    services.note_delete(actor=request.user, note=note)
    return Status(204, None)


@notifications.get(
    "",
    response={200: list[NotificationOut], **ERRORS},
    summary="Your notifications, newest first",
)
@paginate(PagePagination)
def notification_list(request: HttpRequest, filters: Query[NotificationFilters]) -> Any:
    return selectors.notification_list(viewer=request.user, unread_only=filters.unread_only)


@notifications.post(
    "/read",
    response={200: MarkedRead, **WRITE_ERRORS},
    summary="Mark notifications read",
    description="The ones named by `ids`, or all of yours without it (or without a body).",
)
def notifications_mark_read(
    request: HttpRequest, payload: Annotated[MarkReadIn | None, Body()] = None
) -> Any:
    ids = payload.ids if payload is not None else None
    return {"marked": services.notifications_mark_read(actor=request.user, ids=ids)}
