"""The public survey pages: answer, thank you, unsubscribe. No sign-in: the invitation's
signed token is the key (feedback/tokens.py).

Each page is in the invitation's language (its survey version's, right-to-left where
that language is), or, when the token names no invitation, the browser's. A refused
token gets a page saying why and what to do: 404 for a link we did not make or an
invitation that is gone, 410 for an expired one, 409 "already answered — thank you" for
one that was used. Token pages are never cached and send no referrer to other sites
(the token is in the address). Posts and refused links count against the per-address rate limit.
"""

from __future__ import annotations

import functools
import secrets
import zoneinfo
from collections.abc import Callable
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from patron.core.errors import Conflict, Throttled, ValidationFailed
from patron.feedback import ratelimit, tokens
from patron.feedback.models import Invitation, Question, SurveyVersion
from patron.feedback.responding import SCORE_RANGES, LinkExpired, submit_response

Kind = Question.Kind
REFUSED_STATUS = {"forged": 404, "unknown": 404, "expired": 410, "used": 409}


def _public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The headers every token page carries: the token stays out of caches, other
    sites' referrers and search engines.

    "same-origin", not "no-referrer": under no-referrer the browser sends `Origin: null`
    with the form's POST, and Django's CSRF check refuses it. Same-origin sends the
    address to us only, which has it already."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def business_name() -> str:
    """Whom the customer is answering: PATRON_BUSINESS_NAME, else the display name of the
    address our mail comes from."""
    name = (
        getattr(settings, "PATRON_BUSINESS_NAME", "") or parseaddr(settings.DEFAULT_FROM_EMAIL)[0]
    )
    return name or "Patron"


def _support_address() -> str:
    return parseaddr(getattr(settings, "PATRON_SUPPORT_EMAIL", "") or "")[1]


def _signed(token: str) -> Invitation | None:
    """The invitation a token with a good signature names, whatever its state (used,
    expired): enough to pick the page's language and to unsubscribe."""
    try:
        value = signing.Signer(salt=tokens.SALT, sep=".").unsign(token or "")
    except signing.BadSignature:
        return None
    ident, _sep, nonce = value.partition(".")
    if not ident.isdigit() or len(ident) > 18:
        return None
    invitation = (
        Invitation.objects.select_related("survey", "customer")
        .prefetch_related("survey__versions")
        .filter(pk=int(ident))
        .first()
    )
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        return None
    return invitation


def _version(invitation: Invitation | None) -> SurveyVersion | None:
    if invitation is None:
        return None
    return tokens.version_for(invitation.survey, invitation.language)


def _language(request: HttpRequest, version: SurveyVersion | None, invitation: Any) -> str:
    """The version's language (so texts and page agree), the invitation's, the browser's."""
    candidates = [
        version.language if version else "",
        invitation.language if invitation else "",
        getattr(request, "LANGUAGE_CODE", "") or "",
    ]
    for code in candidates:
        if not code:
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {"business_name": business_name(), "support_address": _support_address(), **context}
    return render(request, f"feedback/public/{template}", context, status=status)


def _refused(
    request: HttpRequest,
    code: str,
    message: str,
    invitation: Invitation | None,
    version: SurveyVersion | None,
) -> HttpResponse:
    return _page(
        request,
        "refused.html",
        {"code": code, "message": message, "invitation": invitation, "version": version},
        status=REFUSED_STATUS.get(code, 404),
    )


def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = _page(request, "throttled.html", {"message": exc.message}, status=429)
    response["Retry-After"] = str(exc.details.get("retry_after", 3600))
    return response


def _zone(name: str) -> zoneinfo.ZoneInfo:
    """Dates on the page (the link's last day) are in the customer's time zone."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _in_language(
    view: Callable[[HttpRequest, str, Invitation | None, SurveyVersion | None], HttpResponse],
) -> Callable[[HttpRequest, str], HttpResponse]:
    """Reads the token's invitation (if its signature holds) and runs the view in the
    page's language."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        invitation = _signed(token)
        version = _version(invitation)
        language = _language(request, version, invitation)
        zone = _zone(invitation.customer.time_zone if invitation else "")
        with translation.override(language), timezone.override(zone):
            request.LANGUAGE_CODE = language
            return view(request, token, invitation, version)

    return wrapper


