"""The value dashboards: one read per chart over the figures of the last refresh.

Every function takes the viewer, keeps to the customers that viewer may see, and lets the
database do the counting (GROUP BY and window functions): one or two queries each, a
handful of rows back, whatever the number of customers. What comes back is small and
plain (dataclasses of numbers and labels in the active language), shared by the pages,
the CSV downloads and the API.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from babel import numbers as babel_numbers
from django.conf import settings
from django.db import connection, models
from django.db.models import Avg, Case, Count, F, Max, Q, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patron.analytics.models import (
    AbcClass,
    CustomerMetrics,
    RefreshRun,
    RelationshipStage,
    RfmSegment,
    ValueTier,
)
from patron.core import formatting
from patron.core.pagination import Page
from patron.core.visibility import visible_through

if TYPE_CHECKING:
    import datetime as dt

    from patron.accounts.models import User

CENT = Decimal("0.01")

# The dashboards, in the order of the overview: name (in URLs) -> title, what it shows.
DASHBOARDS: dict[str, tuple[Promise, Promise]] = {
    "value-concentration": (
        gettext_lazy("Value concentration"),
        gettext_lazy("How much of the revenue of the last 12 months the best customers bring."),
    ),
    "tiers": (
        gettext_lazy("Value tiers and ABC classes"),
        gettext_lazy("The size of each tier and class, and its share of revenue and margin."),
    ),
    "rfm-grid": (
        gettext_lazy("Recency and frequency"),
        gettext_lazy("Customers by recency score and frequency score, and by RFM segment."),
    ),
    "stages": (
        gettext_lazy("Relationship stages"),
        gettext_lazy("How far the relationship has come: contact, connection, intimacy, trust."),
    ),
    "at-risk": (
        gettext_lazy("Customers at risk"),
        gettext_lazy(
            "Valuable customers who are slipping away: at risk, can't lose them, or most "
            "valuable and probably no longer active."
        ),
    ),
    "clv-distribution": (
        gettext_lazy("Predicted value"),
        gettext_lazy(
            "How the value predicted for the next 12 months spreads over the customers, "
            "and how likely they are to still be active."
        ),
    ),
}


def dashboard_names() -> list[str]:
    return list(DASHBOARDS)


def _money(value: Any) -> Decimal:
    """A sum from the database as money: SQLite answers floats, PostgreSQL decimals."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT)


def _money_or_none(value: Any) -> Decimal | None:
    return None if value is None else _money(value)


def _share(part: Any, whole: Any) -> float:
    """`part` of `whole` (0 to 1); 0 when there is no whole."""
    if not whole:
        return 0.0
    return round(float(part) / float(whole), 6)


def _positive_share(part: Any, whole: Any) -> float | None:
    """A share of a total that may be negative or missing (margin): None when it is."""
    if part is None or whole is None or whole <= 0:
        return None
    return round(float(part) / float(whole), 6)


def _metrics(viewer: User) -> models.QuerySet[CustomerMetrics]:
    """The figures of the customers `viewer` may see: where every dashboard starts."""
    return CustomerMetrics.objects.filter(visible_through(viewer, "customer"))


def last_refresh() -> RefreshRun | None:
    """The last refresh that finished: the figures on the dashboards are as of it."""
    return (
        RefreshRun.objects.filter(status=RefreshRun.Status.DONE)
        .order_by(F("finished_at").desc(nulls_last=True), "-id")
        .first()
    )


# --- Value concentration (the Pareto curve) ------------------------------------------------

PARETO_POINTS = 100
# Per percentile of the buying customers (ceil(100 * rn / buyers)); those who bought
# nothing come last in the order and fall in one group of their own (NULL). `inner` is
# the ORM's query (its values are parameters): only fixed names are pasted in.
PARETO_SQL = (
    "SELECT CASE WHEN t.revenue > 0 THEN (t.rn * %(points)d + t.buyers - 1) / t.buyers"
    " END AS bucket, COUNT(*), MIN(t.rn), MAX(t.rn), MAX(t.revenue), MAX(t.cumulative),"
    " MAX(t.buyers) FROM (%(inner)s) t GROUP BY 1"
)
HEADLINE_PERCENTS = (10, 20)


