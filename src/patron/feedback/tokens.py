"""The signed token of a survey invitation, and the language version it is answered in.

A token is `<invitation id>.<nonce>.<signature>` signed with Django's signing (salt of our
own, so a token of another feature never passes here). The signature proves we made it;
the invitation row decides whether it is still good: the nonce must match (a token of a
re-issued invitation stops working), `expires_at` must not have passed, and the
invitation must not have been answered yet.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.feedback.models import Invitation, Survey, SurveyVersion

SALT = "patron.feedback.invitation-token"
_SEP = "."


class TokenRefused(Exception):
    """The token cannot be used; `code` is one of forged, unknown, expired, used."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def new_nonce() -> str:
    """A fresh random nonce for an invitation (URL-safe, 16 characters)."""
    return secrets.token_urlsafe(12)


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=_SEP)


def make_token(invitation: Invitation) -> str:
    """The URL-safe token that names `invitation` on the public pages."""
    return _signer().sign(f"{invitation.pk}{_SEP}{invitation.nonce}")


def read_token(token: str, *, now: dt.datetime | None = None) -> Invitation:
    """The invitation `token` names, if it is still good; else TokenRefused."""
    try:
        value = _signer().unsign(token or "")
    except signing.BadSignature:
        raise TokenRefused(
            "forged", _("This survey link is not valid. Please use the link you received.")
        ) from None
    ident, _sep, nonce = value.partition(_SEP)
    if not ident.isdigit():
        raise TokenRefused("forged", _("This survey link is not valid."))
    invitation = (
        Invitation.objects.select_related("survey", "customer").filter(pk=int(ident)).first()
    )
    if invitation is None:
        raise TokenRefused("unknown", _("This survey invitation no longer exists."))
    if not secrets.compare_digest(invitation.nonce, nonce):
        raise TokenRefused(
            "forged", _("This survey link is not valid. Please use the link you received.")
        )
    if invitation.responded_at is not None:
        raise TokenRefused(
            "used", _("You have already answered this survey. Thank you for your feedback.")
        )
    if invitation.expires_at <= (now or timezone.now()):
        raise TokenRefused(
            "expired", _("This survey link has expired. Thank you for your interest.")
        )
    return invitation


def answer_url(invitation: Invitation) -> str:
    """The absolute address of the public answer page of `invitation`."""
    path = reverse("survey_public:answer", args=[make_token(invitation)])
    return settings.PATRON_BASE_URL + path


def unsubscribe_url(invitation: Invitation) -> str:
    """The absolute address of the "unsubscribe from surveys" page of `invitation`."""
    path = reverse("survey_public:unsubscribe", args=[make_token(invitation)])
    return settings.PATRON_BASE_URL + path


def _versions(survey: Survey) -> list[SurveyVersion]:
    cached = getattr(survey, "_prefetched_objects_cache", {}).get("versions")
    return list(cached) if cached is not None else list(survey.versions.all())


def version_for(survey: Survey, language: str | None) -> SurveyVersion | None:
    """The version of `survey` a customer speaking `language` reads: the language itself
    ("pt-BR"), else its base language ("pt"), else the survey's default language, else
    any version. None only if the survey has no version at all."""
    versions = {v.language.lower(): v for v in _versions(survey)}
    wanted = (language or "").strip().replace("_", "-").lower()
    candidates = [wanted, wanted.split("-")[0], (survey.default_language or "").lower()]
    for code in candidates:
        if code and code in versions:
            return versions[code]
    return next(iter(versions.values()), None)
