"""The full refresh (metrics, tiers, RFM, CLV scoring, stages, segment memberships,
signals) over a base of a million customers and ten million order lines, beside the
floor: a plain GROUP BY customer over the same order lines on the same database.

    .venv/bin/python bench/import_orders.py --lines 10000000 --customers 1000000 \\
        --interactions 10000000 --runs 1 --data-dir DIR          # builds the base
    .venv/bin/python bench/refresh_at_scale.py --data-dir DIR
    scripts/with-postgres.sh sh -c '.venv/bin/python bench/import_orders.py ... --data-dir D \\
        && .venv/bin/python bench/refresh_at_scale.py --data-dir D'

The base of bench/commerce_csv.py trades in six currencies from 2021 to 2025, so the
refresh runs as of 2026-01-01 with exchange rates to USD (PATRON_EXCHANGE_RATES). Each
refresh is timed per step (the run's own timings); the first run of a fresh base raises
the signals of a first refresh, the later ones find them open and raise none again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATES = "ILS=0.27,GBP=1.27,JOD=1.41,AMD=0.0026,GEL=0.37,MYR=0.22"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--as-of", default="2026-01-01")
    parser.add_argument("--repeat", type=int, default=2, help="refreshes to run (2)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--fresh-signals",
        action="store_true",
        help="delete the signals and their tasks first: the first run raises them all",
    )
    args = parser.parse_args()
    os.environ["PATRON_DATA_DIR"] = str(args.data_dir)
    os.environ.setdefault("PATRON_CURRENCY", "USD")
    os.environ.setdefault("PATRON_EXCHANGE_RATES", RATES)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from patron.analytics.models import CustomerMetrics
    from patron.analytics.refresh import refresh
    from patron.commerce.models import Order, OrderLine
    from patron.customers.models import Customer

    call_command("migrate", verbosity=0)
    as_of = dt.datetime.fromisoformat(args.as_of).replace(tzinfo=dt.UTC)
    counts = {
        "customers": Customer.objects.count(),
        "orders": Order.objects.count(),
        "order_lines": OrderLine.objects.count(),
    }
    print(f"database: {connection.vendor}; " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))

    if args.fresh_signals:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM analytics_signal")
            cursor.execute("DELETE FROM interactions_task WHERE source = 'signal'")
    floor = _floor(connection)
    print(f"floor: GROUP BY customer over the order lines   {floor:7.2f} s")
    results = []
    for n in range(1, args.repeat + 1):
        started = time.perf_counter()
        run = refresh(as_of=as_of, trigger="bench")
        total = time.perf_counter() - started
        raised = sum(k["raised"] for k in run.stats["signals"]["kinds"].values())
        steps = "  ".join(f"{k} {v:.2f}" for k, v in run.steps.items())
        print(
            f"refresh {n}: {total:7.2f} s  ({total / floor:.2f} x floor)  {steps}  "
            f"signals raised {raised:,}, tasks {run.stats['signals']['tasks']:,}"
        )
        results.append({"seconds": round(total, 2), "steps": run.steps, "signals": raised})
    clv = run.stats.get("clv", {})
    tiers = {k: v["customers"] for k, v in run.stats.get("tiers", {}).items()}
    print(f"buyers {run.stats['buyers']:,}; tiers {tiers}; CLV model {clv.get('model')}")
    print(f"stages {run.stats.get('stages')}; rfm {run.stats.get('rfm_segments')}")
    print(f"metrics rows: {CustomerMetrics.objects.count():,}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "database": connection.vendor,
                    **counts,
                    "floor": floor,
                    "runs": results,
                    "clv": clv,
                },
                indent=2,
                default=str,
            )
        )


def _floor(connection) -> float:
    """A plain GROUP BY customer over the order lines, materialised like the refresh's
    own aggregate (a scratch table), best of two."""
    best = float("inf")
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_floor")
            started = time.perf_counter()
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_floor AS "
                "SELECT o.customer_id, SUM(l.quantity * l.unit_price) AS revenue, COUNT(*) AS n "
                "FROM commerce_orderline l JOIN commerce_order o ON o.id = l.order_id "
                "GROUP BY o.customer_id"
            )
            best = min(best, time.perf_counter() - started)
            cursor.execute("DROP TABLE bench_floor")
    return best


if __name__ == "__main__":
    main()
