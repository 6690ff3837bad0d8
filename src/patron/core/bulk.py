"""Set-based writes for imports: reserve ids, insert and update many rows in one round trip.

The ORM's bulk_create builds a model instance per row; at a million rows that costs more
than the database work itself. These helpers take plain tuples: `executemany` on SQLite
(one prepared statement), COPY on PostgreSQL. They run inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`, safe under concurrent writers (SQLite holds
    the write lock for the whole transaction; PostgreSQL hands out sequence values)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {_table(model)}")  # noqa: S608
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
        # Claim the range now, so that a later ORM insert in this transaction (which
        # takes max(seq, max(id)) + 1) cannot collide with ids not yet inserted.
        last = start + count - 1
        if row is None:
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last])
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last, table])
        return list(range(start, last + 1))


@functools.lru_cache(maxsize=1024)
def _sqlite_datetime(value: Any) -> Any:
    # Cached: a batch repeats the same few timestamps (now, the file's dates) many times.
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(" ")
    return value


def _json(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _converters(model: type[models.Model], fields: Sequence[str]) -> list[tuple[int, Any]]:
    """(position, converter) for the columns whose Python values SQLite cannot take as
    they are; every other value passes untouched (the common case, kept cheap)."""
    sqlite = connection.vendor == "sqlite"
    out = []
    for index, name in enumerate(fields):
        field = model._meta.get_field(name)
        if isinstance(field, models.JSONField):
            out.append((index, _json))
        elif sqlite and isinstance(field, models.DateTimeField):
            out.append((index, _sqlite_datetime))
    return out


def _adapted(
    rows: Iterable[Sequence[Any]], converters: list[tuple[int, Any]]
) -> Iterable[Sequence[Any]]:
    if not converters:
        yield from rows
        return
    for row in rows:
        values = list(row)
        for index, convert in converters:
            values[index] = convert(values[index])
        yield values


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert `rows` (tuples in the order of `fields`, which are model field names)."""
    columns = _columns(model, fields)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    rows = _adapted(rows, _converters(model, fields))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor: COPY is several times faster
            with (
                connection.wrap_database_errors,
                raw.copy(f"COPY {_table(model)} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        # The sqlite3 module directly: Django's wrapper re-formats every parameter.
        with connection.wrap_database_errors:
            sqlite3.Cursor.executemany(
                cursor.cursor,
                f"INSERT INTO {_table(model)} ({names}) VALUES ({marks.replace('%s', '?')})",  # noqa: S608
                rows,
            )


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Update by primary key: each row is (pk, *values in the order of `fields`)."""
    columns = _columns(model, fields)
    assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    converters = [(i + 1, c) for i, c in _converters(model, fields)]
    params = [[*row[1:], row[0]] for row in _adapted(rows, converters)]
    if not params:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {_table(model)} SET {assignments} WHERE id = %s",  # noqa: S608
            params,
        )
