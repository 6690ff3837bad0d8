"""Every write to a ticket: creation (by an agent or by the system from inbound mail or a
survey answer), the customer's messages, agents' replies (emailed after commit) and
internal notes, edits, and the status flow new → open → waiting → open … → resolved →
closed (reopen allowed). Validated, visibility-checked, audited, in one transaction; the
events of `patron.service.events` are sent inside it.

Decisions the callers rely on (see docs/decisions/0019-tickets-and-reply-threading.md):
- An inbound `message_id` already stored raises `DuplicateMessage` (a `Conflict`, 409)
  carrying the existing message: the same email is never imported twice.
- Message ids are stored exactly as the header value, angle brackets included.
- Reopening (by the customer writing to a resolved or closed ticket, or by an agent)
  clears `resolved_at`, `closed_at` and `first_contact_resolution`: the next resolution
  sets them again, so the time to resolution spans the whole ticket.
- A ticket is closed only once resolved (the root cause is asked at resolution).
- Replies on an email ticket must be emailable (an address, and `can_contact` allows a
  service email); on other channels a reply with no way to email it is logged only.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from patron.accounts.models import Team, User
from patron.core import visibility
from patron.core.audit import audit_create, audit_record, audit_update, snapshot
from patron.core.errors import Conflict, ValidationFailed
from patron.core.models import AuditEntry
from patron.core.validation import model_validate
from patron.interactions.models import Channel, Interaction, Notification
from patron.service import events, sla
from patron.service.models import (
    ACTIVE_STATUSES,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketPriority,
    TicketStatus,
    TicketType,
)

if TYPE_CHECKING:
    from patron.customers.models import Customer

UPDATABLE_FIELDS = ("subject", "type", "category", "priority", "owner", "team", "reply_to")
EMAIL_KEYS = ("message_id", "in_reply_to", "references", "from_address", "to_address", "subject")
# Types whose resolution must say why it happened (so that it does not happen again).
ROOT_CAUSE_REQUIRED = (TicketType.COMPLAINT, TicketType.INCIDENT)
MAX_BODY = 100_000


class DuplicateMessage(Conflict):
    """This inbound email is already stored; `existing` is its TicketMessage."""

    def __init__(self, existing: TicketMessage) -> None:
        super().__init__(
            _("This email was already imported (ticket #%(id)s).") % {"id": existing.ticket_id},
            details={"message_id": [_("Already imported.")]},
        )
        self.existing = existing


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={field: [message]})


# --- Checks -------------------------------------------------------------------------------


def _clean_body(body: str | None, *, required: bool, field: str = "body") -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if required and not body:
        raise _fail(field, _("Write the message first."))
    if len(body) > MAX_BODY:
        raise _fail(field, _("At most %(n)d characters.") % {"n": MAX_BODY})
    if "\x00" in body:
        raise _fail(field, _("Remove the null character (\\x00) from this text."))
    return body


def _check_ticket(ticket: Ticket) -> None:
    ticket.subject = " ".join((ticket.subject or "").split())
    ticket.reply_to = (ticket.reply_to or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not ticket.subject:
        errors["subject"] = [_("Say in a few words what it is about.")]
    elif len(ticket.subject) > 255:
        errors["subject"] = [_("At most 255 characters.")]
    if ticket.type not in TicketType.values:
        errors["type"] = [_("Unknown ticket type.")]
    if ticket.priority not in TicketPriority.values:
        errors["priority"] = [_("Unknown priority.")]
    if ticket.channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if ticket.category_id is not None and not ticket.category.active:
        errors["category"] = [_("This category is no longer in use.")]
    owner = ticket.owner
    if owner is not None and not owner.is_active:
        errors["owner"] = [_("This user is deactivated.")]
    elif owner is not None and not visibility.can_write_any(owner):
        errors["owner"] = [_("%(user)s cannot answer tickets.") % {"user": owner.display_name}]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], details=errors)
    model_validate(
        ticket,
        exclude=["customer", "owner", "team", "category", "sla_policy", "created_by"],
    )


def _lock(ticket: Ticket, version: int | None) -> None:
    """Inside the transaction: lock the row, refuse a stale `version` (409), and reload a
    stale in-memory ticket so that saving it does not undo someone else's change."""
    current = (
        Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("version", flat=True)
    )
    db_version = next(iter(current), None)
    if db_version is None:
        raise visibility.NotFound(_("Not found."))
    if version is not None and version != db_version:
        raise Conflict(
            _(
                "Someone changed this ticket since you opened it "
                "(version %(current)d, yours %(yours)d). Reload and try again."
            )
            % {"current": db_version, "yours": version},
            details={"version": [_("Stale version.")], "current_version": db_version},
        )
    if db_version != ticket.version:
        ticket.refresh_from_db()


