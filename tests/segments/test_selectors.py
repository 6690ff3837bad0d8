"""Reads: an agent counts, lists and exports only the members they may see."""

import datetime as dt

import pytest

from patron.core.errors import NotFound, ValidationFailed
from patron.segments import selectors, services
from patron.segments.rules import RuleError
from tests.factories import CustomerFactory
from tests.segments.conftest import NOW

PEOPLE = {"conditions": [{"field": "kind", "op": "eq", "value": "person"}]}


def test_the_live_count_counts_only_customers_the_viewer_can_see(
    base, admin, agent, other_agent, viewer
):
    # Ani (north, the agent's), Bob (south), Dan (north, nobody's): three people.
    assert selectors.count_matching(admin, PEOPLE) == 3
    assert selectors.count_matching(agent, PEOPLE) == 2
    assert selectors.count_matching(viewer, PEOPLE) == 2
    assert selectors.count_matching(other_agent, PEOPLE) == 1
    assert selectors.count_matching(agent, {}) == 2  # no condition: every customer they see
    with pytest.raises(RuleError) as refused:
        selectors.count_matching(agent, {"conditions": [{"field": "city", "op": "lt", "value": 1}]})
    assert "conditions[0].op" in refused.value.details


def test_members_page_by_customer_id_within_sight(admin, agent, north, south):
    mine = [CustomerFactory(team=north) for _ in range(5)]
    CustomerFactory.create_batch(4, team=south)
    segment = services.segment_create(actor=admin, name="People", rules=PEOPLE)
    assert segment.member_count == 9
    seen, cursor = [], None
    while True:
        page = selectors.members(agent, segment, cursor=cursor, size=2)
        seen += [m.customer_id for m in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [c.pk for c in mine]
    assert selectors.members(admin, segment, size=100).next_cursor is None
    assert len(selectors.members(admin, segment, size=100).items) == 9
    with pytest.raises(ValidationFailed):
        selectors.members(agent, segment, cursor="abc")
    count = selectors.member_count(agent, segment)
    assert (count.count, count.exact, count.total) == (5, True, 9)
    assert list(selectors.member_customers(agent, segment)) == mine


def test_the_count_of_members_an_agent_sees_is_bounded(admin, agent, north, monkeypatch):
    CustomerFactory.create_batch(4, team=north)
    segment = services.segment_create(actor=admin, name="People", rules=PEOPLE)
    monkeypatch.setattr(selectors, "VISIBLE_COUNT_LIMIT", 3)
    count = selectors.member_count(agent, segment)
    assert (count.count, count.exact) == (3, False)


def test_a_customers_segments_now_and_before(base, admin):
    ani = base["ani"]
    listed = services.segment_create(actor=admin, name="Picked", kind="static")
    services.segment_create(actor=admin, name="People", rules=PEOPLE, now=NOW)
    services.segment_members_add(actor=admin, segment=listed, customer_ids=[ani.pk], now=NOW)
    services.segment_members_remove(
        actor=admin, segment=listed, customer_ids=[ani.pk], now=NOW + dt.timedelta(days=2)
    )
    found = selectors.customer_segments(ani)
    assert [m.segment.name for m in found.current] == ["People"]
    assert [(m.segment.name, m.left_at) for m in found.past] == [
        ("Picked", NOW + dt.timedelta(days=2))
    ]
    assert found.more_past is False


def test_segments_are_listed_sorted_and_found(base, admin, viewer):
    services.segment_create(actor=admin, name="Beta", rules=PEOPLE)
    services.segment_create(actor=admin, name="Alpha list", kind="static")
    assert [s.name for s in selectors.segment_list(viewer=viewer)] == ["Alpha list", "Beta"]
    assert [s.name for s in selectors.segment_list(viewer=viewer, sort="-members")] == [
        "Beta",
        "Alpha list",
    ]
    assert [s.name for s in selectors.segment_list(viewer=viewer, kind="static")] == ["Alpha list"]
    assert [s.name for s in selectors.segment_list(viewer=viewer, query="ALPHA")] == ["Alpha list"]
    with pytest.raises(NotFound):
        selectors.segment_get(viewer=viewer, segment_id="x")
    with pytest.raises(NotFound):
        selectors.segment_get(viewer=viewer, segment_id=10**9)