@dataclass
class ParetoPoint:
    customers: int  # the best `customers` buying customers ...
    customer_share: float  # ... that many of all buying customers ...
    revenue: Decimal  # ... bring this much revenue together ...
    revenue_share: float  # ... this share of all of it.


@dataclass
class Headline:
    customer_share: float  # the top share of buying customers
    revenue_share: float  # the share of the revenue they bring
    text: str


@dataclass
class ValueConcentration:
    points: list[ParetoPoint]
    headlines: list[Headline]
    buying_customers: int  # customers with revenue in the last 12 months
    customers: int  # every visible customer with figures
    revenue: Decimal
    currency: str

    @property
    def without_purchases(self) -> int:
        return self.customers - self.buying_customers

    @property
    def top_10_share(self) -> float | None:
        return self.headlines[0].revenue_share if self.headlines else None

    @property
    def top_20_share(self) -> float | None:
        return self.headlines[1].revenue_share if len(self.headlines) > 1 else None


def value_concentration(*, viewer: User) -> ValueConcentration:
    """The Pareto curve of revenue over the last 12 months: buying customers from the
    best down, and the cumulative share of revenue they bring. The database numbers and
    sums the rows in order (window functions) and keeps one point per percentile of
    customers (the last customer of each), so at most 100 rows come back; with them the
    count of customers who bought nothing.

    "The top 10 % bring X %" is read off the exact curve: between two customers it is
    interpolated linearly (the top 10 % of 25 customers are 2.5 customers)."""
    order = [F("revenue_12m").desc(), F("customer_id").asc()]
    inner = (
        _metrics(viewer)
        .annotate(
            revenue=F("revenue_12m"),
            rn=Window(RowNumber(), order_by=order),
            cumulative=Window(
                Sum("revenue_12m"),
                order_by=order,
                frame=models.RowRange(start=None, end=0),
            ),
            buyers=Window(Count("pk", filter=Q(revenue_12m__gt=0))),
        )
        .values("revenue", "rn", "cumulative", "buyers")
    )
    inner_sql, params = inner.query.sql_with_params()
    sql = PARETO_SQL % {"points": PARETO_POINTS, "inner": inner_sql}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        groups = cursor.fetchall()
    buckets = sorted((row for row in groups if row[0] is not None), key=lambda row: row[0])
    idle = sum(row[1] for row in groups if row[0] is None)
    buyers = int(buckets[0][6]) if buckets else 0
    total = _money(buckets[-1][5]) if buckets else Decimal("0.00")
    points = [
        ParetoPoint(
            customers=int(last),
            customer_share=_share(last, buyers),
            revenue=_money(cumulative),
            revenue_share=_share(_money(cumulative), total),
        )
        for _bucket, _count, _first, last, _top, cumulative, _buyers in buckets
    ]
    headlines = []
    if buyers and total > 0:
        # The cumulative revenue at the end of each group, and the revenue of the first
        # customer of each (the largest of the group: the order is by revenue).
        ends = {int(last): _money(cumulative) for *_, last, _top, cumulative, _b in buckets}
        firsts = {int(first): _money(top) for _b, _c, first, _l, top, _cu, _bu in buckets}
        for percent in HEADLINE_PERCENTS:
            exact = Fraction(buyers * percent, 100)
            whole = math.floor(exact)
            # The customers up to `whole` end a group: the next one starts the next.
            revenue = ends.get(whole, Decimal(0)) if whole else Decimal(0)
            if exact > whole:
                part = exact - whole
                revenue += firsts[whole + 1] * Decimal(part.numerator) / Decimal(part.denominator)
            share = _share(revenue, total)
            headlines.append(
                Headline(
                    customer_share=percent / 100,
                    revenue_share=share,
                    text=_(
                        "The top %(customers)s of buying customers bring %(revenue)s of revenue."
                    )
                    % {
                        "customers": formatting.format_percent(percent / 100),
                        "revenue": formatting.format_percent(round(share, 2)),
                    },
                )
            )
    return ValueConcentration(
        points=points,
        headlines=headlines,
        buying_customers=buyers,
        customers=buyers + idle,
        revenue=total,
        currency=settings.PATRON_DEFAULT_CURRENCY,
    )


