"""REST endpoints for interactions: what was said with a customer, when, on which channel.

The conversation's other resources have their own modules, mounted by patron.api:
api_tasks (/tasks), api_notes (notes and notifications), api_timeline (the timeline and
the brief), api_questions (the question bank and answers)."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import NotFound, ValidationFailed
from patron.customers import selectors as customer_selectors
from patron.customers.models import Customer
from patron.interactions import selectors, services
from patron.interactions.api_common import (
    ChannelName,
    DirectionName,
    Moment,
    customer_of,
    question_by_ref,
    text,
    user_by_id,
    user_name,
)
from patron.interactions.api_questions import AnswerOut, AnswerValue, QuestionRef
from patron.interactions.models import Interaction

router = Router(tags=["interactions"])

SentimentName = Literal["positive", "neutral", "negative"]
ExternalId = text(200, 1)
Summary = text(255)
Body = text(100_000)
Reason = text(120)
Device = text(60)
Outcome = text(120)


class InteractionOut(Schema):
    id: int
    external_id: str | None = Field(..., description="Its id in the system it came from")
    customer_id: int
    customer_name: str
    organization_id: int | None = Field(..., description="The organization spoken for")
    channel: ChannelName
    direction: DirectionName
    occurred_at: dt.datetime
    user_id: int | None = Field(..., description="The colleague who spoke with them")
    user_name: str | None
    summary: str
    body: str = Field(..., description="Sanitised HTML or plain text")
    reason: str
    device: str
    outcome: str
    sentiment: SentimentName | Literal[""] = Field(..., description="Set by people only")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_customer_name(obj: Interaction) -> str:
        return obj.customer.display_name

    @staticmethod
    def resolve_user_name(obj: Interaction) -> str | None:
        return user_name(obj.user)


class InteractionDetail(InteractionOut):
    answers: list[AnswerOut] = Field(..., description="The answers heard during it")

    @staticmethod
    def resolve_answers(obj: Interaction) -> list[Any]:
        return list(selectors.answer_history(customer=obj.customer).filter(interaction_id=obj.pk))


class HeardAnswer(InputSchema):
    question: QuestionRef
    value: AnswerValue = Field(None, description="Required unless `skipped`")
    skipped: bool = Field(False, description="The customer would rather not say")


class InteractionIn(InputSchema):
    customer_id: RecordId
    external_id: ExternalId | None = Field(
        None,
        description="Its id in the system it came from: sending it again updates that "
        "interaction (200) instead of logging a second one (201)",
    )
    channel: ChannelName
    direction: DirectionName = "inbound"
    occurred_at: Moment | None = Field(None, description="Default: now")
    user_id: RecordId | None = Field(None, description="Default: you")
    summary: Summary = Field(..., description="In a few words, what it was about")
    body: Body = ""
    reason: Reason = ""
    device: Device = ""
    outcome: Outcome = ""
    sentiment: SentimentName | Literal[""] = ""
    organization_id: RecordId | None = Field(None, description="The organization spoken for")
    answers: list[HeardAnswer] = Field(
        default_factory=list,
        max_length=50,
        description="Answers to the question bank heard during it; all saved or none",
    )


class InteractionPatch(InputSchema):
    channel: ChannelName | None = None
    direction: DirectionName | None = None
    occurred_at: Moment | None = None
    user_id: RecordId | None = Field(None, description="null: nobody")
    summary: Summary | None = None
    body: Body | None = None
    reason: Reason | None = None
    device: Device | None = None
    outcome: Outcome | None = None
    sentiment: SentimentName | Literal[""] | None = None
    organization_id: RecordId | None = Field(None, description="null: none")


class InteractionFilters(Schema):
    customer_id: RecordId | None = None
    channel: ChannelName | None = None
    direction: DirectionName | None = None
    user_id: RecordId | None = Field(None, description="The colleague who spoke with them")
    since: Moment | None = Field(None, description="From this moment (included)")
    until: Moment | None = Field(None, description="Up to this moment (excluded)")


# Fields a null value does not clear: they always have one.
_NOT_NULL = ("channel", "direction", "occurred_at", "summary", "body", "reason", "device")
_NOT_NULL += ("outcome", "sentiment")


def _fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """The service's fields from a body: ids become records (a 422 names a missing one)."""
    fields = {k: v for k, v in data.items() if not (v is None and k in _NOT_NULL)}
    if "user_id" in fields:
        fields["user"] = user_by_id(fields.pop("user_id"), "user_id")
    if "organization_id" in fields:
        fields["organization"] = _organization(request, fields.pop("organization_id"))
    return fields


