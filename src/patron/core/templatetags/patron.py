"""Template helpers available in every template (registered as builtins in settings)."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

from patron.core import formatting
from patron.core.sanitize import clean_html

register = template.Library()


@register.filter
def money(amount: Any, currency: str | None = None) -> str:
    return formatting.format_money(amount, currency)


@register.filter
def number(value: Any) -> str:
    return formatting.format_number(value)


@register.filter
def localdate(value: Any, fmt: str = "medium") -> str:
    return formatting.format_date(value, fmt=fmt)


@register.filter
def localdatetime(value: Any, fmt: str = "medium") -> str:
    return formatting.format_datetime(value, fmt=fmt)


@register.filter
def richtext(value: str) -> SafeString:
    return mark_safe(clean_html(value))  # noqa: S308 - cleaned by nh3 just above


@register.filter
def message_action(message: Any) -> dict[str, str] | None:
    from patron.core.flash import message_action as action

    return action(message)


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters changed (None or "" removes one)."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
