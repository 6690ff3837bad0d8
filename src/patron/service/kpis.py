"""The service KPIs: how fast and how well we answer, over a period, overall, by
category and by team, with a weekly trend. Read by the dashboard, its CSV and the API.

Everything is counted by the database over the tickets the viewer may see: conditional
counts in one GROUP BY per grouping, and the medians and 90th percentiles with window
functions (ROW_NUMBER and COUNT per group, the two middle rows interpolated as
PostgreSQL's percentile_cont does), written once for SQLite and PostgreSQL. Only a few
rows per group come back; no ticket is loaded into Python.

Definitions (docs/service-kpis.md), times in wall-clock hours, the period made of whole
UTC days [from 00:00, to + 1 day 00:00):
- time to first response: first_response_at - created_at, tickets created in the period
  and answered;
- time to resolution: resolved_at - created_at, tickets resolved in the period;
- first-contact resolution rate: of the tickets resolved in the period, the share
  resolved on first contact;
- backlog: the tickets still active now, by age (now - created_at);
- SLA compliance: of the deadlines (first response, resolution) that fell in the period
  and have passed, the share not missed; missed = a breach recorded by the SLA job, or
  done after the deadline, or still not done;
- complaints per 1,000 orders: complaints created in the period per order placed in it
  (cancelled ones excluded) by the customers the viewer may see; by team, the orders of
  the team's customers; by category, all the orders.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patron.accounts.models import Team
from patron.commerce.models import Order
from patron.core.errors import ValidationFailed
from patron.core.visibility import sees_everything, visible_to
from patron.customers.models import Customer
from patron.service.models import (
    ACTIVE_STATUSES,
    SlaBreach,
    Ticket,
    TicketCategory,
    TicketPriority,
    TicketStatus,
    TicketType,
)
from patron.service.sql import WeekNumber, first_response_hours, resolution_hours

if TYPE_CHECKING:
    from patron.accounts.models import User

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366
DAY = dt.timedelta(days=1)

# Backlog age buckets: key, label, lower and upper bound in days (None: open-ended).
BUCKETS: list[tuple[str, Any, int, int | None]] = [
    ("lt_1d", gettext_lazy("Under 1 day"), 0, 1),
    ("1_3d", gettext_lazy("1 to 3 days"), 1, 3),
    ("3_7d", gettext_lazy("3 to 7 days"), 3, 7),
    ("7_30d", gettext_lazy("7 to 30 days"), 7, 30),
    ("gt_30d", gettext_lazy("Over 30 days"), 30, None),
]


# --- Filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    team: int | None = None
    category: int | None = None
    type: str = ""
    priority: int | None = None

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time(), tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.date_to, dt.time(), tzinfo=dt.UTC) + DAY

    def query(self) -> dict[str, str]:
        """The filters as URL parameters (what the page and the CSV links carry)."""
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        for name in ("team", "category", "type", "priority"):
            value = getattr(self, name)
            if value not in (None, ""):
                params[name] = str(value)
        return params


def _date(value: Any, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(
            _("%(field)s: not a date (YYYY-MM-DD).") % {"field": name},
            details={name: [_("Not a date (YYYY-MM-DD).")]},
        ) from None


def _id(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1 or number > 2**63 - 1:
        raise ValidationFailed(
            _("%(field)s: not a valid id.") % {"field": name},
            details={name: [_("Not a valid id.")]},
        )
    return number


def parse_filters(
    *,
    date_from: Any = None,
    date_to: Any = None,
    team: Any = None,
    category: Any = None,
    type: Any = None,
    priority: Any = None,
    today: dt.date | None = None,
) -> Filters:
    """The filters from strings (URL) or values (API); the last 90 days by default.
    Bad input raises ValidationFailed with the field."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    end = _date(date_to, "to") or today
    start = _date(date_from, "from") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationFailed(
            _("The period starts after it ends."),
            details={"from": [_("After the end of the period.")]},
        )
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(
            _("A period of at most %(days)d days.") % {"days": MAX_DAYS},
            details={"from": [_("Too long a period.")]},
        )
    kind = str(type or "")
    if kind and kind not in TicketType.values:
        raise ValidationFailed(
            _("type: unknown ticket type."), details={"type": [_("Unknown ticket type.")]}
        )
    level = _id(priority, "priority")
    if level is not None and level not in TicketPriority.values:
        raise ValidationFailed(
            _("priority: unknown priority."), details={"priority": [_("Unknown priority.")]}
        )
    return Filters(
        date_from=start,
        date_to=end,
        team=_id(team, "team"),
        category=_id(category, "category"),
        type=kind,
        priority=level,
    )


