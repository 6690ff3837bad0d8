"""The value dashboards in the web UI: an overview of six charts, a page per chart (for
customers at risk, the whole list), and the data behind each chart as CSV.

The numbers come from `patron.analytics.dashboards`; this module only shapes them for
Chart.js (a JSON document per chart, rendered by static/patron/js/charts.js, as the
content-security policy forbids inline scripts) and for the tables and links."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.analytics import dashboards
from patron.core.errors import NotFound
from patron.core.pagination import page_number
from patron.customers.exporting import _spreadsheet_safe as spreadsheet_safe

OVERVIEW_AT_RISK_ROWS = 5
HEAT_LEVELS = 5


def _customers_url(**params: Any) -> str:
    """The customer list filtered by figures (value_tier=, rfm_segment=, ...)."""
    return f"{reverse('customers:list')}?{urlencode(params)}"


def _at_risk_url(**params: Any) -> str:
    url = reverse("analytics:dashboard", args=["at-risk"])
    return f"{url}?{urlencode(params)}" if params else url


def _bars(
    *,
    label: str,
    labels: list[str],
    datasets: list[dict[str, Any]],
    links: list[str | None] | None = None,
    horizontal: bool = False,
    value_title: str = "",
    category_title: str = "",
    currency: str = "",
) -> dict[str, Any]:
    """A bar chart for charts.js. Each dataset: label, data, format (count, percent or
    money), and optionally type "line" and axis "y2" (a second value axis)."""
    return {
        "kind": "bars",
        "label": label,
        "labels": labels,
        "datasets": datasets,
        "links": links or [],
        "horizontal": horizontal,
        "value_title": value_title,
        "category_title": category_title,
        "currency": currency,
    }


def _dataset(label: str, data: list[Any], fmt: str = "count", **extra: Any) -> dict[str, Any]:
    return {"label": label, "data": data, "format": fmt, **extra}


# --- Each dashboard: its data, its charts --------------------------------------------------


def _concentration_charts(data: dashboards.ValueConcentration) -> dict[str, Any]:
    return {
        "curve": {
            "kind": "pareto",
            "label": " ".join(headline.text for headline in data.headlines)
            or _("No revenue in the last 12 months."),
            "points": [[0, 0], *([p.customer_share, p.revenue_share] for p in data.points)],
            "marks": [[h.customer_share, h.revenue_share] for h in data.headlines],
            "series": _("Share of revenue"),
            "equality": _("If every customer brought the same"),
            "x_title": _("Share of customers, best first"),
            "y_title": _("Share of revenue"),
        }
    }


def _deciles(points: list[dashboards.ParetoPoint]) -> list[dashboards.ParetoPoint]:
    """The points of the curve at each tenth of the customers (the first point at or past
    it): the overview's table; the dashboard's own page shows them all."""
    chosen: list[dashboards.ParetoPoint] = []
    for tenth in range(1, 11):
        point = next((p for p in points if p.customer_share >= tenth / 10 - 1e-9), None)
        if point is not None and (not chosen or chosen[-1] is not point):
            chosen.append(point)
    return chosen


def _share_datasets(rows: list[dashboards.ShareRow], with_margin: bool) -> list[dict[str, Any]]:
    datasets = [
        _dataset(_("Share of customers"), [row.customer_share for row in rows], "percent"),
        _dataset(_("Share of revenue"), [row.revenue_share for row in rows], "percent"),
    ]
    if with_margin:
        datasets.append(
            _dataset(_("Share of margin"), [row.margin_share for row in rows], "percent")
        )
    return datasets


def _tiers_charts(data: dashboards.Tiers) -> dict[str, Any]:
    with_margin = data.margin is not None and data.margin > 0
    return {
        "tiers": _bars(
            label=_("Share of customers, revenue and margin per value tier"),
            labels=[row.label for row in data.tiers],
            datasets=_share_datasets(data.tiers, with_margin),
            links=[_customers_url(value_tier=row.key) if row.key else None for row in data.tiers],
        ),
        "classes": _bars(
            label=_("Share of customers, revenue and margin per ABC class"),
            labels=[row.label for row in data.classes],
            datasets=_share_datasets(data.classes, with_margin),
            links=[_customers_url(abc_class=row.key) if row.key else None for row in data.classes],
        ),
    }


@dataclass
class HeatCell:
    cell: dashboards.GridCell
    level: int  # 0 (none) to HEAT_LEVELS (the busiest cell)
    url: str


def _heat(data: dashboards.RfmGrid) -> list[list[HeatCell]]:
    busiest = data.busiest
    return [
        [
            HeatCell(
                cell=cell,
                level=math.ceil(HEAT_LEVELS * cell.customers / busiest) if busiest else 0,
                url=_customers_url(r_score=cell.r_score, f_score=cell.f_score),
            )
            for cell in row
        ]
        for row in data.rows
    ]


def _rfm_charts(data: dashboards.RfmGrid) -> dict[str, Any]:
    return {
        "segments": _bars(
            label=_("Customers per RFM segment"),
            labels=[row.label for row in data.segments],
            datasets=[_dataset(_("Customers"), [row.customers for row in data.segments])],
            links=[_customers_url(rfm_segment=row.key) for row in data.segments],
            horizontal=True,
        )
    }


def _stages_charts(data: dashboards.Stages) -> dict[str, Any]:
    return {
        "funnel": _bars(
            label=_("Customers per relationship stage"),
            labels=[row.label for row in data.stages],
            datasets=[
                _dataset(_("At this stage"), [row.customers for row in data.stages]),
                _dataset(_("At this stage or further"), [row.reached for row in data.stages]),
            ],
            links=[_customers_url(relationship_stage=row.key) for row in data.stages],
            horizontal=True,
        )
    }


def _at_risk_charts(data: dashboards.AtRisk) -> dict[str, Any]:
    return {
        "reasons": _bars(
            label=_("Revenue and predicted value at stake, per reason"),
            labels=[row.label for row in data.reasons],
            datasets=[
                _dataset(
                    _("Revenue, last 12 months"),
                    [float(row.revenue) for row in data.reasons],
                    "money",
                ),
                _dataset(
                    _("Predicted value, 12 months"),
                    [float(row.clv) for row in data.reasons],
                    "money",
                ),
            ],
            links=[_at_risk_url(reason=row.key) for row in data.reasons],
            horizontal=True,
            currency=data.currency,
        )
    }


def _clv_charts(data: dashboards.ClvDistribution) -> dict[str, Any]:
    return {
        "histogram": _bars(
            label=_("Customers per band of predicted value for the next 12 months"),
            labels=[row.label for row in data.bins],
            datasets=[
                _dataset(_("Customers"), [row.customers for row in data.bins]),
                _dataset(
                    _("Predicted value"),
                    [float(row.clv) for row in data.bins],
                    "money",
                    type="line",
                    axis="y2",
                ),
            ],
            category_title=_("Predicted value, 12 months (%(currency)s)")
            % {"currency": data.currency},
            currency=data.currency,
        ),
        "p_alive": _bars(
            label=_("Customers per decile of the probability of being active"),
            labels=[row.label for row in data.p_alive],
            datasets=[_dataset(_("Customers"), [row.customers for row in data.p_alive])],
            category_title=_("Probability of being active"),
        ),
    }


@dataclass
class Dashboard:
    name: str
    read: Callable[..., Any]
    charts: Callable[[Any], dict[str, Any]]

    @property
    def title(self) -> str:
        return str(dashboards.DASHBOARDS[self.name][0])

    @property
    def description(self) -> str:
        return str(dashboards.DASHBOARDS[self.name][1])

    @property
    def template(self) -> str:
        return f"analytics/partials/dashboard_{self.name.replace('-', '_')}.html"


BOARDS: dict[str, Dashboard] = {
    board.name: board
    for board in (
        Dashboard("value-concentration", dashboards.value_concentration, _concentration_charts),
        Dashboard("tiers", dashboards.tiers, _tiers_charts),
        Dashboard("rfm-grid", dashboards.rfm_grid, _rfm_charts),
        Dashboard("stages", dashboards.stages, _stages_charts),
        Dashboard("at-risk", dashboards.at_risk, _at_risk_charts),
        Dashboard("clv-distribution", dashboards.clv_distribution, _clv_charts),
    )
}


def _board(name: str) -> Dashboard:
    if name not in BOARDS:
        raise NotFound(_("There is no such dashboard."))
    return BOARDS[name]


def _card(board: Dashboard, data: Any, *, detail: bool) -> dict[str, Any]:
    card: dict[str, Any] = {
        "name": board.name,
        "title": board.title,
        "description": board.description,
        "template": board.template,
        "data": data,
        "charts": board.charts(data),
        "detail": detail,
        "url": reverse("analytics:dashboard", args=[board.name]),
        "csv_url": reverse("analytics:dashboard_csv", args=[board.name]),
    }
    if board.name == "rfm-grid":
        card["heat"] = _heat(data)
    if board.name == "value-concentration":
        card["table_points"] = data.points if detail else _deciles(data.points)
    return card


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The six charts as cards, each with its table and its CSV."""
    refresh = dashboards.last_refresh()
    cards = []
    if refresh is not None:
        for board in BOARDS.values():
            if board.name == "at-risk":
                data = board.read(viewer=request.user, page_size=OVERVIEW_AT_RISK_ROWS)
            else:
                data = board.read(viewer=request.user)
            cards.append(_card(board, data, detail=False))
    context = {"refresh": refresh, "cards": cards, "boards": BOARDS.values()}
    return render(request, "analytics/dashboard_overview.html", context)


