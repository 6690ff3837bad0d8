"""Survey results: the daily roll-ups kept as responses arrive (or rebuilt set-based),
and the selectors of the results page and API that read them.

A roll-up row counts the responses of one survey on one day (UTC) for one dimension
value: everyone, a touchpoint, a value tier, an owner, a team, or a segment the
customer was in when answering. The page sums a few thousand of these rows instead of
reading a million responses. See docs/decisions/0025-survey-results-from-rollups.md.
"""

# Statements here are built from our own table and column names; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from patron.feedback.models import Response, ResponseRollup, Survey
from patron.segments.models import SegmentMembership

Dim = ResponseRollup.Dimension
Band = Response.Band

ROLLUP_TABLE = ResponseRollup._meta.db_table
RESPONSE_TABLE = Response._meta.db_table
MEMBERSHIP_TABLE = SegmentMembership._meta.db_table

_COUNTERS = ("responses", "scored", "score_sum", "favourable", "neutral", "unfavourable")


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _utc_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date() if moment.tzinfo else moment.date()


def band_for(kind: str, score: int | None) -> str:
    """The band of a score (the Response.Band comment): NPS 9-10 / 7-8 / 0-6, CSAT 4-5 /
    3 / 1-2, CES (1 easy … 7 hard) 1-2 / 3-5 / 6-7; "" without a score."""
    if score is None:
        return ""
    if kind == "nps":
        return Band.FAVOURABLE if score >= 9 else Band.NEUTRAL if score >= 7 else Band.UNFAVOURABLE
    if kind == "csat":
        return Band.FAVOURABLE if score >= 4 else Band.NEUTRAL if score == 3 else Band.UNFAVOURABLE
    if kind == "ces":
        return Band.FAVOURABLE if score <= 2 else Band.NEUTRAL if score <= 5 else Band.UNFAVOURABLE
    return ""


def response_keys(response: Response, segment_ids: list[int]) -> list[tuple[str, str]]:
    """The (dimension, key) pairs a response counts under."""
    keys = [
        (Dim.ALL, ""),
        (Dim.TRIGGER, response.trigger or ""),
        (Dim.TIER, response.value_tier or "none"),
        (Dim.OWNER, str(response.owner_id) if response.owner_id else ""),
        (Dim.TEAM, str(response.team_id) if response.team_id else ""),
    ]
    keys.extend((Dim.SEGMENT, str(segment_id)) for segment_id in sorted(set(segment_ids)))
    return [(str(dimension), key) for dimension, key in keys]


def rollup_add(response: Response) -> None:
    """Count one new response in its roll-ups; call inside the transaction that saves it.

    One query for the customer's current segments, one INSERT … ON CONFLICT DO UPDATE
    adding to the counters (SQLite ≥ 3.24 and PostgreSQL): two concurrent responses on
    the same day both count, whichever inserts the row first."""
    segment_ids = list(
        SegmentMembership.objects.filter(
            customer_id=response.customer_id, left_at__isnull=True
        ).values_list("segment_id", flat=True)
    )
    scored = 0 if response.score is None else 1
    score = response.score or 0
    band = response.band
    counts = [
        1,
        scored,
        score,
        1 if band == Band.FAVOURABLE else 0,
        1 if band == Band.NEUTRAL else 0,
        1 if band == Band.UNFAVOURABLE else 0,
    ]
    day = _utc_day(response.submitted_at)
    rows: list[Any] = []
    for dimension, key in response_keys(response, segment_ids):
        rows.extend([response.survey_id, day, dimension, key, *counts])
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * (len(rows) // 10))
    updates = ", ".join(f"{c} = {ROLLUP_TABLE}.{c} + excluded.{c}" for c in _COUNTERS)
    sql = (
        f"INSERT INTO {ROLLUP_TABLE} (survey_id, day, dimension, key, {', '.join(_COUNTERS)}) "
        f"VALUES {placeholders} "
        f"ON CONFLICT (survey_id, dimension, key, day) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, rows)


def _day_sql(column: str) -> str:
    if _is_postgres():
        return f"CAST(({column} AT TIME ZONE 'UTC') AS date)"
    return f"date({column})"


def rollup_rebuild(*, survey: Survey | int | None = None) -> int:
    """Recompute the roll-ups of one survey (or all) from the responses, set-based: one
    DELETE and one INSERT … SELECT … GROUP BY per dimension. Segments are those the
    customer was a member of at the moment of answering (the membership history), as
    `rollup_add` counted them. Returns the number of roll-up rows written."""
    survey_id = survey.pk if isinstance(survey, Survey) else survey
    where = "WHERE r.survey_id = %s" if survey_id is not None else ""
    params: list[Any] = [survey_id] if survey_id is not None else []
    day = _day_sql("r.submitted_at")
    counters = (
        "COUNT(*), "
        "COUNT(r.score), "
        "COALESCE(SUM(r.score), 0), "
        f"SUM(CASE WHEN r.band = '{Band.FAVOURABLE}' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN r.band = '{Band.NEUTRAL}' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN r.band = '{Band.UNFAVOURABLE}' THEN 1 ELSE 0 END)"
    )
    cast_text = "CAST({} AS varchar(40))" if _is_postgres() else "CAST({} AS text)"
    keys = {
        Dim.ALL: "''",
        Dim.TRIGGER: "r.trigger",
        Dim.TIER: "CASE WHEN r.value_tier = '' THEN 'none' ELSE r.value_tier END",
        Dim.OWNER: f"COALESCE({cast_text.format('r.owner_id')}, '')",
        Dim.TEAM: f"COALESCE({cast_text.format('r.team_id')}, '')",
    }
    columns = f"survey_id, day, dimension, key, {', '.join(_COUNTERS)}"
    written = 0
    with connection.cursor() as cursor:
        if survey_id is None:
            cursor.execute(f"DELETE FROM {ROLLUP_TABLE}")
        else:
            sql = f"DELETE FROM {ROLLUP_TABLE} WHERE survey_id = %s"
            cursor.execute(sql, [survey_id])
        for dimension, key in keys.items():
            # PostgreSQL refuses a constant in GROUP BY: ALL groups by survey and day only.
            group_key = "" if dimension == Dim.ALL else f", {key}"
            sql = (
                f"INSERT INTO {ROLLUP_TABLE} ({columns}) "
                f"SELECT r.survey_id, {day}, '{dimension}', {key}, {counters} "
                f"FROM {RESPONSE_TABLE} r {where} "
                f"GROUP BY r.survey_id, {day}{group_key}"
            )
            cursor.execute(sql, params)
            written += max(cursor.rowcount, 0)
        segment_key = cast_text.format("m.segment_id")
        sql = (
            f"INSERT INTO {ROLLUP_TABLE} ({columns}) "
            f"SELECT r.survey_id, {day}, '{Dim.SEGMENT}', {segment_key}, {counters} "
            f"FROM {RESPONSE_TABLE} r JOIN {MEMBERSHIP_TABLE} m "
            "ON m.customer_id = r.customer_id AND m.entered_at <= r.submitted_at "
            "AND (m.left_at IS NULL OR m.left_at > r.submitted_at) "
            f"{where} "
            f"GROUP BY r.survey_id, {day}, m.segment_id"
        )
        cursor.execute(sql, params)
        written += max(cursor.rowcount, 0)
    return written
