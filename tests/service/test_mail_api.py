"""POST /api/v1/tickets/inbound-mail: raw RFC 822 in, the import's result out; roles,
duplicates, 4xx for bad input, 413 for too large, never 500."""

from pathlib import Path

import pytest

from patron.service.models import Ticket, TicketMessage
from tests.conftest import assert_error_shape
from tests.service.factories import add_email

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data" / "mail"
PATH = "/api/v1/tickets/inbound-mail"


def post(api, data: bytes, content_type="message/rfc822", **extra):
    return api.client.post(
        PATH,
        data=data,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
        **extra,
    )


@pytest.fixture
def api(api_for, agent):
    return api_for(agent)


def test_a_new_ticket_then_a_duplicate(api, north_customer):
    add_email(north_customer, "ani@example.com")
    raw = (DATA / "plain.eml").read_bytes()
    created = post(api, raw)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "created" and body["customer_id"] == north_customer.pk
    assert body["created_customer"] is False
    assert body["message_id"] == "<CAplain.0001@mail.example.com>"
    assert body["subject"] == "My order has not arrived"
    assert Ticket.objects.get(pk=body["ticket_id"]).customer == north_customer
    again = post(api, raw)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate" and again.json()["ticket_id"] == body["ticket_id"]
    assert TicketMessage.objects.count() == 1


def test_a_reply_and_a_skipped_auto_reply(api, north_customer):
    add_email(north_customer, "ani@example.com")
    first = post(api, (DATA / "plain.eml").read_bytes()).json()
    reply = (
        b"From: ani@example.com\r\nSubject: Re: x\r\nMessage-ID: <r1@x>\r\n"
        b"In-Reply-To: <CAplain.0001@mail.example.com>\r\n\r\nStill waiting."
    )
    appended = post(api, reply)
    assert appended.status_code == 200
    assert appended.json()["status"] == "appended"
    assert appended.json()["ticket_id"] == first["ticket_id"]
    skipped = post(api, (DATA / "auto_reply.eml").read_bytes())
    assert skipped.status_code == 200 and skipped.json()["status"] == "skipped"
    assert "Auto-Submitted" in skipped.json()["reason"]


def test_a_ticket_out_of_the_agents_sight_is_not_named(api_for, other_agent, north_customer):
    add_email(north_customer, "ani@example.com")
    south_api = api_for(other_agent)
    result = post(south_api, (DATA / "plain.eml").read_bytes())
    assert result.status_code == 201
    assert result.json()["ticket_id"] is None and result.json()["customer_id"] is None
    assert Ticket.objects.filter(customer=north_customer).count() == 1


def test_roles(api_for, viewer, manager, admin):
    raw = (DATA / "no_message_id.eml").read_bytes()
    assert_error_shape(post(api_for(viewer), raw), 403, "forbidden")
    assert not Ticket.objects.exists()
    assert post(api_for(manager), raw).status_code == 201
    assert post(api_for(admin), raw).json()["status"] == "duplicate"
    anonymous = api_for(admin).client.post(PATH, data=raw, content_type="message/rfc822")
    assert_error_shape(anonymous, 401, "unauthenticated")


def test_bad_input_is_4xx(api, settings):
    error = assert_error_shape(post(api, b"\r\n\r\nno headers"), 422, "mail_rejected")
    assert "no headers" in error["message"]
    assert error["details"]["status"] == "rejected"
    assert_error_shape(post(api, b"To: x@example.com\r\n\r\nwho?"), 422, "mail_rejected")
    assert_error_shape(post(api, b"  \r\n"), 422, "validation_failed")
    wrong = post(api, b'{"raw": "x"}', content_type="application/json")
    assert_error_shape(wrong, 415, "unsupported_media_type")
    assert_error_shape(post(api, b"From: a@b.example\r\n\r\nx", "text/plain"), 415)
    octets = post(
        api, b"From: o@b.example\r\nMessage-ID: <o@b>\r\n\r\nx", "application/octet-stream"
    )
    assert octets.status_code == 201
    assert_error_shape(post(api, b"\xff\xfe\x00\x00garbage\x00"), 422)
    assert Ticket.objects.count() == 1  # the octet-stream one


def test_too_large_is_413(api, settings):
    settings.PATRON_MAIL_MAX_MB = 1
    big = b"From: a@example.com\r\n\r\n" + b"x" * (1024 * 1024 + 10)
    error = assert_error_shape(post(api, big), 413, "too_large")
    assert "limit is 1.0 MB" in error["message"]
    # A body bigger than Django's in-memory limit (2.5 MB) but within ours is still read.
    settings.PATRON_MAIL_MAX_MB = 5
    large = b"From: a@example.com\r\nMessage-ID: <large@x>\r\n\r\n" + b"y\r\n" * 1_000_000
    assert post(api, large).status_code == 201


def test_documented_in_openapi(api):
    schema = api.client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/tickets/inbound-mail"]["post"]
    assert list(operation["requestBody"]["content"]) == [
        "message/rfc822",
        "application/octet-stream",
    ]
    assert {"200", "201", "413", "415", "422"} <= set(operation["responses"])
    assert operation["tags"] == ["Tickets"]
