"""The service KPIs on hand-made tickets whose medians, 90th percentiles, rates, backlog
and compliance are computed by hand (here, in the comments), on SQLite and PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from patron.commerce.models import Order
from patron.core.errors import ValidationFailed
from patron.service import kpis
from patron.service.models import SlaBreach, TicketStatus, TicketType
from tests.factories import CustomerFactory
from tests.service.factories import TicketCategoryFactory, TicketFactory

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)  # a Monday
JUNE = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)  # Monday of the first week
PERIOD = kpis.Filters(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 14))
H = dt.timedelta(hours=1)


def read(viewer, filters=PERIOD):
    return kpis.service_kpis(viewer=viewer, filters=filters, now=NOW)


def ticket(customer, created, *, first=None, resolved=None, status=None, **fields):
    if status is None:
        status = TicketStatus.RESOLVED if resolved else TicketStatus.CLOSED
    return TicketFactory(
        customer=customer,
        created_at=created,
        first_response_at=first,
        resolved_at=resolved,
        status=status,
        first_contact_resolution=fields.pop("fcr", False if resolved else None),
        **fields,
    )


@pytest.fixture
def north_c(north, agent):
    return CustomerFactory(team=north, owner=agent)


@pytest.fixture
def south_c(south, other_agent):
    return CustomerFactory(team=south, owner=other_agent)


@pytest.mark.django_db
def test_time_to_resolution_median_and_p90_overall_by_category_team_and_week(
    manager, north_c, south_c
):
    billing, delivery = (
        TicketCategoryFactory(name="Billing"),
        TicketCategoryFactory(name="Delivery"),
    )
    day1, day9 = JUNE + dt.timedelta(days=1), JUNE + dt.timedelta(days=9)
    # Billing, north: 1, 2, 4 h resolved in week 1; 10, 20 h in week 2.
    for hours, start in ((1, day1), (2, day1), (4, day1), (10, day9), (20, day9)):
        ticket(north_c, start, resolved=start + hours * H, category=billing, fcr=hours <= 2)
    # Delivery, south: 3 and 7 h, week 2.
    for hours in (3, 7):
        ticket(south_c, day9, resolved=day9 + hours * H, category=delivery, fcr=hours == 3)
    # Resolved before the period: left out.
    ticket(north_c, JUNE - 60 * H, resolved=JUNE - 10 * H, category=billing)

    data = read(manager)

    # All: 1 2 3 4 7 10 20. Median: row 4 = 4. p90: position 6 * 0.9 = 5.4 -> row 6 + 0.4
    # of the way to row 7 = 10 + 0.4 * 10 = 14.
    assert data.overall.resolution == kpis.Durations(7, 4.0, 14.0)
    by_category = {g.label: g for g in data.by_category}
    # Billing: 1 2 4 10 20: median 4; p90 at 3.6: 10 + 0.6 * 10 = 16.
    assert by_category["Billing"].resolution == kpis.Durations(5, 4.0, 16.0)
    # Delivery: 3 7: median 5; p90 at 0.9: 3 + 0.9 * 4 = 6.6.
    assert by_category["Delivery"].resolution == kpis.Durations(2, 5.0, 6.6)
    by_team = {g.label: g.resolution for g in data.by_team}
    assert by_team == {"North": kpis.Durations(5, 4.0, 16.0), "South": kpis.Durations(2, 5.0, 6.6)}
    # Week 1: 1 2 4: median 2; p90 at 1.8: 2 + 0.8 * 2 = 3.6. Week 2: 3 7 10 20:
    # median at 1.5: 7 + 0.5 * 3 = 8.5; p90 at 2.7: 10 + 0.7 * 10 = 17.
    assert [w.start for w in data.weeks] == [dt.date(2026, 6, 1), dt.date(2026, 6, 8)]
    assert [w.resolution for w in data.weeks] == [
        kpis.Durations(3, 2.0, 3.6),
        kpis.Durations(4, 8.5, 17.0),
    ]
    # First-contact resolution: 1 h, 2 h (billing) and 3 h (delivery) of the 7.
    assert (data.overall.first_contact, data.overall.resolved) == (3, 7)
    assert data.overall.fcr_rate == round(3 / 7, 6)
    assert by_category["Billing"].fcr_rate == 0.4
    assert by_category["Delivery"].fcr_rate == 0.5


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's (by hand above)"
)
def test_percentiles_equal_postgresql_percentile_cont(manager, north_c):
    start = JUNE + dt.timedelta(days=2)
    for minutes in (5, 17, 60, 61, 200, 201, 333, 1000, 1440, 2000, 4321, 9000, 9001):
        ticket(north_c, start, resolved=start + dt.timedelta(minutes=minutes))
    data = read(manager)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY h),"
            " percentile_cont(0.9) WITHIN GROUP (ORDER BY h) FROM ("
            " SELECT EXTRACT(EPOCH FROM (resolved_at - created_at)) / 3600.0 AS h"
            " FROM service_ticket) x"
        )
        median, p90 = cursor.fetchone()
    assert data.overall.resolution.median == pytest.approx(float(median), abs=1e-4)
    assert data.overall.resolution.p90 == pytest.approx(float(p90), abs=1e-4)


@pytest.mark.django_db
def test_time_to_first_response(manager, north_c):
    start = JUNE + dt.timedelta(days=3)
    for hours in (0.5, 1.5, 30):
        ticket(north_c, start, first=start + hours * H)
    ticket(north_c, start)  # not answered: no time yet
    ticket(north_c, JUNE - 5 * H, first=JUNE + 100 * H)  # created before the period
    data = read(manager)
    # 0.5 1.5 30: median 1.5; p90 at 1.8: 1.5 + 0.8 * 28.5 = 24.3.
    assert data.overall.first_response == kpis.Durations(3, 1.5, 24.3)
    assert data.overall.created == 4


@pytest.mark.django_db
def test_backlog_by_age_counts_only_active_tickets(manager, agent, north_c, south_c):
    for age in (2 * H, 47 * H, 5 * 24 * H, 6 * 24 * H, 10 * 24 * H, 40 * 24 * H):
        ticket(north_c, NOW - age, status=TicketStatus.OPEN)
    ticket(south_c, NOW - 30 * H, status=TicketStatus.WAITING)
    ticket(south_c, NOW - 3 * H, status=TicketStatus.NEW)
    ticket(north_c, NOW - 2 * H, resolved=NOW - H)  # resolved: not in the backlog
    data = read(manager)
    assert data.overall.backlog == {"lt_1d": 2, "1_3d": 2, "3_7d": 2, "7_30d": 1, "gt_30d": 1}
    assert data.overall.backlog_total == 8
    by_team = {g.label: g.backlog_total for g in data.by_team}
    assert by_team == {"North": 6, "South": 2}
    # An agent of North sees the North tickets only.
    assert read(agent).overall.backlog_total == 6


@pytest.mark.django_db
def test_sla_compliance_from_breaches_and_late_or_missing_answers(manager, north_c):
    d = JUNE + dt.timedelta(days=2)
    # Both deadlines met.
    ticket(
        north_c,
        d - 5 * H,
        first=d - H,
        resolved=d + 20 * H,
        first_response_due_at=d,
        resolution_due_at=d + 48 * H,
    )
    # Answered after the deadline (the job had not seen it yet): missed.
    ticket(north_c, d - 5 * H, first=d + H, first_response_due_at=d)
    # Answered in time, but a breach was recorded: recorded breaches stand.
    recorded = ticket(north_c, d - 5 * H, first=d - H, first_response_due_at=d)
    SlaBreach.objects.create(ticket=recorded, target=SlaBreach.Target.FIRST_RESPONSE, due_at=d)
    # Still open past its resolution deadline: missed.
    ticket(north_c, d - 5 * H, status=TicketStatus.OPEN, resolution_due_at=d + 24 * H)
    # Not decided: due after now, or waiting on the customer (the clock stopped).
    ticket(north_c, d, status=TicketStatus.OPEN, resolution_due_at=NOW + 24 * H)
    ticket(north_c, d, status=TicketStatus.WAITING, resolution_due_at=d + 24 * H)
    # Due before the period.
    ticket(north_c, JUNE - 48 * H, first=JUNE - H, first_response_due_at=JUNE - 24 * H)
    data = read(manager)
    # 5 deadlines (2 + 1 + 1 + 1), 2 met.
    assert (data.overall.deadlines, data.overall.deadlines_met) == (5, 2)
    assert data.overall.sla_compliance == 0.4


@pytest.mark.django_db
def test_complaints_per_thousand_orders(manager, north_c, south_c):
    day = JUNE + dt.timedelta(days=1)
    for customer, created in ((north_c, day), (north_c, day + 8 * 24 * H), (south_c, day)):
        ticket(customer, created, type=TicketType.COMPLAINT)
    ticket(north_c, day, type=TicketType.QUESTION)
    ticket(north_c, JUNE - H, type=TicketType.COMPLAINT)  # before the period
    orders = [
        Order(customer=north_c, placed_at=day, currency="USD", total_amount=Decimal(1))
        for _ in range(500)
    ] + [Order(customer=south_c, placed_at=day + 9 * 24 * H, currency="USD") for _ in range(1000)]
    orders.append(Order(customer=south_c, placed_at=day, currency="USD", status="cancelled"))
    orders.append(Order(customer=south_c, placed_at=JUNE - H, currency="USD"))
    Order.objects.bulk_create(orders)

    data = read(manager)

    assert (data.overall.complaints, data.overall.orders) == (3, 1500)
    assert data.overall.complaints_per_1000_orders == 2.0
    by_team = {g.label: g.complaints_per_1000_orders for g in data.by_team}
    assert by_team == {"North": 4.0, "South": 1.0}
    assert [(w.complaints, w.orders) for w in data.weeks] == [(2, 500), (1, 1000)]
    assert data.weeks[1].complaints_per_1000_orders == 1.0
    # Filtered by team, orders are the team's customers'.
    north = kpis.parse_filters(date_from="2026-06-01", date_to="2026-06-14", team=north_c.team_id)
    assert read(manager, north).overall.complaints_per_1000_orders == 4.0


@pytest.mark.django_db
def test_filters_narrow_the_tickets(manager, north_c):
    cat = TicketCategoryFactory(name="Account")
    d = JUNE + dt.timedelta(days=1)
    ticket(north_c, d, resolved=d + H, category=cat, priority=3, type=TicketType.INCIDENT)
    ticket(north_c, d, resolved=d + 5 * H, priority=2)
    assert read(manager).overall.resolved == 2
    only = kpis.parse_filters(date_from="2026-06-01", date_to="2026-06-14", category=cat.pk)
    assert read(manager, only).overall.resolution == kpis.Durations(1, 1.0, 1.0)
    high = kpis.parse_filters(date_from="2026-06-01", date_to="2026-06-14", priority="2")
    assert read(manager, high).overall.resolution == kpis.Durations(1, 5.0, 5.0)
    incidents = kpis.parse_filters(date_from="2026-06-01", date_to="2026-06-14", type="incident")
    assert read(manager, incidents).overall.resolved == 1


def test_parse_filters_defaults_and_refusals():
    today = dt.date(2026, 6, 15)
    default = kpis.parse_filters(today=today)
    assert (default.date_from, default.date_to) == (dt.date(2026, 3, 18), today)
    assert (default.date_to - default.date_from).days == 89
    for bad in (
        {"date_from": "yesterday"},
        {"date_to": "2026-13-01"},
        {"date_from": "2026-06-10", "date_to": "2026-06-01"},
        {"date_from": "2020-01-01", "date_to": "2026-01-01"},
        {"type": "praise"},
        {"priority": "9"},
        {"team": "abc"},
        {"category": "0"},
    ):
        with pytest.raises(ValidationFailed):
            kpis.parse_filters(today=today, **bad)


@pytest.mark.django_db
def test_no_tickets_no_numbers(viewer):
    data = read(viewer)
    assert data.overall.resolution == kpis.Durations(0, None, None)
    assert data.overall.fcr_rate is None and data.overall.sla_compliance is None
    assert data.overall.complaints_per_1000_orders is None
    assert data.by_team == [] and len(data.weeks) == 2


@pytest.mark.django_db
def test_the_number_of_statements_does_not_grow_with_the_tickets(manager, north_c, south_c):
    from django.test.utils import CaptureQueriesContext

    billing = TicketCategoryFactory(name="Billing")
    day = JUNE + dt.timedelta(days=2)

    def add(count):
        for i in range(count):
            customer = north_c if i % 2 else south_c
            ticket(customer, day, first=day + H, resolved=day + (i + 1) * H, category=billing)
            ticket(customer, day, status=TicketStatus.OPEN, type=TicketType.COMPLAINT)

    def statements():
        with CaptureQueriesContext(connection) as queries:
            data = read(manager)
        return len(queries.captured_queries), data

    add(2)
    few, data = statements()
    assert data.overall.resolution == kpis.Durations(2, 1.5, 1.9)
    add(40)
    many, data = statements()
    # 1 1 2 2 3 4 … 40 (42 values, the one at index i >= 4 is i - 1): median at 20.5
    # between 19 and 20 = 19.5; p90 at 36.9: 35 + 0.9 = 35.9. The same few statements.
    assert data.overall.resolution == kpis.Durations(42, 19.5, 35.9)
    assert data.by_team[0].resolution.count + data.by_team[1].resolution.count == 42
    # 8 on SQLite; PostgreSQL adds a savepoint, its release and SET LOCAL jit.
    assert many == few <= 11


@pytest.mark.django_db
def test_a_deactivated_user_sees_no_numbers(agent, north_c):
    ticket(north_c, JUNE + dt.timedelta(days=1), resolved=JUNE + dt.timedelta(days=2))
    assert read(agent).overall.resolution.count == 1
    agent.is_active = False
    agent.save()
    data = read(agent)
    assert data.overall.resolution == kpis.Durations(0, None, None)
    assert data.overall.orders == 0 and len(data.weeks) == 2
