"""The results pages: overview, one survey with filters, CSV, verbatims (HTMX), tags,
and query counts that do not grow with the responses."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from patron.feedback.models import ProgrammeMembership, Response, Trigger
from tests.factories import CustomerFactory
from tests.feedback.factories import SurveyFactory
from tests.feedback.results_helpers import make_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(north, agent):
    survey = SurveyFactory(name="After support")
    customer = CustomerFactory(given_name="Lina", family_name="Haddad", team=north, owner=agent)
    now = timezone.now()
    for i, score in enumerate((10, 9, 8, 3, 0)):
        make_response(
            survey,
            customer,
            score,
            at=now - dt.timedelta(days=i * 20),
            comment=f"Comment {i}",
            trigger=Trigger.TICKET_RESOLVED,
        )
    return survey


def _many(survey, customer, n):
    now = timezone.now()
    for i in range(n):
        make_response(survey, customer, i % 11, at=now - dt.timedelta(days=i * 3), comment="x")


def test_index_shows_each_active_survey(client, manager, survey):
    SurveyFactory(name="Draft one", status="draft")
    client.force_login(manager)
    page = client.get(reverse("feedback_results:index"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "After support" in body and "Draft one" not in body
    assert 'data-chart="spark-' in body
    # A truncated name follows its own direction (an English name in Arabic lost its start).
    assert 'dir="auto" title="After support"' in body
    # NPS of 10, 9, 8, 3, 0: 2 promoters, 2 detractors of 5 = 0.
    assert page.context["cards"][0]["data"].total.value == 0


def test_survey_page_headline_trend_breakdown(client, manager, survey):
    client.force_login(manager)
    url = reverse("feedback_results:survey", args=[survey.pk])
    page = client.get(url, {"by": "team", "period": "month"})
    assert page.status_code == 200
    body = page.content.decode()
    assert page.context["data"].total.responses == 5
    assert 'data-testid="headline-score">0<' in body
    assert "North" in body and 'data-testid="low-count"' in body
    assert "Comment 0" in body and "Lina Haddad" in body
    assert len(page.context["data"].trend) >= 12


def test_the_filters_stay_out_of_the_navbar_search(client, manager, survey):
    # The page's filter string once went to the template as `query`, the name the
    # navbar's customer search box shows: it read "from=2026-…".
    client.force_login(manager)
    body = client.get(reverse("feedback_results:survey", args=[survey.pk])).content.decode()
    search = body.split('id="global-search"', 1)[1].split(">", 1)[0]
    assert 'value=""' in search
    assert "csv/?from=" in body


def test_the_breakdown_is_named_by_its_label_and_verbatim_dates_are_isolated(
    client, manager, survey
):
    client.force_login(manager)
    page = client.get(reverse("feedback_results:survey", args=[survey.pk]), {"by": "trigger"})
    # Was "NPS by trigger": the dimension's key, untranslated, under the chart.
    assert page.context["breakdown_chart"]["label"].endswith(" by touchpoint")
    # Dates and survey names isolated, so an RTL page does not reorder "1/12/2026".
    assert "<bdi>" + survey.name + "</bdi>" in page.content.decode()
    # A comment reads in its own direction (an English one in an Arabic page, and back).
    assert 'dir="auto">Comment 0<' in page.content.decode()


def test_filters_in_the_url_narrow_the_period(client, manager, survey):
    client.force_login(manager)
    today = timezone.now().date()
    page = client.get(
        reverse("feedback_results:survey", args=[survey.pk]),
        {"from": (today - dt.timedelta(days=5)).isoformat(), "to": today.isoformat()},
    )
    assert page.context["data"].total.responses == 1
    bad = client.get(reverse("feedback_results:survey", args=[survey.pk]), {"from": "soon"})
    assert bad.status_code == 422


def test_a_survey_without_responses_says_so_instead_of_an_empty_chart(client, manager):
    quiet = SurveyFactory(name="Nobody answered")
    client.force_login(manager)
    body = client.get(reverse("feedback_results:survey", args=[quiet.pk])).content.decode()
    assert 'data-testid="no-trend"' in body and 'data-chart="chart-trend"' not in body
    assert 'data-bs-target="#trend-table"' not in body  # no table to show either
    assert 'data-testid="no-breakdown"' in body


def test_unknown_survey_is_not_found(client, manager):
    client.force_login(manager)
    assert client.get(reverse("feedback_results:survey", args=[999999])).status_code == 404
    assert client.get(reverse("feedback_results:kind", args=["custom"])).status_code == 404


def test_all_surveys_of_a_kind(client, manager, survey, north_customer):
    other = SurveyFactory(name="After delivery")
    make_response(other, north_customer, 10, comment="Great")
    client.force_login(manager)
    page = client.get(reverse("feedback_results:kind", args=["nps"]))
    assert page.status_code == 200
    assert page.context["data"].total.responses == 6


def test_csv_of_trend_and_breakdown(client, manager, survey):
    client.force_login(manager)
    url = reverse("feedback_results:csv", args=[survey.pk])
    trend = client.get(url, {"what": "trend"})
    assert trend["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(trend.streaming_content).decode())))
    assert rows[0][0] == "Period"
    assert sum(int(row[1]) for row in rows[1:]) == 5
    breakdown = client.get(url, {"what": "breakdown", "by": "trigger"})
    rows = list(csv.reader(io.StringIO(b"".join(breakdown.streaming_content).decode())))
    assert rows[1][:3] == ["A ticket was resolved", "ticket_resolved", "5"]
    assert rows[1][-1] == "yes"  # fewer than 10


def test_query_count_does_not_grow_with_responses(
    client, manager, north, agent, django_assert_max_num_queries
):
    survey = SurveyFactory()
    customer = CustomerFactory(team=north, owner=agent)
    _many(survey, customer, 5)
    client.force_login(manager)
    url = reverse("feedback_results:survey", args=[survey.pk])
    client.get(url)
    with django_assert_max_num_queries(14) as few:
        assert client.get(url).status_code == 200
    _many(survey, CustomerFactory(team=north, owner=agent), 60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries) - 1):
        assert client.get(reverse("feedback_results:index")).status_code == 200


def test_verbatims_page_by_cursor_and_filters(client, manager, north, agent):
    survey = SurveyFactory()
    customer = CustomerFactory(team=north, owner=agent)
    _many(survey, customer, 30)
    client.force_login(manager)
    url = reverse("feedback_results:verbatims", args=[survey.pk])
    first = client.get(url)
    assert len(first.context["verbatims"]) == 25
    more = client.get(url, {"cursor": first.context["next_cursor"]})
    assert len(more.context["verbatims"]) == 5 and more.context["next_cursor"] is None
    assert 'id="verbatims"' not in more.content.decode()  # rows only
    detractors = client.get(url, {"band": "unfavourable"})
    assert {r.band for r in detractors.context["verbatims"]} == {"unfavourable"}


def test_inline_tagging(client, agent, viewer, survey):
    response = Response.objects.filter(survey=survey).first()
    url = reverse("feedback_results:tags", args=[response.pk])
    client.force_login(agent)
    row = client.post(url, {"tags": "price, Delivery"}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    assert sorted(response.tags.values_list("name", flat=True)) == ["Delivery", "price"]
    assert "Delivery" in row.content.decode()
    card = client.get(reverse("feedback_results:tags_card", args=[survey.pk]))
    assert "Delivery" in card.content.decode() and "price" in card.content.decode()
    client.force_login(viewer)
    assert client.post(url, {"tags": "x"}).status_code == 403


def test_flag_a_promoter_as_reference(client, agent, survey):
    promoter = Response.objects.filter(survey=survey, score=10).get()
    client.force_login(agent)
    row = client.post(reverse("feedback_results:reference", args=[promoter.pk]))
    assert row.status_code == 200
    assert 'data-testid="reference-flagged"' in row.content.decode()
    assert ProgrammeMembership.objects.filter(
        customer=promoter.customer, programme="reference", response=promoter
    ).exists()


def test_loop_panel_read_after_the_page(client, manager, survey):
    detractor = Response.objects.filter(survey=survey, score=0).get()
    Response.objects.filter(pk=detractor.pk).update(loop="open")
    promoter = Response.objects.filter(survey=survey, score=10).get()
    Response.objects.filter(pk=promoter.pk).update(
        loop="closed", loop_closed_at=promoter.submitted_at + dt.timedelta(hours=5)
    )
    client.force_login(manager)
    page = client.get(reverse("feedback_results:survey", args=[survey.pk])).content.decode()
    loop_url = reverse("feedback_results:loop", args=[survey.pk])
    assert f'hx-get="{loop_url}?' in page
    panel = client.get(loop_url).content.decode()
    assert 'data-testid="loop-open">1<' in panel
    assert ">5 h<" in panel


def test_a_breakdown_row_filters_the_verbatims(client, manager, north, south, agent, other_agent):
    survey = SurveyFactory()
    make_response(survey, CustomerFactory(team=north, owner=agent), 9, comment="From the north")
    make_response(
        survey, CustomerFactory(team=south, owner=other_agent), 2, comment="From the south"
    )
    client.force_login(manager)
    url = reverse("feedback_results:survey", args=[survey.pk])
    page = client.get(url, {"by": "team"}).content.decode()
    assert f"vby=team&amp;key={south.pk}" in page
    only_south = client.get(url, {"by": "team", "vby": "team", "key": str(south.pk)})
    assert [r.comment for r in only_south.context["verbatims"]] == ["From the south"]
    assert 'data-testid="verbatims-unfilter"' in only_south.content.decode()
