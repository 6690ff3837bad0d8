"""Replies by email through a real SMTP server (aiosmtpd): the headers that thread the
conversation, the address chosen, consent, and a failed send recorded on the message."""

import pytest

from patron.core.errors import ValidationFailed
from patron.customers.models import Consent
from patron.interactions.models import Channel
from patron.service import mail_out, services
from patron.service.models import TicketMessage
from tests.mail import free_port, smtp_inbox  # noqa: F401 - fixture
from tests.service.factories import add_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_settings(settings):
    settings.PATRON_SUPPORT_EMAIL = "Support <support@shop.example>"
    settings.PATRON_MAIL_DOMAIN = "shop.example"
    return settings


def _inbound_ticket(customer):
    return services.ticket_create(
        actor=None,
        customer=customer,
        subject="My order is late",
        body="Where is it?",
        reply_to="ani.private@example.com",
        email={
            "message_id": "<first@mail.example>",
            "references": "<earlier@mail.example>",
            "from_address": "ani.private@example.com",
            "subject": "My order is late",
        },
    )


def test_reply_threads_onto_the_customers_message(
    agent,
    north_customer,
    mail_settings,
    smtp_inbox,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    add_email(north_customer, "ani@example.com")
    ticket = _inbound_ticket(north_customer)
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.ticket_reply(actor=agent, ticket=ticket, body="It ships today.")
    assert smtp_inbox.messages, "no mail arrived"
    mail = smtp_inbox.messages[0]
    assert mail["Subject"] == f"Re: My order is late [#{ticket.pk}]"
    assert mail["To"] == "ani.private@example.com"  # the address they wrote from
    assert mail["From"] == "Support <support@shop.example>"
    assert mail["In-Reply-To"] == "<first@mail.example>"
    assert mail["References"] == "<earlier@mail.example> <first@mail.example>"
    reply.refresh_from_db()
    assert mail["Message-ID"] == reply.message_id
    assert reply.message_id.startswith(f"<ticket-{ticket.pk}-{reply.pk}.")
    assert reply.message_id.endswith("@shop.example>")
    assert "It ships today." in mail.get_content()
    assert reply.sent_at is not None and reply.send_error == ""


def test_a_second_customer_message_is_the_one_replied_to(
    agent,
    north_customer,
    mail_settings,
    smtp_inbox,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    ticket = _inbound_ticket(north_customer)
    services.ticket_customer_message(
        ticket=ticket,
        body="Any news?",
        email={"message_id": "<second@mail.example>", "references": "<first@mail.example>"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(actor=agent, ticket=ticket, body="Yes.")
    mail = smtp_inbox.messages[0]
    assert mail["In-Reply-To"] == "<second@mail.example>"
    assert mail["References"] == "<first@mail.example> <second@mail.example>"


def test_preferred_email_and_the_footer(
    agent,
    north_customer,
    mail_settings,
    smtp_inbox,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    add_email(north_customer, "other@example.com", preferred=False)
    add_email(north_customer, "main@example.com", preferred=True)
    north_customer.language = "fr"
    north_customer.save()
    ticket = services.ticket_create(actor=agent, customer=north_customer, subject="Taille")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(actor=agent, ticket=ticket, body="Bonjour")
    mail = smtp_inbox.messages[0]
    assert mail["To"] == "main@example.com"
    assert "In-Reply-To" not in mail  # nothing of theirs had a Message-ID
    body = mail.get_content()
    # The agent's words as written, then our line (in the customer's language once the
    # catalogue has it) naming the ticket token that threads a reply without headers.
    assert body.startswith("Bonjour") and f"[#{ticket.pk}]" in body.rsplit("--", 1)[1]


def test_a_refused_consent_blocks_the_reply(agent, north_customer, mail_settings):
    add_email(north_customer, "ani@example.com")
    Consent.objects.create(
        customer=north_customer, channel="email", purpose="service", status="withdrawn"
    )
    ticket = services.ticket_create(actor=agent, customer=north_customer, subject="x", body="y")
    with pytest.raises(ValidationFailed, match="cannot be emailed"):
        services.ticket_reply(actor=agent, ticket=ticket, body="Hello")
    assert not TicketMessage.objects.filter(kind="reply").exists()
    # On the phone the answer is still logged, without email.
    ticket = services.ticket_create(
        actor=agent, customer=north_customer, subject="x", channel=Channel.PHONE
    )
    reply = services.ticket_reply(actor=agent, ticket=ticket, body="Told them by phone")
    assert reply.to_address == "" and reply.message_id is None


def test_smtp_down_is_recorded_on_the_reply(
    agent, north_customer, mail_settings, django_capture_on_commit_callbacks
):
    mail_settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    mail_settings.EMAIL_HOST, mail_settings.EMAIL_PORT = "127.0.0.1", free_port()
    mail_settings.EMAIL_TIMEOUT = 2
    add_email(north_customer, "ani@example.com")
    ticket = services.ticket_create(actor=agent, customer=north_customer, subject="x", body="y")
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.ticket_reply(actor=agent, ticket=ticket, body="Hello")
    reply.refresh_from_db()
    assert reply.sent_at is None and "Error" in reply.send_error
    ticket.refresh_from_db()
    assert ticket.agent_replies == 1  # the reply itself is kept
    assert mail_out.send(reply.pk) is False  # still down: still recorded
    reply.refresh_from_db()
    assert reply.send_error


def test_nothing_is_sent_when_the_reply_rolls_back(
    agent,
    north_customer,
    mail_settings,
    smtp_inbox,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    add_email(north_customer, "ani@example.com")
    ticket = services.ticket_create(actor=agent, customer=north_customer, subject="x", body="y")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.ticket_reply(actor=agent, ticket=ticket, body="Hello")
        raise RuntimeError("a later step failed")
    assert smtp_inbox.messages == []
