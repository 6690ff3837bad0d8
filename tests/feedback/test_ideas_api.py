"""The ideas and programmes API: create, list, patch with status, votes once, requesters,
tell; early adopters and references; 4xx with details, never 500."""

import pytest

from patron.customers.models import ContactPoint
from tests.conftest import assert_error_shape
from tests.feedback.factories import SurveyFactory
from tests.feedback.results_helpers import make_response
from tests.mail import smtp_inbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_create_list_get_patch(api_for, agent, north_customer):
    api = api_for(agent)
    created = api.post("/api/v1/ideas", {"title": "Gift wrap", "tags": ["packaging"]})
    assert created.status_code == 201, created.content
    idea = created.json()
    assert idea["status"] == "new" and idea["tags"] == ["packaging"] and idea["version"] == 1
    response = make_response(SurveyFactory(), north_customer, 4, comment="Oat milk please")
    from_answer = api.post("/api/v1/ideas", {"response_id": response.pk}).json()
    assert from_answer["source"] == "survey" and from_answer["title"] == "Oat milk please"
    listed = api.get("/api/v1/ideas?sort=newest").json()
    assert [i["id"] for i in listed["items"]] == [from_answer["id"], idea["id"]]
    patched = api.patch(f"/api/v1/ideas/{idea['id']}", {"status": "planned", "version": 1})
    assert patched.status_code == 200, patched.content
    assert patched.json()["status"] == "planned" and patched.json()["status_changed_at"]
    stale = api.patch(f"/api/v1/ideas/{idea['id']}", {"title": "x", "version": 1})
    assert_error_shape(stale, 409, "conflict")
    assert api.get("/api/v1/ideas?status=planned").json()["count"] == 1


def test_errors_are_4xx(api_for, agent, viewer, south_customer):
    api = api_for(agent)
    assert_error_shape(api.post("/api/v1/ideas", {"title": ""}), 422)
    assert_error_shape(api.post("/api/v1/ideas", {"title": "x", "colour": "red"}), 422)
    assert_error_shape(api.get("/api/v1/ideas/999999"), 404, "not_found")
    assert_error_shape(api.patch("/api/v1/ideas/999999", {"title": "x"}), 404)
    assert_error_shape(api.get("/api/v1/ideas?status=someday"), 422)
    assert_error_shape(api_for(viewer).post("/api/v1/ideas", {"title": "x"}), 403)
    answer = make_response(SurveyFactory(), south_customer, 3, comment="x")
    assert_error_shape(api.post("/api/v1/ideas", {"response_id": answer.pk}), 404)


def test_votes_once(api_for, agent, viewer):
    idea = api_for(agent).post("/api/v1/ideas", {"title": "Dark mode"}).json()
    path = f"/api/v1/ideas/{idea['id']}/vote"
    first = api_for(agent).post(path).json()
    assert first == {"idea_id": idea["id"], "votes": 1, "voted": True, "changed": True}
    again = api_for(agent).post(path).json()
    assert again["votes"] == 1 and again["changed"] is False
    assert api_for(viewer).post(path).json()["votes"] == 2
    back = api_for(agent).delete(path).json()
    assert back["votes"] == 1 and back["voted"] is False


def test_requesters_and_tell(smtp_inbox, api_for, agent, north_customer, south_customer):  # noqa: F811
    ContactPoint.objects.create(
        customer=north_customer,
        kind="email",
        value="ani@example.com",
        search_value="ani@example.com",
    )
    api = api_for(agent)
    idea = api.post("/api/v1/ideas", {"title": "Refills"}).json()
    base = f"/api/v1/ideas/{idea['id']}"
    added = api.post(f"{base}/requesters", {"customer_id": north_customer.pk})
    assert added.status_code == 201, added.content
    assert api.post(f"{base}/requesters", {"customer_id": north_customer.pk}).status_code == 200
    assert_error_shape(api.post(f"{base}/requesters", {"customer_id": south_customer.pk}), 404)
    assert [r["customer_id"] for r in api.get(f"{base}/requesters").json()] == [north_customer.pk]
    assert_error_shape(api.post(f"{base}/tell"), 422)  # still new
    api.patch(base, {"status": "done"})
    told = api.post(f"{base}/tell").json()
    assert told["sent"] == 1 and told["outcomes"][0]["sent"] is True
    assert smtp_inbox.messages[0]["To"] == "ani@example.com"
    assert api.get(f"{base}/requesters").json()[0]["told_status"] == "done"
    assert api.delete(f"{base}/requesters/{north_customer.pk}").status_code == 204
    assert_error_shape(api.delete(f"{base}/requesters/{north_customer.pk}"), 404)


def test_programmes(api_for, agent, viewer, north_customer):
    api = api_for(agent)
    joined = api.post("/api/v1/programmes", {"customer_id": north_customer.pk, "note": "beta"})
    assert joined.status_code == 201, joined.content
    assert joined.json()["programme"] == "early_adopter"
    assert_error_shape(api.post("/api/v1/programmes", {"customer_id": north_customer.pk}), 409)
    promoter = make_response(SurveyFactory(), north_customer, 10)
    ref = api.post("/api/v1/programmes", {"programme": "reference", "response_id": promoter.pk})
    assert ref.status_code == 201 and ref.json()["response_id"] == promoter.pk
    assert_error_shape(api.post("/api/v1/programmes", {"programme": "reference"}), 422)
    listed = api.get(f"/api/v1/programmes?customer_id={north_customer.pk}").json()
    assert {m["programme"] for m in listed["items"]} == {"early_adopter", "reference"}
    assert api_for(viewer).get("/api/v1/programmes").json()["count"] == 2
    gone = api.delete(f"/api/v1/programmes/early_adopter/{north_customer.pk}")
    assert gone.status_code == 204
    assert_error_shape(api.delete(f"/api/v1/programmes/early_adopter/{north_customer.pk}"), 404)
    assert_error_shape(api.delete(f"/api/v1/programmes/vip/{north_customer.pk}"), 422)
