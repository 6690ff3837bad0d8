"""Formatting for the value dashboards: shares as percentages in the reader's language."""

from __future__ import annotations

from typing import Any

from babel import numbers as babel_numbers
from django import template

from patron.core import formatting

register = template.Library()


@register.filter
def percent(value: Any) -> str:
    """A share (0 to 1) as a percentage with at most one decimal ("12.5%"); "" for None."""
    if value is None or value == "":
        return ""
    return babel_numbers.format_percent(
        round(float(value), 3), locale=formatting.current_locale(), decimal_quantization=False
    )
