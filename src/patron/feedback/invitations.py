"""Inviting customers to answer a survey: one at a time (`invite`, used by the triggers,
the API and the customer page) or a whole segment at once (`send_to_segment`).

Every invitation is stored, even one that is refused (status SKIPPED with the reason),
so staff see why a customer was not asked. Email invitations obey `can_contact` for the
purpose "surveys": an opt-in is needed, an email address, and the frequency cap; quiet
hours only delay (PENDING with `send_after`). Link invitations are handed out by staff
(in person, on a receipt, in a chat), so no email consent is asked for them. A customer
invited to a survey is not invited to it again within its cool-down, whatever the way.

Email invitations are sent by `patron.feedback.sending.send_pending` (every minute),
which asks `can_contact` again at the moment of sending.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core import bulk, visibility
from patron.core.audit import audit_record
from patron.core.errors import ValidationFailed
from patron.core.models import AuditEntry
from patron.customers.contactability import can_contact, register_contact_counter
from patron.customers.models import Channel, Consent, ContactPoint, Customer, Purpose
from patron.feedback.models import Invitation, Survey, Trigger
from patron.feedback.services import require_edit
from patron.feedback.tokens import answer_url, new_nonce, version_for

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.segments.models import Segment

# Invitations written per INSERT when a segment is invited.
BATCH = 1000
# Members judged per query. Large: PostgreSQL answers each EXISTS of a batch with one
# hashed scan of consents and contact points, a cost paid per batch, not per member.
READ_BATCH = 10_000
# Customers listed by name in a segment report.
SAMPLE = 20
# Statuses that mean the customer was (or is about to be) asked: they start a cool-down.
ASKED = (
    Invitation.Status.PENDING,
    Invitation.Status.SENT,
    Invitation.Status.RESPONDED,
)


# --- The frequency cap -----------------------------------------------------------------------


# Counts read ahead for a batch of customers (since, {customer id: count}): a segment's
# customers with a cap are judged a thousand at a time, with one grouped query instead
# of one count each.
_READ_AHEAD: contextvars.ContextVar[tuple[dt.datetime, dict[int, int]] | None] = (
    contextvars.ContextVar("survey_sent_read_ahead", default=None)
)


def sent_since(customer_id: int, since: dt.datetime) -> int:
    """Survey emails sent to the customer since `since` (one query on invitations_sent)."""
    ahead = _READ_AHEAD.get()
    if ahead is not None and ahead[0] == since:
        return ahead[1].get(customer_id, 0)
    return Invitation.objects.filter(
        customer_id=customer_id, sent_at__gte=since, via=Invitation.Via.EMAIL
    ).count()


def _sent_counts(customer_ids: list[int], since: dt.datetime) -> dict[int, int]:
    rows = (
        Invitation.objects.filter(
            customer_id__in=customer_ids, sent_at__gte=since, via=Invitation.Via.EMAIL
        )
        .order_by()
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )
    return dict(rows)


register_contact_counter(sent_since)


# --- One customer ----------------------------------------------------------------------------


def in_cooldown(survey: Survey, customer_id: int, now: dt.datetime) -> bool:
    if not survey.cooldown_days:
        return False
    since = now - dt.timedelta(days=survey.cooldown_days)
    return Invitation.objects.filter(
        customer_id=customer_id, survey=survey, created_at__gte=since, status__in=ASKED
    ).exists()


def invite(
    *,
    survey: Survey,
    customer: Customer,
    via: str = Invitation.Via.EMAIL,
    trigger: str = Trigger.MANUAL,
    ticket: Any = None,
    order: Any = None,
    about_user: User | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Invitation:
    """Invite `customer` to `survey`; the stored invitation says what happened (PENDING
    to be emailed, SENT for a link handed out, SKIPPED with `skip_reason`). A link
    invitation carries its answer address as `.url`."""
    now = now or timezone.now()
    if via not in Invitation.Via.values:
        raise ValidationFailed(
            _("Invite by email or by link."), details={"via": [_("Unknown way.")]}
        )
    if trigger not in Trigger.values:
        raise ValidationFailed(_("Unknown touchpoint."), details={"trigger": [trigger]})
    invitation = Invitation(
        survey=survey,
        customer=customer,
        via=via,
        trigger=trigger,
        ticket=ticket,
        order=order,
        about_user=about_user if about_user is not None else None,
        created_by=actor if actor is not None and actor.pk else None,
        created_at=now,
        nonce=new_nonce(),
        expires_at=now + dt.timedelta(days=survey.valid_days),
    )
    version = version_for(survey, customer.language)
    invitation.language = version.language if version else survey.default_language
    reason = ""
    if survey.status != Survey.Status.ACTIVE:
        reason = _("The survey is not active.")
    elif version is None:
        reason = _("The survey has no language version.")
    elif in_cooldown(survey, customer.pk, now):
        reason = _("Already invited to this survey in the last %(days)d days.") % {
            "days": survey.cooldown_days
        }
    elif via == Invitation.Via.EMAIL:
        decision = can_contact(customer, Channel.EMAIL, Purpose.SURVEYS, now)
        if decision.code == "quiet_hours" and decision.next_allowed_at:
            invitation.send_after = decision.next_allowed_at
        elif not decision.allowed:
            reason = decision.reason
        else:
            invitation.send_after = now
    if reason:
        invitation.status = Invitation.Status.SKIPPED
        invitation.skip_reason = reason[:300]
    elif via == Invitation.Via.LINK:
        # Handed out at once: it counts as sent (but not toward the email cap).
        invitation.status = Invitation.Status.SENT
        invitation.sent_at = now
    else:
        invitation.status = Invitation.Status.PENDING
    invitation.save()
    if via == Invitation.Via.LINK and invitation.status == Invitation.Status.SENT:
        invitation.url = answer_url(invitation)  # type: ignore[attr-defined]
    return invitation


def invite_by_staff(
    *,
    actor: User,
    survey: Survey,
    customer: Customer,
    via: str = Invitation.Via.LINK,
    now: dt.datetime | None = None,
) -> Invitation:
    """An invitation a staff member makes for a customer they may change (the customer
    page, the API): a link to hand out, or an email."""
    visibility.require_write(actor, customer)
    with transaction.atomic():
        invitation = invite(
            survey=survey,
            customer=customer,
            via=via,
            trigger=Trigger.MANUAL,
            about_user=actor,
            actor=actor,
            now=now,
        )
        audit_record(
            actor,
            AuditEntry.Action.CREATE,
            invitation,
            [{"field": "status", "old": None, "new": invitation.status}],
        )
    return invitation


# --- A whole segment -------------------------------------------------------------------------

REASONS = ("no_consent", "no_email", "cooldown", "frequency_cap", "other")


@dataclass
class SendReport:
    """What sending a survey to a segment does (dry run) or did."""

    survey_id: int
    segment_id: int
    dry_run: bool
    members: int = 0
    invite: int = 0
    delayed: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    created: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "survey_id": self.survey_id,
            "segment_id": self.segment_id,
            "dry_run": self.dry_run,
            "members": self.members,
            "would_invite": self.invite,
            "delayed_quiet_hours": self.delayed,
            "skipped": dict(self.skipped),
            "skipped_total": self.skipped_total,
            "created": self.created,
            "sample": self.sample,
        }


def reason_label(code: str) -> str:
    return {
        "invite": _("To be invited"),
        "quiet_hours": _("Delayed by quiet hours"),
        "no_consent": _("No consent to surveys by email"),
        "no_email": _("No email address"),
        "cooldown": _("Invited lately (cool-down)"),
        "frequency_cap": _("Frequency cap reached"),
        "other": _("Not allowed"),
    }.get(code, code)


def _classified(survey: Survey, segment: Segment, now: dt.datetime) -> QuerySet[Any]:
    """The segment's current memberships, in customer order (the `segment_members`
    index), each with its customer's set-based verdicts: consent to surveys by email, an
    email address, a cool-down, and whether preferences (quiet hours, a cap) need the
    full `can_contact` rule. Read from the memberships, so a batch is an index range, not
    a search of the whole customer table for members."""
    from patron.customers.models import Preferences
    from patron.segments.models import SegmentMembership

    customer = OuterRef("customer_id")
    consent = Consent.objects.filter(
        customer=customer,
        channel=Channel.EMAIL,
        purpose=Purpose.SURVEYS,
        status=Consent.Status.GRANTED,
    )
    email = ContactPoint.objects.filter(customer=customer, kind=ContactPoint.Kind.EMAIL)
    since = now - dt.timedelta(days=survey.cooldown_days)
    recent = Invitation.objects.filter(
        customer=customer, survey=survey, created_at__gte=since, status__in=ASKED
    )
    particular = Preferences.objects.filter(customer=customer).filter(
        Q(max_messages_per_30_days__isnull=False)
        | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False)
    )
    rows = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).annotate(
        has_consent=Exists(consent),
        has_email=Exists(email),
        particular=Exists(particular),
    )
    if survey.cooldown_days:
        rows = rows.annotate(cooled=Exists(recent))
    return rows.order_by("customer_id")


@dataclass(frozen=True)
class Verdict:
    customer_id: int
    name: str
    language: str
    code: str
    send_after: dt.datetime | None = None
    reason: str = ""


def _verdicts(survey: Survey, segment: Segment, now: dt.datetime) -> list[Verdict]:
    """The verdict of every member, in customer order, read in batches of plain rows: the
    simple cases decided by the query, customers with quiet hours or a cap by
    `can_contact` (their consents, contact points and preferences read with them)."""
    out: list[Verdict] = []
    columns = [
        "customer_id",
        "customer__display_name",
        "customer__language",
        "has_consent",
        "has_email",
        "particular",
    ]
    if survey.cooldown_days:
        columns.append("cooled")
    rows = _classified(survey, segment, now).values_list(*columns)
    last = 0
    while True:
        batch = list(rows.filter(customer_id__gt=last)[:READ_BATCH])
        if not batch:
            # In customer order, whichever way each was decided.
            return sorted(out, key=lambda verdict: verdict.customer_id)
        last = batch[-1][0]
        hard = []
        for pk, name, language, consent, email, particular, *cooled in batch:
            if cooled and cooled[0]:
                out.append(Verdict(pk, name, language, "cooldown"))
            elif not consent:
                out.append(Verdict(pk, name, language, "no_consent"))
            elif not email:
                out.append(Verdict(pk, name, language, "no_email"))
            elif particular:
                hard.append(pk)
            else:
                out.append(Verdict(pk, name, language, "invite", now))
        if hard:
            full = (
                Customer.objects.filter(pk__in=hard)
                .select_related("preferences")
                .prefetch_related("consents", "contact_points")
                .order_by("pk")
            )
            # can_contact's window: the 30 days before `now`.
            since = now - dt.timedelta(days=30)
            token = _READ_AHEAD.set((since, _sent_counts(hard, since)))
            try:
                decisions = [
                    (customer, can_contact(customer, Channel.EMAIL, Purpose.SURVEYS, now))
                    for customer in full
                ]
            finally:
                _READ_AHEAD.reset(token)
            for customer, decision in decisions:
                code, after = decision.code, None
                if decision.allowed:
                    code, after = "invite", now
                elif code == "quiet_hours":
                    after = decision.next_allowed_at
                elif code == "unreachable":
                    code = "no_email"
                elif code not in REASONS:
                    code = "other"
                reason = "" if decision.allowed else decision.reason
                out.append(
                    Verdict(
                        customer.pk, customer.display_name, customer.language, code, after, reason
                    )
                )


# The columns a segment's invitations are written with (the others are null).
_FIELDS = (
    "survey",
    "customer",
    "via",
    "status",
    "skip_reason",
    "language",
    "nonce",
    "trigger",
    "created_by",
    "created_at",
    "send_after",
    "expires_at",
    "message_id",
)


def _insert(rows: list[tuple[Any, ...]]) -> int:
    """Write invitations as plain rows (`patron.core.bulk`: one prepared statement on
    SQLite, COPY on PostgreSQL): a segment of tens of thousands in about a second, where
    building model instances and their SQL (bulk_create) took most of the time."""
    bulk.insert_rows(Invitation, _FIELDS, [(*row, "") for row in rows])
    return len(rows)


def send_to_segment(
    *,
    survey: Survey,
    segment: Segment,
    actor: User | None,
    dry_run: bool = True,
    now: dt.datetime | None = None,
    sample: int = SAMPLE,
) -> SendReport:
    """Invite by email every current member of `segment` to `survey`; with `dry_run`,
    only count what would happen. Refused customers are stored as SKIPPED invitations
    (with the reason) when it is for real; the others are PENDING, emailed by the
    sending job."""
    require_edit(actor)
    now = now or timezone.now()
    if survey.status != Survey.Status.ACTIVE:
        raise ValidationFailed(
            _("Activate the survey “%(name)s” before sending it.") % {"name": survey.name},
            details={"survey": [_("Not active.")]},
        )
    verdicts = _verdicts(survey, segment, now)
    report = SendReport(survey_id=survey.pk, segment_id=segment.pk, dry_run=dry_run)
    report.members = len(verdicts)
    counts = Counter(verdict.code for verdict in verdicts)
    report.invite = counts["invite"]
    report.delayed = counts["quiet_hours"]
    for code in REASONS:
        report.skipped[code] = counts[code]
    report.sample = [
        {
            "customer_id": v.customer_id,
            "name": v.name,
            "outcome": v.code,
            "label": reason_label(v.code),
        }
        for v in verdicts[:sample]
    ]
    if dry_run:
        return report
    cooldown_text = _("Already invited to this survey in the last %(days)d days.") % {
        "days": survey.cooldown_days
    }
    texts = {
        "no_consent": _("No consent recorded for this channel and purpose."),
        "no_email": _("No contact point for this channel."),
        "cooldown": cooldown_text,
    }
    expires = now + dt.timedelta(days=survey.valid_days)
    # The versions read once, each customer language resolved once.
    versions = Survey.objects.prefetch_related("versions").get(pk=survey.pk)
    languages: dict[str, str] = {}

    def language_of(spoken: str) -> str:
        code = spoken or ""
        if code not in languages:
            version = version_for(versions, code)
            languages[code] = version.language if version else survey.default_language
        return languages[code]

    with transaction.atomic():
        creator = actor.pk if actor is not None and actor.pk else None
        rows: list[tuple[Any, ...]] = []
        for verdict in verdicts:
            asked = verdict.code in ("invite", "quiet_hours")
            rows.append(
                (
                    survey.pk,
                    verdict.customer_id,
                    Invitation.Via.EMAIL.value,
                    (Invitation.Status.PENDING if asked else Invitation.Status.SKIPPED).value,
                    "" if asked else (verdict.reason or texts.get(verdict.code, ""))[:300],
                    language_of(verdict.language),
                    new_nonce(),
                    Trigger.MANUAL.value,
                    creator,
                    now,
                    verdict.send_after if asked else None,
                    expires,
                )
            )
            if len(rows) >= BATCH:
                report.created += _insert(rows)
                rows = []
        if rows:
            report.created += _insert(rows)
        audit_record(
            actor,
            AuditEntry.Action.CREATE,
            survey,
            [
                {"field": "sent_to_segment", "old": None, "new": segment.pk},
                {"field": "invited", "old": None, "new": report.invite + report.delayed},
                {"field": "skipped", "old": None, "new": report.skipped_total},
            ],
        )
    return report
