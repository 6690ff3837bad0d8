"""The survey results pages: an overview of every active survey (headline score and a
small trend), one survey's (or one kind's) results with trend, breakdown, the closed
loop, tags and verbatims, CSV of each chart, and the HTMX pieces (verbatim pages, inline
tagging, flag a promoter as a reference).

The numbers come from `patron.feedback.results` (the roll-ups); charts are drawn by the
value dashboards' static/patron/js/charts.js from json_script documents."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from patron.core import visibility
from patron.core.errors import NotFound, ValidationFailed
from patron.customers.exporting import _spreadsheet_safe as spreadsheet_safe
from patron.feedback import results as res
from patron.feedback.models import Response, Survey, SurveyKind

BY_CHOICES = ("trigger", "segment", "tier", "owner", "team")
FIRST_VERBATIMS = 10  # on the page itself; "More" reads pages of VERBATIM_PAGE


def _by_labels() -> list[tuple[str, str]]:
    return [
        ("trigger", _("Touchpoint")),
        ("segment", _("Segment")),
        ("tier", _("Value tier")),
        ("owner", _("Owner")),
        ("team", _("Team")),
    ]


def _day(request: HttpRequest, name: str) -> dt.date | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            _("Not a date (YYYY-MM-DD)."), details={name: [_("Not a date (YYYY-MM-DD).")]}
        ) from None


def _choice(request: HttpRequest, name: str, allowed: Iterable[str], default: str) -> str:
    value = request.GET.get(name, "") or default
    return value if value in allowed else default


def _target(survey_id: int | None, kind: str | None) -> tuple[list[Survey], str, str]:
    """The surveys read, their kind and the page's title: one survey or every one of a
    kind."""
    if kind is not None:
        if kind not in SurveyKind.values or kind == SurveyKind.CUSTOM:
            raise NotFound(_("Not found."))
        surveys = list(Survey.objects.filter(kind=kind).exclude(status=Survey.Status.DRAFT))
        return surveys, kind, str(SurveyKind(kind).label)
    if not visibility.is_record_id(survey_id):
        raise NotFound(_("Not found."))
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise NotFound(_("Not found."))
    return [survey], survey.kind, survey.name


def _filters(request: HttpRequest) -> dict[str, Any]:
    start, end = res.default_range()
    return {
        "start": _day(request, "from") or start,
        "end": _day(request, "to") or end,
        "period": _choice(request, "period", res.PERIODS, "month"),
        "by": _choice(request, "by", BY_CHOICES, "trigger"),
    }


def _trend_chart(data: res.Results) -> dict[str, Any]:
    return {
        "kind": "bars",
        "label": _("%(score)s and responses per period") % {"score": res.score_label(data.kind)},
        "labels": [point.label for point in data.trend],
        "datasets": [
            {
                "label": _("Responses"),
                "data": [point.score.responses for point in data.trend],
                "format": "count",
            },
            {
                "label": res.score_label(data.kind),
                "data": [point.score.value for point in data.trend],
                "format": "count",
                "type": "line",
                "axis": "y2",
            },
        ],
        "links": [],
        "horizontal": False,
        "value_title": _("Responses"),
        "category_title": "",
        "currency": "",
    }


def _breakdown_chart(data: res.Results) -> dict[str, Any]:
    rows = [row for row in data.breakdown if row.score.value is not None][:20]
    return {
        "kind": "bars",
        "label": _("%(score)s by %(by)s")
        % {"score": res.score_label(data.kind), "by": str(data.by_label).lower()},
        "labels": [row.label for row in rows],
        "datasets": [
            {
                "label": res.score_label(data.kind),
                "data": [row.score.value for row in rows],
                "format": "count",
            }
        ],
        "links": [],
        "horizontal": True,
        "value_title": "",
        "category_title": "",
        "currency": "",
    }


def _loop_panel(surveys: list[Survey], start: dt.date, end: dt.date) -> dict[str, Any]:
    """The closed loop of the responses of the period (feedback/loop.py): aggregates,
    like the roll-ups, seen by all staff."""
    from patron.feedback.loop import loop_summary

    since = dt.datetime.combine(start, dt.time(), dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
    if len(surveys) != 1:
        # loop_summary reads one survey or all of them, not a kind's: no card rather
        # than other kinds' loops counted in.
        return {"summary": None}
    summary = loop_summary(survey=surveys[0], since=since, until=until)
    median = summary.median_time_to_close
    return {
        "summary": summary,
        "median_hours": None if median is None else round(median.total_seconds() / 3600, 1),
    }


def _page_context(
    request: HttpRequest, surveys: list[Survey], kind: str, title: str
) -> dict[str, Any]:
    filters = _filters(request)
    ids = [survey.pk for survey in surveys]
    data = res.results(survey_ids=ids, kind=kind, **filters)
    query = {
        "from": filters["start"].isoformat(),
        "to": filters["end"].isoformat(),
        "period": filters["period"],
        "by": filters["by"],
    }
    return {
        "title": title,
        "surveys": surveys,
        "survey": surveys[0] if len(surveys) == 1 else None,
        "kind": kind,
        "data": data,
        "filters": filters,
        "filter_query": urlencode(query),
        "by_choices": _by_labels(),
        "score_label": res.score_label(kind),
        "trend_chart": _trend_chart(data),
        "breakdown_chart": _breakdown_chart(data),
        "low_count": res.LOW_COUNT,
        "bands": Response.Band.choices,
    }


def _verbatim_context(
    request: HttpRequest, ids: list[int], size: int = res.VERBATIM_PAGE
) -> dict[str, Any]:
    band = request.GET.get("band", "")
    band = band if band in Response.Band.values else ""
    by = _choice(request, "vby", res.VERBATIM_FILTERS, "")
    page = res.verbatims(
        request.user,
        survey_ids=ids,
        band=band,
        tag=request.GET.get("tag", "")[:60],
        by=by,
        key=request.GET.get("key", "")[:40] if by else "",
        text=request.GET.get("q", "")[:200],
        cursor=request.GET.get("cursor") or None,
        size=size,
    )
    return {
        "verbatims": page.items,
        "next_cursor": page.next_cursor,
        "band": band,
        "tag": request.GET.get("tag", "")[:60],
        "q": request.GET.get("q", "")[:200],
        "vby": by,
        "vkey": request.GET.get("key", "")[:40] if by else "",
        "can_tag": visibility.can_write_any(request.user),
        "ideas_create": _url_or_empty("ideas:create"),
    }


def _url_or_empty(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every active survey's score of the last 12 months and its monthly trend."""
    surveys = list(Survey.objects.filter(status=Survey.Status.ACTIVE).order_by("name"))
    overview = res.overview(surveys)
    cards = []
    for survey in surveys:
        data = overview[survey.pk]
        cards.append(
            {
                "survey": survey,
                "data": data,
                "score_label": res.score_label(survey.kind),
                "chart_id": f"spark-{survey.pk}",
                "chart": _trend_chart(data),
            }
        )
    kinds = [(k, label) for k, label in SurveyKind.choices if k != SurveyKind.CUSTOM]
    return render(
        request,
        "feedback/results_index.html",
        {"cards": cards, "kinds": kinds, "low_count": res.LOW_COUNT},
    )


