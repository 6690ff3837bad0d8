"""Figures as a reader sees them (active language), with a dash for what is unknown:
shared by the explanations of figures and of signals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from patron.core.formatting import format_date, format_money, format_number, format_percent

UNKNOWN = "—"


def money(value: Any) -> str:
    return UNKNOWN if value is None else format_money(round(float(value), 2))


def number(value: Any) -> str:
    return UNKNOWN if value is None else format_number(value)


def percent(value: Any, places: int = 3) -> str:
    """`places`: decimals of the fraction kept before the locale formats it (a signal
    rounds its shares to whole per cent first, 0.075 -> 7 %)."""
    return UNKNOWN if value is None else format_percent(round(float(value), places))


def day(value: Any) -> str:
    """A date, a moment, or the ISO text of one (as kept in a signal's details)."""
    if not value:
        return UNKNOWN
    if isinstance(value, dt.date):
        return format_date(value)
    try:
        return format_date(dt.date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)
