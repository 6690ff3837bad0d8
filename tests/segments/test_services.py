"""Writes: segments with optimistic locking and unique names, static lists, and the
set-based evaluation that keeps who entered and who left."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patron.core.errors import Conflict, PermissionDenied, ValidationFailed
from patron.core.models import AuditEntry
from patron.customers.models import Customer
from patron.segments import selectors, services
from patron.segments.models import Segment, SegmentMembership
from tests.factories import CustomerFactory
from tests.segments.conftest import NOW

CUSTOMERS = {"conditions": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"}]}


def members(segment):
    rows = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    return sorted(rows.values_list("customer__given_name", flat=True))


def test_saving_a_dynamic_segment_evaluates_it(base, admin):
    segment = services.segment_create(
        actor=admin, name="  Buying   customers ", rules=CUSTOMERS, now=NOW
    )
    assert segment.name == "Buying customers"
    assert (segment.member_count, segment.evaluated_at, segment.version) == (2, NOW, 1)
    assert members(segment) == ["Ani", "Dan"]
    assert AuditEntry.objects.filter(target_type="segments.segment", action="create").exists()


def test_refresh_records_who_entered_and_who_left(base, admin):
    ani, bob = base["ani"], base["bob"]
    segment = services.segment_create(actor=admin, name="Customers", rules=CUSTOMERS, now=NOW)
    later = NOW + dt.timedelta(days=1)
    Customer.objects.filter(pk=bob.pk).update(lifecycle_stage="customer")
    Customer.objects.filter(pk=ani.pk).update(lifecycle_stage="lost")
    result = services.refresh_memberships(now=later)
    assert (result["evaluated"], result["entered"], result["left"], result["failed"]) == (
        1,
        1,
        1,
        0,
    )
    assert result["segments"] == [
        {"id": segment.pk, "name": "Customers", "entered": 1, "left": 1, "members": 2}
    ]
    assert members(segment) == ["Bob", "Dan"]
    segment.refresh_from_db()
    assert (segment.member_count, segment.evaluated_at) == (2, later)
    stay = SegmentMembership.objects.get(segment=segment, customer=ani)
    assert (stay.entered_at, stay.left_at) == (NOW, later)

    # Nothing changed: nothing entered or left, and the history stays as it was.
    again = services.refresh_memberships(now=later + dt.timedelta(hours=1))
    assert (again["entered"], again["left"]) == (0, 0)

    # Entering again is a new stay; the old one remains in the history.
    back = later + dt.timedelta(days=1)
    Customer.objects.filter(pk=ani.pk).update(lifecycle_stage="customer")
    services.refresh_memberships(now=back)
    stays = SegmentMembership.objects.filter(segment=segment, customer=ani).order_by("entered_at")
    assert [(s.entered_at, s.left_at) for s in stays] == [(NOW, later), (back, None)]

    events = [
        (e.kind, e.membership.customer.given_name, e.at)
        for e in selectors.history(admin, segment).events
    ]
    # Newest first; events of one moment by the stay's id, newest first.
    assert events[0] == ("entered", "Ani", back)
    assert set(events[1:3]) == {("entered", "Bob", later), ("left", "Ani", later)}
    assert set(events[3:]) == {("entered", "Dan", NOW), ("entered", "Ani", NOW)}


def test_history_pages_show_each_event_once(base, admin):
    segment = services.segment_create(actor=admin, name="Customers", rules=CUSTOMERS, now=NOW)
    moment = NOW
    for step in range(3):  # Ani and Dan leave and come back, three times
        moment += dt.timedelta(days=1)
        stage = "lost" if step % 2 == 0 else "customer"
        Customer.objects.filter(pk__in=[base["ani"].pk, base["dan"].pk]).update(
            lifecycle_stage=stage
        )
        services.refresh_memberships(now=moment)
    everything = selectors.history(admin, segment, size=200).events
    assert len(everything) == 8
    walked, cursor = [], None
    while True:
        page = selectors.history(admin, segment, cursor=cursor, size=3)
        walked += page.events
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [(e.kind, e.membership.pk) for e in walked] == [
        (e.kind, e.membership.pk) for e in everything
    ]
    with pytest.raises(ValidationFailed):
        selectors.history(admin, segment, cursor="not-a-cursor")


def test_segments_that_use_others_are_evaluated_after_them(base, admin):
    rich = services.segment_create(
        actor=admin,
        name="Rich",
        rules={"conditions": [{"field": "revenue_12m", "op": "gt", "value": 100}]},
        now=NOW,
    )
    rich_customers = services.segment_create(
        actor=admin,
        name="Rich customers",
        rules={
            "conditions": [
                {"field": "in_segment", "op": "member", "value": rich.pk},
                {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
            ]
        },
        now=NOW,
    )
    assert members(rich_customers) == ["Ani"]
    from patron.analytics.models import CustomerMetrics

    CustomerMetrics.objects.filter(customer=base["dan"]).update(revenue_12m=500)
    result = services.refresh_memberships(now=NOW + dt.timedelta(days=1))
    assert [s["id"] for s in result["segments"]] == [rich.pk, rich_customers.pk]
    assert members(rich_customers) == ["Ani", "Dan"]


def test_refresh_is_set_based(admin, north):
    """The statements of one evaluation do not grow with the customers."""
    segment = services.segment_create(actor=admin, name="Customers", rules=CUSTOMERS)

    def statements():
        with CaptureQueriesContext(connection) as captured:
            services.refresh_memberships(segment=segment)
        return len(captured.captured_queries)

    CustomerFactory.create_batch(3, team=north)
    few = statements()
    Customer.objects.bulk_create(
        Customer(given_name=f"N{n}", display_name=f"N{n}", lifecycle_stage="customer")
        for n in range(400)
    )
    assert statements() == few
    assert Segment.objects.get(pk=segment.pk).member_count == 403


def test_static_lists_take_customers_the_actor_can_see(base, agent):
    ani, bob, dan = base["ani"], base["bob"], base["dan"]
    listed = services.segment_create(actor=agent, name="Call list", kind="static")
    assert (
        services.segment_members_add(
            actor=agent, segment=listed, customer_ids=[ani.pk, dan.pk, ani.pk], now=NOW
        )
        == 2
    )
    assert listed.member_count == 2
    assert services.segment_members_add(actor=agent, segment=listed, customer_ids=[ani.pk]) == 0
    with pytest.raises(ValidationFailed) as refused:
        services.segment_members_add(actor=agent, segment=listed, customer_ids=[bob.pk, 10**9])
    assert str(bob.pk) in refused.value.message and "customer_ids" in refused.value.details
    with pytest.raises(ValidationFailed):
        services.segment_members_add(actor=agent, segment=listed, customer_ids=["x"])
    with pytest.raises(ValidationFailed):
        services.segment_members_add(actor=agent, segment=listed, customer_ids=[])
    later = NOW + dt.timedelta(hours=1)
    assert (
        services.segment_members_remove(
            actor=agent, segment=listed, customer_ids=[ani.pk], now=later
        )
        == 1
    )
    assert (listed.member_count, members(listed)) == (1, ["Dan"])
    stay = SegmentMembership.objects.get(segment=listed, customer=ani)
    assert (stay.added_by, stay.entered_at, stay.left_at) == (agent, NOW, later)
    # A refresh leaves static lists to the people who keep them.
    services.refresh_memberships()
    assert members(listed) == ["Dan"]
    changes = AuditEntry.objects.filter(target_type="segments.segment", target_id=str(listed.pk))
    assert {c["field"] for e in changes for c in e.changes} >= {"members_added", "members_removed"}


def test_a_dynamic_segment_takes_no_customers_by_hand(base, admin):
    segment = services.segment_create(actor=admin, name="Customers", rules=CUSTOMERS)
    with pytest.raises(ValidationFailed):
        services.segment_members_add(actor=admin, segment=segment, customer_ids=[base["bob"].pk])


def test_names_are_unique_whatever_the_case(base, admin):
    services.segment_create(actor=admin, name="VIP", rules=CUSTOMERS)
    with pytest.raises(ValidationFailed) as refused:
        services.segment_create(actor=admin, name="vip", rules=CUSTOMERS)
    assert "name" in refused.value.details
    with pytest.raises(ValidationFailed) as refused:
        services.segment_create(actor=admin, name="  ", rules=CUSTOMERS)
    assert "name" in refused.value.details


def test_dynamic_needs_conditions_and_static_has_none(base, admin):
    with pytest.raises(ValidationFailed) as refused:
        services.segment_create(actor=admin, name="Everyone", rules={})
    assert "conditions" in refused.value.details
    with pytest.raises(ValidationFailed) as refused:
        services.segment_create(actor=admin, name="List", kind="static", rules=CUSTOMERS)
    assert "rules" in refused.value.details
    with pytest.raises(ValidationFailed) as refused:
        services.segment_create(
            actor=admin, name="Bad", rules={"conditions": [{"field": "city", "op": "gt"}]}
        )
    assert refused.value.details == {
        "conditions[0].op": [refused.value.details["conditions[0].op"][0]]
    }


def test_update_with_a_stale_version_is_refused(base, admin):
    segment = services.segment_create(actor=admin, name="Customers", rules=CUSTOMERS)
    changed = services.segment_update(
        actor=admin, segment=segment, expected_version=1, name="Buyers", now=NOW
    )
    assert (changed.version, changed.name, changed.evaluated_at) == (2, "Buyers", NOW)
    stale = Segment.objects.get(pk=segment.pk)
    with pytest.raises(Conflict):
        services.segment_update(actor=admin, segment=stale, expected_version=1, name="Again")
    with pytest.raises(ValidationFailed):
        services.segment_update(actor=admin, segment=stale, colour="red")


def test_turning_dynamic_into_static_keeps_the_members(base, admin):
    segment = services.segment_create(actor=admin, name="Customers", rules=CUSTOMERS)
    services.segment_update(actor=admin, segment=segment, kind="static")
    segment.refresh_from_db()
    assert (segment.kind, segment.rules, members(segment)) == ("static", {}, ["Ani", "Dan"])


def test_who_may_change_a_segment(base, admin, agent, other_agent, viewer, manager):
    with pytest.raises(PermissionDenied):
        services.segment_create(actor=viewer, name="Mine", rules=CUSTOMERS)
    theirs = services.segment_create(actor=agent, name="Agent's", rules=CUSTOMERS)
    with pytest.raises(PermissionDenied):
        services.segment_update(actor=other_agent, segment=theirs, name="Taken")
    with pytest.raises(PermissionDenied):
        services.segment_delete(actor=other_agent, segment=theirs)
    services.segment_update(actor=manager, segment=theirs, name="Managed")
    services.segment_update(actor=agent, segment=theirs, description="Still mine")


def test_a_segment_used_by_another_is_not_deleted(base, admin):
    used = services.segment_create(actor=admin, name="Used", rules=CUSTOMERS)
    user = services.segment_create(
        actor=admin,
        name="User",
        rules={"conditions": [{"field": "in_segment", "op": "not_member", "value": used.pk}]},
    )
    with pytest.raises(Conflict) as refused:
        services.segment_delete(actor=admin, segment=used)
    assert refused.value.details == {"used_by": [user.pk]}
    services.segment_delete(actor=admin, segment=user)
    services.segment_delete(actor=admin, segment=used)
    assert not SegmentMembership.objects.exists()
    assert AuditEntry.objects.filter(target_type="segments.segment", action="delete").count() == 2


def test_a_segment_whose_stored_rules_break_is_reported_and_skipped(base, admin):
    good = services.segment_create(actor=admin, name="Good", rules=CUSTOMERS)
    broken = services.segment_create(actor=admin, name="Broken", rules=CUSTOMERS)
    Segment.objects.filter(pk=broken.pk).update(rules={"match": "most", "conditions": []})
    result = services.refresh_memberships(now=NOW)
    assert result["failed"] == 1 and result["evaluated"] == 1
    assert {s["id"]: "error" in s for s in result["segments"]} == {good.pk: False, broken.pk: True}


def test_a_large_change_brings_the_statistics_up_to_date(base, admin, monkeypatch):
    """PostgreSQL plans the next evaluation with fresh statistics (SQLite needs none)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(services, "ANALYZE_AFTER", 1)
    with CaptureQueriesContext(connection) as captured:
        segment = services.segment_create(actor=admin, name="Customers", rules=CUSTOMERS)
    analyzed = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("ANALYZE")]
    assert len(analyzed) == (1 if connection.vendor == "postgresql" else 0)
    assert segment.member_count == 2
