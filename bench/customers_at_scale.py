"""Busy pages and API calls over a realistic customer base, timed on the server.

    .venv/bin/python bench/customers_at_scale.py --customers 1000000 [--data-dir DIR]
    scripts/with-postgres.sh .venv/bin/python bench/customers_at_scale.py --customers 1000000

The base is built the way users build theirs: bench/import_customers.py writes a CSV of N
customers (people and organizations, emails, phones, addresses, tags, owners over six
teams) and `patron import customers` loads it; a data directory that already holds the
base is reused. Each request then runs through the real path (middleware, visibility,
views, templates) with Django's test client, as an admin and as an agent of one team,
`--repeat` times after one warm-up. Prints p50 and p95 in milliseconds and the number
of queries of one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="patron-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PATRON_HTTPS"] = "0"
    os.environ["PATRON_MANIFEST_STATIC"] = "0"
    sys.path.insert(0, str(ROOT))
    from bench.customer_csv import write_csv
    from bench.import_customers import prepare, run_import

    owners = prepare(data_dir)
    from django.conf import settings

    from patron.customers.models import Customer

    if not Customer.objects.exists():
        csv_path = data_dir / f"customers-{args.customers}.csv"
        if not csv_path.exists():
            write_csv(csv_path, args.customers, owners=owners)
        seconds, _peak, summary = run_import(csv_path, workers=None)
        print(f"loaded by import in {seconds:.0f} s: {summary}", file=sys.stderr)
    settings.ALLOWED_HOSTS.append("testserver")
    measure(args.repeat)


def _targets() -> dict[str, int]:
    """A person who belongs to an organization, and the organization with most people."""
    from django.db.models import Count

    from patron.customers.models import Customer, Membership

    person = Membership.objects.order_by("id").values_list("person_id", flat=True)[500]
    organization = (
        Customer.objects.filter(kind="organization", pk__lte=20_000)
        .annotate(people=Count("members"))
        .order_by("-people")
        .values_list("pk", flat=True)[0]
    )
    return {"person": person, "organization": organization}


def requests(ids: dict[str, int], token: str) -> list[tuple[str, str, dict]]:
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return [
        ("dashboard", "/", {}),
        ("list, page 1", "/customers/", {}),
        ("list, page 200", "/customers/?page=200", {}),
        ("list, lifecycle filter", "/customers/?lifecycle_stage=lost", {}),
        ("list, country + tag filters", "/customers/?country=AM&tag=vip", {}),
        ("list, newest first", "/customers/?sort=-created", {}),
        ("list, stale filter", "/customers/?stale=on", {}),
        ("search name prefix 'Oliv'", "/customers/?q=Oliv", {}),
        ("search two words 'amelia jon'", "/customers/?q=amelia+jon", {}),
        ("search Armenian 'Սարգս'", "/customers/?q=Սարգս", {}),
        ("search Arabic 'محمد'", "/customers/?q=محمد", {}),
        ("search email 'p424242@mail'", "/customers/?q=p424242@mail", {}),
        ("search phone '+374 91 04242'", "/customers/?q=%2B374+91+04242", {}),
        ("search external id 'C00424242'", "/customers/?q=C00424242", {}),
        ("search, no match", "/customers/?q=zzqx", {}),
        ("customer 360, person", f"/customers/{ids['person']}/", {}),
        ("customer 360, organization", f"/customers/{ids['organization']}/", {}),
        ("API list, page 1", "/api/v1/customers", api),
        ("API search 'Oliv'", "/api/v1/customers?q=Oliv", api),
        ("API customer", f"/api/v1/customers/{ids['person']}", api),
    ]


def measure(repeat: int) -> None:
    from django.db import connection
    from django.test import Client

    from patron.accounts.models import User
    from patron.accounts.services import token_create
    from patron.customers.models import Customer

    ids = _targets()
    admin = User.objects.filter(role="admin").order_by("id").first()
    # The agent who owns the person, so that both can open the same pages.
    owner_id = Customer.objects.values_list("owner_id", flat=True).get(pk=ids["person"])
    agent = User.objects.get(pk=owner_id)
    print(f"database: {connection.vendor}, customers: {Customer.objects.count():,}")
    print(f"{'':6} {'request':36} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for who, user in (("admin", admin), (agent.role, agent)):
        client = Client()
        client.force_login(user)
        token = token_create(actor=None, user=user, name="bench")[1]
        for label, path, headers in requests(ids, token):
            response = client.get(path, **headers)  # warm-up
            status = response.status_code
            if status != 200:
                print(f"{who:6} {label:36} HTTP {status}")
                continue
            queries: list[str] = []

            def count(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                client.get(path, **headers)
            timings = []
            for _ in range(repeat):
                start = time.perf_counter()
                client.get(path, **headers)
                timings.append((time.perf_counter() - start) * 1000)
            p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
            print(
                f"{who:6} {label:36} {statistics.median(timings):8.1f} {p95:8.1f} {len(queries):8}"
            )


if __name__ == "__main__":
    main()
