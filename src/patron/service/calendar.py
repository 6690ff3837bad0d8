"""Business time: adding and counting minutes only while a team's service is open.

Service hours are opening intervals per weekday ("09:00" to "17:00"), in the hours' own time
zone, closed on holidays (local dates). The arithmetic walks day by day and jumps whole
weeks when a week is plain (no holiday, no change of UTC offset), so a ten-day target or
a month of waiting costs a few dozen steps, never a loop over minutes.

Daylight saving time is handled by zoneinfo: an interval is opening *wall-clock* time
(09:00 to 17:00 local), and its real length is measured in UTC, so a 00:00 to 24:00 day is 23
or 25 hours long on the days the clocks change.

An interval may not cross midnight: a night shift is written as two intervals,
["22:00", "24:00"] on one day and ["00:00", "06:00"] on the next. That keeps every
interval inside its own date, which is what holidays (whole local dates) need.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from patron.core.errors import ValidationFailed

if TYPE_CHECKING:
    from patron.service.models import ServiceHours

DAY = 24 * 60
# Ten years of days: past this, the hours are closed for good (every day a holiday).
MAX_DAYS = 3660
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday")]  # fmt: skip


def _minute(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_week(week: Any) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Check a `week` value (seven lists, Monday first, of ["HH:MM", "HH:MM"]) and return
    it as minutes of the day. Raises ValidationFailed naming the day and the interval."""
    if not isinstance(week, list | tuple) or len(week) != 7:
        raise ValidationFailed(
            _("Opening hours are invalid."),
            details={"week": [_("Give seven lists of intervals, Monday first.")]},
        )
    days: list[tuple[tuple[int, int], ...]] = []
    problems: list[str] = []
    names = weekday_names()
    for index, intervals in enumerate(week):
        name = names[index]
        if not isinstance(intervals, list | tuple):
            problems.append(_("%(day)s: give a list of intervals.") % {"day": name})
            days.append(())
            continue
        spans: list[tuple[int, int]] = []
        for interval in intervals:
            if (
                not isinstance(interval, list | tuple)
                or len(interval) != 2
                or not all(isinstance(t, str) and _HHMM.match(t) for t in interval)
            ):
                problems.append(
                    _("%(day)s: each interval is two times “HH:MM”, such as 09:00 and 17:00.")
                    % {"day": name}
                )
                continue
            start, end = _minute(interval[0]), _minute(interval[1])
            if interval[0] == "24:00" or start >= end:
                problems.append(
                    _(
                        "%(day)s: %(start)s–%(end)s ends before it starts; an interval cannot "
                        "cross midnight (write 22:00–24:00 and 00:00–06:00 on the next day)."
                    )
                    % {"day": name, "start": interval[0], "end": interval[1]}
                )
                continue
            spans.append((start, end))
        spans.sort()
        for (_s1, end1), (start2, _e2) in itertools.pairwise(spans):
            if start2 < end1:
                problems.append(_("%(day)s: intervals overlap.") % {"day": name})
                break
        days.append(tuple(spans))
    if not problems and not any(days):
        problems.append(_("Open at least one interval in the week."))
    if problems:
        raise ValidationFailed(_("Opening hours are invalid."), details={"week": problems})
    return tuple(days)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationFailed(
            _("Unknown time zone."), details={"time_zone": [_("Unknown time zone.")]}
        ) from error


@dataclass(frozen=True)
class Schedule:
    """Service hours ready for arithmetic: a zone, minutes of the day per weekday, and
    the closed dates."""

    zone: ZoneInfo
    week: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[dt.date] = frozenset()

    @property
    def week_minutes(self) -> int:
        return sum(end - start for day in self.week for start, end in day)


ALWAYS = Schedule(ZoneInfo("UTC"), tuple(((0, DAY),) for _ in range(7)))


