"""The customer list by figures, My day and the signals over a large base, timed on the
server.

    .venv/bin/python bench/figures_at_scale.py --customers 1000000 [--data-dir DIR]
    scripts/with-postgres.sh .venv/bin/python bench/figures_at_scale.py --customers 1000000

The base is synthetic, written straight into the tables (COPY on PostgreSQL) so that a
million customers take about a minute rather than an import and a refresh: customers
over six teams and twelve owners, a row of figures for 95 % of them (three in five with a
predicted value, tiers, ABC classes, RFM scores, segments and stages in realistic
shares), and signals with their tasks on one customer in fifty. Each request then runs
through the real path (middleware, visibility, views, templates) with Django's test
client, as an admin and as an agent, `--repeat` times after a warm-up. Prints p50 and p95
in milliseconds and the number of queries of one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIERS = [("most_valuable", 10), ("core", 75), ("below_zero", 15)]
SEGMENTS = [
    ("champions", 8),
    ("loyal", 10),
    ("potential_loyalist", 10),
    ("new", 7),
    ("promising", 6),
    ("need_attention", 9),
    ("about_to_sleep", 9),
    ("at_risk", 12),
    ("cant_lose", 4),
    ("hibernating", 15),
    ("lost", 10),
]
STAGES = [("contact", 45), ("connection", 30), ("intimacy", 18), ("trust", 7)]
KINDS = ["buying_less", "win_back", "silent", "at_risk", "cant_lose"]


def _pick(choices: list[tuple[str, int]], rng: random.Random) -> str:
    return rng.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


def build(customers: int, seed: int = 7) -> None:
    """Teams, staff, customers, figures, signals and their tasks."""
    from django.db import connection, transaction
    from django.utils import timezone

    from patron.accounts.models import Role, Team, User
    from patron.analytics.models import CustomerMetrics, Signal
    from patron.core import bulk
    from patron.customers.models import Customer
    from patron.interactions.models import Task

    rng = random.Random(seed)
    now = timezone.now()
    teams = [Team.objects.create(name=f"Team {n}") for n in range(6)]
    User.objects.create_user(email="admin@example.com", password="x", role=Role.ADMIN)
    manager = User.objects.create_user(email="manager@example.com", password="x", role=Role.MANAGER)
    manager.teams.set(teams[:1])
    owners = []
    for n in range(12):
        agent = User.objects.create_user(email=f"agent{n}@example.com", password="x")
        agent.teams.set([teams[n % 6]])
        owners.append(agent)
    given = ["Ani", "Aram", "Siti", "Omar", "Lena", "Oliver", "Mariam", "Tigran", "Noor"]
    family = ["Nor", "Berg", "Aminah", "Haddad", "Sargsyan", "Jones", "Khan", "Petrosyan"]
    chunk = 50_000
    with transaction.atomic():
        for start in range(1, customers + 1, chunk):
            rows = []
            for pk in range(start, min(start + chunk, customers + 1)):
                name = f"{rng.choice(given)} {rng.choice(family)} {pk}"
                owner = owners[pk % 12]
                created = now - dt.timedelta(days=rng.randint(0, 2000))
                rows.append(
                    (
                        pk,
                        created,
                        created,
                        1,
                        "person",
                        name.split()[0],
                        name.split()[1],
                        "",
                        name,
                        "AM",
                        "customer",
                        "",
                        owner.pk,
                        teams[pk % 12 % 6].pk,
                        "",
                        "{}",
                        None,
                        "",
                        "",
                    )
                )
            bulk.insert_rows(
                Customer,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "version",
                    "kind",
                    "given_name",
                    "family_name",
                    "organization_name",
                    "display_name",
                    "country",
                    "lifecycle_stage",
                    "source",
                    "owner",
                    "team",
                    "city",
                    "custom_fields",
                    "last_confirmed_at",
                    "time_zone",
                    "language",
                ],
                rows,
            )
        metric_fields = [
            "customer",
            "orders_total",
            "revenue_total",
            "orders_12m",
            "revenue_12m",
            "orders_prev_12m",
            "revenue_prev_12m",
            "order_days",
            "first_day_revenue",
            "interactions_12m",
            "two_way_recent",
            "declined_12m",
            "answers",
            "open_tickets",
            "open_complaints",
            "value_tier",
            "below_zero_reasons",
            "abc_class",
            "r_score",
            "f_score",
            "m_score",
            "rfm_score",
            "rfm_segment",
            "previous_rfm_segment",
            "p_alive",
            "clv_12m",
            "recency_days",
            "relationship_stage",
            "refreshed_at",
        ]
        for start in range(1, customers + 1, chunk):
            rows = []
            for pk in range(start, min(start + chunk, customers + 1)):
                if rng.random() < 0.05:
                    continue  # new since the last refresh: no figures yet
                buyer = rng.random() < 0.6
                revenue = Decimal(rng.randint(1, 500_000)) / 100 if buyer else Decimal(0)
                r, f, m = (rng.randint(1, 5) for _ in range(3))
                rows.append(
                    (
                        pk,
                        3 if buyer else 0,
                        revenue * 3,
                        1 if buyer else 0,
                        revenue,
                        1,
                        revenue,
                        3 if buyer else 0,
                        revenue,
                        2,
                        False,
                        0,
                        0,
                        0,
                        0,
                        _pick(TIERS, rng) if buyer else "",
                        "",
                        rng.choice("AABBBCCCCC") if buyer else "",
                        r if buyer else None,
                        f if buyer else None,
                        m if buyer else None,
                        f"{r}{f}{m}" if buyer else "",
                        _pick(SEGMENTS, rng) if buyer else "",
                        "",
                        rng.random() if buyer else None,
                        Decimal(rng.randint(0, 900_000)) / 100 if buyer else None,
                        rng.randint(0, 900) if buyer else None,
                        _pick(STAGES, rng),
                        now,
                    )
                )
            bulk.insert_rows(CustomerMetrics, metric_fields, rows)
        task_rows, signal_rows = [], []
        # One customer in fifty, spread over every owner (customer pk is owned by pk % 12).
        for n, start in enumerate(range(0, customers - 12, 50), start=1):
            pk = start + 1 + n % 12
            raised = now - dt.timedelta(days=rng.randint(0, 40))
            owner = owners[pk % 12]
            unassigned = rng.random() < 0.05
            task_rows.append(
                (
                    n,
                    "Follow up on a signal",
                    "",
                    pk,
                    raised + dt.timedelta(days=7),
                    None if unassigned else owner.pk,
                    3,
                    "open" if rng.random() < 0.7 else "done",
                    "signal",
                    f"signal:{n}",
                    raised + dt.timedelta(days=7),
                    1,
                    raised,
                    raised,
                )
            )
            cleared = raised + dt.timedelta(days=3) if rng.random() < 0.3 else None
            signal_rows.append((n, pk, rng.choice(KINDS), raised, "{}", cleared, n))
        bulk.insert_rows(
            Task,
            [
                "id",
                "title",
                "description",
                "customer",
                "due_at",
                "assignee",
                "priority",
                "status",
                "source",
                "source_key",
                "remind_at",
                "version",
                "created_at",
                "updated_at",
            ],
            task_rows,
        )
        # Tasks due today and overdue for every owner, on their own customers.
        extra = [
            (
                len(task_rows) + n,
                f"Call back {n}",
                "",
                12 * (1 + n * 97 % (customers // 12 - 1)) + n % 12,
                now - dt.timedelta(days=rng.randint(-1, 10)),
                owners[n % 12].pk,
                2,
                "open",
                "manual",
                None,
                None,
                1,
                now,
                now,
            )
            for n in range(1, 2401)
        ]
        bulk.insert_rows(
            Task,
            [
                "id",
                "title",
                "description",
                "customer",
                "due_at",
                "assignee",
                "priority",
                "status",
                "source",
                "source_key",
                "remind_at",
                "version",
                "created_at",
                "updated_at",
            ],
            extra,
        )
        bulk.insert_rows(
            Signal,
            ["id", "customer", "kind", "raised_at", "details", "cleared_at", "task"],
            signal_rows,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Customer, CustomerMetrics, Signal, Task):
                table = model._meta.db_table
                if model is not CustomerMetrics:  # ids were given: move the sequences on
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                        f" (SELECT max(id) FROM {table}))"
                    )
                cursor.execute(f"VACUUM ANALYZE {table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def requests(token: str) -> list[tuple[str, str, dict]]:
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return [
        ("list, by name (page 1)", "/customers/", {}),
        ("list, most valuable", "/customers/?value_tier=most_valuable", {}),
        ("list, champions", "/customers/?rfm_segment=champions", {}),
        ("list, stage trust", "/customers/?relationship_stage=trust", {}),
        ("list, ABC class A", "/customers/?abc_class=A", {}),
        ("list, R 5 and F 5", "/customers/?r_score=5&f_score=5", {}),
        ("list, CLV 1,000 to 2,000", "/customers/?clv_min=1000&clv_max=2000", {}),
        ("list, highest CLV", "/customers/?sort=-clv_12m", {}),
        ("list, lowest CLV", "/customers/?sort=clv_12m", {}),
        ("list, highest CLV, page 200", "/customers/?sort=-clv_12m&page=200", {}),
        ("list, highest revenue 12m", "/customers/?sort=-revenue_12m", {}),
        ("list, most likely active", "/customers/?sort=-p_alive", {}),
        ("list, most recent buyers", "/customers/?sort=recency_days", {}),
        ("list, tier core by CLV", "/customers/?value_tier=core&sort=-clv_12m", {}),
        ("API list, highest CLV", "/api/v1/customers?sort=-clv_12m", api),
        ("API list, champions", "/api/v1/customers?rfm_segment=champions", api),
        ("my day", "/my-day/", {}),
        ("signals", "/signals/", {}),
        ("signals, open, mine", "/signals/?status=open&owner=me", {}),
        ("API signals", "/api/v1/signals", api),
    ]


def measure(repeat: int) -> None:
    from django.db import connection
    from django.test import Client

    from bench.timing import HEADER, time_request
    from patron.accounts.models import User
    from patron.accounts.services import token_create
    from patron.customers.models import Customer

    print(f"database: {connection.vendor}, customers: {Customer.objects.count():,}")
    print(f"{'':8} {HEADER}")
    for who in ("admin@example.com", "manager@example.com", "agent0@example.com"):
        user = User.objects.get(email=who)
        client = Client()
        client.force_login(user)
        token = token_create(actor=None, user=user, name="bench")[1]
        for label, path, headers in requests(token):
            print(f"{user.role:8} {time_request(client, path, headers, repeat).row(label)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--only", default="", help="only the requests whose label has this")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="patron-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PATRON_DATA_DIR"] = str(data_dir)
    os.environ["PATRON_HTTPS"] = "0"
    os.environ["PATRON_MANIFEST_STATIC"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from patron.customers.models import Customer

    call_command("migrate", verbosity=0)
    if not Customer.objects.exists():
        start = time.perf_counter()
        build(args.customers)
        print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    settings.ALLOWED_HOSTS.append("testserver")
    if args.only:
        global requests
        every = requests
        requests = lambda token: [r for r in every(token) if args.only in r[0]]  # noqa: E731
    measure(args.repeat)


if __name__ == "__main__":
    main()
