"""Validation and normalisation of contact point values: one place, used by the services,
the API and the importer alike."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

from patron.customers.search import digits, fold

# Plain ASCII addresses are by far the most common; this strict pattern accepts them
# without the (much slower) full validator, which still judges everything else.
_SIMPLE_EMAIL = re.compile(
    r"^[a-z0-9](?:[a-z0-9._%+\-]{0,62}[a-z0-9_%+\-])?@"
    r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)
_URL = re.compile(r"^(https?://)?[\w.\-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)


class InvalidContact(ValueError):
    """A value that is not a valid email, phone, address, handle or URL; says why."""


@dataclass(frozen=True)
class Phone:
    e164: str
    national_digits: str


def normalize_email(raw: str) -> str:
    value = (raw or "").strip()
    if not value:
        raise InvalidContact(_("Enter an email address."))
    lowered = value.lower()
    if _SIMPLE_EMAIL.match(lowered) and ".." not in lowered:
        return lowered
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidContact(
            _("“%(value)s” is not a valid email address: %(reason)s")
            % {"value": value[:80], "reason": str(exc)}
        ) from exc
    return result.normalized.lower()


@functools.lru_cache(maxsize=64)
def _region(country: str) -> str | None:
    country = (country or "").upper()
    return country if country in phonenumbers.SUPPORTED_REGIONS else None


def normalize_phone(raw: str, country: str = "") -> Phone:
    """E.164 plus the national digits. Numbers without a + need the customer's country."""
    value = (raw or "").strip()
    if not value:
        raise InvalidContact(_("Enter a phone number."))
    region = _region(country)
    if not value.startswith(("+", "00")) and region is None:
        raise InvalidContact(
            _("“%(value)s” has no country code: write it as +CC… or give the country.")
            % {"value": value[:40]}
        )
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidContact(
            _("“%(value)s” is not a phone number.") % {"value": value[:40]}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact(
            _("“%(value)s” is not a valid phone number for its country.") % {"value": value[:40]}
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, national_digits=str(number.national_number))


def format_phone_national(e164: str) -> str:
    """How people of the number's own country write it."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def format_phone_international(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_web(raw: str) -> str:
    value = (raw or "").strip()
    if not _URL.match(value):
        raise InvalidContact(_("“%(value)s” is not a web address.") % {"value": value[:80]})
    return value if value.lower().startswith(("http://", "https://")) else f"https://{value}"


def normalize_social(raw: str) -> str:
    value = (raw or "").strip()
    if not value or len(value) > 200 or any(ch.isspace() for ch in value.strip("@")):
        raise InvalidContact(
            _("Write a social handle as network:handle, such as linkedin:ani-nor.")
        )
    return value


def normalize_address(raw: str) -> str:
    value = " ".join((raw or "").split())
    if len(value) < 3:
        raise InvalidContact(_("Enter the street address."))
    return value


def search_value(kind: str, value: str) -> str:
    """What lookups and duplicate detection compare for this contact point."""
    if kind == "phone":
        return digits(value)[:255]
    return fold(value)[:255]
