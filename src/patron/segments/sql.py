"""The SQL pieces of segment rules that differ between SQLite and PostgreSQL: text
without the case of A-Z, and typed values of the custom-fields JSON."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F

NUMBER, TEXT, BOOLEAN = "number", "text", "boolean"


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ASCII_FOLD = str.maketrans(_UPPER, _LOWER)


def fold(text: str) -> str:
    """What `Folded` makes of a text in SQL: A-Z in lower case, everything else as is."""
    return text.translate(_ASCII_FOLD)


class Folded(models.Func):
    """A text with A-Z in lower case and nothing else changed, the same on both
    databases (SQLite's lower() changes only A-Z; PostgreSQL's would follow its locale)."""

    function = "LOWER"
    output_field = models.TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=f"TRANSLATE(%(expressions)s, '{_UPPER}', '{_LOWER}')",
            **extra,
        )


class CustomValue(models.Func):
    """The value of `Customer.custom_fields[key]` as an SQL value of `kind` (number: a
    number; text: a text; boolean: 'true' or 'false'), or NULL when the key is absent or
    holds JSON of another type. Written per database: JSON operators differ, and a
    bare json_extract() on SQLite would compare numbers with texts by type, not value."""

    arity = 1

    def __init__(self, key: str, kind: str) -> None:
        self.key, self.kind = key, kind
        output = models.DecimalField() if kind == NUMBER else models.TextField()
        super().__init__(F("custom_fields"), output_field=output)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            node = f"({column} -> (%s)::text)"
            typed = {NUMBER: "number", TEXT: "string", BOOLEAN: "boolean"}[self.kind]
            value = (
                f"(({column} ->> (%s)::text)::numeric)"
                if self.kind == NUMBER
                else (f"({column} ->> (%s)::text)")
            )
            sql = f"(CASE WHEN jsonb_typeof({node}) = '{typed}' THEN {value} END)"
            return sql, [*params, self.key, *params, self.key]
        path = f'$."{self.key}"'
        if self.kind == NUMBER:
            sql = (
                f"(CASE WHEN json_type({column}, %s) IN ('integer', 'real') "
                f"THEN CAST(json_extract({column}, %s) AS REAL) END)"
            )
            return sql, [*params, path, *params, path]
        if self.kind == BOOLEAN:
            sql = (
                f"(CASE WHEN json_type({column}, %s) IN ('true', 'false') "
                f"THEN json_type({column}, %s) END)"
            )
            return sql, [*params, path, *params, path]
        sql = f"(CASE WHEN json_type({column}, %s) = 'text' THEN json_extract({column}, %s) END)"
        return sql, [*params, path, *params, path]


def business_zone() -> dt.tzinfo:
    """The zone whole days of rules are read in: the business's (TIME_ZONE), the same
    for the live count of whoever builds a segment and for the nightly refresh."""
    try:
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
