"""Inbound email → tickets: one message parsed, checked, matched to a customer, threaded
onto a ticket (or opening one) in one transaction, and never imported twice.

Used by `patron mail ingest`, the IMAP poller (mail_poll) and POST /tickets/inbound-mail.

- **Never twice.** The Message-ID (or, when a message has none, one derived from a hash of
  its bytes) is stored on the ticket message, unique; a message already stored is
  reported as a duplicate before anything is written.
- **Threading.** In-Reply-To / References naming a stored message → that ticket. Else one
  of our own Message-IDs (which name the ticket) or a "[#123]" token in the subject, but
  only when that ticket belongs to a customer with the sender's address. Else a new ticket.
- **The sender.** Matched through email contact points; several customers with the
  address → the most recently updated person (then organization). Nobody → a new prospect.
- **Skipped.** Auto-replies, bounces and our own mail (loops) are reported, not stored.
"""

from __future__ import annotations

import datetime as dt
import email
import email.header
import email.utils
import hashlib
import logging
import re
from dataclasses import asdict, dataclass, field
from email import policy
from email.message import Message
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core.errors import PatronError
from patron.customers.contact import InvalidContact, normalize_email, search_value
from patron.customers.models import ContactPoint, Customer
from patron.service.mail_text import html_to_text, strip_reply, tidy
from patron.service.models import Ticket, TicketMessage, TicketType

logger = logging.getLogger("patron.mail")

# A larger message is refused whole (attachments are not stored anyway); the setting, in
# megabytes, may raise or lower it.
DEFAULT_MAX_MB = 25
# The text kept of one message; past it the body is cut with a note (the ticket
# services take 100,000 characters: room is left for the notes below).
MAX_BODY_CHARS = 90_000
MAX_REFERENCES = 30
SOURCE = "email"

_MESSAGE_ID = re.compile(r"<[^<>\s]{1,998}>")
_TICKET_TOKEN = re.compile(r"\[#(\d{1,18})\]")
# Our own outgoing Message-IDs: <ticket-<id>-<message pk>.<random>@<PATRON_MAIL_DOMAIN>>.
_OUR_ID = re.compile(r"^<ticket-(\d{1,18})-\d+[.@]", re.IGNORECASE)
# Words in a subject that make the new ticket a complaint (kept short on purpose: a
# wrong guess is cheaper than a missed complaint, and agents change the type).
_COMPLAINT_WORDS = re.compile(
    r"\b(?:complaint|complain|complaining|plainte|réclamation|beschwerde|reklamation|queja|"
    r"reclamación|reclamo|reclamação|reclamo|klacht|жалоба|претензия)\b|شكوى|شكوي|תלונה",
    re.IGNORECASE,
)
_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply", "auto-reply"}
_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}


STATUSES = ("created", "appended", "duplicate", "skipped", "rejected")


class MailRejected(Exception):
    """A message that cannot be imported (too large, unreadable, no sender); says why."""