def week_start(number: int) -> dt.date:
    return dt.date(1969, 12, 29) + dt.timedelta(weeks=number)


# --- The results ------------------------------------------------------------------------------


@dataclass
class Durations:
    count: int = 0
    median: float | None = None  # hours
    p90: float | None = None


@dataclass
class Group:
    """The KPIs of one group of tickets (all, a category, a team)."""

    key: int | None
    label: str
    first_response: Durations = field(default_factory=Durations)
    resolution: Durations = field(default_factory=Durations)
    created: int = 0
    resolved: int = 0  # resolved in the period, on first contact or not
    first_contact: int = 0
    backlog: dict[str, int] = field(default_factory=lambda: {b[0]: 0 for b in BUCKETS})
    deadlines: int = 0
    deadlines_met: int = 0
    complaints: int = 0
    orders: int = 0

    @property
    def fcr_rate(self) -> float | None:
        return round(self.first_contact / self.resolved, 6) if self.resolved else None

    @property
    def backlog_total(self) -> int:
        return sum(self.backlog.values())

    @property
    def sla_compliance(self) -> float | None:
        return round(self.deadlines_met / self.deadlines, 6) if self.deadlines else None

    @property
    def complaints_per_1000_orders(self) -> float | None:
        return round(1000 * self.complaints / self.orders, 3) if self.orders else None


@dataclass
class Week:
    number: int
    resolution: Durations = field(default_factory=Durations)
    complaints: int = 0
    orders: int = 0

    @property
    def start(self) -> dt.date:
        return week_start(self.number)

    @property
    def complaints_per_1000_orders(self) -> float | None:
        return round(1000 * self.complaints / self.orders, 3) if self.orders else None


@dataclass
class ServiceKpis:
    filters: Filters
    as_of: dt.datetime
    overall: Group
    by_category: list[Group]
    by_team: list[Group]
    weeks: list[Week]

    @property
    def buckets(self) -> list[tuple[str, str]]:
        return [(key, str(label)) for key, label, _low, _high in BUCKETS]


# --- Reading ----------------------------------------------------------------------------------


def _tickets(viewer: User, filters: Filters) -> QuerySet[Ticket]:
    tickets = visible_to(viewer, Ticket.objects.all())
    if filters.team is not None:
        tickets = tickets.filter(team_id=filters.team)
    if filters.category is not None:
        tickets = tickets.filter(category_id=filters.category)
    if filters.type:
        tickets = tickets.filter(type=filters.type)
    if filters.priority is not None:
        tickets = tickets.filter(priority=filters.priority)
    return tickets.order_by()


def _counts(filters: Filters, now: dt.datetime) -> dict[str, Any]:
    """The conditional counts of one group, for `.aggregate()` or `.annotate()`."""
    start, end = filters.start, filters.end
    # Deadlines decided by now: those that fell in the period and have passed.
    until = min(end, now)
    created = Q(created_at__gte=start, created_at__lt=end)
    resolved = Q(
        resolved_at__gte=start, resolved_at__lt=end, first_contact_resolution__isnull=False
    )
    first_due = Q(first_response_due_at__gte=start, first_response_due_at__lt=until)
    # A ticket waiting on the customer has its resolution clock stopped: undecided.
    resolution_due = Q(resolution_due_at__gte=start, resolution_due_at__lt=until) & ~Q(
        status=TicketStatus.WAITING
    )
    breach = SlaBreach.objects.filter(ticket_id=OuterRef("pk"))
    first_missed = (
        Exists(breach.filter(target=SlaBreach.Target.FIRST_RESPONSE))
        | Q(first_response_at__gt=F("first_response_due_at"))
        | Q(first_response_at__isnull=True, status__in=ACTIVE_STATUSES)
    )
    resolution_missed = (
        Exists(breach.filter(target=SlaBreach.Target.RESOLUTION))
        | Q(resolved_at__gt=F("resolution_due_at"))
        | Q(resolved_at__isnull=True)
    )
    counts: dict[str, Any] = {
        "created": Count("pk", filter=created),
        "complaints": Count("pk", filter=created & Q(type=TicketType.COMPLAINT)),
        "resolved": Count("pk", filter=resolved),
        # The sizes of the percentiles' sets: resolved in the period, and answered of
        # those created in it.
        "resolved_any": Count("pk", filter=Q(resolved_at__gte=start, resolved_at__lt=end)),
        "answered": Count("pk", filter=created & Q(first_response_at__isnull=False)),
        "first_contact": Count("pk", filter=resolved & Q(first_contact_resolution=True)),
        "first_due": Count("pk", filter=first_due),
        "first_missed": Count("pk", filter=first_due & Q(first_missed)),
        "resolution_due": Count("pk", filter=resolution_due),
        "resolution_missed": Count("pk", filter=resolution_due & Q(resolution_missed)),
    }
    return counts


