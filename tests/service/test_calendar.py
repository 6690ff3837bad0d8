"""Business time: due times across open hours, nights, weekends, holidays, DST, zones."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from patron.core.errors import ValidationFailed
from patron.service import calendar
from patron.service.calendar import (
    ALWAYS,
    Schedule,
    add_business_minutes,
    business_minutes_between,
    parse_week,
)
from patron.service.models import Holiday, ServiceHours

UTC = dt.UTC
OFFICE = [[["09:00", "17:00"]]] * 5 + [[], []]


def schedule(zone="UTC", week=OFFICE, holidays=()):
    return Schedule(ZoneInfo(zone), parse_week(week), frozenset(holidays))


def at(*args, zone="UTC"):
    return dt.datetime(*args, tzinfo=ZoneInfo(zone))


def test_within_the_same_day():
    # Wednesday 2026-03-04 10:00 + 3 h -> 13:00
    assert add_business_minutes(schedule(), at(2026, 3, 4, 10), 180) == at(2026, 3, 4, 13)


def test_the_night_is_skipped():
    # Wednesday 16:00 + 2 h -> Thursday 10:00
    assert add_business_minutes(schedule(), at(2026, 3, 4, 16), 120) == at(2026, 3, 5, 10)


def test_a_start_before_opening_counts_from_opening():
    assert add_business_minutes(schedule(), at(2026, 3, 4, 6), 60) == at(2026, 3, 4, 10)


def test_the_weekend_is_skipped():
    # Friday 2026-03-06 16:00 + 2 h -> Monday 10:00
    assert add_business_minutes(schedule(), at(2026, 3, 6, 16), 120) == at(2026, 3, 9, 10)
    # Saturday counts from Monday's opening
    assert add_business_minutes(schedule(), at(2026, 3, 7, 12), 30) == at(2026, 3, 9, 9, 30)


def test_a_due_time_exactly_at_closing_stays_on_that_day():
    assert add_business_minutes(schedule(), at(2026, 3, 4, 9), 480) == at(2026, 3, 4, 17)


def test_holidays_are_closed():
    # Monday 2026-03-09 is a holiday: Friday 16:00 + 2 h -> Tuesday 10:00
    s = schedule(holidays=[dt.date(2026, 3, 9)])
    assert add_business_minutes(s, at(2026, 3, 6, 16), 120) == at(2026, 3, 10, 10)
    assert business_minutes_between(s, at(2026, 3, 6, 16), at(2026, 3, 10, 10)) == 120


def test_long_targets_jump_whole_weeks_and_agree_with_counting():
    s = schedule(holidays=[dt.date(2026, 4, 6), dt.date(2026, 5, 1)])
    start = at(2026, 3, 4, 11, 17)
    for minutes in (1, 479, 480, 2400, 2401, 10 * 480, 60 * 480, 250 * 480):
        due = add_business_minutes(s, start, minutes)
        assert business_minutes_between(s, start, due) == minutes, minutes
    # 10 business days from a Friday afternoon, no holiday: two weeks later
    assert add_business_minutes(schedule(), at(2026, 3, 6, 16), 4800) == at(2026, 3, 20, 16)


def test_time_zone_of_the_hours():
    # Yerevan is UTC+4: 09:00-17:00 local is 05:00-13:00 UTC
    s = schedule("Asia/Yerevan")
    due = add_business_minutes(s, at(2026, 3, 4, 12, zone="UTC"), 120)
    assert due == at(2026, 3, 5, 6, zone="UTC")  # 16:00-17:00 local, then 09:00-10:00
    assert due.tzinfo == UTC


def test_dst_change_keeps_wall_clock_opening_hours():
    # Berlin moves to summer time on Sunday 2026-03-29: Friday 16:00 CET + 2 h is Monday
    # 10:00 CEST, which is 08:00 UTC (not 09:00).
    s = schedule("Europe/Berlin")
    due = add_business_minutes(s, at(2026, 3, 27, 16, zone="Europe/Berlin"), 120)
    assert due == at(2026, 3, 30, 8, zone="UTC")


def test_a_day_with_a_clock_change_is_shorter_around_the_clock():
    s = schedule("Europe/Berlin", week=[[["00:00", "24:00"]]] * 7)
    day_start = at(2026, 3, 29, 0, zone="Europe/Berlin")
    next_day = at(2026, 3, 30, 0, zone="Europe/Berlin")
    assert business_minutes_between(s, day_start, next_day) == 23 * 60
    autumn = at(2026, 10, 25, 0, zone="Europe/Berlin")
    assert business_minutes_between(s, autumn, at(2026, 10, 26, 0, zone="Europe/Berlin")) == 25 * 60
    # across weeks with a change inside, counting still agrees with adding
    start = at(2026, 3, 20, 10, zone="Europe/Berlin")
    assert business_minutes_between(s, start, add_business_minutes(s, start, 30000)) == 30000


def test_around_the_clock_is_wall_clock():
    start = at(2026, 3, 7, 22)
    assert add_business_minutes(ALWAYS, start, 24 * 60) == at(2026, 3, 8, 22)
    assert add_business_minutes(None, start, 90) == at(2026, 3, 7, 23, 30)


def test_between_is_zero_backwards_and_counts_only_open_time():
    assert business_minutes_between(schedule(), at(2026, 3, 5), at(2026, 3, 4)) == 0
    # Friday 12:00 to Monday 12:00: 5 h + 3 h
    assert business_minutes_between(schedule(), at(2026, 3, 6, 12), at(2026, 3, 9, 12)) == 480


def test_split_shifts_and_a_night_shift_as_two_intervals():
    week = [[["08:00", "12:00"], ["13:00", "17:00"]]] * 5 + [
        [["22:00", "24:00"]],
        [["00:00", "06:00"]],
    ]
    s = schedule(week=week)
    assert add_business_minutes(s, at(2026, 3, 4, 11), 120) == at(2026, 3, 4, 14)
    # Saturday 23:00 + 2 h -> Sunday 01:00
    assert add_business_minutes(s, at(2026, 3, 7, 23), 120) == at(2026, 3, 8, 1)


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ([[]] * 6, "seven"),
        ([[["18:00", "02:00"]]] + [[]] * 6, "cross midnight"),
        ([[["09:00", "12:00"], ["11:00", "13:00"]]] + [[]] * 6, "overlap"),
        ([[["9:00", "17:00"]]] + [[]] * 6, "HH:MM"),
        ([[["09:00", "25:00"]]] + [[]] * 6, "HH:MM"),
        ([[]] * 7, "at least one"),
        ("Mon-Fri", "seven"),
    ],
)
def test_invalid_weeks_are_refused_clearly(week, message):
    with pytest.raises(ValidationFailed) as error:
        parse_week(week)
    assert message in " ".join(error.value.details["week"])


def test_a_service_hours_row_with_its_holidays(db):
    hours = ServiceHours.objects.create(time_zone="Europe/Paris", week=OFFICE)
    Holiday.objects.create(hours=hours, date=dt.date(2026, 5, 1), name="Fête du travail")
    s = calendar.schedule_of(hours)
    assert s.holidays == {dt.date(2026, 5, 1)}
    # Thursday 30 April 16:00 Paris + 2 h -> Monday 4 May 10:00 Paris (Friday is a holiday)
    due = add_business_minutes(hours, at(2026, 4, 30, 16, zone="Europe/Paris"), 120)
    assert due == at(2026, 5, 4, 10, zone="Europe/Paris")


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(schedule(), dt.datetime(2026, 3, 4, 10), 10)
