"""The timeline merges every registered kind of event in one order, with filters and a
cursor that never repeats or skips an event."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from patron.commerce import services as commerce
from patron.core.errors import ValidationFailed
from patron.customers import services as customers
from patron.interactions import services
from patron.interactions.models import Interaction, Note
from patron.interactions.timeline import (
    _KINDS,
    TimelineKind,
    customer_timeline,
    filters_from,
    register_timeline_kind,
    team_timeline,
)

NOW = timezone.now().replace(microsecond=0)


def at(days_ago, hours=0):
    return NOW - dt.timedelta(days=days_ago, hours=hours)


@pytest.fixture
def history(agent, north_customer):
    """Five events of four kinds, at known times, some sharing a timestamp."""
    c = north_customer
    call, _ = services.interaction_log(
        actor=agent, customer=c, channel="phone", summary="Asked about delivery", occurred_at=at(3)
    )
    mail, _ = services.interaction_log(
        actor=agent, customer=c, channel="email", summary="Sent the quote", occurred_at=at(1)
    )
    order, _ = commerce.order_save(
        actor=agent,
        customer=c,
        external_id="O-1",
        placed_at=at(2),
        currency="EUR",
        channel="web",
        lines=[{"sku": "A1", "quantity": 2, "unit_price": "10.50"}],
    )
    note = services.note_add(actor=agent, customer=c, body="Prefers mornings")
    Note.objects.filter(pk=note.pk).update(created_at=at(1))  # same instant as the email
    task = services.task_create(actor=agent, customer=c, title="Call back", due_at=at(-1))
    return {"call": call, "mail": mail, "order": order, "note": note, "task": task}


def keys(page):
    return [event.key for event in page.events]


def test_events_of_every_kind_come_newest_first(history, north_customer):
    page = customer_timeline(north_customer)
    h = history
    assert keys(page) == [
        f"task-{h['task'].pk}",
        f"note-{h['note'].pk}",  # "note" > "interaction" at the same instant
        f"interaction-{h['mail'].pk}",
        f"order-{h['order'].pk}",
        f"interaction-{h['call'].pk}",
    ]
    assert page.next_cursor is None
    assert h["order"].total_amount == Decimal("21.00")


def test_the_cursor_walks_every_event_once(history, north_customer):
    seen, cursor = [], None
    while True:
        page = customer_timeline(north_customer, cursor=cursor, size=2)
        seen += keys(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == keys(customer_timeline(north_customer))
    assert len(seen) == 5


def test_filters_by_kind_channel_user_and_date(history, north_customer, agent, manager):
    h = history
    only_calls = customer_timeline(north_customer, filters=filters_from(channels=["phone"]))
    assert keys(only_calls) == [f"interaction-{h['call'].pk}"]
    orders = customer_timeline(north_customer, filters=filters_from(kinds=["order"]))
    assert keys(orders) == [f"order-{h['order'].pk}"]
    # Orders name no user: a user filter leaves them out.
    by_agent = customer_timeline(north_customer, filters=filters_from(user_id=agent.pk))
    assert f"order-{h['order'].pk}" not in keys(by_agent)
    assert len(by_agent.events) == 4
    nobody = customer_timeline(north_customer, filters=filters_from(user_id=manager.pk))
    assert nobody.events == []
    window = customer_timeline(
        north_customer,
        filters=filters_from(since=timezone.localdate(at(2)), until=timezone.localdate(at(2))),
    )
    assert keys(window) == [f"order-{h['order'].pk}"]


def test_unknown_kind_and_forged_cursor_are_refused(north_customer):
    with pytest.raises(ValidationFailed):
        filters_from(kinds=["horoscope"])
    with pytest.raises(ValidationFailed):
        customer_timeline(north_customer, cursor="not-a-cursor")


def test_an_organization_timeline_includes_its_people(agent, north, north_customer):
    firm = customers.customer_create(
        actor=agent, kind="organization", organization_name="Firm", team=north
    )
    customers.membership_add(actor=agent, person=north_customer, organization=firm)
    own, _ = services.interaction_log(
        actor=agent, customer=firm, channel="meeting", summary="Kick-off"
    )
    theirs, _ = services.interaction_log(
        actor=agent, customer=north_customer, channel="chat", summary="Question", occurred_at=at(1)
    )
    assert keys(customer_timeline(firm)) == [
        f"interaction-{own.pk}",
        f"interaction-{theirs.pk}",
    ]


def test_team_timeline_shows_only_visible_customers(
    agent, other_agent, north_customer, south_customer
):
    mine, _ = services.interaction_log(
        actor=agent, customer=north_customer, channel="sms", summary="Hi"
    )
    services.interaction_log(
        actor=other_agent, customer=south_customer, channel="sms", summary="Yo"
    )
    assert keys(team_timeline(agent)) == [f"interaction-{mine.pk}"]


def test_a_new_kind_registered_elsewhere_appears_with_no_timeline_change(
    history, north_customer, agent
):
    """A kind from another app: audit-free 'reminders' read from the interactions table
    through a condition, standing in for tickets or survey responses of later issues."""
    register_timeline_kind(
        TimelineKind(
            key="zcallback",
            label="Call-backs",
            model=Interaction,
            template="interactions/timeline/interaction.html",
            condition=lambda: __import__("django.db.models", fromlist=["Q"]).Q(outcome="callback"),
        )
    )
    try:
        callback, _ = services.interaction_log(
            actor=agent,
            customer=north_customer,
            channel="phone",
            summary="Ring again",
            outcome="callback",
            occurred_at=at(0, hours=1),
        )
        page = customer_timeline(north_customer, filters=filters_from(kinds=["zcallback"]))
        assert keys(page) == [f"zcallback-{callback.pk}"]
        assert f"zcallback-{callback.pk}" in keys(customer_timeline(north_customer, size=50))
    finally:
        _KINDS.pop("zcallback")


@pytest.mark.parametrize("many", [1, 10_000])
def test_team_timeline_is_the_same_read_either_way(
    monkeypatch, many, agent, other_agent, north, north_customer, south_customer
):
    """Over many customers the rule is written for a walk in time order (SQLite); over a
    few, through the customers' indexes: the events are the same."""
    from patron.interactions import timeline

    monkeypatch.setattr(timeline, "MANY_CUSTOMERS", many)
    owned = customers.customer_create(actor=agent, given_name="Own", owner=agent)
    shown = []
    for n, customer in enumerate([north_customer, owned, north_customer]):
        event, _ = services.interaction_log(
            actor=agent, customer=customer, channel="sms", summary=f"S{n}", occurred_at=at(n)
        )
        shown.append(f"interaction-{event.pk}")
    services.interaction_log(actor=other_agent, customer=south_customer, channel="sms", summary="x")
    assert keys(team_timeline(agent)) == shown
    assert keys(team_timeline(agent, size=2)) == shown[:2]
