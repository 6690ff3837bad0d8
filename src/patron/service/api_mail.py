"""POST /tickets/inbound-mail: one raw email (the body, as message/rfc822 or
application/octet-stream) imported as a ticket or a reply on one, exactly as `patron mail
ingest` does — for a mail server's pipe, a webhook relay or a script. Mounted before the
tickets router so that /tickets/{id} does not catch the path."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from patron.core import visibility
from patron.core.api_base import WRITE_ERRORS, ErrorOut, error_body
from patron.core.errors import PatronError, PermissionDenied, ValidationFailed
from patron.service.mail_in import ingest_bytes, max_bytes, too_large
from patron.service.models import Ticket

router = Router(tags=["Tickets"])

# message/rfc822 is the type of an email; octet-stream is what relays and scripts often send.
CONTENT_TYPES = ("message/rfc822", "application/octet-stream")
CHUNK = 64 * 1024


class PayloadTooLarge(PatronError):
    code = "too_large"
    status = 413


class BadRequest(PatronError):
    code = "bad_request"
    status = 400


class UnsupportedMediaType(PatronError):
    code = "unsupported_media_type"
    status = 415


class MailResultOut(Schema):
    status: str = Field(
        description="created (a new ticket), appended (a reply on a ticket), duplicate "
        "(this Message-ID was already imported), skipped (an auto-reply, a bounce or our "
        "own mail: nothing stored)"
    )
    ticket_id: int | None = Field(
        description="the ticket created, appended to, or already holding the message"
    )
    customer_id: int | None
    created_customer: bool = Field(description="an unknown sender became a new prospect")
    message_id: str = Field(description="the Message-ID (generated from a hash if missing)")
    reason: str = Field(description="how it was threaded, or why it was skipped")
    subject: str
    from_address: str


def _read_limited(request: HttpRequest) -> bytes:
    """The request body, refusing at once what is over the size limit (by its declared
    length, or while reading), so that a huge upload is never held in memory whole."""
    limit = max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(too_large(declared))
    chunks, size = [], 0
    try:
        while chunk := request.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(too_large(size))
            chunks.append(chunk)
    except OSError as exc:  # the client went away mid-upload (UnreadablePostError)
        raise BadRequest(_("The request body could not be read.")) from exc
    return b"".join(chunks)


def _in_sight(request: HttpRequest, result: dict[str, Any]) -> dict[str, Any]:
    """A ticket outside the caller's sight is not named (its id would leak)."""
    if result["ticket_id"] is None:
        return result
    ticket = Ticket.objects.filter(pk=result["ticket_id"]).only("owner_id", "team_id").first()
    if ticket is None or not visibility.can_read(request.user, ticket):
        result |= {"ticket_id": None, "customer_id": None}
    return result


@router.post(
    "/tickets/inbound-mail",
    response={
        200: MailResultOut,
        201: MailResultOut,
        **WRITE_ERRORS,
        413: ErrorOut,
        415: ErrorOut,
        503: ErrorOut,
    },
    summary="Import one inbound email (raw RFC 822) as a ticket or a reply",
    description=(
        "Send the raw message as the request body with `Content-Type: message/rfc822` "
        "(or `application/octet-stream`), for example `curl --data-binary @mail.eml -H "
        "'Content-Type: message/rfc822'`. "
        "Threading, sender matching, prospects and skipping are those of `patron mail "
        "ingest` (docs/mail-in.md). **201** a new ticket; **200** appended to a ticket, a "
        "duplicate (same Message-ID: nothing imported twice) or skipped (auto-reply, "
        "bounce, our own mail). **422** a message that cannot be imported (no sender, no "
        "headers); **413** over PATRON_MAIL_MAX_MB (25 MB by default); **415** another "
        "content type; **503** a passing failure, try again. Admins, managers and agents."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The email exactly as received, headers and body (RFC 822).",
            "content": {
                name: {"schema": {"type": "string", "format": "binary"}} for name in CONTENT_TYPES
            },
        }
    },
)
def inbound_mail(request: HttpRequest) -> Any:
    if not visibility.can_write_any(request.user):
        raise PermissionDenied(_("Your role does not allow changes."))
    content_type = (request.content_type or "").lower()
    if content_type not in CONTENT_TYPES:
        raise UnsupportedMediaType(
            _("Send the raw email with Content-Type: message/rfc822."),
            details={"content_type": [content_type or "(none)"]},
        )
    raw = _read_limited(request)
    if not raw.strip():
        raise ValidationFailed(
            _("The request body is empty: send the raw email."),
            details={"body": [_("Empty.")]},
        )
    result = ingest_bytes(raw)
    body = _in_sight(request, result.as_dict())
    if result.status == "rejected":
        if result.transient:
            return Status(503, error_body("try_again", result.reason, body))
        return Status(422, error_body("mail_rejected", result.reason, body))
    return Status(201 if result.status == "created" else 200, body)