def schedule_of(hours: ServiceHours | Schedule | None) -> Schedule:
    """The schedule of a ServiceHours row (its holidays: one query, or none when
    prefetched); `None` is around the clock in UTC."""
    if hours is None:
        return ALWAYS
    if isinstance(hours, Schedule):
        return hours
    holidays = frozenset(h.date for h in hours.holidays.all()) if hours.pk else frozenset()
    return Schedule(zone(hours.time_zone), parse_week(hours.week), holidays)


def _midnight(schedule: Schedule, day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=schedule.zone)


def _spans(schedule: Schedule, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The open intervals of a local date, as UTC moments (none on a holiday)."""
    if day in schedule.holidays:
        return []
    midnight = _midnight(schedule, day)
    # Wall-clock arithmetic (same tzinfo), then UTC: DST shortens or lengthens a span.
    return [
        (
            (midnight + dt.timedelta(minutes=start)).astimezone(dt.UTC),
            (midnight + dt.timedelta(minutes=end)).astimezone(dt.UTC),
        )
        for start, end in schedule.week[day.weekday()]
    ]


def _plain_week(schedule: Schedule, day: dt.date) -> bool:
    """The seven days from `day` have their nominal opening time: no holiday among them
    and the same UTC offset at both ends (no clock change inside)."""
    if schedule.holidays and any(day + dt.timedelta(days=i) in schedule.holidays for i in range(7)):
        return False
    start, end = _midnight(schedule, day), _midnight(schedule, day + dt.timedelta(days=7))
    return start.utcoffset() == end.utcoffset()


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    return moment.astimezone(dt.UTC)


def add_business_time(
    hours: ServiceHours | Schedule | None, start: dt.datetime, amount: dt.timedelta
) -> dt.datetime:
    """The moment (UTC) at which `amount` of open time has passed since `start`."""
    schedule = schedule_of(hours)
    moment = _aware(start)
    remaining = amount
    if remaining <= dt.timedelta(0):
        return moment
    week = dt.timedelta(minutes=schedule.week_minutes)
    day = moment.astimezone(schedule.zone).date()
    first = True
    for _step in range(MAX_DAYS):
        if not first and week and remaining > week and _plain_week(schedule, day):
            remaining -= week
            day += dt.timedelta(days=7)
            continue
        for open_at, close_at in _spans(schedule, day):
            open_at = max(open_at, moment)
            if open_at >= close_at:
                continue
            if open_at + remaining <= close_at:
                return open_at + remaining
            remaining -= close_at - open_at
        first = False
        day += dt.timedelta(days=1)
    raise ValidationFailed(_("The service hours are closed for good; no due time can be set."))


def add_business_minutes(
    hours: ServiceHours | Schedule | None, start: dt.datetime, minutes: int
) -> dt.datetime:
    """The moment (UTC) at which `minutes` of open time have passed since `start`."""
    return add_business_time(hours, start, dt.timedelta(minutes=minutes))


def business_time_between(
    hours: ServiceHours | Schedule | None, start: dt.datetime, end: dt.datetime
) -> dt.timedelta:
    """Open time between two moments (zero when `end` is not after `start`)."""
    schedule = schedule_of(hours)
    start, end = _aware(start), _aware(end)
    total = dt.timedelta(0)
    if end <= start:
        return total
    week = dt.timedelta(minutes=schedule.week_minutes)
    day = start.astimezone(schedule.zone).date()
    first = True
    while _midnight(schedule, day) < end:
        if (
            not first
            and _midnight(schedule, day + dt.timedelta(days=7)) <= end
            and _plain_week(schedule, day)
        ):
            total += week
            day += dt.timedelta(days=7)
            continue
        for open_at, close_at in _spans(schedule, day):
            open_at, close_at = max(open_at, start), min(close_at, end)
            if open_at < close_at:
                total += close_at - open_at
        first = False
        day += dt.timedelta(days=1)
    return total


def business_minutes_between(
    hours: ServiceHours | Schedule | None, start: dt.datetime, end: dt.datetime
) -> int:
    """Whole minutes of open time between two moments (zero when `end` <= `start`)."""
    return int(business_time_between(hours, start, end).total_seconds() // 60)
