"""REST endpoints for ideas (votes, requesters, "tell the customer") and programmes
(early adopters, potential references)."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.core import visibility
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import ValidationFailed
from patron.customers.models import Customer
from patron.feedback import ideas as svc
from patron.feedback import programmes
from patron.feedback.models import Idea, IdeaRequester, Programme, ProgrammeMembership
from patron.feedback.results import response_for

router = Router(tags=["Ideas"])

StatusName = Literal["new", "planned", "done", "declined"]
ProgrammeName = Literal["early_adopter", "reference"]


class IdeaOut(Schema):
    id: int
    title: str
    body: str
    status: StatusName
    source: Literal["survey", "ticket", "staff"]
    response_id: int | None
    ticket_id: int | None
    tags: list[str]
    votes: int
    status_changed_at: dt.datetime | None
    created_by_id: int | None
    version: int = Field(..., description="Send it back as `version` to change the idea")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_tags(obj: Idea) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())


class IdeaFilters(Schema):
    status: StatusName | None = None
    tag: str | None = Field(None, max_length=60)
    q: str | None = Field(None, max_length=200, description="Words in the title or text")
    sort: Literal["votes", "newest"] = "votes"


class IdeaIn(InputSchema):
    title: str | None = Field(
        None, max_length=200, description="Required unless from a response or ticket"
    )
    body: str = Field("", max_length=10_000)
    response_id: RecordId | None = Field(None, description="From this survey answer")
    ticket_id: RecordId | None = Field(None, description="From this ticket")
    tags: list[str] = Field(default_factory=list, max_length=20)


class IdeaPatch(InputSchema):
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=10_000)
    status: StatusName | None = None
    tags: list[str] | None = Field(None, max_length=20, description="Replaces the tags")
    version: int | None = Field(None, description="Refused with 409 if changed since")


class VoteOut(Schema):
    idea_id: int
    votes: int
    voted: bool = Field(..., description="Whether you vote for it now")
    changed: bool = Field(..., description="False: it already was so")


class RequesterOut(Schema):
    customer_id: int
    customer_name: str
    added_at: dt.datetime
    told_status: str = Field(..., description="The status they were last told; '' never")
    told_at: dt.datetime | None

    @staticmethod
    def resolve_customer_name(obj: IdeaRequester) -> str:
        return obj.customer.display_name


class RequesterIn(InputSchema):
    customer_id: RecordId


class TellOutcomeOut(Schema):
    customer_id: int
    customer_name: str
    sent: bool
    reason: str = Field(..., description="Why not, in words")
    code: str = Field(..., description="no_consent, unreachable, quiet_hours, failed …")


class TellOut(Schema):
    idea_id: int
    status: StatusName
    sent: int
    skipped: int
    outcomes: list[TellOutcomeOut]


class MembershipOut(Schema):
    id: int
    customer_id: int
    programme: ProgrammeName
    joined_at: dt.datetime
    added_by_id: int | None
    response_id: int | None
    note: str


class MembershipIn(InputSchema):
    customer_id: RecordId | None = Field(None, description="For the early-adopter programme")
    programme: ProgrammeName = "early_adopter"
    response_id: RecordId | None = Field(
        None, description="reference: the promoter response that makes them one"
    )
    note: str = Field("", max_length=300)


class MembershipFilters(Schema):
    programme: ProgrammeName | None = None
    customer_id: RecordId | None = None


def _idea(idea_id: int) -> Idea:
    return svc.idea_get(idea_id)


@router.get(
    "/ideas",
    response={200: list[IdeaOut], **ERRORS},
    summary="List ideas",
    description="Filtered by status, tag or words; by votes (most first) or newest.",
)
@paginate(PagePagination)
def idea_list(request: HttpRequest, filters: Query[IdeaFilters]) -> Any:
    return svc.idea_list(
        status=filters.status or "", tag=filters.tag or "", q=filters.q or "", sort=filters.sort
    )


@router.post(
    "/ideas",
    response={201: IdeaOut, **WRITE_ERRORS},
    summary="Create an idea",
    description="From a survey answer (`response_id`) or a ticket (`ticket_id`) its "
    "customer becomes the first requester; otherwise `title` is required.",
)
def idea_create(request: HttpRequest, payload: IdeaIn) -> Any:
    response = ticket = None
    if payload.response_id is not None:
        response = response_for(request.user, payload.response_id)
    elif payload.ticket_id is not None:
        from patron.service.models import Ticket

        ticket = visibility.get_visible(request.user, Ticket.objects.all(), pk=payload.ticket_id)
    idea = svc.idea_create(
        actor=request.user,
        title=payload.title or "",
        body=payload.body,
        response=response,
        ticket=ticket,
        tags=payload.tags,
    )
    return Status(201, svc.idea_get(idea.pk))


@router.get("/ideas/{idea_id}", response={200: IdeaOut, **ERRORS}, summary="Get an idea")
def idea_get(request: HttpRequest, idea_id: RecordId) -> Any:
    return _idea(idea_id)


@router.patch(
    "/ideas/{idea_id}",
    response={200: IdeaOut, **WRITE_ERRORS},
    summary="Change an idea",
    description="Send only what changes. A new `status` stamps `status_changed_at`; then "
    "`POST /ideas/{id}/tell` tells the requesters.",
)
def idea_update(request: HttpRequest, idea_id: RecordId, payload: IdeaPatch) -> Any:
    data = payload.model_dump(exclude_unset=True)
    idea = svc.idea_update(
        actor=request.user,
        idea=_idea(idea_id),
        expected_version=data.get("version"),
        title=data.get("title"),
        body=data.get("body"),
        status=data.get("status"),
        tags=data.get("tags"),
    )
    return svc.idea_get(idea.pk)


@router.post(
    "/ideas/{idea_id}/vote",
    response={200: VoteOut, **ERRORS},
    summary="Vote for an idea",
    description="Once per user: voting again changes nothing (`changed` false).",
)
def idea_vote(request: HttpRequest, idea_id: RecordId) -> Any:
    idea, changed = svc.idea_vote(actor=request.user, idea=_idea(idea_id))
    return {"idea_id": idea.pk, "votes": idea.votes, "voted": True, "changed": changed}


@router.delete(
    "/ideas/{idea_id}/vote",
    response={200: VoteOut, **ERRORS},
    summary="Take your vote back",
)
def idea_unvote(request: HttpRequest, idea_id: RecordId) -> Any:
    idea, changed = svc.idea_unvote(actor=request.user, idea=_idea(idea_id))
    return {"idea_id": idea.pk, "votes": idea.votes, "voted": False, "changed": changed}


@router.get(
    "/ideas/{idea_id}/requesters",
    response={200: list[RequesterOut], **ERRORS},
    summary="Customers who asked for an idea",
    description="Among the customers you can see.",
)
def requester_list(request: HttpRequest, idea_id: RecordId) -> Any:
    return svc.requesters_of(request.user, _idea(idea_id))


@router.post(
    "/ideas/{idea_id}/requesters",
    response={201: RequesterOut, 200: RequesterOut, **WRITE_ERRORS},
    summary="Add a customer who asked",
    description="201 when added, 200 when they already were a requester.",
)
def requester_add(request: HttpRequest, idea_id: RecordId, payload: RequesterIn) -> Any:
    row, added = svc.requester_add(
        actor=request.user, idea=_idea(idea_id), customer_id=payload.customer_id
    )
    return Status(201 if added else 200, row)


@router.delete(
    "/ideas/{idea_id}/requesters/{customer_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a requester",
)
def requester_remove(request: HttpRequest, idea_id: RecordId, customer_id: RecordId) -> Any:
    svc.requester_remove(actor=request.user, idea=_idea(idea_id), customer_id=customer_id)
    return Status(204, None)


@router.post(
    "/ideas/{idea_id}/tell",
    response={200: TellOut, **WRITE_ERRORS},
    summary="Tell the requesters the idea's status",
    description="Emails each requester not yet told the current status, where consent "
    "allows service email, in their language; logs it on their timeline. The answer says "
    "who was told and why the others were not. 422 while the idea is new.",
)
def idea_tell(request: HttpRequest, idea_id: RecordId) -> Any:
    report = svc.idea_tell(actor=request.user, idea=_idea(idea_id))
    return {
        "idea_id": report.idea_id,
        "status": report.status,
        "sent": report.sent,
        "skipped": report.skipped,
        "outcomes": [vars(outcome) for outcome in report.outcomes],
    }


# --- Programmes -----------------------------------------------------------------------


@router.get(
    "/programmes",
    response={200: list[MembershipOut], **ERRORS},
    summary="Programme members",
    description="Early adopters and potential references among the customers you can see.",
)
@paginate(PagePagination)
def membership_list(request: HttpRequest, filters: Query[MembershipFilters]) -> Any:
    rows = ProgrammeMembership.objects.filter(
        visibility.visible_through(request.user, "customer")
    ).order_by("-joined_at", "-id")
    if filters.programme:
        rows = rows.filter(programme=filters.programme)
    if filters.customer_id:
        rows = rows.filter(customer_id=filters.customer_id)
    return rows


@router.post(
    "/programmes",
    response={201: MembershipOut, **WRITE_ERRORS},
    summary="Put a customer in a programme",
    description="early_adopter: `customer_id` (409 if already in). reference: "
    "`response_id` of a promoter answer; also tags the customer 'advocate' when the "
    "value settings' trust tags include it.",
)
def membership_add(request: HttpRequest, payload: MembershipIn) -> Any:
    if payload.programme == Programme.REFERENCE:
        if payload.response_id is None:
            raise ValidationFailed(
                _("Name the promoter's response."),
                details={"response_id": [_("Required for a reference.")]},
            )
        response = response_for(request.user, payload.response_id)
        membership = programmes.reference_flag(
            actor=request.user, response=response, note=payload.note
        )
        return Status(201, membership)
    if payload.customer_id is None:
        raise ValidationFailed(_("Name the customer."), details={"customer_id": [_("Required.")]})
    customer = visibility.get_visible(request.user, Customer.objects.all(), pk=payload.customer_id)
    membership = programmes.programme_join(
        actor=request.user, customer=customer, programme=payload.programme, note=payload.note
    )
    return Status(201, membership)


@router.delete(
    "/programmes/{programme}/{customer_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Take a customer out of a programme",
)
def membership_remove(request: HttpRequest, programme: ProgrammeName, customer_id: RecordId) -> Any:
    customer = visibility.get_visible(request.user, Customer.objects.all(), pk=customer_id)
    programmes.programme_leave(actor=request.user, customer=customer, programme=programme)
    return Status(204, None)
