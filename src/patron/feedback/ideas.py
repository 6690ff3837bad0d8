"""Ideas: suggestions from customers (from a survey answer, a ticket, or entered by
staff), tagged, voted on by staff, moved through new → planned → done / declined, and
their requesters told of each new status by email ("you said, we did").

Services validate, write in one transaction and audit; selectors read with the
customers' visibility applied to requesters. Any active staff member may vote (a vote is
an opinion, not a change to a customer); creating and changing ideas, requesters and
telling customers take a role that may change records (agents and up)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.audit import audit_create, audit_record, audit_update, snapshot
from patron.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from patron.core.models import AuditEntry
from patron.feedback.models import Idea, IdeaRequester, IdeaVote, Response
from patron.feedback.results import verbatim_tags_get_or_create

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.customers.models import Customer

logger = logging.getLogger("patron.feedback")

Status = Idea.Status
Source = Idea.Source
MAX_TITLE = 200
MAX_BODY = 10_000
PAGE_SIZE = 25
SORTS = {"votes": ("-votes", "-created_at", "-id"), "newest": ("-created_at", "-id")}


def _fail(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={name: [message]})


def _clean_text(title: str | None, body: str | None) -> tuple[str | None, str | None]:
    if title is not None:
        title = " ".join(title.split())
        if not title:
            raise _fail("title", _("Give the idea a title."))
        if len(title) > MAX_TITLE:
            raise _fail("title", _("A title has at most 200 characters."))
    if body is not None:
        body = body.strip()
        if len(body) > MAX_BODY:
            raise _fail("body", _("A description has at most 10,000 characters."))
    return title, body


def _visible_customer(actor: User, customer_id: int) -> Customer:
    from patron.customers.models import Customer

    return visibility.get_visible(actor, Customer.objects.all(), pk=customer_id)


def _add_requester(actor: User, idea: Idea, customer: Customer) -> tuple[IdeaRequester, bool]:
    existing = IdeaRequester.objects.filter(idea=idea, customer=customer).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            requester = IdeaRequester.objects.create(idea=idea, customer=customer)
    except IntegrityError:  # added at the same moment by someone else
        return IdeaRequester.objects.get(idea=idea, customer=customer), False
    audit_create(actor=actor, instance=requester)
    return requester, True


@transaction.atomic
def idea_create(
    *,
    actor: User,
    title: str = "",
    body: str = "",
    response: Response | None = None,
    ticket: Any = None,
    tags: list[str] | None = None,
) -> Idea:
    """A new idea. From a survey answer or a ticket, its customer becomes the first
    requester and the comment (or the ticket's subject) the default text."""
    visibility.require_create(actor)
    source = Source.STAFF
    customer = None
    if response is not None:
        visibility.require_write(actor, response.customer)
        source, customer = Source.SURVEY, response.customer
        body = body or response.comment
        title = title or response.comment[:120]
    elif ticket is not None:
        visibility.require_write(actor, ticket)
        source, customer = Source.TICKET, ticket.customer
        title = title or ticket.subject
    clean_title, clean_body = _clean_text(title, body)
    idea = Idea.objects.create(
        title=clean_title,
        body=clean_body or "",
        source=source,
        response=response,
        ticket=ticket,
        created_by=actor if actor.pk else None,
    )
    if tags:
        idea.tags.set(verbatim_tags_get_or_create(tags))
    audit_create(actor=actor, instance=idea)
    if customer is not None:
        _add_requester(actor, idea, customer)
    return idea


@transaction.atomic
def idea_update(
    *,
    actor: User,
    idea: Idea,
    expected_version: int | None = None,
    title: str | None = None,
    body: str | None = None,
    status: str | None = None,
    tags: list[str] | None = None,
) -> Idea:
    """Change an idea; a new status stamps `status_changed_at` (and is what requesters
    can then be told). With `expected_version`, a change made since answers 409."""
    visibility.require_create(actor)
    current = Idea.objects.select_for_update().get(pk=idea.pk)
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            _("Someone changed this idea since you read it."),
            details={"current_version": current.version},
        )
    if status is not None and status not in Status.values:
        raise _fail("status", _("Choose new, planned, done or declined."))
    clean_title, clean_body = _clean_text(title, body)
    before = snapshot(current)
    if clean_title is not None:
        current.title = clean_title
    if clean_body is not None:
        current.body = clean_body
    if status is not None and status != current.status:
        current.status = status
        current.status_changed_at = timezone.now()
    tags_changed = False
    if tags is not None:
        wanted = verbatim_tags_get_or_create(tags)
        old = sorted(current.tags.values_list("name", flat=True))
        new = sorted(tag.name for tag in wanted)
        if old != new:
            current.tags.set(wanted)
            audit_record(
                actor,
                AuditEntry.Action.UPDATE,
                current,
                [{"field": "tags", "old": old, "new": new}],
            )
            tags_changed = True
    if snapshot(current) != before or tags_changed:
        current.version += 1
        current.save()
        if snapshot(current) != before:
            audit_update(actor=actor, instance=current, before=before)
    return current