def _require_version(version: Any) -> int | None:
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail("version", _("A version is a positive whole number."))
    return version


def _email_fields(email: dict | None) -> dict[str, Any]:
    if not email:
        return {}
    unknown = sorted(set(email) - set(EMAIL_KEYS))
    if unknown:
        raise ValidationFailed(
            _("Unknown email fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            details={"email": unknown},
        )
    fields: dict[str, Any] = {}
    for key in EMAIL_KEYS:
        value = str(email.get(key) or "").strip()
        limit = TicketMessage._meta.get_field(key).max_length
        fields[key] = value[:limit] if limit else value
    fields["message_id"] = fields["message_id"] or None
    if fields["message_id"] is not None:
        existing = TicketMessage.objects.filter(message_id=fields["message_id"]).first()
        if existing is not None:
            raise DuplicateMessage(existing)
    return fields


def _save_message(message: TicketMessage) -> None:
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError as exc:  # the same email arriving twice at the same moment
        existing = TicketMessage.objects.filter(message_id=message.message_id).first()
        if existing is None:
            raise
        raise DuplicateMessage(existing) from exc


def _timeline_entry(
    ticket: Ticket, *, direction: str, body: str, user: User | None, at: dt.datetime
) -> Interaction:
    """The message on the customer's timeline, as an interaction of the ticket."""
    summary = (
        ticket.subject if direction == Interaction.Direction.INBOUND else f"Re: {ticket.subject}"
    )
    return Interaction.objects.create(
        customer=ticket.customer,
        ticket=ticket,
        channel=ticket.channel,
        direction=direction,
        occurred_at=min(at, timezone.now()),
        user=user if user is not None and user.pk else None,
        summary=summary[:255],
        body=linebreaks(escape(body)),
    )


def _audit(actor: User | None, ticket: Ticket, field: str, new: Any) -> None:
    audit_record(
        actor, AuditEntry.Action.UPDATE, ticket, [{"field": field, "old": None, "new": new}]
    )


def ticket_url(ticket: Ticket) -> str:
    return reverse("service:ticket", args=[ticket.pk])


def _notify(
    recipients: list[User], *, kind: str, text: str, ticket: Ticket, actor: User | None
) -> None:
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind,
            text=text[:300],
            url=ticket_url(ticket),
            customer=ticket.customer,
            actor=actor if actor is not None and actor.pk else None,
        )
        for user in dict.fromkeys(recipients)
        if actor is None or user.pk != actor.pk
    )


def _notify_assigned(ticket: Ticket, actor: User | None) -> None:
    if ticket.owner is None:
        return
    _notify(
        [ticket.owner],
        kind=Notification.Kind.TICKET,
        text=_("Ticket #%(id)s is yours: %(subject)s")
        % {"id": ticket.pk, "subject": ticket.subject},
        ticket=ticket,
        actor=actor,
    )


def _save(ticket: Ticket, actor: User | None, before: dict[str, Any]) -> None:
    ticket.version += 1
    ticket.save()
    audit_update(actor=actor, instance=ticket, before=before)


def _leave_waiting(ticket: Ticket, at: dt.datetime) -> None:
    if ticket.status == TicketStatus.WAITING:
        sla.resume(ticket, at=at)


def _reopen(ticket: Ticket, at: dt.datetime) -> None:
    ticket.status = TicketStatus.OPEN
    ticket.reopened_count += 1
    ticket.resolved_at = ticket.closed_at = None
    ticket.first_contact_resolution = None


# --- Creation -----------------------------------------------------------------------------


def _default_owner(actor: User | None, customer: Customer) -> User | None:
    if actor is not None and visibility.can_write_any(actor):
        return actor
    owner = customer.owner
    # An owner who left or only reads cannot take the ticket: it goes to the team
    # unassigned, rather than the customer's email or survey answer being refused.
    if owner is not None and owner.is_active and visibility.can_write_any(owner):
        return owner
    return None


def _default_team(owner: User | None, customer: Customer) -> Team | None:
    if customer.team_id is not None:
        return customer.team
    if owner is not None:
        return owner.teams.order_by("name").first()
    return None


