"""Pieces the customer API modules share: safe text types, If-Match and ETag."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Header
from pydantic import AfterValidator, AwareDatetime, StringConstraints

from patron.core.errors import Conflict, ValidationFailed
from patron.core.text import NUL
from patron.customers.models import Customer


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text and JSON: refused here as bad input (422), not a 500.
    if NUL in value:
        raise ValueError(_("Remove the null character (\\x00) from this text."))
    return value


def text(max_length: int, min_length: int = 0) -> Any:
    """A string field of at most `max_length` characters, without NUL characters."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


def _plausible(value: dt.datetime) -> dt.datetime:
    # Far-off years overflow when converted to UTC or shifted by a day: refused as input.
    if not 1900 <= value.year <= 2999:
        raise ValueError(_("Give a date between the years 1900 and 2999."))
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
# A moment with its UTC offset ("2024-06-01T18:30:00Z"): a time without one is ambiguous.
Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]
TagName = text(60, 1)
# A value of an admin-defined field; its type is checked against the field's definition.
CustomValue = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_no_nul)]
CustomFieldValues = dict[text(50), bool | int | float | CustomValue | None]

IfMatch = Annotated[
    str | None,
    Header(
        None,
        alias="If-Match",
        description='The customer\'s version as read (the ETag), e.g. `"3"`. '
        "If the customer changed since, the answer is 409 and nothing is written.",
    ),
]


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header names (`"3"`, `W/"3"` or `3`), or None if absent
    (or `*`: any version)."""
    raw = (if_match or "").strip().removeprefix("W/").strip('"').strip()
    if not raw or raw == "*":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ValidationFailed(
            _('If-Match must be the customer\'s version number, such as "3".'),
            details={"If-Match": [raw[:40]]},
        )
    return int(raw)


def set_etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = f'"{version}"'


def require_version(customer: Customer, if_match: str | None) -> None:
    """Refuse (409) a write whose If-Match names a version other than the customer's."""
    expected = expected_version(if_match)
    if expected is not None and expected != customer.version:
        raise Conflict(
            _(
                "Someone else changed this customer since you opened it "
                "(version %(current)d, yours %(yours)d). Reload and try again."
            )
            % {"current": customer.version, "yours": expected},
            details={"current_version": customer.version},
        )
