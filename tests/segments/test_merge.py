"""Merging two customers keeps the merged one's stays: list memberships and history move
to the survivor; only a second current stay in the same segment is dropped (and the
undo brings it back)."""

import datetime as dt

from patron.customers.merge import customers_merge, merge_undo
from patron.segments import services
from patron.segments.models import SegmentMembership
from tests.segments.conftest import NOW

CUSTOMERS = {"conditions": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"}]}


def stays(customer):
    return sorted(
        SegmentMembership.objects.filter(customer=customer).values_list("segment__name", "left_at"),
        key=lambda s: (s[0], s[1] or NOW + dt.timedelta(days=999)),
    )


def test_a_merge_keeps_the_merged_customers_stays(base, admin):
    ani, dan = base["ani"], base["dan"]  # both customers: both in "Customers"
    services.segment_create(actor=admin, name="Customers", rules=CUSTOMERS, now=NOW)
    listed = services.segment_create(actor=admin, name="List", kind="static")
    services.segment_members_add(actor=admin, segment=listed, customer_ids=[dan.pk], now=NOW)
    gone = NOW + dt.timedelta(days=1)
    services.segment_members_add(actor=admin, segment=listed, customer_ids=[ani.pk], now=NOW)
    services.segment_members_remove(actor=admin, segment=listed, customer_ids=[ani.pk], now=gone)

    entry = customers_merge(actor=admin, survivor=ani, merged=dan)
    assert stays(ani) == [("Customers", None), ("List", gone), ("List", None)]
    assert SegmentMembership.objects.filter(customer=ani, left_at__isnull=True).count() == 2

    merge_undo(actor=admin, entry=entry)
    assert stays(dan) == [("Customers", None), ("List", None)]
    assert stays(ani) == [("Customers", None), ("List", gone)]
