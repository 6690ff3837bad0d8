"""SQL expressions that differ between SQLite and PostgreSQL, shared by the service KPIs
(`patron.service.kpis`) and the ticket indexes that serve them (`Ticket.Meta.indexes`):
an index on an expression is used only for the very same expression, so both take it
from here."""

from __future__ import annotations

from typing import Any

from django.db.models import F, FloatField, Func, IntegerField


class Hours(Func):
    """Wall-clock hours from the second timestamp to the first: Hours(later, earlier)."""

    output_field = FloatField()
    arity = 2

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 24.0)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)",
            arg_joiner=" - ",
            **extra,
        )


class WeekNumber(Func):
    """Weeks (Monday to Sunday, UTC) since Monday 1969-12-29: (days since 1970 + 3) / 7."""

    output_field = IntegerField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER) + 3) / 7)",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(FLOOR((date_part('epoch', %(expressions)s) / 86400 + 3) / 7)"
            " AS integer)",
            **extra,
        )


def first_response_hours() -> Hours:
    return Hours(F("first_response_at"), F("created_at"))


def resolution_hours() -> Hours:
    return Hours(F("resolved_at"), F("created_at"))


def kpi_indexes() -> list[Any]:
    """The ticket indexes of the KPIs' medians and 90th percentiles: per grouping (all
    tickets, a category, a team; and for resolutions the period in time order, for the
    weeks), the duration in order, then every column a filter or the visibility rule
    reads, so that the value at a rank is found by walking the index alone (`LIMIT 2
    OFFSET k`), never by sorting the period's tickets."""
    from django.db.models import Index, Q

    rest = [F("category"), F("team"), F("owner"), F("type"), F("priority")]

    def others(*skip: str) -> list[F]:
        return [column for column in rest if column.name not in skip]

    resolved = Q(resolved_at__isnull=False)
    answered = Q(first_response_at__isnull=False)
    res, first = resolution_hours(), first_response_hours()
    at, created, answer = F("resolved_at"), F("created_at"), F("first_response_at")
    return [
        Index(res, at, created, *others(), name="tickets_kpi_res", condition=resolved),
        Index(
            F("category"),
            res,
            at,
            created,
            *others("category"),
            name="tickets_kpi_res_cat",
            condition=resolved,
        ),
        Index(
            F("team"),
            res,
            at,
            created,
            *others("team"),
            name="tickets_kpi_res_team",
            condition=resolved,
        ),
        Index(at, res, created, *others(), name="tickets_kpi_res_week", condition=resolved),
        Index(first, created, answer, *others(), name="tickets_kpi_frt", condition=answered),
        Index(
            F("category"),
            first,
            created,
            answer,
            *others("category"),
            name="tickets_kpi_frt_cat",
            condition=answered,
        ),
        Index(
            F("team"),
            first,
            created,
            answer,
            *others("team"),
            name="tickets_kpi_frt_team",
            condition=answered,
        ),
    ]
