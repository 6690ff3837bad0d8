"""Customer languages: any language CLDR knows, stored as a BCP 47 tag ("fr", "pt-BR")."""

from __future__ import annotations

import functools

from babel import Locale, UnknownLocaleError
from django.utils.translation import get_language


@functools.lru_cache(maxsize=4096)
def normalize_language(value: str) -> str | None:
    """The canonical tag for `value` ("PT_br" → "pt-BR"), or None if unknown."""
    text = (value or "").strip().replace("_", "-")
    if not text or len(text) > 16:
        return None
    try:
        locale = Locale.parse(text, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return "-".join(p for p in (locale.language, locale.script, locale.territory) if p)


@functools.lru_cache(maxsize=4096)
def _name(code: str, ui_language: str) -> str:
    try:
        locale = Locale.parse(code, sep="-")
        return locale.get_display_name(Locale.parse(ui_language, sep="-")) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def language_name(code: str) -> str:
    """The language's name in the current UI language ("Armenian", "հայերեն" ...)."""
    if not code:
        return ""
    return _name(code, get_language() or "en")
