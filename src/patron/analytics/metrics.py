"""The per-customer figures, aggregated in SQL over the whole base into scratch tables:
one pass over the orders (by customer and day), one over the interactions, one over the
answers. Nothing here loops over customers in Python.

Windows: "last 12 months" is [as_of - 365 days, as_of); "12 months before" is the year
before that. Orders placed at or after `as_of` are left out, so a refresh as of a past
date sees the base as it was then. Cancelled and returned orders never count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection

from patron.analytics import sql
from patron.analytics.models import ValueSettings

ORDERS = "patron_refresh_orders"
CONTACT = "patron_refresh_contact"
YEAR = dt.timedelta(days=365)


@dataclass(frozen=True)
class Window:
    as_of: dt.datetime
    year_ago: dt.datetime
    two_years_ago: dt.datetime

    @classmethod
    def ending(cls, as_of: dt.datetime) -> Window:
        return cls(as_of, as_of - YEAR, as_of - 2 * YEAR)

    @property
    def day(self) -> int:
        return sql.day_of(self.as_of)


def aggregate_orders(window: Window) -> int:
    """One row per buying customer: counts and money over all time and both windows,
    distinct order days (purchases in the CLV models) and the value of the first day."""
    amount, amount_params = sql.in_default_currency("o.total_amount", "o.currency")
    margin, margin_params = sql.in_default_currency("(o.total_amount - o.total_cost)", "o.currency")
    day = sql.day_number("o.placed_at")
    ts = sql.timestamp
    sql.scratch_table(
        ORDERS,
        "customer_id, first_order_at timestamp, last_order_at timestamp,"
        " first_day integer, last_day integer, order_days integer, first_day_revenue numeric,"
        " orders_total integer, revenue_total numeric, margin_total numeric,"
        " orders_12m integer, revenue_12m numeric, margin_12m numeric,"
        " orders_prev_12m integer, revenue_prev_12m numeric, margin_prev_12m numeric",
    )
    y1, y2 = ts(window.year_ago), ts(window.two_years_ago)
    # Per customer and day first: a purchase is a customer-day, and the first day's value
    # is left out of the mean spend of repeat purchases (Gamma-Gamma).
    statement = f"""
        INSERT INTO {ORDERS}
        SELECT customer_id, MIN(first_at), MAX(last_at), MIN(day), MAX(day), COUNT(*),
               COALESCE(SUM(CASE WHEN nth = 1 THEN revenue END), 0),
               SUM(orders), COALESCE(SUM(revenue), 0), SUM(margin),
               SUM(orders_12m), COALESCE(SUM(revenue_12m), 0), SUM(margin_12m),
               SUM(orders_prev), COALESCE(SUM(revenue_prev), 0), SUM(margin_prev)
        FROM (
            SELECT o.customer_id, {day} AS day,
                   ROW_NUMBER() OVER (PARTITION BY o.customer_id ORDER BY {day}) AS nth,
                   MIN(o.placed_at) AS first_at, MAX(o.placed_at) AS last_at,
                   COUNT(*) AS orders, SUM({amount}) AS revenue, SUM({margin}) AS margin,
                   SUM(CASE WHEN o.placed_at >= %s THEN 1 ELSE 0 END) AS orders_12m,
                   SUM(CASE WHEN o.placed_at >= %s THEN {amount} END) AS revenue_12m,
                   SUM(CASE WHEN o.placed_at >= %s THEN {margin} END) AS margin_12m,
                   SUM(CASE WHEN o.placed_at >= %s AND o.placed_at < %s THEN 1 ELSE 0 END)
                       AS orders_prev,
                   SUM(CASE WHEN o.placed_at >= %s AND o.placed_at < %s THEN {amount} END)
                       AS revenue_prev,
                   SUM(CASE WHEN o.placed_at >= %s AND o.placed_at < %s THEN {margin} END)
                       AS margin_prev
            FROM commerce_order o
            WHERE o.placed_at < %s AND o.status NOT IN ('cancelled', 'returned')
            GROUP BY o.customer_id, {day}
        ) AS days
        GROUP BY customer_id
        ORDER BY customer_id
    """  # noqa: S608 (table names and expressions are ours; values are parameters)
    params: list[Any] = [
        *amount_params,
        *margin_params,
        y1,
        y1,
        *amount_params,
        y1,
        *margin_params,
        y2,
        y1,
        y2,
        y1,
        *amount_params,
        y2,
        y1,
        *margin_params,
        ts(window.as_of),
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        count = cursor.rowcount
    sql.analyze(ORDERS)
    return count


def aggregate_contact(window: Window, value_settings: ValueSettings) -> int:
    """One row per customer with interactions or answers: the last interaction, the
    interactions of the last 12 months, whether the conversation went both ways in the
    connection window, declined proposals, questions answered."""
    since = window.as_of - dt.timedelta(days=value_settings.connection_days)
    declined = [o.strip().casefold() for o in value_settings.declined_outcomes if o.strip()]
    ts = sql.timestamp
    sql.scratch_table(
        CONTACT,
        "customer_id, last_interaction_at timestamp, interactions_12m integer,"
        " inbound_recent integer, outbound_recent integer, declined_12m integer,"
        " answers integer",
    )
    statement = f"""
        INSERT INTO {CONTACT}
        SELECT customer_id, MAX(last_at), SUM(n12), MAX(inbound), MAX(outbound),
               SUM(declined), SUM(answers)
        FROM (
            SELECT i.customer_id, MAX(i.occurred_at) AS last_at,
                   SUM(CASE WHEN i.occurred_at >= %s THEN 1 ELSE 0 END) AS n12,
                   MAX(CASE WHEN i.occurred_at >= %s AND i.direction = 'inbound'
                       THEN 1 ELSE 0 END) AS inbound,
                   MAX(CASE WHEN i.occurred_at >= %s AND i.direction = 'outbound'
                       THEN 1 ELSE 0 END) AS outbound,
                   SUM(CASE WHEN i.occurred_at >= %s
                       AND LOWER(i.outcome) IN ({sql.placeholders(declined)})
                       THEN 1 ELSE 0 END) AS declined,
                   0 AS answers
            FROM interactions_interaction i
            WHERE i.occurred_at < %s
            GROUP BY i.customer_id
            UNION ALL
            SELECT a.customer_id, NULL, 0, 0, 0, 0, COUNT(DISTINCT a.question_id)
            FROM interactions_answer a
            WHERE a.skipped = %s AND a.answered_at < %s
            GROUP BY a.customer_id
        ) AS contact
        GROUP BY customer_id
        ORDER BY customer_id
    """  # noqa: S608
    y1 = ts(window.year_ago)
    params = [y1, ts(since), ts(since), y1, *declined, ts(window.as_of), False, ts(window.as_of)]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        count = cursor.rowcount
    sql.analyze(CONTACT)
    return count
