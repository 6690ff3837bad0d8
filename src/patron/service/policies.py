"""The service settings, for admins: ticket categories, SLA policies, service hours and
their holidays. Writes validate, run in one transaction and leave an audit entry; the
reads below serve the admin pages, the ticket forms and the API.

A changed policy or changed hours apply to tickets whose due times are computed after
the change (new tickets, a change of priority or type): the due times already given
stay, because an agent has planned against them and a breach is judged against the
promise that was made (decision 0020).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from patron.accounts.models import Team, time_zone_names
from patron.analytics.models import ValueTier
from patron.core import visibility
from patron.core.audit import audit_create, audit_delete, audit_update, snapshot
from patron.core.errors import NotFound, ValidationFailed
from patron.core.text import NUL
from patron.service import calendar
from patron.service.models import (
    Holiday,
    ServiceHours,
    SlaBreach,
    SlaPolicy,
    TicketCategory,
    TicketPriority,
    TicketType,
)
from patron.service.sla import precedence_key

if TYPE_CHECKING:
    from patron.accounts.models import User

# A target longer than a year is a typing mistake, not a promise.
MAX_MINUTES = 366 * 24 * 60


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={field: [message]})


def _refuse_unknown(values: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)},
            details={name: [_("Unknown field.")] for name in unknown},
        )


def _text(values: dict[str, Any], name: str, limit: int, *, required: bool = False) -> None:
    if name not in values:
        return
    value = " ".join(str(values[name] or "").split())
    if NUL in value:  # PostgreSQL refuses it: bad input, not a server error
        raise _fail(name, _("Remove the null character (\\x00) from this text."))
    if required and not value:
        raise _fail(name, _("This field is required."))
    if len(value) > limit:
        raise _fail(name, _("At most %(limit)d characters.") % {"limit": limit})
    values[name] = value


def _position(values: dict[str, Any]) -> None:
    if "position" in values:
        value = values["position"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 32767:
            raise _fail("position", _("A whole number from 0 to 32767."))


# Ticket categories


def categories(*, active_only: bool = False) -> QuerySet[TicketCategory]:
    rows = TicketCategory.objects.all()
    return rows.filter(active=True) if active_only else rows


def category_get(category_id: int) -> TicketCategory:
    found = TicketCategory.objects.filter(pk=category_id).first()
    if found is None:
        raise NotFound(_("No such ticket category."))
    return found


CATEGORY_FIELDS = ("name", "description", "active", "position")


@transaction.atomic
def category_save(
    *, actor: User | None, category: TicketCategory | None = None, **values: Any
) -> TicketCategory:
    """Create a category or change one; deactivating keeps it on old tickets and takes
    it off the forms."""
    visibility.require_admin(actor)
    _refuse_unknown(values, CATEGORY_FIELDS)
    creating = category is None
    category = category or TicketCategory()
    if creating and "name" not in values:
        raise _fail("name", _("This field is required."))
    _text(values, "name", 100, required=True)
    _text(values, "description", 300)
    _position(values)
    if "active" in values and not isinstance(values["active"], bool):
        raise _fail("active", _("True or false."))
    before = {} if creating else snapshot(category)
    for name, value in values.items():
        setattr(category, name, value)
    clash = TicketCategory.objects.filter(name__iexact=category.name).exclude(pk=category.pk)
    if clash.exists():
        raise _fail("name", _("A category with this name exists."))
    category.save()
    if creating:
        audit_create(actor=actor, instance=category)
    else:
        audit_update(actor=actor, instance=category, before=before)
    return category


# SLA policies


def policies(*, active_only: bool = False) -> list[SlaPolicy]:
    """Policies in the order they win: most specific first, then position."""
    rows = SlaPolicy.objects.all()
    if active_only:
        rows = rows.filter(active=True)
    return sorted(rows, key=lambda p: (not p.active, *precedence_key(p)))


def policy_get(policy_id: int) -> SlaPolicy:
    found = SlaPolicy.objects.filter(pk=policy_id).first()
    if found is None:
        raise NotFound(_("No such SLA policy."))
    return found


POLICY_FIELDS = (
    "name",
    "ticket_type",
    "priority",
    "customer_tier",
    "first_response_minutes",
    "resolution_minutes",
    "business_hours",
    "position",
    "active",
)


def _minutes(values: dict[str, Any], name: str) -> None:
    if name not in values:
        return
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
        raise _fail(
            name, _("A whole number of minutes from 1 to %(max)d (a year).") % {"max": MAX_MINUTES}
        )


def _check_policy(values: dict[str, Any]) -> None:
    _text(values, "name", 120, required=True)
    for name in ("ticket_type", "customer_tier"):
        if name in values:
            values[name] = values[name] or ""
    if values.get("ticket_type") and values["ticket_type"] not in TicketType.values:
        raise _fail(
            "ticket_type",
            _("One of: %(choices)s, or empty for any.") % {"choices": ", ".join(TicketType.values)},
        )
    if values.get("customer_tier") and values["customer_tier"] not in ValueTier.values:
        raise _fail(
            "customer_tier",
            _("One of: %(choices)s, or empty for any.") % {"choices": ", ".join(ValueTier.values)},
        )
    if "priority" in values and values["priority"] is not None:
        priority = values["priority"]
        if isinstance(priority, bool) or priority not in TicketPriority.values:
            raise _fail(
                "priority",
                _("One of %(choices)s, or empty for any.")
                % {"choices": ", ".join(str(v) for v in TicketPriority.values)},
            )
    _minutes(values, "first_response_minutes")
    _minutes(values, "resolution_minutes")
    _position(values)
    for name in ("business_hours", "active"):
        if name in values and not isinstance(values[name], bool):
            raise _fail(name, _("True or false."))


@transaction.atomic
def policy_save(*, actor: User | None, policy: SlaPolicy | None = None, **values: Any) -> SlaPolicy:
    """Create or change a policy. Applies to due times computed from now on."""
    visibility.require_admin(actor)
    _refuse_unknown(values, POLICY_FIELDS)
    creating = policy is None
    policy = policy or SlaPolicy()
    if creating:
        missing = [n for n in ("name", "first_response_minutes", "resolution_minutes")
                   if values.get(n) in (None, "")]  # fmt: skip
        if missing:
            raise ValidationFailed(
                _("Some fields are missing."),
                details={n: [_("This field is required.")] for n in missing},
            )
    _check_policy(values)
    before = {} if creating else snapshot(policy)
    for name, value in values.items():
        setattr(policy, name, value)
    if policy.resolution_minutes < policy.first_response_minutes:
        raise _fail(
            "resolution_minutes",
            _("The resolution target cannot be shorter than the first response."),
        )
    if SlaPolicy.objects.filter(name__iexact=policy.name).exclude(pk=policy.pk).exists():
        raise _fail("name", _("A policy with this name exists."))
    if policy.active:
        same = (
            SlaPolicy.objects.filter(
                active=True,
                ticket_type=policy.ticket_type,
                customer_tier=policy.customer_tier,
                priority=policy.priority,
            )
            .exclude(pk=policy.pk)
            .first()
        )
        if same is not None:
            raise _fail(
                "ticket_type",
                _("The active policy “%(name)s” matches the same tickets; change that one.")
                % {"name": same.name},
            )
    policy.save()
    if creating:
        audit_create(actor=actor, instance=policy)
    else:
        audit_update(actor=actor, instance=policy, before=before)
    return policy


@transaction.atomic
def policy_delete(*, actor: User | None, policy: SlaPolicy) -> None:
    """Delete a policy: tickets keep the due times it gave (their policy becomes empty)."""
    visibility.require_admin(actor)
    audit_delete(actor=actor, instance=policy)
    policy.delete()


# Service hours and holidays


def hours_list() -> list[ServiceHours]:
    """The default hours first, then the teams' by name; holidays prefetched."""
    rows = ServiceHours.objects.select_related("team").prefetch_related("holidays")
    return sorted(rows, key=lambda h: (h.team_id is not None, h.team.name if h.team else ""))


