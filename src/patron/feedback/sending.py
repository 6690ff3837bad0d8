"""Emailing survey invitations: `send_pending` sends the PENDING email invitations whose
`send_after` has come, asking `can_contact` again at that moment (consent may have been
withdrawn, the cap reached, or quiet hours begun since the invitation was made).

Each invitation is claimed (PENDING → SENT in one conditional UPDATE) before its mail
goes out, so two workers never send it twice; a mail that fails turns it FAILED with the
reason. At most `BATCH` invitations go per run (the job runs every minute).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from patron.customers.contactability import can_contact
from patron.customers.models import Channel, ContactPoint, Customer, Purpose
from patron.feedback.models import Invitation, SurveyVersion
from patron.feedback.services import fill
from patron.feedback.tokens import answer_url, unsubscribe_url, version_for

logger = logging.getLogger("patron.feedback")

BATCH = 500


def email_address(customer: Customer) -> str:
    """The customer's preferred email address ("" if none)."""
    rows = getattr(customer, "_prefetched_objects_cache", {}).get("contact_points")
    if rows is not None:
        emails = sorted(
            (p for p in rows if p.kind == ContactPoint.Kind.EMAIL),
            key=lambda p: (not p.preferred, p.pk),
        )
        return emails[0].value if emails else ""
    value = (
        ContactPoint.objects.filter(customer=customer, kind=ContactPoint.Kind.EMAIL)
        .order_by("-preferred", "id")
        .values_list("value", flat=True)
        .first()
    )
    return value or ""


def _greeting_name(customer: Customer) -> str:
    return customer.given_name or customer.display_name


def build_message(
    invitation: Invitation, version: SurveyVersion, to: str
) -> EmailMultiAlternatives:
    """The invitation email: the version's subject and text with {name}, {link} and
    {survey} filled in, a List-Unsubscribe header, and a simple HTML alternative."""
    link = answer_url(invitation)
    unsubscribe = unsubscribe_url(invitation)
    values = {
        "name": _greeting_name(invitation.customer),
        "link": link,
        "survey": version.title,
    }
    subject = " ".join(fill(version.email_subject, **values).split())[:200]
    body = fill(version.email_body, **values)
    with translation.override(invitation.language or settings.LANGUAGE_CODE):
        footer = _("To receive no more surveys from us: %(url)s") % {"url": unsubscribe}
        stop = _("Receive no more surveys")
        answer = _("Answer the survey")
    text = f"{body.rstrip()}\n\n--\n{footer}\n"
    rtl = (invitation.language or "").split("-")[0] in settings.LANGUAGES_BIDI
    paragraphs = "".join(
        "<p>"
        + html.escape(part)
        .replace(html.escape(link), f'<a href="{html.escape(link)}">{html.escape(answer)}</a>')
        .replace("\n", "<br>")
        + "</p>"
        for part in body.strip().split("\n\n")
    )
    direction = ' dir="rtl"' if rtl else ""
    page = (
        f'<!doctype html><html lang="{html.escape(invitation.language)}"{direction}>'
        f"<body>{paragraphs}"
        f'<hr><p><small><a href="{html.escape(unsubscribe)}">{html.escape(stop)}</a>'
        "</small></p></body></html>"
    )
    message_id = make_msgid(domain=settings.PATRON_MAIL_DOMAIN)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.PATRON_SUPPORT_EMAIL or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(page, "text/html")
    return message


def due(now: dt.datetime, limit: int = BATCH) -> list[Invitation]:
    return list(
        Invitation.objects.filter(status=Invitation.Status.PENDING, via=Invitation.Via.EMAIL)
        .filter(Q(send_after__lte=now) | Q(send_after__isnull=True))
        .select_related("survey", "customer", "customer__preferences")
        .prefetch_related("survey__versions", "customer__consents", "customer__contact_points")
        .order_by("send_after", "id")[:limit]
    )


def _update(invitation: Invitation, **fields: object) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(**fields)
    for key, value in fields.items():
        setattr(invitation, key, value)


def send_one(invitation: Invitation, *, now: dt.datetime, connection: object) -> str:
    """Send `invitation` if still allowed; returns its new status."""
    if invitation.expires_at <= now:
        _update(
            invitation,
            status=Invitation.Status.SKIPPED,
            skip_reason=_("Expired before it could be sent."),
        )
        return invitation.status
    decision = can_contact(invitation.customer, Channel.EMAIL, Purpose.SURVEYS, now)
    if decision.code == "quiet_hours" and decision.next_allowed_at:
        _update(invitation, send_after=decision.next_allowed_at)
        return invitation.status
    if not decision.allowed:
        _update(invitation, status=Invitation.Status.SKIPPED, skip_reason=decision.reason[:300])
        return invitation.status
    version = version_for(invitation.survey, invitation.language)
    to = email_address(invitation.customer)
    if version is None or not to:
        _update(
            invitation,
            status=Invitation.Status.SKIPPED,
            skip_reason=_("The survey has no language version.")
            if version is None
            else _("No email address."),
        )
        return invitation.status
    message = build_message(invitation, version, to)
    claimed = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.SENT, sent_at=now, message_id=message.extra_headers["Message-ID"]
    )
    if not claimed:
        return Invitation.Status.SENT  # another worker took it
    try:
        connection.send_messages([message])  # type: ignore[attr-defined]
    except Exception as exc:  # any mail failure is recorded, the batch goes on
        logger.warning("survey invitation %s not sent: %s", invitation.pk, exc)
        _update(
            invitation,
            status=Invitation.Status.FAILED,
            sent_at=None,
            skip_reason=(_("Sending failed: %(error)s") % {"error": exc})[:300],
        )
        return invitation.status
    invitation.status = Invitation.Status.SENT
    invitation.sent_at = now
    invitation.message_id = message.extra_headers["Message-ID"]
    return invitation.status


def send_pending(*, now: dt.datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    """Send the email invitations that are due; returns how many ended in each status."""
    now = now or timezone.now()
    rows = due(now, limit)
    counts: dict[str, int] = {}
    if not rows:
        return counts
    connection = get_connection()
    try:
        connection.open()
    except OSError:
        # The mail server is away: everything stays PENDING for the next run.
        logger.exception("survey invitations: mail server unreachable")
        return {"unreachable": len(rows)}
    try:
        for invitation in rows:
            try:
                status = send_one(invitation, now=now, connection=connection)
            except Exception:  # one bad row must not stop the others
                logger.exception("survey invitation %s", invitation.pk)
                status = "error"
            counts[status] = counts.get(status, 0) + 1
    finally:
        connection.close()
    return counts
