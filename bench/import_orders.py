"""`patron import orders` and `patron import interactions` of large CSVs, end to end, as
a user runs them.

    .venv/bin/python bench/import_orders.py --lines 10000000 --data-dir /tmp/patron-bench
    scripts/with-postgres.sh .venv/bin/python bench/import_orders.py --lines 2000000

Prepares a data directory (migrated, demo teams and staff) with a customer base built by
the customer import (bench/customer_csv.py, `--customers`, kept for reruns: building a
million takes minutes), empties the orders and interactions, writes order-line and
interaction CSVs for those customers with bench/commerce_csv.py (kept next to the data),
then runs the real commands in a child process twice each: the first run loads an empty
table, the second (the same file) must change nothing. Reports wall time, lines per
second and the peak memory of the command and its child processes together (sampled
from /proc every 100 ms).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS"))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total * 1024


def run_command(args: list[str]) -> tuple[float, int, str]:
    """(seconds, peak bytes of the process tree, the command's summary line)."""
    command = [sys.executable, "-m", "patron", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}):\n{out}")
    lines = out.strip().splitlines()
    return seconds, peak, lines[0] if lines else ""


def prepare(data_dir: Path, customers: int) -> list[str]:
    """Migrate, staff, a customer base of at least `customers`; no orders or interactions.
    Returns the staff emails (who handled interactions)."""
    sys.path.insert(0, str(ROOT))
    from bench.customer_csv import write_csv
    from bench.import_customers import prepare as prepare_customers

    owners = prepare_customers(data_dir)
    from patron.customers.models import Customer

    have = Customer.objects.count()
    if have < customers:
        csv_path = data_dir / f"customers-{customers}.csv"
        if not csv_path.exists():
            write_csv(csv_path, customers, owners=owners)
        print(f"building the customer base: {customers:,} customers ({have:,} there) ...")
        seconds, peak, summary = run_command(["import", "customers", str(csv_path), "--quiet"])
        print(f"  {seconds:.0f} s, peak {peak / 2**20:,.0f} MiB | {summary}")
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("commerce_orderline", "commerce_order", "commerce_product"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        cursor.execute("DELETE FROM interactions_interaction WHERE external_id IS NOT NULL")
        cursor.execute("DELETE FROM core_auditentry WHERE target_id LIKE 'import:%%'")
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
    return owners


def _rate(label: str, count: int, seconds: float, peak: int, summary: str, unit: str) -> None:
    print(
        f"{label:30} {seconds:7.1f} s  {count / seconds:9,.0f} {unit}/s"
        f"  peak {peak / 2**20:6,.0f} MiB  | {summary}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines")
    parser.add_argument(
        "--customers", type=int, default=None, help="default: lines / 10, at most 1,000,000"
    )
    parser.add_argument("--interactions", type=int, default=None, help="default: lines / 10")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=None, help="the command's default")
    parser.add_argument("--runs", type=int, default=2, help="runs of each file (2)")
    args = parser.parse_args()
    customers = args.customers or min(1_000_000, max(1000, args.lines // 10))
    interactions = args.interactions if args.interactions is not None else args.lines // 10
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="patron-orders-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PATRON_DATA_DIR"] = str(data_dir)
    owners = prepare(data_dir, customers)
    from django.db import connection

    from bench.commerce_csv import write_interactions, write_orders

    orders_csv = data_dir / f"orders-{args.lines}-{customers}.csv"
    if not orders_csv.exists():
        print(f"writing {orders_csv.name} ...", flush=True)
        write_orders(orders_csv, args.lines, customers=customers)
    lines = sum(1 for _line in orders_csv.open("rb")) - 1
    size = orders_csv.stat().st_size / 2**20
    print(
        f"database: {connection.vendor}; {customers:,} customers; orders file: {lines:,} lines, "
        f"{size:,.0f} MiB",
        flush=True,
    )
    extra = ["--workers", str(args.workers)] if args.workers else []
    labels = ["first run (empty table)", "second run (same file)", "third run"]
    for label in labels[: args.runs]:
        seconds, peak, summary = run_command(
            ["import", "orders", str(orders_csv), "--quiet", *extra]
        )
        _rate(f"orders, {label}", lines, seconds, peak, summary, "lines")
        if re.search(r"rejected [1-9]", summary):
            print("  (rejected lines: see the rejects file next to the CSV)")
    if interactions:
        interactions_csv = data_dir / f"interactions-{interactions}-{customers}.csv"
        if not interactions_csv.exists():
            write_interactions(interactions_csv, interactions, customers=customers, users=owners)
        for label in labels[: args.runs]:
            seconds, peak, summary = run_command(
                ["import", "interactions", str(interactions_csv), "--quiet", *extra]
            )
            _rate(f"interactions, {label}", interactions, seconds, peak, summary, "rows")


if __name__ == "__main__":
    main()