def ticket_create(
    *,
    actor: User | None,
    customer: Customer,
    subject: str,
    body: str = "",
    type: str = TicketType.QUESTION,
    priority: int = TicketPriority.NORMAL,
    channel: str = Channel.EMAIL,
    category: TicketCategory | None = None,
    owner: User | None = None,
    team: Team | None = None,
    source: str = "",
    reply_to: str = "",
    email: dict | None = None,
    at: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket for `customer`. `actor` None is the system (inbound mail, a survey
    answer). With a body, the first message is the customer's (as written, or as an agent
    took it down) and goes on the customer's timeline. An `email` whose message_id is
    already stored raises DuplicateMessage."""
    if actor is not None:
        visibility.require_write(actor, customer)
    at = at or timezone.now()
    body = _clean_body(body, required=False)
    email_fields = _email_fields(email)
    owner = owner if owner is not None else _default_owner(actor, customer)
    ticket = Ticket(
        customer=customer,
        subject=subject,
        type=type,
        priority=priority,
        channel=channel,
        category=category,
        owner=owner,
        team=team if team is not None else _default_team(owner, customer),
        source=(source or "")[:20],
        reply_to=reply_to or "",
        created_by=actor if actor is not None and actor.pk else None,
        created_at=at,
    )
    _check_ticket(ticket)
    with transaction.atomic():
        sla.apply_policy(ticket, at=at)
        if body:
            ticket.last_customer_message_at = at
        ticket.save()
        audit_create(actor=actor, instance=ticket)
        message = None
        if body or email_fields:
            message = TicketMessage(
                ticket=ticket,
                kind=TicketMessage.Kind.CUSTOMER,
                author=actor if actor is not None and actor.pk else None,
                body=body,
                created_at=at,
                **email_fields,
            )
            _save_message(message)
            message.interaction = _timeline_entry(
                ticket, direction=Interaction.Direction.INBOUND, body=body, user=actor, at=at
            )
            message.save(update_fields=["interaction"])
        if owner is not None:
            _notify_assigned(ticket, actor)
        events.ticket_created.send(sender=Ticket, ticket=ticket, actor=actor, message=message)
    return ticket


# --- Messages -----------------------------------------------------------------------------


def ticket_customer_message(
    *, ticket: Ticket, body: str, email: dict | None = None, at: dt.datetime | None = None
) -> TicketMessage:
    """A message from the customer (an email threaded onto the ticket, a call logged by
    the system). A waiting ticket opens again and its SLA clock resumes; a resolved or
    closed one is reopened."""
    at = at or timezone.now()
    body = _clean_body(body, required=not email)
    email_fields = _email_fields(email)
    with transaction.atomic():
        _lock(ticket, None)
        before = snapshot(ticket)
        reopened = False
        if ticket.status == TicketStatus.WAITING:
            sla.resume(ticket, at=at)
            ticket.status = TicketStatus.OPEN
        elif ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            _reopen(ticket, at)
            reopened = True
        ticket.last_customer_message_at = at
        message = TicketMessage(
            ticket=ticket,
            kind=TicketMessage.Kind.CUSTOMER,
            body=body,
            created_at=at,
            **email_fields,
        )
        _save_message(message)
        message.interaction = _timeline_entry(
            ticket, direction=Interaction.Direction.INBOUND, body=body, user=None, at=at
        )
        message.save(update_fields=["interaction"])
        _save(ticket, None, before)
        _audit(None, ticket, "customer_message", body[:200])
        if ticket.owner is not None:
            _notify(
                [ticket.owner],
                kind=Notification.Kind.TICKET,
                text=_("%(customer)s wrote on ticket #%(id)s: %(text)s")
                % {"customer": ticket.customer.display_name, "id": ticket.pk, "text": body[:150]},
                ticket=ticket,
                actor=None,
            )
        if reopened:
            events.ticket_reopened.send(sender=Ticket, ticket=ticket, actor=None)
    return message


def ticket_reply(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    status: str | None = None,
    version: int | None = None,
) -> TicketMessage:
    """An agent's answer to the customer, emailed after the transaction commits (the
    outcome, `sent_at` or `send_error`, is stored on the message). `status` may set the
    ticket open or waiting on the customer; resolving goes through `ticket_resolve`."""
    from patron.service import mail_out

    visibility.require_write(actor, ticket)
    version = _require_version(version)
    body = _clean_body(body, required=True)
    if status is not None and status not in (TicketStatus.OPEN, TicketStatus.WAITING):
        raise _fail(
            "status",
            _("A reply leaves the ticket open or waiting on the customer; resolve it separately."),
        )
    now = timezone.now()
    with transaction.atomic():
        _lock(ticket, version)
        if ticket.status not in ACTIVE_STATUSES:
            raise _fail(
                "status",
                _("This ticket is %(status)s: reopen it to reply.")
                % {"status": ticket.get_status_display().lower()},
            )
        recipient = mail_out.reply_recipient(ticket)  # ValidationFailed if it must be mailed
        before = snapshot(ticket)
        target = status or (
            TicketStatus.OPEN if ticket.status == TicketStatus.NEW else ticket.status
        )
        if target != ticket.status:
            if ticket.status == TicketStatus.WAITING:
                sla.resume(ticket, at=now)
            if target == TicketStatus.WAITING:
                sla.pause(ticket, at=now)
            ticket.status = target
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        ticket.agent_replies += 1
        message = TicketMessage(
            ticket=ticket,
            kind=TicketMessage.Kind.REPLY,
            author=actor,
            body=body,
            created_at=now,
            to_address=recipient or "",
            subject=mail_out.reply_subject(ticket) if recipient else "",
        )
        message.save()
        if recipient:
            mail_out.prepare(message)
        message.interaction = _timeline_entry(
            ticket, direction=Interaction.Direction.OUTBOUND, body=body, user=actor, at=now
        )
        message.save()
        _save(ticket, actor, before)
        _audit(actor, ticket, "reply", body[:200])
        events.ticket_replied.send(sender=Ticket, ticket=ticket, actor=actor, message=message)
        if recipient:
            transaction.on_commit(lambda: mail_out.send(message.pk))
    return message


def ticket_note(*, actor: User, ticket: Ticket, body: str) -> TicketMessage:
    """An internal note: never emailed, never on the customer's timeline. Colleagues
    mentioned as @name are notified."""
    from patron.interactions.services import mentioned_users

    visibility.require_write(actor, ticket)
    body = _clean_body(body, required=True)
    people = mentioned_users(body)
    with transaction.atomic():
        message = TicketMessage.objects.create(
            ticket=ticket, kind=TicketMessage.Kind.NOTE, author=actor, body=body
        )
        _audit(actor, ticket, "note", body[:200])
        _notify(
            people,
            kind=Notification.Kind.MENTION,
            text=_("%(who)s mentioned you on ticket #%(id)s: %(text)s")
            % {"who": actor.display_name, "id": ticket.pk, "text": body[:150]},
            ticket=ticket,
            actor=actor,
        )
    return message


# --- Edits and the status flow --------------------------------------------------------------


def ticket_update(
    *, actor: User, ticket: Ticket, version: int | None = None, **fields: Any
) -> Ticket:
    """Change subject, type, category, priority, owner, team or reply_to. A new priority or
    type re-applies the SLA policy from the ticket's creation; a new owner is notified."""
    unknown = sorted(set(fields) - set(UPDATABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            details={name: [_("Not a field of this record.")] for name in unknown},
        )
    visibility.require_write(actor, ticket)
    version = _require_version(version)
    with transaction.atomic():
        _lock(ticket, version)
        before = snapshot(ticket)
        for name, value in fields.items():
            setattr(ticket, name, value)
        if "reply_to" in fields and ticket.reply_to is None:
            ticket.reply_to = ""
        _check_ticket(ticket)
        after = snapshot(ticket)
        if after == before:
            return ticket
        if after["priority"] != before["priority"] or after["type"] != before["type"]:
            # From the creation: the targets are those the ticket would have had.
            sla.apply_policy(ticket, at=ticket.created_at)
        _save(ticket, actor, before)
        if ticket.owner_id != before["owner"]:
            _notify_assigned(ticket, actor)
        if after["type"] != before["type"]:
            events.ticket_retyped.send(
                sender=Ticket, ticket=ticket, actor=actor, previous=before["type"]
            )
    return ticket


# Moves of ticket_set_status; resolve, close and reopen have services of their own.
MOVES = {
    TicketStatus.NEW: {TicketStatus.OPEN, TicketStatus.WAITING},
    TicketStatus.OPEN: {TicketStatus.WAITING},
    TicketStatus.WAITING: {TicketStatus.OPEN},
}


def ticket_set_status(
    *, actor: User, ticket: Ticket, status: str, version: int | None = None
) -> Ticket:
    visibility.require_write(actor, ticket)
    version = _require_version(version)
    if status not in TicketStatus.values:
        raise _fail("status", _("Unknown status."))
    special = {
        TicketStatus.RESOLVED: _("Resolve the ticket with its root cause instead."),
        TicketStatus.CLOSED: _("Close the ticket with the close action (once resolved)."),
    }
    with transaction.atomic():
        _lock(ticket, version)
        if status == ticket.status:
            return ticket
        if status in special:
            raise _fail("status", str(special[status]))
        if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise _fail(
                "status",
                _("This ticket is %(status)s: reopen it first.")
                % {"status": ticket.get_status_display().lower()},
            )
        if status not in MOVES.get(ticket.status, set()):
            raise _fail(
                "status",
                _("A ticket cannot go from %(old)s back to %(new)s.")
                % {
                    "old": ticket.get_status_display().lower(),
                    "new": TicketStatus(status).label.lower(),
                },
            )
        now = timezone.now()
        before = snapshot(ticket)
        _leave_waiting(ticket, now)
        if status == TicketStatus.WAITING:
            sla.pause(ticket, at=now)
        ticket.status = status
        _save(ticket, actor, before)
    return ticket


def ticket_resolve(
    *,
    actor: User,
    ticket: Ticket,
    root_cause: str,
    prevention_note: str = "",
    version: int | None = None,
) -> Ticket:
    """Resolve: the root cause is required for complaints and incidents. Resolved on first
    contact = no more than one agent reply and never reopened."""
    visibility.require_write(actor, ticket)
    version = _require_version(version)
    root_cause = _clean_body(root_cause, required=False, field="root_cause")
    prevention_note = _clean_body(prevention_note, required=False, field="prevention_note")
    with transaction.atomic():
        _lock(ticket, version)
        if ticket.status not in ACTIVE_STATUSES:
            raise _fail(
                "status",
                _("This ticket is already %(status)s.")
                % {"status": ticket.get_status_display().lower()},
            )
        if ticket.type in ROOT_CAUSE_REQUIRED and not root_cause:
            raise _fail(
                "root_cause",
                _("Say what caused this %(type)s, so that it does not happen again.")
                % {"type": ticket.get_type_display().lower()},
            )
        now = timezone.now()
        before = snapshot(ticket)
        _leave_waiting(ticket, now)
        ticket.status = TicketStatus.RESOLVED
        ticket.resolved_at = now
        ticket.root_cause = root_cause
        ticket.prevention_note = prevention_note
        ticket.first_contact_resolution = ticket.agent_replies <= 1 and ticket.reopened_count == 0
        _save(ticket, actor, before)
        events.ticket_resolved.send(sender=Ticket, ticket=ticket, actor=actor)
    return ticket


def ticket_close(*, actor: User, ticket: Ticket, version: int | None = None) -> Ticket:
    """Close a resolved ticket (an unresolved one is resolved first, with its cause)."""
    visibility.require_write(actor, ticket)
    version = _require_version(version)
    with transaction.atomic():
        _lock(ticket, version)
        if ticket.status == TicketStatus.CLOSED:
            return ticket
        if ticket.status != TicketStatus.RESOLVED:
            raise _fail("status", _("Resolve the ticket before closing it."))
        before = snapshot(ticket)
        ticket.status = TicketStatus.CLOSED
        ticket.closed_at = timezone.now()
        _save(ticket, actor, before)
        events.ticket_closed.send(sender=Ticket, ticket=ticket, actor=actor)
    return ticket


def ticket_reopen(*, actor: User, ticket: Ticket, version: int | None = None) -> Ticket:
    visibility.require_write(actor, ticket)
    version = _require_version(version)
    with transaction.atomic():
        _lock(ticket, version)
        if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise _fail("status", _("Only a resolved or closed ticket can be reopened."))
        before = snapshot(ticket)
        _reopen(ticket, timezone.now())
        _save(ticket, actor, before)
        events.ticket_reopened.send(sender=Ticket, ticket=ticket, actor=actor)
    return ticket


def ticket_reply_resend(*, actor: User, message: TicketMessage) -> TicketMessage:
    """Try again to email a reply whose send failed (the reply itself is kept as it was)."""
    from patron.service import mail_out

    visibility.require_write(actor, message.ticket)
    if message.kind != TicketMessage.Kind.REPLY or message.sent_at is not None:
        raise _fail("message", _("Only a reply that was not sent can be sent again."))
    if not message.to_address:
        raise _fail("message", _("This reply was logged without email."))
    with transaction.atomic():
        TicketMessage.objects.filter(pk=message.pk).update(send_error="")
        message.send_error = ""
        _audit(actor, message.ticket, "reply_resent", message.pk)
        transaction.on_commit(lambda: mail_out.send(message.pk))
    return message
