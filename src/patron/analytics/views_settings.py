"""Admin: the definitions of value (tiers, stages, signals), and the refresh runs with a
button to start one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from patron.accounts.views import admin_required
from patron.analytics import selectors, services
from patron.analytics.forms import ValueSettingsForm
from patron.core.errors import PatronError
from patron.core.forms import apply_errors

GROUPS = (
    (
        gettext_lazy("Value tiers"),
        ("most_valuable_share", "most_valuable_basis", "abc_a_share", "abc_b_share"),
    ),
    (
        gettext_lazy("Below zero"),
        (
            "below_zero_share",
            "serving_cost_per_interaction",
            "shrinking_below",
            "declined_proposals",
            "declined_outcomes",
        ),
    ),
    (
        gettext_lazy("Relationship stages"),
        (
            "connection_days",
            "intimacy_answers",
            "intimacy_orders",
            "trust_tenure_days",
            "trust_tags",
        ),
    ),
    (
        gettext_lazy("Signals"),
        ("trend_below", "win_back_months", "silence_days", "signal_cooldown_days"),
    ),
)


@admin_required
def value_settings(request: HttpRequest) -> HttpResponse:
    current = selectors.current_settings()
    form = ValueSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.value_settings_update(actor=request.user, **form.service_fields())
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("Saved. The next refresh applies the new definitions."))
            return redirect("value_settings:edit")
    groups = [(title, [form[name] for name in names]) for title, names in GROUPS]
    context = {"form": form, "groups": groups, "runs": selectors.runs(10), "tab": "value"}
    return render(request, "analytics/value_settings.html", context)


@admin_required
@require_POST
def refresh_start(request: HttpRequest) -> HttpResponse:
    try:
        services.refresh_request(actor=request.user)
    except PatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A refresh is queued; it appears below when it starts."))
    return redirect("value_settings:edit")