def _organization(request: HttpRequest, organization_id: int | None) -> Customer | None:
    if organization_id is None:
        return None
    try:
        return customer_selectors.customer_get(viewer=request.user, customer_id=organization_id)
    except NotFound as exc:
        message = _("No organization with id %(id)s.") % {"id": organization_id}
        raise ValidationFailed(message, details={"organization_id": [message]}) from exc


@router.get(
    "",
    response={200: list[InteractionOut], **ERRORS},
    summary="List interactions",
    description="Newest first, on the customers you can see.",
)
@paginate(PagePagination)
def interaction_list(request: HttpRequest, filters: Query[InteractionFilters]) -> Any:
    return selectors.interaction_list(
        viewer=request.user,
        customer_id=filters.customer_id,
        channel=filters.channel or "",
        direction=filters.direction or "",
        user_id=filters.user_id,
        since=filters.since,
        until=filters.until,
    )


@router.post(
    "",
    response={200: InteractionDetail, 201: InteractionDetail, **WRITE_ERRORS},
    summary="Log an interaction (or update the one with the same external id)",
    description="Idempotent by `external_id`: an interaction already logged with it is "
    "updated with the fields you sent (200) instead of being logged twice (201); an "
    "external id of another customer's interaction answers 409. `answers` records what "
    "the customer answered to the question bank during it, all or nothing.",
)
def interaction_create(request: HttpRequest, payload: InteractionIn) -> Any:
    customer = customer_of(request, payload.customer_id)
    # Only what was sent: an update must not reset unsent fields to their defaults.
    data = payload.model_dump(exclude_unset=True, exclude={"customer_id", "answers"})
    fields = _fields(request, data)
    if not payload.answers:
        interaction, created = services.interaction_log(
            actor=request.user, customer=customer, **fields
        )
        return Status(201 if created else 200, interaction)
    heard = [
        (question_by_ref(item.question, f"answers.{i}.question"), item.value, item.skipped)
        for i, item in enumerate(payload.answers)
    ]
    known = bool(payload.external_id) and _logged(payload.external_id or "")
    interaction = services.interaction_with_answers(
        actor=request.user, customer=customer, answers=heard, **fields
    )
    return Status(200 if known else 201, interaction)


def _logged(external_id: str) -> bool:
    """Whether an interaction with this external id exists (the answer's status code)."""
    return Interaction.objects.filter(external_id=external_id.strip()).exists()


@router.get(
    "/{interaction_id}",
    response={200: InteractionDetail, **ERRORS},
    summary="Get an interaction",
    description="With the answers heard during it.",
)
def interaction_get(request: HttpRequest, interaction_id: RecordId) -> Any:
    return selectors.interaction_get(viewer=request.user, interaction_id=interaction_id)


@router.patch(
    "/{interaction_id}",
    response={200: InteractionDetail, **WRITE_ERRORS},
    summary="Change an interaction",
    description="Send only the fields that change.",
)
def interaction_update(
    request: HttpRequest, interaction_id: RecordId, payload: InteractionPatch
) -> Any:
    interaction = selectors.interaction_get(viewer=request.user, interaction_id=interaction_id)
    fields = _fields(request, payload.model_dump(exclude_unset=True))
    return services.interaction_update(actor=request.user, interaction=interaction, **fields)


@router.delete(
    "/{interaction_id}", response={204: None, **WRITE_ERRORS}, summary="Delete an interaction"
)
def interaction_delete(request: HttpRequest, interaction_id: RecordId) -> Any:
    interaction = selectors.interaction_get(viewer=request.user, interaction_id=interaction_id)
    services.interaction_delete(actor=request.user, interaction=interaction)
    return Status(204, None)
