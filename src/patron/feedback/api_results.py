"""REST endpoints for survey results: a survey's score with its trend and one
breakdown (from the roll-ups), its verbatims (cursor pagination, among the customers
you can see), and the tags of a verbatim."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, RecordId
from patron.core.errors import NotFound
from patron.feedback import results as res
from patron.feedback.models import Response, Survey

router = Router(tags=["Survey results"])

BandName = Literal["favourable", "neutral", "unfavourable"]
ByName = Literal["segment", "tier", "trigger", "owner", "team"]


class ScoreOut(Schema):
    responses: int
    scored: int = Field(..., description="Responses with a score")
    value: float | None = Field(
        ...,
        description="NPS: % promoters minus % detractors (-100…100); CSAT: % satisfied "
        "(4-5); CES: mean effort (1-7, lower is better); null without scored responses",
    )
    mean: float | None
    favourable: int
    neutral: int
    unfavourable: int
    favourable_pct: int | None
    neutral_pct: int | None
    unfavourable_pct: int | None
    low_count: bool = Field(..., description=f"Fewer than {res.LOW_COUNT} scored responses")


class PointOut(Schema):
    start: dt.date = Field(..., description="First day of the week (Monday) or month")
    label: str
    score: ScoreOut


class BreakdownOut(Schema):
    key: str = Field(..., description="Touchpoint, tier, user id, team id or segment id")
    label: str
    score: ScoreOut


class ResultsOut(Schema):
    survey_id: int
    kind: str
    start: dt.date
    end: dt.date
    period: Literal["week", "month"]
    by: ByName
    total: ScoreOut
    trend: list[PointOut]
    breakdown: list[BreakdownOut]


class ResultsQuery(Schema):
    from_: dt.date | None = Field(None, alias="from", description="Default: 12 months ago")
    to: dt.date | None = Field(None, description="Inclusive; default: today (UTC)")
    period: Literal["week", "month"] = "month"
    by: ByName = "trigger"


class VerbatimOut(Schema):
    id: int
    survey_id: int
    customer_id: int
    customer_name: str
    submitted_at: dt.datetime
    language: str
    score: int | None
    band: str
    comment: str
    trigger: str
    loop: str
    tags: list[str]

    @staticmethod
    def resolve_customer_name(obj: Response) -> str:
        return obj.customer.display_name

    @staticmethod
    def resolve_tags(obj: Response) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())


class VerbatimPageOut(Schema):
    items: list[VerbatimOut] = Field(..., description="Newest first")
    next_cursor: str | None = Field(..., description="null: this was the last page")


class VerbatimQuery(Schema):
    band: BandName | None = None
    tag: str | None = Field(None, max_length=60)
    by: ByName | None = Field(None, description="With `key`: one value of a breakdown")
    key: str | None = Field(None, max_length=40)
    q: str | None = Field(None, max_length=200, description="Words in the comment")
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    cursor: str | None = Field(None, max_length=200)
    size: int = Field(res.VERBATIM_PAGE, ge=1, le=res.MAX_VERBATIM_PAGE)


class TagsIn(InputSchema):
    names: list[str] = Field(..., max_length=res.MAX_TAGS, description="Replaces the tags")


class TagsOut(Schema):
    response_id: int
    tags: list[str]


def _survey(survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise NotFound(_("Not found."))
    return survey


def _score(score: res.Score) -> dict[str, Any]:
    return score.as_dict()


@router.get(
    "/survey-results/{survey_id}",
    response={200: ResultsOut, **ERRORS},
    summary="A survey's results",
    description="The score over the period, its trend per week or month and a breakdown "
    "by one dimension, summed from the daily roll-ups (aggregates, seen by all staff). "
    "Rows with fewer than 10 scored responses say `low_count`.",
)
def survey_results(request: HttpRequest, survey_id: RecordId, query: Query[ResultsQuery]) -> Any:
    survey = _survey(survey_id)
    data = res.results(
        survey_ids=[survey.pk],
        kind=survey.kind,
        start=query.from_,
        end=query.to,
        period=query.period,
        by=query.by,
    )
    return {
        "survey_id": survey.pk,
        "kind": survey.kind,
        "start": data.start,
        "end": data.end,
        "period": data.period,
        "by": data.by,
        "total": _score(data.total),
        "trend": [
            {"start": p.start, "label": p.label, "score": _score(p.score)} for p in data.trend
        ],
        "breakdown": [
            {"key": r.key, "label": r.label, "score": _score(r.score)} for r in data.breakdown
        ],
    }


@router.get(
    "/survey-results/{survey_id}/verbatims",
    response={200: VerbatimPageOut, **ERRORS},
    summary="What customers wrote",
    description="Responses with a comment, newest first, of the customers you can see. "
    "Send `next_cursor` back as `cursor` for the next page.",
)
def survey_verbatims(request: HttpRequest, survey_id: RecordId, query: Query[VerbatimQuery]) -> Any:
    survey = _survey(survey_id)
    page = res.verbatims(
        request.user,
        survey_ids=[survey.pk],
        band=query.band or "",
        tag=query.tag or "",
        by=query.by or "",
        key=query.key or "",
        text=query.q or "",
        start=query.from_,
        end=query.to,
        cursor=query.cursor,
        size=query.size,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.put(
    "/survey-results/verbatims/{response_id}/tags",
    response={200: TagsOut, **WRITE_ERRORS},
    summary="Tag a verbatim",
    description="Replaces the response's tags; new names create tags (the case of an "
    "existing tag wins). Agents and up, on a customer they can see.",
)
def verbatim_tags_set(request: HttpRequest, response_id: RecordId, payload: TagsIn) -> Any:
    response = res.response_for(request.user, response_id)
    tags = res.response_tags_set(actor=request.user, response=response, names=payload.names)
    return {"response_id": response.pk, "tags": tags}
