"""The SLA job over 100,000 open tickets: the first run (many breaches to record, many
tickets going at risk, owners and managers told) and a second run five minutes later
(little changes). Target: each run under 5 s.

    .venv/bin/python bench/sla_job.py [--tickets 100000] [--data-dir DIR]
    scripts/with-postgres.sh .venv/bin/python bench/sla_job.py

The base: 20 agents in 5 teams (each with a manager), 20,000 customers, and open
tickets with due times spread from two days ago to three days ahead, a third of them
answered, a tenth waiting on the customer; written with bulk_create. Emails go to
Django's in-memory backend (the bench times the job, not a mail server).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--queries", action="store_true", help="print the slowest statements")
    parser.add_argument(
        "--fillfactor",
        type=int,
        default=0,
        help="PostgreSQL: leave this share (%%) of each ticket page filled, room for HOT updates",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="on an existing base: forget breaches, states and notices (a first run again)",
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="patron-bench-sla-"))
    os.environ["PATRON_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)

    from patron.service.models import SlaBreach, Ticket
    from patron.service.sla_job import run_sla_check

    now = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)
    if not Ticket.objects.exists():
        started = time.perf_counter()
        if args.fillfactor and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE service_ticket SET (fillfactor = {args.fillfactor})")
        build(args.tickets, args.customers, now)
        if connection.vendor == "postgresql":
            # A table in use has planner statistics (autovacuum); a fresh one not yet.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"built {args.tickets:,} tickets in {time.perf_counter() - started:.1f} s")
    elif args.reset:
        from patron.interactions.models import Notification

        SlaBreach.objects.all().delete()
        Notification.objects.filter(kind=Notification.Kind.SLA).delete()
        Ticket.objects.update(sla_state="on_track", at_risk_notified_at=None)
    print(f"database: {connection.vendor}; {Ticket.objects.count():,} tickets")
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    # The job links to tickets: the first reverse() imports every view module (3 s on a
    # busy machine), once per worker process. Load it before timing, as a worker has.
    started = time.perf_counter()
    reverse("service:queue")
    print(f"URLconf loaded in {time.perf_counter() - started:.2f} s (not part of the runs)")

    for label, when in (("first run", now), ("second run", now + dt.timedelta(minutes=5))):
        with CaptureQueriesContext(connection) as queries:
            stats = run_sla_check(now=when)
        print(
            f"{label}: {stats['seconds']:.2f} s; breaches {stats['breaches']}; "
            f"states {stats['states']}; notifications {stats['notifications']}; "
            f"emails {stats['emails']}; steps {stats['steps']}"
        )
        print(f"  {len(queries.captured_queries)} statements")
        if args.queries:
            slow = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:6]
            for query in slow:
                print(f"  {float(query['time']):6.3f} s  {' '.join(query['sql'].split())[:300]}")
    print(f"breaches recorded: {SlaBreach.objects.count():,}")


def build(tickets: int, customers: int, now: dt.datetime) -> None:
    from patron.accounts.models import Role, Team, User
    from patron.customers.models import Customer
    from patron.service.models import SlaPolicy, Ticket, TicketStatus

    rng = random.Random(7)
    teams = []
    for n in range(5):
        boss = User.objects.create(email=f"boss{n}@bench.example", role=Role.MANAGER)
        teams.append(Team.objects.create(name=f"Bench team {n}", manager=boss))
    agents = []
    for n in range(20):
        agent = User.objects.create(email=f"agent{n}@bench.example", role=Role.AGENT)
        agent.teams.add(teams[n % 5])
        agents.append(agent)
    people = [
        Customer(
            given_name=f"Given{i}",
            family_name="Bench",
            display_name=f"Given{i} Bench",
            owner=agents[i % 20],
            team=teams[i % 5],
        )
        for i in range(customers)
    ]
    Customer.objects.bulk_create(people, batch_size=5000)
    customer_ids = list(Customer.objects.values_list("id", "owner_id", "team_id"))
    policies = list(SlaPolicy.objects.all())
    hour = dt.timedelta(hours=1)
    batch = []
    for i in range(tickets):
        customer_id, owner_id, team_id = customer_ids[i % len(customer_ids)]
        policy = policies[i % len(policies)]
        first_due = now + rng.uniform(-48, 72) * hour
        answered = rng.random() < 1 / 3
        waiting = rng.random() < 0.1
        batch.append(
            Ticket(
                subject=f"Bench ticket {i}",
                customer_id=customer_id,
                owner_id=owner_id,
                team_id=team_id,
                status=TicketStatus.WAITING if waiting else TicketStatus.OPEN,
                sla_policy=policy,
                created_at=first_due - policy.first_response_minutes * dt.timedelta(minutes=1),
                first_response_due_at=first_due,
                resolution_due_at=first_due + rng.uniform(0, 72) * hour,
                first_response_at=first_due - rng.uniform(0, 4) * hour if answered else None,
                waiting_since=now - hour if waiting else None,
            )
        )
        if len(batch) == 10_000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)


if __name__ == "__main__":
    main()
