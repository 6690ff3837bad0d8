"""The customer page with its brief and timeline, over a base of a million customers,
ten million order lines and ten million interactions, timed on the server.

    .venv/bin/python bench/import_orders.py ... --data-dir DIR   # builds the base first
    .venv/bin/python bench/conversation_at_scale.py --data-dir DIR [--events 2000]
    scripts/with-postgres.sh .venv/bin/python bench/conversation_at_scale.py --data-dir DIR

One person of the base gets a long history (`--events` timeline events in all: calls and
emails on every channel, orders, notes, tasks and answers, over five years), written in
bulk once and reused. Each request then runs through the real path (middleware,
visibility, views, templates) with Django's test client, as an admin and as the
customer's owner (an agent), `--repeat` times after one warm-up. Prints p50 and p95 in
milliseconds and the number of queries of one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "bench-history-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ["PATRON_HTTPS"] = "0"
    os.environ["PATRON_MANIFEST_STATIC"] = "0"
    sys.path.insert(0, str(ROOT))
    from bench.import_customers import prepare

    prepare(args.data_dir)
    from django.conf import settings

    settings.ALLOWED_HOSTS.append("testserver")
    customer = long_history(args.events)
    measure(customer, args.repeat)


def _person():
    from patron.customers.models import Customer

    return Customer.objects.filter(kind="person", owner__isnull=False).order_by("id")[1000]


def long_history(events: int):
    """A person with `events` timeline events, written once (found again by its mark)."""
    from django.db import transaction
    from django.utils import timezone

    from patron.accounts.models import User
    from patron.commerce.models import Order, OrderLine, Product
    from patron.customers.models import Customer
    from patron.interactions import services
    from patron.interactions.models import Channel, Interaction, Note, Question, Task

    marked = Interaction.objects.filter(external_id__startswith=MARK).first()
    if marked is not None:
        return Customer.objects.get(pk=marked.customer_id)
    customer = _person()
    rng = random.Random(5)
    now = timezone.now()
    users = list(User.objects.filter(is_active=True)[:6])
    admin = User.objects.filter(role="admin").first()
    product = Product.objects.order_by("id").first() or Product.objects.create(
        sku="BENCH-1", name="Bench product"
    )

    def moment() -> dt.datetime:
        return now - dt.timedelta(minutes=rng.randrange(5 * 365 * 24 * 60))

    n_orders, n_notes, n_tasks, n_answers = events // 5, events // 20, events // 40, 10
    n_interactions = events - n_orders - n_notes - n_tasks - n_answers
    with transaction.atomic():
        Interaction.objects.bulk_create(
            Interaction(
                external_id=f"{MARK}{i}",
                customer=customer,
                channel=rng.choice(Channel.values),
                direction=rng.choice(["inbound", "outbound"]),
                occurred_at=moment(),
                user=rng.choice(users),
                summary=f"Conversation {i} about the order",
                outcome=rng.choice(["", "Resolved", "Call back", "Sent offer"]),
            )
            for i in range(n_interactions)
        )
        orders = Order.objects.bulk_create(
            Order(
                external_id=f"{MARK}order-{i}",
                customer=customer,
                placed_at=moment(),
                currency="GBP",
                channel="web",
                total_amount=Decimal("42.50"),
                total_cost=Decimal("30.00"),
                line_count=2,
            )
            for i in range(n_orders)
        )
        OrderLine.objects.bulk_create(
            OrderLine(order=o, product=product, quantity=1, unit_price=Decimal("21.25"))
            for o in orders
            for _ in range(2)
        )
        notes = Note.objects.bulk_create(
            Note(customer=customer, author=rng.choice(users), body=f"Note {i}")
            for i in range(n_notes)
        )
        for note in notes:
            note.created_at = moment()
        Note.objects.bulk_update(notes, ["created_at"])
        tasks = Task.objects.bulk_create(
            Task(
                customer=customer,
                title=f"Follow-up {i}",
                assignee=customer.owner,
                due_at=moment(),
                status="open" if i % 4 == 0 else "done",
            )
            for i in range(n_tasks)
        )
        for task in tasks:
            task.created_at = moment()
        Task.objects.bulk_update(tasks, ["created_at"])
        for i in range(n_answers):
            question, _ = Question.objects.get_or_create(
                key=f"bench_{i}", defaults={"text": f"Bench question {i}?", "priority": i}
            )
            services.answer_record(
                actor=admin, customer=customer, question=question, value=f"answer {i}"
            )
    return customer


def requests(customer, token: str) -> list[tuple[str, str, dict]]:
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    htmx = {"HTTP_HX_REQUEST": "true"}
    base = f"/customers/{customer.pk}"
    return [
        ("customer 360 (brief + timeline page 1)", f"{base}/", {}),
        ("timeline, next page (scroll)", "NEXT", htmx),
        ("timeline filtered: phone calls", f"{base}/timeline/?channel=phone", htmx),
        ("API brief", f"/api/v1{base}/brief", api),
        ("API timeline, page 1", f"/api/v1{base}/timeline", api),
        ("team timeline", "/timeline/", {}),
        ("my tasks", "/tasks/?view=open", {}),
    ]


def measure(customer, repeat: int) -> None:
    from django.db import connection
    from django.test import Client

    from patron.accounts.models import User
    from patron.accounts.services import token_create
    from patron.commerce.models import OrderLine
    from patron.customers.models import Customer
    from patron.interactions.models import Interaction
    from patron.interactions.timeline import customer_timeline

    page, events = None, 0
    while True:
        page = customer_timeline(customer, cursor=page.next_cursor if page else None, size=100)
        events += len(page.events)
        if not page.next_cursor:
            break
    print(
        f"database: {connection.vendor}; customers: {Customer.objects.count():,}; "
        f"order lines: {OrderLine.objects.count():,}; "
        f"interactions: {Interaction.objects.count():,}; "
        f"the customer's timeline: {events:,} events"
    )
    admin = User.objects.filter(role="admin").order_by("id").first()
    print(f"{'':6} {'request':40} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for who, user in (("admin", admin), ("agent", customer.owner)):
        client = Client()
        client.force_login(user)
        token = token_create(actor=None, user=user, name="bench")[1]
        first = client.get(f"/customers/{customer.pk}/").content.decode()
        found = re.search(r'hx-get="([^"]+cursor=[^"]+)"', first)
        next_page = found.group(1).replace("&amp;", "&") if found else ""
        for label, path, headers in requests(customer, token):
            path = next_page if path == "NEXT" else path
            response = client.get(path, **headers)  # warm-up
            if response.status_code != 200:
                print(f"{who:6} {label:40} HTTP {response.status_code}")
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
            p95 = statistics.quantiles(timings, n=20)[-1]
            print(
                f"{who:6} {label:40} {statistics.median(timings):8.1f} {p95:8.1f} {len(queries):8}"
            )


if __name__ == "__main__":
    main()
