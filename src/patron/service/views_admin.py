"""Admin pages of the service settings (/manage/service/): ticket categories, SLA
policies in the order they win, service hours per team with their holidays."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from patron.accounts.views import admin_required
from patron.analytics.models import ValueTier
from patron.core.errors import PatronError, ValidationFailed
from patron.core.forms import apply_errors
from patron.service import policies
from patron.service.calendar import weekday_names
from patron.service.forms_admin import (
    CategoryForm,
    HolidayForm,
    HoursForm,
    PolicyForm,
    week_to_text,
)
from patron.service.models import ServiceHours, SlaPolicy


def duration(minutes: int, *, business: bool = False) -> str:
    """A target as people say it: "4 h", "24 h", "5 days", "90 min", "2 h 30 min".
    Business time stays in hours (40 business hours are not "1 day 16 h")."""
    hours, mins = divmod(minutes, 60)
    if not hours:
        return _("%(n)d min") % {"n": mins}
    if mins:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    if not business and minutes >= 48 * 60 and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    return _("%(n)d h") % {"n": hours}


TIERS = dict(ValueTier.choices)


def _base(section: str, **context: Any) -> dict[str, Any]:
    return {"tab": "service", "section": section, **context}


# Categories


@admin_required
def category_list(request: HttpRequest) -> HttpResponse:
    rows = list(policies.categories())
    return render(request, "service/admin/categories.html", _base("categories", rows=rows))


def _category_edit(request: HttpRequest, category: Any) -> HttpResponse:
    initial = (
        {"position": 100, "active": True}
        if category is None
        else {
            "name": category.name,
            "description": category.description,
            "position": category.position,
            "active": category.active,
        }
    )
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = policies.category_save(
                actor=request.user, category=category, **form.cleaned_data
            )
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("The category “%(name)s” is saved.") % {"name": saved})
            return redirect("service_admin:categories")
    context = _base("categories", form=form, edited=category, creating=category is None)
    return render(request, "service/admin/category_form.html", context)


@admin_required
def category_create(request: HttpRequest) -> HttpResponse:
    return _category_edit(request, None)


@admin_required
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    return _category_edit(request, policies.category_get(category_id))


# Policies


def _described(policy: SlaPolicy) -> SlaPolicy:
    business = policy.business_hours
    policy.first_response_label = duration(policy.first_response_minutes, business=business)
    policy.resolution_label = duration(policy.resolution_minutes, business=business)
    policy.tier_label = TIERS.get(policy.customer_tier, policy.customer_tier)
    return policy


@admin_required
def policy_list(request: HttpRequest) -> HttpResponse:
    rows = [_described(p) for p in policies.policies()]
    return render(request, "service/admin/policies.html", _base("policies", rows=rows))


def _policy_edit(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    initial = (
        {"first_response_unit": "hours", "resolution_unit": "days", "business_hours": True,
         "position": 100, "active": True}
        if policy is None
        else PolicyForm.initial_for(policy)
    )  # fmt: skip
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = policies.policy_save(actor=request.user, policy=policy, **form.values())
        except PatronError as exc:
            details = dict(exc.details) if isinstance(exc.details, dict) else {}
            for name in ("first_response", "resolution"):
                if f"{name}_minutes" in details:
                    details[name] = details.pop(f"{name}_minutes")
            apply_errors(form, details, exc.message)
        else:
            messages.success(
                request,
                _("The policy “%(name)s” is saved; it applies to due times set from now on.")
                % {"name": saved},
            )
            return redirect("service_admin:policies")
    context = _base("policies", form=form, edited=policy, creating=policy is None)
    return render(request, "service/admin/policy_form.html", context)


@admin_required
def policy_create(request: HttpRequest) -> HttpResponse:
    return _policy_edit(request, None)


@admin_required
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    return _policy_edit(request, policies.policy_get(policy_id))


@require_POST
@admin_required
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = policies.policy_get(policy_id)
    policies.policy_delete(actor=request.user, policy=policy)
    messages.success(request, _("The policy “%(name)s” is deleted.") % {"name": policy})
    return redirect("service_admin:policies")


# Service hours


def _week_rows(hours: ServiceHours) -> list[tuple[str, str]]:
    names = weekday_names()
    return [(names[i], text) for i, text in enumerate(week_to_text(hours.week))]


@admin_required
def hours_list(request: HttpRequest) -> HttpResponse:
    rows = policies.hours_list()
    for hours in rows:
        hours.week_rows = _week_rows(hours)
    context = _base("hours", rows=rows, can_add=policies.teams_without_hours().exists())
    return render(request, "service/admin/hours_list.html", context)


def _hours_edit(request: HttpRequest, hours: ServiceHours | None) -> HttpResponse:
    if hours is None:
        initial: dict[str, Any] = {"time_zone": "UTC"}
        week = ServiceHours().week
    else:
        initial = {"time_zone": hours.time_zone}
        week = hours.week
    initial |= {f"day_{i}": text for i, text in enumerate(week_to_text(week))}
    form = HoursForm(
        request.POST or None,
        initial=initial,
        teams=policies.teams_without_hours(),
        editing=hours is not None,
        default_exists=ServiceHours.objects.filter(team__isnull=True).exists(),
    )
    if request.method == "POST" and form.is_valid():
        values = {"time_zone": form.cleaned_data["time_zone"], "week": form.cleaned_data["week"]}
        if hours is None:
            values["team"] = form.cleaned_data["team"]
        try:
            saved = policies.hours_save(actor=request.user, hours=hours, **values)
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("The service hours of %(name)s are saved.") % {
                "name": saved
            })  # fmt: skip
            return redirect("service_admin:hours_edit", hours_id=saved.pk)
    context = _base(
        "hours",
        form=form,
        edited=hours,
        creating=hours is None,
        holiday_form=HolidayForm(),
        holidays=list(hours.holidays.all()) if hours else [],
    )
    return render(request, "service/admin/hours_form.html", context)


@admin_required
def hours_create(request: HttpRequest) -> HttpResponse:
    return _hours_edit(request, None)


@admin_required
def hours_edit(request: HttpRequest, hours_id: int) -> HttpResponse:
    return _hours_edit(request, policies.hours_get(hours_id))


@require_POST
@admin_required
def hours_delete(request: HttpRequest, hours_id: int) -> HttpResponse:
    hours = policies.hours_get(hours_id)
    if hours.team_id is None:
        messages.error(request, _("The default service hours cannot be deleted."))
        return redirect("service_admin:hours_edit", hours_id=hours.pk)
    policies.hours_delete(actor=request.user, hours=hours)
    messages.success(
        request,
        _("The service hours of %(name)s are deleted; the team uses the default hours.")
        % {"name": hours.team},
    )
    return redirect("service_admin:hours")


@require_POST
@admin_required
def holiday_add(request: HttpRequest, hours_id: int) -> HttpResponse:
    hours = policies.hours_get(hours_id)
    form = HolidayForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(_("Give a valid date."), details=form.errors)
        holiday = policies.holiday_add(
            actor=request.user,
            hours=hours,
            date=form.cleaned_data["date"],
            name=form.cleaned_data["name"],
        )
    except PatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(date)s is a holiday.") % {"date": holiday.date.isoformat()})
    return redirect("service_admin:hours_edit", hours_id=hours.pk)


@require_POST
@admin_required
def holiday_remove(request: HttpRequest, hours_id: int, holiday_id: int) -> HttpResponse:
    hours = policies.hours_get(hours_id)
    holiday = policies.holiday_get(hours, holiday_id)
    policies.holiday_remove(actor=request.user, holiday=holiday)
    messages.success(
        request, _("%(date)s is a working day again.") % {"date": holiday.date.isoformat()}
    )
    return redirect("service_admin:hours_edit", hours_id=hours.pk)