@login_required
@require_GET
def survey_page(
    request: HttpRequest, survey_id: int | None = None, kind: str | None = None
) -> HttpResponse:
    """One survey's (or one kind's) results: the filters are in the URL."""
    surveys, score_kind, title = _target(survey_id, kind)
    context = _page_context(request, surveys, score_kind, title)
    context.update(_verbatim_context(request, [s.pk for s in surveys], size=FIRST_VERBATIMS))
    context["verbatims_url"] = request.path + "verbatims/"
    context["loop_url"] = f"{request.path}loop/?{context['filter_query']}"
    context["tags_url"] = f"{request.path}tags/?{context['filter_query']}"
    context["lazy"] = True
    return render(request, "feedback/results.html", context)


@login_required
@require_GET
def loop_panel(
    request: HttpRequest, survey_id: int | None = None, kind: str | None = None
) -> HttpResponse:
    """The closed-loop card, read once the page is shown: it counts responses, not
    roll-ups, so it is kept out of the page's own time."""
    surveys, _kind, _title = _target(survey_id, kind)
    filters = _filters(request)
    context = {"loop": _loop_panel(surveys, filters["start"], filters["end"]), "lazy": False}
    return render(request, "feedback/partials/results_loop.html", context)


@login_required
@require_GET
def tags_panel(
    request: HttpRequest, survey_id: int | None = None, kind: str | None = None
) -> HttpResponse:
    """The tag counts card, read once the page is shown: it joins the tag links with
    the responses (a lookup per tagged response), which the roll-ups do not hold."""
    surveys, _kind, _title = _target(survey_id, kind)
    context = {
        "tag_counts": res.tag_counts([s.pk for s in surveys]),
        "filter_query": request.GET.urlencode(),
        "lazy": False,
    }
    return render(request, "feedback/partials/results_tags.html", context)


