"""The timeline: one chronological stream per customer, per organization and per team,
merged from every kind of event that any app registers here.

An app describes its kind of event once, in its AppConfig.ready():

    register_timeline_kind(TimelineKind(
        key="order", label=_("Order"), model=Order, occurred_field="placed_at",
        template="commerce/timeline_order.html", channel_field="channel",
    ))

and the stream, its filters, its cursor pagination, the API and the UI pick it up with no
change here. Each kind is read with one query per page, newest first through an index on
(customer, occurred, id), and the pages are merged in Python: a page costs one query per
kind, whatever the number of events.

Order is (occurred desc, kind key desc, id desc), a total order, so the cursor of the last
event shown says exactly where the next page starts.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import heapq
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core.errors import ValidationFailed
from patron.core.visibility import MAX_ID, visible_through

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.customers.models import Customer

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class TimelineKind:
    """How to read one kind of event for the timeline."""

    key: str
    label: Any
    model: type[models.Model]
    template: str
    occurred_field: str = "occurred_at"
    customer_field: str = "customer"
    # Fields the filters apply to; None: this kind has no such thing (it is left out when
    # the filter is set, since none of its events can match).
    channel_field: str | None = None
    user_field: str | None = None
    select_related: Sequence[str] = ()
    icon: str = "circle"
    # Extra condition on the rows (a kind may show only some rows of its table).
    condition: Callable[[], models.Q] | None = None
    # The event as JSON for the API: {"title", "text", "channel", "user", ...}.
    describe: Callable[[Any], dict[str, Any]] = field(default=lambda obj: {"title": str(obj)})


_KINDS: dict[str, TimelineKind] = {}


def register_timeline_kind(kind: TimelineKind) -> None:
    _KINDS[kind.key] = kind


def timeline_kinds() -> list[TimelineKind]:
    return sorted(_KINDS.values(), key=lambda k: k.key)


def timeline_kind(key: str) -> TimelineKind | None:
    return _KINDS.get(key)


@dataclass(frozen=True)
class Cursor:
    occurred_at: dt.datetime
    kind: str
    id: int

    def encode(self) -> str:
        text = json.dumps([self.occurred_at.isoformat(), self.kind, self.id])
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        try:
            padded = value + "=" * (-len(value) % 4)
            moment, kind, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
            occurred = dt.datetime.fromisoformat(moment)
            if timezone.is_naive(occurred) or not isinstance(kind, str):
                raise ValueError
            # Values no row holds would overflow in the query (a year next to date.min or
            # date.max shifted to UTC, an id past 64 bits): refused like any forged cursor.
            if not dt.MINYEAR < occurred.year < dt.MAXYEAR:
                raise ValueError
            if isinstance(pk, bool) or not isinstance(pk, int) or not 1 <= pk <= MAX_ID:
                raise ValueError
            return cls(occurred, kind, pk)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                _("This cursor is not one the timeline gave out; start from the first page."),
                details={"cursor": [_("Not a timeline cursor.")]},
            ) from exc


@dataclass(frozen=True)
class TimelineFilters:
    kinds: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    user_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.channels or self.user_id or self.since or self.until)


@dataclass
class TimelineEvent:
    kind: TimelineKind
    occurred_at: dt.datetime
    object: Any

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.occurred_at, self.kind.key, self.object.pk)

    @property
    def key(self) -> str:
        return f"{self.kind.key}-{self.object.pk}"

    def sort_key(self) -> tuple[dt.datetime, str, int]:
        return (self.occurred_at, self.kind.key, self.object.pk)


@dataclass
class TimelinePage:
    events: list[TimelineEvent]
    next_cursor: str | None


def _after_cursor(kind: TimelineKind, cursor: Cursor | None) -> models.Q:
    """Rows of `kind` that come after `cursor` in (occurred desc, kind desc, id desc)."""
    if cursor is None:
        return models.Q()
    occurred = kind.occurred_field
    before = models.Q(**{f"{occurred}__lt": cursor.occurred_at})
    if kind.key > cursor.kind:
        return before
    if kind.key < cursor.kind:
        return before | models.Q(**{occurred: cursor.occurred_at})
    return before | models.Q(**{occurred: cursor.occurred_at, "pk__lt": cursor.id})


def _filtered(kind: TimelineKind, filters: TimelineFilters) -> models.Q | None:
    """The filters as a condition on `kind`, or None when no event of it can match."""
    if filters.kinds and kind.key not in filters.kinds:
        return None
    condition = models.Q()
    if filters.channels:
        if kind.channel_field is None:
            return None
        condition &= models.Q(**{f"{kind.channel_field}__in": sorted(filters.channels)})
    if filters.user_id:
        if kind.user_field is None:
            return None
        condition &= models.Q(**{f"{kind.user_field}_id": filters.user_id})
    if filters.since:
        condition &= models.Q(**{f"{kind.occurred_field}__gte": filters.since})
    if filters.until:
        condition &= models.Q(**{f"{kind.occurred_field}__lt": filters.until})
    if kind.condition is not None:
        condition &= kind.condition()
    return condition


def _read(
    scope: Callable[[TimelineKind], models.Q],
    filters: TimelineFilters,
    cursor: Cursor | None,
    size: int,
    *,
    with_customer: bool = False,
) -> TimelinePage:
    streams: list[list[TimelineEvent]] = []
    for kind in timeline_kinds():
        condition = _filtered(kind, filters)
        if condition is None:
            continue
        occurred = kind.occurred_field
        rows = (
            kind.model._default_manager.filter(scope(kind), condition, _after_cursor(kind, cursor))
            .select_related(
                *kind.select_related, *((kind.customer_field,) if with_customer else ())
            )
            .order_by(f"-{occurred}", "-pk")[: size + 1]
        )
        streams.append([TimelineEvent(kind, getattr(row, occurred), row) for row in rows])
    merged = heapq.merge(*streams, key=TimelineEvent.sort_key, reverse=True)
    events = [event for _i, event in zip(range(size + 1), merged, strict=False)]
    has_more = len(events) > size
    events = events[:size]
    next_cursor = events[-1].cursor.encode() if has_more and events else None
    return TimelinePage(events, next_cursor)


def _page_size(size: int | None) -> int:
    return max(1, min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))


def customer_timeline(
    customer: Customer,
    *,
    filters: TimelineFilters | None = None,
    cursor: str | None = None,
    size: int | None = None,
) -> TimelinePage:
    """The events of one customer (the caller has checked that the viewer sees it); for an
    organization, with the events of its people."""
    from patron.customers.models import Membership

    if customer.is_organization:
        people = Membership.objects.filter(organization_id=customer.pk).values("person_id")

        def scope(kind: TimelineKind) -> models.Q:
            field_name = kind.customer_field
            return models.Q(**{f"{field_name}_id": customer.pk}) | models.Q(
                **{f"{field_name}_id__in": people}
            )
    else:

        def scope(kind: TimelineKind) -> models.Q:
            return models.Q(**{f"{kind.customer_field}_id": customer.pk})

    return _read(
        scope,
        filters or TimelineFilters(),
        Cursor.decode(cursor) if cursor else None,
        _page_size(size),
    )


# More visible customers than this, and a team's timeline is read in time order.
MANY_CUSTOMERS = 2000


def _sees_many_customers(viewer: User) -> bool:
    from patron.core.visibility import sees_everything, visible_to
    from patron.customers.models import Customer

    if sees_everything(viewer):
        return True
    visible = visible_to(viewer, Customer.objects.order_by()).values("pk")[:MANY_CUSTOMERS]
    return visible.count() >= MANY_CUSTOMERS


def team_timeline(
    viewer: User,
    *,
    filters: TimelineFilters | None = None,
    cursor: str | None = None,
    size: int | None = None,
) -> TimelinePage:
    """Every event on the customers `viewer` may see, newest first: the team's stream."""

    # Newest first over many visible customers: walk each kind's time index and test
    # each row, rather than gather a whole team's events to sort them. Over a few
    # customers, their own indexes are the short way.
    many = _sees_many_customers(viewer)

    def scope(kind: TimelineKind) -> models.Q:
        return visible_through(viewer, kind.customer_field, in_list_order=many)

    return _read(
        scope,
        filters or TimelineFilters(),
        Cursor.decode(cursor) if cursor else None,
        _page_size(size),
        with_customer=True,
    )


def filters_from(
    *,
    kinds: Iterable[str] = (),
    channels: Iterable[str] = (),
    user_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> TimelineFilters:
    """Filters from what a form or a query string gives: dates are whole days in the
    current time zone, `until` included."""
    known = {kind.key for kind in timeline_kinds()}
    unknown = sorted(set(kinds) - known)
    if unknown:
        raise ValidationFailed(
            _("Unknown kind of event: %(kinds)s.") % {"kinds": ", ".join(unknown)},
            details={"kind": [_("Choose among: %(known)s.") % {"known": ", ".join(sorted(known))}]},
        )
    zone = timezone.get_current_timezone()

    def start_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone)

    return TimelineFilters(
        kinds=frozenset(kinds),
        channels=frozenset(channels),
        user_id=user_id,
        since=start_of(since) if since else None,
        until=start_of(until + dt.timedelta(days=1)) if until else None,
    )
