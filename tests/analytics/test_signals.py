"""Signals raised by the refresh: each kind on a hand-made base, raised once (not again on
a re-run, nor within the cool-down), cleared when the condition ends, with a task for the
customer's owner in the owner's language."""

import datetime as dt
from decimal import Decimal

import pytest

from patron.analytics import refresh as refreshing
from patron.analytics.models import CustomerMetrics, Signal, ValueSettings
from patron.analytics.signals import explain
from patron.commerce.models import Order
from patron.interactions.models import Interaction, Notification, Task
from tests.factories import CustomerFactory

AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def days_ago(days, base=AS_OF):
    return base - dt.timedelta(days=days)


def order(customer, days, amount):
    Order.objects.create(
        customer=customer,
        placed_at=days_ago(days),
        currency="USD",
        total_amount=Decimal(amount),
        total_cost=Decimal(0),
    )


def base(owner, *, fillers=20):
    """Buyers who keep buying (nobody's signal), to give the ranking a population."""
    for _ in range(fillers):
        c = CustomerFactory(owner=owner)
        for d in (20, 200, 400, 600):
            order(c, d, 50)
        Interaction.objects.create(
            customer=c, channel="phone", summary="x", occurred_at=days_ago(5)
        )


@pytest.mark.django_db
def test_a_valuable_customer_buying_less_gets_one_signal_and_one_task(agent):
    agent.language = "ar"
    agent.save()
    base(agent)
    falling = CustomerFactory(owner=agent)
    for d in (400, 450, 500, 550, 700):
        order(falling, d, 1000)
    order(falling, 30, 300)  # 300 against a usual year of thousands
    refreshing.refresh(as_of=AS_OF)
    signal = Signal.objects.get(customer=falling, kind="buying_less")
    assert signal.details["trend"] < 0.4
    task = signal.task
    assert (task.assignee, task.customer, task.source) == (agent, falling, "signal")
    assert task.status == "open" and task.due_at == signal.raised_at + dt.timedelta(days=7)
    assert task.title != "Find out why this valuable customer buys less"  # in Arabic
    assert Notification.objects.filter(recipient=agent, kind="signals").count() == 1
    # Again: the episode is still open, nothing new.
    refreshing.refresh(as_of=AS_OF + dt.timedelta(hours=1))
    assert Signal.objects.filter(customer=falling, kind="buying_less").count() == 1
    # One task per signal (they are also silent: a second kind, a second task).
    kinds = Signal.objects.filter(customer=falling).count()
    assert Task.objects.filter(customer=falling, source="signal").count() == kinds


@pytest.mark.django_db
def test_win_back_a_valuable_customer_lost_within_24_months(agent):
    base(agent)
    lost = CustomerFactory(owner=agent)
    for d in (400, 420, 500):
        order(lost, d, 2000)
    long_gone = CustomerFactory(owner=agent)
    order(long_gone, 1000, 9000)
    refreshing.refresh(as_of=AS_OF)
    assert Signal.objects.filter(customer=lost, kind="win_back").exists()
    assert not Signal.objects.filter(customer=long_gone, kind="win_back").exists()
    text = explain("win_back", Signal.objects.get(customer=lost, kind="win_back").details)
    assert "12 months" in text


@pytest.mark.django_db
def test_most_valuable_without_interaction_and_clearing_then_cooldown(agent):
    ValueSettings.objects.create(pk=1, silence_days=60, signal_cooldown_days=90)
    base(agent)
    big = CustomerFactory(owner=agent)
    for d in (10, 100, 300):
        order(big, d, 5000)
    Interaction.objects.create(customer=big, channel="phone", summary="x", occurred_at=days_ago(80))
    refreshing.refresh(as_of=AS_OF)
    signal = Signal.objects.get(customer=big, kind="silent")
    assert signal.details["days_since_interaction"] == 80
    # They are called: the next refresh clears the episode.
    Interaction.objects.create(customer=big, channel="phone", summary="y", occurred_at=days_ago(1))
    refreshing.refresh(as_of=AS_OF)
    signal.refresh_from_db()
    assert signal.cleared_at is not None
    # Silent again within the cool-down: no new signal.
    Interaction.objects.filter(customer=big).delete()
    refreshing.refresh(as_of=AS_OF)
    assert Signal.objects.filter(customer=big, kind="silent").count() == 1


@pytest.mark.django_db
def test_moving_into_at_risk_is_signalled_only_on_a_move(agent):
    base(agent)
    c = CustomerFactory(owner=agent)
    for d in (10, 30, 60, 90, 120, 150, 180, 210):  # more orders than anyone
        order(c, d, 80)
    refreshing.refresh(as_of=AS_OF)
    before = CustomerMetrics.objects.get(customer=c).rfm_segment
    assert before not in ("at_risk", "cant_lose")
    # A year without buying, while everyone else goes on: R falls, F stays.
    later = AS_OF + dt.timedelta(days=300)
    for other in CustomerMetrics.objects.exclude(customer=c).values_list("customer", flat=True):
        Order.objects.create(
            customer_id=other,
            placed_at=later - dt.timedelta(days=3),
            currency="USD",
            total_amount=50,
            total_cost=0,
        )
    refreshing.refresh(as_of=later)
    m = CustomerMetrics.objects.get(customer=c)
    assert m.previous_rfm_segment == before
    assert m.rfm_segment in ("at_risk", "cant_lose")
    signal = Signal.objects.get(customer=c, kind__in=["at_risk", "cant_lose"])
    assert signal.kind == m.rfm_segment
    assert signal.details["from"] == before


@pytest.mark.django_db
def test_the_first_refresh_raises_no_move_signals(agent):
    base(agent)
    c = CustomerFactory(owner=agent)
    for d in (300, 330, 360, 390):
        order(c, d, 80)
    refreshing.refresh(as_of=AS_OF)
    assert not Signal.objects.filter(kind__in=["at_risk", "cant_lose"]).exists()
