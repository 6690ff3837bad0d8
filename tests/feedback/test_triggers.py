"""Surveys sent after events: a resolved ticket (through the ticket services), a
delivered order and the first purchase (the daily job)."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.commerce.models import Order
from patron.feedback.models import Invitation, Trigger
from patron.feedback.triggers import due_orders, invite_due
from patron.service.models import TicketStatus
from patron.service.services import ticket_close, ticket_resolve
from tests.feedback.factories import SurveyFactory, surveyable_customer
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def csat():
    return SurveyFactory(kind="csat", trigger=Trigger.TICKET_RESOLVED, cooldown_days=14)


def _customer(north, agent, **kwargs):
    return surveyable_customer(team=north, owner=agent, **kwargs)


def test_a_resolved_ticket_invites_its_customer(csat, north, agent):
    ticket = TicketFactory(customer=_customer(north, agent), owner=agent, team=north)
    ticket_resolve(actor=agent, ticket=ticket, root_cause="")
    [invitation] = Invitation.objects.filter(survey=csat)
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.trigger == Trigger.TICKET_RESOLVED
    assert invitation.ticket_id == ticket.pk
    assert invitation.about_user_id == agent.pk
    ticket.refresh_from_db()
    assert ticket.satisfaction_asked_at is not None
    # Closing it afterwards asks nothing more.
    ticket_close(actor=agent, ticket=ticket)
    assert Invitation.objects.filter(survey=csat).count() == 1


def test_a_second_ticket_within_the_cooldown_is_not_asked_again(csat, north, agent):
    customer = _customer(north, agent)
    first = TicketFactory(customer=customer, owner=agent, team=north)
    second = TicketFactory(customer=customer, owner=agent, team=north)
    ticket_resolve(actor=agent, ticket=first, root_cause="")
    ticket_resolve(actor=agent, ticket=second, root_cause="")
    statuses = list(
        Invitation.objects.filter(survey=csat).order_by("id").values_list("status", flat=True)
    )
    assert statuses == ["pending", "skipped"]
    second.refresh_from_db()
    assert second.satisfaction_asked_at is None


def test_a_customer_without_consent_is_recorded_not_asked(csat, north, agent):
    ticket = TicketFactory(customer=_customer(north, agent, consent=None), owner=agent, team=north)
    resolved = ticket_resolve(actor=agent, ticket=ticket, root_cause="")
    assert resolved.status == TicketStatus.RESOLVED
    [invitation] = Invitation.objects.filter(survey=csat)
    assert invitation.status == Invitation.Status.SKIPPED
    ticket.refresh_from_db()
    assert ticket.satisfaction_asked_at is None


def test_only_active_ticket_surveys_are_sent(north, agent):
    SurveyFactory(trigger=Trigger.TICKET_RESOLVED, status="draft")
    SurveyFactory(trigger=Trigger.MANUAL)
    ticket = TicketFactory(customer=_customer(north, agent), owner=agent, team=north)
    ticket_resolve(actor=agent, ticket=ticket, root_cause="")
    assert not Invitation.objects.exists()


def _order(customer, placed_at, status=Order.Status.COMPLETED):
    return Order.objects.create(
        customer=customer, placed_at=placed_at, currency="USD", status=status
    )


def test_delivered_orders_are_followed_after_their_days():
    now = timezone.now()
    survey = SurveyFactory(trigger=Trigger.ORDER_DELIVERED, trigger_days=2, cooldown_days=0)
    due = _order(surveyable_customer(email="a@example.com"), now - dt.timedelta(days=3))
    _order(surveyable_customer(email="b@example.com"), now - dt.timedelta(days=1))  # too early
    _order(
        surveyable_customer(email="c@example.com"),
        now - dt.timedelta(days=3),
        status=Order.Status.CANCELLED,
    )
    _order(surveyable_customer(email="d@example.com"), now - dt.timedelta(days=30))  # too old
    assert invite_due(now=now) == {survey.pk: 1}
    [invitation] = Invitation.objects.all()
    assert invitation.order_id == due.pk
    assert invitation.trigger == Trigger.ORDER_DELIVERED
    # The next run finds it already done.
    assert invite_due(now=now + dt.timedelta(hours=1)) == {survey.pk: 0}


def test_after_first_purchase_only_the_first_order_counts():
    now = timezone.now()
    survey = SurveyFactory(trigger=Trigger.AFTER_FIRST_PURCHASE, trigger_days=7)
    newcomer = surveyable_customer(email="new@example.com")
    first = _order(newcomer, now - dt.timedelta(days=8))
    regular = surveyable_customer(email="old@example.com")
    _order(regular, now - dt.timedelta(days=200))
    _order(regular, now - dt.timedelta(days=8))
    assert [o.pk for o in due_orders(survey, now)] == [first.pk]
    invite_due(now=now)
    assert list(Invitation.objects.values_list("customer_id", flat=True)) == [newcomer.pk]
    # Never twice for the same customer, even after the cool-down.
    assert due_orders(survey, now + dt.timedelta(days=3)) == []


def test_the_daily_job_is_bounded_per_run():
    now = timezone.now()
    survey = SurveyFactory(trigger=Trigger.ORDER_DELIVERED, trigger_days=0, cooldown_days=0)
    for i in range(5):
        _order(surveyable_customer(email=f"x{i}@example.com"), now - dt.timedelta(hours=i + 1))
    assert invite_due(now=now, limit=3) == {survey.pk: 3}
    assert invite_due(now=now, limit=3) == {survey.pk: 2}


def test_the_order_selection_is_one_query(django_assert_num_queries):
    now = timezone.now()
    survey = SurveyFactory(trigger=Trigger.ORDER_DELIVERED, trigger_days=0)
    for i in range(3):
        _order(surveyable_customer(email=f"q{i}@example.com"), now - dt.timedelta(hours=1))
    with django_assert_num_queries(1):
        assert len(due_orders(survey, now)) == 3
