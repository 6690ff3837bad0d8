"""BG/NBD and Gamma-Gamma on the full CDNOW data: 23,570 customers, 39 weeks of
calibration (1997-01-01 to 1997-09-30), 39 weeks of holdout (to 1998-06-30).

    .venv/bin/python bench/cdnow_clv.py --data ../shared/data/cdnow/CDNOW_master.txt

Prints the fitted parameters, total predicted against actual holdout repeat purchases,
the mean absolute error per customer of the BG/NBD prediction against two baselines (the
calibration repeat purchases carried forward, scaled to the holdout length; zero), and
how long the summary and the fits took.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from patron.analytics import clv

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


def yyyymmdd(values: np.ndarray) -> np.ndarray:
    """Dates written as the integer YYYYMMDD, as datetime64[D]."""
    v = np.asarray(values, dtype=np.int64)
    months = (v // 10000 - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    return (months + (v // 100 % 100 - 1)).astype("datetime64[D]") + (v % 100 - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="CDNOW_master.txt")
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
    bgnbd = clv.fit_bgnbd(summary.x, summary.t_x, summary.T)
    fitted = time.perf_counter()
    gg = clv.fit_gamma_gamma(summary.x, summary.monetary)
    gg_fitted = time.perf_counter()

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
    print(
        f"time: load {loaded - started:.2f} s, summary {summarised - loaded:.3f} s, "
        f"BG/NBD fit {fitted - summarised:.3f} s, Gamma-Gamma fit {gg_fitted - fitted:.3f} s"
    )


if __name__ == "__main__":
    main()
