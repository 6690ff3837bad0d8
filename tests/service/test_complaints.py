"""Valuable complainers: a complaint from a most-valuable or A-class customer raises a
signal with an urgent task, gives the customer a caretaker and opens a 30-day win-back
window; anything else sets nothing off."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from patron.accounts.models import Role
from patron.analytics.models import CustomerMetrics, Signal
from patron.core.models import AuditEntry
from patron.interactions.models import Task
from patron.service import complaints
from patron.service.models import TicketType, WinBackWindow
from patron.service.services import ticket_create, ticket_resolve, ticket_update
from tests.factories import CustomerFactory, UserFactory


def figures(customer, tier="", abc="", revenue="1200.00"):
    return CustomerMetrics.objects.create(
        customer=customer, value_tier=tier, abc_class=abc, revenue_12m=Decimal(revenue)
    )


def complain(actor, customer, subject="The parcel arrived broken", **extra):
    return ticket_create(
        actor=actor, customer=customer, subject=subject, type=TicketType.COMPLAINT, **extra
    )


@pytest.mark.django_db
def test_most_valuable_without_owner_gets_the_agent_as_caretaker(agent, north):
    customer = CustomerFactory(team=north, owner=None)
    figures(customer, tier="most_valuable", abc="A")
    before = timezone.now()

    ticket = complain(agent, customer)

    customer.refresh_from_db()
    assert customer.owner == agent
    assert AuditEntry.objects.filter(
        target_type="customers.customer", target_id=str(customer.pk)
    ).exists()
    signal = Signal.objects.get(customer=customer, kind=Signal.Kind.COMPLAINT)
    assert signal.cleared_at is None
    assert signal.details["ticket_id"] == ticket.pk
    assert signal.details["tier"] == "most_valuable"
    assert signal.details["revenue_12m"] == "1200.00"
    task = signal.task
    assert task.assignee == agent
    assert task.priority == Task.Priority.URGENT
    assert dt.timedelta(hours=23) < task.due_at - before < dt.timedelta(hours=25)
    assert "most valuable customer complained" in task.title
    window = WinBackWindow.objects.get(customer=customer)
    assert window.ticket == ticket and window.caretaker == agent
    assert window.closes_at - window.opened_at == dt.timedelta(days=30)
    assert window.is_open()


@pytest.mark.django_db
def test_an_owner_who_left_is_replaced_by_the_agent_as_caretaker(agent, north):
    gone = UserFactory(role=Role.AGENT, teams=[north], is_active=False)
    customer = CustomerFactory(team=north, owner=gone)
    figures(customer, tier="most_valuable", abc="A")

    complain(agent, customer)

    customer.refresh_from_db()
    assert customer.owner == agent
    window = WinBackWindow.objects.get(customer=customer)
    assert window.caretaker == agent
    assert Signal.objects.get(customer=customer, kind=Signal.Kind.COMPLAINT).task.assignee == agent


@pytest.mark.django_db
def test_a_class_customer_keeps_their_owner_as_caretaker(other_agent, south):
    customer = CustomerFactory(team=south, owner=other_agent)
    figures(customer, tier="core", abc="A")

    complain(other_agent, customer)

    customer.refresh_from_db()
    assert customer.owner == other_agent
    window = WinBackWindow.objects.get(customer=customer)
    assert window.caretaker == other_agent
    assert Signal.objects.get(customer=customer).task.assignee == other_agent


@pytest.mark.django_db
def test_system_complaint_without_owners_goes_to_the_team_manager(north):
    boss = UserFactory(email="boss@example.com", role="manager")
    north.manager = boss
    north.save()
    customer = CustomerFactory(team=north, owner=None)
    figures(customer, tier="most_valuable")

    ticket = complain(None, customer, source="email")

    customer.refresh_from_db()
    ticket.refresh_from_db()
    assert customer.owner == boss
    assert ticket.owner == boss
    assert WinBackWindow.objects.get(customer=customer).caretaker == boss
    assert Signal.objects.get(customer=customer).task.assignee == boss


@pytest.mark.django_db
def test_no_caretaker_to_be_found_still_opens_the_window(north):
    customer = CustomerFactory(team=north, owner=None)
    figures(customer, tier="most_valuable")

    complain(None, customer)

    window = WinBackWindow.objects.get(customer=customer)
    assert window.caretaker is None
    assert Signal.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("tier, abc", [("core", "B"), ("below_zero", "C"), (None, None)])
def test_a_customer_who_is_not_valuable_sets_nothing_off(agent, north, tier, abc):
    customer = CustomerFactory(team=north, owner=None)
    if tier is not None:  # None: no figures at all yet
        figures(customer, tier=tier, abc=abc)

    complain(agent, customer)

    customer.refresh_from_db()
    assert customer.owner is None
    assert not Signal.objects.filter(customer=customer).exists()
    assert not WinBackWindow.objects.filter(customer=customer).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [TicketType.QUESTION, TicketType.REQUEST, TicketType.INCIDENT])
def test_a_valuable_customer_asking_something_is_no_complaint(agent, north, kind):
    customer = CustomerFactory(team=north, owner=None)
    figures(customer, tier="most_valuable", abc="A")

    ticket_create(actor=agent, customer=customer, subject="Where is my order?", type=kind)

    assert not Signal.objects.filter(customer=customer).exists()
    assert not WinBackWindow.objects.filter(customer=customer).exists()


@pytest.mark.django_db
def test_a_question_recognised_as_a_complaint_opens_the_window(agent, north):
    customer = CustomerFactory(team=north, owner=None)
    figures(customer, tier="most_valuable", abc="A")
    ticket = ticket_create(actor=agent, customer=customer, subject="Where is my order?")
    assert not WinBackWindow.objects.filter(customer=customer).exists()

    ticket_update(actor=agent, ticket=ticket, version=ticket.version, type=TicketType.COMPLAINT)

    window = WinBackWindow.objects.get(customer=customer)
    assert window.ticket == ticket and window.caretaker == agent
    assert Signal.objects.filter(customer=customer, kind=Signal.Kind.COMPLAINT).exists()
    # Back to a question and again a complaint: still one window, one signal.
    ticket.refresh_from_db()
    ticket_update(actor=agent, ticket=ticket, version=ticket.version, type=TicketType.QUESTION)
    ticket.refresh_from_db()
    ticket_update(actor=agent, ticket=ticket, version=ticket.version, type=TicketType.COMPLAINT)
    assert WinBackWindow.objects.filter(customer=customer).count() == 1
    assert Signal.objects.filter(customer=customer, kind=Signal.Kind.COMPLAINT).count() == 1


@pytest.mark.django_db
def test_a_second_complaint_in_the_window_raises_no_second_signal(agent, north):
    customer = CustomerFactory(team=north, owner=agent)
    figures(customer, tier="most_valuable")
    first = complain(agent, customer)

    complain(agent, customer, subject="And nobody called back")

    assert Signal.objects.filter(customer=customer).count() == 1
    assert Task.objects.filter(customer=customer, source=Task.Source.SIGNAL).count() == 1
    window = WinBackWindow.objects.get(customer=customer)
    assert window.ticket == first


@pytest.mark.django_db
def test_the_episode_ends_when_the_window_closed_and_no_complaint_is_open(agent, north):
    customer = CustomerFactory(team=north, owner=agent)
    figures(customer, tier="most_valuable")
    ticket = complain(agent, customer)
    signal = Signal.objects.get(customer=customer)

    # Resolved within the window: the caretaker's 30 days go on.
    ticket_resolve(actor=agent, ticket=ticket, root_cause="Packed without padding")
    signal.refresh_from_db()
    assert signal.cleared_at is None
    assert complaints.end_episodes() == 0

    # The window has closed: the daily job ends the episode.
    WinBackWindow.objects.filter(customer=customer).update(
        closes_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert complaints.end_episodes() == 1
    signal.refresh_from_db()
    assert signal.cleared_at is not None


@pytest.mark.django_db
def test_a_complaint_still_open_after_the_window_keeps_the_episode(agent, north):
    customer = CustomerFactory(team=north, owner=agent)
    figures(customer, tier="most_valuable")
    ticket = complain(agent, customer)
    WinBackWindow.objects.filter(customer=customer).update(
        closes_at=timezone.now() - dt.timedelta(minutes=1)
    )

    assert complaints.end_episodes() == 0  # still open
    ticket_resolve(actor=agent, ticket=ticket, root_cause="Courier dropped it")

    signal = Signal.objects.get(customer=customer)
    assert signal.cleared_at is not None  # resolved after the window: ended at once


@pytest.mark.django_db
def test_a_complaint_taken_from_old_mail_counts_from_when_it_was_made(agent, north):
    customer = CustomerFactory(team=north, owner=agent)
    figures(customer, tier="most_valuable")
    old = complain(agent, customer, at=timezone.now() - dt.timedelta(days=40))
    assert old.pk and not WinBackWindow.objects.filter(customer=customer).exists()

    recent = complain(agent, customer, at=timezone.now() - dt.timedelta(days=10))
    window = WinBackWindow.objects.get(customer=customer)
    assert window.opened_at == recent.created_at
    assert (window.closes_at - timezone.now()).days == 19
