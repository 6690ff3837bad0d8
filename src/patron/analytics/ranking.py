"""Value tiers, ABC classes and RFM scores: window functions over the buying customers,
in one statement into a scratch table.

The rules (docs/user-guide.md, "Customer value", says the same to users):

- **Most valuable**: among customers with a positive basis (revenue or margin of the last
  12 months, as the settings say), those ranked within the top share. Ties share a rank,
  so a tie at the boundary is in as a whole: rank - 1 < share x active customers.
- **ABC** by revenue of the last 12 months: a customer's class follows the share of
  revenue brought by customers ranked strictly above them (A while it is below the A
  share, B below the B share, else C). Equal revenues get the same class. A buyer with no
  revenue in 12 months is C.
- **Below zero**: buyers who cost more than they bring (margin of 12 months after the
  cost to serve below zero), stopped buying (nothing in 12 months), are shrinking (still
  buying, but below the set share of the 12 months before) or repeatedly declined
  proposals; of those, the worst by net value (margin, or revenue where cost is
  unknown, less the cost to serve), at most the set share of all buyers. A most-valuable
  customer is below zero only with a negative net value.
- **RFM**: recency (days since the last order, fewer is better), frequency (orders) and
  monetary value (revenue), all time. Each score is 1 + floor(5 x percent rank), so equal
  values get equal scores and 5 is the best fifth. The named segment follows R and F.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from patron.analytics import sql
from patron.analytics.metrics import CONTACT, ORDERS, Window
from patron.analytics.models import RfmSegment, ValueSettings, ValueTier

RANKS = "patron_refresh_ranks"

# (R score, F score) -> segment: the widely used map of RFM segments on R and F.
RFM_SEGMENTS: dict[tuple[int, int], str] = {}
for _r, _f, _segment in [
    ((1,), (1,), RfmSegment.LOST),
    ((1,), (2,), RfmSegment.HIBERNATING),
    ((2,), (1, 2), RfmSegment.HIBERNATING),
    ((1, 2), (3, 4), RfmSegment.AT_RISK),
    ((1, 2), (5,), RfmSegment.CANT_LOSE),
    ((3,), (1, 2), RfmSegment.ABOUT_TO_SLEEP),
    ((3,), (3,), RfmSegment.NEED_ATTENTION),
    ((3, 4), (4, 5), RfmSegment.LOYAL),
    ((4,), (1,), RfmSegment.PROMISING),
    ((5,), (1,), RfmSegment.NEW),
    ((4, 5), (2, 3), RfmSegment.POTENTIAL_LOYALIST),
    ((5,), (4, 5), RfmSegment.CHAMPIONS),
]:
    for _ri in _r:
        for _fi in _f:
            RFM_SEGMENTS[(_ri, _fi)] = _segment.value
assert len(RFM_SEGMENTS) == 25, "every R x F cell has a segment"

BELOW_ZERO_REASONS = ("negative_margin", "no_purchase_12m", "shrinking", "declined")


def _score(percent_rank: str) -> str:
    return (
        f"CASE WHEN {percent_rank} >= 0.8 THEN 5 WHEN {percent_rank} >= 0.6 THEN 4"
        f" WHEN {percent_rank} >= 0.4 THEN 3 WHEN {percent_rank} >= 0.2 THEN 2 ELSE 1 END"
    )


def _segment_case() -> tuple[str, list[Any]]:
    whens, params = [], []
    for (r, f), segment in RFM_SEGMENTS.items():
        whens.append("WHEN r_score = %s AND f_score = %s THEN %s")
        params += [r, f, segment]
    return f"CASE {' '.join(whens)} END", params


def rank_customers(window: Window, value_settings: ValueSettings) -> int:
    vs = value_settings
    basis = (
        "o.margin_12m"
        if vs.most_valuable_basis == ValueSettings.Basis.MARGIN
        else ("o.revenue_12m")
    )
    cost = float(vs.serving_cost_per_interaction)
    sql.scratch_table(
        RANKS,
        "customer_id, value_rank integer, value_tier varchar(16),"
        " below_zero_reasons varchar(100), revenue_share_before double precision,"
        " abc_class varchar(1), r_score integer, f_score integer, m_score integer,"
        " rfm_segment varchar(20), basis numeric, revenue_12m numeric, recency_days integer,"
        " orders_total integer, revenue_total numeric",
    )
    segment_case, segment_params = _segment_case()
    concat = " || ".join(
        f"CASE WHEN {flag} = 1 THEN '{name},' ELSE '' END"
        for flag, name in zip(
            ("negative", "stopped", "shrinking", "declined"), BELOW_ZERO_REASONS, strict=True
        )
    )
    statement = f"""
        INSERT INTO {RANKS}
        SELECT customer_id,
               CASE WHEN basis > 0 THEN value_rank END,
               CASE
                 WHEN candidate = 1 AND below_rank - 1 < %s * buyers
                      AND (negative = 1 OR NOT (basis > 0 AND value_rank - 1 < %s * active))
                   THEN %s
                 WHEN basis > 0 AND value_rank - 1 < %s * active THEN %s
                 ELSE %s
               END,
               RTRIM({concat}, ','),
               CASE WHEN revenue_12m > 0 THEN share_before END,
               CASE
                 WHEN revenue_12m > 0 AND share_before < %s THEN 'A'
                 WHEN revenue_12m > 0 AND share_before < %s THEN 'B'
                 ELSE 'C'
               END,
               r_score, f_score, m_score, {segment_case},
               basis, revenue_12m, recency_days, orders_total, revenue_total
        FROM (
            SELECT *,
                   {_score("r_rank")} AS r_score,
                   {_score("f_rank")} AS f_score,
                   {_score("m_rank")} AS m_score,
                   1.0 * COALESCE(revenue_before, 0) / NULLIF(total_revenue, 0) AS share_before
            FROM (
                SELECT b.*,
                       RANK() OVER (PARTITION BY basis > 0 ORDER BY basis DESC) AS value_rank,
                       SUM(CASE WHEN basis > 0 THEN 1 ELSE 0 END) OVER () AS active,
                       COUNT(*) OVER () AS buyers,
                       RANK() OVER (PARTITION BY candidate ORDER BY net, revenue_total)
                           AS below_rank,
                       SUM(revenue_12m) OVER (
                           PARTITION BY revenue_12m > 0 ORDER BY revenue_12m DESC
                           GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                       ) AS revenue_before,
                       SUM(CASE WHEN revenue_12m > 0 THEN revenue_12m ELSE 0 END) OVER ()
                           AS total_revenue,
                       PERCENT_RANK() OVER (ORDER BY recency_days DESC) AS r_rank,
                       PERCENT_RANK() OVER (ORDER BY orders_total) AS f_rank,
                       PERCENT_RANK() OVER (ORDER BY revenue_total) AS m_rank
                FROM (
                    SELECT *,
                           CASE WHEN negative = 1 OR stopped = 1 OR shrinking = 1
                                OR declined = 1 THEN 1 ELSE 0 END AS candidate
                    FROM (
                        SELECT o.customer_id, o.revenue_12m, o.revenue_total, o.orders_total,
                               %s - o.last_day AS recency_days,
                               {basis} AS basis,
                               COALESCE(o.margin_12m, o.revenue_12m)
                                   - COALESCE(c.interactions_12m, 0) * %s AS net,
                               CASE WHEN o.margin_12m IS NOT NULL
                                    AND o.margin_12m - COALESCE(c.interactions_12m, 0) * %s < 0
                                    THEN 1 ELSE 0 END AS negative,
                               CASE WHEN o.orders_12m = 0 THEN 1 ELSE 0 END AS stopped,
                               CASE WHEN o.revenue_prev_12m > 0 AND o.orders_12m > 0
                                    AND o.revenue_12m < %s * o.revenue_prev_12m
                                    THEN 1 ELSE 0 END AS shrinking,
                               CASE WHEN COALESCE(c.declined_12m, 0) >= %s
                                    THEN 1 ELSE 0 END AS declined
                        FROM {ORDERS} o LEFT JOIN {CONTACT} c ON c.customer_id = o.customer_id
                    ) AS flags
                ) AS b
            ) AS ranked
        ) AS scored
        ORDER BY customer_id
    """  # noqa: S608
    share = float(vs.most_valuable_share)
    params: list[Any] = [
        float(vs.below_zero_share),
        share,
        ValueTier.BELOW_ZERO.value,
        share,
        ValueTier.MOST_VALUABLE.value,
        ValueTier.CORE.value,
        float(vs.abc_a_share),
        float(vs.abc_b_share),
        *segment_params,
        window.day,
        cost,
        cost,
        float(vs.shrinking_below),
        max(int(vs.declined_proposals), 1),
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        count = cursor.rowcount
    sql.analyze(RANKS)
    return count


def thresholds() -> dict[str, Any]:
    """The cut-offs this ranking found, kept with the run to explain each customer's tier
    and scores: the basis of the last most-valuable customer, the revenue of the last A
    and B customers, and the value range of each R, F and M score."""
    # The ranked figures are in the ranks table itself: no join back to the orders.
    found: dict[str, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT value_tier, COUNT(*), MIN(basis), SUM(revenue_12m)
                FROM {RANKS} GROUP BY value_tier"""  # noqa: S608
        )
        found["tiers"] = {
            tier: {"customers": n, "lowest_basis": _num(low), "revenue_12m": _num(rev)}
            for tier, n, low, rev in cursor.fetchall()
        }
        cursor.execute(
            f"""SELECT abc_class, COUNT(*), MIN(revenue_12m), SUM(revenue_12m)
                FROM {RANKS} GROUP BY abc_class"""  # noqa: S608
        )
        found["abc"] = {
            cls: {"customers": n, "lowest_revenue_12m": _num(low), "revenue_12m": _num(rev)}
            for cls, n, low, rev in cursor.fetchall()
        }
        for letter, column in (
            ("r", "recency_days"),
            ("f", "orders_total"),
            ("m", "revenue_total"),
        ):
            cursor.execute(
                f"""SELECT {letter}_score, COUNT(*), MIN({column}), MAX({column})
                    FROM {RANKS} GROUP BY {letter}_score ORDER BY {letter}_score"""  # noqa: S608
            )
            found[f"{letter}_scores"] = {
                str(score): {"customers": n, "from": _num(low), "to": _num(high)}
                for score, n, low, high in cursor.fetchall()
            }
        cursor.execute(
            f"SELECT rfm_segment, COUNT(*) FROM {RANKS} GROUP BY rfm_segment"  # noqa: S608
        )
        found["rfm_segments"] = dict(cursor.fetchall())
    return found


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)
