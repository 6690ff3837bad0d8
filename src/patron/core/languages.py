"""The language cookie, set the same way wherever a language is chosen."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse


def language_cookie_set(response: HttpResponse, code: str) -> HttpResponse:
    """Remember `code` in the browser, so pages before sign-in speak it too."""
    if code:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response
