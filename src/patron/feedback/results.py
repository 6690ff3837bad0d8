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

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.audit import audit_record
from patron.core.errors import NotFound, ValidationFailed
from patron.core.models import AuditEntry
from patron.feedback.models import Response, ResponseRollup, Survey, VerbatimTag
from patron.segments.models import SegmentMembership

if TYPE_CHECKING:
    from patron.accounts.models import User

MAX_TAGS = 20
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


# --- Scores: the definitions ------------------------------------------------------------

LOW_COUNT = 10  # fewer scored responses than this: the score is shown, marked as unsure
PERIODS = ("week", "month")
BREAKDOWNS = ("segment", "tier", "trigger", "owner", "team")
DEFAULT_MONTHS = 12


@dataclass
class Score:
    """Counts of responses and the survey kind's score over them.

    - NPS (0-10): % promoters (9-10) minus % detractors (0-6) of the scored responses,
      rounded to a whole number from -100 to 100. `value` is the NPS.
    - CSAT (1-5): % satisfied (4-5) of the scored responses, rounded; `mean` the mean
      score (1 decimal). `value` is the % satisfied.
    - CES (1 easy … 7 hard): the mean score (1 decimal; lower is better) and the %
      with high effort (6-7). `value` is the mean.
    - Custom surveys have no score: `value` is None.
    No scored response: every score is None."""

    kind: str
    responses: int = 0
    scored: int = 0
    score_sum: int = 0
    favourable: int = 0
    neutral: int = 0
    unfavourable: int = 0

    def add(self, row: dict[str, Any]) -> None:
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + (row.get(name) or 0))

    def _percent(self, count: int) -> int | None:
        return round(100 * count / self.scored) if self.scored else None

    @property
    def favourable_pct(self) -> int | None:
        return self._percent(self.favourable)

    @property
    def neutral_pct(self) -> int | None:
        return self._percent(self.neutral)

    @property
    def unfavourable_pct(self) -> int | None:
        return self._percent(self.unfavourable)

    @property
    def mean(self) -> float | None:
        return round(self.score_sum / self.scored, 1) if self.scored else None

    @property
    def nps(self) -> int | None:
        if not self.scored:
            return None
        return round(100 * (self.favourable - self.unfavourable) / self.scored)

    @property
    def value(self) -> float | int | None:
        if self.kind == "nps":
            return self.nps
        if self.kind == "csat":
            return self.favourable_pct
        if self.kind == "ces":
            return self.mean
        return None

    @property
    def low_count(self) -> bool:
        return self.scored < LOW_COUNT

    def as_dict(self) -> dict[str, Any]:
        return {
            "responses": self.responses,
            "scored": self.scored,
            "value": self.value,
            "mean": self.mean,
            "favourable": self.favourable,
            "neutral": self.neutral,
            "unfavourable": self.unfavourable,
            "favourable_pct": self.favourable_pct,
            "neutral_pct": self.neutral_pct,
            "unfavourable_pct": self.unfavourable_pct,
            "low_count": self.low_count,
        }


def score_label(kind: str) -> str:
    return {
        "nps": _("NPS"),
        # xgettext:no-python-format
        "csat": _("CSAT (% satisfied)"),
        "ces": _("CES (mean effort, lower is better)"),
    }.get(kind, _("Responses"))


@dataclass
class Point:
    start: dt.date
    label: str
    score: Score


@dataclass
class BreakdownRow:
    key: str
    label: str
    score: Score


@dataclass
class Results:
    survey_ids: list[int]
    kind: str
    start: dt.date
    end: dt.date
    period: str
    by: str
    total: Score
    trend: list[Point]
    breakdown: list[BreakdownRow]
    by_label: str = ""
    low_count: int = LOW_COUNT


