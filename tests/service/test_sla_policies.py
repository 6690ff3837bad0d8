"""Which policy a ticket falls under, its due times, pause and resume, and the admin
services that edit policies, categories and service hours."""

import datetime as dt

import pytest

from patron.analytics.models import CustomerMetrics, ValueTier
from patron.core.errors import PermissionDenied, ValidationFailed
from patron.core.models import AuditEntry
from patron.service import policies, sla
from patron.service.models import (
    Holiday,
    ServiceHours,
    SlaPolicy,
    Ticket,
    TicketPriority,
    TicketType,
)

UTC = dt.UTC
# Wednesday 2026-03-04 10:00 UTC
WEDNESDAY = dt.datetime(2026, 3, 4, 10, tzinfo=UTC)
FRIDAY_EVENING = dt.datetime(2026, 3, 6, 18, tzinfo=UTC)


def ticket(customer, **fields):
    values = {
        "subject": "Help",
        "customer": customer,
        "owner": customer.owner,
        "team": customer.team,
    }
    return Ticket(**(values | fields))


def tier(customer, value):
    CustomerMetrics.objects.create(customer=customer, value_tier=value)


def test_the_defaults_exist(db):
    names = set(SlaPolicy.objects.values_list("name", flat=True))
    assert {"Complaints", "Most valuable complaints", "Urgent", "Normal"} <= names
    default = ServiceHours.objects.get(team__isnull=True)
    assert default.time_zone == "UTC" and default.week[0] == [["09:00", "17:00"]]


def test_a_complaint_is_answered_within_24_wall_clock_hours(north_customer):
    t = ticket(north_customer, type=TicketType.COMPLAINT)
    policy = sla.apply_policy(t, at=FRIDAY_EVENING)
    assert policy.name == "Complaints"
    # 24 h around the clock: Saturday evening, not Monday
    assert t.first_response_due_at == FRIDAY_EVENING + dt.timedelta(hours=24)
    assert t.resolution_due_at == FRIDAY_EVENING + dt.timedelta(days=5)


def test_a_most_valuable_customer_gets_the_tighter_policy(north_customer):
    tier(north_customer, ValueTier.MOST_VALUABLE)
    t = ticket(north_customer, type=TicketType.COMPLAINT)
    assert sla.apply_policy(t, at=WEDNESDAY).name == "Most valuable complaints"
    assert t.first_response_due_at == WEDNESDAY + dt.timedelta(hours=4)


def test_a_core_customer_or_no_figures_get_the_general_complaint_policy(north_customer):
    t = ticket(north_customer, type=TicketType.COMPLAINT)
    assert sla.apply_policy(t, at=WEDNESDAY).name == "Complaints"  # no metrics row
    tier(north_customer, ValueTier.CORE)
    assert sla.apply_policy(t, at=WEDNESDAY).name == "Complaints"


def test_other_tickets_by_priority_in_business_hours(north_customer):
    t = ticket(north_customer, type=TicketType.QUESTION, priority=TicketPriority.NORMAL)
    assert sla.apply_policy(t, at=WEDNESDAY).name == "Normal"
    # 8 business hours from Wednesday 10:00 (09-17 UTC): Thursday 10:00
    assert t.first_response_due_at == dt.datetime(2026, 3, 5, 10, tzinfo=UTC)
    urgent = ticket(north_customer, type=TicketType.COMPLAINT, priority=TicketPriority.URGENT)
    assert sla.apply_policy(urgent, at=WEDNESDAY).name == "Urgent"


