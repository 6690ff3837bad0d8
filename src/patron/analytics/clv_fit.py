"""Fit the CLV models on the orders in the database and, given a holdout period, measure
how well they predict it: what `patron clv fit` prints, reusable by the API or a job.

The holdout error compares, per customer, the repeat purchases BG/NBD expects over the
holdout with those made (mean absolute error, and the totals), beside two baselines: the
calibration repeat purchases carried forward at the customer's own pace (x / T, scaled
to the holdout length) and predicting zero.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from patron.analytics import clv
from patron.analytics.clv_data import summary_from_orders

WEEK = 7.0


class ClvFitError(Exception):
    """Why there is nothing to fit, or why a fit failed: a message for the user."""


@dataclass(frozen=True)
class Prediction:
    """One way of predicting each customer's holdout repeat purchases, against the actual."""

    total: float
    mean_absolute_error: float


@dataclass(frozen=True)
class Holdout:
    weeks: float
    actual_total: int
    bgnbd: Prediction
    naive: Prediction
    zero: Prediction


@dataclass(frozen=True)
class ClvFit:
    calibration_end: dt.date
    holdout_end: dt.date | None
    customers: int
    repeat_customers: int
    calibration_repeat_purchases: int
    bgnbd: clv.BGNBDParams
    gamma_gamma: clv.GammaGammaParams
    gamma_gamma_customers: int
    summary_seconds: float
    bgnbd_seconds: float
    gamma_gamma_seconds: float
    holdout: Holdout | None

    @property
    def fit_seconds(self) -> float:
        return self.bgnbd_seconds + self.gamma_gamma_seconds

    def as_dict(self) -> dict[str, Any]:
        gg = self.gamma_gamma
        return {
            "calibration_end": self.calibration_end.isoformat(),
            "holdout_end": self.holdout_end.isoformat() if self.holdout_end else None,
            "time_unit": "week",
            "customers": self.customers,
            "repeat_customers": self.repeat_customers,
            "calibration_repeat_purchases": self.calibration_repeat_purchases,
            "bgnbd": dataclasses.asdict(self.bgnbd),
            "gamma_gamma": {
                **dataclasses.asdict(gg),
                "population_mean": gg.population_mean if np.isfinite(gg.population_mean) else None,
                "customers": self.gamma_gamma_customers,
            },
            "seconds": {
                "summary": round(self.summary_seconds, 4),
                "bgnbd": round(self.bgnbd_seconds, 4),
                "gamma_gamma": round(self.gamma_gamma_seconds, 4),
                "fit": round(self.fit_seconds, 4),
            },
            "holdout": None if self.holdout is None else dataclasses.asdict(self.holdout),
        }


def _prediction(guess: np.ndarray, actual: np.ndarray) -> Prediction:
    return Prediction(float(guess.sum()), float(np.mean(np.abs(guess - actual))))


def evaluate_holdout(bgnbd: clv.BGNBDParams, summary: clv.Summary) -> Holdout:
    """BG/NBD's expected repeat purchases over the holdout against the actual ones, and
    the two baselines."""
    if summary.holdout is None or summary.holdout_length is None:
        raise ValueError("the summary has no holdout")
    weeks = summary.holdout_length
    actual = summary.holdout.astype(np.float64)
    predicted = np.asarray(
        clv.expected_purchases(bgnbd, weeks, summary.x, summary.t_x, summary.T), dtype=np.float64
    )
    # Carried forward at the customer's pace; a customer first seen on the last
    # calibration day (T = 0) counts as one day old.
    naive = summary.x / np.maximum(summary.T, 1 / WEEK) * weeks
    return Holdout(
        weeks=weeks,
        actual_total=int(summary.holdout.sum()),
        bgnbd=_prediction(predicted, actual),
        naive=_prediction(naive, actual),
        zero=_prediction(np.zeros_like(actual), actual),
    )


def fit_and_evaluate(*, calibration_end: dt.date, holdout_end: dt.date | None = None) -> ClvFit:
    """Fit BG/NBD and Gamma-Gamma (time in weeks) on the customers whose first order was
    placed before `calibration_end`, on their orders before it; with `holdout_end`,
    evaluate the prediction of their repeat purchases from `calibration_end` up to
    `holdout_end`. Raises ClvFitError with a message for the user."""
    if holdout_end is not None and holdout_end <= calibration_end:
        raise ClvFitError(
            f"the holdout end ({holdout_end.isoformat()}) must be after the calibration end"
            f" ({calibration_end.isoformat()})"
        )
    started = time.perf_counter()
    summary = summary_from_orders(
        calibration_end=calibration_end, holdout_end=holdout_end, unit_days=WEEK
    )
    summarised = time.perf_counter()
    if len(summary) == 0:
        raise ClvFitError(f"no orders before {calibration_end.isoformat()}: nothing to fit")
    try:
        bgnbd = clv.fit_bgnbd(summary.x, summary.t_x, summary.T)
    except (clv.FitError, ValueError) as exc:
        raise ClvFitError(str(exc)) from exc
    fitted = time.perf_counter()
    try:
        gg = clv.fit_gamma_gamma(summary.x, summary.monetary)
    except ValueError as exc:
        raise ClvFitError(f"Gamma-Gamma: {exc}") from exc
    except clv.FitError as exc:
        raise ClvFitError(str(exc)) from exc
    gg_fitted = time.perf_counter()
    with np.errstate(invalid="ignore"):
        spenders = int(np.sum((summary.x > 0) & (summary.monetary > 0)))
    return ClvFit(
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        customers=len(summary),
        repeat_customers=int((summary.x > 0).sum()),
        calibration_repeat_purchases=int(summary.x.sum()),
        bgnbd=bgnbd,
        gamma_gamma=gg,
        gamma_gamma_customers=spenders,
        summary_seconds=summarised - started,
        bgnbd_seconds=fitted - summarised,
        gamma_gamma_seconds=gg_fitted - fitted,
        holdout=None if holdout_end is None else evaluate_holdout(bgnbd, summary),
    )
