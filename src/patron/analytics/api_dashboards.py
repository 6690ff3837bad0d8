"""REST endpoints for the value dashboards: the data behind each chart of /value/, as of
the last refresh, for the customers the caller may see. Money is a decimal string,
shares are fractions from 0 to 1."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import WithJsonSchema

from patron.analytics import dashboards
from patron.core.api_base import ERRORS, MAX_PAGE
from patron.core.errors import NotFound

router = Router(tags=["dashboards"])

Money = Annotated[Decimal, WithJsonSchema({"type": "string", "format": "decimal"})]
Share = Annotated[float, Field(description="A fraction from 0 to 1")]
Name = Literal["value-concentration", "tiers", "rfm-grid", "stages", "at-risk", "clv-distribution"]
# The sorts of the list of customers at risk (a test keeps them equal to the selector's).
AtRiskSort = Literal[
    "revenue",
    "-revenue",
    "clv",
    "-clv",
    "p_alive",
    "-p_alive",
    "last_order",
    "-last_order",
    "name",
    "-name",
]
Reason = Literal["cant_lose", "at_risk", "fading"]


class DashboardOut(Schema):
    name: Name
    title: str
    description: str
    url: str = Field(..., description="Its data in this API")
    page: str = Field(..., description="Its page in the web UI")


class Answer(Schema):
    """What every dashboard answers around its data."""

    name: Name
    title: str
    refreshed_at: dt.datetime | None = Field(
        ..., description="When the refresh the figures come from finished; null: none has yet"
    )
    as_of: dt.datetime | None = Field(
        ..., description="The moment that refresh's 'last 12 months' end at"
    )
    currency: str = Field(..., description="ISO 4217: all money is in this currency")


# --- value-concentration ---------------------------------------------------------------------


class ParetoPointOut(Schema):
    customers: int = Field(..., description="The best this-many buying customers ...")
    customer_share: Share
    revenue: Money = Field(..., description="... bring this much revenue together")
    revenue_share: Share


class HeadlineOut(Schema):
    customer_share: Share = Field(..., description="The top share of buying customers")
    revenue_share: Share = Field(..., description="The share of revenue they bring")
    text: str


class ValueConcentrationOut(Schema):
    points: list[ParetoPointOut] = Field(
        ..., description="The Pareto curve: one point per percentile of buying customers"
    )
    headlines: list[HeadlineOut] = Field(..., description="The top 10 % and the top 20 %")
    top_10_share: Share | None
    top_20_share: Share | None
    buying_customers: int = Field(..., description="With revenue in the last 12 months")
    customers: int = Field(..., description="Every customer with figures, buying or not")
    revenue: Money = Field(..., description="Revenue of the last 12 months")


class ValueConcentrationAnswer(Answer):
    data: ValueConcentrationOut


# --- tiers ------------------------------------------------------------------------------------


class ShareRowOut(Schema):
    key: str = Field(..., description='The tier or class; "" for none (no purchases)')
    label: str
    customers: int
    customer_share: Share
    revenue: Money
    revenue_share: Share
    margin: Money | None = Field(..., description="Null when no cost is known")
    margin_share: Share | None = Field(..., description="Null when the total is not positive")


class TiersOut(Schema):
    tiers: list[ShareRowOut] = Field(..., description="most_valuable, core, below_zero, ''")
    classes: list[ShareRowOut] = Field(..., description="A, B, C, ''")
    customers: int
    revenue: Money
    margin: Money | None


class TiersAnswer(Answer):
    data: TiersOut


# --- rfm-grid ---------------------------------------------------------------------------------


class GridCellOut(Schema):
    r_score: int
    f_score: int
    customers: int
    share: Share
    revenue: Money
    revenue_share: Share


class SegmentOut(Schema):
    key: str
    label: str
    customers: int
    share: Share
    revenue: Money
    revenue_share: Share


class RfmGridOut(Schema):
    cells: list[GridCellOut] = Field(..., description="25 cells: F from 5 down, R from 1 up")
    segments: list[SegmentOut]
    customers: int = Field(..., description="Customers with scores")
    unscored: int = Field(..., description="Customers without (no purchase)")
    revenue: Money


class RfmGridAnswer(Answer):
    data: RfmGridOut


# --- stages -----------------------------------------------------------------------------------


class StageOut(Schema):
    key: Literal["contact", "connection", "intimacy", "trust"]
    label: str
    customers: int = Field(..., description="At this stage")
    share: Share
    reached: int = Field(..., description="At this stage or further")
    reached_share: Share
    revenue: Money


class StagesOut(Schema):
    stages: list[StageOut]
    customers: int
    revenue: Money


class StagesAnswer(Answer):
    data: StagesOut


# --- at-risk ----------------------------------------------------------------------------------


class AtRiskQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="1-based page number")
    page_size: int = Field(
        dashboards.AT_RISK_PAGE_SIZE,
        ge=1,
        le=dashboards.AT_RISK_MAX_PAGE_SIZE,
        description=f"At most {dashboards.AT_RISK_MAX_PAGE_SIZE}",
    )
    sort: AtRiskSort = Field(
        dashboards.AT_RISK_DEFAULT_SORT,
        description="A column, ascending; with a leading '-', descending",
    )
    reason: Reason | None = Field(None, description="Only the customers at risk for this")


class ReasonOut(Schema):
    key: Reason
    label: str
    customers: int
    revenue: Money
    clv: Money


class AtRiskRowOut(Schema):
    customer_id: int
    name: str
    owner: str = Field(..., description='The owner\'s name; "" without one')
    reason: Reason = Field(
        ...,
        description="cant_lose, at_risk (RFM segments) or fading (most valuable, "
        "probability of being active below one half)",
    )
    reason_label: str
    rfm_segment: str
    segment_label: str
    value_tier: str
    revenue_12m: Money
    clv_12m: Money | None
    p_alive: float | None
    last_order_at: dt.datetime | None
    recency_days: int | None


class AtRiskOut(Schema):
    items: list[AtRiskRowOut]
    reasons: list[ReasonOut] = Field(..., description="Every reason, whatever `reason` asks")
    count: int = Field(..., description="Customers on the list (of the reason asked)")
    revenue: Money
    clv: Money
    page: int
    page_size: int
    pages: int
    has_next: bool
    sort: AtRiskSort
    reason: Reason | None


class AtRiskAnswer(Answer):
    data: AtRiskOut


# --- clv-distribution -------------------------------------------------------------------------


class ClvBinOut(Schema):
    low: Money = Field(..., description="From (included)")
    high: Money = Field(..., description="To (excluded; the last bin takes all above)")
    label: str
    customers: int
    share: Share
    clv: Money
    clv_share: Share


class PAliveBinOut(Schema):
    low: float
    high: float
    label: str
    customers: int
    share: Share


class ClvDistributionOut(Schema):
    bins: list[ClvBinOut] = Field(..., description="Log-spaced bins of predicted value")
    p_alive: list[PAliveBinOut] = Field(..., description="Deciles of probability active")
    customers: int = Field(..., description="With a predicted value")
    without_clv: int
    clv: Money = Field(..., description="Predicted value of the next 12 months, in all")
    expected_purchases: float
    p_alive_customers: int
    p_alive_mean: float | None


class ClvDistributionAnswer(Answer):
    data: ClvDistributionOut


# --- The endpoints ----------------------------------------------------------------------------


def _answer(name: str, data: Any) -> dict[str, Any]:
    run = dashboards.last_refresh()
    return {
        "name": name,
        "title": str(dashboards.DASHBOARDS[name][0]),
        "refreshed_at": (run.finished_at or run.started_at) if run else None,
        "as_of": run.as_of if run else None,
        "currency": settings.PATRON_DEFAULT_CURRENCY,
        "data": data,
    }


@router.get(
    "",
    response={200: list[DashboardOut], **ERRORS},
    summary="List the dashboards",
    description="The value dashboards, in the order of the overview page.",
)
def dashboard_list(request: HttpRequest) -> Any:
    return [
        {
            "name": name,
            "title": str(title),
            "description": str(description),
            "url": reverse("api:dashboard_" + name.replace("-", "_")),
            "page": reverse("analytics:dashboard", args=[name]),
        }
        for name, (title, description) in dashboards.DASHBOARDS.items()
    ]


@router.get(
    "/value-concentration",
    response={200: ValueConcentrationAnswer, **ERRORS},
    url_name="dashboard_value_concentration",
    summary="Value concentration (the Pareto curve)",
    description="The cumulative share of revenue of the last 12 months against the share "
    "of buying customers, best first (a point per percentile), and what the top 10 % and "
    "20 % bring.",
)
def value_concentration(request: HttpRequest) -> Any:
    data = dashboards.value_concentration(viewer=request.user)
    return _answer("value-concentration", data)


@router.get(
    "/tiers",
    response={200: TiersAnswer, **ERRORS},
    url_name="dashboard_tiers",
    summary="Value tiers and ABC classes",
    description="Customers, revenue and margin of the last 12 months per value tier and per "
    "ABC class, with their shares.",
)
def tiers(request: HttpRequest) -> Any:
    return _answer("tiers", dashboards.tiers(viewer=request.user))


@router.get(
    "/rfm-grid",
    response={200: RfmGridAnswer, **ERRORS},
    url_name="dashboard_rfm_grid",
    summary="The RFM grid",
    description="Customers and revenue per recency score by frequency score, and per named "
    "RFM segment.",
)
def rfm_grid(request: HttpRequest) -> Any:
    return _answer("rfm-grid", dashboards.rfm_grid(viewer=request.user))


@router.get(
    "/stages",
    response={200: StagesAnswer, **ERRORS},
    url_name="dashboard_stages",
    summary="Relationship stages",
    description="Customers per relationship stage, contact to trust, and how many got at "
    "least that far.",
)
def stages(request: HttpRequest) -> Any:
    return _answer("stages", dashboards.stages(viewer=request.user))


@router.get(
    "/at-risk",
    response={200: AtRiskAnswer, **ERRORS},
    url_name="dashboard_at_risk",
    summary="Customers at risk",
    description="Customers in the RFM segments at risk and can't lose them, and most "
    "valuable customers whose probability of being active is below one half; by revenue "
    "of the last 12 months unless `sort` says otherwise, a page at a time (a page past "
    "the end is empty).",
)
def at_risk(request: HttpRequest, query: Query[AtRiskQuery]) -> Any:
    data = dashboards.at_risk(
        viewer=request.user,
        page=query.page,
        page_size=query.page_size,
        sort=query.sort,
        reason=query.reason or "",
        clamp=False,
    )
    page = data.page
    return _answer(
        "at-risk",
        {
            "items": data.rows,
            "reasons": data.reasons,
            "count": data.customers,
            "revenue": data.revenue,
            "clv": data.clv,
            "page": page.number,
            "page_size": page.page_size,
            "pages": page.num_pages,
            "has_next": bool(page.has_next),
            "sort": data.sort,
            "reason": data.reason or None,
        },
    )


@router.get(
    "/clv-distribution",
    response={200: ClvDistributionAnswer, **ERRORS},
    url_name="dashboard_clv_distribution",
    summary="Predicted value and probability of being active",
    description="Customers and predicted value of the next 12 months per log-spaced bin of "
    "predicted value, and customers per decile of the probability of being active.",
)
def clv_distribution(request: HttpRequest) -> Any:
    return _answer("clv-distribution", dashboards.clv_distribution(viewer=request.user))


@router.get(
    "/{name}",
    response=ERRORS,
    summary="Any other name",
    description="There is no such dashboard: 404, with the names there are in `details`.",
)
def unknown(request: HttpRequest, name: str) -> Any:
    raise NotFound(
        _("There is no dashboard “%(name)s”.") % {"name": name[:60]},
        details={"names": dashboards.dashboard_names()},
    )
