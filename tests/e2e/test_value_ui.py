"""Customer value in a browser: from the value dashboards to the at-risk list, to the
customer, to the signal and its explanation, and the signal's task done from there."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patron.accounts.models import Role
from patron.analytics import refresh as refreshing
from patron.analytics.models import Signal
from patron.commerce.models import Order
from patron.interactions.models import Interaction
from tests.e2e.conftest import shot
from tests.e2e.test_browser import sign_in
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _order(customer, when, amount):
    Order.objects.create(
        customer=customer,
        placed_at=when,
        currency="USD",
        total_amount=Decimal(amount),
        total_cost=Decimal(0),
    )


@pytest.fixture
def agent():
    """Twenty customers who keep buying, and Hana, who bought more often than anyone, then
    stopped: between two refreshes she moves into Can't lose them (or At risk)."""
    team = TeamFactory(name="Amman")
    user = UserFactory(email="layla@example.com", role=Role.AGENT, teams=[team])
    now = timezone.now()
    before = now - dt.timedelta(days=300)
    for n in range(20):
        c = CustomerFactory(team=team, owner=user, given_name=f"Regular{n}")
        for days in (20, 200, 400, 600):
            _order(c, before - dt.timedelta(days=days), 50)
        _order(c, now - dt.timedelta(days=3), 50)
        Interaction.objects.create(
            customer=c, channel="phone", summary="hello", occurred_at=now - dt.timedelta(days=2)
        )
    hana = CustomerFactory(team=team, owner=user, given_name="Hana", family_name="Saleh")
    for days in (10, 30, 60, 90, 120, 150, 180, 210):
        _order(hana, before - dt.timedelta(days=days), 80)
    refreshing.refresh(as_of=before)
    refreshing.refresh(as_of=now)
    return user


def test_from_the_dashboard_to_a_signal_and_its_task_done(page, agent):
    signal = Signal.objects.get(customer__given_name="Hana", kind__in=["at_risk", "cant_lose"])
    sign_in(page, agent.email)
    page.goto("/value/")
    shot(page, "value-dashboards-en-desktop")
    page.get_by_test_id("at-risk-all").click()
    rows = page.get_by_test_id("at-risk-row")
    expect(rows.filter(has_text="Hana Saleh")).to_have_count(1)
    rows.filter(has_text="Hana Saleh").get_by_role("link", name="Hana Saleh").click()

    card = page.get_by_test_id("value-card")
    expect(card).to_be_visible()
    item = card.get_by_test_id(f"signal-{signal.kind}")
    expect(item.get_by_test_id("signal-why")).to_contain_text("Moved from")
    # Each figure tells why it is what it is.
    card.get_by_test_id("figure-rfm_segment").locator("summary").click()
    expect(card.get_by_test_id("why-rfm_segment")).to_contain_text("Recency")
    shot(page, "customer-value-card-en-desktop")

    item.get_by_test_id("signal-task-complete").click()
    expect(page.get_by_test_id("value-card").get_by_test_id("signal-task-done")).to_be_visible()
    signal.task.refresh_from_db()
    assert signal.task.status == "done"
    assert not page.console_errors, "\n".join(page.console_errors)
