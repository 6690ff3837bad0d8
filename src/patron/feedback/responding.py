"""Taking a customer's answers: validate them per question, keep the response with its
score, band and the owner/team/tier of the moment, count it in the results' roll-ups,
and, for a low score, open the closed loop (a follow-up ticket for the customer's owner,
a signal for a detractor, a word to the employee the feedback was about).

Everything happens in one transaction: a response without its roll-up, its ticket or its
answered invitation is never seen. The first valid answer to an invitation wins: the
invitation row is locked (`select_for_update`) and `Response.invitation` is unique, so a
second submission, even a simultaneous one, is refused with AlreadyAnswered.

Closed loop (decision 0024): NPS 0-6, CSAT 1-2 and CES 6-7 (the "unfavourable" band)
open a ticket of type complaint at normal priority. The default SLA policies give every
complaint a first response within 24 wall-clock hours (4 hours for the most valuable
customers); a "high" priority would pick the business-hours policy instead, which
stretches over weekends. The loop closes when an agent's reply is logged on that ticket
(feedback/loop.py).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from patron.core.audit import audit_create
from patron.core.errors import Conflict, ValidationFailed
from patron.feedback.models import Invitation, Question, Response, Survey, SurveyVersion

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.customers.models import Customer

Kind = Question.Kind
Band = Response.Band

# The score questions and their ranges.
SCORE_RANGES: dict[str, tuple[int, int]] = {Kind.NPS: (0, 10), Kind.CSAT: (1, 5), Kind.CES: (1, 7)}
SCORE_NAMES = {Kind.NPS: "NPS", Kind.CSAT: "CSAT", Kind.CES: "CES"}
TEXT_MAX = 2000


class AlreadyAnswered(Conflict):
    code = "already_answered"


class LinkExpired(Conflict):
    code = "expired"
    status = 410


def band_for(kind: str, score: int | None) -> str:
    """NPS 9-10 / 7-8 / 0-6, CSAT 4-5 / 3 / 1-2, CES (1 easy … 7 hard) 1-2 / 3-5 / 6-7."""
    if score is None or kind not in SCORE_RANGES:
        return ""
    if kind == Kind.NPS:
        return Band.FAVOURABLE if score >= 9 else Band.NEUTRAL if score >= 7 else Band.UNFAVOURABLE
    if kind == Kind.CSAT:
        return Band.FAVOURABLE if score >= 4 else Band.NEUTRAL if score == 3 else Band.UNFAVOURABLE
    return Band.FAVOURABLE if score <= 2 else Band.NEUTRAL if score <= 5 else Band.UNFAVOURABLE


def score_question(questions: list[Question]) -> Question | None:
    return next((q for q in questions if q.kind in SCORE_RANGES), None)


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 12:
        return int(value.strip())
    raise ValueError


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _bounds(question: Question) -> tuple[int, int]:
    if question.kind in SCORE_RANGES:
        return SCORE_RANGES[question.kind]
    low = question.scale_min if question.scale_min is not None else 1
    high = question.scale_max if question.scale_max is not None else 5
    return low, high


def _clean_text(value: Any, field: str, errors: dict[str, list[str]]) -> str:
    if not isinstance(value, str):
        errors[field] = [_("Write your answer as text.")]
        return ""
    text = value.replace("\r\n", "\n").strip()
    if len(text) > TEXT_MAX:
        errors[field] = [
            _("At most %(max)d characters (you wrote %(n)d).") % {"max": TEXT_MAX, "n": len(text)}
        ]
    elif "\x00" in text:
        errors[field] = [_("Remove the null character from this text.")]
    return text


def validate_answers(
    questions: list[Question], answers: dict[str, Any], comment: Any = ""
) -> tuple[dict[str, Any], str]:
    """The answers cleaned (integers for scores and scales, choice keys, stripped text,
    unanswered optional questions left out) and the comment; ValidationFailed with
    messages keyed by question key (and "comment") in the active language."""
    if not isinstance(answers, dict):
        raise ValidationFailed(
            _("Answers are an object of question key to answer."),
            details={"answers": [_("Send an object.")]},
        )
    errors: dict[str, list[str]] = {}
    known = {q.key for q in questions}
    for key in answers:
        if key not in known:
            errors[str(key)] = [_("This survey has no question “%(key)s”.") % {"key": key}]
    cleaned: dict[str, Any] = {}
    for question in questions:
        value = answers.get(question.key)
        if _blank(value):
            if question.required:
                errors[question.key] = [_("Please answer this question.")]
            continue
        if question.kind in SCORE_RANGES or question.kind == Kind.SCALE:
            low, high = _bounds(question)
            try:
                number = _integer(value)
            except ValueError:
                number = None
            if number is None or not low <= number <= high:
                errors[question.key] = [
                    _("Choose a whole number from %(low)d to %(high)d.")
                    % {"low": low, "high": high}
                ]
                continue
            cleaned[question.key] = number
        elif question.kind == Kind.CHOICE:
            if not isinstance(value, str) or value not in (question.choices or []):
                errors[question.key] = [_("Choose one of the answers offered.")]
                continue
            cleaned[question.key] = value
        else:
            text = _clean_text(value, question.key, errors)
            if text:
                cleaned[question.key] = text
    comment_text = "" if _blank(comment) else _clean_text(comment, "comment", errors)
    if errors:
        raise ValidationFailed(
            _("Some answers need another look."),
            details={key: errors[key] for key in errors},
        )
    return cleaned, comment_text


def _tier(customer: Customer) -> str:
    from patron.analytics.models import CustomerMetrics

    tier = (
        CustomerMetrics.objects.filter(customer_id=customer.pk)
        .values_list("value_tier", flat=True)
        .first()
    )
    return tier or ""


def _question_text(version: SurveyVersion | None, question: Question) -> str:
    texts = (version.questions or {}).get(question.key, {}) if version else {}
    return str(texts.get("text") or question.key) if isinstance(texts, dict) else question.key


def _answer_text(version: SurveyVersion | None, question: Question, value: Any) -> str:
    if question.kind == Kind.CHOICE and version is not None:
        texts = (version.questions or {}).get(question.key, {})
        labels = texts.get("choices", {}) if isinstance(texts, dict) else {}
        if isinstance(labels, dict) and labels.get(value):
            return str(labels[value])
    return str(value)


def _follow_up_texts(
    response: Response, questions: list[Question], scored: Question
) -> tuple[str, str]:
    """The follow-up ticket's subject and body, in the active language (the owner's)."""
    from patron.feedback.tokens import version_for

    survey = response.survey
    version = version_for(survey, translation.get_language())
    name = SCORE_NAMES[scored.kind]
    subject = _("Follow up: %(kind)s %(score)d from %(survey)s") % {
        "kind": name,
        "score": response.score,
        "survey": survey.name,
    }
    low, high = SCORE_RANGES[scored.kind]
    lines = [
        _("%(customer)s answered the survey “%(survey)s” on %(when)s.")
        % {
            "customer": response.customer.display_name,
            "survey": survey.name,
            "when": formats.date_format(
                timezone.localtime(response.submitted_at), "DATETIME_FORMAT"
            ),
        },
        _("Score: %(score)d (%(kind)s, %(low)d to %(high)d).")
        % {"score": response.score, "kind": name, "low": low, "high": high},
    ]
    for question in questions:
        if question is scored or question.key not in response.answers:
            continue
        value = _answer_text(version, question, response.answers[question.key])
        lines.append(f"{_question_text(version, question)}: {value}")
    if response.comment:
        lines += ["", _("Why, in the customer's words:"), response.comment]
    else:
        lines.append(_("The customer gave no reason."))
    lines += [
        "",
        _("Answer the customer: the loop is closed when your reply is logged on this ticket."),
    ]
    return subject[:255], "\n".join(lines)


def _open_loop(response: Response, questions: list[Question], scored: Question) -> None:
    from patron.analytics.models import Signal
    from patron.analytics.signal_events import raise_signal
    from patron.interactions.models import Channel
    from patron.service.models import TicketPriority, TicketType
    from patron.service.services import ticket_create

    customer = response.customer
    owner = customer.owner
    # Written for the owner: in their language, the answer's time in their time zone.
    with (
        translation.override((owner.language if owner else "") or None),
        timezone.override((owner.time_zone if owner else "") or settings.TIME_ZONE),
    ):
        subject, body = _follow_up_texts(response, questions, scored)
    ticket = ticket_create(
        actor=None,
        customer=customer,
        subject=subject,
        body=body,
        type=TicketType.COMPLAINT,
        priority=TicketPriority.NORMAL,
        channel=Channel.WEB,
        # No owner given: the customer's, unless they left or only read (then the team's).
        source="survey",
        at=response.submitted_at,
    )
    response.loop = Response.Loop.OPEN
    response.follow_up_ticket = ticket
    response.save(update_fields=["loop", "follow_up_ticket"])
    if scored.kind == Kind.NPS:
        raise_signal(
            customer=customer,
            kind=Signal.Kind.DETRACTOR,
            details={
                "score": response.score,
                "survey": response.survey.name,
                "response_id": response.pk,
            },
            due_days=1,
            now=response.submitted_at,
        )


def _tell_the_employee(response: Response, about: User | None) -> None:
    """The employee whose contact the feedback is about sees it too."""
    from patron.interactions.models import Notification

    if about is None or not about.is_active:
        return
    with translation.override(about.language or None):
        if response.score is not None:
            text = _("%(customer)s gave %(score)d in “%(survey)s” about your contact")
        else:
            text = _("%(customer)s answered “%(survey)s” about your contact")
        text = text % {
            "customer": response.customer.display_name,
            "score": response.score or 0,
            "survey": response.survey.name,
        }
        if response.comment:
            text += _(": “%(comment)s”") % {"comment": response.comment[:150]}
    Notification.objects.create(
        recipient=about,
        kind=Notification.Kind.FEEDBACK,
        text=text[:300],
        url=reverse("customers:detail", args=[response.customer_id]),
        customer=response.customer,
    )


def _record(
    *,
    survey: Survey,
    customer: Customer,
    invitation: Invitation | None,
    answers: dict[str, Any],
    comment: Any,
    language: str,
    trigger: str,
    now: dt.datetime,
    actor: User | None,
) -> Response:
    from patron.feedback.results import rollup_add

    questions = list(survey.questions.all())
    cleaned, comment_text = validate_answers(questions, answers, comment)
    scored = score_question(questions)
    score = cleaned.get(scored.key) if scored is not None else None
    response = Response(
        invitation=invitation,
        survey=survey,
        customer=customer,
        submitted_at=now,
        language=(language or "")[:8],
        score=score,
        band=band_for(scored.kind, score) if scored is not None else "",
        comment=comment_text,
        answers=cleaned,
        trigger=trigger,
        owner_id=customer.owner_id,
        team_id=customer.team_id,
        value_tier=_tier(customer),
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:  # another submission for this invitation got there first
        raise AlreadyAnswered(_("This survey has already been answered.")) from exc
    if invitation is not None:
        invitation.status = Invitation.Status.RESPONDED
        invitation.responded_at = now
        invitation.opened_at = invitation.opened_at or now
        invitation.save(update_fields=["status", "responded_at", "opened_at"])
    rollup_add(response)
    audit_create(actor=actor, instance=response)
    if scored is not None and response.band == Band.UNFAVOURABLE:
        _open_loop(response, questions, scored)
    _tell_the_employee(response, invitation.about_user if invitation is not None else None)
    return response


def _locked(invitation: Invitation, now: dt.datetime, *, check_expiry: bool) -> Invitation:
    locked = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("survey", "customer__owner", "about_user")
        .get(pk=invitation.pk)
    )
    if locked.responded_at is not None or Response.objects.filter(invitation=locked).exists():
        raise AlreadyAnswered(_("This survey has already been answered. Thank you."))
    if check_expiry and locked.expires_at <= now:
        raise LinkExpired(_("This survey link has expired."))
    return locked


def submit_response(
    *,
    invitation: Invitation,
    answers: dict[str, Any],
    comment: str = "",
    client: str = "",
    now: dt.datetime | None = None,
) -> Response:
    """The customer's answers to `invitation` from the public page (`client`: their
    address, kept out of the response; the rate limit has counted it already)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(invitation, now, check_expiry=True)
        return _record(
            survey=locked.survey,
            customer=locked.customer,
            invitation=locked,
            answers=answers,
            comment=comment,
            language=locked.language,
            trigger=locked.trigger,
            now=now,
            actor=None,
        )


