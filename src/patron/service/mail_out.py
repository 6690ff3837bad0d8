"""Agents' replies as real email: who receives them, the threading headers, and the send
itself (after the reply's transaction commits; the outcome is stored on the message, so a
failed send shows on the ticket and is never lost).

Threading: the subject carries `[#<ticket id>]` (how inbound mail finds its ticket when a
mail client drops the headers); `In-Reply-To` and `References` point at the customer's
last message that had a Message-ID; our own Message-ID names the ticket and the message.
"""

from __future__ import annotations

import logging
import secrets
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from patron.core.errors import ValidationFailed
from patron.customers.contactability import can_contact
from patron.customers.models import Channel as ContactChannel
from patron.customers.models import ContactPoint, Purpose
from patron.interactions.models import Channel
from patron.service.models import Ticket, TicketMessage

logger = logging.getLogger(__name__)


def reply_subject(ticket: Ticket) -> str:
    subject = ticket.subject
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return f"{subject} [#{ticket.pk}]"[:255]


def customer_email(ticket: Ticket) -> str:
    """The ticket's reply-to address, else the customer's preferred email."""
    if ticket.reply_to:
        return ticket.reply_to
    point = (
        ContactPoint.objects.filter(customer_id=ticket.customer_id, kind=ContactPoint.Kind.EMAIL)
        .order_by("-preferred", "id")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""


def reply_recipient(ticket: Ticket) -> str | None:
    """Where a reply to `ticket` goes, or None when it is logged only (a ticket of another
    channel that we cannot email). For an email ticket, ValidationFailed says why no email
    can go out (no address, or `can_contact` refuses)."""
    must_mail = ticket.channel == Channel.EMAIL
    address = customer_email(ticket)
    if not address:
        if must_mail:
            raise ValidationFailed(
                _("This customer has no email address: add one, or note the answer instead."),
                details={"body": [_("No email address to send the reply to.")]},
            )
        return None
    decision = can_contact(ticket.customer, ContactChannel.EMAIL, Purpose.SERVICE)
    # The address the customer wrote from is reachable even if it is no contact point.
    if not decision and not (decision.code == "unreachable" and ticket.reply_to):
        if must_mail:
            raise ValidationFailed(
                _("The reply cannot be emailed: %(reason)s") % {"reason": decision.reason},
                details={"body": [decision.reason]},
            )
        return None
    return address


def prepare(message: TicketMessage) -> None:
    """Give a reply (saved, so it has a pk) its Message-ID and threading headers."""
    ticket = message.ticket
    token = secrets.token_hex(6)
    message.message_id = f"<ticket-{ticket.pk}-{message.pk}.{token}@{settings.PATRON_MAIL_DOMAIN}>"
    last = (
        TicketMessage.objects.filter(
            ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, message_id__isnull=False
        )
        .exclude(message_id="")
        .order_by("-created_at", "-id")
        .only("message_id", "references")
        .first()
    )
    if last is not None:
        message.in_reply_to = last.message_id
        chain = [*last.references.split(), last.message_id]
        message.references = " ".join(dict.fromkeys(chain))[-4000:]
    message.from_address = _address_only(settings.PATRON_SUPPORT_EMAIL)


def _address_only(value: str) -> str:
    from email.utils import parseaddr

    return parseaddr(value)[1] or value


def _footer(ticket: Ticket) -> str:
    # The agent's words stay as written; our own line speaks the customer's language.
    language = (ticket.customer.language or "").split("-")[0] or settings.LANGUAGE_CODE
    with translation.override(language):
        return _("Please keep %(ref)s in the subject when you reply.") % {"ref": f"[#{ticket.pk}]"}


def build(message: TicketMessage) -> EmailMessage:
    ticket = message.ticket
    headers = {"Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    return EmailMessage(
        subject=message.subject or reply_subject(ticket),
        body=f"{message.body}\n\n-- \n{_footer(ticket)}\n",
        from_email=settings.PATRON_SUPPORT_EMAIL,
        to=[message.to_address],
        headers=headers,
    )


def send(message_id: int) -> bool:
    """Send a prepared reply; store `sent_at` or `send_error`. Returns whether it went."""
    message = TicketMessage.objects.select_related("ticket__customer").filter(pk=message_id).first()
    if message is None or message.sent_at is not None or not message.to_address:
        return False
    try:
        with get_connection() as connection:
            connection.send_messages([build(message)])
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("reply %s of ticket %s not sent: %s", message.pk, message.ticket_id, exc)
        error = f"{type(exc).__name__}: {exc}"[:500]
        TicketMessage.objects.filter(pk=message.pk).update(send_error=error)
        return False
    TicketMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), send_error="")
    return True