# --- Value tiers and ABC classes -----------------------------------------------------------


@dataclass
class ShareRow:
    key: str
    label: str
    customers: int
    customer_share: float
    revenue: Decimal
    revenue_share: float
    margin: Decimal | None  # None: no cost known for any of them
    margin_share: float | None  # None when the total margin is not positive


@dataclass
class Tiers:
    tiers: list[ShareRow]
    classes: list[ShareRow]
    customers: int
    revenue: Decimal
    margin: Decimal | None
    currency: str


def _tier_label(key: str) -> str:
    return str(ValueTier(key).label) if key else _("No purchases")


def _class_label(key: str) -> str:
    return str(AbcClass(key).label) if key else _("Not classified")


def tiers(*, viewer: User) -> Tiers:
    """Per value tier and per ABC class: how many customers, and their share of the
    customers, of revenue and of margin over the last 12 months. One GROUP BY over both
    columns (at most 16 rows), rolled up each way."""
    groups = (
        _metrics(viewer)
        .values("value_tier", "abc_class")
        .annotate(customers=Count("pk"), revenue=Sum("revenue_12m"), margin=Sum("margin_12m"))
        .order_by()
    )
    by_tier: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0), None])
    by_class: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0), None])
    for group in groups:
        for sums, key in ((by_tier, group["value_tier"]), (by_class, group["abc_class"])):
            entry = sums[key]
            entry[0] += group["customers"]
            entry[1] += _money(group["revenue"])
            if group["margin"] is not None:
                entry[2] = (entry[2] or Decimal(0)) + _money(group["margin"])
    customers = sum(entry[0] for entry in by_tier.values())
    revenue = sum((entry[1] for entry in by_tier.values()), Decimal("0.00"))
    margins = [entry[2] for entry in by_tier.values() if entry[2] is not None]
    margin = sum(margins, Decimal("0.00")) if margins else None

    def rows(sums: dict[str, list[Any]], keys: list[str], label: Any) -> list[ShareRow]:
        return [
            ShareRow(
                key=key,
                label=label(key),
                customers=sums[key][0],
                customer_share=_share(sums[key][0], customers),
                revenue=sums[key][1],
                revenue_share=_share(sums[key][1], revenue),
                margin=sums[key][2],
                margin_share=_positive_share(sums[key][2], margin),
            )
            for key in keys
            if key in sums or key
        ]

    return Tiers(
        tiers=rows(by_tier, [*ValueTier.values, ""], _tier_label),
        classes=rows(by_class, [*AbcClass.values, ""], _class_label),
        customers=customers,
        revenue=revenue,
        margin=margin,
        currency=settings.PATRON_DEFAULT_CURRENCY,
    )


# --- The RFM grid ----------------------------------------------------------------------------

SCORES = (1, 2, 3, 4, 5)


@dataclass
class GridCell:
    r_score: int
    f_score: int
    customers: int
    share: float
    revenue: Decimal
    revenue_share: float


@dataclass
class SegmentRow:
    key: str
    label: str
    customers: int
    share: float
    revenue: Decimal
    revenue_share: float


@dataclass
class RfmGrid:
    cells: list[GridCell]  # 25: R from 1 to 5 within F from 5 down to 1
    segments: list[SegmentRow]  # every named segment, in the model's order
    customers: int  # scored customers
    unscored: int  # customers without scores (who never bought)
    revenue: Decimal
    currency: str

    @property
    def rows(self) -> list[list[GridCell]]:
        """The grid as it is drawn: frequency 5 at the top, recency 1 to 5 across."""
        return [self.cells[i : i + 5] for i in range(0, 25, 5)]

    @property
    def busiest(self) -> int:
        return max((cell.customers for cell in self.cells), default=0)


