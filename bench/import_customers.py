"""`patron import customers` of a large CSV, end to end, as a user runs it.

    .venv/bin/python bench/import_customers.py --rows 1000000 [--data-dir DIR] [--workers N]
    scripts/with-postgres.sh .venv/bin/python bench/import_customers.py --rows 1000000

Prepares a data directory (migrated, with the demo teams and staff as owners), writes a
realistic CSV with bench/customer_csv.py (kept next to the data for reruns), then runs the
real command in a child process twice: the first run creates everything, the second must
change nothing. Reports wall time, rows per second and the peak memory of the command and
of its worker processes together (sampled from /proc every 100 ms).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare(data_dir: Path) -> list[str]:
    """Migrate and create teams and staff; the emails of the staff who may own customers."""
    os.environ["PATRON_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from patron.accounts.models import User
    from patron.demo import demo_load

    call_command("migrate", verbosity=0)
    if not User.objects.filter(role="agent").exists():
        demo_load(customers=0, password="bench passphrase 1")
    if not User.objects.filter(role="admin").exists():
        User.objects.create_user(email="bench-admin@example.com", password="x", role="admin")
    return sorted(
        User.objects.filter(role__in=["agent", "manager"]).values_list("email", flat=True)
    )


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


def run_import(csv_path: Path, *, workers: int | None) -> tuple[float, int, str]:
    """(seconds, peak bytes of the process tree, the command's summary line)."""
    command = [sys.executable, "-m", "patron", "import", "customers", str(csv_path), "--quiet"]
    if workers:
        command += ["--workers", str(workers)]
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
        raise SystemExit(f"import failed ({process.returncode}):\n{out}")
    return seconds, peak, out.strip().splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=None, help="the command's default")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="patron-import-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from bench.customer_csv import write_csv

    owners = prepare(data_dir)
    from django.db import connection

    csv_path = data_dir / f"customers-{args.rows}.csv"
    if not csv_path.exists():
        write_csv(csv_path, args.rows, owners=owners)
    size = csv_path.stat().st_size / 2**20
    print(f"database: {connection.vendor}; file: {args.rows:,} rows, {size:,.0f} MiB")
    for label in ("first run", "second run (same file)"):
        seconds, peak, summary = run_import(csv_path, workers=args.workers)
        print(
            f"{label:24} {seconds:7.1f} s  {args.rows / seconds:9,.0f} rows/s"
            f"  peak {peak / 2**20:6,.0f} MiB  | {summary}"
        )


if __name__ == "__main__":
    main()
