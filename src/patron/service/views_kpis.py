"""The service KPIs page: a card per KPI with its charts (Chart.js through the value
dashboards' static/patron/js/charts.js), a table of the same numbers and a CSV; the
filters in the URL. Every member of staff sees it, for the tickets they may see.

The numbers come from `patron.service.kpis` (a dozen queries for the whole page); this
module only shapes them for the charts, the tables and the CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from babel import numbers as babel_numbers
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from patron.accounts.models import Team
from patron.core import formatting
from patron.core.errors import NotFound, ValidationFailed
from patron.core.forms import StyledForm
from patron.customers.exporting import _spreadsheet_safe as spreadsheet_safe
from patron.service import kpis
from patron.service.models import TicketCategory, TicketPriority, TicketType


class FilterForm(StyledForm):
    """The filters of the page, read back from the URL (GET)."""

    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    type = forms.ChoiceField(label=gettext_lazy("Type"), required=False)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), required=False)

    def __init__(self, filters: kpis.Filters, *args: Any, **kwargs: Any) -> None:
        initial = {
            "from": filters.date_from,
            "to": filters.date_to,
            "team": filters.team or "",
            "category": filters.category or "",
            "type": filters.type,
            "priority": filters.priority or "",
        }
        super().__init__(*args, initial=initial, **kwargs)
        # Named as in the URL (from, to): Python keywords, so added here.
        for name, label in (("from", _("From")), ("to", _("To"))):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
        self.order_fields(["from", "to", "team", "category", "type", "priority"])
        self.style_fields(["from", "to"])
        every = [("", _("All"))]
        self.fields["team"].choices = every + [
            (str(pk), name) for pk, name in Team.objects.values_list("pk", "name")
        ]
        self.fields["category"].choices = every + [
            (str(pk), name) for pk, name in TicketCategory.objects.values_list("pk", "name")
        ]
        self.fields["type"].choices = every + list(TicketType.choices)
        self.fields["priority"].choices = every + [
            (str(v), label) for v, label in TicketPriority.choices
        ]


def read_filters(request: HttpRequest) -> kpis.Filters:
    params = request.GET
    return kpis.parse_filters(
        date_from=params.get("from"),
        date_to=params.get("to"),
        team=params.get("team"),
        category=params.get("category"),
        type=params.get("type"),
        priority=params.get("priority"),
    )


# --- Formatting -------------------------------------------------------------------------------


def hours(value: float | None) -> str:
    if value is None:
        return "—"
    shown = babel_numbers.format_decimal(
        round(value, 1), format="#,##0.0", locale=formatting.current_locale()
    )
    return _("%(hours)s h") % {"hours": shown}


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return babel_numbers.format_percent(
        round(value, 3), locale=formatting.current_locale(), decimal_quantization=False
    )


def number(value: float | int | None) -> str:
    return "—" if value is None else formatting.format_number(value)


def per_1000(value: float | None) -> str:
    if value is None:
        return "—"
    return babel_numbers.format_decimal(
        round(value, 1), format="#,##0.0", locale=formatting.current_locale()
    )


def week_label(week: kpis.Week) -> str:
    return formatting.format_date(week.start, fmt="short")


# --- Cards ------------------------------------------------------------------------------------


def _bars(label: str, labels: list[str], datasets: list[dict[str, Any]], **extra: Any) -> dict:
    """A chart for charts.js: bars per label (a dataset may be a line on a second axis)."""
    spec = {
        "kind": "bars",
        "label": label,
        "labels": labels,
        "datasets": datasets,
        "links": [],
        "horizontal": True,
        "value_title": "",
        "category_title": "",
        "currency": "",
    }
    spec.update(extra)
    return spec


def _dataset(label: str, data: list[Any], fmt: str = "count", **extra: Any) -> dict[str, Any]:
    return {"label": label, "data": data, "format": fmt, **extra}


@dataclass
class Table:
    caption: str
    columns: list[str]
    # (group heading, rows): each row a label and its shown values.
    sections: list[tuple[str, list[tuple[str, list[str]]]]]


@dataclass
class Card:
    name: str
    title: str
    description: str
    charts: list[tuple[str, str, dict[str, Any]]]  # (element id, heading, chart spec)
    table: Table
    csv_url: str


def _groups(data: kpis.ServiceKpis) -> list[tuple[str, list[kpis.Group]]]:
    return [
        (_("All tickets"), [data.overall]),
        (_("By category"), data.by_category),
        (_("By team"), data.by_team),
    ]


def _duration_card(
    data: kpis.ServiceKpis, name: str, title: str, description: str, read: Callable
) -> dict[str, Any]:
    charts = []
    for key, heading, groups in (
        ("category", _("By category"), data.by_category),
        ("team", _("By team"), data.by_team),
    ):
        if not groups:
            continue
        charts.append(
            (
                f"chart-{name}-{key}",
                heading,
                _bars(
                    f"{title}: {heading}",
                    [g.label for g in groups],
                    [
                        _dataset(_("Median (hours)"), [read(g).median for g in groups]),
                        _dataset(_("90th percentile (hours)"), [read(g).p90 for g in groups]),
                    ],
                ),
            )
        )
    sections = [
        (
            heading,
            [
                (g.label, [number(read(g).count), hours(read(g).median), hours(read(g).p90)])
                for g in groups
            ],
        )
        for heading, groups in _groups(data)
    ]
    columns = [_("Tickets"), _("Median"), _("90th percentile")]
    return {"charts": charts, "table": Table(title, columns, sections)}


def _share_card(
    data: kpis.ServiceKpis,
    name: str,
    title: str,
    series: str,
    share: Callable[[kpis.Group], float | None],
    counts: Callable[[kpis.Group], list[str]],
    columns: list[str],
) -> dict[str, Any]:
    charts = []
    for key, heading, groups in (
        ("category", _("By category"), data.by_category),
        ("team", _("By team"), data.by_team),
    ):
        if not groups:
            continue
        charts.append(
            (
                f"chart-{name}-{key}",
                heading,
                _bars(
                    f"{title}: {heading}",
                    [g.label for g in groups],
                    [_dataset(series, [share(g) for g in groups], "percent")],
                ),
            )
        )
    sections = [
        (heading, [(g.label, [*counts(g), percent(share(g))]) for g in groups])
        for heading, groups in _groups(data)
    ]
    return {"charts": charts, "table": Table(title, [*columns, series], sections)}


def _backlog_card(data: kpis.ServiceKpis) -> dict[str, Any]:
    buckets = data.buckets
    chart = _bars(
        _("Active tickets by age"),
        [label for _key, label in buckets],
        [_dataset(_("Active tickets"), [data.overall.backlog[key] for key, _l in buckets])],
        horizontal=False,
    )
    charts = [("chart-backlog", _("By age"), chart)]
    if data.by_team:
        charts.append(
            (
                "chart-backlog-team",
                _("By team"),
                _bars(
                    _("Active tickets: by team"),
                    [g.label for g in data.by_team],
                    [_dataset(_("Active tickets"), [g.backlog_total for g in data.by_team])],
                ),
            )
        )
    sections = [
        (
            heading,
            [
                (
                    g.label,
                    [number(g.backlog[key]) for key, _l in buckets] + [number(g.backlog_total)],
                )
                for g in groups
            ],
        )
        for heading, groups in _groups(data)
    ]
    columns = [label for _k, label in buckets] + [_("All")]
    return {"charts": charts, "table": Table(_("Backlog by age"), columns, sections)}


def _complaints_card(data: kpis.ServiceKpis) -> dict[str, Any]:
    charts = []
    if data.by_team:
        charts.append(
            (
                "chart-complaints-team",
                _("By team"),
                _bars(
                    _("Complaints per 1,000 orders: by team"),
                    [g.label for g in data.by_team],
                    [
                        _dataset(
                            _("Complaints per 1,000 orders"),
                            [g.complaints_per_1000_orders for g in data.by_team],
                        )
                    ],
                ),
            )
        )
    if data.by_category:
        charts.append(
            (
                "chart-complaints-category",
                _("By category"),
                _bars(
                    _("Complaints per 1,000 orders: by category"),
                    [g.label for g in data.by_category],
                    [
                        _dataset(
                            _("Complaints per 1,000 orders"),
                            [g.complaints_per_1000_orders for g in data.by_category],
                        )
                    ],
                ),
            )
        )
    sections = [
        (
            heading,
            [
                (
                    g.label,
                    [
                        number(g.complaints),
                        number(g.orders),
                        per_1000(g.complaints_per_1000_orders),
                    ],
                )
                for g in groups
            ],
        )
        for heading, groups in _groups(data)
    ]
    columns = [_("Complaints"), _("Orders"), _("Per 1,000 orders")]
    return {"charts": charts, "table": Table(_("Complaints"), columns, sections)}


def _trend_card(data: kpis.ServiceKpis) -> dict[str, Any]:
    labels = [week_label(w) for w in data.weeks]
    chart = _bars(
        _("Weekly trend: complaints and median time to resolution"),
        labels,
        [
            _dataset(_("Complaints"), [w.complaints for w in data.weeks]),
            _dataset(
                _("Median time to resolution (hours)"),
                [w.resolution.median for w in data.weeks],
                type="line",
                axis="y2",
            ),
        ],
        horizontal=False,
        category_title=_("Week starting"),
    )
    rows = [
        (
            week_label(w),
            [
                number(w.resolution.count),
                hours(w.resolution.median),
                number(w.complaints),
                per_1000(w.complaints_per_1000_orders),
            ],
        )
        for w in data.weeks
    ]
    columns = [
        _("Resolved"),
        _("Median time to resolution"),
        _("Complaints"),
        _("Per 1,000 orders"),
    ]
    return {
        "charts": [("chart-trend", "", chart)],
        "table": Table(_("Weekly trend"), columns, [(_("Week starting"), rows)]),
    }


CARDS: dict[str, tuple[Any, Any]] = {
    "first-response": (
        gettext_lazy("Time to first response"),
        gettext_lazy(
            "Hours from a ticket's creation to the first reply, for the tickets created "
            "in the period (wall clock)."
        ),
    ),
    "resolution": (
        gettext_lazy("Time to resolution"),
        gettext_lazy(
            "Hours from a ticket's creation to its resolution, for the tickets resolved "
            "in the period (wall clock)."
        ),
    ),
    "first-contact": (
        gettext_lazy("First-contact resolution"),
        gettext_lazy(
            "Of the tickets resolved in the period, the share resolved with at most one "
            "reply and never reopened."
        ),
    ),
    "backlog": (
        gettext_lazy("Backlog by age"),
        gettext_lazy("The tickets still needing us now (new, open, waiting), by age."),
    ),
    "sla": (
        gettext_lazy("SLA compliance"),
        gettext_lazy(
            "Of the deadlines (first response, resolution) that fell in the period and "
            "have passed, the share met."
        ),
    ),
    "complaints": (
        gettext_lazy("Complaints per 1,000 orders"),
        gettext_lazy("Complaints created in the period per order placed in it."),
    ),
    "trend": (
        gettext_lazy("Weekly trend"),
        gettext_lazy("Complaints and the median time to resolution, week by week."),
    ),
}


def build_cards(data: kpis.ServiceKpis) -> list[Card]:
    query = urlencode(data.filters.query())
    parts = {
        "first-response": _duration_card(
            data,
            "first-response",
            _("Time to first response"),
            "",
            lambda g: g.first_response,
        ),
        "resolution": _duration_card(
            data, "resolution", _("Time to resolution"), "", lambda g: g.resolution
        ),
        "first-contact": _share_card(
            data,
            "first-contact",
            _("First-contact resolution"),
            _("Resolved on first contact"),
            lambda g: g.fcr_rate,
            lambda g: [number(g.resolved), number(g.first_contact)],
            [_("Resolved"), _("On first contact")],
        ),
        "backlog": _backlog_card(data),
        "sla": _share_card(
            data,
            "sla",
            _("SLA compliance"),
            _("Deadlines met"),
            lambda g: g.sla_compliance,
            lambda g: [number(g.deadlines), number(g.deadlines_met)],
            [_("Deadlines"), _("Met")],
        ),
        "complaints": _complaints_card(data),
        "trend": _trend_card(data),
    }
    return [
        Card(
            name=name,
            title=str(title),
            description=str(description),
            charts=parts[name]["charts"],
            table=parts[name]["table"],
            csv_url=f"{reverse('service_kpis:csv', args=[name])}?{query}",
        )
        for name, (title, description) in CARDS.items()
    ]


def _headlines(data: kpis.ServiceKpis) -> list[tuple[str, str, str]]:
    o = data.overall
    return [
        ("ttfr", _("Median time to first response"), hours(o.first_response.median)),
        ("ttr", _("Median time to resolution"), hours(o.resolution.median)),
        ("fcr", _("First-contact resolution"), percent(o.fcr_rate)),
        ("sla", _("SLA compliance"), percent(o.sla_compliance)),
        ("backlog", _("Backlog"), number(o.backlog_total)),
        ("complaints", _("Complaints per 1,000 orders"), per_1000(o.complaints_per_1000_orders)),
    ]


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    error = None
    try:
        filters = read_filters(request)
    except ValidationFailed as exc:
        error = exc.message
        filters = kpis.parse_filters()
    data = kpis.service_kpis(viewer=request.user, filters=filters)
    context = {
        "filters": filters,
        "form": FilterForm(filters),
        "error": error,
        "data": data,
        "headlines": _headlines(data),
        "cards": build_cards(data),
    }
    return render(request, "service/kpis.html", context, status=400 if error else 200)


# --- CSV --------------------------------------------------------------------------------------


def _group_rows(data: kpis.ServiceKpis) -> Iterator[tuple[str, kpis.Group]]:
    yield "all", data.overall
    for group in data.by_category:
        yield "category", group
    for group in data.by_team:
        yield "team", group


def csv_rows(name: str, data: kpis.ServiceKpis) -> Iterator[list[Any]]:
    """The header, then the rows, of card `name`'s CSV (plain numbers: hours, shares 0-1)."""
    f = data.filters
    period = [f.date_from.isoformat(), f.date_to.isoformat()]
    head = ["from", "to", "group", "key", "label"]
    if name in ("first-response", "resolution"):
        yield [*head, "tickets", "median_hours", "p90_hours"]
        for dimension, g in _group_rows(data):
            d = g.first_response if name == "first-response" else g.resolution
            yield [*period, dimension, g.key, g.label, d.count, d.median, d.p90]
    elif name == "first-contact":
        yield [*head, "resolved", "first_contact", "rate"]
        for dimension, g in _group_rows(data):
            yield [*period, dimension, g.key, g.label, g.resolved, g.first_contact, g.fcr_rate]
    elif name == "backlog":
        yield [*head, *(key for key, _l in data.buckets), "total"]
        for dimension, g in _group_rows(data):
            counts = [g.backlog[key] for key, _l in data.buckets]
            yield [*period, dimension, g.key, g.label, *counts, g.backlog_total]
    elif name == "sla":
        yield [*head, "deadlines", "met", "compliance"]
        for dimension, g in _group_rows(data):
            yield [
                *period,
                dimension,
                g.key,
                g.label,
                g.deadlines,
                g.deadlines_met,
                g.sla_compliance,
            ]
    elif name == "complaints":
        yield [*head, "complaints", "orders", "per_1000_orders"]
        for dimension, g in _group_rows(data):
            yield [
                *period,
                dimension,
                g.key,
                g.label,
                g.complaints,
                g.orders,
                g.complaints_per_1000_orders,
            ]
    elif name == "trend":
        yield [
            "week_start",
            "resolved",
            "median_hours",
            "p90_hours",
            "complaints",
            "orders",
            "per_1000_orders",
        ]
        for w in data.weeks:
            yield [
                w.start.isoformat(),
                w.resolution.count,
                w.resolution.median,
                w.resolution.p90,
                w.complaints,
                w.orders,
                w.complaints_per_1000_orders,
            ]


@login_required
@require_GET
def dashboard_csv(request: HttpRequest, name: str) -> HttpResponse:
    if name not in CARDS:
        raise NotFound(_("There is no such chart."))
    data = kpis.service_kpis(viewer=request.user, filters=read_filters(request))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in csv_rows(name, data):
        writer.writerow([spreadsheet_safe("" if value is None else value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="service-{name}-{stamp}.csv"'
    return response
