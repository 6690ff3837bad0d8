"""GET /service/kpis: the numbers of the service KPIs page as JSON, for the tickets the
caller may see. Times are wall-clock hours, shares fractions from 0 to 1; the period is
whole UTC days (`from` and `to` included; the last 90 days by default)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from patron.core.api_base import ERRORS
from patron.service import kpis

router = Router(tags=["Service KPIs"])


class DurationsOut(Schema):
    count: int = Field(..., description="Tickets measured")
    median_hours: float | None
    p90_hours: float | None


class GroupOut(Schema):
    key: int | None = Field(..., description="The category's or team's id; null: none")
    label: str
    first_response: DurationsOut = Field(..., description="Tickets created in the period")
    resolution: DurationsOut = Field(..., description="Tickets resolved in the period")
    created: int
    resolved: int
    first_contact: int = Field(..., description="Of `resolved`, resolved on first contact")
    fcr_rate: float | None
    backlog: dict[str, int] = Field(..., description="Active tickets now, by age bucket")
    backlog_total: int
    deadlines: int = Field(..., description="SLA deadlines that fell in the period and passed")
    deadlines_met: int
    sla_compliance: float | None
    complaints: int
    orders: int
    complaints_per_1000_orders: float | None


class WeekOut(Schema):
    week_start: dt.date = Field(..., description="Monday (UTC)")
    resolution: DurationsOut
    complaints: int
    orders: int
    complaints_per_1000_orders: float | None


class PeriodOut(Schema):
    date_from: dt.date = Field(..., alias="from")
    date_to: dt.date = Field(..., alias="to")
    team: int | None
    category: int | None
    type: str
    priority: int | None


class KpisOut(Schema):
    period: PeriodOut
    as_of: dt.datetime = Field(..., description="The moment the backlog's ages are taken at")
    buckets: list[str] = Field(..., description="The backlog's age buckets, youngest first")
    overall: GroupOut
    by_category: list[GroupOut]
    by_team: list[GroupOut]
    weeks: list[WeekOut]


class KpisQuery(Schema):
    date_from: str | None = Field(None, alias="from", description="YYYY-MM-DD (UTC day)")
    date_to: str | None = Field(None, alias="to", description="YYYY-MM-DD, included")
    team: int | None = Field(None, ge=1)
    category: int | None = Field(None, ge=1)
    type: str | None = Field(None, description="complaint, question, request, incident")
    priority: int | None = Field(None, description="1 low to 4 urgent")


def _durations(d: kpis.Durations) -> dict:
    return {"count": d.count, "median_hours": d.median, "p90_hours": d.p90}


def _group(g: kpis.Group) -> dict:
    return {
        "key": g.key,
        "label": g.label,
        "first_response": _durations(g.first_response),
        "resolution": _durations(g.resolution),
        "created": g.created,
        "resolved": g.resolved,
        "first_contact": g.first_contact,
        "fcr_rate": g.fcr_rate,
        "backlog": g.backlog,
        "backlog_total": g.backlog_total,
        "deadlines": g.deadlines,
        "deadlines_met": g.deadlines_met,
        "sla_compliance": g.sla_compliance,
        "complaints": g.complaints,
        "orders": g.orders,
        "complaints_per_1000_orders": g.complaints_per_1000_orders,
    }


@router.get(
    "/service/kpis",
    response={200: KpisOut, **ERRORS},
    by_alias=True,
    summary="Service KPIs over a period",
)
def service_kpis(request: HttpRequest, query: Query[KpisQuery]) -> dict:
    """Time to first response and to resolution (median, p90), first-contact resolution,
    backlog by age, SLA compliance and complaints per 1,000 orders; overall, by category
    and by team, and week by week. Dates that are not dates, or a period ending before
    it starts, answer 422."""
    filters = kpis.parse_filters(
        date_from=query.date_from,
        date_to=query.date_to,
        team=query.team,
        category=query.category,
        type=query.type,
        priority=query.priority,
    )
    data = kpis.service_kpis(viewer=request.user, filters=filters)
    return {
        "period": {
            "from": filters.date_from,
            "to": filters.date_to,
            "team": filters.team,
            "category": filters.category,
            "type": filters.type,
            "priority": filters.priority,
        },
        "as_of": data.as_of,
        "buckets": [key for key, _label in data.buckets],
        "overall": _group(data.overall),
        "by_category": [_group(g) for g in data.by_category],
        "by_team": [_group(g) for g in data.by_team],
        "weeks": [
            {
                "week_start": w.start,
                "resolution": _durations(w.resolution),
                "complaints": w.complaints,
                "orders": w.orders,
                "complaints_per_1000_orders": w.complaints_per_1000_orders,
            }
            for w in data.weeks
        ],
    }
