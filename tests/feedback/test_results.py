"""Roll-ups (incremental == rebuilt) and the NPS / CSAT / CES arithmetic, by hand."""

import datetime as dt

import pytest
from django.db import connection  # noqa: F401 - read by the skipif condition

from patron.core.errors import NotFound, PermissionDenied, ValidationFailed
from patron.feedback.models import ResponseRollup, Trigger
from patron.feedback.results import (
    Score,
    response_tags_set,
    results,
    rollup_rebuild,
    tag_counts,
    verbatims,
)
from patron.segments.models import Segment, SegmentMembership
from tests.factories import CustomerFactory, UserFactory
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


# --- Scores by hand ---------------------------------------------------------------------


START = dt.date(2026, 1, 1)
END = dt.date(2026, 6, 30)


def test_nps_by_hand(north, agent):
    survey = SurveyFactory()
    customer = CustomerFactory(team=north, owner=agent)
    # 4 promoters (9, 10, 10, 9), 3 passives (7, 8, 8), 3 detractors (0, 5, 6): 10 scored.
    for score in (9, 10, 10, 9, 7, 8, 8, 0, 5, 6):
        make_response(survey, customer, score, at=DAY)
    make_response(survey, customer, None, at=DAY, comment="no score given")
    total = results(survey_ids=[survey.pk], kind="nps", start=START, end=END).total
    assert (total.responses, total.scored) == (11, 10)
    assert (total.favourable, total.neutral, total.unfavourable) == (4, 3, 3)
    assert total.value == 10  # 40 % − 30 %
    assert total.low_count is False


def test_nps_rounds_and_may_be_negative():
    score = Score("nps", responses=3, scored=3, favourable=0, neutral=1, unfavourable=2)
    assert score.value == -67  # −66.67 rounded
    assert Score("nps").value is None
    assert Score("nps", scored=3, responses=3).low_count is True


def test_csat_by_hand(north, agent):
    survey = SurveyFactory(kind="csat")
    customer = CustomerFactory(team=north, owner=agent)
    for score in (5, 5, 4, 3, 1, 2, 4):  # 4 satisfied of 7, sum 24
        make_response(survey, customer, score, at=DAY)
    total = results(survey_ids=[survey.pk], kind="csat", start=START, end=END).total
    assert total.value == 57  # 4 / 7 = 57.1 %
    assert total.mean == 3.4  # 24 / 7 = 3.43
    assert total.unfavourable_pct == 29


def test_ces_by_hand(north, agent):
    survey = SurveyFactory(kind="ces")
    customer = CustomerFactory(team=north, owner=agent)
    for score in (1, 2, 2, 4, 6, 7):  # sum 22, mean 3.67; high effort 2 of 6
        make_response(survey, customer, score, at=DAY)
    total = results(survey_ids=[survey.pk], kind="ces", start=START, end=END).total
    assert total.value == 3.7
    assert total.unfavourable_pct == 33
    assert total.favourable_pct == 50


def test_trend_by_month_and_week(north, agent):
    survey = SurveyFactory()
    customer = CustomerFactory(team=north, owner=agent)
    make_response(survey, customer, 10, at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    make_response(survey, customer, 0, at=dt.datetime(2026, 1, 31, 9, tzinfo=dt.UTC))
    make_response(survey, customer, 10, at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    monthly = results(survey_ids=[survey.pk], kind="nps", start=START, end=END)
    assert [p.label for p in monthly.trend] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
    ]
    assert [p.score.value for p in monthly.trend] == [0, None, 100, None, None, None]
    weekly = results(
        survey_ids=[survey.pk], kind="nps", start=START, end=dt.date(2026, 1, 31), period="week"
    )
    # Weeks start on Monday: 29 Dec 2025 holds 1 Jan.
    assert weekly.trend[0].start == dt.date(2025, 12, 29)
    by_week = {p.start: p.score.responses for p in weekly.trend}
    assert by_week[dt.date(2026, 1, 5)] == 1
    assert by_week[dt.date(2026, 1, 26)] == 1
    assert sum(by_week.values()) == 2


def test_period_bounds_are_inclusive_days(north, agent):
    survey = SurveyFactory()
    customer = CustomerFactory(team=north, owner=agent)
    make_response(survey, customer, 10, at=dt.datetime(2026, 2, 28, 23, 59, tzinfo=dt.UTC))
    make_response(survey, customer, 10, at=dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC))
    got = results(
        survey_ids=[survey.pk], kind="nps", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1)
    )
    assert got.total.responses == 1


