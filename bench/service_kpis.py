"""The service KPIs over a large ticket base: the whole computation (every KPI, overall,
by category, by team, by week) for the default 90 days and for a year, as an admin (all
tickets) and as an agent (a team's), and the page through the real request path.

    .venv/bin/python bench/service_kpis.py [--tickets 300000] [--data-dir DIR]
    scripts/with-postgres.sh .venv/bin/python bench/service_kpis.py --tickets 1000000

The base: 6 teams with 4 agents each, 50,000 customers, tickets over 400 days (types,
priorities, categories and statuses in realistic shares; resolved ones with first
response and resolution times, a tenth still active), a breach on one ticket in twenty,
and 2 orders per ticket; written with bulk_create. Prints p50 and p95 in milliseconds
(`--repeat` runs after a warm-up) and the statements of one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--profile", action="store_true", help="time each statement (admin) and explain the slowest"
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="patron-bench-kpis-"))
    os.environ["PATRON_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    os.environ.setdefault("PATRON_MANIFEST_STATIC", "0")  # no collectstatic for a bench
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from patron.accounts.models import User
    from patron.service import kpis
    from patron.service.models import Ticket

    if not Ticket.objects.exists():
        started = time.perf_counter()
        build(args.tickets, args.customers)
        print(f"built {args.tickets:,} tickets in {time.perf_counter() - started:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    print(f"database: {connection.vendor}; {Ticket.objects.count():,} tickets")
    admin = User.objects.get(email="admin@bench.example")
    agent = User.objects.get(email="agent0@bench.example")
    today = NOW.date()
    periods = {
        "90 days": kpis.parse_filters(today=today),
        "365 days": kpis.parse_filters(date_from=today - dt.timedelta(days=364), today=today),
    }
    for who, user in (("admin", admin), ("agent", agent)):
        for label, filters in periods.items():
            timings = []
            kpis.service_kpis(viewer=user, filters=filters, now=NOW)  # warm-up
            for _ in range(args.repeat):
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    data = kpis.service_kpis(viewer=user, filters=filters, now=NOW)
                timings.append((time.perf_counter() - started) * 1000)
            print(
                f"{who}, {label}: p50 {statistics.median(timings):.0f} ms, p95 "
                f"{_p95(timings):.0f} ms; {len(queries.captured_queries)} statements; "
                f"{data.overall.resolution.count:,} resolved, backlog "
                f"{data.overall.backlog_total:,}"
            )
    if args.profile:
        for label, filters in periods.items():
            profile(admin, filters, label)
    from django.test import Client

    client = Client()
    client.force_login(admin)
    period = periods["90 days"]
    url = f"/service/kpis/?from={period.date_from}&to={period.date_to}"
    client.get(url, secure=True)
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"page /service/kpis/ (admin, 90 days): HTTP {response.status_code}, p50 "
        f"{statistics.median(timings):.0f} ms, p95 {_p95(timings):.0f} ms"
    )


def profile(user, filters, label: str) -> None:
    """Each statement of one call, timed with its rows fetched; the slowest explained."""
    from django.db import connection

    from patron.service import kpis

    log: list[tuple[float, str, object]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        result = execute(sql, params, many, context)
        cursor = context["cursor"]
        if cursor.description is None:  # SET, SAVEPOINT: no rows
            log.append((time.perf_counter() - started, sql, params))
            return result
        rows = iter(cursor.fetchall())
        log.append((time.perf_counter() - started, sql, params))
        cursor.fetchall = lambda: list(rows)
        cursor.fetchone = lambda: next(rows, None)
        cursor.fetchmany = lambda size=100: [row for _, row in zip(range(size), rows, strict=False)]
        return result

    with connection.execute_wrapper(timed):
        kpis.service_kpis(viewer=user, filters=filters, now=NOW)
    print(f"profile, admin, {label}:")
    for seconds, sql, _params in log:
        print(f"  {seconds * 1000:7.0f} ms  {sql[:100]}")
    seconds, sql, params = max(log, key=lambda entry: entry[0])
    explain = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        for row in cursor.fetchall()[:40]:
            print("    ", " ".join(str(part) for part in row))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def build(tickets: int, customers: int) -> None:
    from patron.accounts.models import Role, Team, User
    from patron.commerce.models import Order
    from patron.customers.models import Customer
    from patron.service.models import SlaBreach, Ticket, TicketCategory, TicketStatus

    rng = random.Random(7)
    User.objects.create(email="admin@bench.example", role=Role.ADMIN)
    teams = [Team.objects.create(name=f"Bench team {n}") for n in range(6)]
    agents = []
    for n in range(24):
        agent = User.objects.create(email=f"agent{n}@bench.example", role=Role.AGENT)
        agent.teams.add(teams[n % 6])
        agents.append(agent)
    categories = [
        TicketCategory.objects.get_or_create(name=name)[0]
        for name in ("Billing", "Delivery", "Product quality", "Account", "Other")
    ]
    Customer.objects.bulk_create(
        [
            Customer(
                given_name=f"Given{i}",
                family_name="Bench",
                display_name=f"Given{i} Bench",
                owner=agents[i % 24],
                team=teams[i % 6],
            )
            for i in range(customers)
        ],
        batch_size=5000,
    )
    people = list(Customer.objects.values_list("id", "owner_id", "team_id"))
    hour = dt.timedelta(hours=1)
    types = ["question"] * 8 + ["complaint"] * 4 + ["request"] * 5 + ["incident"] * 3
    batch: list[Ticket] = []
    orders: list[Order] = []
    for i in range(tickets):
        customer_id, owner_id, team_id = people[rng.randrange(len(people))]
        created = NOW - dt.timedelta(days=400) * rng.random()
        active = rng.random() < 0.1 or NOW - created < dt.timedelta(days=2)
        first = created + rng.expovariate(1 / 6) * hour
        resolved = first + rng.expovariate(1 / 30) * hour
        done = not active and resolved < NOW
        batch.append(
            Ticket(
                subject=f"Bench ticket {i}",
                customer_id=customer_id,
                owner_id=owner_id,
                team_id=team_id,
                category=categories[i % 5] if i % 11 else None,
                type=types[i % len(types)],
                priority=1 + i % 4,
                status=(TicketStatus.CLOSED if done else TicketStatus.OPEN),
                created_at=created,
                first_response_due_at=created + 24 * hour,
                resolution_due_at=created + 72 * hour,
                first_response_at=first if first < NOW else None,
                resolved_at=resolved if done else None,
                first_contact_resolution=(rng.random() < 0.6) if done else None,
            )
        )
        for _ in range(2):
            orders.append(
                Order(
                    customer_id=customer_id,
                    placed_at=NOW - dt.timedelta(days=400) * rng.random(),
                    currency="USD",
                    total_amount=10,
                )
            )
        if len(batch) == 10_000:
            Ticket.objects.bulk_create(batch)
            Order.objects.bulk_create(orders)
            batch, orders = [], []
    Ticket.objects.bulk_create(batch)
    Order.objects.bulk_create(orders)
    ids = list(Ticket.objects.values_list("id", "first_response_due_at")[::20])
    SlaBreach.objects.bulk_create(
        [SlaBreach(ticket_id=pk, target="first_response", due_at=due) for pk, due in ids],
        batch_size=10_000,
    )


if __name__ == "__main__":
    main()