# The columns of the list of customers at risk that sort, and the way each sorts first.
AT_RISK_COLUMNS = {
    "name": "name",
    "revenue": "-revenue",
    "clv": "-clv",
    "p_alive": "p_alive",
    "last_order": "last_order",
}


def _at_risk_sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", "")
    return sort if sort in dashboards.at_risk_sorts() else dashboards.AT_RISK_DEFAULT_SORT


def _at_risk_reason(request: HttpRequest) -> str:
    reason = request.GET.get("reason", "")
    return reason if reason in dashboards.REASONS else ""


def _sort_headers(sort: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the sort its header link asks for (the column's first way, or
    the other way when it is the current sort), and its aria-sort."""
    headers = {}
    for column, first in AT_RISK_COLUMNS.items():
        current = sort.lstrip("-") == column
        descending = sort.startswith("-")
        if current:
            target = column if descending else f"-{column}"
            aria = "descending" if descending else "ascending"
        else:
            target, aria = first, "none"
        headers[column] = {"sort": target, "aria": aria, "current": "1" if current else ""}
    return headers


def _at_risk_page(request: HttpRequest, board: Dashboard) -> HttpResponse:
    refresh = dashboards.last_refresh()
    sort, reason = _at_risk_sort(request), _at_risk_reason(request)
    card = None
    if refresh is not None:
        data = dashboards.at_risk(
            viewer=request.user, page=page_number(request), sort=sort, reason=reason
        )
        card = _card(board, data, detail=True)
    context = {
        "refresh": refresh,
        "card": card,
        "board": board,
        "boards": BOARDS.values(),
        "sort": sort,
        "reason": reason,
        "headers": _sort_headers(sort),
        "csv_query": urlencode({k: v for k, v in (("sort", sort), ("reason", reason)) if v}),
    }
    return render(request, "analytics/dashboard_at_risk.html", context)


@login_required
def dashboard(request: HttpRequest, name: str) -> HttpResponse:
    """One chart on a page of its own, its table open; for customers at risk, the list."""
    board = _board(name)
    if name == "at-risk":
        return _at_risk_page(request, board)
    refresh = dashboards.last_refresh()
    card = _card(board, board.read(viewer=request.user), detail=True) if refresh else None
    context = {"refresh": refresh, "card": card, "board": board, "boards": BOARDS.values()}
    return render(request, "analytics/dashboard_detail.html", context)


# --- CSV -------------------------------------------------------------------------------------


def _share_rows(group: str, rows: list[dashboards.ShareRow]) -> Iterator[list[Any]]:
    for row in rows:
        yield [
            group,
            row.key,
            row.label,
            row.customers,
            row.customer_share,
            row.revenue,
            row.revenue_share,
            row.margin,
            row.margin_share,
        ]


@login_required
def dashboard_csv(request: HttpRequest, name: str) -> HttpResponse:
    """The data behind one chart as CSV; for customers at risk, the whole list."""
    _board(name)
    response = StreamingHttpResponse(
        _csv_text(csv_rows(name, request)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def _csv_text(rows: Iterable[list[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([spreadsheet_safe("" if value is None else value) for value in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_rows(name: str, request: HttpRequest) -> Iterator[list[Any]]:
    """The header, then the rows, of the CSV of dashboard `name`."""
    viewer = request.user
    if name == "value-concentration":
        concentration = dashboards.value_concentration(viewer=viewer)
        yield ["customers", "customer_share", "revenue", "revenue_share"]
        for p in concentration.points:
            yield [p.customers, p.customer_share, p.revenue, p.revenue_share]
    elif name == "tiers":
        tiers = dashboards.tiers(viewer=viewer)
        yield [
            "group",
            "key",
            "label",
            "customers",
            "customer_share",
            "revenue",
            "revenue_share",
            "margin",
            "margin_share",
        ]
        yield from _share_rows("value_tier", tiers.tiers)
        yield from _share_rows("abc_class", tiers.classes)
    elif name == "rfm-grid":
        grid = dashboards.rfm_grid(viewer=viewer)
        yield [
            "group",
            "key",
            "label",
            "r_score",
            "f_score",
            "customers",
            "share",
            "revenue",
            "revenue_share",
        ]
        for cell in grid.cells:
            yield [
                "cell",
                f"{cell.r_score}{cell.f_score}",
                "",
                cell.r_score,
                cell.f_score,
                cell.customers,
                cell.share,
                cell.revenue,
                cell.revenue_share,
            ]
        for segment in grid.segments:
            yield [
                "rfm_segment",
                segment.key,
                segment.label,
                "",
                "",
                segment.customers,
                segment.share,
                segment.revenue,
                segment.revenue_share,
            ]
    elif name == "stages":
        funnel = dashboards.stages(viewer=viewer)
        yield ["key", "label", "customers", "share", "reached", "reached_share", "revenue"]
        for stage in funnel.stages:
            yield [
                stage.key,
                stage.label,
                stage.customers,
                stage.share,
                stage.reached,
                stage.reached_share,
                stage.revenue,
            ]
    elif name == "at-risk":
        yield [
            "customer_id",
            "name",
            "owner",
            "reason",
            "rfm_segment",
            "value_tier",
            "revenue_12m",
            "clv_12m",
            "p_alive",
            "last_order_at",
            "recency_days",
        ]
        rows = dashboards.at_risk_all(
            viewer=viewer, sort=_at_risk_sort(request), reason=_at_risk_reason(request)
        )
        for row in rows:
            yield [
                row.customer_id,
                row.name,
                row.owner,
                row.reason,
                row.rfm_segment,
                row.value_tier,
                row.revenue_12m,
                row.clv_12m,
                row.p_alive,
                row.last_order_at.isoformat() if row.last_order_at else "",
                row.recency_days,
            ]
    elif name == "clv-distribution":
        spread = dashboards.clv_distribution(viewer=viewer)
        yield ["group", "low", "high", "label", "customers", "share", "clv", "clv_share"]
        for band in spread.bins:
            yield [
                "clv_12m",
                band.low,
                band.high,
                band.label,
                band.customers,
                band.share,
                band.clv,
                band.clv_share,
            ]
        for decile in spread.p_alive:
            yield [
                "p_alive",
                decile.low,
                decile.high,
                decile.label,
                decile.customers,
                decile.share,
                "",
                "",
            ]
