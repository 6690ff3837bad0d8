"""Roll-ups (incremental == rebuilt) and the NPS / CSAT / CES arithmetic, by hand."""

import datetime as dt

import pytest

from patron.feedback.models import ResponseRollup, Trigger
from patron.feedback.results import rollup_rebuild
from patron.segments.models import Segment, SegmentMembership
from tests.factories import CustomerFactory
from tests.feedback.factories import SurveyFactory
from tests.feedback.results_helpers import make_response

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def _rollups(survey):
    return sorted(
        ResponseRollup.objects.filter(survey=survey).values_list(
            "day",
            "dimension",
            "key",
            "responses",
            "scored",
            "score_sum",
            "favourable",
            "neutral",
            "unfavourable",
        )
    )


def test_rollup_add_counts_every_dimension(north, agent):
    survey = SurveyFactory()
    customer = CustomerFactory(team=north, owner=agent)
    segment = Segment.objects.create(name="VIP", kind=Segment.Kind.STATIC)
    SegmentMembership.objects.create(segment=segment, customer=customer, entered_at=DAY)
    make_response(survey, customer, 10, at=DAY, trigger=Trigger.TICKET_RESOLVED, value_tier="gold")
    make_response(survey, customer, 3, at=DAY + dt.timedelta(hours=2))
    rows = {(d, k): rest for _day, d, k, *rest in _rollups(survey)}
    assert rows[("all", "")] == [2, 2, 13, 1, 0, 1]
    assert rows[("trigger", "ticket_resolved")] == [1, 1, 10, 1, 0, 0]
    assert rows[("trigger", "manual")] == [1, 1, 3, 0, 0, 1]
    assert rows[("tier", "gold")] == [1, 1, 10, 1, 0, 0]
    assert rows[("tier", "none")] == [1, 1, 3, 0, 0, 1]
    assert rows[("owner", str(agent.pk))] == [2, 2, 13, 1, 0, 1]
    assert rows[("team", str(north.pk))] == [2, 2, 13, 1, 0, 1]
    assert rows[("segment", str(segment.pk))] == [2, 2, 13, 1, 0, 1]
    assert len(rows) == 8


def test_rebuild_equals_incremental(north, agent):
    nps = SurveyFactory()
    csat = SurveyFactory(kind="csat")
    segment = Segment.objects.create(name="Loyal", kind=Segment.Kind.STATIC)
    customers = [CustomerFactory(team=north, owner=agent) for _ in range(3)]
    customers.append(CustomerFactory())  # no owner, no team
    SegmentMembership.objects.create(segment=segment, customer=customers[0], entered_at=DAY)
    for i in range(40):
        customer = customers[i % 4]
        at = DAY + dt.timedelta(days=i % 5, hours=i)
        make_response(nps, customer, i % 11, at=at, value_tier=["", "gold", "silver"][i % 3])
        make_response(csat, customer, 1 + i % 5, at=at, trigger=Trigger.ORDER_DELIVERED)
    make_response(nps, customers[1], None, at=DAY, comment="no score")
    incremental = {s.pk: _rollups(s) for s in (nps, csat)}
    assert incremental[nps.pk]
    ResponseRollup.objects.all().delete()
    rollup_rebuild()
    assert {s.pk: _rollups(s) for s in (nps, csat)} == incremental
    # One survey only: the other's rows stay.
    rollup_rebuild(survey=nps)
    assert _rollups(nps) == incremental[nps.pk]
    assert _rollups(csat) == incremental[csat.pk]


def test_day_is_the_utc_date(north, agent):
    survey = SurveyFactory()
    customer = CustomerFactory(team=north, owner=agent)
    late = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    make_response(survey, customer, 9, at=late)
    days = {row[0] for row in _rollups(survey)}
    assert days == {dt.date(2026, 3, 11)}
    before = _rollups(survey)
    rollup_rebuild(survey=survey)
    assert _rollups(survey) == before