@dataclass
class IngestResult:
    status: str  # created | appended | duplicate | skipped | rejected
    ticket_id: int | None = None
    customer_id: int | None = None
    created_customer: bool = False
    message_id: str = ""
    reason: str = ""
    subject: str = ""
    from_address: str = ""
    # A failure that may pass (the database away): the poller tries the message again.
    transient: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: str
    references: list[str]
    from_name: str
    from_address: str
    to_address: str
    subject: str
    at: dt.datetime
    body: str  # the new text of the message (quotes and signature cut)
    full_text: str  # the whole text, before cutting
    attachments: list[tuple[str, int]] = field(default_factory=list)
    skip_reason: str = ""
    # Where answers go: the Reply-To address when the message has a valid one, else From.
    reply_to: str = ""

    @property
    def thread_ids(self) -> list[str]:
        """Ids this message answers, the most direct first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [ref for ref in reversed(self.references) if ref not in ids]
        return ids

    def email_fields(self) -> dict[str, str]:
        return {
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": " ".join(self.references),
            "from_address": self.from_address,
            "to_address": self.to_address[:254],
            "subject": self.subject[:255],
        }


# --- Parsing -----------------------------------------------------------------------------


def max_bytes() -> int:
    return int(getattr(settings, "PATRON_MAIL_MAX_MB", DEFAULT_MAX_MB)) * 1024 * 1024


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _unsurrogate(text: str) -> str:
    """Raw 8-bit header bytes (no encoded words) arrive as surrogates: read them as UTF-8,
    else as Windows-1252 (what such mailers mostly send)."""
    if not _has_surrogates(text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _raw_header(msg: Message, name: str) -> str:
    """A header as written, its encoded words decoded, without the default policy's
    parsing (which drops what it cannot parse, such as an invalid address)."""
    raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    if raw is None:
        return ""
    raw = _unsurrogate(str(raw))
    try:
        value = str(email.header.make_header(email.header.decode_header(raw)))
    except Exception:
        value = raw
    return " ".join(value.split())


def _header(msg: Message, name: str) -> str:
    """A header's decoded text, "" when absent; 8-bit bytes or a malformed header are
    decoded as far as they go instead of failing the message."""
    raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    if raw is None:
        return ""
    if not _has_surrogates(str(raw)):
        try:
            return " ".join(str(msg.get(name)).split())
        except Exception:  # noqa: S110 - the default policy's parsers raise on odd input
            pass
    return _raw_header(msg, name)


def _ids(text: str) -> list[str]:
    return _MESSAGE_ID.findall(text or "")


# Labels mailers use for a charset whose superset is what they really send (as browsers
# read them, per the WHATWG encoding standard), and labels Python does not know.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "big5": "big5hkscs",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "x-mac-roman": "mac-roman",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}


def _decode(payload: bytes, charset: str | None) -> str:
    """Bytes of a text part in its declared charset; a wrong or unknown declaration falls
    back to UTF-8, then Windows-1252 (a superset of Latin-1 in practice), then replaces."""
    names = []
    if charset:
        declared = charset.strip().strip('"').lower()
        names.append(_CHARSET_ALIASES.get(declared, declared))
    names.append("utf-8")
    for name in names:
        try:
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    # UTF-8 with some broken bytes stays UTF-8 (the bad bytes replaced): single-byte text
    # practically never holds a valid multi-byte sequence; without one it is Windows-1252.
    as_utf8 = payload.decode("utf-8", "replace")
    bad = as_utf8.count("\ufffd")
    good = sum(1 for ch in as_utf8 if ord(ch) > 127) - bad
    return as_utf8 if good > 0 else payload.decode("cp1252", "replace")


def _unflow(text: str, *, delsp: bool) -> str:
    """format=flowed (RFC 3676): a line ending in a space goes on in the next line."""
    out: list[str] = []
    joining = False
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if joining and out:
            out[-1] += line
        else:
            out.append(line)
        joining = line.endswith(" ") and line != "-- " and not line.startswith(">")
        if joining and delsp:
            out[-1] = out[-1][:-1]
    return "\n".join(out)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = b""
    if isinstance(payload, str):  # pragma: no cover - get_payload(decode=True) gives bytes
        return payload
    text = _decode(payload, part.get_content_charset())
    if part.get_content_type() == "text/plain" and (
        str(part.get_param("format", "")).lower() == "flowed"
    ):
        text = _unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
    return text


def _attachment_name(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return _unsurrogate(name or "") or _("(unnamed)")


def _walk(msg: Message) -> tuple[str, str, list[tuple[str, int]]]:
    """(plain text, HTML, attachments) of a message: the first text/plain and text/html
    parts that are not attachments; every other leaf part is an attachment."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[tuple[str, int]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        if ctype == "message/rfc822":
            continue
        is_text = ctype in {"text/plain", "text/html"} and disposition != "attachment"
        if is_text and not (disposition == "inline" and part.get_filename()):
            (plain if ctype == "text/plain" else html).append(_part_text(part))
            continue
        payload = part.get_payload(decode=True) or b""
        attachments.append((_attachment_name(part), len(payload)))
    return "\n\n".join(plain), "\n\n".join(html), attachments


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