def _require_staff(actor: User) -> None:
    if not (actor and actor.is_authenticated and actor.is_active):
        raise PermissionDenied(_("Sign in to vote."))


@transaction.atomic
def idea_vote(*, actor: User, idea: Idea) -> tuple[Idea, bool]:
    """The actor's vote for the idea (once: voting again changes nothing). The counter
    moves in the same transaction as the vote row. Returns (idea, voted now)."""
    _require_staff(actor)
    try:
        with transaction.atomic():
            IdeaVote.objects.create(idea=idea, user=actor)
    except IntegrityError:
        return Idea.objects.get(pk=idea.pk), False
    Idea.objects.filter(pk=idea.pk).update(votes=F("votes") + 1)
    return Idea.objects.get(pk=idea.pk), True


@transaction.atomic
def idea_unvote(*, actor: User, idea: Idea) -> tuple[Idea, bool]:
    """Take the actor's vote back (nothing happens without one)."""
    _require_staff(actor)
    deleted, _rows = IdeaVote.objects.filter(idea=idea, user=actor).delete()
    if deleted:
        Idea.objects.filter(pk=idea.pk, votes__gt=0).update(votes=F("votes") - 1)
    return Idea.objects.get(pk=idea.pk), bool(deleted)


def idea_vote_toggle(*, actor: User, idea: Idea) -> tuple[Idea, bool]:
    """Vote, or take the vote back: returns (idea, whether the actor now votes for it)."""
    if IdeaVote.objects.filter(idea=idea, user=actor).exists():
        return idea_unvote(actor=actor, idea=idea)[0], False
    return idea_vote(actor=actor, idea=idea)[0], True


@transaction.atomic
def requester_add(*, actor: User, idea: Idea, customer_id: int) -> tuple[IdeaRequester, bool]:
    """A customer who asked for this idea (one you can see). Returns (row, added now)."""
    visibility.require_create(actor)
    customer = _visible_customer(actor, customer_id)
    visibility.require_write(actor, customer)
    return _add_requester(actor, idea, customer)


@transaction.atomic
def requester_remove(*, actor: User, idea: Idea, customer_id: int) -> None:
    visibility.require_create(actor)
    customer = _visible_customer(actor, customer_id)
    visibility.require_write(actor, customer)
    row = IdeaRequester.objects.filter(idea=idea, customer=customer).first()
    if row is None:
        raise NotFound(_("This customer is not a requester of this idea."))
    audit_record(actor, AuditEntry.Action.DELETE, row, [])
    row.delete()


# --- Tell the customer ----------------------------------------------------------------


@dataclass
class TellOutcome:
    customer_id: int
    customer_name: str
    sent: bool
    reason: str = ""
    code: str = ""


@dataclass
class TellReport:
    idea_id: int
    status: str
    sent: int = 0
    skipped: int = 0
    outcomes: list[TellOutcome] = field(default_factory=list)


def _language(customer: Customer) -> str:
    code = (customer.language or "").split("-")[0].lower()
    known = {language for language, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def tell_message(idea: Idea, customer: Customer, to: str) -> EmailMessage:
    """The "you said, we did" email in the customer's language."""
    with translation.override(_language(customer)):
        status = str(Status(idea.status).label)
        name = customer.given_name or customer.display_name
        subject = _("Your idea: %(title)s — %(status)s") % {"title": idea.title, "status": status}
        lines = {
            Status.PLANNED: _("Thank you for your suggestion. We have planned it: %(title)s."),
            Status.DONE: _("You asked, and we did it: %(title)s."),
            Status.DECLINED: _(
                "Thank you for your suggestion “%(title)s”. After looking at it carefully, "
                "we have decided not to do it for now."
            ),
        }
        text = lines.get(idea.status, _("Your suggestion “%(title)s” is now: %(status)s."))
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": name},
                text % {"title": idea.title, "status": status},
                _("Thank you for telling us what matters to you."),
            ]
        )
    return EmailMessage(
        subject=" ".join(subject.split())[:200],
        body=body + "\n",
        from_email=settings.PATRON_SUPPORT_EMAIL or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )


def idea_tell(*, actor: User, idea: Idea, now: dt.datetime | None = None) -> TellReport:
    """Email each requester not yet told the idea's current status, where `can_contact`
    allows service email; log it on the customer's timeline (an outbound email
    interaction) and remember what they were told. Each requester is its own
    transaction: a failed mail leaves that one untold (to retry) and the others sent."""
    from patron.customers.contactability import can_contact
    from patron.feedback.sending import email_address
    from patron.interactions.models import Channel, Interaction

    visibility.require_create(actor)
    if idea.status == Status.NEW:
        raise _fail("status", _("Nothing to tell yet: the idea is still new."))
    now = now or timezone.now()
    report = TellReport(idea_id=idea.pk, status=idea.status)
    rows = (
        IdeaRequester.objects.filter(idea=idea)
        .exclude(told_status=idea.status)
        .select_related("customer", "customer__preferences")
        .prefetch_related("customer__contact_points", "customer__consents")
        .order_by("id")
    )
    connection = get_connection()
    for row in rows:
        customer = row.customer

        def skip(reason: str, code: str, customer: Customer = customer) -> None:
            report.skipped += 1
            report.outcomes.append(
                TellOutcome(customer.pk, customer.display_name, False, reason, code)
            )

        if not visibility.can_read(actor, customer):
            skip(_("Not one of the customers you can see."), "not_visible")
            continue
        decision = can_contact(customer, "email", "service", at=now)
        if not decision.allowed:
            skip(str(decision.reason), decision.code)
            continue
        to = email_address(customer)
        if not to:
            skip(_("No email address."), "unreachable")
            continue
        message = tell_message(idea, customer, to)
        message.connection = connection
        try:
            with transaction.atomic():
                updated = IdeaRequester.objects.filter(pk=row.pk).exclude(told_status=idea.status)
                if not updated.update(told_status=idea.status, told_at=now):
                    continue  # told meanwhile by someone else
                Interaction.objects.create(
                    customer=customer,
                    channel=Channel.EMAIL,
                    direction=Interaction.Direction.OUTBOUND,
                    occurred_at=now,
                    user=actor if actor.pk else None,
                    summary=message.subject[:255],
                    body=message.body,
                    reason=_("Idea status")[:120],
                )
                message.send()
        except Exception as exc:
            logger.warning("idea %s: telling customer %s failed: %s", idea.pk, customer.pk, exc)
            skip(_("Sending failed: %(error)s") % {"error": str(exc)[:200]}, "failed")
            continue
        report.sent += 1
        report.outcomes.append(TellOutcome(customer.pk, customer.display_name, True))
    if report.sent:
        audit_record(
            actor,
            AuditEntry.Action.UPDATE,
            idea,
            [{"field": "told", "old": None, "new": {"status": idea.status, "sent": report.sent}}],
        )
    return report


# --- Selectors ------------------------------------------------------------------------


def idea_list(*, status: str = "", tag: str = "", sort: str = "votes", q: str = "") -> QuerySet:
    """Ideas (not customer records: every staff member sees them), filtered and sorted,
    with the number of requesters."""
    rows = Idea.objects.all()
    if status:
        if status not in Status.values:
            raise _fail("status", _("Choose new, planned, done or declined."))
        rows = rows.filter(status=status)
    if tag:
        rows = rows.filter(tags__name=tag)
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(body__icontains=q))
    if sort not in SORTS:
        raise _fail("sort", _("Sort by votes or newest."))
    return (
        rows.annotate(requester_count=Count("requesters", distinct=True))
        .prefetch_related("tags")
        .order_by(*SORTS[sort])
    )


def idea_get(idea_id: Any) -> Idea:
    if not visibility.is_record_id(idea_id):
        raise NotFound(_("Not found."))
    idea = Idea.objects.filter(pk=idea_id).prefetch_related("tags").first()
    if idea is None:
        raise NotFound(_("Not found."))
    return idea


def requesters_of(viewer: User, idea: Idea) -> list[IdeaRequester]:
    """The requesters among the customers `viewer` can see."""
    return list(
        IdeaRequester.objects.filter(idea=idea)
        .filter(visibility.visible_through(viewer, "customer"))
        .select_related("customer")
        .order_by("added_at", "id")
    )


def voted_by(viewer: User, ideas: list[Idea]) -> set[int]:
    return set(
        IdeaVote.objects.filter(user=viewer, idea__in=[i.pk for i in ideas]).values_list(
            "idea_id", flat=True
        )
    )


def ideas_of_customer(viewer: User, customer: Customer, limit: int = 5) -> list[Idea]:
    return list(Idea.objects.filter(requesters__customer=customer).order_by("-created_at")[:limit])