# --- The answer page ------------------------------------------------------------------


def _default_text(kind: str) -> str:
    return {
        Kind.NPS: _("How likely are you to recommend us to a friend or colleague?"),
        Kind.CSAT: _("How satisfied are you with us?"),
        Kind.CES: _("How easy was it to get what you needed?"),
    }.get(kind, "")


def _end_labels(kind: str) -> tuple[str, str]:
    return {
        Kind.NPS: (_("Not at all likely"), _("Extremely likely")),
        Kind.CSAT: (_("Very dissatisfied"), _("Very satisfied")),
        Kind.CES: (_("Very easy"), _("Very difficult")),
    }.get(kind, ("", ""))


def questions_for_page(
    questions: list[Question],
    version: SurveyVersion | None,
    posted: dict[str, str],
    errors: dict[str, list[str]],
) -> list[dict[str, Any]]:
    """What the template shows for each question: its texts from the language version,
    the options of a scale or choice, what the customer posted, and its error."""
    texts_by_key = (version.questions or {}) if version else {}
    shown = []
    for question in questions:
        texts = texts_by_key.get(question.key) or {}
        if not isinstance(texts, dict):
            texts = {}
        entry: dict[str, Any] = {
            "key": question.key,
            "name": f"q-{question.key}",
            "id": f"q-{question.key}",
            "kind": question.kind,
            "text": texts.get("text") or _default_text(question.kind) or question.key,
            "help": texts.get("help") or "",
            "required": question.required,
            "value": posted.get(question.key, ""),
            "error": " ".join(str(e) for e in errors.get(question.key, [])),
        }
        if question.kind in SCORE_RANGES or question.kind == Kind.SCALE:
            if question.kind in SCORE_RANGES:
                low, high = SCORE_RANGES[question.kind]
            else:
                low = question.scale_min if question.scale_min is not None else 1
                high = question.scale_max if question.scale_max is not None else 5
            default_low, default_high = _end_labels(question.kind)
            entry.update(
                widget="scale",
                options=[str(n) for n in range(low, high + 1)],
                columns=min(high - low + 1, 11),
                low_label=texts.get("low") or default_low,
                high_label=texts.get("high") or default_high,
            )
        elif question.kind == Kind.CHOICE:
            labels = texts.get("choices") or {}
            if not isinstance(labels, dict):
                labels = {}
            entry.update(
                widget="choice",
                options=[(key, labels.get(key) or key) for key in question.choices or []],
            )
        else:
            entry.update(widget="text")
        shown.append(entry)
    return shown


