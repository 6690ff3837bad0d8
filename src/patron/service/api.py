"""REST endpoints for tickets: the queue with its filters and sorts, a ticket with its
thread, replies (emailed to the customer), internal notes and the status flow. Writes
take the `version` read (optimistic locking: a stale one answers 409)."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.accounts.models import Team, User
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import ValidationFailed
from patron.core.pagination import LongList
from patron.interactions.api_common import ChannelName, customer_of, text, user_by_id
from patron.service import selectors, services
from patron.service.models import Ticket, TicketCategory, TicketMessage, TicketPriority

router = Router(tags=["Tickets"])

TypeName = Literal["complaint", "question", "request", "incident"]
StatusName = Literal["new", "open", "waiting", "resolved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
PRIORITIES = {
    "low": TicketPriority.LOW,
    "normal": TicketPriority.NORMAL,
    "high": TicketPriority.HIGH,
    "urgent": TicketPriority.URGENT,
}
PRIORITY_NAMES = {int(value): name for name, value in PRIORITIES.items()}
Subject = text(255, 1)
Body = text(100_000)
Email = text(254)


def _version() -> Any:
    return Field(None, ge=1, le=2**31, description="The version you read; a stale one answers 409")


class MessageOut(Schema):
    id: int
    kind: Literal["reply", "customer", "note"] = Field(
        ..., description="reply: to the customer; customer: from them; note: internal"
    )
    body: str
    author_id: int | None
    author_name: str | None
    created_at: dt.datetime
    message_id: str | None = Field(..., description="The email's Message-ID, if emailed")
    to_address: str
    from_address: str
    sent_at: dt.datetime | None = Field(..., description="When the reply's email went out")
    send_error: str = Field(..., description="Why the reply's email did not go out")

    @staticmethod
    def resolve_author_name(obj: TicketMessage) -> str | None:
        return obj.author.display_name if obj.author is not None else None


class TicketOut(Schema):
    id: int
    subject: str
    type: TypeName
    priority: PriorityName
    channel: str
    status: StatusName
    customer_id: int
    customer_name: str
    category_id: int | None
    owner_id: int | None
    owner_name: str | None
    team_id: int | None
    reply_to: str
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    sla_state: Literal["on_track", "at_risk", "breached", "met"]
    waiting_since: dt.datetime | None
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    last_customer_message_at: dt.datetime | None
    agent_replies: int
    reopened_count: int
    first_contact_resolution: bool | None = Field(
        ..., description="Resolved with at most one agent reply and never reopened"
    )
    root_cause: str
    prevention_note: str
    source: str
    version: int = Field(..., description="Send it back as `version` to change the ticket")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_priority(obj: Ticket) -> str:
        return PRIORITY_NAMES.get(obj.priority, "normal")

    @staticmethod
    def resolve_customer_name(obj: Ticket) -> str:
        return obj.customer.display_name

    @staticmethod
    def resolve_owner_name(obj: Ticket) -> str | None:
        return obj.owner.display_name if obj.owner is not None else None


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj: Ticket) -> list[TicketMessage]:
        thread = getattr(obj, "thread", None)
        return thread if thread is not None else selectors.ticket_thread(obj)


class TicketIn(InputSchema):
    customer_id: RecordId
    subject: Subject
    body: Body = Field("", description="The customer's request, as they put it")
    type: TypeName = "question"
    priority: PriorityName = "normal"
    channel: ChannelName = Field("email", description="Where the customer brought it to us")
    category_id: RecordId | None = None
    owner_id: RecordId | None = Field(None, description="Default: you")
    team_id: RecordId | None = Field(None, description="Default: the customer's team")
    reply_to: Email = Field("", description="Where replies go (default: the customer's email)")


class TicketPatch(InputSchema):
    subject: Subject | None = None
    type: TypeName | None = None
    priority: PriorityName | None = None
    category_id: RecordId | None = Field(None, description="null: no category")
    owner_id: RecordId | None = Field(None, description="null: nobody")
    team_id: RecordId | None = Field(None, description="null: no team")
    reply_to: Email | None = None
    version: int | None = _version()


class ReplyIn(InputSchema):
    body: text(100_000, 1)
    status: Literal["open", "waiting"] | None = Field(
        None, description="waiting: the ticket then waits on the customer (SLA paused)"
    )
    version: int | None = _version()


class NoteIn(InputSchema):
    body: text(100_000, 1)


class StatusIn(InputSchema):
    status: Literal["open", "waiting"] = Field(
        ..., description="Resolve, close and reopen have endpoints of their own"
    )
    version: int | None = _version()


class ResolveIn(InputSchema):
    root_cause: Body = Field("", description="Required for complaints and incidents")
    prevention_note: Body = ""
    version: int | None = _version()


class VersionIn(InputSchema):
    version: int | None = _version()


class TicketFilters(Schema):
    status: Literal["active", "all", "new", "open", "waiting", "resolved", "closed"] = Field(
        "active", description="active: new, open or waiting"
    )
    type: TypeName | None = None
    priority: PriorityName | None = None
    category_id: RecordId | None = None
    owner: Literal["me", "unassigned", "anyone"] | RecordId = Field(
        "anyone", description='"me", "unassigned", "anyone" or a user id'
    )
    team_id: RecordId | None = None
    sla: Literal["on_track", "at_risk", "breached"] | None = None
    customer_id: RecordId | None = None
    q: text(200) = Field("", description="Words of the subject, or a ticket number")
    sort: Literal["due", "priority", "newest", "oldest", "last_customer_message"] = Field(
        "due", description="due: the nearest deadline first"
    )


def _category(category_id: int | None) -> TicketCategory | None:
    if category_id is None:
        return None
    category = TicketCategory.objects.filter(pk=category_id).first()
    if category is None:
        message = _("No category with id %(id)s.") % {"id": category_id}
        raise ValidationFailed(message, details={"category_id": [message]})
    return category


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        message = _("No team with id %(id)s.") % {"id": team_id}
        raise ValidationFailed(message, details={"team_id": [message]})
    return team


def _user(user_id: int | None, field: str) -> User | None:
    return user_by_id(user_id, field)


def _ticket(request: HttpRequest, ticket_id: int, response: HttpResponse | None = None) -> Ticket:
    ticket = selectors.ticket_get(viewer=request.user, ticket_id=ticket_id)
    if response is not None:
        response["ETag"] = f'"{ticket.version}"'
    return ticket


def _detail(ticket: Ticket, response: HttpResponse) -> Ticket:
    ticket.thread = selectors.ticket_thread(ticket)  # type: ignore[attr-defined]
    response["ETag"] = f'"{ticket.version}"'
    return ticket


@router.get(
    "/tickets",
    response={200: list[TicketOut], **ERRORS},
    summary="List tickets",
    description="The tickets you can see (their owner or team), active ones by default, "
    "the nearest deadline first. Counted up to 1,000 (`count_exact` false beyond).",
)
@paginate(PagePagination)
def ticket_list(request: HttpRequest, filters: Query[TicketFilters]) -> Any:
    rows = selectors.ticket_queue(
        viewer=request.user,
        filters=selectors.QueueFilters(
            status=filters.status,
            type=filters.type or "",
            priority=PRIORITIES[filters.priority] if filters.priority else None,
            category=filters.category_id,
            owner=filters.owner,
            team=filters.team_id,
            sla=filters.sla or "",
            customer=filters.customer_id,
            q=filters.q,
        ),
        sort=filters.sort,
    )
    return LongList(rows, selectors.QUEUE_COUNT_LIMIT)


@router.post(
    "/tickets",
    response={201: TicketDetailOut, **WRITE_ERRORS},
    summary="Open a ticket",
    description="For a customer you can change. The owner defaults to you, the team to the "
    "customer's; the SLA policy that matches sets the due times.",
)
def ticket_create(request: HttpRequest, payload: TicketIn, response: HttpResponse) -> Any:
    customer = customer_of(request, payload.customer_id)
    ticket = services.ticket_create(
        actor=request.user,
        customer=customer,
        subject=payload.subject,
        body=payload.body,
        type=payload.type,
        priority=PRIORITIES[payload.priority],
        channel=payload.channel,
        category=_category(payload.category_id),
        owner=_user(payload.owner_id, "owner_id"),
        team=_team(payload.team_id),
        reply_to=payload.reply_to,
        source="api",
    )
    return Status(201, _detail(_ticket(request, ticket.pk), response))


@router.get(
    "/tickets/{ticket_id}",
    response={200: TicketDetailOut, **ERRORS},
    summary="Get a ticket with its thread",
    description="Replies, the customer's messages and internal notes, oldest first.",
)
def ticket_get(request: HttpRequest, ticket_id: RecordId, response: HttpResponse) -> Any:
    return _detail(_ticket(request, ticket_id), response)


@router.patch(
    "/tickets/{ticket_id}",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Change a ticket",
    description="Send only the fields that change. A new priority or type re-applies the "
    "SLA policy from the ticket's creation; a new owner is notified.",
)
def ticket_update(
    request: HttpRequest, ticket_id: RecordId, payload: TicketPatch, response: HttpResponse
) -> Any:
    ticket = _ticket(request, ticket_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    fields: dict[str, Any] = {}
    for name in ("subject", "type"):
        if data.get(name) is not None:
            fields[name] = data[name]
    if data.get("priority") is not None:
        fields["priority"] = PRIORITIES[data["priority"]]
    if "reply_to" in data:
        fields["reply_to"] = data["reply_to"] or ""
    if "category_id" in data:
        fields["category"] = _category(data["category_id"])
    if "owner_id" in data:
        fields["owner"] = _user(data["owner_id"], "owner_id")
    if "team_id" in data:
        fields["team"] = _team(data["team_id"])
    ticket = services.ticket_update(actor=request.user, ticket=ticket, version=version, **fields)
    return _detail(_ticket(request, ticket.pk), response)


@router.get(
    "/tickets/{ticket_id}/messages",
    response={200: list[MessageOut], **ERRORS},
    summary="A ticket's thread",
)
def ticket_messages(request: HttpRequest, ticket_id: RecordId) -> Any:
    return selectors.ticket_thread(_ticket(request, ticket_id))


@router.post(
    "/tickets/{ticket_id}/replies",
    response={201: MessageOut, **WRITE_ERRORS},
    summary="Reply to the customer",
    description="Emailed to the ticket's reply-to address or the customer's preferred "
    "email once saved; `sent_at` or `send_error` on the message tell how it went. A new "
    "ticket becomes open; `status: waiting` pauses its SLA until the customer answers.",
)
def ticket_reply(request: HttpRequest, ticket_id: RecordId, payload: ReplyIn) -> Any:
    message = services.ticket_reply(
        actor=request.user,
        ticket=_ticket(request, ticket_id),
        body=payload.body,
        status=payload.status,
        version=payload.version,
    )
    message.refresh_from_db()  # the send ran on commit: its outcome is stored
    return Status(201, message)


@router.post(
    "/tickets/{ticket_id}/notes",
    response={201: MessageOut, **WRITE_ERRORS},
    summary="Add an internal note",
    description="Never emailed, never on the customer's timeline; @mentions notify.",
)
def ticket_note(request: HttpRequest, ticket_id: RecordId, payload: NoteIn) -> Any:
    message = services.ticket_note(
        actor=request.user, ticket=_ticket(request, ticket_id), body=payload.body
    )
    return Status(201, message)


@router.post(
    "/tickets/{ticket_id}/status",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Set a ticket open or waiting on the customer",
)
def ticket_status(
    request: HttpRequest, ticket_id: RecordId, payload: StatusIn, response: HttpResponse
) -> Any:
    ticket = services.ticket_set_status(
        actor=request.user,
        ticket=_ticket(request, ticket_id),
        status=payload.status,
        version=payload.version,
    )
    return _detail(ticket, response)


@router.post(
    "/tickets/{ticket_id}/resolve",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Resolve a ticket",
    description="The root cause is required for complaints and incidents. "
    "`first_contact_resolution` is derived here.",
)
def ticket_resolve(
    request: HttpRequest, ticket_id: RecordId, payload: ResolveIn, response: HttpResponse
) -> Any:
    ticket = services.ticket_resolve(
        actor=request.user,
        ticket=_ticket(request, ticket_id),
        root_cause=payload.root_cause,
        prevention_note=payload.prevention_note,
        version=payload.version,
    )
    return _detail(ticket, response)


@router.post(
    "/tickets/{ticket_id}/close",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Close a resolved ticket",
)
def ticket_close(
    request: HttpRequest, ticket_id: RecordId, payload: VersionIn, response: HttpResponse
) -> Any:
    ticket = services.ticket_close(
        actor=request.user, ticket=_ticket(request, ticket_id), version=payload.version
    )
    return _detail(ticket, response)


@router.post(
    "/tickets/{ticket_id}/reopen",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Reopen a resolved or closed ticket",
)
def ticket_reopen(
    request: HttpRequest, ticket_id: RecordId, payload: VersionIn, response: HttpResponse
) -> Any:
    ticket = services.ticket_reopen(
        actor=request.user, ticket=_ticket(request, ticket_id), version=payload.version
    )
    return _detail(ticket, response)
