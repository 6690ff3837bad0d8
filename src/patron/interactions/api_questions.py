"""REST endpoints of the drip dialogue: the question bank (/questions, changed by admins)
and a customer's answers (/customers/{id}/answers)."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.interactions import selectors, services
from patron.interactions.api_common import (
    ChannelName,
    customer_of,
    question_by_ref,
    text,
    user_name,
)
from patron.interactions.models import Answer

router = Router(tags=["questions and answers"])
answers = Router(tags=["questions and answers"])

AnswerType = Literal["choice", "text", "number", "date"]
Stage = Literal["prospect", "customer", "lost", "partner"]
AppliesToKind = Literal["", "person", "organization"]
QuestionKey = text(60, 1)
QuestionText = text(255, 1)
HelpText = text(255)
QuestionRef = Annotated[
    RecordId | QuestionKey,
    Field(description="The question's key (such as `employees`) or its id"),
]
AnswerText = text(500)
AnswerValue = AnswerText | int | float | None
Choice = text(200, 1)
Choices = list[Choice]
Tag = text(60, 1)
Tags = list[Tag]
Priority = Annotated[int, Field(ge=0, le=32767, description="Higher is asked first")]
AskAgainDays = Annotated[
    int | None,
    Field(ge=1, le=36500, description="An answer older than this is asked again; null: never"),
]


class QuestionOut(Schema):
    id: int
    key: str
    text: str
    help_text: str = Field(..., description="Why we ask")
    answer_type: AnswerType
    choices: list[str]
    applies_to_kind: AppliesToKind = Field(..., description="Empty: people and organizations")
    applies_to_stages: list[str] = Field(..., description="Empty: every lifecycle stage")
    applies_to_tags: list[str] = Field(..., description="Empty: every customer")
    priority: int
    active: bool
    ask_again_after_days: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class QuestionIn(InputSchema):
    key: QuestionKey = Field(..., description="A slug: letters, digits, - and _")
    text: QuestionText
    help_text: HelpText = ""
    answer_type: AnswerType = "text"
    choices: Choices = Field(default_factory=list, max_length=50, description="For `choice`")
    applies_to_kind: AppliesToKind = ""
    applies_to_stages: list[Stage] = Field(default_factory=list, max_length=4)
    applies_to_tags: Tags = Field(default_factory=list, max_length=50)
    priority: Priority = 50
    active: bool = True
    ask_again_after_days: AskAgainDays = None


class QuestionPatch(InputSchema):
    key: QuestionKey | None = None
    text: QuestionText | None = None
    help_text: HelpText | None = None
    answer_type: AnswerType | None = None
    choices: Choices | None = Field(None, max_length=50)
    applies_to_kind: AppliesToKind | None = None
    applies_to_stages: list[Stage] | None = Field(None, max_length=4)
    applies_to_tags: Tags | None = Field(None, max_length=50)
    priority: Priority | None = None
    active: bool | None = None
    ask_again_after_days: AskAgainDays = None


class QuestionFilters(Schema):
    active: bool = Field(False, description="Only the questions still asked")


class AnswerOut(Schema):
    id: int
    customer_id: int
    question_id: int
    question_key: str
    question: str = Field(..., description="The question's text")
    value: str = Field(..., description="Canonical: ISO date, plain decimal, the choice")
    skipped: bool = Field(..., description="The customer would rather not say")
    answered_at: dt.datetime
    answered_by_id: int | None
    answered_by: str | None = Field(..., description="Who heard it")
    channel: ChannelName | Literal[""]
    interaction_id: int | None

    @staticmethod
    def resolve_question_key(obj: Answer) -> str:
        return obj.question.key

    @staticmethod
    def resolve_question(obj: Answer) -> str:
        return obj.question.text

    @staticmethod
    def resolve_answered_by(obj: Answer) -> str | None:
        return user_name(obj.answered_by)


class AnswerIn(InputSchema):
    question: QuestionRef
    value: AnswerValue = Field(None, description="Required unless `skipped`")
    skipped: bool = Field(False, description="Record that the customer would rather not say")
    channel: ChannelName | Literal[""] = Field("", description="Where it was heard")


# --- The question bank -----------------------------------------------------------------------


@router.get(
    "",
    response={200: list[QuestionOut], **ERRORS},
    summary="List the question bank",
    description="Highest priority first: the order in which they are proposed.",
)
@paginate(PagePagination)
def question_list(request: HttpRequest, filters: Query[QuestionFilters]) -> Any:
    return selectors.question_list(active_only=filters.active)


@router.post(
    "",
    response={201: QuestionOut, **WRITE_ERRORS},
    summary="Add a question (admins)",
    description="Only admins change the question bank; others get 403.",
)
def question_create(request: HttpRequest, payload: QuestionIn) -> Any:
    question = services.question_save(actor=request.user, **payload.model_dump())
    return Status(201, question)


@router.get("/{question_id}", response={200: QuestionOut, **ERRORS}, summary="Get a question")
def question_get(request: HttpRequest, question_id: RecordId) -> Any:
    return selectors.question_get(question_id=question_id)


@router.patch(
    "/{question_id}",
    response={200: QuestionOut, **WRITE_ERRORS},
    summary="Change a question (admins)",
    description="Send only the fields that change.",
)
def question_update(request: HttpRequest, question_id: RecordId, payload: QuestionPatch) -> Any:
    question = selectors.question_get(question_id=question_id)
    fields = payload.model_dump(exclude_unset=True)
    # null means "leave as is", except for ask_again_after_days where it means "never".
    fields = {k: v for k, v in fields.items() if v is not None or k == "ask_again_after_days"}
    return services.question_save(actor=request.user, question=question, **fields)


@router.delete(
    "/{question_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a question (admins)",
    description="A question that has answers is retired (made inactive) instead, so that "
    "its answers keep their meaning.",
)
def question_delete(request: HttpRequest, question_id: RecordId) -> Any:
    question = selectors.question_get(question_id=question_id)
    services.question_delete(actor=request.user, question=question)
    return Status(204, None)


# --- A customer's answers ---------------------------------------------------------------------


@answers.get(
    "/{customer_id}/answers",
    response={200: list[AnswerOut], **ERRORS},
    summary="A customer's answers, newest first",
    description="Every answer is kept, skips included: the newest one to a question counts.",
)
@paginate(PagePagination)
def answer_history(request: HttpRequest, customer_id: RecordId) -> Any:
    return selectors.answer_history(customer=customer_of(request, customer_id))


@answers.post(
    "/{customer_id}/answers",
    response={201: AnswerOut, **WRITE_ERRORS},
    summary="Record a customer's answer",
    description="`question` is a key or an id. The value is checked against the question's "
    "type (a choice, a number, a YYYY-MM-DD date, text). `skipped: true` records that the "
    "customer would rather not say: the question is not proposed again for a while.",
)
def answer_record(request: HttpRequest, customer_id: RecordId, payload: AnswerIn) -> Any:
    customer = customer_of(request, customer_id)
    question = question_by_ref(payload.question, "question")
    answer = services.answer_record(
        actor=request.user,
        customer=customer,
        question=question,
        value=payload.value,
        skipped=payload.skipped,
        channel=payload.channel,
    )
    return Status(201, answer)