def test_most_specific_wins_then_position(north_customer, admin):
    SlaPolicy.objects.all().delete()
    broad = policies.policy_save(
        actor=admin, name="Any", first_response_minutes=600, resolution_minutes=6000, position=1
    )
    t = ticket(north_customer, type=TicketType.INCIDENT, priority=TicketPriority.HIGH)
    assert sla.apply_policy(t, at=WEDNESDAY) == broad
    policies.policy_save(
        actor=admin, name="Incidents", ticket_type="incident", first_response_minutes=60,
        resolution_minutes=600, position=90,
    )  # fmt: skip
    high = policies.policy_save(
        actor=admin, name="High", priority=3, first_response_minutes=30, resolution_minutes=300,
        position=50,
    )  # fmt: skip
    # two equally specific: the lower position
    assert sla.apply_policy(t, at=WEDNESDAY) == high
    both = policies.policy_save(
        actor=admin, name="High incidents", ticket_type="incident", priority=3,
        first_response_minutes=20, resolution_minutes=200, position=99,
    )  # fmt: skip
    assert sla.apply_policy(t, at=WEDNESDAY) == both
    policies.policy_save(actor=admin, policy=both, active=False)
    assert sla.apply_policy(t, at=WEDNESDAY) == high


def test_no_policy_no_due_times(north_customer):
    SlaPolicy.objects.all().delete()
    t = ticket(north_customer, first_response_due_at=WEDNESDAY, resolution_due_at=WEDNESDAY)
    assert sla.apply_policy(t, at=WEDNESDAY) is None
    assert t.sla_policy is None and t.first_response_due_at is None and t.resolution_due_at is None


def test_the_team_hours_beat_the_default(north_customer, north):
    ServiceHours.objects.create(
        team=north, time_zone="Asia/Yerevan", week=[[["09:00", "13:00"]]] * 7
    )
    t = ticket(north_customer, priority=TicketPriority.HIGH)  # 4 business hours
    sla.apply_policy(t, at=WEDNESDAY)  # 14:00 in Yerevan: closed until tomorrow 09:00
    assert t.first_response_due_at == dt.datetime(2026, 3, 5, 9, tzinfo=UTC)  # 13:00 local


def test_the_default_hours_holidays_count(north_customer):
    default = ServiceHours.objects.get(team__isnull=True)
    Holiday.objects.create(hours=default, date=dt.date(2026, 3, 5))
    t = ticket(north_customer, priority=TicketPriority.NORMAL)
    sla.apply_policy(t, at=WEDNESDAY)
    assert t.first_response_due_at == dt.datetime(2026, 3, 6, 10, tzinfo=UTC)


def test_without_any_hours_the_clock_runs_around_the_clock(north_customer):
    ServiceHours.objects.all().delete()
    t = ticket(north_customer, priority=TicketPriority.NORMAL)
    sla.apply_policy(t, at=FRIDAY_EVENING)
    assert t.first_response_due_at == FRIDAY_EVENING + dt.timedelta(hours=8)


def test_an_answered_ticket_keeps_its_first_response_due(north_customer):
    t = ticket(north_customer, priority=TicketPriority.NORMAL)
    sla.apply_policy(t, at=WEDNESDAY)
    kept = t.first_response_due_at
    t.first_response_at = WEDNESDAY + dt.timedelta(hours=1)
    t.priority = TicketPriority.URGENT
    sla.apply_policy(t, at=WEDNESDAY)
    assert t.first_response_due_at == kept
    # urgent: 8 business hours, counted from Wednesday 10:00
    assert t.resolution_due_at == dt.datetime(2026, 3, 5, 10, tzinfo=UTC)


def test_waiting_moves_the_resolution_due_by_the_business_time_waited(north_customer):
    t = ticket(north_customer, priority=TicketPriority.NORMAL)
    sla.apply_policy(t, at=WEDNESDAY)
    due = t.resolution_due_at
    first_due = t.first_response_due_at
    # Waiting from Wednesday 15:00 to Monday 11:00: 2 h + 8 h (Thu) + 8 h (Fri) + 2 h = 20 h
    sla.pause(t, at=dt.datetime(2026, 3, 4, 15, tzinfo=UTC))
    sla.pause(t, at=dt.datetime(2026, 3, 5, 15, tzinfo=UTC))  # a second pause keeps the first
    sla.resume(t, at=dt.datetime(2026, 3, 9, 11, tzinfo=UTC))
    assert t.waiting_since is None
    assert t.first_response_due_at == first_due
    from patron.service import calendar

    hours = ServiceHours.objects.get(team__isnull=True)
    assert calendar.business_minutes_between(hours, due, t.resolution_due_at) == 20 * 60


