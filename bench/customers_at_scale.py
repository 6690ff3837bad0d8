"""Busy pages and API calls at a realistic size.

    .venv/bin/python bench/customers_at_scale.py --customers 1000000 [--repeat 5]

Builds a throwaway data directory (SQLite, or PostgreSQL when DATABASE_URL is set), bulk
loads N customers over six teams, then times the real request path (middleware, views,
templates, visibility) with Django's test client, as an admin and as an agent of one team.
Prints the median and the worst of the repeats, in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("PATRON_DATA_DIR", tempfile.mkdtemp(prefix="patron-bench-"))
    os.environ["PATRON_HTTPS"] = "0"
    os.environ["PATRON_MANIFEST_STATIC"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS.append("testserver")
    call_command("migrate", verbosity=0)
    load(args.customers)
    print(f"database: {connection.vendor}, customers: {args.customers:,}")

    from patron.accounts.models import User

    admin = User.objects.get(email="bench-admin@example.com")
    agent = User.objects.filter(role="agent").order_by("email").first()
    for who, user in (("admin", admin), ("agent", agent)):
        client = Client()
        client.force_login(user)
        token = token_for(user)
        for label, path, headers in [
            ("dashboard", "/", {}),
            ("customer list, page 1", "/customers/", {}),
            ("customer list, page 200", "/customers/?page=200", {}),
            ("customer list, stage filter", "/customers/?lifecycle_stage=lost", {}),
            ("customer search 'sarg'", "/customers/?q=sarg", {}),
            ("API list, page 1", "/api/v1/customers", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
        ]:
            timings = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(path, **headers)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            print(
                f"{who:6} {label:30} median {statistics.median(timings):8.1f} ms"
                f"   worst {max(timings):8.1f} ms"
            )


def token_for(user: object) -> str:
    from patron.accounts.services import token_create

    return token_create(actor=None, user=user, name="bench")[1]


def load(count: int) -> None:
    """Six teams with an agent each, then `count` customers in bulk (no per-row audit)."""
    import random

    from patron.accounts.models import Role, User
    from patron.customers.models import Customer
    from patron.demo import demo_load

    if User.objects.filter(email="bench-admin@example.com").exists():
        return
    demo_load(customers=0, password="bench passphrase 1")
    User.objects.create_user(email="bench-admin@example.com", password="x", role=Role.ADMIN)
    agents = list(User.objects.filter(role="agent").prefetch_related("teams"))
    rng = random.Random(1)
    given = ["Armen", "Lilit", "Noa", "Layla", "Giorgi", "Nurul", "Oliver", "Ani", "Sami", "Nino"]
    family = [
        "Sargsyan",
        "Levi",
        "Haddad",
        "Beridze",
        "Aziz",
        "Bennett",
        "Petrosyan",
        "Cohen",
        "Kapanadze",
        "Rahman",
        "Hakobyan",
        "Mansour",
    ]
    stages = ["customer"] * 11 + ["prospect"] * 6 + ["lost"] * 2 + ["partner"]
    started = time.perf_counter()
    batch = []
    for index in range(count):
        agent = agents[index % len(agents)]
        first, last = rng.choice(given), rng.choice(family)
        batch.append(
            Customer(
                given_name=first,
                family_name=f"{last}{index % 997}",
                display_name=f"{first} {last}{index % 997}",
                lifecycle_stage=rng.choice(stages),
                owner=agent,
                team=agent.teams.all()[0],
                source="bench",
            )
        )
        if len(batch) == 20_000:
            Customer.objects.bulk_create(batch)
            batch = []
    Customer.objects.bulk_create(batch)
    print(f"loaded {count:,} customers in {time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