def _bucket(day: dt.date, period: str) -> dt.date:
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def _buckets(start: dt.date, end: dt.date, period: str) -> list[dt.date]:
    out: list[dt.date] = []
    current = _bucket(start, period)
    while current <= end:
        out.append(current)
        if period == "week":
            current += dt.timedelta(days=7)
        else:
            current = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def _bucket_label(start: dt.date, period: str) -> str:
    if period == "week":
        return start.isoformat()
    return start.strftime("%Y-%m")


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 12 months (this one and the 11 before) up to today, UTC."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    first = today.replace(day=1)
    for _month in range(DEFAULT_MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first, today


def _labels(by: str, keys: list[str]) -> dict[str, str]:
    """What each breakdown key is called: one query for owners, teams or segments."""
    from patron.accounts.models import Team, User
    from patron.analytics.models import ValueTier
    from patron.feedback.models import Trigger
    from patron.segments.models import Segment

    ids = [int(key) for key in keys if key.isdigit()]
    if by == "trigger":
        names = {str(value): str(label) for value, label in Trigger.choices}
    elif by == "tier":
        names = {str(value): str(label) for value, label in ValueTier.choices}
        names["none"] = str(_("No tier"))
    elif by == "owner":
        names = {
            str(pk): name or email
            for pk, name, email in User.objects.filter(pk__in=ids).values_list(
                "pk", "full_name", "email"
            )
        }
        names[""] = str(_("No owner"))
    elif by == "team":
        names = {
            str(pk): name for pk, name in Team.objects.filter(pk__in=ids).values_list("pk", "name")
        }
        names[""] = str(_("No team"))
    else:
        names = {
            str(pk): name
            for pk, name in Segment.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    return {key: names.get(key, key or "—") for key in keys}


def results(
    *,
    survey_ids: list[int],
    kind: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    period: str = "month",
    by: str = "trigger",
) -> Results:
    """The headline score, its trend per week or month and a breakdown by one dimension,
    for the surveys named (one, or every survey of a kind) between two days (UTC,
    inclusive), summed from the roll-ups: three queries (and one for the breakdown's
    names) whatever the number of responses."""
    if period not in PERIODS:
        raise ValidationFailed(
            _("Choose week or month."), details={"period": [_("Choose week or month.")]}
        )
    if by not in BREAKDOWNS:
        raise ValidationFailed(
            _("Not a breakdown."), details={"by": [_("Choose one of: %s.") % ", ".join(BREAKDOWNS)]}
        )
    default_start, default_end = default_range()
    start = start or default_start
    end = end or default_end
    if start > end:
        raise ValidationFailed(
            _("The period ends before it starts."),
            details={"from": [_("Must be on or before the end.")]},
        )
    in_range = ResponseRollup.objects.filter(survey_id__in=survey_ids, day__gte=start, day__lte=end)
    sums = {name: Sum(name) for name in _COUNTERS}
    total = Score(kind)
    points = {bucket: Score(kind) for bucket in _buckets(start, end, period)}
    for row in in_range.filter(dimension=Dim.ALL).values("day").annotate(**sums):
        day = row["day"]
        if isinstance(day, str):  # a raw date on SQLite in some aggregations
            day = dt.date.fromisoformat(day)
        total.add(row)
        points.setdefault(_bucket(day, period), Score(kind)).add(row)
    trend = [
        Point(start=bucket, label=_bucket_label(bucket, period), score=score)
        for bucket, score in sorted(points.items())
    ]
    dimension = Dim(by)
    rows = list(in_range.filter(dimension=dimension).values("key").annotate(**sums).order_by("key"))
    labels = _labels(by, [row["key"] for row in rows])
    breakdown = []
    for row in rows:
        score = Score(kind)
        score.add(row)
        breakdown.append(BreakdownRow(key=row["key"], label=labels[row["key"]], score=score))
    breakdown.sort(key=lambda r: (-r.score.responses, r.label))
    return Results(
        survey_ids=list(survey_ids),
        kind=kind,
        start=start,
        end=end,
        period=period,
        by=by,
        total=total,
        trend=trend,
        breakdown=breakdown,
        by_label=str(Dim(by).label),
    )


def overview(surveys: list[Survey], *, today: dt.date | None = None) -> dict[int, Results]:
    """Each survey's last 12 months by month (the index page's headline and sparkline):
    one query for all surveys' trends."""
    start, end = default_range(today)
    ids = [survey.pk for survey in surveys]
    kinds = {survey.pk: survey.kind for survey in surveys}
    sums = {name: Sum(name) for name in _COUNTERS}
    out = {
        survey.pk: Results(
            survey_ids=[survey.pk],
            kind=survey.kind,
            start=start,
            end=end,
            period="month",
            by="",
            total=Score(survey.kind),
            trend=[],
            breakdown=[],
        )
        for survey in surveys
    }
    points: dict[int, dict[dt.date, Score]] = {
        pk: {b: Score(kinds[pk]) for b in _buckets(start, end, "month")} for pk in ids
    }
    rows = (
        ResponseRollup.objects.filter(
            survey_id__in=ids, dimension=Dim.ALL, day__gte=start, day__lte=end
        )
        .values("survey_id", "day")
        .annotate(**sums)
    )
    for row in rows:
        day = row["day"]
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        out[row["survey_id"]].total.add(row)
        points[row["survey_id"]][_bucket(day, "month")].add(row)
    for pk, by_bucket in points.items():
        out[pk].trend = [
            Point(start=b, label=_bucket_label(b, "month"), score=s)
            for b, s in sorted(by_bucket.items())
        ]
    return out


# --- Verbatims: what customers wrote ------------------------------------------------------

VERBATIM_PAGE = 25
MAX_VERBATIM_PAGE = 100
VERBATIM_FILTERS = ("trigger", "tier", "owner", "team", "segment")


@dataclass
class VerbatimPage:
    items: list[Response]
    next_cursor: str | None


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        _("This cursor was not given out by this list: start again without it."),
        details={"cursor": [_("Not a cursor of this list.")]},
    )


def _encode(response: Response) -> str:
    raw = json.dumps([response.submitted_at.isoformat(), response.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, pk = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        moment = parse_datetime(at)
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise _bad_cursor() from exc
    if moment is None or not timezone.is_aware(moment) or not visibility.is_record_id(pk):
        raise _bad_cursor()
    return moment, int(pk)


def verbatims(
    viewer: User,
    *,
    survey_ids: list[int],
    band: str = "",
    tag: str = "",
    by: str = "",
    key: str = "",
    text: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    cursor: str | None = None,
    size: int = VERBATIM_PAGE,
) -> VerbatimPage:
    """Responses with a comment, newest first, of the customers `viewer` can see (the
    comments name and quote customers; the roll-ups are aggregates, seen by all staff).
    Filters: band, tag name, one dimension value (as in the breakdown), words in the
    comment, days. Keyset pagination on (submitted_at, id) over the responses_survey
    index: a page costs the same on the first page and the thousandth."""
    if band and band not in Band.values:
        raise ValidationFailed(_("Not a band."), details={"band": [_("Not a band.")]})
    if by and by not in VERBATIM_FILTERS:
        raise ValidationFailed(_("Not a breakdown."), details={"by": [_("Not a breakdown.")]})
    size = max(1, min(size, MAX_VERBATIM_PAGE))
    rows = Response.objects.filter(survey_id__in=survey_ids).exclude(comment="")
    rows = rows.filter(visibility.visible_through(viewer, "customer", in_list_order=True))
    if band:
        rows = rows.filter(band=band)
    if tag:
        rows = rows.filter(tags__name=tag)
    if text:
        rows = rows.filter(comment__icontains=text)
    if start:
        rows = rows.filter(submitted_at__gte=dt.datetime.combine(start, dt.time(), dt.UTC))
    if end:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
        rows = rows.filter(submitted_at__lt=after)
    if by == "trigger":
        rows = rows.filter(trigger=key)
    elif by == "tier":
        rows = rows.filter(value_tier="" if key == "none" else key)
    elif by in ("owner", "team"):
        if key and not key.isdigit():
            raise ValidationFailed(_("Not an id."), details={"key": [_("Not an id.")]})
        rows = rows.filter(**{f"{by}_id": int(key) if key else None})
    elif by == "segment":
        if not key.isdigit():
            raise ValidationFailed(_("Not an id."), details={"key": [_("Not an id.")]})
        members = SegmentMembership.objects.filter(segment_id=int(key), left_at__isnull=True)
        rows = rows.filter(customer_id__in=members.values("customer_id"))
    if cursor:
        at, pk = _decode(cursor)
        rows = rows.filter(Q(submitted_at__lt=at) | Q(submitted_at=at, pk__lt=pk))

    def newest(queryset: Any) -> list[Response]:
        return list(
            queryset.select_related("customer", "survey")
            .prefetch_related("tags")
            .order_by("-submitted_at", "-id")[: size + 1]
        )

    if len(survey_ids) == 1:
        page = newest(rows)
    else:
        # One index range per survey (responses_survey), merged: an IN list cannot be
        # read in submitted_at order from the index, and would sort every response.
        page = sorted(
            (r for survey_id in survey_ids for r in newest(rows.filter(survey_id=survey_id))),
            key=lambda r: (r.submitted_at, r.pk),
            reverse=True,
        )[: size + 1]
    more = len(page) > size
    page = page[:size]
    return VerbatimPage(items=page, next_cursor=_encode(page[-1]) if more else None)


def tag_counts(survey_ids: list[int]) -> list[tuple[str, int]]:
    """How many responses of these surveys carry each tag, most used first.

    Read from the tag links (hand-made, thousands) towards the responses, not from the
    survey's responses (a million) towards their tags: SQLite keeps the order of a CROSS
    JOIN, and on PostgreSQL it is an ordinary join the planner orders itself."""
    if not survey_ids:
        return []
    through = Response.tags.through._meta.db_table
    tags = VerbatimTag._meta.db_table
    marks = ", ".join(["%s"] * len(survey_ids))
    sql = (
        f"SELECT t.name, COUNT(*) AS n FROM {through} rt "
        f"CROSS JOIN {RESPONSE_TABLE} r CROSS JOIN {tags} t "
        f"WHERE r.id = rt.response_id AND t.id = rt.verbatimtag_id AND r.survey_id IN ({marks}) "
        "GROUP BY t.name ORDER BY n DESC, t.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(survey_ids))
        return [(name, int(n)) for name, n in cursor.fetchall()]


def tag_names_clean(names: list[str]) -> list[str]:
    cleaned: list[str] = []
    for name in names:
        name = " ".join(str(name or "").split())
        if not name:
            continue
        if len(name) > 60:
            raise ValidationFailed(
                _("A tag has at most 60 characters."),
                details={"names": [_("A tag has at most 60 characters.")]},
            )
        if name.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed(
            _("At most %(n)d tags.") % {"n": MAX_TAGS},
            details={"names": [_("At most %(n)d tags.") % {"n": MAX_TAGS}]},
        )
    return cleaned


def verbatim_tags_get_or_create(names: list[str]) -> list[VerbatimTag]:
    """Tags by name, reusing an existing one whatever its case."""
    wanted = tag_names_clean(names)
    if not wanted:
        return []
    folded = {name.casefold() for name in wanted}
    existing = {
        tag.name.casefold(): tag
        for tag in VerbatimTag.objects.all()
        if tag.name.casefold() in folded
    }
    tags = []
    for name in wanted:
        tag = existing.get(name.casefold())
        if tag is None:
            tag, _created = VerbatimTag.objects.get_or_create(name=name)
        tags.append(tag)
    return tags


@transaction.atomic
def response_tags_set(*, actor: User, response: Response, names: list[str]) -> list[str]:
    """Replace the tags of a response (agents and up, on a customer they can see)."""
    visibility.require_write(actor, response.customer)
    tags = verbatim_tags_get_or_create(names)
    before = sorted(response.tags.values_list("name", flat=True))
    after = sorted(tag.name for tag in tags)
    if before != after:
        response.tags.set(tags)
        audit_record(
            actor,
            AuditEntry.Action.UPDATE,
            response,
            [{"field": "tags", "old": before, "new": after}],
        )
    return after


def response_for(viewer: User, response_id: int) -> Response:
    """A response of a customer `viewer` can see, else NotFound."""
    if not visibility.is_record_id(response_id):
        raise NotFound(_("Not found."))
    response = (
        Response.objects.filter(pk=response_id)
        .filter(visibility.visible_through(viewer, "customer"))
        .select_related("customer", "survey")
        .first()
    )
    if response is None:
        raise NotFound(_("Not found."))
    return response