def response_enter(
    *,
    actor: User,
    answers: dict[str, Any],
    comment: str = "",
    invitation: Invitation | None = None,
    survey: Survey | None = None,
    customer: Customer | None = None,
    language: str = "",
    submitted_at: dt.datetime | None = None,
) -> Response:
    """Staff entering a response given by phone or on paper: for an invitation (even an
    expired one: paper comes back late), or for a customer and a survey without one.
    Validated like the public page; the actor must be able to change the customer."""
    from patron.core import visibility

    now = timezone.now()
    at = submitted_at or now
    if at > now + dt.timedelta(minutes=5):
        raise ValidationFailed(
            _("A response cannot be answered in the future."),
            details={"submitted_at": [_("Give a time in the past.")]},
        )
    with transaction.atomic():
        if invitation is not None:
            visibility.require_write(actor, invitation.customer)
            locked = _locked(invitation, at, check_expiry=False)
            return _record(
                survey=locked.survey,
                customer=locked.customer,
                invitation=locked,
                answers=answers,
                comment=comment,
                language=language or locked.language,
                trigger=locked.trigger,
                now=at,
                actor=actor,
            )
        if survey is None or customer is None:
            raise ValidationFailed(
                _("Give an invitation, or a survey and a customer."),
                details={"invitation_id": [_("Give an invitation, or a survey and a customer.")]},
            )
        visibility.require_write(actor, customer)
        from patron.feedback.models import Trigger

        return _record(
            survey=survey,
            customer=customer,
            invitation=None,
            answers=answers,
            comment=comment,
            language=language or customer.language or survey.default_language,
            trigger=Trigger.MANUAL,
            now=at,
            actor=actor,
        )