def _our_addresses() -> set[str]:
    addresses = set()
    for value in (settings.PATRON_SUPPORT_EMAIL, settings.DEFAULT_FROM_EMAIL):
        address = email.utils.parseaddr(value or "")[1].lower()
        if address:
            addresses.add(address)
    return addresses


def _skip_reason(msg: Message, from_address: str) -> str:
    """Why this message must not become a ticket (an auto-reply, a bounce, our own mail
    coming back), or ""."""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return _("automatic message (Auto-Submitted: %(value)s)") % {"value": auto[:40]}
    precedence = _header(msg, "Precedence").lower()
    if precedence in _AUTO_PRECEDENCE:
        return _("automatic message (Precedence: %(value)s)") % {"value": precedence}
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if _header(msg, name):
            return _("automatic reply (%(header)s)") % {"header": name}
    if msg.get_content_type() == "multipart/report" or _header(msg, "X-Failed-Recipients"):
        return _("delivery report (bounce)")
    local = from_address.partition("@")[0].lower()
    if local in _DAEMONS:
        return _("delivery report from %(sender)s (bounce)") % {"sender": from_address}
    if from_address.lower() in _our_addresses():
        return _("sent from our own support address (mail loop)")
    if _header(msg, "Return-Path").strip() == "<>":
        return _("delivery report (empty return path)")
    return ""


def _date(msg: Message, now: dt.datetime) -> dt.datetime:
    """The Date header in UTC; missing, unreadable or in the future (a wrong clock) → now."""
    try:
        value = msg.get("Date")
        when = getattr(value, "datetime", None)
        if when is None and value:
            when = email.utils.parsedate_to_datetime(str(value))
    except Exception:
        when = None
    if when is None:
        return now
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    when = when.astimezone(dt.UTC)
    return now if when > now + dt.timedelta(minutes=5) else when


def too_large(size: int) -> str:
    return _("The message is too large (%(size)s; the limit is %(limit)s).") % {
        "size": _size(size),
        "limit": _size(max_bytes()),
    }


def stable_message_id(raw: bytes) -> str:
    """A Message-ID for a message without one: the same bytes (whatever their line
    endings) give the same id, so the same file imported twice is still a duplicate."""
    digest = hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()[:40]
    return f"<sha256-{digest}@generated.invalid>"


def _message_id(msg: Message, raw: bytes) -> str:
    header = _header(msg, "Message-ID")
    found = _ids(header)
    if not found and re.fullmatch(r"[^<>\s]+@[^<>\s]+", header):
        found = [f"<{header}>"]  # a mailer that forgot the angle brackets
    if not found:
        return stable_message_id(raw)
    value = found[0]
    if len(value) > 255:  # the column's width: an absurd id becomes a hash of itself
        return f"<sha256-{hashlib.sha256(value.encode()).hexdigest()[:40]}@long.invalid>"
    return value


def _sender(msg: Message) -> tuple[str, str]:
    """(display name, address) of From; MailRejected when there is no usable address."""
    name, address = "", ""
    raw = next((v for k, v in msg.raw_items() if k.lower() == "from"), "")
    try:
        header = None if _has_surrogates(raw) else msg.get("From")
        addresses = getattr(header, "addresses", None) or ()
        if addresses:
            name, address = addresses[0].display_name, addresses[0].addr_spec
    except Exception:  # noqa: S110 - fall back to the lenient parser below
        pass
    if not address or "@" not in address:
        name, address = email.utils.parseaddr(_raw_header(msg, "From"))
    if not address or "@" not in address:
        raise MailRejected(_("The message has no sender address (From)."))
    try:
        address = normalize_email(_unsurrogate(address))
    except InvalidContact as exc:
        raise MailRejected(
            _("The sender address “%(address)s” is not valid.") % {"address": address[:80]}
        ) from exc
    return " ".join(_unsurrogate(name or "").replace('"', "").split()), address


