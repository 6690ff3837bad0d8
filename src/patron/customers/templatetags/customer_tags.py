"""Display helpers of the customer pages."""

from __future__ import annotations

from django import template

from patron.customers.contact import format_phone_international, format_phone_national

register = template.Library()


@register.filter
def phone(e164: str | None) -> str:
    """A stored (E.164) phone number as people of its country write it."""
    return format_phone_national(e164) if e164 else ""


@register.filter
def phone_international(e164: str | None) -> str:
    return format_phone_international(e164) if e164 else ""


@register.filter
def country_name(code: str | None) -> str:
    """The country's name in the user's language ("AM" → "Armenia")."""
    from patron.customers.forms import country_choices

    return dict(country_choices()).get(code or "", code or "")
