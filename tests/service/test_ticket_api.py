"""The tickets API: shapes, filters, the status flow, optimistic locking, 4xx answers."""

import pytest

from patron.service.models import Ticket, TicketMessage, TicketStatus
from tests.conftest import assert_error_shape
from tests.mail import smtp_inbox  # noqa: F401 - fixture
from tests.service.factories import TicketCategoryFactory, TicketFactory, add_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_for, agent):
    return api_for(agent)


def _open(api, customer, **extra):
    body = {"customer_id": customer.pk, "subject": "Parcel arrived broken", "body": "Glass."}
    response = api.post("/api/v1/tickets", body | extra)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_get_and_list(api, agent, north_customer):
    category = TicketCategoryFactory(name="Delivery")
    created = _open(api, north_customer, type="complaint", priority="high", category_id=category.pk)
    assert created["status"] == "new"
    assert created["type"] == "complaint" and created["priority"] == "high"
    assert created["owner_id"] == agent.pk and created["customer_name"] == "Ani Nor"
    assert [m["kind"] for m in created["messages"]] == ["customer"]
    got = api.get(f"/api/v1/tickets/{created['id']}")
    assert got.status_code == 200 and got["ETag"] == f'"{created["version"]}"'
    listed = api.get("/api/v1/tickets?type=complaint&owner=me").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == created["id"]
    assert api.get("/api/v1/tickets?type=question").json()["count"] == 0
    assert api.get("/api/v1/tickets?q=broken").json()["count"] == 1
    assert api.get(f"/api/v1/tickets?q=%23{created['id']}").json()["count"] == 1


def test_reply_is_emailed_and_resolve_flow(
    api,
    north_customer,
    smtp_inbox,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    add_email(north_customer, "ani@example.com")
    ticket = _open(api, north_customer, type="complaint")
    # The email goes once the reply is committed (here: when the test's capture ends).
    with django_capture_on_commit_callbacks(execute=True):
        reply = api.post(f"/api/v1/tickets/{ticket['id']}/replies", {"body": "A new one."})
    assert reply.status_code == 201, reply.content
    assert reply.json()["kind"] == "reply" and reply.json()["to_address"] == "ani@example.com"
    assert TicketMessage.objects.get(pk=reply.json()["id"]).sent_at is not None
    assert len(smtp_inbox.messages) == 1
    refused = api.post(f"/api/v1/tickets/{ticket['id']}/resolve", {"root_cause": ""})
    assert assert_error_shape(refused, 422)["details"]["root_cause"]
    resolved = api.post(f"/api/v1/tickets/{ticket['id']}/resolve", {"root_cause": "Packing"})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["first_contact_resolution"] is True
    closed = api.post(f"/api/v1/tickets/{ticket['id']}/close", {})
    assert closed.json()["status"] == "closed"
    reopened = api.post(f"/api/v1/tickets/{ticket['id']}/reopen", {})
    assert reopened.json()["status"] == "open" and reopened.json()["reopened_count"] == 1


def test_note_status_and_messages(api, north_customer):
    ticket = _open(api, north_customer)
    note = api.post(f"/api/v1/tickets/{ticket['id']}/notes", {"body": "Check the warehouse"})
    assert note.status_code == 201 and note.json()["kind"] == "note"
    waiting = api.post(f"/api/v1/tickets/{ticket['id']}/status", {"status": "waiting"})
    assert waiting.json()["status"] == "waiting" and waiting.json()["waiting_since"]
    messages = api.get(f"/api/v1/tickets/{ticket['id']}/messages").json()
    assert [m["kind"] for m in messages] == ["customer", "note"]


def test_stale_version_answers_409(api, north_customer):
    ticket = _open(api, north_customer)
    first = api.patch(f"/api/v1/tickets/{ticket['id']}", {"priority": "urgent", "version": 1})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = api.patch(f"/api/v1/tickets/{ticket['id']}", {"subject": "Other", "version": 1})
    assert_error_shape(stale, 409, "conflict")
    assert Ticket.objects.get(pk=ticket["id"]).subject == "Parcel arrived broken"
    stale_reply = api.post(f"/api/v1/tickets/{ticket['id']}/replies", {"body": "x", "version": 1})
    assert_error_shape(stale_reply, 409)


def test_bad_input_answers_4xx(api, north_customer, south_customer):
    assert_error_shape(api.post("/api/v1/tickets", {"customer_id": north_customer.pk}), 422)
    assert_error_shape(
        api.post("/api/v1/tickets", {"customer_id": north_customer.pk, "subject": "x" * 256}), 422
    )
    assert_error_shape(
        api.post("/api/v1/tickets", {"customer_id": south_customer.pk, "subject": "Hi"}), 404
    )
    assert_error_shape(
        api.post(
            "/api/v1/tickets",
            {"customer_id": north_customer.pk, "subject": "Hi", "category_id": 999},
        ),
        422,
    )
    assert_error_shape(api.get("/api/v1/tickets?sla=late"), 422)
    assert_error_shape(api.get("/api/v1/tickets/999999"), 404)
    ticket = _open(api, north_customer)
    # An email ticket of a customer with no email address cannot be replied to by email.
    assert_error_shape(api.post(f"/api/v1/tickets/{ticket['id']}/replies", {"body": "Hi"}), 422)
    assert_error_shape(
        api.post(f"/api/v1/tickets/{ticket['id']}/status", {"status": "resolved"}), 422
    )
    assert_error_shape(api.post(f"/api/v1/tickets/{ticket['id']}/close", {}), 422)
    assert_error_shape(api.patch(f"/api/v1/tickets/{ticket['id']}", {"colour": "red"}), 422)


def test_visibility(api_for, other_agent, viewer, north_customer):
    ticket = TicketFactory(customer=north_customer, status=TicketStatus.OPEN)
    assert_error_shape(api_for(other_agent).get(f"/api/v1/tickets/{ticket.pk}"), 404)
    assert api_for(other_agent).get("/api/v1/tickets").json()["count"] == 0
    as_viewer = api_for(viewer)
    assert as_viewer.get(f"/api/v1/tickets/{ticket.pk}").status_code == 200
    assert_error_shape(as_viewer.post(f"/api/v1/tickets/{ticket.pk}/notes", {"body": "x"}), 403)