def _first_address(msg: Message, name: str) -> str:
    try:
        header = msg.get(name)
        addresses = getattr(header, "addresses", None) or ()
        if addresses:
            return addresses[0].addr_spec.lower()
    except Exception:  # noqa: S110
        pass
    return email.utils.parseaddr(_raw_header(msg, name))[1].lower()


def _reply_to(msg: Message) -> str:
    address = _first_address(msg, "Reply-To")
    if not address:
        return ""
    try:
        return normalize_email(_unsurrogate(address))
    except InvalidContact:
        return ""


def parse_message(raw: bytes, *, now: dt.datetime | None = None) -> ParsedMail:
    """Read one RFC 822 message. MailRejected when it is too large, empty or has no
    sender; auto-replies and bounces are parsed and marked with `skip_reason`."""
    now = now or timezone.now()
    if len(raw) > max_bytes():
        raise MailRejected(too_large(len(raw)))
    if not raw.strip():
        raise MailRejected(_("The message is empty."))
    msg = email.message_from_bytes(raw, policy=policy.default)
    if not msg.keys():
        raise MailRejected(_("This is not an email message: it has no headers."))
    from_name, from_address = _sender(msg)
    plain, html, attachments = _walk(msg)
    text = tidy(plain) if plain.strip() else html_to_text(html)
    body = strip_reply(text) if text.strip() else ""
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS] + "\n\n" + _("[The rest of this long message was cut.]")
    if attachments:
        listed = ", ".join(f"{name} ({_size(size)})" for name, size in attachments[:20])
        more = len(attachments) - 20
        if more > 0:
            listed += " " + _("and %(count)d more") % {"count": more}
        note = _("Attachments (not stored; see the original email): %(list)s") % {"list": listed}
        body = f"{body}\n\n[{note}]" if body else f"[{note}]"
    if not body:
        body = _("(This email had no text.)")
    in_reply_to = next(iter(_ids(_header(msg, "In-Reply-To"))), "")
    references = [ref for ref in _ids(_header(msg, "References")) if len(ref) <= 255][
        -MAX_REFERENCES:
    ]
    return ParsedMail(
        message_id=_message_id(msg, raw),
        in_reply_to=in_reply_to if len(in_reply_to) <= 255 else "",
        references=references,
        from_name=from_name,
        from_address=from_address,
        to_address=_first_address(msg, "To"),
        reply_to=_reply_to(msg) or from_address,
        subject=_header(msg, "Subject"),
        at=_date(msg, now),
        body=body,
        full_text=text,
        attachments=attachments,
        skip_reason=_skip_reason(msg, from_address),
    )


# --- Matching ----------------------------------------------------------------------------


