"""Numbers, money and dates in the active language's conventions (CLDR data via Babel).

Django's own formats do not cover currencies, and its format files differ in depth across
our six languages; Babel gives every one of them the same complete treatment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django.conf import settings
from django.utils import timezone, translation


def current_locale() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).replace("-", "_")


def format_number(value: int | float | Decimal | None, *, locale: str | None = None) -> str:
    if value is None:
        return ""
    return babel_numbers.format_decimal(value, locale=locale or current_locale())


def format_percent(value: float | Decimal | None, *, locale: str | None = None) -> str:
    if value is None:
        return ""
    return babel_numbers.format_percent(value, locale=locale or current_locale())


def format_money(
    amount: Decimal | int | float | None, currency: str | None = None, *, locale: str | None = None
) -> str:
    if amount is None:
        return ""
    return babel_numbers.format_currency(
        Decimal(str(amount)),
        currency or settings.PATRON_DEFAULT_CURRENCY,
        locale=locale or current_locale(),
    )


def format_date(
    value: dt.date | dt.datetime | None, *, fmt: str = "medium", locale: str | None = None
) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return babel_dates.format_date(value, format=fmt, locale=locale or current_locale())


def format_datetime(
    value: dt.datetime | None, *, fmt: str = "medium", locale: str | None = None
) -> str:
    """A moment shown in the active (the user's) time zone."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return babel_dates.format_datetime(value, format=fmt, locale=locale or current_locale())
