"""`patron clv fit` through the database on the full CDNOW file: 23,570 customers and
69,659 orders, 39 weeks of calibration and 39 of holdout.

    .venv/bin/python bench/clv_fit_db.py --data ../shared/data/cdnow/CDNOW_master.txt
    scripts/with-postgres.sh .venv/bin/python bench/clv_fit_db.py --data ...

Loads the file as orders (a customer per CDNOW id, one order per line, at noon UTC, with
bulk_create) into a fresh SQLite data directory (`--data-dir`, a temporary one by
default) or the PostgreSQL of DATABASE_URL, unless they are there already; refuses a
database with other orders. Then times `fit_and_evaluate` in the process (`--runs`
times, medians: the set-based summary in SQL, the two fits) and the command once as a
user runs it (Python start and Django set-up included), and prints what the command
printed.

`--copies K` makes the base K copies of CDNOW (K times 23,570 customers, each copy's orders on
the same days, copied in SQL): the estimates stay CDNOW's exactly, the time of the
summary grows with the orders. `--copies 43` is a million customers and three million
orders.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CAL, HOLD = dt.date(1997, 10, 1), dt.date(1998, 7, 1)
LINES = 69_659


def setup(data_dir: Path) -> None:
    os.environ["PATRON_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(path: Path) -> float:
    """The CDNOW lines as orders, unless they are loaded; the seconds it took."""
    from django.db import transaction

    from patron.commerce.models import Order
    from patron.customers.models import Customer

    cdnow = Customer.objects.filter(source="cdnow")
    if Order.objects.exclude(customer__source="cdnow").exists():
        raise SystemExit("the database holds other orders: use an empty one (--data-dir)")
    if Order.objects.filter(customer__source="cdnow").count() % LINES == 0 and cdnow.exists():
        return 0.0  # loaded, perhaps copied
    started = time.perf_counter()
    # customer id, date (YYYYMMDD), number of CDs, dollar value; a header line
    data = np.loadtxt(path, skiprows=1, dtype=np.float64)
    with transaction.atomic():
        cdnow.delete()
        ids = np.unique(data[:, 0].astype(np.int64))
        Customer.objects.bulk_create(
            [
                Customer(kind="person", display_name=f"CDNOW {i}", source="cdnow", city=str(i))
                for i in ids.tolist()
            ],
            batch_size=2000,
        )
        pk = {int(c.city): c.pk for c in cdnow.only("pk", "city")}
        noon = dt.time(12)
        orders = []
        for cid, date, _cds, value in data.tolist():
            d = int(date)
            day = dt.date(d // 10000, d // 100 % 100, d % 100)
            orders.append(
                Order(
                    customer_id=pk[int(cid)],
                    placed_at=dt.datetime.combine(day, noon, tzinfo=dt.UTC),
                    currency="USD",
                    total_amount=Decimal(f"{value:.2f}"),
                )
            )
        Order.objects.bulk_create(orders, batch_size=5000)
    return time.perf_counter() - started


def replicate(copies: int) -> float:
    """Make the base `copies` copies of CDNOW, in SQL (INSERT ... SELECT with shifted
    ids); the seconds it took."""
    from django.db import connection, transaction

    from patron.commerce.models import Order
    from patron.customers.models import Customer

    base = Customer.objects.filter(source="cdnow")
    have = base.count() // 23_570
    if have == copies:
        return 0.0
    if have != 1:
        raise SystemExit("--copies needs a database with CDNOW loaded once: use an empty one")
    started = time.perf_counter()
    shift = (max(base.values_list("pk", flat=True)) // 100_000 + 1) * 100_000
    fields = [f.column for f in Customer._meta.concrete_fields if f.column != "id"]
    order_fields = [
        f.column for f in Order._meta.concrete_fields if f.column not in ("id", "customer_id")
    ]
    cols, order_cols = ", ".join(fields), ", ".join(order_fields)
    customers, orders = Customer._meta.db_table, Order._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        for k in range(1, copies):
            cursor.execute(
                f"INSERT INTO {customers} (id, {cols}) SELECT id + %s, {cols}"  # noqa: S608
                f" FROM {customers} WHERE source = 'cdnow' AND id < %s",
                [k * shift, shift],
            )
            cursor.execute(
                f"INSERT INTO {orders} (customer_id, {order_cols})"  # noqa: S608
                f" SELECT customer_id + %s, {order_cols} FROM {orders} WHERE customer_id < %s",
                [k * shift, shift],
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {orders}")
            cursor.execute(f"ANALYZE {customers}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="CDNOW_master.txt")
    parser.add_argument("--data-dir", type=Path, default=None, help="SQLite data directory")
    parser.add_argument("--runs", type=int, default=7, help="in-process runs to take medians of")
    parser.add_argument("--copies", type=int, default=1, help="the base as K copies of CDNOW")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="patron-clv-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    setup(data_dir)
    from django.db import connection

    from patron.analytics.clv_fit import fit_and_evaluate

    loaded = load(args.data)
    print(f"database: {connection.vendor}; CDNOW loaded in {loaded:.1f} s (0: already there)")
    if args.copies > 1:
        copied = replicate(args.copies)
        print(f"{args.copies} copies of CDNOW made in {copied:.1f} s (0: already there)")

    results = [fit_and_evaluate(calibration_end=CAL, holdout_end=HOLD) for _ in range(args.runs)]
    summary = statistics.median(r.summary_seconds for r in results)
    bgnbd = statistics.median(r.bgnbd_seconds for r in results)
    gg = statistics.median(r.gamma_gamma_seconds for r in results)
    fit = statistics.median(r.fit_seconds for r in results)
    total = statistics.median(r.summary_seconds + r.fit_seconds for r in results)
    print(f"in process, median of {args.runs} runs:")
    print(f"  summary in SQL {summary:.3f} s (customers {results[0].customers:,})")
    print(f"  fit {fit:.3f} s (BG/NBD {bgnbd:.3f} s, Gamma-Gamma {gg:.3f} s)")
    print(f"  summary and fit {total:.3f} s")

    command = [sys.executable, "-m", "patron", "clv", "fit"]
    command += ["--calibration-end", CAL.isoformat(), "--holdout-end", HOLD.isoformat()]
    started = time.perf_counter()
    out = subprocess.run(
        [*command, "--json"], check=True, capture_output=True, text=True, env=os.environ.copy()
    ).stdout
    wall = time.perf_counter() - started
    result = json.loads(out)
    print(f"`patron clv fit ... --json` as a command: {wall:.2f} s wall, of which")
    print(f"  summary {result['seconds']['summary']:.3f} s, fit {result['seconds']['fit']:.3f} s")
    print()
    print(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


if __name__ == "__main__":
    main()
