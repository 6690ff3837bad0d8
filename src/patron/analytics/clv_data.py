"""The CLV models' summary of the orders in the database, built set-based in SQL.

One statement groups the orders by customer and day (a purchase is a customer-day, as
in the literature), then by customer; the database returns one row per customer and
numpy turns the rows into a `clv.Summary`. Nothing loops over orders or customers in
Python, so it works the same on a million customers.

Days are UTC days, as in the refresh (`sql.day_number`); both ends are exclusive dates:
the calibration period is the days before `calibration_end`, the holdout the days from
it up to, not including, `holdout_end`. Cancelled and returned orders never count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db import connection

from patron.analytics import clv, sql

FETCH = 100_000  # rows per fetch from the database


def midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _as_float(expression: str) -> str:
    return f"CAST({expression} AS {'double precision' if sql.is_postgres() else 'REAL'})"


def summary_statement(
    *, calibration_end: dt.date, holdout_end: dt.date | None
) -> tuple[str, list[Any]]:
    """The SQL (and its parameters) of one row per customer whose first purchase falls
    before `calibration_end`: customer id, calibration purchases, first and last
    calibration day, purchases in the holdout, the value of the repeat calibration
    purchases and how many of them have one (in the default currency; a currency
    without an exchange rate has no value)."""
    amount, amount_params = sql.in_default_currency("o.total_amount", "o.currency")
    day = sql.day_number("o.placed_at")
    cal = sql.day_of(midnight_utc(calibration_end))
    end = holdout_end or calibration_end
    statement = f"""
        SELECT customer_id,
               SUM(CASE WHEN day < %s THEN 1 ELSE 0 END) AS purchases,
               MIN(day) AS first_day,
               MAX(CASE WHEN day < %s THEN day END) AS last_day,
               SUM(CASE WHEN day >= %s THEN 1 ELSE 0 END) AS holdout,
               SUM(CASE WHEN day < %s AND nth > 1 THEN {_as_float("value")} END) AS repeat_value,
               SUM(CASE WHEN day < %s AND nth > 1 AND value IS NOT NULL THEN 1 ELSE 0 END)
                   AS repeat_valued
        FROM (
            SELECT o.customer_id, {day} AS day,
                   ROW_NUMBER() OVER (PARTITION BY o.customer_id ORDER BY {day}) AS nth,
                   SUM({amount}) AS value
            FROM commerce_order o
            WHERE o.placed_at < %s AND o.status NOT IN ('cancelled', 'returned')
            GROUP BY o.customer_id, {day}
        ) AS days
        GROUP BY customer_id
        HAVING MIN(day) < %s
        ORDER BY customer_id
    """  # noqa: S608 (the expressions are ours; values are parameters)
    params = [cal, cal, cal, cal, cal, *amount_params, sql.timestamp(midnight_utc(end)), cal]
    return statement, params


def summary_from_orders(
    *,
    calibration_end: dt.date,
    holdout_end: dt.date | None = None,
    unit_days: float = 7,
) -> clv.Summary:
    """Frequency, recency, age and mean repeat spend per customer from the orders, in
    periods of `unit_days` days (weeks by default), as `clv.summary_from_arrays` defines
    them: x is the calibration purchases after the first, t_x the last calibration day
    minus the first, T the last calibration day (the day before `calibration_end`) minus
    the first, `monetary` the mean value of the repeat purchases (NaN without one). With
    `holdout_end`, `holdout` counts each customer's purchases from `calibration_end` up
    to `holdout_end`, over `holdout_length` periods. Customer ids are the primary keys."""
    if unit_days <= 0:
        raise ValueError("unit_days must be positive")
    if holdout_end is not None and holdout_end <= calibration_end:
        raise ValueError("the holdout end must be after the calibration end")
    statement, params = summary_statement(calibration_end=calibration_end, holdout_end=holdout_end)
    chunks: list[np.ndarray] = []
    # A server-side cursor on PostgreSQL: a million rows arrive in pieces.
    with connection.chunked_cursor() as cursor:
        cursor.execute(statement, params)
        while rows := cursor.fetchmany(FETCH):
            chunks.append(np.array(rows, dtype=np.float64))  # NULL -> NaN
    data = np.concatenate(chunks) if chunks else np.zeros((0, 7))
    ids, purchases, first, last, holdout, value, valued = data.T
    last_cal = sql.day_of(midnight_utc(calibration_end)) - 1
    x = (purchases - 1).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(valued > 0, value / np.maximum(valued, 1), np.nan)
    return clv.Summary(
        customer_ids=ids.astype(np.int64),
        x=x,
        t_x=(last - first) / unit_days,
        T=(last_cal - first) / unit_days,
        monetary=monetary,
        holdout=None if holdout_end is None else holdout.astype(np.int64),
        holdout_length=None
        if holdout_end is None
        else (holdout_end - calibration_end).days / unit_days,
    )