def test_waiting_over_a_wall_clock_policy_counts_the_wall_clock(north_customer):
    t = ticket(north_customer, type=TicketType.COMPLAINT)
    sla.apply_policy(t, at=WEDNESDAY)
    due = t.resolution_due_at
    sla.pause(t, at=FRIDAY_EVENING)
    sla.resume(t, at=FRIDAY_EVENING + dt.timedelta(hours=30))
    assert t.resolution_due_at == due + dt.timedelta(hours=30)


def test_resume_without_pause_changes_nothing(north_customer):
    t = ticket(north_customer)
    sla.apply_policy(t, at=WEDNESDAY)
    due = t.resolution_due_at
    sla.resume(t, at=FRIDAY_EVENING)
    assert t.resolution_due_at == due


# The admin services


def test_only_admins_edit_the_service_settings(agent, manager):
    for user in (agent, manager):
        with pytest.raises(PermissionDenied):
            policies.category_save(actor=user, name="Billing")
        with pytest.raises(PermissionDenied):
            policies.policy_save(
                actor=user, name="X", first_response_minutes=1, resolution_minutes=2
            )


def test_policy_validation(admin):
    ok = {"name": "A", "first_response_minutes": 6, "resolution_minutes": 9}
    cases = [
        (ok | {"name": ""}, "name"),
        (ok | {"first_response_minutes": 0}, "first_response_minutes"),
        (ok | {"first_response_minutes": 60, "resolution_minutes": 30}, "resolution_minutes"),
        (ok | {"priority": 9}, "priority"),
        (ok | {"ticket_type": "x"}, "ticket_type"),
        (ok | {"customer_tier": "gold"}, "customer_tier"),
        (ok | {"name": "complaints"}, "name"),
        # the same criteria as the active "Complaints"
        (ok | {"name": "B", "ticket_type": "complaint"}, "ticket_type"),
        (ok | {"colour": "red"}, "colour"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationFailed) as error:
            policies.policy_save(actor=admin, **values)
        assert field in error.value.details, values


def test_saving_a_policy_is_audited(admin):
    policy = policies.policy_save(
        actor=admin, name="Requests", ticket_type="request", first_response_minutes=120,
        resolution_minutes=2400,
    )  # fmt: skip
    policies.policy_save(actor=admin, policy=policy, first_response_minutes=90)
    actions = list(
        AuditEntry.objects.filter(target_type="service.slapolicy", target_id=str(policy.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE]


def test_policies_are_listed_in_precedence_order(db):
    names = [p.name for p in policies.policies()]
    assert names[0] == "Most valuable complaints"
    assert names.index("Urgent") < names.index("Complaints") < names.index("Normal")


def test_categories(admin):
    billing = policies.category_save(actor=admin, name="  Billing ", description="Invoices")
    assert billing.name == "Billing"
    with pytest.raises(ValidationFailed) as error:
        policies.category_save(actor=admin, name="billing")
    assert "name" in error.value.details
    policies.category_save(actor=admin, category=billing, active=False)
    assert billing not in policies.categories(active_only=True)


def test_service_hours_rules(admin, north):
    with pytest.raises(ValidationFailed) as error:
        policies.hours_save(actor=admin, team=None)
    assert "team" in error.value.details  # the default exists (migration)
    with pytest.raises(ValidationFailed) as error:
        policies.hours_save(actor=admin, team=north, time_zone="Mars/Olympus")
    assert "time_zone" in error.value.details
    with pytest.raises(ValidationFailed) as error:
        policies.hours_save(actor=admin, team=north, week=[[["17:00", "09:00"]]] * 7)
    assert "week" in error.value.details
    hours = policies.hours_save(actor=admin, team=north, time_zone="Europe/Paris")
    assert hours.week[0] == [["09:00", "17:00"]]
    holiday = policies.holiday_add(
        actor=admin, hours=hours, date=dt.date(2026, 7, 14), name="14 juillet"
    )
    with pytest.raises(ValidationFailed):
        policies.holiday_add(actor=admin, hours=hours, date=dt.date(2026, 7, 14))
    policies.holiday_remove(actor=admin, holiday=holiday)
    assert not hours.holidays.exists()
