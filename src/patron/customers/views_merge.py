"""Duplicates and merging in the web UI: the list of likely pairs, the side-by-side merge
screen, undo and "not a duplicate". Thin: duplicates.py reads, merge.py writes."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.core import visibility
from patron.core.errors import PatronError
from patron.core.flash import success_with_action
from patron.core.pagination import Page, page_number
from patron.customers import duplicates, merge, selectors
from patron.customers.models import Customer

PAGE_SIZE = 25


def _page_number(request: HttpRequest) -> int:
    return page_number(request, last=10_000)


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    number = _page_number(request)
    result = duplicates.duplicate_pairs(
        viewer=request.user, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    pages = max(1, math.ceil(result.count / PAGE_SIZE))
    if number > pages:  # a stale link past the end: show the last page
        return redirect(f"{reverse('customers:duplicates')}?page={pages}")
    page = Page(result.pairs, number, PAGE_SIZE, result.count, pages)
    context = {"page": page, "can_write": visibility.can_write_any(request.user)}
    return render(request, "customers/duplicates.html", context)


def _shown(customer: Customer, name: str) -> str:
    """A field's value as people read it."""
    if name in ("owner", "team"):
        related = getattr(customer, name)
        return str(related) if related is not None else ""
    if name in ("language", "lifecycle_stage"):
        return str(getattr(customer, f"get_{name}_display")() or "")
    return str(getattr(customer, name) or "")


def _field_rows(survivor: Customer, merged: Customer) -> list[dict[str, Any]]:
    """One row per field: both values, whether they differ, and the default side (the
    survivor's value, unless it is empty and the merged one is not)."""
    names = [n for n in merge.MERGE_FIELDS if n != "custom_fields"]
    if survivor.kind == Customer.Kind.ORGANIZATION:
        names = [n for n in names if n not in ("given_name", "family_name")]
    else:
        names = [n for n in names if n != "organization_name"]
    rows = []
    for name in names:
        ours, theirs = _shown(survivor, name), _shown(merged, name)
        label = Customer._meta.get_field(name).verbose_name
        rows.append(_row(name, label, ours, theirs))
    labels = {f.key: f.label for f in selectors.custom_fields()}
    ours_cf, theirs_cf = survivor.custom_fields or {}, merged.custom_fields or {}
    for key in sorted(set(ours_cf) | set(theirs_cf)):
        ours, theirs = str(ours_cf.get(key, "") or ""), str(theirs_cf.get(key, "") or "")
        rows.append(_row(f"custom_fields.{key}", labels.get(key, key), ours, theirs))
    return rows


def _row(name: str, label: Any, ours: str, theirs: str) -> dict[str, Any]:
    return {
        "name": name,
        "input": "choice_" + name.replace(".", "__"),
        "label": label,
        "options": [("survivor", ours, _("kept record")), ("merged", theirs, _("merged record"))],
        "differs": ours != theirs,
        "default": "merged" if not ours and theirs else "survivor",
    }


def _choices(request: HttpRequest, rows: list[dict[str, Any]]) -> dict[str, str]:
    return {
        row["name"]: request.POST[row["input"]]
        for row in rows
        if row["differs"] and request.POST.get(row["input"]) in merge.SIDES
    }


def _version(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


@login_required
def customer_merge(request: HttpRequest, customer_id: int, other_id: int) -> HttpResponse:
    survivor = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    merged = selectors.customer_get(viewer=request.user, customer_id=other_id)
    visibility.require_write(request.user, survivor)
    visibility.require_write(request.user, merged)
    rows = _field_rows(survivor, merged)
    error, status = None, 200
    if request.method == "POST":
        for row in rows:  # what was chosen stays chosen when the page comes back
            row["default"] = request.POST.get(row["input"], row["default"])
        try:
            entry = merge.customers_merge(
                actor=request.user,
                survivor=survivor,
                merged=merged,
                field_choices=_choices(request, rows),
                expected_versions=(
                    _version(request.POST.get("version")),
                    _version(request.POST.get("merged_version")),
                ),
            )
        except PatronError as exc:
            error, status = exc.message, exc.status
        else:
            success_with_action(
                request,
                _("%(merged)s (#%(merged_id)s) is merged into %(survivor)s (#%(survivor_id)s).")
                % {
                    "merged": merged.display_name,
                    "merged_id": merged.pk,
                    "survivor": entry.target_label,
                    "survivor_id": survivor.pk,
                },
                url=reverse("customers:merge_undo", args=[entry.pk]),
                label=_("Undo"),
            )
            return redirect("customers:detail", customer_id=survivor.pk)
    context = {
        "survivor": survivor,
        "merged": merged,
        "rows": rows,
        "differing": [row for row in rows if row["differs"]],
        "moving": [c for c in duplicates.related_counts(merged) if c["count"]],
        "error": error,
        "kinds_differ": survivor.kind != merged.kind,
    }
    return render(request, "customers/merge.html", context, status=status)


@require_POST
@login_required
def merge_undo(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = merge.merge_entry_get(entry_id)
    try:
        restored = merge.merge_undo(actor=request.user, entry=entry)
    except PatronError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
        survivor_id = entry.payload["survivor_id"]
        if Customer.objects.filter(pk=survivor_id).exists():
            return redirect("customers:detail", customer_id=survivor_id)
        return redirect("customers:duplicates")
    messages.success(
        request,
        _("The merge is undone: %(name)s is back with its records.")
        % {"name": restored.display_name},
    )
    return redirect("customers:detail", customer_id=restored.pk)


@require_POST
@login_required
def duplicate_dismiss(request: HttpRequest, customer_id: int, other_id: int) -> HttpResponse:
    first = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    second = selectors.customer_get(viewer=request.user, customer_id=other_id)
    merge.duplicate_dismiss(actor=request.user, first=first, second=second)
    messages.success(
        request,
        _("%(first)s and %(second)s are no longer proposed as duplicates.")
        % {"first": first.display_name, "second": second.display_name},
    )
    page = _page_number(request)
    return redirect(reverse("customers:duplicates") + (f"?page={page}" if page > 1 else ""))