@login_required
@require_GET
def verbatims_page(
    request: HttpRequest, survey_id: int | None = None, kind: str | None = None
) -> HttpResponse:
    """A page of verbatims (HTMX: the filters changed, or "more")."""
    surveys, _kind, _title = _target(survey_id, kind)
    context = _verbatim_context(request, [s.pk for s in surveys])
    context["verbatims_url"] = request.path
    template = (
        "feedback/partials/results_verbatim_rows.html"
        if request.GET.get("cursor")
        else "feedback/partials/results_verbatims.html"
    )
    return render(request, template, context)


def _csv_text(rows: Iterable[list[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def _score_columns() -> list[str]:
    return [
        _("Responses"),
        _("Scored"),
        _("Score"),
        _("Mean"),
        _("Favourable"),
        _("Neutral"),
        _("Unfavourable"),
        _("Low count"),
    ]


def _score_cells(score: res.Score) -> list[Any]:
    return [
        score.responses,
        score.scored,
        "" if score.value is None else score.value,
        "" if score.mean is None else score.mean,
        score.favourable,
        score.neutral,
        score.unfavourable,
        "yes" if score.low_count else "",
    ]


@login_required
@require_GET
def results_csv(
    request: HttpRequest, survey_id: int | None = None, kind: str | None = None
) -> HttpResponse:
    """The trend (?what=trend) or the breakdown (?what=breakdown) as CSV."""
    surveys, score_kind, _title = _target(survey_id, kind)
    filters = _filters(request)
    data = res.results(survey_ids=[s.pk for s in surveys], kind=score_kind, **filters)
    what = _choice(request, "what", ("trend", "breakdown"), "trend")
    if what == "trend":
        rows: list[list[Any]] = [[_("Period"), *_score_columns()]]
        rows += [[p.label, *_score_cells(p.score)] for p in data.trend]
    else:
        rows = [[data.by_label, _("Key"), *_score_columns()]]
        rows += [[r.label, r.key, *_score_cells(r.score)] for r in data.breakdown]
    response = StreamingHttpResponse(_csv_text(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    name = f"survey-{survey_id}" if survey_id else f"surveys-{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}-{what}-{stamp}.csv"'
    return response


@login_required
@require_POST
def verbatim_tags(request: HttpRequest, response_id: int) -> HttpResponse:
    """Replace a verbatim's tags (comma-separated), answering with its row."""
    response = res.response_for(request.user, response_id)
    names = [part for part in request.POST.get("tags", "").split(",")]
    res.response_tags_set(actor=request.user, response=response, names=names)
    response = (
        Response.objects.select_related("customer", "survey")
        .prefetch_related("tags")
        .get(pk=response.pk)
    )
    return render(
        request,
        "feedback/partials/results_verbatim.html",
        {
            "response": response,
            "can_tag": True,
            "ideas_create": _url_or_empty("ideas:create"),
            "saved": True,
        },
    )


@login_required
@require_POST
def flag_reference(request: HttpRequest, response_id: int) -> HttpResponse:
    """Flag a promoter as a potential reference or advocate (see programmes.py)."""
    from patron.feedback.programmes import reference_flag

    response = res.response_for(request.user, response_id)
    reference_flag(actor=request.user, response=response, note=request.POST.get("note", ""))
    response = (
        Response.objects.select_related("customer", "survey")
        .prefetch_related("tags")
        .get(pk=response.pk)
    )
    return render(
        request,
        "feedback/partials/results_verbatim.html",
        {
            "response": response,
            "can_tag": visibility.can_write_any(request.user),
            "ideas_create": _url_or_empty("ideas:create"),
        },
    )
