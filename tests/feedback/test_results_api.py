"""The survey results API: results, verbatims by cursor, verbatim tags; 4xx, never 500."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.feedback.models import Trigger
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory
from tests.feedback.factories import SurveyFactory
from tests.feedback.results_helpers import make_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(north, agent, south, other_agent):
    survey = SurveyFactory(kind="csat")
    mine = CustomerFactory(given_name="Mona", family_name="Ali", team=north, owner=agent)
    theirs = CustomerFactory(team=south, owner=other_agent)
    now = timezone.now()
    for i, score in enumerate((5, 4, 2, 1, 3)):
        make_response(survey, mine, score, at=now - dt.timedelta(days=i), comment=f"mine {i}")
    make_response(survey, theirs, 5, at=now, comment="theirs", trigger=Trigger.ORDER_DELIVERED)
    return survey


def test_results(api_for, viewer, survey):
    api = api_for(viewer)  # aggregates: every staff member
    got = api.get(f"/api/v1/survey-results/{survey.pk}?by=trigger&period=week")
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["kind"] == "csat" and body["period"] == "week"
    assert body["total"]["responses"] == 6
    assert body["total"]["value"] == 50  # 3 satisfied of 6
    assert body["total"]["mean"] == 3.3  # 20 / 6
    assert body["total"]["low_count"] is True
    keys = {row["key"]: row["score"]["responses"] for row in body["breakdown"]}
    assert keys == {"manual": 5, "order_delivered": 1}


def test_results_errors(api_for, viewer, survey):
    api = api_for(viewer)
    assert_error_shape(api.get("/api/v1/survey-results/999999"), 404, "not_found")
    assert_error_shape(api.get(f"/api/v1/survey-results/{survey.pk}?period=day"), 422)
    assert_error_shape(api.get(f"/api/v1/survey-results/{survey.pk}?by=colour"), 422)
    bad_range = api.get(f"/api/v1/survey-results/{survey.pk}?from=2026-05-01&to=2026-01-01")
    assert_error_shape(bad_range, 422)


def test_verbatims_by_cursor_among_visible_customers(api_for, agent, manager, survey):
    api = api_for(agent)
    first = api.get(f"/api/v1/survey-results/{survey.pk}/verbatims?size=3")
    assert first.status_code == 200, first.content
    page = first.json()
    assert [item["comment"] for item in page["items"]] == ["mine 0", "mine 1", "mine 2"]
    assert page["items"][0]["customer_name"] == "Mona Ali"
    second = api.get(
        f"/api/v1/survey-results/{survey.pk}/verbatims?size=3&cursor={page['next_cursor']}"
    ).json()
    assert [item["comment"] for item in second["items"]] == ["mine 3", "mine 4"]
    assert second["next_cursor"] is None
    everyone = api_for(manager).get(f"/api/v1/survey-results/{survey.pk}/verbatims").json()
    assert "theirs" in {item["comment"] for item in everyone["items"]}
    bad = api.get(f"/api/v1/survey-results/{survey.pk}/verbatims?cursor=zzz")
    assert_error_shape(bad, 422, "validation_failed")


def test_tag_a_verbatim(api_for, agent, viewer, other_agent, survey):
    response = survey.responses.filter(comment="mine 0").get()
    path = f"/api/v1/survey-results/verbatims/{response.pk}/tags"
    api = api_for(agent)
    put = api._call("put", path, {"names": ["Packaging", "speed"]})
    assert put.status_code == 200, put.content
    assert put.json() == {"response_id": response.pk, "tags": ["Packaging", "speed"]}
    tagged = api.get(f"/api/v1/survey-results/{survey.pk}/verbatims?tag=speed").json()
    assert [item["id"] for item in tagged["items"]] == [response.pk]
    assert_error_shape(api_for(viewer)._call("put", path, {"names": ["x"]}), 403)
    assert_error_shape(api_for(other_agent)._call("put", path, {"names": ["x"]}), 404)
    assert_error_shape(api._call("put", path, {"names": ["x" * 61]}), 422)
    assert_error_shape(api._call("put", path, {"tags": []}), 422)
