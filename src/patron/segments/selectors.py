"""Every read of segments that a view, the API or a job shares.

Segments themselves (their names, rules and sizes) are read by everyone signed in; their
members follow the visibility rule of customers: an agent sees, counts and exports only
the members they may see."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.errors import NotFound, ValidationFailed
from patron.core.text import search_text
from patron.core.visibility import sees_everything, visible_through, visible_to
from patron.customers.models import Customer
from patron.segments.models import Segment, SegmentMembership
from patron.segments.rules import compile_rules, validate_rules

if TYPE_CHECKING:
    from patron.accounts.models import User

SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "members": ("member_count", "id"),
    "-members": ("-member_count", "-id"),
    "evaluated": ("evaluated_at", "id"),
    "-evaluated": ("-evaluated_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
DEFAULT_PAGE = 50
MAX_PAGE = 200
# How far an agent's count of the members they see goes before it says "more than".
VISIBLE_COUNT_LIMIT = 1000


def _reader(viewer: User) -> None:
    if not (viewer is not None and viewer.is_authenticated and viewer.is_active):
        raise NotFound(_("Not found."))


def segment_list(
    *, viewer: User, query: str = "", kind: str = "", sort: str = "name"
) -> QuerySet[Segment]:
    """Every segment (with `member_count`, its size), filtered by a part of the name and
    by kind, in `sort` order."""
    _reader(viewer)
    rows = Segment.objects.select_related("created_by")
    query = search_text(query)
    if query:
        rows = rows.filter(name__icontains=query)
    if kind in Segment.Kind.values:
        rows = rows.filter(kind=kind)
    order = SORTS.get(sort, SORTS["name"])
    if sort in ("evaluated", "-evaluated"):
        column = F("evaluated_at")
        first = (
            column.asc(nulls_first=True) if sort == "evaluated" else column.desc(nulls_last=True)
        )
        return rows.order_by(first, order[1])
    return rows.order_by(*order)


def segment_get(*, viewer: User, segment_id: Any) -> Segment:
    _reader(viewer)
    if not visibility.is_record_id(segment_id):
        raise NotFound(_("Not found."))
    segment = Segment.objects.select_related("created_by").filter(pk=segment_id).first()
    if segment is None:
        raise NotFound(_("Not found."))
    return segment


def count_matching(
    viewer: User,
    rules: Any,
    *,
    segment_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """How many of the customers `viewer` may see match `rules` now: the builder's live
    count. RuleError (with the path of each bad part) if the rules are not valid."""
    _reader(viewer)
    normalized = validate_rules(rules, segment_id=segment_id)
    matching = Customer.objects.filter(compile_rules(normalized, now=now))
    return visible_to(viewer, matching).count()


def _current(viewer: User, segment: Segment) -> QuerySet[SegmentMembership]:
    rows = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    return rows if sees_everything(viewer) else rows.filter(visible_through(viewer, "customer"))


@dataclass
class MemberCount:
    count: int
    exact: bool = True
    # The segment's size: every member, seen or not.
    total: int = 0


def member_count(viewer: User, segment: Segment) -> MemberCount:
    """The members `viewer` sees: the stored count for those who see everything (one
    query fewer), else counted up to VISIBLE_COUNT_LIMIT."""
    _reader(viewer)
    if sees_everything(viewer):
        return MemberCount(segment.member_count, True, segment.member_count)
    found = _current(viewer, segment).order_by().values("pk")[: VISIBLE_COUNT_LIMIT + 1]
    seen = len(found)
    if seen > VISIBLE_COUNT_LIMIT:
        return MemberCount(VISIBLE_COUNT_LIMIT, False, segment.member_count)
    return MemberCount(seen, True, segment.member_count)


def _size(size: int | None) -> int:
    return max(1, min(int(size or DEFAULT_PAGE), MAX_PAGE))


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        _("This cursor was not given out by this list: start again without it."),
        details={"cursor": [_("Not a cursor of this list.")]},
    )


@dataclass
class MemberPage:
    items: list[SegmentMembership]
    next_cursor: str | None


def members(
    viewer: User, segment: Segment, *, cursor: str | None = None, size: int | None = None
) -> MemberPage:
    """One page of the current members `viewer` may see, by customer id. `cursor`: the
    `next_cursor` of the page before (the last customer id shown)."""
    _reader(viewer)
    size = _size(size)
    rows = _current(viewer, segment).select_related(
        "customer", "customer__owner", "customer__team", "added_by"
    )
    if cursor:
        if not visibility.is_record_id(cursor):
            raise _bad_cursor()
        rows = rows.filter(customer_id__gt=int(cursor))
    found = list(rows.order_by("customer_id")[: size + 1])
    more = len(found) > size
    items = found[:size]
    return MemberPage(items, str(items[-1].customer_id) if more and items else None)


def member_customers(viewer: User, segment: Segment) -> QuerySet[Customer]:
    """The current members `viewer` may see, as customers (for an export), by id."""
    _reader(viewer)
    ids = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).values(
        "customer_id"
    )
    return visible_to(viewer, Customer.objects.filter(pk__in=ids)).order_by("pk")


# --- History --------------------------------------------------------------------------------

ENTERED, LEFT = "entered", "left"
_RANK = {ENTERED: 0, LEFT: 1}


@dataclass
class HistoryEvent:
    kind: str  # entered | left
    at: dt.datetime
    membership: SegmentMembership

    @property
    def key(self) -> tuple[dt.datetime, int, int]:
        return (self.at, self.membership.pk, _RANK[self.kind])


@dataclass
class HistoryPage:
    events: list[HistoryEvent]
    next_cursor: str | None


def _encode(key: tuple[dt.datetime, int, int]) -> str:
    raw = json.dumps([key[0].isoformat(), key[1], key[2]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, pk, rank = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        moment = parse_datetime(at)
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise _bad_cursor() from exc
    valid = (
        moment is not None
        and timezone.is_aware(moment)
        and visibility.is_record_id(pk)
        and rank in (0, 1)
    )
    if not valid:
        raise _bad_cursor()
    return moment, int(pk), int(rank)


def _before(column: str, key: tuple[dt.datetime, int, int], rank: int) -> Q:
    """Events of this kind (rank) that come after `key` in the newest-first order."""
    at, pk, cursor_rank = key
    earlier = Q(**{f"{column}__lt": at}) | Q(**{column: at, "pk__lt": pk})
    if rank < cursor_rank:
        earlier |= Q(**{column: at, "pk": pk})
    return earlier


def history(
    viewer: User, segment: Segment, *, cursor: str | None = None, size: int | None = None
) -> HistoryPage:
    """Who entered and who left `segment`, newest first, among the customers `viewer`
    may see. Two index range reads (entries, exits) merged; `cursor` is the
    `next_cursor` of the page before."""
    _reader(viewer)
    size = _size(size)
    key = _decode(cursor) if cursor else None
    rows = SegmentMembership.objects.filter(segment=segment).select_related("customer")
    if not sees_everything(viewer):
        rows = rows.filter(visible_through(viewer, "customer"))
    entries = rows
    exits = rows.filter(left_at__isnull=False)
    if key is not None:
        entries = entries.filter(_before("entered_at", key, _RANK[ENTERED]))
        exits = exits.filter(_before("left_at", key, _RANK[LEFT]))
    events = [
        HistoryEvent(ENTERED, m.entered_at, m)
        for m in entries.order_by("-entered_at", "-id")[: size + 1]
    ] + [HistoryEvent(LEFT, m.left_at, m) for m in exits.order_by("-left_at", "-id")[: size + 1]]
    events.sort(key=lambda e: e.key, reverse=True)
    page = events[:size]
    more = len(events) > size
    return HistoryPage(page, _encode(page[-1].key) if more and page else None)


# --- One customer's segments -----------------------------------------------------------------

PAST_SHOWN = 10
CURRENT_SHOWN = 50


@dataclass
class CustomerSegments:
    current: list[SegmentMembership] = field(default_factory=list)
    past: list[SegmentMembership] = field(default_factory=list)
    more_past: bool = False


def customer_segments(customer: Customer, *, past_limit: int = PAST_SHOWN) -> CustomerSegments:
    """The segments `customer` (already read with visibility) is in now, and their past
    stays (newest first, `past_limit` of them): two queries."""
    rows = SegmentMembership.objects.filter(customer=customer).select_related("segment")
    current = list(rows.filter(left_at__isnull=True).order_by("segment__name")[:CURRENT_SHOWN])
    past = list(rows.filter(left_at__isnull=False).order_by("-left_at", "-id")[: past_limit + 1])
    return CustomerSegments(current, past[:past_limit], len(past) > past_limit)