def _backlog_counts(now: dt.datetime) -> dict[str, Any]:
    """The backlog's age buckets, counted over the active tickets only (a statement of
    their own: every other count is of the period's tickets, and the active ones of
    long ago would only lengthen that pass)."""
    counts: dict[str, Any] = {}
    for key, _label, low, high in BUCKETS:
        age = Q(created_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            age &= Q(created_at__gt=now - dt.timedelta(days=high))
        counts[f"backlog_{key}"] = Count("pk", filter=age)
    return counts


def _relevant(filters: Filters, now: dt.datetime) -> Q:
    """The tickets any count may take: the rest are not read at all."""
    start, end = filters.start, filters.end
    return (
        Q(created_at__gte=start, created_at__lt=end)
        | Q(resolved_at__gte=start, resolved_at__lt=end)
        | Q(first_response_due_at__gte=start, first_response_due_at__lt=end)
        | Q(resolution_due_at__gte=start, resolution_due_at__lt=end)
    )


def _add(group: Group, row: dict[str, Any]) -> None:
    """Add one row of conditional counts (a category, team and week; or a category and
    team's backlog) to `group`."""

    def n(name: str) -> int:
        return row.get(name) or 0

    group.created += n("created")
    group.complaints += n("complaints")
    group.resolved += n("resolved")
    group.first_contact += n("first_contact")
    group.first_response.count += n("answered")
    group.resolution.count += n("resolved_any")
    due = n("first_due") + n("resolution_due")
    missed = n("first_missed") + n("resolution_missed")
    group.deadlines += due
    group.deadlines_met += due - missed
    for key, *_rest in BUCKETS:
        group.backlog[key] += n(f"backlog_{key}")


# The median and the 90th percentile: the value at the fractional position (n - 1) * p
# (from 0) of the group's durations in order, interpolated between its two neighbours
# (PostgreSQL's percentile_cont). Integer arithmetic picks the rows: (n - 1) * 9 // 10 is
# exact, where 0.9 * (n - 1) is not.
RANKS = ((2, 1), (10, 9))  # (denominator, numerator): the median, the 90th percentile

# At most this many index walks per statement (SQLite allows 500 terms in a compound).
BRANCHES = 200


def _rank(n: int, den: int, num: int) -> tuple[int, float]:
    """The offset of the lower row and the weight of the upper one."""
    return (n - 1) * num // den, ((n - 1) * num % den) / den


def _walk(
    rows: QuerySet[Ticket], value: Any, offset: int, count: int, index: str
) -> tuple[str, list]:
    """The durations at `offset` and the next of the `count` `rows` in order, read from
    `index`: SQLite is told the index (its planner would rather sort the period's rows);
    PostgreSQL's planner finds it by the ORDER BY and the LIMIT. A rank in the upper
    half is walked to from the top, so the 90th percentile reads a tenth of the rows."""
    ordered = rows.annotate(v=value)
    if offset + 1 < count and offset > count // 2:
        offset = count - 2 - offset
        ordered = ordered.order_by("-v")
    else:
        ordered = ordered.order_by("v")
    query = ordered.values_list("v")[offset : offset + 2]
    sql, params = query.query.sql_with_params()
    if connection.vendor == "sqlite":
        table = f'FROM "{Ticket._meta.db_table}"'
        sql = sql.replace(table, f'{table} INDEXED BY "{index}"', 1)
    return sql, list(params)


def percentiles(
    walks: list[tuple[Any, QuerySet[Ticket], Any, int, str]],
) -> dict[Any, Durations]:
    """Count, median and 90th percentile of `value` over each `rows` of `walks` (key,
    rows, value, count, index): for each, two walks of `index` to the rows at the two
    ranks, all in a few statements; the counts are known beforehand."""
    branches: list[tuple[Any, int, float, int]] = []  # key, which rank, weight, walk
    sqls: list[tuple[str, list]] = []
    found: dict[Any, Durations] = {}
    for key, rows, value, count, index in walks:
        found[key] = Durations(count=count)
        if not count:
            continue
        for which, (den, num) in enumerate(RANKS):
            offset, weight = _rank(count, den, num)
            branches.append((key, which, weight, len(sqls)))
            sqls.append(_walk(rows, value, offset, count, index))
    values: list[list[float]] = [[] for _ in sqls]
    for start in range(0, len(sqls), BRANCHES):
        chunk = sqls[start : start + BRANCHES]
        statement = " UNION ALL ".join(
            f"SELECT {start + i} AS walk, v FROM ({sql}) w{i}"  # noqa: S608 (the ORM's SQL)
            for i, (sql, _p) in enumerate(chunk)
        )
        params = [param for _sql, chunk_params in chunk for param in chunk_params]
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            for walk, v in cursor.fetchall():
                values[walk].append(float(v))
    for key, which, weight, walk in branches:
        pair = sorted(values[walk])
        result = pair[0] * (1 - weight)
        if len(pair) > 1:
            result += pair[1] * weight
        durations = found[key]
        if which == 0:
            durations.median = round(result, 4)
        else:
            durations.p90 = round(result, 4)
    return found


def _orders(viewer: User, filters: Filters) -> dict[tuple[str, int | None], int]:
    """Orders placed in the period by the customers `viewer` may see: in all, per team
    of the customer and per week.

    Read from the orders' customer index (customer, placed, status: index-only), counted
    per customer first and only then joined to the customers for their team: a join per
    order reads the customer table once for each of half a million orders."""
    customers = visible_to(viewer, Customer.objects.all())
    if filters.team is not None:
        customers = customers.filter(team_id=filters.team)
    if customers.query.is_empty():  # a viewer who may see nothing
        return defaultdict(int)
    customer_sql, customer_params = (
        customers.order_by().values_list("id", "team_id").query.sql_with_params()
    )
    table = Order._meta.db_table
    hint = ' INDEXED BY "commerce_order_customer_v2"' if connection.vendor == "sqlite" else ""
    placed = "o.placed_at >= %s AND o.placed_at < %s AND o.status <> %s"
    period = [filters.start, filters.end, Order.Status.CANCELLED]
    # WeekNumber's SQL, on the alias.
    week_sql = {"sqlite": "((CAST(julianday(o.placed_at) - 2440587.5 AS INTEGER) + 3) / 7)"}.get(
        connection.vendor,
        "CAST(FLOOR((date_part('epoch', o.placed_at) / 86400 + 3) / 7) AS integer)",
    )
    per_customer = (
        f'SELECT o.customer_id, COUNT(*) AS n FROM "{table}" o{hint} WHERE {placed}'  # noqa: S608
        " GROUP BY o.customer_id"
    )
    by_team = (
        f"SELECT c.team_id, SUM(x.n) FROM ({per_customer}) x"  # noqa: S608 (no input)
        f" INNER JOIN ({customer_sql}) c ON c.id = x.customer_id GROUP BY c.team_id"
    )
    if sees_everything(viewer) and filters.team is None:
        by_week = (
            f'SELECT {week_sql}, COUNT(*) FROM "{table}" o{hint} WHERE {placed}'  # noqa: S608
            " GROUP BY 1"
        )
        week_params = period
    else:
        # The customers first, then each one's orders from the index.
        join = "CROSS JOIN" if connection.vendor == "sqlite" else "INNER JOIN"
        by_week = (
            f"SELECT {week_sql}, COUNT(*) FROM ({customer_sql}) c"  # noqa: S608 (no input)
            f' {join} "{table}" o{hint} ON o.customer_id = c.id WHERE {placed} GROUP BY 1'
        )
        week_params = [*customer_params, *period]
    found: dict[tuple[str, int | None], int] = defaultdict(int)
    with connection.cursor() as cursor:
        cursor.execute(by_team, [*period, *customer_params])
        for team, count in cursor.fetchall():
            found[("all", 0)] += int(count)
            found[("team", team)] += int(count)
        cursor.execute(by_week, week_params)
        for number, count in cursor.fetchall():
            found[("week", int(number))] += int(count)
    return found


def service_kpis(*, viewer: User, filters: Filters, now: dt.datetime | None = None) -> ServiceKpis:
    """Every KPI of the period for the tickets `viewer` may see (see the module)."""
    if connection.vendor != "postgresql":
        return _service_kpis(viewer, filters, now or timezone.now())
    # PostgreSQL would JIT-compile the grouped counts and the index walks (their cost
    # estimates pass jit_above_cost): about 230 ms of compiling per statement, for
    # statements that run in 10 to 100 ms. Off for this read only.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        return _service_kpis(viewer, filters, now or timezone.now())


def _service_kpis(viewer: User, filters: Filters, now: dt.datetime) -> ServiceKpis:
    tickets = _tickets(viewer, filters)
    relevant = tickets.filter(_relevant(filters, now))
    counts = _counts(filters, now)

    # One pass: conditional counts per category, team and week of creation (the week
    # only for tickets created in the period), added up here into every grouping.
    in_period = Q(created_at__gte=filters.start, created_at__lt=filters.end)
    grouped = (
        relevant.annotate(
            week=Case(When(in_period, then=WeekNumber(F("created_at"))), default=None)
        )
        .values("category_id", "team_id", "week")
        .annotate(**counts)
    )
    rows = _read(grouped, scan=sees_everything(viewer))
    backlog = (
        tickets.filter(status__in=ACTIVE_STATUSES)
        .values("category_id", "team_id")
        .annotate(**_backlog_counts(now))
    )
    rows += list(backlog)
    categories = dict(TicketCategory.objects.values_list("pk", "name"))
    teams = dict(Team.objects.values_list("pk", "name"))
    overall = Group(key=None, label=_("All tickets"))
    by_category: dict[int | None, Group] = {}
    by_team: dict[int | None, Group] = {}
    weekly_complaints: dict[int, int] = defaultdict(int)
    for row in rows:
        _add(overall, row)
        key = row["category_id"]
        if key not in by_category:
            by_category[key] = Group(key=key, label=categories.get(key, _("No category")))
        _add(by_category[key], row)
        key = row["team_id"]
        if key not in by_team:
            by_team[key] = Group(key=key, label=teams.get(key, _("No team")))
        _add(by_team[key], row)
        if row.get("week") is not None:
            weekly_complaints[row["week"]] += row["complaints"] or 0

    orders = _orders(viewer, filters)
    first_week = _week_of(filters.start)
    last_week = _week_of(filters.end - DAY)
    numbers = range(first_week, last_week + 1)

    # The medians and 90th percentiles, by walking the indexes in duration order to the
    # ranks the counts above give (the weeks' counts from one more statement).
    answered = tickets.filter(
        created_at__gte=filters.start, created_at__lt=filters.end, first_response_at__isnull=False
    )
    resolved = tickets.filter(resolved_at__gte=filters.start, resolved_at__lt=filters.end)
    week_rows = {number: _in_week(tickets, number, filters) for number in numbers}
    week_counts = _counts_of(list(week_rows.values()), "tickets_kpi_res_week")
    first_value, res_value = first_response_hours(), resolution_hours()
    walks: list[tuple[Any, QuerySet[Ticket], Any, int, str]] = [
        (("first", "all"), answered, first_value, overall.first_response.count, "tickets_kpi_frt"),
        (("res", "all"), resolved, res_value, overall.resolution.count, "tickets_kpi_res"),
    ]
    for key, group in by_category.items():
        walks.append(
            (
                ("first", "category", key),
                answered.filter(category_id=key),
                first_value,
                group.first_response.count,
                "tickets_kpi_frt_cat",
            )
        )
        walks.append(
            (
                ("res", "category", key),
                resolved.filter(category_id=key),
                res_value,
                group.resolution.count,
                "tickets_kpi_res_cat",
            )
        )
    for key, group in by_team.items():
        walks.append(
            (
                ("first", "team", key),
                answered.filter(team_id=key),
                first_value,
                group.first_response.count,
                "tickets_kpi_frt_team",
            )
        )
        walks.append(
            (
                ("res", "team", key),
                resolved.filter(team_id=key),
                res_value,
                group.resolution.count,
                "tickets_kpi_res_team",
            )
        )
    for (number, rows), count in zip(week_rows.items(), week_counts, strict=True):
        walks.append((("res", "week", number), rows, res_value, count, "tickets_kpi_res_week"))
    found = percentiles(walks)

    overall.first_response = found[("first", "all")]
    overall.resolution = found[("res", "all")]
    overall.orders = orders.get(("all", 0), 0)
    for key, group in by_category.items():
        group.first_response = found[("first", "category", key)]
        group.resolution = found[("res", "category", key)]
        group.orders = overall.orders
    for key, group in by_team.items():
        group.first_response = found[("first", "team", key)]
        group.resolution = found[("res", "team", key)]
        group.orders = orders.get(("team", key), 0)

    weeks = [
        Week(
            number=number,
            resolution=found[("res", "week", number)],
            complaints=weekly_complaints.get(number, 0),
            orders=orders.get(("week", number), 0),
        )
        for number in numbers
    ]

    def ordered(groups: dict[int | None, Group], names: dict[int, str]) -> list[Group]:
        # In the order of the names (categories by position, teams by name); none last.
        order = {key: index for index, key in enumerate(names)}
        return sorted(groups.values(), key=lambda g: order.get(g.key, len(order)))

    return ServiceKpis(
        filters=filters,
        as_of=now,
        overall=overall,
        by_category=ordered(by_category, categories),
        by_team=ordered(by_team, teams),
        weeks=weeks,
    )


def _read(rows: QuerySet[Ticket], *, scan: bool) -> list[dict[str, Any]]:
    """The rows of a grouped `.values()` queryset. `scan`: on SQLite, read the table in
    order rather than through an index (the planner picks the category index, whose
    order suits the GROUP BY, and then looks every ticket up: slower than the scan when
    most of the table counts, as for a viewer who sees everything)."""
    if rows.query.is_empty():  # a viewer who may see nothing
        return []
    sql, params = rows.query.sql_with_params()
    if scan and connection.vendor == "sqlite":
        table = f'FROM "{Ticket._meta.db_table}"'
        sql = sql.replace(table, f"{table} NOT INDEXED", 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _in_week(rows: QuerySet[Ticket], number: int, filters: Filters) -> QuerySet[Ticket]:
    """The tickets of `rows` resolved in week `number` (and in the period): one range,
    so that the index walk reads the week only."""
    start = dt.datetime.combine(week_start(number), dt.time(), tzinfo=dt.UTC)
    return rows.filter(
        resolved_at__gte=max(start, filters.start),
        resolved_at__lt=min(start + 7 * DAY, filters.end),
    )


def _counts_of(querysets: list[QuerySet[Ticket]], index: str) -> list[int]:
    """How many rows each queryset has, in one statement (a range count each, from the
    covering `index` on SQLite)."""
    if not querysets or querysets[0].query.is_empty():
        return [0] * len(querysets)
    parts, params = [], []
    for rows in querysets:
        sql, part_params = rows.values("pk").query.sql_with_params()
        if connection.vendor == "sqlite":
            table = f'FROM "{Ticket._meta.db_table}"'
            sql = sql.replace(table, f'{table} INDEXED BY "{index}"', 1)
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c)")  # noqa: S608 (the ORM's SQL)
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(n) for n in cursor.fetchone()]


def _week_of(moment: dt.datetime) -> int:
    days = (moment.astimezone(dt.UTC).date() - dt.date(1970, 1, 1)).days
    return (days + 3) // 7