def rfm_grid(*, viewer: User) -> RfmGrid:
    """Customers and revenue per cell of recency score by frequency score, and per named
    RFM segment. One GROUP BY over the three columns (a segment follows from the scores,
    so few rows), rolled up each way."""
    groups = (
        _metrics(viewer)
        .values("r_score", "f_score", "rfm_segment")
        .annotate(customers=Count("pk"), revenue=Sum("revenue_12m"))
        .order_by()
    )
    cells: dict[tuple[int, int], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    segments: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    unscored = 0
    for group in groups:
        revenue = _money(group["revenue"])
        if group["r_score"] in SCORES and group["f_score"] in SCORES:
            cell = cells[(group["r_score"], group["f_score"])]
            cell[0] += group["customers"]
            cell[1] += revenue
        else:
            unscored += group["customers"]
        if group["rfm_segment"]:
            segment = segments[group["rfm_segment"]]
            segment[0] += group["customers"]
            segment[1] += revenue
    scored = sum(cell[0] for cell in cells.values())
    total = sum((cell[1] for cell in cells.values()), Decimal("0.00"))
    segmented = sum(segment[0] for segment in segments.values())
    segment_revenue = sum((segment[1] for segment in segments.values()), Decimal("0.00"))
    return RfmGrid(
        cells=[
            GridCell(
                r_score=r,
                f_score=f,
                customers=cells[(r, f)][0] if (r, f) in cells else 0,
                share=_share(cells[(r, f)][0], scored) if (r, f) in cells else 0.0,
                revenue=cells[(r, f)][1] if (r, f) in cells else Decimal("0.00"),
                revenue_share=_share(cells[(r, f)][1], total) if (r, f) in cells else 0.0,
            )
            for f in reversed(SCORES)
            for r in SCORES
        ],
        segments=[
            SegmentRow(
                key=key,
                label=str(label),
                customers=segments[key][0] if key in segments else 0,
                share=_share(segments[key][0], segmented) if key in segments else 0.0,
                revenue=segments[key][1] if key in segments else Decimal("0.00"),
                revenue_share=(
                    _share(segments[key][1], segment_revenue) if key in segments else 0.0
                ),
            )
            for key, label in RfmSegment.choices
        ],
        customers=scored,
        unscored=unscored,
        revenue=total,
        currency=settings.PATRON_DEFAULT_CURRENCY,
    )


# --- Relationship stages -----------------------------------------------------------------------


@dataclass
class StageRow:
    key: str
    label: str
    customers: int  # at this stage
    share: float
    reached: int  # at this stage or further along
    reached_share: float
    revenue: Decimal


@dataclass
class Stages:
    stages: list[StageRow]  # contact, connection, intimacy, trust
    customers: int
    revenue: Decimal
    currency: str


def stages(*, viewer: User) -> Stages:
    """The relationship-stage funnel: customers at each stage (contact → connection →
    intimacy → trust), and how many got at least that far. One GROUP BY."""
    groups = {
        group["relationship_stage"]: group
        for group in _metrics(viewer)
        .values("relationship_stage")
        .annotate(customers=Count("pk"), revenue=Sum("revenue_12m"))
        .order_by()
    }
    keys = list(RelationshipStage.values)
    counts = [groups[key]["customers"] if key in groups else 0 for key in keys]
    customers = sum(counts)
    rows = []
    for index, (key, label) in enumerate(RelationshipStage.choices):
        reached = sum(counts[index:])
        rows.append(
            StageRow(
                key=key,
                label=str(label),
                customers=counts[index],
                share=_share(counts[index], customers),
                reached=reached,
                reached_share=_share(reached, customers),
                revenue=_money(groups[key]["revenue"]) if key in groups else Decimal("0.00"),
            )
        )
    return Stages(
        stages=rows,
        customers=customers,
        revenue=sum((row.revenue for row in rows), Decimal("0.00")),
        currency=settings.PATRON_DEFAULT_CURRENCY,
    )


# --- Customers at risk ---------------------------------------------------------------------

AT_RISK_PAGE_SIZE = 25
AT_RISK_MAX_PAGE_SIZE = 100
# Most valuable customers below this probability of still being active are at risk too.
P_ALIVE_AT_RISK = 0.5
# Why a customer is on the list, in order of urgency (the first that holds counts).
REASONS: dict[str, Promise] = {
    "cant_lose": RfmSegment.CANT_LOSE.label,
    "at_risk": RfmSegment.AT_RISK.label,
    "fading": gettext_lazy("Most valuable, likely inactive"),
}
# Sort keys of the list: the key ascending, or descending with a leading "-".
AT_RISK_SORTS: dict[str, str] = {
    "revenue": "revenue_12m",
    "clv": "clv_12m",
    "p_alive": "p_alive",
    "last_order": "last_order_at",
    "name": "customer__display_name",
}
AT_RISK_DEFAULT_SORT = "-revenue"


def at_risk_sorts() -> list[str]:
    return [f"{sign}{key}" for key in AT_RISK_SORTS for sign in ("", "-")]


_SLIPPING = Q(rfm_segment__in=[RfmSegment.AT_RISK, RfmSegment.CANT_LOSE])
_FADING = Q(value_tier=ValueTier.MOST_VALUABLE, p_alive__lt=P_ALIVE_AT_RISK)
_REASON_FILTERS = {
    "cant_lose": Q(rfm_segment=RfmSegment.CANT_LOSE),
    "at_risk": Q(rfm_segment=RfmSegment.AT_RISK),
    "fading": _FADING & ~_SLIPPING,
}
_REASON = Case(
    When(rfm_segment=RfmSegment.CANT_LOSE, then=Value("cant_lose")),
    When(rfm_segment=RfmSegment.AT_RISK, then=Value("at_risk")),
    default=Value("fading"),
    output_field=models.CharField(),
)


@dataclass
class ReasonRow:
    key: str
    label: str
    customers: int
    revenue: Decimal
    clv: Decimal


@dataclass
class AtRiskRow:
    customer_id: int
    name: str
    owner: str  # the owner's name, "" without one
    reason: str
    reason_label: str
    rfm_segment: str
    segment_label: str
    value_tier: str
    revenue_12m: Decimal
    clv_12m: Decimal | None
    p_alive: float | None
    last_order_at: dt.datetime | None
    recency_days: int | None


@dataclass
class AtRisk:
    rows: list[AtRiskRow]
    page: Page  # the page of `rows` (items are the same rows)
    reasons: list[ReasonRow]  # every reason, whatever `reason` narrows the list to
    customers: int  # on the whole list (of the reason chosen)
    revenue: Decimal
    clv: Decimal
    sort: str
    reason: str  # "" for every reason
    currency: str = field(default_factory=lambda: settings.PATRON_DEFAULT_CURRENCY)

    @property
    def all_customers(self) -> int:
        """On the list for any reason (`customers` counts only the reason chosen)."""
        return sum(row.customers for row in self.reasons)


def _at_risk_rows(viewer: User, *, sort: str, reason: str) -> models.QuerySet:
    rows = _metrics(viewer).filter(_SLIPPING | _FADING)
    if reason:
        rows = rows.filter(_REASON_FILTERS[reason])
    column = AT_RISK_SORTS[sort.lstrip("-")]
    order = (
        F(column).desc(nulls_last=True) if sort.startswith("-") else F(column).asc(nulls_last=True)
    )
    return (
        rows.annotate(reason=_REASON)
        .values(
            "customer_id",
            "customer__display_name",
            "customer__owner__full_name",
            "customer__owner__email",
            "reason",
            "rfm_segment",
            "value_tier",
            "revenue_12m",
            "clv_12m",
            "p_alive",
            "last_order_at",
            "recency_days",
        )
        .order_by(order, "customer_id")
    )


def _at_risk_row(values: dict[str, Any]) -> AtRiskRow:
    segment = values["rfm_segment"]
    return AtRiskRow(
        customer_id=values["customer_id"],
        name=values["customer__display_name"],
        owner=values["customer__owner__full_name"] or values["customer__owner__email"] or "",
        reason=values["reason"],
        reason_label=str(REASONS[values["reason"]]),
        rfm_segment=segment,
        segment_label=str(RfmSegment(segment).label) if segment else "",
        value_tier=values["value_tier"],
        revenue_12m=_money(values["revenue_12m"]),
        clv_12m=_money_or_none(values["clv_12m"]),
        p_alive=values["p_alive"],
        last_order_at=values["last_order_at"],
        recency_days=values["recency_days"],
    )


def _check_at_risk_args(sort: str, reason: str) -> None:
    if sort not in at_risk_sorts():
        raise ValueError(f"unknown sort {sort!r}")
    if reason and reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")


def at_risk(
    *,
    viewer: User,
    page: int = 1,
    page_size: int = AT_RISK_PAGE_SIZE,
    sort: str = AT_RISK_DEFAULT_SORT,
    reason: str = "",
    clamp: bool = True,
) -> AtRisk:
    """Valuable customers slipping away: RFM segments at risk and can't lose them, and
    most valuable customers whose probability of being active is below one half. Sorted
    (by revenue of the last 12 months, highest first, unless `sort` says otherwise) and
    paginated; with the count, revenue and predicted value per reason (one GROUP BY,
    which also gives the list's length) and one page of rows (one query).

    `clamp`: a page past the end gives the last page (the web UI) instead of none (the
    API). Unknown `sort` or `reason` values are the caller's mistake (ValueError)."""
    _check_at_risk_args(sort, reason)
    page_size = max(1, min(page_size, AT_RISK_MAX_PAGE_SIZE))
    groups = {
        group["reason"]: group
        for group in _metrics(viewer)
        .filter(_SLIPPING | _FADING)
        .annotate(reason=_REASON)
        .values("reason")
        .annotate(customers=Count("pk"), revenue=Sum("revenue_12m"), clv=Sum("clv_12m"))
        .order_by()
    }
    reasons = [
        ReasonRow(
            key=key,
            label=str(label),
            customers=groups[key]["customers"] if key in groups else 0,
            revenue=_money(groups[key]["revenue"]) if key in groups else Decimal("0.00"),
            clv=_money(groups[key]["clv"]) if key in groups else Decimal("0.00"),
        )
        for key, label in REASONS.items()
    ]
    chosen = [row for row in reasons if not reason or row.key == reason]
    count = sum(row.customers for row in chosen)
    num_pages = max(1, math.ceil(count / page_size))
    number = max(1, min(page, num_pages) if clamp else page)
    start = (number - 1) * page_size
    rows = (
        [
            _at_risk_row(values)
            for values in _at_risk_rows(viewer, sort=sort, reason=reason)[start : start + page_size]
        ]
        if start < count
        else []
    )
    return AtRisk(
        rows=rows,
        page=Page(rows, number, page_size, count, num_pages),
        reasons=reasons,
        customers=count,
        revenue=sum((row.revenue for row in chosen), Decimal("0.00")),
        clv=sum((row.clv for row in chosen), Decimal("0.00")),
        sort=sort,
        reason=reason,
    )


def at_risk_all(
    *, viewer: User, sort: str = AT_RISK_DEFAULT_SORT, reason: str = ""
) -> Iterator[AtRiskRow]:
    """Every customer of the list, in order, read in chunks (for the CSV download)."""
    _check_at_risk_args(sort, reason)
    for values in _at_risk_rows(viewer, sort=sort, reason=reason).iterator(chunk_size=2000):
        yield _at_risk_row(values)


# --- Predicted value (CLV) and probability of being active -------------------------------------

CLV_MAX_BINS = 12
CLV_STEPS = (1, 2, 5)
P_ALIVE_BINS = 10


@dataclass
class ClvBin:
    low: Decimal  # from (included) ...
    high: Decimal  # ... to (excluded)
    label: str
    customers: int
    share: float
    clv: Decimal
    clv_share: float


@dataclass
class PAliveBin:
    low: float
    high: float  # excluded, except for the last decile (1 included)
    label: str
    customers: int
    share: float


@dataclass
class ClvDistribution:
    bins: list[ClvBin]
    p_alive: list[PAliveBin]
    customers: int  # with a predicted value
    without_clv: int  # every other visible customer with figures
    clv: Decimal
    expected_purchases: float
    p_alive_customers: int  # with a probability of being active
    p_alive_mean: float | None
    currency: str


def clv_edges(top: Decimal | float | None, *, bins: int = CLV_MAX_BINS) -> list[Decimal]:
    """The bin edges of the histogram: 0, then steps of 1, 2, 5 times a power of ten up to
    the first step above `top`, at most `bins` bins (the lowest starts at 0). Log-spaced,
    so a few large values and many small ones both show; round, so labels read well."""
    top = Decimal(str(top or 0))
    steps: list[Decimal] = []
    power = 0
    while not steps or steps[-1] <= top:
        steps.extend(Decimal(step) * Decimal(10) ** power for step in CLV_STEPS)
        power += 1
    upper = next(index for index, step in enumerate(steps) if step > top)
    return [Decimal(0), *steps[max(0, upper + 1 - bins) : upper + 1]]


def _compact(value: Decimal) -> str:
    return babel_numbers.format_compact_decimal(
        value, locale=formatting.current_locale(), fraction_digits=1
    )


def _bin_case(column: str, edges: list[Any]) -> Case:
    """The index of the bin of `column` (edges[i] <= value < edges[i + 1]); the last bin
    takes everything above; NULL stays NULL."""
    whens = [
        When(**{f"{column}__lt": edge}, then=Value(index)) for index, edge in enumerate(edges[1:-1])
    ]
    whens.append(When(**{f"{column}__isnull": False}, then=Value(len(edges) - 2)))
    return Case(*whens, default=None, output_field=models.IntegerField())


def clv_distribution(*, viewer: User) -> ClvDistribution:
    """The histogram of predicted value for the next 12 months (customers and value per
    log-spaced bin), and customers per decile of the probability of being active. One
    aggregate (the largest value sets the bins), then one GROUP BY over both bins."""
    rows = _metrics(viewer)
    totals = rows.aggregate(
        customers=Count("pk"),
        with_clv=Count("clv_12m"),
        top=Max("clv_12m"),
        clv=Sum("clv_12m"),
        purchases=Sum("expected_purchases_12m"),
        with_p=Count("p_alive"),
        p_mean=Avg("p_alive"),
    )
    edges = clv_edges(totals["top"])
    p_edges = [Fraction(index, P_ALIVE_BINS) for index in range(P_ALIVE_BINS + 1)]
    groups = (
        rows.annotate(
            clv_bin=_bin_case("clv_12m", edges),
            p_bin=_bin_case("p_alive", [float(edge) for edge in p_edges]),
        )
        .values("clv_bin", "p_bin")
        .annotate(customers=Count("pk"), clv=Sum("clv_12m"))
        .order_by()
    )
    clv_counts: dict[int, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    p_counts: dict[int, int] = defaultdict(int)
    for group in groups:
        if group["clv_bin"] is not None:
            clv_counts[group["clv_bin"]][0] += group["customers"]
            clv_counts[group["clv_bin"]][1] += _money(group["clv"])
        if group["p_bin"] is not None:
            p_counts[group["p_bin"]] += group["customers"]
    with_clv = totals["with_clv"] or 0
    total_clv = _money(totals["clv"])
    with_p = totals["with_p"] or 0
    bins = [
        ClvBin(
            low=edges[index],
            high=edges[index + 1],
            label=f"{_compact(edges[index])}–{_compact(edges[index + 1])}",
            customers=clv_counts[index][0] if index in clv_counts else 0,
            share=_share(clv_counts[index][0], with_clv) if index in clv_counts else 0.0,
            clv=clv_counts[index][1] if index in clv_counts else Decimal("0.00"),
            clv_share=_share(clv_counts[index][1], total_clv) if index in clv_counts else 0.0,
        )
        for index in range(len(edges) - 1)
    ]
    deciles = [
        PAliveBin(
            low=float(p_edges[index]),
            high=float(p_edges[index + 1]),
            label=f"{formatting.format_number(index * 100 // P_ALIVE_BINS)}–"
            f"{formatting.format_percent(float(p_edges[index + 1]))}",
            customers=p_counts.get(index, 0),
            share=_share(p_counts.get(index, 0), with_p),
        )
        for index in range(P_ALIVE_BINS)
    ]
    return ClvDistribution(
        bins=bins,
        p_alive=deciles,
        customers=with_clv,
        without_clv=(totals["customers"] or 0) - with_clv,
        clv=total_clv,
        expected_purchases=round(float(totals["purchases"] or 0), 2),
        p_alive_customers=with_p,
        p_alive_mean=round(totals["p_mean"], 4) if totals["p_mean"] is not None else None,
        currency=settings.PATRON_DEFAULT_CURRENCY,
    )
