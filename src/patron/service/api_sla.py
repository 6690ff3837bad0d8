"""REST endpoints of the service settings: ticket categories, SLA policies, service hours
with their holidays (read by every user, changed by admins), and the recorded breaches
(of the tickets the caller can see)."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.accounts.models import Team
from patron.core import visibility
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import NotFound, ValidationFailed
from patron.service import policies
from patron.service.models import (
    Holiday,
    ServiceHours,
    SlaBreach,
    SlaPolicy,
    TicketCategory,
    TicketPriority,
    default_week,
)

router = Router(tags=["SLA"])

TypeName = Literal["complaint", "question", "request", "incident"]
TierName = Literal["most_valuable", "core", "below_zero"]
PriorityName = Literal["low", "normal", "high", "urgent"]
PRIORITIES = {
    "low": TicketPriority.LOW,
    "normal": TicketPriority.NORMAL,
    "high": TicketPriority.HIGH,
    "urgent": TicketPriority.URGENT,
}
PRIORITY_NAMES = {int(v): k for k, v in PRIORITIES.items()}
Minutes = Field(..., ge=1, le=policies.MAX_MINUTES, description="Minutes (1 to a year)")
Position = Field(100, ge=0, le=32767, description="Lower wins among equally specific")


# Ticket categories


class CategoryOut(Schema):
    id: int
    name: str
    description: str
    active: bool
    position: int


class CategoryIn(InputSchema):
    name: str = Field(..., max_length=100)
    description: str = Field("", max_length=300)
    active: bool = True
    position: int = Position


class CategoryPatch(InputSchema):
    name: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=300)
    active: bool | None = None
    position: int | None = Field(None, ge=0, le=32767)


class CategoryFilters(Schema):
    active: bool | None = Field(None, description="true: only the ones offered on forms")


def _set(data: dict[str, Any]) -> dict[str, Any]:
    """A PATCH body: the fields sent, without nulls for fields that cannot be empty."""
    return {k: v for k, v in data.items() if v is not None}


@router.get(
    "/ticket-categories",
    response={200: list[CategoryOut], **ERRORS},
    summary="List ticket categories",
    description="By position, then name; `active=true` for the ones offered on forms.",
)
def category_list(request: HttpRequest, filters: Query[CategoryFilters]) -> Any:
    rows = policies.categories(active_only=bool(filters.active))
    if filters.active is False:
        rows = rows.filter(active=False)
    return list(rows)


@router.post(
    "/ticket-categories",
    response={201: CategoryOut, **WRITE_ERRORS},
    summary="Create a ticket category (admins)",
)
def category_create(request: HttpRequest, payload: CategoryIn) -> Any:
    return Status(201, policies.category_save(actor=request.user, **payload.model_dump()))


@router.patch(
    "/ticket-categories/{category_id}",
    response={200: CategoryOut, **WRITE_ERRORS},
    summary="Change a ticket category (admins)",
    description="`active: false` takes it off the forms; tickets keep it.",
)
def category_update(request: HttpRequest, category_id: RecordId, payload: CategoryPatch) -> Any:
    category: TicketCategory = policies.category_get(category_id)
    data = _set(payload.model_dump(exclude_unset=True))
    return policies.category_save(actor=request.user, category=category, **data)


# SLA policies


class PolicyOut(Schema):
    id: int
    name: str
    ticket_type: TypeName | None = Field(..., description="null: any type")
    priority: PriorityName | None = Field(..., description="null: any priority")
    customer_tier: TierName | None = Field(..., description="null: any customer")
    first_response_minutes: int
    resolution_minutes: int
    business_hours: bool = Field(..., description="Count the team's service hours only")
    position: int
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_ticket_type(obj: SlaPolicy) -> str | None:
        return obj.ticket_type or None

    @staticmethod
    def resolve_customer_tier(obj: SlaPolicy) -> str | None:
        return obj.customer_tier or None

    @staticmethod
    def resolve_priority(obj: SlaPolicy) -> str | None:
        return PRIORITY_NAMES.get(obj.priority) if obj.priority is not None else None


class PolicyIn(InputSchema):
    name: str = Field(..., max_length=120)
    ticket_type: TypeName | None = None
    priority: PriorityName | None = None
    customer_tier: TierName | None = None
    first_response_minutes: int = Minutes
    resolution_minutes: int = Minutes
    business_hours: bool = True
    position: int = Position
    active: bool = True


class PolicyPatch(InputSchema):
    name: str | None = Field(None, max_length=120)
    ticket_type: TypeName | None = Field(None, description="null: any type")
    priority: PriorityName | None = Field(None, description="null: any priority")
    customer_tier: TierName | None = Field(None, description="null: any customer")
    first_response_minutes: int | None = Field(None, ge=1, le=policies.MAX_MINUTES)
    resolution_minutes: int | None = Field(None, ge=1, le=policies.MAX_MINUTES)
    business_hours: bool | None = None
    position: int | None = Field(None, ge=0, le=32767)
    active: bool | None = None


CRITERIA = ("ticket_type", "priority", "customer_tier")


def _policy_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if v is not None or k in CRITERIA}
    for name in ("ticket_type", "customer_tier"):
        if name in fields:
            fields[name] = fields[name] or ""
    if "priority" in fields:
        fields["priority"] = PRIORITIES[fields["priority"]] if fields["priority"] else None
    return fields


@router.get(
    "/sla-policies",
    response={200: list[PolicyOut], **ERRORS},
    summary="List SLA policies",
    description="In the order they win: active first, most specific (type, tier, priority "
    "given) first, then position. A ticket gets the first active one that matches.",
)
def policy_list(request: HttpRequest) -> Any:
    return policies.policies()


@router.post(
    "/sla-policies",
    response={201: PolicyOut, **WRITE_ERRORS},
    summary="Create an SLA policy (admins)",
    description="Targets in minutes; applies to due times computed from now on.",
)
def policy_create(request: HttpRequest, payload: PolicyIn) -> Any:
    fields = _policy_fields(payload.model_dump())
    return Status(201, policies.policy_save(actor=request.user, **fields))


@router.get(
    "/sla-policies/{policy_id}",
    response={200: PolicyOut, **ERRORS},
    summary="Read an SLA policy",
)
def policy_read(request: HttpRequest, policy_id: RecordId) -> Any:
    return policies.policy_get(policy_id)


@router.patch(
    "/sla-policies/{policy_id}",
    response={200: PolicyOut, **WRITE_ERRORS},
    summary="Change an SLA policy (admins)",
    description="Tickets keep the due times they were given; new ones use the change.",
)
def policy_update(request: HttpRequest, policy_id: RecordId, payload: PolicyPatch) -> Any:
    policy = policies.policy_get(policy_id)
    fields = _policy_fields(payload.model_dump(exclude_unset=True))
    return policies.policy_save(actor=request.user, policy=policy, **fields)


@router.delete(
    "/sla-policies/{policy_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete an SLA policy (admins)",
    description="Tickets keep their due times. To stop using it but keep it, set `active: false`.",
)
def policy_delete(request: HttpRequest, policy_id: RecordId) -> Any:
    policies.policy_delete(actor=request.user, policy=policies.policy_get(policy_id))
    return Status(204, None)


# Service hours and holidays


class HolidayOut(Schema):
    id: int
    date: dt.date
    name: str


class HoursOut(Schema):
    id: int
    team_id: int | None = Field(..., description="null: the default hours (teams without own)")
    team_name: str | None
    time_zone: str
    week: list[list[list[str]]] = Field(
        ..., description='Seven lists, Monday first, of ["HH:MM", "HH:MM"] intervals'
    )
    holidays: list[HolidayOut]

    @staticmethod
    def resolve_team_name(obj: ServiceHours) -> str | None:
        return obj.team.name if obj.team_id else None

    @staticmethod
    def resolve_holidays(obj: ServiceHours) -> list[Holiday]:
        return list(obj.holidays.all())


WEEK_HELP = (
    'Seven lists, Monday first, of ["HH:MM", "HH:MM"] intervals (end up to "24:00"); an '
    "empty list is a closed day; intervals may not overlap or cross midnight."
)


class HoursIn(InputSchema):
    team_id: RecordId | None = Field(None, description="null: the default hours")
    time_zone: str = Field("UTC", max_length=64)
    week: list[Any] = Field(default_factory=default_week, description=WEEK_HELP)


class HoursPatch(InputSchema):
    time_zone: str | None = Field(None, max_length=64)
    week: list[Any] | None = Field(None, description=WEEK_HELP)


class HolidayIn(InputSchema):
    date: dt.date
    name: str = Field("", max_length=120)


@router.get(
    "/service-hours",
    response={200: list[HoursOut], **ERRORS},
    summary="List service hours",
    description="The default hours first, then each team's; with their holidays.",
)
def hours_list(request: HttpRequest) -> Any:
    return policies.hours_list()


@router.post(
    "/service-hours",
    response={201: HoursOut, **WRITE_ERRORS},
    summary="Create service hours for a team (admins)",
)
def hours_create(request: HttpRequest, payload: HoursIn) -> Any:
    data = payload.model_dump()
    team = None
    if data["team_id"] is not None:
        team = Team.objects.filter(pk=data["team_id"]).first()
        if team is None:
            raise ValidationFailed(_("No such team."), details={"team_id": [_("No such team.")]})
    hours = policies.hours_save(
        actor=request.user, team=team, time_zone=data["time_zone"], week=data["week"]
    )
    return Status(201, policies.hours_get(hours.pk))


@router.get(
    "/service-hours/{hours_id}",
    response={200: HoursOut, **ERRORS},
    summary="Read service hours",
)
def hours_read(request: HttpRequest, hours_id: RecordId) -> Any:
    return policies.hours_get(hours_id)


@router.patch(
    "/service-hours/{hours_id}",
    response={200: HoursOut, **WRITE_ERRORS},
    summary="Change service hours (admins)",
)
def hours_update(request: HttpRequest, hours_id: RecordId, payload: HoursPatch) -> Any:
    hours = policies.hours_get(hours_id)
    policies.hours_save(actor=request.user, hours=hours, **_set(payload.model_dump()))
    return policies.hours_get(hours_id)


@router.delete(
    "/service-hours/{hours_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a team's service hours (admins)",
    description="The team counts in the default hours again. The default hours stay.",
)
def hours_delete(request: HttpRequest, hours_id: RecordId) -> Any:
    hours = policies.hours_get(hours_id)
    if hours.team_id is None:
        visibility.require_admin(request.user)
        raise ValidationFailed(
            _("The default service hours cannot be deleted; change them instead."),
            details={"team_id": [_("The default hours stay.")]},
        )
    policies.hours_delete(actor=request.user, hours=hours)
    return Status(204, None)


@router.post(
    "/service-hours/{hours_id}/holidays",
    response={201: HolidayOut, **WRITE_ERRORS},
    summary="Add a holiday (admins)",
    description="A local date on which these hours are closed.",
)
def holiday_add(request: HttpRequest, hours_id: RecordId, payload: HolidayIn) -> Any:
    hours = policies.hours_get(hours_id)
    holiday = policies.holiday_add(
        actor=request.user, hours=hours, date=payload.date, name=payload.name
    )
    return Status(201, holiday)


@router.delete(
    "/service-hours/{hours_id}/holidays/{holiday_date}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a holiday (admins)",
    description="`holiday_date` is the date, YYYY-MM-DD.",
)
def holiday_remove(request: HttpRequest, hours_id: RecordId, holiday_date: dt.date) -> Any:
    hours = policies.hours_get(hours_id)
    holiday = Holiday.objects.filter(hours=hours, date=holiday_date).first()
    if holiday is None:
        visibility.require_admin(request.user)
        raise NotFound(_("No such holiday."))
    policies.holiday_remove(actor=request.user, holiday=holiday)
    return Status(204, None)


# Breaches


class BreachOut(Schema):
    id: int
    ticket_id: int
    ticket_subject: str
    target: Literal["first_response", "resolution"]
    due_at: dt.datetime
    breached_at: dt.datetime = Field(..., description="When the SLA job recorded it")
    owner_id: int | None = Field(..., description="The ticket's owner at the time")
    escalated_to_id: int | None = Field(..., description="The team manager told")

    @staticmethod
    def resolve_ticket_subject(obj: SlaBreach) -> str:
        return obj.ticket.subject


class BreachFilters(Schema):
    ticket_id: RecordId | None = None
    target: Literal["first_response", "resolution"] | None = None
    since: dt.datetime | None = Field(None, description="Recorded at or after (ISO 8601)")


@router.get(
    "/sla-breaches",
    response={200: list[BreachOut], **ERRORS},
    summary="List SLA breaches",
    description="Deadlines missed by the tickets you can see, newest first. A breach is "
    "recorded once per ticket and target and never removed.",
)
@paginate(PagePagination)
def breach_list(request: HttpRequest, filters: Query[BreachFilters]) -> Any:
    since = filters.since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return policies.breaches(
        request.user, ticket_id=filters.ticket_id, target=filters.target, since=since
    ).select_related("ticket")
