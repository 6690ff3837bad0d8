"""REST endpoints for survey responses: list (filters, cursor pagination) and read
them among the customers you can see, enter one taken by phone or on paper, tag one.

Responses follow their customer's visibility; the closed loop's status and its
follow-up ticket come with each one."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any, Literal

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt

from patron.core import visibility
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, RecordId
from patron.core.errors import NotFound, ValidationFailed
from patron.core.visibility import MAX_ID
from patron.customers.api_common import Moment, TagName, text
from patron.feedback.models import Invitation, Response, Survey
from patron.feedback.responding import response_enter

router = Router(tags=["Survey responses"])

BandName = Literal["favourable", "neutral", "unfavourable"]
LoopName = Literal["none", "open", "closed"]
LOOP_VALUES = {"none": Response.Loop.NONE, "open": Response.Loop.OPEN}
LOOP_VALUES["closed"] = Response.Loop.CLOSED
MAX_SIZE = 200


class ResponseOut(Schema):
    id: int
    survey_id: int
    survey_name: str
    customer_id: int
    customer_name: str
    invitation_id: int | None = Field(..., description="None: entered by staff without one")
    submitted_at: dt.datetime
    language: str
    score: int | None = Field(..., description="NPS 0-10, CSAT 1-5, CES 1-7; None: no score")
    band: BandName | None = Field(
        ...,
        description="NPS 9-10 / 7-8 / 0-6, CSAT 4-5 / 3 / 1-2, CES 1-2 / 3-5 / 6-7",
    )
    comment: str = Field(..., description="Why, in the customer's words")
    answers: dict[str, Any] = Field(..., description="Every answer by question key")
    trigger: str = Field(..., description="The touchpoint the invitation followed")
    owner_id: int | None = Field(..., description="The customer's owner when answering")
    team_id: int | None
    value_tier: str
    tags: list[str]
    loop: LoopName = Field(
        ...,
        description="none: no follow-up needed; open: the follow-up ticket waits for a "
        "reply to the customer; closed: the customer was answered",
    )
    follow_up_ticket_id: int | None
    loop_closed_at: dt.datetime | None
    time_to_close_seconds: int | None = Field(..., description="loop_closed_at - submitted_at")
    reference_flagged_at: dt.datetime | None

    @staticmethod
    def resolve_survey_name(obj: Response) -> str:
        return obj.survey.name

    @staticmethod
    def resolve_customer_name(obj: Response) -> str:
        return obj.customer.display_name

    @staticmethod
    def resolve_band(obj: Response) -> str | None:
        return obj.band or None

    @staticmethod
    def resolve_tags(obj: Response) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())

    @staticmethod
    def resolve_loop(obj: Response) -> str:
        return obj.loop or "none"

    @staticmethod
    def resolve_time_to_close_seconds(obj: Response) -> int | None:
        if obj.loop_closed_at is None:
            return None
        return int((obj.loop_closed_at - obj.submitted_at).total_seconds())


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None = Field(..., description="Send it as `cursor` for the next page")


class ResponseFilters(Schema):
    survey_id: RecordId | None = None
    customer_id: RecordId | None = None
    band: BandName | None = None
    loop: LoopName | None = None
    since: Moment | None = Field(None, description="Answered at or after")
    until: Moment | None = Field(None, description="Answered before")
    tag: TagName | None = Field(None, description="Tagged with this tag (any case)")
    cursor: str | None = Field(None, max_length=200)
    size: int = Field(50, ge=1, le=MAX_SIZE)


class ResponseIn(InputSchema):
    invitation_id: RecordId | None = Field(
        None, description="The invitation answered (or give survey_id and customer_id)"
    )
    survey_id: RecordId | None = None
    customer_id: RecordId | None = None
    answers: dict[text(60, 1), StrictInt | text(2000) | None] = Field(
        ..., description='By question key, e.g. {"score": 9}; choices by their key'
    )
    comment: text(2000) = Field("", description="Why")
    language: text(8) = Field("", description="Default: the invitation's or the customer's")
    submitted_at: Moment | None = Field(None, description="When it was given (default: now)")


class ResponsePatch(InputSchema):
    tags: list[TagName] | None = Field(
        None, max_length=50, description="Replaces the tags; new names create tags"
    )


def _encode(response: Response) -> str:
    text_ = json.dumps([response.submitted_at.isoformat(), response.pk])
    return base64.urlsafe_b64encode(text_.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        moment, pk = json.loads(raw)
        at = dt.datetime.fromisoformat(moment)
        if at.tzinfo is None or not dt.MINYEAR < at.year < dt.MAXYEAR:
            raise ValueError
        if isinstance(pk, bool) or not isinstance(pk, int) or not 1 <= pk <= MAX_ID:
            raise ValueError
        return at, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            _("This cursor is not one this list gave out; start from the first page."),
            details={"cursor": [_("Not a cursor of this list.")]},
        ) from exc


def _visible(request: HttpRequest) -> models.QuerySet[Response]:
    return Response.objects.filter(visibility.visible_through(request.user, "customer"))


def _one(request: HttpRequest, response_id: int) -> Response:
    response = (
        _visible(request)
        .select_related("survey", "customer")
        .prefetch_related("tags")
        .filter(pk=response_id)
        .first()
    )
    if response is None:
        raise NotFound(_("Not found."))
    return response


@router.get(
    "/responses",
    response={200: ResponsePage, **ERRORS},
    summary="List survey responses",
    description="Responses of the customers you can see, newest first; `next_cursor` "
    "pages on. Filters combine.",
)
def response_list(request: HttpRequest, filters: Query[ResponseFilters]) -> Any:
    rows = _visible(request)
    if filters.survey_id:
        rows = rows.filter(survey_id=filters.survey_id)
    if filters.customer_id:
        rows = rows.filter(customer_id=filters.customer_id)
    if filters.band:
        rows = rows.filter(band=filters.band)
    if filters.loop:
        rows = rows.filter(loop=LOOP_VALUES[filters.loop])
    if filters.since:
        rows = rows.filter(submitted_at__gte=filters.since)
    if filters.until:
        rows = rows.filter(submitted_at__lt=filters.until)
    if filters.tag:
        rows = rows.filter(tags__name__iexact=filters.tag)
    if filters.cursor:
        at, pk = _decode(filters.cursor)
        rows = rows.filter(models.Q(submitted_at__lt=at) | models.Q(submitted_at=at, pk__lt=pk))
    page = list(
        rows.select_related("survey", "customer")
        .prefetch_related("tags")
        .order_by("-submitted_at", "-pk")[: filters.size + 1]
    )
    more = len(page) > filters.size
    page = page[: filters.size]
    return {"items": page, "next_cursor": _encode(page[-1]) if more and page else None}


@router.get(
    "/responses/{response_id}",
    response={200: ResponseOut, **ERRORS},
    summary="Read a survey response",
)
def response_get(request: HttpRequest, response_id: RecordId) -> Any:
    return _one(request, response_id)


@router.post(
    "/responses",
    response={201: ResponseOut, **WRITE_ERRORS},
    summary="Enter a survey response",
    description="A response given by phone or on paper: for an invitation (even an "
    "expired one), or for a survey and a customer. Validated like the public page (422 "
    "with the errors by question key); an invitation answered already gives 409. A low "
    "score opens the closed loop as on the public page.",
)
def response_create(request: HttpRequest, payload: ResponseIn) -> Any:
    invitation = survey = customer = None
    if payload.invitation_id is not None:
        if payload.survey_id is not None or payload.customer_id is not None:
            message = _("Give an invitation, or a survey and a customer, not both.")
            raise ValidationFailed(message, details={"invitation_id": [message]})
        invitation = (
            Invitation.objects.filter(pk=payload.invitation_id)
            .filter(visibility.visible_through(request.user, "customer"))
            .select_related("survey", "customer")
            .first()
        )
        if invitation is None:
            raise NotFound(_("No invitation %(id)s.") % {"id": payload.invitation_id})
    else:
        errors = {}
        if payload.survey_id is None:
            errors["survey_id"] = [_("Give the survey (or an invitation_id).")]
        if payload.customer_id is None:
            errors["customer_id"] = [_("Give the customer (or an invitation_id).")]
        if errors:
            raise ValidationFailed(
                _("Give an invitation, or a survey and a customer."), details=errors
            )
        survey = Survey.objects.filter(pk=payload.survey_id).first()
        if survey is None:
            message = _("No survey %(id)s.") % {"id": payload.survey_id}
            raise ValidationFailed(message, details={"survey_id": [message]})
        from patron.customers import selectors as customer_selectors

        customer = customer_selectors.customer_get(
            viewer=request.user, customer_id=payload.customer_id
        )
    response = response_enter(
        actor=request.user,
        answers=payload.answers,
        comment=payload.comment,
        invitation=invitation,
        survey=survey,
        customer=customer,
        language=payload.language,
        submitted_at=payload.submitted_at,
    )
    return Status(201, _one(request, response.pk))


@router.patch(
    "/responses/{response_id}",
    response={200: ResponseOut, **WRITE_ERRORS},
    summary="Tag a survey response",
    description="`tags` replaces the response's tags (as the results page's verbatim "
    "tagging does); agents and up, on a customer they can see.",
)
def response_update(request: HttpRequest, response_id: RecordId, payload: ResponsePatch) -> Any:
    from patron.feedback.results import response_tags_set

    response = _one(request, response_id)
    if payload.tags is not None:
        response_tags_set(actor=request.user, response=response, names=list(payload.tags))
    return _one(request, response_id)
