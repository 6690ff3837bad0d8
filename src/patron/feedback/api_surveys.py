"""REST endpoints for surveys (settings, questions, language versions), sending a survey
to a segment, and invitations (by email or by link).

Everyone signed in reads surveys; admins and managers change them and send them to
segments. Invitations are read as their customers are: an agent sees and makes the
invitations of the customers they may see."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import NotFound
from patron.core.visibility import get_visible
from patron.customers.api_common import text
from patron.customers.models import Customer
from patron.feedback import selectors, services
from patron.feedback.invitations import invite_by_staff, send_to_segment
from patron.feedback.models import Invitation, Question, Survey, SurveyVersion
from patron.feedback.tokens import answer_url

router = Router(tags=["Surveys"])

KindName = Literal["nps", "csat", "ces", "custom"]
StatusName = Literal["draft", "active", "archived"]
TriggerName = Literal["manual", "ticket_resolved", "order_delivered", "after_first_purchase"]
QuestionKind = Literal["choice", "text", "scale"]
Days = Field(None, ge=0, le=services.MAX_DAYS)


# --- Schemas ---------------------------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    key: str
    kind: str = Field(..., description="nps, csat, ces (the score question), choice, text, scale")
    position: int
    required: bool
    scale_min: int | None
    scale_max: int | None
    choices: list[str] = Field(..., description="Choice keys (labels are in the versions)")


class VersionOut(Schema):
    language: str
    title: str
    intro: str
    why: str = Field(..., description="The follow-up asked after the score")
    questions: dict[str, Any] = Field(
        ..., description="Question key → {text, help?, choices?: {key: label}}"
    )
    thank_you: str
    email_subject: str
    email_body: str = Field(..., description="Contains {link}; may use {name} and {survey}")


class SurveyOut(Schema):
    id: int
    name: str
    kind: KindName
    status: StatusName
    default_language: str
    trigger: TriggerName
    trigger_days: int | None
    cooldown_days: int
    valid_days: int
    sent_count: int = Field(0, description="Invitations sent (or answered)")
    response_count: int = Field(0)
    created_at: dt.datetime
    updated_at: dt.datetime


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]
    versions: list[VersionOut]

    @staticmethod
    def resolve_questions(obj: Survey) -> list[Question]:
        return list(obj.questions.all())

    @staticmethod
    def resolve_versions(obj: Survey) -> list[SurveyVersion]:
        return list(obj.versions.all())


class SurveyIn(InputSchema):
    name: text(150, 1)  # type: ignore[valid-type]
    kind: KindName
    default_language: text(8, 2) = "en"  # type: ignore[valid-type]
    trigger: TriggerName = "manual"
    trigger_days: int | None = Days
    cooldown_days: int = Field(90, ge=0, le=services.MAX_DAYS)
    valid_days: int = Field(30, ge=1, le=services.MAX_DAYS)
    languages: list[text(16, 2)] | None = Field(  # type: ignore[valid-type]
        None,
        max_length=20,
        description="Versions to create with the default texts (default: the languages of "
        "the interface)",
    )


class SurveyPatch(InputSchema):
    name: text(150, 1) | None = None  # type: ignore[valid-type]
    kind: KindName | None = Field(None, description="Only while a draft never sent")
    status: StatusName | None = Field(
        None, description="active needs a version in the default language"
    )
    default_language: text(8, 2) | None = None  # type: ignore[valid-type]
    trigger: TriggerName | None = None
    trigger_days: int | None = Days
    cooldown_days: int | None = Days
    valid_days: int | None = Field(None, ge=1, le=services.MAX_DAYS)


class QuestionIn(InputSchema):
    key: text(60, 1)  # type: ignore[valid-type]
    kind: QuestionKind
    required: bool = False
    scale_min: int | None = Field(None, ge=-100, le=100)
    scale_max: int | None = Field(None, ge=-100, le=100)
    choices: list[text(40, 1)] = Field(default_factory=list, max_length=30)  # type: ignore[valid-type]
    position: int | None = Field(None, ge=1, le=1000)


class QuestionPatch(InputSchema):
    key: text(60, 1) | None = None  # type: ignore[valid-type]
    kind: QuestionKind | None = None
    required: bool | None = None
    scale_min: int | None = Field(None, ge=-100, le=100)
    scale_max: int | None = Field(None, ge=-100, le=100)
    choices: list[text(40, 1)] | None = Field(None, max_length=30)  # type: ignore[valid-type]
    position: int | None = Field(None, ge=1, le=1000)


class VersionIn(InputSchema):
    title: text(200) | None = None  # type: ignore[valid-type]
    intro: text(5000) | None = None  # type: ignore[valid-type]
    why: text(300) | None = None  # type: ignore[valid-type]
    questions: dict[str, Any] | None = None
    thank_you: text(5000) | None = None  # type: ignore[valid-type]
    email_subject: text(200) | None = None  # type: ignore[valid-type]
    email_body: text(10000) | None = None  # type: ignore[valid-type]


class SendIn(InputSchema):
    segment: RecordId | text(120, 1) = Field(  # type: ignore[valid-type]
        ..., description="The segment's id or exact name"
    )
    dry_run: bool = Field(True, description="Count only; false invites for real")


class SampleOut(Schema):
    customer_id: int
    name: str
    outcome: str
    label: str


class SendOut(Schema):
    survey_id: int
    segment_id: int
    dry_run: bool
    members: int
    would_invite: int = Field(..., description="Emailed at the next run of the sending job")
    delayed_quiet_hours: int = Field(..., description="Emailed when their quiet hours end")
    skipped: dict[str, int] = Field(
        ..., description="By reason: no_consent, no_email, cooldown, frequency_cap, other"
    )
    skipped_total: int
    created: int = Field(..., description="Invitations stored (0 on a dry run)")
    sample: list[SampleOut] = Field(..., description="The first customers and their outcome")


class InvitationOut(Schema):
    id: int
    survey_id: int
    customer_id: int
    customer_name: str
    via: Literal["email", "link"]
    status: Literal["pending", "sent", "skipped", "responded", "failed"]
    skip_reason: str
    language: str
    trigger: str
    ticket_id: int | None
    order_id: int | None
    about_user_id: int | None
    created_at: dt.datetime
    send_after: dt.datetime | None
    sent_at: dt.datetime | None
    expires_at: dt.datetime
    opened_at: dt.datetime | None
    responded_at: dt.datetime | None
    url: str | None = Field(
        None, description="The answer page (link invitations, to hand to the customer)"
    )

    @staticmethod
    def resolve_customer_name(obj: Invitation) -> str:
        return obj.customer.display_name

    @staticmethod
    def resolve_url(obj: Invitation) -> str | None:
        if obj.via != Invitation.Via.LINK or obj.status != Invitation.Status.SENT:
            return None
        return getattr(obj, "url", None) or answer_url(obj)


class InvitationIn(InputSchema):
    survey_id: RecordId
    customer_id: RecordId
    via: Literal["email", "link"] = Field(
        "link", description="link: answered at once with the URL; email: sent by the job"
    )


class InvitationFilters(Schema):
    survey: RecordId | None = None
    customer: RecordId | None = None
    status: Literal["pending", "sent", "skipped", "responded", "failed"] | None = None
    via: Literal["email", "link"] | None = None


class SurveyFilters(Schema):
    q: text(200) = Field("", description="A part of the name")  # type: ignore[valid-type]
    status: StatusName | None = None
    kind: KindName | None = None


# --- Surveys ---------------------------------------------------------------------------------


def _survey(request: HttpRequest, survey_id: int, counts: bool = False) -> Survey:
    return selectors.survey_get(viewer=request.user, survey_id=survey_id, counts=counts)


@router.get(
    "/surveys",
    response={200: list[SurveyOut], **ERRORS},
    summary="List surveys",
    description="Every survey with its invitations sent and responses.",
)
@paginate(PagePagination)
def survey_list(request: HttpRequest, filters: Query[SurveyFilters]) -> Any:
    return selectors.survey_list(
        viewer=request.user, query=filters.q, status=filters.status or "", kind=filters.kind or ""
    )


@router.post(
    "/surveys",
    response={201: SurveyDetailOut, **WRITE_ERRORS},
    summary="Create a survey",
    description="In draft. NPS, CSAT and CES surveys get their score question first; each "
    "language in `languages` gets a version with the default texts. Admins and managers.",
)
def survey_create(request: HttpRequest, payload: SurveyIn) -> Any:
    data = payload.model_dump()
    survey = services.survey_create(actor=request.user, **data)
    return Status(201, _survey(request, survey.pk, counts=True))


@router.get(
    "/surveys/{survey_id}",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Get a survey",
    description="With its questions and language versions.",
)
def survey_get(request: HttpRequest, survey_id: RecordId) -> Any:
    return _survey(request, survey_id, counts=True)


@router.patch(
    "/surveys/{survey_id}",
    response={200: SurveyDetailOut, **WRITE_ERRORS},
    summary="Change a survey",
    description="Send only what changes; `status` activates or archives it.",
)
def survey_update(request: HttpRequest, survey_id: RecordId, payload: SurveyPatch) -> Any:
    survey = _survey(request, survey_id)
    data = payload.model_dump(exclude_unset=True)
    status = data.pop("status", None)
    data = {k: v for k, v in data.items() if v is not None or k == "trigger_days"}
    if data:
        services.survey_update(actor=request.user, survey=survey, **data)
    if status:
        services.require_edit(request.user)
        services.survey_set_status(actor=request.user, survey=survey, status=status)
    elif not data:
        services.require_edit(request.user)
    return _survey(request, survey_id, counts=True)


# --- Questions -------------------------------------------------------------------------------


@router.get(
    "/surveys/{survey_id}/questions",
    response={200: list[QuestionOut], **ERRORS},
    summary="A survey's questions",
)
def question_list(request: HttpRequest, survey_id: RecordId) -> Any:
    return list(_survey(request, survey_id).questions.all())


@router.post(
    "/surveys/{survey_id}/questions",
    response={201: QuestionOut, **WRITE_ERRORS},
    summary="Add a custom question",
    description="choice (with `choices` keys; labels per language in the versions), text, "
    "or scale (`scale_min` < `scale_max`).",
)
def question_add(request: HttpRequest, survey_id: RecordId, payload: QuestionIn) -> Any:
    survey = _survey(request, survey_id)
    data = payload.model_dump()
    return Status(201, services.question_add(actor=request.user, survey=survey, **data))


@router.patch(
    "/surveys/{survey_id}/questions/{question_id}",
    response={200: QuestionOut, **WRITE_ERRORS},
    summary="Change a custom question",
)
def question_update(
    request: HttpRequest, survey_id: RecordId, question_id: RecordId, payload: QuestionPatch
) -> Any:
    survey = _survey(request, survey_id)
    question = selectors.question_get(survey=survey, question_id=question_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.question_update(actor=request.user, question=question, **data)


@router.delete(
    "/surveys/{survey_id}/questions/{question_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a custom question",
    description="The score question cannot be removed.",
)
def question_delete(request: HttpRequest, survey_id: RecordId, question_id: RecordId) -> Any:
    survey = _survey(request, survey_id)
    question = selectors.question_get(survey=survey, question_id=question_id)
    services.question_delete(actor=request.user, question=question)
    return Status(204, None)


# --- Versions --------------------------------------------------------------------------------


@router.get(
    "/surveys/{survey_id}/versions",
    response={200: list[VersionOut], **ERRORS},
    summary="A survey's language versions",
)
def version_list(request: HttpRequest, survey_id: RecordId) -> Any:
    return list(_survey(request, survey_id).versions.all())


@router.put(
    "/surveys/{survey_id}/versions/{language}",
    response={200: VersionOut, **WRITE_ERRORS},
    summary="Create or change a language version",
    description="A new version starts from the default texts of its language; fields not "
    "sent keep their value. `email_body` must contain {link}.",
)
def version_put(
    request: HttpRequest, survey_id: RecordId, language: str, payload: VersionIn
) -> Any:
    survey = _survey(request, survey_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.version_put(actor=request.user, survey=survey, language=language[:16], **data)


# --- Sending ---------------------------------------------------------------------------------


@router.post(
    "/surveys/{survey_id}/send",
    response={200: SendOut, **WRITE_ERRORS},
    summary="Send a survey to a segment",
    description="By email, to every current member of the segment who may be asked "
    "(consent to surveys by email, an address, outside the cool-down and the frequency "
    "cap; quiet hours delay). `dry_run` (the default) only counts. Admins and managers.",
)
def survey_send(request: HttpRequest, survey_id: RecordId, payload: SendIn) -> Any:
    survey = _survey(request, survey_id)
    services.require_edit(request.user)
    segment = selectors.segment_find(str(payload.segment))
    report = send_to_segment(
        survey=survey, segment=segment, actor=request.user, dry_run=payload.dry_run
    )
    return report.as_dict()


# --- Invitations -----------------------------------------------------------------------------


@router.get(
    "/invitations",
    response={200: list[InvitationOut], **ERRORS},
    summary="List invitations",
    description="Newest first, of the customers you can see; skipped ones say why.",
)
@paginate(PagePagination)
def invitation_list(request: HttpRequest, filters: Query[InvitationFilters]) -> Any:
    return selectors.invitation_list(
        viewer=request.user,
        survey=filters.survey,
        customer=filters.customer,
        status=filters.status or "",
        via=filters.via or "",
    )


@router.post(
    "/invitations",
    response={201: InvitationOut, **WRITE_ERRORS},
    summary="Invite one customer",
    description="A link invitation answers with `url`, to hand to the customer; an email "
    "invitation is sent by the job within a minute (or when quiet hours end). A refused "
    "one is stored as `skipped` with the reason.",
)
def invitation_create(request: HttpRequest, payload: InvitationIn) -> Any:
    survey = _survey(request, payload.survey_id)
    try:
        customer = get_visible(request.user, Customer.objects.all(), pk=payload.customer_id)
    except NotFound as exc:
        raise NotFound(exc.message, details={"customer_id": [exc.message]}) from exc
    invitation = invite_by_staff(
        actor=request.user, survey=survey, customer=customer, via=payload.via
    )
    return Status(201, invitation)


@router.get(
    "/invitations/{invitation_id}",
    response={200: InvitationOut, **ERRORS},
    summary="Get an invitation",
)
def invitation_get(request: HttpRequest, invitation_id: RecordId) -> Any:
    return selectors.invitation_get(viewer=request.user, invitation_id=invitation_id)
