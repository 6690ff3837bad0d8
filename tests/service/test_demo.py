"""The service demo: categories, team managers, four months of tickets of every type,
status and story in the customers' languages, and a valuable complainer with a signal,
a caretaker and a win-back window; loaded once."""

import datetime as dt
import re

import pytest
from django.db import transaction
from django.utils import timezone

from patron.accounts.models import Team
from patron.analytics.models import Signal
from patron.demo import demo_load
from patron.service import demo as service_demo
from patron.service.models import (
    SlaBreach,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketType,
    WinBackWindow,
)


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(customers=60, password="demo passphrase 1")
        transaction.set_rollback(True)


@pytest.fixture
def demo(loaded, db):
    return loaded


def test_categories_managers_and_tickets(demo):
    names = set(TicketCategory.objects.values_list("name", flat=True))
    assert {name for name, _d in service_demo.CATEGORIES} <= names
    assert not Team.objects.filter(manager__isnull=True).exists()
    tickets = Ticket.objects.filter(source=service_demo.SOURCE)
    assert tickets.count() == service_demo.TICKETS + 1
    assert set(tickets.values_list("type", flat=True)) == set(TicketType.values)
    assert set(tickets.values_list("status", flat=True)) == set(TicketStatus.values)
    oldest = tickets.order_by("created_at").first().created_at
    assert timezone.now() - oldest > dt.timedelta(days=60)


def test_stories_are_in_the_past_and_varied(demo):
    tickets = Ticket.objects.filter(source=service_demo.SOURCE)
    assert tickets.filter(first_contact_resolution=True).exists()
    assert tickets.filter(first_contact_resolution=False).exists()
    assert tickets.filter(reopened_count__gt=0).exists()
    assert SlaBreach.objects.exists()
    # Moved back to when they happened: answered after being asked, never in the future.
    for t in tickets.exclude(first_response_at=None):
        assert t.created_at <= t.first_response_at <= timezone.now()
        if t.resolved_at:
            assert t.first_response_at <= t.resolved_at
    assert TicketMessage.objects.filter(kind=TicketMessage.Kind.NOTE).exists()
    replies = TicketMessage.objects.filter(kind=TicketMessage.Kind.REPLY)
    assert replies.filter(created_at__lt=timezone.now() - dt.timedelta(days=30)).exists()
    subjects = " ".join(tickets.values_list("subject", flat=True))
    assert re.search(r"[\u0590-\u05FF]", subjects) and re.search(r"[\u0600-\u06FF]", subjects)


def test_a_valuable_complainer_with_signal_caretaker_and_window(demo):
    window = WinBackWindow.objects.filter(closes_at__gt=timezone.now()).first()
    assert window is not None and window.caretaker is not None
    assert window.ticket.type == TicketType.COMPLAINT
    assert window.customer.owner == window.caretaker
    signal = Signal.objects.get(
        customer=window.customer, kind=Signal.Kind.COMPLAINT, cleared_at__isnull=True
    )
    assert signal.task.assignee == window.caretaker


def test_loading_again_adds_no_ticket(demo):
    before = Ticket.objects.count()
    demo_load(customers=60)
    assert Ticket.objects.count() == before
