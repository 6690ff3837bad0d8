"""The last step of a refresh: every customer's row of figures written at once, from the
scratch tables of the steps before, with the relationship stage decided on the way.

The table is emptied and filled in one transaction, so a reader sees the figures of the
run before or of this one, never a mix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import connection, models

from patron.analytics import sql
from patron.analytics.metrics import CONTACT, ORDERS, SERVICE, Window
from patron.analytics.models import CustomerMetrics, RelationshipStage, ValueSettings
from patron.analytics.ranking import RANKS
from patron.analytics.scoring import SCORES

PREVIOUS = "patron_refresh_previous"
TRUSTED = "patron_refresh_trusted"

COLUMNS = [
    "customer_id",
    "first_order_at",
    "last_order_at",
    "orders_total",
    "revenue_total",
    "margin_total",
    "orders_12m",
    "revenue_12m",
    "margin_12m",
    "orders_prev_12m",
    "revenue_prev_12m",
    "margin_prev_12m",
    "order_days",
    "first_day_revenue",
    "recency_days",
    "frequency",
    "tenure_days",
    "average_order_value",
    "usual_revenue",
    "trend",
    "last_interaction_at",
    "days_since_interaction",
    "interactions_12m",
    "two_way_recent",
    "declined_12m",
    "answers",
    "open_tickets",
    "open_complaints",
    "value_rank",
    "value_tier",
    "below_zero_reasons",
    "revenue_share_before",
    "abc_class",
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "rfm_segment",
    "previous_rfm_segment",
    "p_alive",
    "expected_purchases_12m",
    "expected_order_value",
    "clv_12m",
    "relationship_stage",
    "refreshed_at",
]


def _trusted_customers(value_settings: ValueSettings) -> None:
    """Customers carrying a tag that marks a referral or advocacy."""
    names = [t.strip().casefold() for t in value_settings.trust_tags if t.strip()]
    sql.scratch_table(TRUSTED, "customer_id")
    if not names:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {TRUSTED}
                SELECT DISTINCT ct.customer_id FROM customers_customer_tags ct
                JOIN customers_tag t ON t.id = ct.tag_id
                WHERE LOWER(t.name) IN ({sql.placeholders(names)})""",  # noqa: S608
            names,
        )
    sql.analyze(TRUSTED)


def _stage_case(value_settings: ValueSettings, day: int) -> tuple[str, list[Any]]:
    vs = value_settings
    expression = """CASE
        WHEN o.first_day IS NOT NULL AND %s - o.first_day >= %s
             AND tr.customer_id IS NOT NULL AND COALESCE(sv.open_complaints, 0) = 0 THEN %s
        WHEN COALESCE(c.answers, 0) >= %s AND COALESCE(o.orders_total, 0) >= %s THEN %s
        WHEN COALESCE(c.inbound_recent, 0) = 1 AND COALESCE(c.outbound_recent, 0) = 1 THEN %s
        ELSE %s END"""
    return expression, [
        day,
        vs.trust_tenure_days,
        RelationshipStage.TRUST.value,
        max(vs.intimacy_answers, 0),
        max(vs.intimacy_orders, 0),
        RelationshipStage.INTIMACY.value,
        RelationshipStage.CONNECTION.value,
        RelationshipStage.CONTACT.value,
    ]