def hours_get(hours_id: int) -> ServiceHours:
    found = (
        ServiceHours.objects.select_related("team")
        .prefetch_related("holidays")
        .filter(pk=hours_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such service hours."))
    return found


def teams_without_hours() -> QuerySet[Team]:
    return Team.objects.filter(service_hours__isnull=True).order_by("name")


HOURS_FIELDS = ("team", "time_zone", "week")


@transaction.atomic
def hours_save(
    *, actor: User | None, hours: ServiceHours | None = None, **values: Any
) -> ServiceHours:
    """Create service hours for a team (or the default ones) or change them. The team of
    existing hours does not change (delete and create instead)."""
    visibility.require_admin(actor)
    _refuse_unknown(values, HOURS_FIELDS)
    creating = hours is None
    hours = hours or ServiceHours()
    if not creating and "team" in values:
        new_team = values["team"]
        if (new_team.pk if new_team else None) != hours.team_id:
            raise _fail("team", _("The team of existing service hours cannot change."))
        del values["team"]
    if "time_zone" in values and values["time_zone"] not in time_zone_names():
        raise _fail("time_zone", _("Unknown time zone; use a name such as Europe/Paris."))
    if "week" in values:
        calendar.parse_week(values["week"])
        values["week"] = [[list(i) for i in day] for day in values["week"]]
    if creating:
        team = values.get("team")
        taken = (
            ServiceHours.objects.filter(team=team)
            if team
            else ServiceHours.objects.filter(team__isnull=True)
        )
        if taken.exists():
            raise _fail(
                "team",
                _("This team has service hours already.")
                if team
                else _("The default service hours exist already."),
            )
    before = {} if creating else snapshot(hours)
    for name, value in values.items():
        setattr(hours, name, value)
    hours.save()
    if creating:
        audit_create(actor=actor, instance=hours)
    else:
        audit_update(actor=actor, instance=hours, before=before)
    return hours


@transaction.atomic
def hours_delete(*, actor: User | None, hours: ServiceHours) -> None:
    """A team's hours go: the team counts in the default hours again."""
    visibility.require_admin(actor)
    audit_delete(actor=actor, instance=hours)
    hours.delete()


def holiday_add(
    *, actor: User | None, hours: ServiceHours, date: dt.date | None, name: str = ""
) -> Holiday:
    visibility.require_admin(actor)
    if not isinstance(date, dt.date):
        raise _fail("date", _("Give a date."))
    values = {"name": name}
    _text(values, "name", 120)
    if Holiday.objects.filter(hours=hours, date=date).exists():
        raise _fail("date", _("This day is a holiday already."))
    try:
        with transaction.atomic():
            holiday = Holiday.objects.create(hours=hours, date=date, name=values["name"])
            audit_create(actor=actor, instance=holiday)
    except IntegrityError as error:
        raise _fail("date", _("This day is a holiday already.")) from error
    return holiday


def holiday_get(hours: ServiceHours, holiday_id: int) -> Holiday:
    found = Holiday.objects.filter(hours=hours, pk=holiday_id).first()
    if found is None:
        raise NotFound(_("No such holiday."))
    return found


@transaction.atomic
def holiday_remove(*, actor: User | None, holiday: Holiday) -> None:
    visibility.require_admin(actor)
    audit_delete(actor=actor, instance=holiday)
    holiday.delete()


# Breaches


def breaches(
    viewer: User,
    *,
    ticket_id: int | None = None,
    target: str | None = None,
    since: dt.datetime | None = None,
) -> QuerySet[SlaBreach]:
    """The breaches of the tickets `viewer` may read, newest first."""
    rows = SlaBreach.objects.filter(visibility.visible_through(viewer, "ticket"))
    if ticket_id is not None:
        rows = rows.filter(ticket_id=ticket_id)
    if target:
        rows = rows.filter(target=target)
    if since is not None:
        rows = rows.filter(breached_at__gte=since)
    return rows.order_by("-breached_at", "-id")
