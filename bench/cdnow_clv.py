"""BG/NBD and Gamma-Gamma on the full CDNOW data: 23,570 customers, 39 weeks of
calibration (1997-01-01 to 1997-09-30), 39 weeks of holdout (to 1998-06-30).

    .venv/bin/python bench/cdnow_clv.py --data ../shared/data/cdnow/CDNOW_master.txt

Prints the fitted parameters, total predicted against actual holdout repeat purchases,
the mean absolute error per customer of the BG/NBD prediction against two baselines (the
calibration repeat purchases carried forward, scaled to the holdout length; zero), and
how long the summary and the fits took: the fits are repeated (`--runs`, 9 by default)
and the median reported, in wall time and in CPU time (the machines are shared: CPU time
moves less with the neighbours' load). `--previous` also times the method used before
(Nelder-Mead, then BFGS on numerical gradients, over the same likelihoods).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from patron.analytics import clv

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


def yyyymmdd(values: np.ndarray) -> np.ndarray:
    """Dates written as the integer YYYYMMDD, as datetime64[D]."""
    v = np.asarray(values, dtype=np.int64)
    months = (v // 10000 - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    return (months + (v // 100 % 100 - 1)).astype("datetime64[D]") + (v % 100 - 1)


def timed(runs: int, fit: Callable[[], Any]) -> tuple[Any, float, float]:
    """The result of `fit` and the median wall and CPU seconds of `runs` calls."""
    walls, cpus = [], []
    result = None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fit()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return result, statistics.median(walls), statistics.median(cpus)


def previous_fit(summary: clv.Summary) -> tuple[np.ndarray, np.ndarray]:
    """The fits as clv did them before: Nelder-Mead from all parameters at 1, then BFGS
    with numerical gradients to polish, over the same compressed likelihoods."""

    def maximise(neg_mean_ll: Callable[[np.ndarray], float], start: np.ndarray) -> np.ndarray:
        coarse = minimize(
            neg_mean_ll,
            start,
            method="Nelder-Mead",
            options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 20_000, "maxfev": 20_000},
        )
        fine = minimize(neg_mean_ll, coarse.x, method="BFGS", options={"gtol": 1e-9})
        return np.exp((fine if fine.fun <= coarse.fun else coarse).x)

    (cx, ct, cT), w = clv._compress(summary.x, summary.t_x, summary.T)

    def bg(z: np.ndarray) -> float:
        value = -np.dot(w, clv._bgnbd_ll(*np.exp(z), cx, ct, cT)) / w.sum()
        return float(value) if np.isfinite(value) else 1e300

    with np.errstate(invalid="ignore"):
        use = (summary.x > 0) & (summary.monetary > 0)
    (gx, gm), gw = clv._compress(summary.x[use], summary.monetary[use])

    def gg(z: np.ndarray) -> float:
        value = -np.dot(gw, clv._gg_ll(*np.exp(z), gx, gm)) / gw.sum()
        return float(value) if np.isfinite(value) else 1e300

    start = np.array([0.0, 0.0, np.log(np.mean(summary.monetary[use]))])
    return maximise(bg, np.zeros(4)), maximise(gg, start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="CDNOW_master.txt")
    parser.add_argument("--runs", type=int, default=9, help="fits to take the median of")
    parser.add_argument("--previous", action="store_true", help="time the previous method too")
    args = parser.parse_args()

    started = time.perf_counter()
    # customer id, date (YYYYMMDD), number of CDs, dollar value; a header line
    data = np.loadtxt(args.data, skiprows=1, dtype=np.float64)
    loaded = time.perf_counter()
    summary = clv.summary_from_arrays(
        data[:, 0].astype(np.int64),
        yyyymmdd(data[:, 1]),
        data[:, 3],
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
    )
    summarised = time.perf_counter()
    bgnbd, bg_wall, bg_cpu = timed(
        args.runs, lambda: clv.fit_bgnbd(summary.x, summary.t_x, summary.T)
    )
    gg, gg_wall, gg_cpu = timed(args.runs, lambda: clv.fit_gamma_gamma(summary.x, summary.monetary))
    _both, both_wall, both_cpu = timed(
        args.runs,
        lambda: (
            clv.fit_bgnbd(summary.x, summary.t_x, summary.T),
            clv.fit_gamma_gamma(summary.x, summary.monetary),
        ),
    )

    assert summary.holdout is not None and summary.holdout_length is not None
    weeks = summary.holdout_length
    actual = summary.holdout
    predicted = clv.expected_purchases(bgnbd, weeks, summary.x, summary.t_x, summary.T)
    naive = summary.x / np.maximum(summary.T, 1 / 7) * weeks
    value = clv.predicted_value(
        bgnbd, gg, summary.x, summary.t_x, summary.T, summary.monetary, weeks
    )

    print(
        f"lines {len(data):,}, customers {len(summary):,}, "
        f"repeat customers in calibration {(summary.x > 0).sum():,}"
    )
    print(f"calibration repeat purchases {summary.x.sum():,}; holdout {weeks:g} weeks")
    print(
        f"BG/NBD  r={bgnbd.r:.4f} alpha={bgnbd.alpha:.4f} a={bgnbd.a:.4f} b={bgnbd.b:.4f} "
        f"LL={bgnbd.log_likelihood:.1f}"
    )
    print(
        f"Gamma-Gamma  p={gg.p:.4f} q={gg.q:.4f} v={gg.v:.4f} LL={gg.log_likelihood:.1f} "
        f"(population mean spend {gg.population_mean:.2f})"
    )
    print(
        f"holdout repeat purchases: actual {actual.sum():,}, BG/NBD {predicted.sum():,.1f}, "
        f"naive {naive.sum():,.1f}"
    )
    print("mean absolute error per customer:")
    for name, guess in (("BG/NBD", predicted), ("naive", naive), ("zero", np.zeros(len(actual)))):
        print(f"  {name:<7} {np.mean(np.abs(guess - actual)):.4f}")
    print(f"predicted {weeks:g}-week spend, all customers: {value.sum():,.0f}")
    print(f"time: load {loaded - started:.2f} s, summary {summarised - loaded:.3f} s")
    print(f"fit time, median of {args.runs} runs (wall / CPU):")
    print(f"  BG/NBD              {bg_wall:.3f} s / {bg_cpu:.3f} s")
    print(f"  Gamma-Gamma         {gg_wall:.3f} s / {gg_cpu:.3f} s")
    print(f"  both, one after the other {both_wall:.3f} s / {both_cpu:.3f} s")
    if args.previous:
        (old_bg, old_gg), old_wall, old_cpu = timed(
            max(1, args.runs // 3), lambda: previous_fit(summary)
        )
        print(
            f"  previous method, both: {old_wall:.3f} s / {old_cpu:.3f} s "
            f"(r={old_bg[0]:.4f} alpha={old_bg[1]:.4f} a={old_bg[2]:.4f} b={old_bg[3]:.4f}; "
            f"p={old_gg[0]:.4f} q={old_gg[1]:.4f} v={old_gg[2]:.4f})"
        )


if __name__ == "__main__":
    main()