def test_breakdowns(north, south, agent, other_agent):
    survey = SurveyFactory()
    north_customer = CustomerFactory(team=north, owner=agent)
    south_customer = CustomerFactory(team=south, owner=other_agent)
    segment = Segment.objects.create(name="Tea lovers", kind=Segment.Kind.STATIC)
    SegmentMembership.objects.create(segment=segment, customer=south_customer, entered_at=DAY)
    for _ in range(12):
        make_response(
            survey, north_customer, 10, at=DAY, trigger=Trigger.TICKET_RESOLVED, value_tier="core"
        )
    for _ in range(3):
        make_response(survey, south_customer, 2, at=DAY)
    args = {"survey_ids": [survey.pk], "kind": "nps", "start": START, "end": END}
    teams = {row.label: row.score for row in results(**args, by="team").breakdown}
    assert teams["North"].value == 100 and teams["North"].low_count is False
    assert teams["South"].value == -100 and teams["South"].low_count is True
    owners = {row.key: row.label for row in results(**args, by="owner").breakdown}
    assert owners[str(agent.pk)] == agent.full_name
    tiers = {
        row.key: (row.label, row.score.responses) for row in results(**args, by="tier").breakdown
    }
    assert tiers == {"core": ("Core", 12), "none": ("No tier", 3)}
    triggers = [row.label for row in results(**args, by="trigger").breakdown]
    assert triggers == ["A ticket was resolved", "Sent by hand or to a segment"]
    segments = results(**args, by="segment").breakdown
    assert [(row.label, row.score.responses) for row in segments] == [("Tea lovers", 3)]


def test_bad_parameters_are_refused():
    with pytest.raises(ValidationFailed):
        results(survey_ids=[1], kind="nps", period="day")
    with pytest.raises(ValidationFailed):
        results(survey_ids=[1], kind="nps", by="colour")
    with pytest.raises(ValidationFailed):
        results(survey_ids=[1], kind="nps", start=END, end=START)


# --- Verbatims and tags -----------------------------------------------------------------


def test_verbatims_newest_first_filtered_and_paginated(north, south, agent, other_agent):
    survey = SurveyFactory()
    mine = CustomerFactory(team=north, owner=agent)
    theirs = CustomerFactory(team=south, owner=other_agent)
    for i in range(5):
        make_response(survey, mine, i, at=DAY + dt.timedelta(hours=i), comment=f"slow delivery {i}")
    make_response(survey, mine, 10, at=DAY, comment="")  # no comment: not a verbatim
    make_response(survey, theirs, 10, at=DAY, comment="Lovely tea")
    first = verbatims(agent, survey_ids=[survey.pk], size=3)
    assert [r.comment for r in first.items] == [
        "slow delivery 4",
        "slow delivery 3",
        "slow delivery 2",
    ]
    second = verbatims(agent, survey_ids=[survey.pk], size=3, cursor=first.next_cursor)
    assert [r.comment for r in second.items] == ["slow delivery 1", "slow delivery 0"]
    assert second.next_cursor is None
    # Another team's customer is out of the agent's sight, in the manager's.
    everyone = verbatims(
        UserFactory(role="manager"), survey_ids=[survey.pk], band="favourable", size=10
    )
    assert [r.comment for r in everyone.items] == ["Lovely tea"]
    assert verbatims(agent, survey_ids=[survey.pk], text="DELIVERY 3").items[0].score == 3
    with pytest.raises(ValidationFailed):
        verbatims(agent, survey_ids=[survey.pk], cursor="not-a-cursor")


def test_tags_set_and_counted(north, agent, viewer, other_agent):
    survey = SurveyFactory()
    customer = CustomerFactory(team=north, owner=agent)
    response = make_response(survey, customer, 3, at=DAY, comment="Late again")
    other = make_response(survey, customer, 4, at=DAY, comment="Late")
    assert response_tags_set(actor=agent, response=response, names=["Delivery", " late "]) == [
        "Delivery",
        "late",
    ]
    response_tags_set(actor=agent, response=other, names=["delivery"])  # the same tag
    assert tag_counts([survey.pk]) == [("Delivery", 2), ("late", 1)]
    filtered = verbatims(agent, survey_ids=[survey.pk], tag="late")
    assert [r.pk for r in filtered.items] == [response.pk]
    with pytest.raises(PermissionDenied):
        response_tags_set(actor=viewer, response=response, names=["x"])
    with pytest.raises(NotFound):
        response_tags_set(actor=other_agent, response=response, names=["x"])
    with pytest.raises(ValidationFailed):
        response_tags_set(actor=agent, response=response, names=["x" * 61])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="SQLite serialises writers itself; concurrent upserts are PostgreSQL's to prove",
)
def test_two_simultaneous_responses_both_count(north, agent):
    """Two transactions adding to the same new roll-up rows at once: the second waits
    on the first's insert and adds to it (no lost update, no duplicate-key error)."""
    import threading

    from django.db import connection as thread_connection
    from django.db import transaction

    survey = SurveyFactory()
    customers = [CustomerFactory(team=north, owner=agent) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def answer(customer, score):
        try:
            with transaction.atomic():
                barrier.wait()
                make_response(survey, customer, score, at=DAY)
        except Exception as exc:
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=answer, args=(c, s))
        for c, s in zip(customers, (10, 0), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    everyone = ResponseRollup.objects.get(survey=survey, dimension="all")
    assert (everyone.responses, everyone.favourable, everyone.unfavourable) == (2, 1, 1)
    assert ResponseRollup.objects.get(survey=survey, dimension="team").responses == 2
