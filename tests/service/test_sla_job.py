"""The SLA job: breaches recorded once and kept, states in bulk, the owner told once at
risk, breaches escalated to the team manager, a query count that does not grow."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patron.accounts.models import Role
from patron.interactions.models import Notification
from patron.service.models import SlaBreach, SlaPolicy, SlaState, Ticket, TicketStatus
from patron.service.sla_job import run_sla_check
from tests.factories import CustomerFactory, UserFactory
from tests.mail import smtp_inbox  # noqa: F401 - fixture

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 4, 12, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def policy(db):
    # 8 h first response, 40 h resolution: at risk in the last 2 h / 10 h (share 0.25)
    return SlaPolicy.objects.get(name="Normal")


@pytest.fixture
def boss(north):
    user = UserFactory(email="boss@example.com", role=Role.MANAGER)
    north.manager = user
    north.save()
    return user


def make(customer, policy, *, first_due, resolution_due, **fields):
    values = {
        "subject": "Parcel lost",
        "customer": customer,
        "owner": customer.owner,
        "team": customer.team,
        "status": TicketStatus.OPEN,
        "sla_policy": policy,
        "first_response_due_at": first_due,
        "resolution_due_at": resolution_due,
    }
    return Ticket.objects.create(**(values | fields))


def test_a_breach_is_recorded_once_and_kept(north_customer, policy, boss):
    t = make(north_customer, policy, first_due=NOW - HOUR, resolution_due=NOW + 30 * HOUR)
    stats = run_sla_check(now=NOW)
    assert stats["breaches"] == {"first_response": 1, "resolution": 0}
    (breach,) = SlaBreach.objects.all()
    assert (breach.ticket_id, breach.target, breach.due_at) == (t.pk, "first_response", NOW - HOUR)
    assert breach.owner == north_customer.owner and breach.escalated_to == boss
    t.refresh_from_db()
    assert t.sla_state == SlaState.BREACHED

    # a second run adds nothing; answering and resolving does not erase the breach
    assert run_sla_check(now=NOW + HOUR)["breaches"] == {"first_response": 0, "resolution": 0}
    Ticket.objects.filter(pk=t.pk).update(
        first_response_at=NOW + 2 * HOUR, status=TicketStatus.RESOLVED, resolved_at=NOW + 3 * HOUR
    )
    run_sla_check(now=NOW + 4 * HOUR)
    assert list(SlaBreach.objects.values_list("ticket_id", "target", "due_at", "breached_at")) == [
        (t.pk, "first_response", NOW - HOUR, NOW)
    ]
    t.refresh_from_db()
    assert t.sla_state == SlaState.BREACHED  # resolved in time, but the first answer was late


def test_a_resolution_overdue_is_breached_and_waiting_stops_it(north_customer, policy):
    answered = {"first_response_at": NOW - 20 * HOUR}
    late = make(north_customer, policy, first_due=NOW - 10 * HOUR, resolution_due=NOW - HOUR,
                **answered)  # fmt: skip
    waiting = make(north_customer, policy, first_due=NOW - 10 * HOUR, resolution_due=NOW - HOUR,
                   status=TicketStatus.WAITING, waiting_since=NOW - 2 * HOUR,
                   **answered)  # fmt: skip
    waited_late = make(north_customer, policy, first_due=NOW - 10 * HOUR,
                       resolution_due=NOW - 3 * HOUR, status=TicketStatus.WAITING,
                       waiting_since=NOW - 2 * HOUR, **answered)  # fmt: skip
    run_sla_check(now=NOW)
    breached = set(SlaBreach.objects.values_list("ticket_id", "target"))
    assert breached == {(late.pk, "resolution"), (waited_late.pk, "resolution")}
    waiting.refresh_from_db()
    assert waiting.sla_state == SlaState.ON_TRACK


def test_a_late_answer_between_two_runs_is_still_a_breach(north_customer, policy):
    t = make(north_customer, policy, first_due=NOW - HOUR, resolution_due=NOW + 30 * HOUR,
             first_response_at=NOW - HOUR / 2)  # fmt: skip
    on_time = make(north_customer, policy, first_due=NOW - HOUR, resolution_due=NOW + 30 * HOUR,
                   first_response_at=NOW - 2 * HOUR)  # fmt: skip
    resolved_late = make(north_customer, policy, first_due=NOW - 9 * HOUR,
                         resolution_due=NOW - 5 * HOUR, first_response_at=NOW - 10 * HOUR,
                         status=TicketStatus.RESOLVED, resolved_at=NOW - 4 * HOUR)  # fmt: skip
    resolved_in_time = make(north_customer, policy, first_due=NOW - 9 * HOUR,
                            resolution_due=NOW - 5 * HOUR, status=TicketStatus.CLOSED,
                            resolved_at=NOW - 10 * HOUR)  # fmt: skip
    run_sla_check(now=NOW)
    assert set(SlaBreach.objects.values_list("ticket_id", "target")) == {
        (t.pk, "first_response"),
        (resolved_late.pk, "resolution"),
    }
    states = dict(Ticket.objects.values_list("pk", "sla_state"))
    assert states[on_time.pk] == SlaState.ON_TRACK
    assert states[resolved_late.pk] == SlaState.BREACHED
    assert states[resolved_in_time.pk] == SlaState.MET


def test_the_owner_is_told_once_when_tickets_go_at_risk(north_customer, policy):
    owner = north_customer.owner
    risky = [
        make(north_customer, policy, first_due=NOW + HOUR, resolution_due=NOW + 30 * HOUR)
        for _ in range(3)
    ]
    safe = make(north_customer, policy, first_due=NOW + 5 * HOUR, resolution_due=NOW + 30 * HOUR)
    run_sla_check(now=NOW)
    states = dict(Ticket.objects.values_list("pk", "sla_state"))
    assert {states[t.pk] for t in risky} == {SlaState.AT_RISK}
    assert states[safe.pk] == SlaState.ON_TRACK
    (notice,) = Notification.objects.filter(recipient=owner)
    assert notice.kind == Notification.Kind.SLA
    assert "3 of your tickets are close to their deadlines" in notice.text
    assert Ticket.objects.filter(at_risk_notified_at=NOW).count() == 3

    run_sla_check(now=NOW + dt.timedelta(minutes=5))
    assert Notification.objects.filter(recipient=owner).count() == 1  # not again


def test_one_ticket_at_risk_links_to_it(north_customer, policy):
    owner = north_customer.owner
    t = make(north_customer, policy, first_due=NOW + HOUR, resolution_due=NOW + 30 * HOUR)
    run_sla_check(now=NOW)
    (notice,) = Notification.objects.filter(recipient=owner)
    assert notice.url.endswith(f"/{t.pk}/")
    assert "1 of your tickets is close to its deadline" in notice.text


def test_breaches_are_escalated_to_the_team_manager(smtp_inbox, north_customer, policy, boss):  # noqa: F811
    other = CustomerFactory(team=north_customer.team, owner=north_customer.owner)
    for customer in (north_customer, other):
        make(customer, policy, first_due=NOW - HOUR, resolution_due=NOW + 30 * HOUR)
    stats = run_sla_check(now=NOW)
    assert stats["emails"] == 1
    (notice,) = Notification.objects.filter(recipient=boss)
    assert notice.kind == Notification.Kind.SLA and "2" in notice.text
    (owner_notice,) = Notification.objects.filter(recipient=north_customer.owner)
    assert "2 of your tickets missed their deadlines" in owner_notice.text
    (mail,) = smtp_inbox.messages
    assert mail["To"] == boss.email
    body = mail.get_content()
    assert "Parcel lost" in body and "/service/" in body
    assert "2 tickets of your team missed their deadlines" in mail["Subject"]
    # a second run escalates nothing more
    run_sla_check(now=NOW + HOUR)
    assert Notification.objects.filter(recipient=boss).count() == 1
    assert len(smtp_inbox.messages) == 1


def test_a_state_goes_back_on_track_when_the_due_moves(north_customer, policy):
    t = make(north_customer, policy, first_due=NOW + HOUR, resolution_due=NOW + 30 * HOUR)
    run_sla_check(now=NOW)
    Ticket.objects.filter(pk=t.pk).update(first_response_at=NOW)
    run_sla_check(now=NOW + dt.timedelta(minutes=5))
    t.refresh_from_db()
    assert t.sla_state == SlaState.ON_TRACK


def test_the_query_count_does_not_grow_with_the_tickets(north_customer, policy, boss, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    def batch(n, when):
        for i in range(n):
            make(north_customer, policy, first_due=when - HOUR, resolution_due=when + i * HOUR)
            make(north_customer, policy, first_due=when + HOUR, resolution_due=when + 30 * HOUR)

    batch(2, NOW)
    with CaptureQueriesContext(connection) as few:
        run_sla_check(now=NOW)
    batch(40, NOW + 100 * HOUR)
    with CaptureQueriesContext(connection) as many:
        run_sla_check(now=NOW + 100 * HOUR)
    assert SlaBreach.objects.count() > 40
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 20


def test_the_command_runs_the_job(north_customer, policy):
    import io
    import json

    from django.core.management import call_command

    make(north_customer, policy, first_due=NOW - HOUR, resolution_due=NOW + 30 * HOUR)
    out = io.StringIO()
    call_command("sla_check", "--json", stdout=out)
    assert json.loads(out.getvalue())["breaches"]["first_response"] == 1


def test_the_periodic_task_follows_the_setting(settings):
    from patron.service import tasks

    settings.PATRON_SLA_EVERY_MINUTES = 10
    runs = tasks._schedule()
    assert runs(dt.datetime(2026, 3, 4, 12, 10)) and not runs(dt.datetime(2026, 3, 4, 12, 5))
    settings.PATRON_SLA_EVERY_MINUTES = 120
    runs = tasks._schedule()
    assert runs(dt.datetime(2026, 3, 4, 12, 0)) and not runs(dt.datetime(2026, 3, 4, 13, 0))


def test_waiting_does_not_excuse_a_first_response_never_given(north_customer, policy):
    t = make(north_customer, policy, first_due=NOW - HOUR, resolution_due=NOW + 30 * HOUR,
             status=TicketStatus.WAITING, waiting_since=NOW - 2 * HOUR)  # fmt: skip
    run_sla_check(now=NOW)
    assert list(SlaBreach.objects.values_list("ticket_id", "target")) == [(t.pk, "first_response")]


def test_a_reopened_ticket_keeps_its_breach_and_state(north_customer, policy):
    t = make(north_customer, policy, first_due=NOW - HOUR, resolution_due=NOW + 30 * HOUR)
    run_sla_check(now=NOW)
    Ticket.objects.filter(pk=t.pk).update(
        status=TicketStatus.RESOLVED, resolved_at=NOW + HOUR, first_response_at=NOW + HOUR
    )
    run_sla_check(now=NOW + 2 * HOUR)
    Ticket.objects.filter(pk=t.pk).update(status=TicketStatus.OPEN, resolved_at=None)
    run_sla_check(now=NOW + 3 * HOUR)
    t.refresh_from_db()
    assert t.sla_state == SlaState.BREACHED
    assert SlaBreach.objects.filter(ticket=t).count() == 1
