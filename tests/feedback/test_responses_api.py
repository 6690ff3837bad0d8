"""The responses API: shapes, filters, cursor pages, visibility, entering and tagging,
and 4xx with details."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.feedback.models import Response
from patron.feedback.responding import submit_response
from tests.conftest import assert_error_shape
from tests.feedback.factories import InvitationFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def answered(customer, score, *, survey=None, at=None, comment=""):
    survey = survey or SurveyFactory()
    return submit_response(
        invitation=InvitationFactory(survey=survey, customer=customer),
        answers={"score": score},
        comment=comment,
        now=at,
    )


def test_a_response_reads_with_its_loop(api_for, agent, north_customer):
    response = answered(north_customer, 2, comment="Slow.")
    body = api_for(agent).get(f"/api/v1/responses/{response.pk}").json()
    assert body["id"] == response.pk
    assert body["customer_id"] == north_customer.pk
    assert body["customer_name"] == north_customer.display_name
    assert body["survey_name"] == response.survey.name
    assert (body["score"], body["band"], body["comment"]) == (2, "unfavourable", "Slow.")
    assert body["answers"] == {"score": 2}
    assert body["loop"] == "open" and body["follow_up_ticket_id"] == response.follow_up_ticket_id
    assert body["loop_closed_at"] is None and body["time_to_close_seconds"] is None
    assert body["invitation_id"] == response.invitation_id
    assert body["tags"] == []


def test_the_list_filters_and_pages_by_cursor(
    api_for, agent, north_customer, django_assert_max_num_queries
):
    survey = SurveyFactory()
    now = timezone.now()
    made = [
        answered(north_customer, score, survey=survey, at=now - dt.timedelta(hours=n))
        for n, score in enumerate([10, 9, 8, 3, 1])
    ]
    other = answered(north_customer, 9)  # another survey
    api = api_for(agent)
    with django_assert_max_num_queries(8):
        first = api.get(f"/api/v1/responses?survey_id={survey.pk}&size=2").json()
    assert [r["id"] for r in first["items"]] == [made[0].pk, made[1].pk]
    second = api.get(
        f"/api/v1/responses?survey_id={survey.pk}&size=2&cursor={first['next_cursor']}"
    ).json()
    third = api.get(
        f"/api/v1/responses?survey_id={survey.pk}&size=2&cursor={second['next_cursor']}"
    ).json()
    assert [r["id"] for r in second["items"] + third["items"]] == [m.pk for m in made[2:]]
    assert third["next_cursor"] is None
    everything = api.get("/api/v1/responses").json()["items"]
    assert {r["id"] for r in everything} == {m.pk for m in made} | {other.pk}

    def ids(query):
        return {r["id"] for r in api.get(f"/api/v1/responses?{query}").json()["items"]}

    assert ids(f"survey_id={survey.pk}&band=unfavourable") == {made[3].pk, made[4].pk}
    assert ids(f"survey_id={survey.pk}&loop=open") == {made[3].pk, made[4].pk}
    assert ids(f"survey_id={survey.pk}&loop=none") == {m.pk for m in made[:3]}
    assert ids(f"customer_id={north_customer.pk}&band=neutral") == {made[2].pk}
    since = (now - dt.timedelta(hours=1, minutes=30)).isoformat().replace("+00:00", "Z")
    assert ids(f"survey_id={survey.pk}&since={since}") == {made[0].pk, made[1].pk}
    assert ids(f"survey_id={survey.pk}&until={since}") == {m.pk for m in made[2:]}


def test_responses_follow_their_customers_visibility(
    api_for, agent, other_agent, north_customer, south_customer
):
    mine = answered(north_customer, 9)
    theirs = answered(south_customer, 9)
    api = api_for(agent)
    assert {r["id"] for r in api.get("/api/v1/responses").json()["items"]} == {mine.pk}
    assert_error_shape(api.get(f"/api/v1/responses/{theirs.pk}"), 404, "not_found")


def test_staff_enter_a_response_for_an_invitation_or_a_customer(api_for, agent, north_customer):
    api = api_for(agent)
    invitation = InvitationFactory(customer=north_customer)
    created = api.post(
        "/api/v1/responses",
        {"invitation_id": invitation.pk, "answers": {"score": 4}, "comment": "Said on the phone"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["invitation_id"] == invitation.pk and body["loop"] == "open"
    # Again: already answered.
    again = api.post("/api/v1/responses", {"invitation_id": invitation.pk, "answers": {"score": 9}})
    assert_error_shape(again, 409, "already_answered")
    survey = SurveyFactory(kind="ces")
    paper = api.post(
        "/api/v1/responses",
        {"survey_id": survey.pk, "customer_id": north_customer.pk, "answers": {"score": "2"}},
    )
    assert paper.status_code == 201
    assert paper.json()["invitation_id"] is None and paper.json()["band"] == "favourable"


def test_entering_validates_like_the_public_page(api_for, agent, viewer, north_customer):
    api = api_for(agent)
    survey = SurveyFactory()
    QuestionFactory(survey=survey, key="where", kind="choice", choices=["web"])
    base = {"survey_id": survey.pk, "customer_id": north_customer.pk}
    error = assert_error_shape(
        api.post("/api/v1/responses", {**base, "answers": {"score": 11, "where": "x"}}),
        422,
        "validation_failed",
    )
    assert set(error["details"]) == {"score", "where"}
    assert_error_shape(api.post("/api/v1/responses", {"answers": {"score": 1}}), 422)
    assert_error_shape(
        api.post("/api/v1/responses", {**base, "answers": {"score": True}}), 422, "invalid_input"
    )
    assert_error_shape(
        api.post("/api/v1/responses", {**base, "answers": {"score": 1}, "extra": 1}), 422
    )
    assert_error_shape(
        api.post(
            "/api/v1/responses",
            {"survey_id": 999999, "customer_id": north_customer.pk, "answers": {"score": 1}},
        ),
        422,
    )
    assert_error_shape(
        api.post("/api/v1/responses", {"invitation_id": 999999, "answers": {"score": 1}}), 404
    )
    assert_error_shape(
        api_for(viewer).post("/api/v1/responses", {**base, "answers": {"score": 1}}), 403
    )
    assert not Response.objects.exists()


def test_tags_are_set_with_patch_and_filter_the_list(api_for, agent, viewer, north_customer):
    response = answered(north_customer, 3)
    api = api_for(agent)
    patched = api.patch(f"/api/v1/responses/{response.pk}", {"tags": ["Delivery", "Price"]})
    assert patched.status_code == 200, patched.content
    assert patched.json()["tags"] == ["Delivery", "Price"]
    listed = api.get("/api/v1/responses?tag=delivery").json()["items"]
    assert [r["id"] for r in listed] == [response.pk]
    assert api.get("/api/v1/responses?tag=other").json()["items"] == []
    assert_error_shape(
        api_for(viewer).patch(f"/api/v1/responses/{response.pk}", {"tags": ["X"]}), 403
    )
    assert_error_shape(api.patch(f"/api/v1/responses/{response.pk}", {"nope": 1}), 422)


@pytest.mark.parametrize(
    "query",
    [
        "cursor=garbage",
        "size=0",
        "size=201",
        "band=great",
        "loop=half",
        "since=2024-01-01T00:00",
        "survey_id=0",
    ],
)
def test_bad_queries_are_422(api_for, agent, query):
    assert_error_shape(api_for(agent).get(f"/api/v1/responses?{query}"), 422)


def test_unknown_ids_are_404_and_huge_ones_422(api_for, agent):
    assert_error_shape(api_for(agent).get("/api/v1/responses/424242"), 404)
    assert_error_shape(api_for(agent).get(f"/api/v1/responses/{2**70}"), 422)