def write_metrics(window: Window, value_settings: ValueSettings, now: dt.datetime) -> int:
    table = CustomerMetrics._meta.db_table
    day = window.day
    _trusted_customers(value_settings)
    stage, stage_params = _stage_case(value_settings, day)
    interaction_day = sql.day_number("c.last_interaction_at")
    as_text = "varchar" if sql.is_postgres() else "TEXT"
    # The order of the expressions follows COLUMNS.
    select = f"""
        SELECT cu.id, o.first_order_at, o.last_order_at,
               COALESCE(o.orders_total, 0), COALESCE(o.revenue_total, 0), o.margin_total,
               COALESCE(o.orders_12m, 0), COALESCE(o.revenue_12m, 0), o.margin_12m,
               COALESCE(o.orders_prev_12m, 0), COALESCE(o.revenue_prev_12m, 0),
               o.margin_prev_12m,
               COALESCE(o.order_days, 0), COALESCE(o.first_day_revenue, 0),
               {day} - o.last_day,
               o.orders_total * 365.25 / {sql.greatest(f"{day} - o.first_day", "365")},
               {day} - o.first_day,
               1.0 * o.revenue_total / NULLIF(o.orders_total, 0),
               CASE WHEN {day} - o.first_day > 365 THEN
                   1.0 * (o.revenue_total - o.revenue_12m) * 365.25
                   / {sql.greatest(f"{day} - o.first_day - 365", "365")} END,
               CASE WHEN {day} - o.first_day > 365
                         AND o.revenue_total - o.revenue_12m > 0 THEN
                   1.0 * o.revenue_12m / ((o.revenue_total - o.revenue_12m) * 365.25
                   / {sql.greatest(f"{day} - o.first_day - 365", "365")}) END,
               c.last_interaction_at,
               CASE WHEN c.last_interaction_at IS NOT NULL
                    THEN {sql.greatest(f"{day} - {interaction_day}", "0")} END,
               COALESCE(c.interactions_12m, 0),
               (COALESCE(c.inbound_recent, 0) = 1 AND COALESCE(c.outbound_recent, 0) = 1),
               COALESCE(c.declined_12m, 0), COALESCE(c.answers, 0),
               COALESCE(sv.open_tickets, 0), COALESCE(sv.open_complaints, 0),
               r.value_rank, COALESCE(r.value_tier, ''),
               COALESCE(r.below_zero_reasons, ''), r.revenue_share_before,
               COALESCE(r.abc_class, ''), r.r_score, r.f_score, r.m_score,
               COALESCE(CAST(r.r_score AS {as_text}) || CAST(r.f_score AS {as_text})
                        || CAST(r.m_score AS {as_text}), ''),
               COALESCE(r.rfm_segment, ''), COALESCE(p.rfm_segment, ''),
               s.p_alive, s.expected_purchases, s.expected_value, s.clv,
               {stage},
               %s
        FROM customers_customer cu
        LEFT JOIN {ORDERS} o ON o.customer_id = cu.id
        LEFT JOIN {CONTACT} c ON c.customer_id = cu.id
        LEFT JOIN {RANKS} r ON r.customer_id = cu.id
        LEFT JOIN {SCORES} s ON s.customer_id = cu.id
        LEFT JOIN {PREVIOUS} p ON p.customer_id = cu.id
        LEFT JOIN {TRUSTED} tr ON tr.customer_id = cu.id
        LEFT JOIN {SERVICE} sv ON sv.customer_id = cu.id
        ORDER BY cu.id
    """  # noqa: S608
    names = ", ".join(COLUMNS)
    sql.scratch_table(PREVIOUS, "customer_id, rfm_segment varchar(20)")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PREVIOUS} SELECT customer_id, rfm_segment FROM {table}"  # noqa: S608
            " WHERE rfm_segment <> ''"
        )
        sql.analyze(PREVIOUS)
        # PostgreSQL: TRUNCATE, not DELETE, which would leave a million dead rows and
        # index entries at every refresh (the write went from 11 s to 42 s by the second
        # run). It locks the table until the commit, a few seconds at night: readers wait.
        # SQLite empties a table without a WHERE just as fast.
        cursor.execute(f"{'TRUNCATE' if sql.is_postgres() else 'DELETE FROM'} {table}")
        with _indexes_built_after(CustomerMetrics):
            cursor.execute(
                f"INSERT INTO {table} ({names}) {select}",
                [*stage_params, sql.timestamp(now)],
            )
            written = cursor.rowcount
    # TRUNCATE left PostgreSQL believing the table empty: the segments and signals that
    # read it next would be planned for no rows.
    sql.analyze(table)
    return written


@contextlib.contextmanager
def _indexes_built_after(model: type[models.Model]) -> Iterator[None]:
    """PostgreSQL: the secondary indexes dropped before the write and built after it,
    several times faster than maintaining them row by row. Inside the refresh's
    transaction, behind the TRUNCATE's lock: no reader sees the table without them."""
    if not sql.is_postgres():
        yield
        return
    with connection.schema_editor(atomic=False) as editor:
        for index in model._meta.indexes:
            editor.remove_index(model, index)
    yield
    with connection.schema_editor(atomic=False) as editor:
        for index in model._meta.indexes:
            editor.add_index(model, index)


def drop_all() -> None:
    sql.drop_scratch(ORDERS, CONTACT, SERVICE, RANKS, SCORES, PREVIOUS, TRUSTED)