def _answer_page(
    request: HttpRequest,
    invitation: Invitation,
    version: SurveyVersion | None,
    token: str,
    *,
    posted: dict[str, str] | None = None,
    comment: str = "",
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    questions = list(invitation.survey.questions.all())
    shown = questions_for_page(questions, version, posted or {}, errors)
    error_list = [
        {"id": entry["id"], "text": entry["text"], "error": entry["error"]}
        for entry in shown
        if entry["error"]
    ]
    comment_error = " ".join(str(e) for e in errors.get("comment", []))
    if comment_error:
        error_list.append({"id": "comment", "text": _("Your reason"), "error": comment_error})
    return _page(
        request,
        "answer.html",
        {
            "invitation": invitation,
            "survey": invitation.survey,
            "version": version,
            "title": (version.title if version else "") or invitation.survey.name,
            "questions": shown,
            "why": (version.why if version else "")
            or _("What is the main reason for your answer?"),
            "comment": comment,
            "comment_error": comment_error,
            "error_list": error_list,
            "token": token,
            "text_max": 2000,
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@_public
@_in_language
def answer(
    request: HttpRequest, token: str, signed: Invitation | None, version: SurveyVersion | None
) -> HttpResponse:
    client = ratelimit.client_address(request)
    if request.method == "POST" or signed is None:
        try:
            ratelimit.attempt(client)
        except Throttled as exc:
            return _throttled(request, exc)
    try:
        invitation = tokens.read_token(token)
    except tokens.TokenRefused as refused:
        return _refused(request, refused.code, refused.message, signed, version)
    if request.method != "POST":
        # GET only: a HEAD (a link checker) is not the customer opening the page.
        if invitation.opened_at is None and request.method == "GET":
            now = timezone.now()
            Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
                opened_at=now
            )
        return _answer_page(request, invitation, version, token)
    questions = list(invitation.survey.questions.all())
    posted = {q.key: request.POST.get(f"q-{q.key}", "") for q in questions}
    comment = request.POST.get("comment", "")
    try:
        submit_response(invitation=invitation, answers=posted, comment=comment, client=client)
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        return _answer_page(
            request,
            invitation,
            version,
            token,
            posted=posted,
            comment=comment,
            errors=details,
            status=422,
        )
    except LinkExpired as exc:
        return _refused(request, "expired", exc.message, invitation, version)
    except Conflict:
        message = _("You have already answered this survey. Thank you for your feedback.")
        return _refused(request, "used", message, invitation, version)
    return redirect("survey_public:thanks", token=token)


@require_http_methods(["GET", "HEAD"])
@_public
@_in_language
def thanks(
    request: HttpRequest, token: str, signed: Invitation | None, version: SurveyVersion | None
) -> HttpResponse:
    if signed is None:
        try:
            ratelimit.attempt(ratelimit.client_address(request))
        except Throttled as exc:
            return _throttled(request, exc)
        return _refused(request, "forged", _("This survey link is not valid."), None, None)
    if signed.responded_at is None:
        return redirect("survey_public:answer", token=token)
    return _page(
        request,
        "thanks.html",
        {
            "invitation": signed,
            "version": version,
            "title": (version.title if version else "") or signed.survey.name,
            "thank_you": (version.thank_you if version else "")
            or _("Thank you for your answers. They help us do better."),
            "token": token,
        },
    )


# --- Unsubscribe ----------------------------------------------------------------------


def _surveys_declined(invitation: Invitation) -> bool:
    from patron.customers.models import Channel, Consent, Purpose

    return (
        Consent.objects.filter(
            customer_id=invitation.customer_id, channel=Channel.EMAIL, purpose=Purpose.SURVEYS
        )
        .exclude(status=Consent.Status.GRANTED)
        .exists()
    )


def _unsubscribe_from_surveys(invitation: Invitation) -> None:
    """Withdraw a consent given (or record the refusal when none was): idempotent, so a
    second click neither changes nor re-audits anything."""
    from patron.customers.models import Channel, Consent, Purpose
    from patron.customers.services import consent_set

    if _surveys_declined(invitation):
        return
    had_consent = Consent.objects.filter(
        customer_id=invitation.customer_id, channel=Channel.EMAIL, purpose=Purpose.SURVEYS
    ).exists()
    consent_set(
        actor=None,
        customer=invitation.customer,
        channel=Channel.EMAIL,
        purpose=Purpose.SURVEYS,
        status=Consent.Status.WITHDRAWN if had_consent else Consent.Status.DENIED,
        source="survey unsubscribe link",
        evidence=f"invitation {invitation.pk}",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@_public
@_in_language
def unsubscribe(
    request: HttpRequest, token: str, signed: Invitation | None, version: SurveyVersion | None
) -> HttpResponse:
    if request.method == "POST" or signed is None:
        try:
            ratelimit.attempt(ratelimit.client_address(request))
        except Throttled as exc:
            return _throttled(request, exc)
    if signed is None:
        message = _("This link is not valid. Please use the link you received.")
        return _refused(request, "forged", message, None, None)
    if request.method == "POST":
        _unsubscribe_from_surveys(signed)
        return _page(request, "unsubscribed.html", {"invitation": signed, "token": token})
    return _page(
        request,
        "unsubscribe.html",
        {"invitation": signed, "token": token, "already": _surveys_declined(signed)},
    )
