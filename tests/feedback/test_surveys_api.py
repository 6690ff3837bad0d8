"""The surveys API: surveys, questions, versions, sending to a segment, invitations."""

import pytest

from patron.feedback.models import Invitation, Survey
from patron.feedback.tokens import make_token
from tests.conftest import assert_error_shape
from tests.feedback.factories import SurveyFactory, static_segment, surveyable_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def cx(api_for, manager):
    return api_for(manager)


def put(client, path, body):
    return client._call("put", path, body)


def test_create_a_survey_with_its_score_question_and_versions(cx):
    response = cx.post(
        "/api/v1/surveys", {"name": "After delivery", "kind": "csat", "languages": ["en", "ar"]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert [(q["key"], q["kind"], q["required"]) for q in body["questions"]] == [
        ("score", "csat", True)
    ]
    assert sorted(v["language"] for v in body["versions"]) == ["ar", "en"]
    english = next(v for v in body["versions"] if v["language"] == "en")
    assert "{link}" in english["email_body"]
    assert english["questions"]["score"]["text"]


def test_validation_errors_have_field_details(cx):
    SurveyFactory(name="Taken")
    error = assert_error_shape(
        cx.post("/api/v1/surveys", {"name": "taken", "kind": "nps"}), 422, "validation_failed"
    )
    assert "name" in error["details"]
    error = assert_error_shape(cx.post("/api/v1/surveys", {"name": "X", "kind": "bogus"}), 422)
    assert error["code"] == "invalid_input"
    assert_error_shape(cx.post("/api/v1/surveys", {"name": "Y", "kind": "nps", "extra": 1}), 422)


def test_questions_versions_and_activation(cx):
    survey_id = cx.post("/api/v1/surveys", {"name": "Onboarding", "kind": "nps"}).json()["id"]
    base = f"/api/v1/surveys/{survey_id}"
    added = cx.post(
        f"{base}/questions", {"key": "channel", "kind": "choice", "choices": ["web", "shop"]}
    )
    assert added.status_code == 201, added.content
    qid = added.json()["id"]
    bad = cx.post(f"{base}/questions", {"key": "rate", "kind": "scale", "scale_min": 5})
    assert "scale_max" in assert_error_shape(bad, 422)["details"]
    version = put(
        cx,
        f"{base}/versions/en",
        {
            "title": "Welcome survey",
            "questions": {"channel": {"text": "Where?", "choices": {"web": "Online"}}},
        },
    )
    assert version.status_code == 200, version.content
    assert version.json()["questions"]["channel"]["choices"] == {"web": "Online", "shop": "shop"}
    no_link = put(cx, f"{base}/versions/en", {"email_body": "Hello {name}"})
    assert "email_body" in assert_error_shape(no_link, 422)["details"]
    unknown = put(cx, f"{base}/versions/en", {"email_subject": "Hi {nmae}"})
    assert "email_subject" in assert_error_shape(unknown, 422)["details"]
    assert put(cx, f"{base}/versions/xx-notalang-zz", {}).status_code == 422
    renamed = cx.patch(f"{base}/questions/{qid}", {"key": "where"})
    assert renamed.json()["key"] == "where"
    versions = cx.get(f"{base}/versions").json()
    assert "where" in next(v for v in versions if v["language"] == "en")["questions"]
    score = next(q for q in cx.get(f"{base}/questions").json() if q["key"] == "score")
    assert_error_shape(cx.delete(f"{base}/questions/{score['id']}"), 422)
    assert cx.delete(f"{base}/questions/{qid}").status_code == 204
    assert cx.patch(base, {"status": "active"}).json()["status"] == "active"
    assert_error_shape(cx.patch(base, {"kind": "ces"}), 422)
    assert_error_shape(cx.get("/api/v1/surveys/999999"), 404, "not_found")


def test_agents_read_but_do_not_change_surveys(api_for, agent):
    survey = SurveyFactory()
    client = api_for(agent)
    assert client.get(f"/api/v1/surveys/{survey.pk}").status_code == 200
    assert client.get("/api/v1/surveys").json()["count"] == 1
    assert_error_shape(client.patch(f"/api/v1/surveys/{survey.pk}", {"name": "X"}), 403)
    assert_error_shape(client.post("/api/v1/surveys", {"name": "Z", "kind": "nps"}), 403)
    segment = static_segment("All", [])
    assert_error_shape(
        client.post(f"/api/v1/surveys/{survey.pk}/send", {"segment": segment.pk}), 403
    )


def test_send_to_a_segment_dry_run_then_for_real(cx):
    survey = SurveyFactory()
    static_segment("Club", [surveyable_customer(), surveyable_customer(consent=None)])
    dry = cx.post(f"/api/v1/surveys/{survey.pk}/send", {"segment": "Club"})
    assert dry.status_code == 200, dry.content
    assert dry.json()["would_invite"] == 1
    assert dry.json()["skipped"]["no_consent"] == 1
    assert not Invitation.objects.exists()
    real = cx.post(f"/api/v1/surveys/{survey.pk}/send", {"segment": "Club", "dry_run": False})
    assert real.json()["created"] == 2
    missing = cx.post(f"/api/v1/surveys/{survey.pk}/send", {"segment": "Clu"})
    assert assert_error_shape(missing, 404)["details"] == {"segment": ["Club"]}


def test_a_link_invitation_returns_its_url(api_for, agent, north_customer, south_customer):
    survey = SurveyFactory()
    client = api_for(agent)
    made = client.post(
        "/api/v1/invitations", {"survey_id": survey.pk, "customer_id": north_customer.pk}
    )
    assert made.status_code == 201, made.content
    body = made.json()
    invitation = Invitation.objects.get(pk=body["id"])
    assert body["status"] == "sent"
    assert make_token(invitation) in body["url"]
    # A customer the agent cannot see is not found.
    other = client.post(
        "/api/v1/invitations", {"survey_id": survey.pk, "customer_id": south_customer.pk}
    )
    assert_error_shape(other, 404)
    listed = client.get(f"/api/v1/invitations?survey={survey.pk}").json()
    assert [i["id"] for i in listed["items"]] == [invitation.pk]
    assert client.get(f"/api/v1/invitations/{invitation.pk}").json()["url"] == body["url"]


def test_invitations_of_unseen_customers_are_not_found(api_for, other_agent, north_customer):
    survey = SurveyFactory()
    invitation = Invitation.objects.create(
        survey=survey,
        customer=north_customer,
        language="en",
        nonce="n1",
        trigger="manual",
        expires_at=survey.created_at,
    )
    client = api_for(other_agent)
    assert client.get("/api/v1/invitations").json()["count"] == 0
    assert_error_shape(client.get(f"/api/v1/invitations/{invitation.pk}"), 404)


def test_an_email_invitation_is_skipped_with_its_reason(api_for, manager):
    survey = SurveyFactory()
    customer = surveyable_customer(consent=None)
    made = api_for(manager).post(
        "/api/v1/invitations", {"survey_id": survey.pk, "customer_id": customer.pk, "via": "email"}
    )
    assert made.status_code == 201
    assert made.json()["status"] == "skipped"
    assert made.json()["skip_reason"]
    assert made.json()["url"] is None
    assert Survey.objects.count() == 1
