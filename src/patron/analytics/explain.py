"""Why each figure of a customer is what it is, in the reader's language: every tier,
score and prediction with the numbers and the cut-offs of the run that computed it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from patron.analytics.models import (
    AbcClass,
    CustomerMetrics,
    RefreshRun,
    RelationshipStage,
    RfmSegment,
    ValueSettings,
    ValueTier,
)
from patron.analytics.shown import day as format_date
from patron.analytics.shown import money as _money
from patron.analytics.shown import number as _n
from patron.analytics.shown import percent as _pct


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    value: Any
    shown: str
    why: str


def _choice(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else "—"


def _reason_labels() -> dict[str, str]:
    return {
        "negative_margin": _("costs more to serve than their margin"),
        "no_purchase_12m": _("no purchase in the last 12 months"),
        "shrinking": _("buying much less than in the 12 months before"),
        "declined": _("declined proposals repeatedly"),
    }


def figures(m: CustomerMetrics, run: RefreshRun | None, vs: ValueSettings) -> list[Figure]:
    """Every figure of `m` with its explanation, in display order."""
    stats: dict[str, Any] = run.stats if run else {}
    as_of = run.as_of if run else m.refreshed_at
    since = as_of - dt.timedelta(days=365) if as_of else None
    window = (
        _("orders placed from %(start)s to %(end)s, cancelled and returned ones left out")
        % {"start": format_date(since), "end": format_date(as_of)}
        if as_of
        else ""
    )
    out = [
        Figure(
            "revenue_12m",
            _("Revenue, last 12 months"),
            m.revenue_12m,
            _money(m.revenue_12m),
            _("The sum of %(window)s.") % {"window": window},
        ),
        Figure(
            "orders_12m",
            _("Orders, last 12 months"),
            m.orders_12m,
            _n(m.orders_12m),
            _("The number of %(window)s.") % {"window": window},
        ),
        Figure(
            "margin_12m",
            _("Margin, last 12 months"),
            m.margin_12m,
            _money(m.margin_12m),
            _("Revenue less cost, over the orders whose cost is known.")
            if m.margin_12m is not None
            else _("No order of the period has a known cost."),
        ),
        Figure(
            "revenue_prev_12m",
            _("Revenue, 12 months before"),
            m.revenue_prev_12m,
            _money(m.revenue_prev_12m),
            _("The same sum for the year before."),
        ),
        Figure(
            "revenue_total",
            _("Lifetime revenue"),
            m.revenue_total,
            _money(m.revenue_total),
            ngettext(
                "%(orders)s order since %(first)s.",
                "%(orders)s orders since %(first)s.",
                m.orders_total,
            )
            % {"orders": _n(m.orders_total), "first": format_date(m.first_order_at) or "—"},
        ),
        Figure(
            "average_order_value",
            _("Average order value"),
            m.average_order_value,
            _money(m.average_order_value),
            _("Lifetime revenue divided by the orders."),
        ),
        Figure(
            "frequency",
            _("Orders per year"),
            m.frequency,
            _n(None if m.frequency is None else round(m.frequency, 1)),
            _("Orders since the first one, per year of tenure (at least one year counted)."),
        ),
        Figure(
            "recency_days",
            _("Days since the last order"),
            m.recency_days,
            _n(m.recency_days),
            _("Last order on %(date)s.") % {"date": format_date(m.last_order_at)}
            if m.last_order_at
            else _("No order yet."),
        ),
        Figure(
            "tenure_days",
            _("Days since the first order"),
            m.tenure_days,
            _n(m.tenure_days),
            _("First order on %(date)s.") % {"date": format_date(m.first_order_at)}
            if m.first_order_at
            else _("No order yet."),
        ),
        _trend(m, vs),
        Figure(
            "days_since_interaction",
            _("Days since the last interaction"),
            m.days_since_interaction,
            _n(m.days_since_interaction),
            _("Last interaction on %(date)s; %(count)s in the last 12 months.")
            % {"date": format_date(m.last_interaction_at), "count": _n(m.interactions_12m)}
            if m.last_interaction_at
            else _("No interaction on record."),
        ),
        _tier(m, stats, vs),
        _abc(m, stats, vs),
        *_rfm(m, stats),
        _stage(m, vs),
        *_clv(m, stats),
    ]
    return out


def _trend(m: CustomerMetrics, vs: ValueSettings) -> Figure:
    if m.trend is None:
        why = _("Needs more than a year of history before the last 12 months.")
    else:
        why = _(
            "%(revenue)s in the last 12 months against %(usual)s in a usual year before "
            "them (revenue before the last 12 months per year); a valuable customer below "
            "%(limit)s raises a signal."
        ) % {
            "revenue": _money(m.revenue_12m),
            "usual": _money(m.usual_revenue),
            "limit": _pct(vs.trend_below),
        }
    return Figure("trend", _("Trend"), m.trend, _pct(m.trend), why)


def _tier(m: CustomerMetrics, stats: dict[str, Any], vs: ValueSettings) -> Figure:
    tiers = stats.get("tiers", {})
    basis = (
        _("margin of the last 12 months")
        if vs.most_valuable_basis == ValueSettings.Basis.MARGIN
        else _("revenue of the last 12 months")
    )
    share = _pct(vs.most_valuable_share)
    if m.value_tier == ValueTier.BELOW_ZERO:
        labels = _reason_labels()
        reasons = [labels[r] for r in m.below_zero_reasons.split(",") if r in labels]
        why = _(
            "Below zero: %(reasons)s; among the %(share)s of buyers with the lowest net value "
            "(margin less the cost to serve)."
        ) % {"reasons": "; ".join(reasons) or "—", "share": _pct(vs.below_zero_share)}
    elif m.value_tier == ValueTier.MOST_VALUABLE:
        why = _(
            "Ranks %(rank)s by %(basis)s; the top %(share)s of customers who bought in the "
            "last 12 months are the most valuable (from %(cutoff)s)."
        ) % {
            "rank": _n(m.value_rank),
            "basis": basis,
            "share": share,
            "cutoff": _money(tiers.get("most_valuable", {}).get("lowest_basis")),
        }
    elif m.value_tier == ValueTier.CORE:
        why = _(
            "Ranks %(rank)s by %(basis)s; the most valuable are the top %(share)s, from %(cutoff)s."
        ) % {
            "rank": _n(m.value_rank) if m.value_rank else _("after every buyer of the year"),
            "basis": basis,
            "share": share,
            "cutoff": _money(tiers.get("most_valuable", {}).get("lowest_basis")),
        }
    else:
        why = _("No order yet: no tier.")
    return Figure(
        "value_tier", _("Value tier"), m.value_tier, _choice(ValueTier, m.value_tier), why
    )


def _abc(m: CustomerMetrics, stats: dict[str, Any], vs: ValueSettings) -> Figure:
    if not m.abc_class:
        why = _("No order yet: no class.")
    elif m.revenue_share_before is None:
        why = _("No revenue in the last 12 months: class C.")
    else:
        why = _(
            "The customers ranked above bring %(before)s of the revenue of the last 12 months. "
            "A while that share is below %(a)s, B below %(b)s, C after."
        ) % {
            "before": _pct(m.revenue_share_before),
            "a": _pct(vs.abc_a_share),
            "b": _pct(vs.abc_b_share),
        }
    return Figure("abc_class", _("ABC class"), m.abc_class, _choice(AbcClass, m.abc_class), why)


def _rfm(m: CustomerMetrics, stats: dict[str, Any]) -> list[Figure]:
    if m.r_score is None:
        none = _("No order yet: no score.")
        return [Figure("rfm_score", _("RFM score"), "", "—", none)]

    def band(letter: str, score: int | None) -> str:
        found = stats.get(f"{letter}_scores", {}).get(str(score))
        if not found:
            return "—"
        if found["from"] == found["to"]:
            return _n(found["from"])
        return f"{_n(found['from'])}–{_n(found['to'])}"

    rule = _(
        "Scores are 1 + 5 × the customer's percent rank among buyers, so equal values score "
        "the same and 5 is the best fifth."
    )
    return [
        Figure(
            "r_score",
            _("Recency score"),
            m.r_score,
            str(m.r_score),
            _(
                "Last order %(days)s days ago; customers scored %(score)s last ordered "
                "%(band)s days ago. %(rule)s"
            )
            % {
                "days": _n(m.recency_days),
                "score": m.r_score,
                "band": band("r", m.r_score),
                "rule": rule,
            },
        ),
        Figure(
            "f_score",
            _("Frequency score"),
            m.f_score,
            str(m.f_score),
            ngettext(
                "%(orders)s order; customers scored %(score)s have %(band)s.",
                "%(orders)s orders; customers scored %(score)s have %(band)s.",
                m.orders_total,
            )
            % {"orders": _n(m.orders_total), "score": m.f_score, "band": band("f", m.f_score)},
        ),
        Figure(
            "m_score",
            _("Monetary score"),
            m.m_score,
            str(m.m_score),
            _("%(revenue)s in all; customers scored %(score)s have %(band)s.")
            % {
                "revenue": _money(m.revenue_total),
                "score": m.m_score,
                "band": band("m", m.m_score),
            },
        ),
        Figure(
            "rfm_segment",
            _("RFM segment"),
            m.rfm_segment,
            _choice(RfmSegment, m.rfm_segment),
            _(
                "Recency %(r)s and frequency %(f)s make %(segment)s in the segment map "
                "(RFM score %(score)s)."
            )
            % {
                "r": m.r_score,
                "f": m.f_score,
                "segment": _choice(RfmSegment, m.rfm_segment),
                "score": m.rfm_score,
            },
        ),
    ]


def _stage(m: CustomerMetrics, vs: ValueSettings) -> Figure:
    stage = m.relationship_stage
    if stage == RelationshipStage.TRUST:
        why = _(
            "A customer for %(days)s days (at least %(min)s), marked as a referral or "
            "advocate, with no open complaint."
        ) % {"days": _n(m.tenure_days), "min": _n(vs.trust_tenure_days)}
    elif stage == RelationshipStage.INTIMACY:
        why = _(
            "Answered %(answers)s profile questions (at least %(min_answers)s) and placed "
            "%(orders)s orders (at least %(min_orders)s)."
        ) % {
            "answers": _n(m.answers),
            "min_answers": _n(vs.intimacy_answers),
            "orders": _n(m.orders_total),
            "min_orders": _n(vs.intimacy_orders),
        }
    elif stage == RelationshipStage.CONNECTION:
        why = _("Spoke with us and heard from us within the last %(days)s days.") % {
            "days": _n(vs.connection_days)
        }
    else:
        why = _(
            "Known to us; no two-way conversation within %(days)s days yet, nor the answers "
            "and repeat orders of intimacy."
        ) % {"days": _n(vs.connection_days)}
    return Figure(
        "relationship_stage", _("Relationship stage"), stage, _choice(RelationshipStage, stage), why
    )


def _clv(m: CustomerMetrics, stats: dict[str, Any]) -> list[Figure]:
    clv = stats.get("clv", {})
    if m.p_alive is None:
        why = str(clv.get("skipped") or _("No order yet: nothing to predict."))
        if m.orders_total and not clv.get("skipped"):
            why = _("Not scored in the last refresh.")
        return [
            Figure("p_alive", _("Probability still active"), None, "—", why),
            Figure("expected_purchases_12m", _("Expected purchases, 12 months"), None, "—", why),
            Figure("clv_12m", _("Predicted value, 12 months"), None, "—", why),
        ]
    bg = clv.get("bgnbd", {})
    x = max(m.order_days - 1, 0)
    if clv.get("model") == "nbd":
        template = _(
            "NBD fitted on %(n)s buyers (r %(r)s, α %(alpha)s): their buying shows no "
            "dropping out, so every buyer counts as active."
        )
    else:
        template = _("BG/NBD fitted on %(n)s buyers (r %(r)s, α %(alpha)s, a %(a)s, b %(b)s).")
    model = template % {
        "n": _n(clv.get("customers")),
        "r": _n(round(bg.get("r", 0), 3)),
        "alpha": _n(round(bg.get("alpha", 0), 3)),
        "a": _n(round(bg.get("a", 0), 3)),
        "b": _n(round(bg.get("b", 0), 3)),
    }
    alive = _(
        "%(x)s repeat purchase days, the last %(recency)s days ago, a customer for %(tenure)s "
        "days. %(model)s"
    ) % {"x": _n(x), "recency": _n(m.recency_days), "tenure": _n(m.tenure_days), "model": model}
    out = [
        Figure("p_alive", _("Probability still active"), m.p_alive, _pct(m.p_alive), alive),
        Figure(
            "expected_purchases_12m",
            _("Expected purchases, 12 months"),
            m.expected_purchases_12m,
            _n(round(m.expected_purchases_12m or 0, 2)),
            alive,
        ),
    ]
    if m.clv_12m is None:
        out.append(
            Figure(
                "clv_12m",
                _("Predicted value, 12 months"),
                None,
                "—",
                _("Too few repeat buyers to fit the spend model."),
            )
        )
    else:
        out.append(
            Figure(
                "clv_12m",
                _("Predicted value, 12 months"),
                m.clv_12m,
                _money(m.clv_12m),
                _(
                    "%(purchases)s expected purchases × %(value)s expected per purchase "
                    "(Gamma-Gamma, from their own repeat spend and everyone's)."
                )
                % {
                    "purchases": _n(round(m.expected_purchases_12m or 0, 2)),
                    "value": _money(round(m.expected_order_value or 0, 2)),
                },
            )
        )
    return out
