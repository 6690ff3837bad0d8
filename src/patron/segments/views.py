"""Segment pages: the list, the builder (create and edit, with a live count), a
segment's members and history, the CSV export, static lists kept by hand, and the card
of a customer's segments for the customer page. Thin: selectors and services do the
work."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from patron.core import visibility
from patron.core.errors import Conflict, PatronError
from patron.core.forms import apply_errors
from patron.core.pagination import paginate
from patron.core.text import search_text
from patron.customers import selectors as customer_selectors
from patron.customers.exporting import customers_csv
from patron.segments import selectors, services
from patron.segments.fields import all_fields, catalogue, describe, value_labels
from patron.segments.forms import FORM_FIELDS, SegmentForm
from patron.segments.models import Segment, SegmentMembership
from patron.segments.rules import RuleError

PAGE_SIZE = 25
SEARCH_RESULTS = 10


def _sorts() -> list[tuple[str, str]]:
    return [
        ("name", _("Name")),
        ("-members", _("Most members")),
        ("members", _("Fewest members")),
        ("-evaluated", _("Evaluated most recently")),
        ("-created", _("Newest")),
    ]


def _kinds() -> list[tuple[str, str]]:
    return [("", _("Dynamic and static")), *Segment.Kind.choices]


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    query = search_text(request.GET.get("q", ""))
    kind = request.GET.get("kind", "")
    kind = kind if kind in Segment.Kind.values else ""
    sort = request.GET.get("sort", "name")
    sort = sort if sort in dict(_sorts()) else "name"
    rows = selectors.segment_list(viewer=request.user, query=query, kind=kind, sort=sort)
    page = paginate(request, rows, default_size=PAGE_SIZE)
    dynamic = [s for s in page.items if s.kind == Segment.Kind.DYNAMIC and s.rules]
    fields = all_fields() if dynamic else {}
    labels = value_labels([s.rules for s in dynamic])
    for segment in page.items:
        segment.summary = (
            describe(segment.rules, fields=fields, labels=labels) if segment in dynamic else ""
        )
    context = {
        "page": page,
        "q": query,
        "kind": kind,
        "sort": sort,
        "sorts": _sorts(),
        "kinds": _kinds(),
        "filtered": bool(query or kind),
        "can_create": visibility.can_write_any(request.user),
    }
    if request.htmx and request.htmx.target == "segment-results":
        return render(request, "segments/partials/list_results.html", context)
    return render(request, "segments/list.html", context)


# --- The builder -----------------------------------------------------------------------------


def builder_text() -> dict[str, str]:
    """The builder's words, in the user's language (segments.js shows them)."""
    return {
        "match": _("Match"),
        "of_these": _("of these conditions"),
        "field": _("Field"),
        "operator": _("Operator"),
        "value": _("Value"),
        "choose_field": _("Choose a field…"),
        "choose": _("Choose…"),
        "add_condition": _("Add condition"),
        "add_group": _("Add group"),
        "remove": _("Remove condition"),
        "remove_group": _("Remove group"),
        "group": _("Group of conditions"),
        "nothing_yet": _("No conditions yet: every customer matches. Add one."),
        "incomplete": _("Choose a field to use this condition."),
        "from": _("from"),
        "to": _("to"),
        "days": _("days"),
        "category": _("Category"),
        "sku": _("SKU"),
        "channel": _("Channel"),
        "any_channel": _("Any channel"),
        "purpose": _("Purpose"),
        "comma_help": _("Separate values with commas"),
        "bad_json": _("These rules are not valid JSON; the builder shows the last valid rules."),
    }


def _split_errors(details: Any) -> tuple[dict[str, list[str]], dict[str, str]]:
    """A service's details: those of the form's fields, and those of the rules (path →
    first message) for the builder to show next to each condition."""
    fields: dict[str, list[str]] = {}
    rules: dict[str, str] = {}
    for key, value in (details if isinstance(details, dict) else {}).items():
        messages_ = value if isinstance(value, list) else [value]
        if key in FORM_FIELDS:
            fields[key] = [str(m) for m in messages_]
        else:
            rules[key] = str(messages_[0]) if messages_ else ""
    return fields, rules


def _edit(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    if segment is not None and not services.can_change(request.user, segment):
        raise visibility.PermissionDenied(
            _("Only its author, a manager or an admin can change this segment.")
        )
    if segment is None:
        visibility.require_create(request.user)
    initial = SegmentForm.initial_for(segment) if segment else {"kind": Segment.Kind.DYNAMIC}
    form = SegmentForm(request.POST or None, initial=initial)
    rule_errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if segment is None:
                    saved = services.segment_create(actor=request.user, **form.service_fields())
                else:
                    saved = services.segment_update(
                        actor=request.user,
                        segment=segment,
                        expected_version=form.cleaned_data.get("version"),
                        **form.service_fields(),
                    )
            except Conflict as exc:
                form.add_error(None, exc.message)
                status = 409
            except PatronError as exc:
                field_errors, rule_errors = _split_errors(exc.details)
                apply_errors(form, field_errors, exc.message)
                if rule_errors:
                    form.add_error(
                        None, _("Some conditions need a change: see the messages next to them.")
                    )
                status = 422
            else:
                messages.success(
                    request,
                    _("The segment “%(name)s” is saved: %(count)s members.")
                    % {"name": saved.name, "count": saved.member_count},
                )
                return redirect("segments:detail", segment_id=saved.pk)
        else:
            status = 422
            if "rules" in form.errors:
                rule_errors = {"rules": form.errors["rules"][0]}
    context = {
        "form": form,
        "segment": segment,
        "creating": segment is None,
        "catalogue": catalogue(exclude_segment=segment.pk if segment else None),
        "rule_errors": rule_errors,
        "builder_text": builder_text(),
    }
    return render(request, "segments/form.html", context, status=status)


@login_required
def segment_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
def segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    return _edit(request, selectors.segment_get(viewer=request.user, segment_id=segment_id))


@login_required
@require_POST
def segment_count(request: HttpRequest) -> HttpResponse:
    """The live count of the builder: the customers the user sees that match the rules
    posted, or the problems with them (which segments.js puts next to each condition)."""
    raw = request.POST.get("rules", "") or "{}"
    segment_id = request.POST.get("segment_id", "")
    context: dict[str, Any] = {"errors": {}}
    try:
        rules = json.loads(raw)
    except ValueError:
        context["message"] = _("These rules are not valid JSON.")
        context["errors"] = {"rules": context["message"]}
    else:
        try:
            context["count"] = selectors.count_matching(
                request.user,
                rules,
                segment_id=int(segment_id) if visibility.is_record_id(segment_id) else None,
            )
        except RuleError as exc:
            context["errors"] = {path: messages_[0] for path, messages_ in exc.details.items()}
            context["message"] = ngettext(
                "One condition needs a change.",
                "%(n)d conditions need a change.",
                len(context["errors"]),
            ) % {"n": len(context["errors"])}
    context["errors_json"] = json.dumps(context["errors"], ensure_ascii=False)
    return render(request, "segments/partials/live_count.html", context)


# --- A segment --------------------------------------------------------------------------------


@login_required
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(viewer=request.user, segment_id=segment_id)
    tab = "history" if request.GET.get("tab") == "history" else "members"
    cursor = request.GET.get("cursor") or None
    context: dict[str, Any] = {
        "segment": segment,
        "tab": tab,
        "cursor": cursor,
        "can_change": services.can_change(request.user, segment),
        "is_static": segment.kind == Segment.Kind.STATIC,
    }
    if tab == "history":
        context["history"] = selectors.history(request.user, segment, cursor=cursor, size=PAGE_SIZE)
    else:
        context["members"] = selectors.members(request.user, segment, cursor=cursor, size=PAGE_SIZE)
    if request.htmx and request.htmx.target == "segment-tab":
        return render(request, "segments/partials/tab.html", context)
    context.update(
        count=selectors.member_count(request.user, segment),
        summary=describe(segment.rules, labels=value_labels([segment.rules]))
        if segment.kind == Segment.Kind.DYNAMIC
        else "",
    )
    return render(request, "segments/detail.html", context)


@login_required
def segment_export(request: HttpRequest, segment_id: int) -> HttpResponse:
    """The members the user sees, in the customer import's columns."""
    segment = selectors.segment_get(viewer=request.user, segment_id=segment_id)
    rows = selectors.member_customers(request.user, segment)
    response = StreamingHttpResponse(customers_csv(rows), content_type="text/csv; charset=utf-8")
    name = slugify(segment.name) or "segment"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="segment-{name}-{stamp}.csv"'
    return response


