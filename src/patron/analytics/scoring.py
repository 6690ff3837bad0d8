"""CLV scoring of the whole base: BG/NBD and Gamma-Gamma fitted on every buying customer
at each refresh, then each customer's probability of being active, expected purchases and
predicted value over the next 12 months.

The summary (x, t_x, T, mean repeat spend) comes from the refresh's order aggregate in
one query; the models are fitted and evaluated with numpy over arrays (vectorised, no
loop over customers), and the scores go back in one bulk write to a scratch table.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import numpy as np
from django.db import connection

from patron.analytics import clv, sql
from patron.analytics.metrics import ORDERS, Window

log = logging.getLogger(__name__)

SCORES = "patron_refresh_clv"
WEEK = 7.0
HORIZON_WEEKS = 365 / WEEK  # 12 months
MIN_CUSTOMERS = 20  # fewer buyers than this: no model worth fitting


def _as_float(expression: str) -> str:
    return f"CAST({expression} AS {'double precision' if sql.is_postgres() else 'REAL'})"


def score_customers(window: Window) -> dict[str, Any]:
    """Fit and score; returns the parameters and fit times (or why nothing was fitted)."""
    sql.scratch_table(
        SCORES,
        "customer_id, p_alive double precision, expected_purchases double precision,"
        " expected_value double precision, clv double precision",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT customer_id, order_days - 1,
                       {_as_float("last_day - first_day")},
                       {_as_float(f"{window.day} - first_day")},
                       {_as_float("revenue_total - first_day_revenue")}
                FROM {ORDERS} ORDER BY customer_id"""  # noqa: S608
        )
        rows = cursor.fetchall()
    if len(rows) < MIN_CUSTOMERS:
        return {"skipped": f"{len(rows)} buying customers, fewer than {MIN_CUSTOMERS}"}
    data = np.array(rows, dtype=np.float64)
    del rows
    ids = data[:, 0].astype(np.int64)
    x = data[:, 1]
    t_x = data[:, 2] / WEEK
    T = data[:, 3] / WEEK
    repeat_spend = data[:, 4]
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(x > 0, repeat_spend / np.maximum(x, 1), np.nan)
    started = time.perf_counter()
    model = "bgnbd"
    try:
        bgnbd: Any = clv.fit_bgnbd(x, t_x, T)
    except (RuntimeError, ValueError) as exc:
        # Typically no sign of dropping out (the dropout probability tends to 0): the
        # purchase process alone, NBD, is the model the data support.
        log.info("BG/NBD has no interior maximum (%s); fitting NBD", exc)
        try:
            bgnbd = fit_nbd(x, T)
        except (RuntimeError, ValueError) as nbd_exc:
            log.warning("neither BG/NBD nor NBD fit: %s", nbd_exc)
            return {"skipped": f"BG/NBD did not fit: {exc}"}
        model = "nbd"
    fitted = time.perf_counter()
    spenders = (x > 0) & np.isfinite(monetary) & (monetary > 0)
    gg = None
    if spenders.sum() >= MIN_CUSTOMERS:
        try:
            gg = clv.fit_gamma_gamma(x[spenders], monetary[spenders])
        except (RuntimeError, ValueError) as exc:
            log.warning("Gamma-Gamma fit failed: %s", exc)
    gg_fitted = time.perf_counter()
    if model == "nbd":
        p_alive = np.ones_like(x)
        expected = (bgnbd.r + x) / (bgnbd.alpha + T) * HORIZON_WEEKS
    else:
        p_alive = np.asarray(clv.probability_alive(bgnbd, x, t_x, T), dtype=np.float64)
        expected = np.asarray(
            clv.expected_purchases(bgnbd, HORIZON_WEEKS, x, t_x, T), dtype=np.float64
        )
    if gg is not None:
        spend = np.where(spenders, monetary, np.nan)
        value = np.asarray(clv.expected_average_value(gg, x, spend), dtype=np.float64)
        # Customers without a usable repeat spend are expected to spend the mean.
        value = np.where(np.isfinite(value), value, gg.population_mean)
        predicted = np.round(expected * value, 2)
    else:
        value = np.full_like(expected, np.nan)
        predicted = np.full_like(expected, np.nan)
    scored = time.perf_counter()
    sql.fill(
        SCORES,
        ["customer_id", "p_alive", "expected_purchases", "expected_value", "clv"],
        zip(
            ids.tolist(),
            _nullable(p_alive),
            _nullable(expected),
            _nullable(value),
            _nullable(predicted),
            strict=True,
        ),
    )
    sql.analyze(SCORES)
    stats: dict[str, Any] = {
        "customers": len(ids),
        "model": model,
        "bgnbd": {**_params(bgnbd), "fit_seconds": round(fitted - started, 3)},
        "horizon_weeks": round(HORIZON_WEEKS, 2),
        "score_seconds": round(scored - gg_fitted, 3),
        "total_predicted_value": float(np.nansum(predicted)),
        "total_expected_purchases": float(expected.sum()),
    }
    if gg is not None:
        stats["gamma_gamma"] = {**_params(gg), "fit_seconds": round(gg_fitted - fitted, 3)}
    else:
        stats["gamma_gamma"] = {"skipped": "too few repeat buyers with a positive spend"}
    return stats


def _nullable(values: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]  # NaN -> NULL


def _params(params: Any) -> dict[str, float]:
    return {k: round(float(v), 6) for k, v in dataclasses.asdict(params).items()}


@dataclasses.dataclass(frozen=True)
class NBDParams:
    """The purchase process without dropout: Poisson rates Gamma(r, alpha) across
    customers (BG/NBD with a dropout probability of 0)."""

    r: float
    alpha: float
    log_likelihood: float
    a: float = 0.0
    b: float = 0.0


def fit_nbd(x: np.ndarray, T: np.ndarray) -> NBDParams:
    """Maximum likelihood of the NBD on (x, T): each customer's purchases in T periods
    after the first; the log-likelihood is lnΓ(r+x) - lnΓ(r) + r ln(alpha) - (r+x) ln(alpha+T)."""
    from scipy.optimize import minimize
    from scipy.special import gammaln

    keys, counts = np.unique(np.column_stack([x, T]), axis=0, return_counts=True)
    xs, Ts, w = keys[:, 0], keys[:, 1], counts.astype(np.float64)
    if not np.any(xs > 0):
        raise ValueError("nobody made a repeat purchase")

    def negative(log_params: np.ndarray) -> float:
        r, alpha = np.exp(log_params)
        ll = gammaln(r + xs) - gammaln(r) + r * np.log(alpha) - (r + xs) * np.log(alpha + Ts)
        return float(-(w * ll).sum() / w.sum())

    result = minimize(negative, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-8})
    if not result.success or not np.all(np.abs(result.x) < 15):
        raise RuntimeError("NBD: the maximum-likelihood fit did not converge")
    r, alpha = np.exp(result.x)
    return NBDParams(float(r), float(alpha), float(-result.fun * w.sum()))
