"""The few SQL expressions that differ between SQLite and PostgreSQL in the refresh:
day numbers, money in the default currency, and scratch tables.

Every statement of the refresh is written once, with these pieces put in; the tests run
on both databases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def day_number(column: str) -> str:
    """Days since 1970-01-01 (UTC) of a timestamp column, as an integer."""
    if is_postgres():
        # Arithmetic on the epoch, several times cheaper than a time-zone conversion.
        return f"CAST(FLOOR(date_part('epoch', {column}) / 86400) AS integer)"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def day_start(day_expression: str) -> str:
    """The first moment (UTC) of a day number, comparable with stored timestamps."""
    if is_postgres():
        return f"to_timestamp(({day_expression}) * 86400)"
    return f"datetime(({day_expression}) * 86400, 'unixepoch')"


def day_of(moment: dt.datetime) -> int:
    """The day number of a moment, as `day_number` computes it in SQL."""
    utc = moment.astimezone(dt.UTC) if moment.tzinfo else moment
    return (utc.date() - dt.date(1970, 1, 1)).days


def timestamp(moment: dt.datetime) -> Any:
    """A parameter the database compares with its stored timestamps."""
    return connection.ops.adapt_datetimefield_value(moment)


def exchange_rates() -> dict[str, Decimal]:
    """Rates to the default currency: PATRON_EXCHANGE_RATES ("EUR=1.08,GBP=1.27"), and
    the default currency itself at 1. Orders in a currency without a rate count as
    orders but add no money (nothing is guessed)."""
    rates = {settings.PATRON_DEFAULT_CURRENCY: Decimal(1)}
    rates.update(getattr(settings, "PATRON_EXCHANGE_RATES", {}))
    return rates


def in_default_currency(amount_column: str, currency_column: str) -> tuple[str, list[Any]]:
    """An expression of `amount_column` converted to the default currency (NULL when the
    currency has no rate), and its parameters."""
    rates = exchange_rates()
    cases = " ".join(f"WHEN {currency_column} = %s THEN {amount_column} * %s" for _ in rates)
    params: list[Any] = []
    for code, rate in rates.items():
        params += [code, float(rate) if not is_postgres() else rate]
    return f"(CASE {cases} END)", params


def least(*expressions: str) -> str:
    return f"{'LEAST' if is_postgres() else 'MIN'}({', '.join(expressions)})"


def greatest(*expressions: str) -> str:
    return f"{'GREATEST' if is_postgres() else 'MAX'}({', '.join(expressions)})"


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


def scratch_table(name: str, columns: str) -> None:
    """A temporary table of this connection, dropped first if a failed run left it.
    `columns` is the column list; the first column must be the integer key."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        key, comma, rest = columns.partition(",")
        key_name = key.split()[0]
        rest = comma + rest
        if is_postgres():
            # Unlogged work: no write-ahead log for rows that live minutes.
            cursor.execute(f"CREATE TEMPORARY TABLE {name} ({key_name} bigint PRIMARY KEY{rest})")
        else:
            cursor.execute(f"CREATE TEMPORARY TABLE {name} ({key_name} INTEGER PRIMARY KEY{rest})")


def create_from(name: str, columns: str, select: str, params: Sequence[Any]) -> int:
    """PostgreSQL: the scratch table made by CREATE TABLE AS (which, unlike INSERT ...
    SELECT, may scan in parallel), keyed on its first column. Returns the rows."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) AS {select}", params)
        count = cursor.rowcount
        key = columns.split(",")[0].strip()
        cursor.execute(f"ALTER TABLE {name} ADD PRIMARY KEY ({key})")
    return count


def drop_scratch(*names: str) -> None:
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def analyze(name: str) -> None:
    """Statistics for the planner on a freshly filled scratch table (PostgreSQL does not
    gather them for temporary tables by itself)."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {name}")


def fill(name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert plain tuples into a scratch table: COPY on PostgreSQL, executemany on
    SQLite (the sqlite3 cursor directly: Django's wrapper re-formats every parameter)."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if is_postgres():
            with cursor.cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["?"] * len(columns))
        statement = f"INSERT INTO {name} ({names}) VALUES ({marks})"  # noqa: S608 (our names)
        cursor.cursor.executemany(statement, rows)


def floor(expression: str) -> str:
    """The integer floor of a non-negative expression (PostgreSQL's CAST rounds)."""
    if is_postgres():
        return f"CAST(FLOOR({expression}) AS integer)"
    return f"CAST({expression} AS INTEGER)"