@login_required
@require_POST
def segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(viewer=request.user, segment_id=segment_id)
    try:
        services.segment_delete(actor=request.user, segment=segment)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("segments:detail", segment_id=segment.pk)
    messages.success(request, _("The segment “%(name)s” is deleted.") % {"name": segment.name})
    return redirect("segments:list")


@login_required
@require_POST
def segment_evaluate(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(viewer=request.user, segment_id=segment_id)
    result = services.segment_evaluate(actor=request.user, segment=segment)
    messages.success(
        request,
        _("Evaluated: %(entered)s entered, %(left)s left.")
        % {"entered": result["entered"], "left": result["left"]},
    )
    return redirect("segments:detail", segment_id=segment.pk)


# --- Static lists ------------------------------------------------------------------------------


@login_required
def member_search(request: HttpRequest, segment_id: int) -> HttpResponse:
    """Customers the user sees whose name, email, phone or id starts with `q`, to add."""
    segment = selectors.segment_get(viewer=request.user, segment_id=segment_id)
    query = search_text(request.GET.get("q", ""))
    found = []
    if query:
        found = list(
            customer_selectors.customer_list(viewer=request.user, query=query)[:SEARCH_RESULTS]
        )
    members = set(
        SegmentMembership.objects.filter(
            segment=segment, left_at__isnull=True, customer_id__in=[c.pk for c in found]
        ).values_list("customer_id", flat=True)
    )
    context = {"segment": segment, "found": found, "members": members, "q": query}
    return render(request, "segments/partials/member_search.html", context)


def _back_to(segment: Segment) -> str:
    return reverse("segments:detail", args=[segment.pk])


@login_required
@require_POST
def member_add(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(viewer=request.user, segment_id=segment_id)
    try:
        added = services.segment_members_add(
            actor=request.user, segment=segment, customer_ids=request.POST.getlist("customer_id")
        )
    except PatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext("%(n)d customer added.", "%(n)d customers added.", added) % {"n": added}
            if added
            else _("Already in the list."),
        )
    return redirect(_back_to(segment))


@login_required
@require_POST
def member_remove(request: HttpRequest, segment_id: int, customer_id: int) -> HttpResponse:
    segment = selectors.segment_get(viewer=request.user, segment_id=segment_id)
    try:
        services.segment_members_remove(
            actor=request.user, segment=segment, customer_ids=[customer_id]
        )
    except PatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Taken out of the list."))
    return redirect(_back_to(segment))


# --- The card on the customer page -------------------------------------------------------------


def customer_segments_context(customer: Any) -> dict[str, Any]:
    """What `segments/partials/customer_segments.html` shows for `customer` (already read
    with visibility): two queries."""
    return {"customer": customer, "segment_stays": selectors.customer_segments(customer)}


@login_required
def customer_card(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_selectors.customer_get(viewer=request.user, customer_id=customer_id)
    return render(
        request, "segments/partials/customer_segments.html", customer_segments_context(customer)
    )
