"""`can_contact`: may we contact this customer on this channel, for this purpose, now?

Every sending feature (surveys, campaigns, reminders) asks here, so consent, reachability,
quiet hours and the frequency cap are judged by one rule:

1. A recorded decision for the channel and purpose wins: granted allows, denied or
   withdrawn refuses. With no decision, service messages are allowed (the customer has
   a relationship with us) and marketing and surveys are not (they need an opt-in).
2. The customer must be reachable there: an email address for email, a phone for phone
   and SMS, a postal address for letters.
3. Not inside the customer's quiet hours, read in the customer's time zone (letters are
   exempt: they do not arrive at a time of day).
4. Marketing and surveys respect the frequency cap: at most N messages in 30 days, as
   counted by the sending features that register a counter.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.customers.models import Channel, Consent, ContactPoint, Customer, Preferences, Purpose

# counter(customer_id, since) -> messages sent to that customer since then
ContactCounter = Callable[[int, dt.datetime], int]
_COUNTERS: list[ContactCounter] = []

REACH = {
    Channel.EMAIL: ContactPoint.Kind.EMAIL,
    Channel.PHONE: ContactPoint.Kind.PHONE,
    Channel.SMS: ContactPoint.Kind.PHONE,
    Channel.LETTER: ContactPoint.Kind.ADDRESS,
}


def register_contact_counter(counter: ContactCounter) -> None:
    """A sending feature counts its messages toward the frequency cap."""
    if counter not in _COUNTERS:
        _COUNTERS.append(counter)


@dataclass(frozen=True)
class ContactDecision:
    allowed: bool
    reason: str
    code: str
    next_allowed_at: dt.datetime | None = None

    def __bool__(self) -> bool:
        return self.allowed


def _zone(customer: Customer) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(customer.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _in_quiet_hours(start: dt.time, end: dt.time, local: dt.time) -> bool:
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # across midnight, e.g. 21:00–08:00


def _quiet_until(at: dt.datetime, end: dt.time, zone: dt.tzinfo) -> dt.datetime:
    local = at.astimezone(zone)
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate.astimezone(dt.UTC)


# The customer page has already read consents, contact points and preferences with the
# customer: the decision uses them instead of asking the database again.
def _prefetched(customer: Customer, name: str) -> list | None:
    return getattr(customer, "_prefetched_objects_cache", {}).get(name)


def _consent(customer: Customer, channel: str, purpose: str) -> Consent | None:
    rows = _prefetched(customer, "consents")
    if rows is None:
        return Consent.objects.filter(customer=customer, channel=channel, purpose=purpose).first()
    return next((c for c in rows if c.channel == channel and c.purpose == purpose), None)


def _reachable(customer: Customer, kind: str) -> bool:
    rows = _prefetched(customer, "contact_points")
    if rows is None:
        return ContactPoint.objects.filter(customer=customer, kind=kind).exists()
    return any(point.kind == kind for point in rows)


def _preferences(customer: Customer) -> Preferences | None:
    if Customer.preferences.related.is_cached(customer):
        return getattr(customer, "preferences", None)
    return Preferences.objects.filter(customer=customer).first()


def can_contact(
    customer: Customer, channel: str, purpose: str, at: dt.datetime | None = None
) -> ContactDecision:
    at = at or timezone.now()
    if channel not in Channel.values or purpose not in Purpose.values:
        return ContactDecision(False, _("Unknown channel or purpose."), "invalid")
    consent = _consent(customer, channel, purpose)
    if consent is not None and consent.status != Consent.Status.GRANTED:
        return ContactDecision(
            False,
            _("The customer %(status)s consent on %(date)s.")
            % {"status": consent.get_status_display().lower(), "date": consent.recorded_at.date()},
            "no_consent",
        )
    if consent is None and purpose != Purpose.SERVICE:
        return ContactDecision(
            False, _("No consent recorded for this channel and purpose."), "no_consent"
        )
    needed = REACH.get(channel)
    if needed and not _reachable(customer, needed):
        return ContactDecision(False, _("No contact point for this channel."), "unreachable")
    preferences = _preferences(customer)
    if preferences is None:
        return ContactDecision(True, _("Allowed."), "ok")
    start, end = preferences.quiet_hours_start, preferences.quiet_hours_end
    if start and end and channel != Channel.LETTER:
        zone = _zone(customer)
        if _in_quiet_hours(start, end, at.astimezone(zone).time()):
            return ContactDecision(
                False,
                _("Inside the customer's quiet hours (%(start)s–%(end)s).")
                % {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")},
                "quiet_hours",
                next_allowed_at=_quiet_until(at, end, zone),
            )
    cap = preferences.max_messages_per_30_days
    if cap is not None and purpose != Purpose.SERVICE:
        since = at - dt.timedelta(days=30)
        sent = sum(counter(customer.pk, since) for counter in _COUNTERS)
        if sent >= cap:
            return ContactDecision(
                False,
                _("Frequency cap reached: %(sent)d of %(cap)d messages in 30 days.")
                % {"sent": sent, "cap": cap},
                "frequency_cap",
            )
    return ContactDecision(True, _("Allowed."), "ok")
