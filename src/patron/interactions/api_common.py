"""Pieces the conversation's API modules share: channel names, dates, people by id, the
caller's time zone, the version of a task in If-Match."""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header
from pydantic import AfterValidator

from patron.accounts.models import User
from patron.core.errors import NotFound, ValidationFailed
from patron.customers import selectors as customer_selectors
from patron.customers.api_common import Moment, text
from patron.customers.models import Customer
from patron.interactions import selectors
from patron.interactions.models import Question

__all__ = [
    "ChannelName",
    "Day",
    "DirectionName",
    "Moment",
    "TaskIfMatch",
    "customer_of",
    "in_callers_zone",
    "question_by_ref",
    "task_version",
    "text",
    "user_by_id",
    "user_name",
]

# The channels of the conversation: Channel's values, spelt out for the OpenAPI document
# (a test keeps the two equal).
ChannelName = Literal[
    "email",
    "phone",
    "meeting",
    "chat",
    "social",
    "web",
    "store",
    "letter",
    "sms",
    "after_sales",
    "billing",
]
DirectionName = Literal["inbound", "outbound"]


def _plausible_day(value: dt.date) -> dt.date:
    # A day next to date.min or date.max overflows when it becomes a range of moments.
    if not 1900 <= value.year <= 2999:
        raise ValueError(_("Give a date between the years 1900 and 2999."))
    return value


# A whole day (YYYY-MM-DD) in the caller's time zone.
Day = Annotated[dt.date, AfterValidator(_plausible_day)]


def customer_of(request: HttpRequest, customer_id: int) -> Customer:
    """The customer, if the caller may see it (else 404)."""
    return customer_selectors.customer_get(viewer=request.user, customer_id=customer_id)


def user_by_id(user_id: int | None, field: str) -> User | None:
    """The colleague a body names by id, or a 422 that names the field."""
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        message = _("No user with id %(id)s.") % {"id": user_id}
        raise ValidationFailed(message, details={field: [message]})
    return user


def user_name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


@contextlib.contextmanager
def in_callers_zone(request: HttpRequest) -> Iterator[None]:
    """Whole days ("today", `since`/`until` dates) are the caller's days. The web UI's
    middleware activates the signed-in user's time zone; a token authenticates later,
    inside the API, so the zone is activated here."""
    name = getattr(request.user, "time_zone", "") or ""
    try:
        zone: Any = zoneinfo.ZoneInfo(name) if name else timezone.get_current_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    with timezone.override(zone):
        yield


TaskIfMatch = Annotated[
    str | None,
    Header(
        None,
        alias="If-Match",
        description='The task\'s version as read (its ETag), e.g. `"3"`. If the task '
        "changed since, the answer is 409 and nothing is written.",
    ),
]


def task_version(if_match: str | None) -> int | None:
    """The version an If-Match header names (`"3"`, `W/"3"` or `3`); None when absent or
    `*` (any version)."""
    raw = (if_match or "").strip().removeprefix("W/").strip('"').strip()
    if not raw or raw == "*":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ValidationFailed(
            _('If-Match must be the task\'s version number, such as "3".'),
            details={"If-Match": [raw[:40]]},
        )
    return int(raw)


def question_by_ref(ref: int | str, field: str) -> Question:
    """A question of the bank named by its key or its id, or a 422 that names the field."""
    try:
        if isinstance(ref, int):
            return selectors.question_get(question_id=ref)
        try:
            return selectors.question_get(key=ref.strip().lower())
        except NotFound:
            if ref.strip().isdecimal():
                return selectors.question_get(question_id=int(ref.strip()))
            raise
    except NotFound as exc:
        message = _("No question with the key or id “%(ref)s”.") % {"ref": str(ref)[:60]}
        raise ValidationFailed(message, details={field: [message]}) from exc
