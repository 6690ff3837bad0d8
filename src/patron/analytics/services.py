"""Writes of customer value: the settings behind tiers, stages and signals (admins), and a
refresh on request. The refresh itself is in refresh.py."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from patron.accounts.models import Role
from patron.analytics.models import ValueSettings
from patron.analytics.refresh import value_settings
from patron.core import visibility
from patron.core.audit import audit_update, snapshot
from patron.core.errors import PermissionDenied, ValidationFailed

if TYPE_CHECKING:
    from patron.accounts.models import User

SHARES = (
    "most_valuable_share",
    "abc_a_share",
    "abc_b_share",
    "below_zero_share",
    "shrinking_below",
    "trend_below",
)
SETTINGS_FIELDS = frozenset(
    {
        *SHARES,
        "most_valuable_basis",
        "serving_cost_per_interaction",
        "declined_proposals",
        "declined_outcomes",
        "connection_days",
        "intimacy_answers",
        "intimacy_orders",
        "trust_tenure_days",
        "trust_tags",
        "win_back_months",
        "silence_days",
        "signal_cooldown_days",
    }
)
WORD_LISTS = ("declined_outcomes", "trust_tags")


def _check(vs: ValueSettings) -> None:
    problems: dict[str, list[str]] = {}
    for name in SHARES:
        value = Decimal(str(getattr(vs, name)))
        if not Decimal("0") < value <= Decimal("1"):
            problems[name] = [_("A share between 0 and 1, such as 0.1 for 10 %.")]
    if "abc_b_share" not in problems and Decimal(str(vs.abc_b_share)) <= Decimal(
        str(vs.abc_a_share)
    ):
        problems["abc_b_share"] = [_("The B cut-off must be above the A cut-off.")]
    if vs.most_valuable_basis not in ValueSettings.Basis.values:
        problems["most_valuable_basis"] = [_("Revenue or margin.")]
    if Decimal(str(vs.serving_cost_per_interaction)) < 0:
        problems["serving_cost_per_interaction"] = [_("Zero or more.")]
    for name in WORD_LISTS:
        words = getattr(vs, name)
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            problems[name] = [_("A list of words.")]
        elif any(len(w) > 120 for w in words) or len(words) > 50:
            problems[name] = [_("At most 50 entries of 120 characters.")]
    if vs.win_back_months < 13:
        problems["win_back_months"] = [
            _("More than 12: a customer is lost after 12 months without an order.")
        ]
    if problems:
        raise ValidationFailed(_("Some settings are not valid."), details=problems)


def value_settings_update(*, actor: User, **fields: Any) -> ValueSettings:
    """Change the business's definitions of value; they apply from the next refresh."""
    visibility.require_admin(actor)
    unknown = sorted(set(fields) - SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown settings: %(names)s.") % {"names": ", ".join(unknown)},
            details={name: [_("Unknown setting.")] for name in unknown},
        )
    with transaction.atomic():
        vs = value_settings()
        before = snapshot(vs)
        for name, value in fields.items():
            if name in WORD_LISTS and isinstance(value, list):
                value = [str(w).strip() for w in value if str(w).strip()]
            setattr(vs, name, value)
        _check(vs)
        vs.updated_by = actor
        vs.save()
        audit_update(actor=actor, instance=vs, before=before)
    return vs


def refresh_request(*, actor: User) -> None:
    """Queue a refresh now (admins and managers): the job runs it in the background."""
    if not (visibility.sees_everything(actor) or actor.role == Role.MANAGER):
        raise PermissionDenied(_("Only admins and managers can start a refresh."))
    from patron.analytics.tasks import refresh_now

    refresh_now()