def customers_with_address(address: str) -> list[int]:
    """Ids of the customers with this email address, the one to use first: people before
    organizations, then the most recently updated, then the newest."""
    rows = (
        ContactPoint.objects.filter(
            kind=ContactPoint.Kind.EMAIL, search_value=search_value("email", address)
        )
        .annotate(
            person_first=Case(
                When(customer__kind=Customer.Kind.PERSON, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("person_first", "-customer__updated_at", "-customer_id")
        .values_list("customer_id", flat=True)
    )
    return list(dict.fromkeys(rows))


def _name_parts(display_name: str, address: str) -> tuple[str, str]:
    """(given, family) for a prospect: from "Ani Nor" or "Nor, Ani"; else from the
    address's local part ("ani.nor" → Ani Nor)."""
    name = display_name.strip().strip("'")
    if not name or "@" in name:
        local = address.partition("@")[0].partition("+")[0]
        words = [w for w in re.split(r"[._\-]+", local) if w and not w.isdigit()]
        name = " ".join(w[:1].upper() + w[1:] for w in words) or local
    if "," in name:
        family, _comma, given = name.partition(",")
        if given.strip() and family.strip():
            return given.strip()[:120], family.strip()[:120]
    given, _space, family = name.partition(" ")
    return given.strip()[:120] or address[:120], family.strip()[:120]


def prospect_create(*, address: str, display_name: str) -> Customer:
    """A new prospect for an unknown sender, written by the system (no actor: the
    customer services need one), with its email as a preferred contact point and audit
    entries like theirs. Unowned: managers and admins triage it."""
    from patron.core.audit import audit_create, audit_record
    from patron.core.models import AuditEntry
    from patron.core.validation import model_validate
    from patron.customers.services import search_terms_refresh

    given, family = _name_parts(display_name, address)
    customer = Customer(
        kind=Customer.Kind.PERSON,
        given_name=given,
        family_name=family,
        lifecycle_stage=Customer.Lifecycle.PROSPECT,
        source=SOURCE,
    )
    customer.display_name = customer.compute_display_name()
    model_validate(customer)
    customer.save()
    audit_create(actor=None, instance=customer)
    point = ContactPoint(
        customer=customer,
        kind=ContactPoint.Kind.EMAIL,
        value=address,
        search_value=search_value("email", address),
        preferred=True,
    )
    model_validate(point, exclude=["customer", "search_value"])
    point.save()
    audit_record(
        None,
        AuditEntry.Action.UPDATE,
        customer,
        [{"field": "contact_points", "old": None, "new": str(point)}],
    )
    search_terms_refresh([customer.pk])
    return customer


def _stored_message(ids: list[str]) -> TicketMessage | None:
    """The stored message this one answers: the most direct of `ids` that we have. Ids
    are compared with and without their angle brackets (either may have been stored)."""
    if not ids:
        return None
    forms = {i: i for i in ids} | {i.strip("<>"): i for i in ids}
    found = {
        forms[m.message_id]: m
        for m in TicketMessage.objects.filter(message_id__in=list(forms)).select_related(
            "ticket__customer"
        )
    }
    return next((found[i] for i in ids if i in found), None)


def _ticket_of_customer(ticket_id: int, customer_ids: list[int]) -> Ticket | None:
    if not customer_ids:
        return None
    return Ticket.objects.filter(pk=ticket_id, customer_id__in=customer_ids).first()


@dataclass
class _Thread:
    ticket: Ticket | None
    customer: Customer | None
    created_customer: bool
    note: str = ""


def _thread(mail: ParsedMail) -> _Thread:
    """Which ticket (if any) and which customer this message belongs to."""
    answered = _stored_message(mail.thread_ids)
    if answered is not None:
        # The sender answers one of our messages (or a message of this thread): the
        # thread decides, whoever writes (a colleague copied in, another address).
        return _Thread(answered.ticket, answered.ticket.customer, False, _("by headers"))
    customer_ids = customers_with_address(mail.from_address)
    # Our Message-IDs carry the ticket id: a reply whose stored message is gone (or was
    # sent before ids were stored) still threads, for the ticket's own customer only.
    for ref in mail.thread_ids:
        ours = _OUR_ID.match(ref)
        if ours and ref.lower().endswith(f"@{settings.PATRON_MAIL_DOMAIN.lower()}>"):
            ticket = _ticket_of_customer(int(ours.group(1)), customer_ids)
            if ticket is not None:
                return _Thread(ticket, ticket.customer, False, _("by our Message-ID"))
    tokens = _TICKET_TOKEN.findall(mail.subject)
    for token in tokens:
        # A subject token alone never attaches mail to another customer's ticket.
        ticket = _ticket_of_customer(int(token), customer_ids)
        if ticket is not None:
            return _Thread(ticket, ticket.customer, False, _("by the subject's [#%s]") % token)
    # Said without telling whether the ticket exists: that is not the sender's to know.
    note = (
        _("the subject's [#%s] is not a ticket of this sender: a new ticket") % tokens[0]
        if tokens
        else ""
    )
    if customer_ids:
        return _Thread(None, Customer.objects.get(pk=customer_ids[0]), False, note)
    customer = prospect_create(address=mail.from_address, display_name=mail.from_name)
    return _Thread(None, customer, True, note)


def ticket_type_for(subject: str) -> str:
    return TicketType.COMPLAINT if _COMPLAINT_WORDS.search(subject or "") else TicketType.QUESTION


def _already(message_id: str) -> TicketMessage | None:
    forms = {message_id, message_id.strip("<>")}
    return (
        TicketMessage.objects.filter(message_id__in=forms)
        .only("id", "ticket_id", "ticket__customer_id")
        .select_related("ticket")
        .first()
    )


def _duplicate(mail: ParsedMail, stored: TicketMessage) -> IngestResult:
    return IngestResult(
        status="duplicate",
        ticket_id=stored.ticket_id,
        customer_id=stored.ticket.customer_id,
        message_id=mail.message_id,
        reason=_("already imported (ticket #%(id)s)") % {"id": stored.ticket_id},
        subject=mail.subject,
        from_address=mail.from_address,
    )


def ingest_mail(mail: ParsedMail) -> IngestResult:
    """Store one parsed message: a reply on its ticket or a new ticket, in one
    transaction. Never raises for a bad message: the result says what happened."""
    from patron.service import services

    base = {
        "message_id": mail.message_id,
        "subject": mail.subject,
        "from_address": mail.from_address,
    }
    stored = _already(mail.message_id)
    if stored is not None:
        return _duplicate(mail, stored)
    if mail.skip_reason:
        return IngestResult(status="skipped", reason=mail.skip_reason, **base)
    try:
        with transaction.atomic():
            thread = _thread(mail)
            ticket = thread.ticket
            if ticket is not None:
                # A resolved or closed ticket is reopened by the service (decision 0019).
                services.ticket_customer_message(
                    ticket=ticket,
                    body=mail.body,
                    email=mail.email_fields(),
                    # A sender's clock behind ours must not put the answer before the ticket.
                    at=max(mail.at, ticket.created_at),
                )
                return IngestResult(
                    status="appended",
                    ticket_id=ticket.pk,
                    customer_id=ticket.customer_id,
                    reason=thread.note,
                    **base,
                )
            subject = mail.subject[:255] or _("(no subject)")
            ticket = services.ticket_create(
                actor=None,
                customer=thread.customer,
                subject=subject,
                body=mail.body,
                type=ticket_type_for(mail.subject),
                source=SOURCE,
                reply_to=mail.reply_to or mail.from_address,
                email=mail.email_fields(),
                at=mail.at,
            )
            return IngestResult(
                status="created",
                ticket_id=ticket.pk,
                customer_id=thread.customer.pk,
                created_customer=thread.created_customer,
                reason=thread.note,
                **base,
            )
    except IntegrityError:
        # Imported at the same moment by another process (the unique Message-ID).
        stored = _already(mail.message_id)
        if stored is not None:
            return _duplicate(mail, stored)
        logger.exception("Inbound mail %s refused by the database", mail.message_id)
        return IngestResult(
            status="rejected", reason=_("refused by the database"), transient=True, **base
        )
    except PatronError as exc:
        stored = _already(mail.message_id)
        if stored is not None:
            return _duplicate(mail, stored)
        return IngestResult(status="rejected", reason=exc.message, **base)


def ingest_bytes(raw: bytes, *, now: dt.datetime | None = None) -> IngestResult:
    """Parse and store one raw message; every failure is a "rejected" result, so that one
    bad message never stops the others."""
    try:
        mail = parse_message(raw, now=now)
    except MailRejected as exc:
        return IngestResult(status="rejected", reason=str(exc))
    except Exception:  # an unreadable message is reported, not raised
        logger.exception("Inbound mail could not be parsed")
        return IngestResult(status="rejected", reason=_("The message could not be read."))
    try:
        return ingest_mail(mail)
    except Exception:
        logger.exception("Inbound mail %s could not be imported", mail.message_id)
        return IngestResult(
            status="rejected",
            message_id=mail.message_id,
            subject=mail.subject,
            from_address=mail.from_address,
            reason=_("The message could not be imported (see the log)."),
            transient=True,
        )
