"""Realistic order-line and interaction CSVs for the customers of bench/customer_csv.py
(external ids C00000000, C00000001, ...), streamed to disk in time order.

Orders: five years of trade with seasonality (a November-December peak, a summer dip,
busier weekends and lunch or evening hours, growth from year to year), a long tail of
orders per customer (three in ten never order; a few buy hundreds of times), about 2.5
lines per order over a catalogue whose best sellers sell far more than the rest, prices
in each market's currency, a unit cost on most products, a few returns and cancellations.
One row per line; the rows of an order are contiguous, as shops export them.

Interactions: the same years and customers, on every channel, with who handled them.

    .venv/bin/python bench/commerce_csv.py orders OUT.csv --lines 10000000 --customers 1000000
    .venv/bin/python bench/commerce_csv.py interactions OUT.csv --rows 1000000 --customers 1000000

Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import random
from pathlib import Path

# Country of customer n in bench/customer_csv.py is MARKETS[n % 6]; its currency, and how
# many of it buy what one pound does.
MARKET_CURRENCIES = [
    ("GBP", 1.0),
    ("ILS", 4.6),
    ("JOD", 0.9),
    ("AMD", 500.0),
    ("GEL", 3.4),
    ("MYR", 5.9),
]
CATEGORIES = [
    "Coffee",
    "Tea",
    "Kitchen",
    "Books",
    "Garden",
    "Toys",
    "Stationery",
    "Audio",
    "Home",
    "Outdoor",
    "Beauty",
    "Gifts",
]
ADJECTIVES = ["Classic", "Organic", "Deluxe", "Mini", "Travel", "Family", "Pro", "Eco", "Smart"]
NOUNS = ["Blend", "Mug", "Kettle", "Notebook", "Planter", "Puzzle", "Speaker", "Lamp", "Set"]
ORDER_CHANNELS = ["web"] * 55 + ["store"] * 30 + ["marketplace"] * 10 + ["phone"] * 5
STATUSES = ["completed"] * 93 + ["returned"] * 4 + ["cancelled"] * 2 + ["pending"]
# Hours of the day, weighted: lunch and evening peaks.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 11, 12, 11, 9, 8, 8, 9, 11, 12, 11, 8, 5, 2]
ORDER_HEADER = [
    "external_id",
    "customer_external_id",
    "placed_at",
    "currency",
    "channel",
    "status",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "unit_cost",
]
INTERACTION_HEADER = [
    "external_id",
    "customer_external_id",
    "occurred_at",
    "channel",
    "direction",
    "user_email",
    "summary",
    "reason",
    "outcome",
    "body",
    "device",
    "sentiment",
]
INTERACTION_CHANNELS = (
    ["email"] * 35
    + ["phone"] * 25
    + ["chat"] * 12
    + ["web"] * 8
    + ["store"] * 8
    + ["social"] * 4
    + ["sms"] * 3
    + ["after_sales"] * 3
    + ["billing"] * 2
)
REASONS = [
    "order status",
    "delivery",
    "return",
    "product question",
    "billing",
    "complaint",
    "recommendation",
    "account",
]
OUTCOMES = ["resolved", "resolved", "resolved", "follow-up", "escalated", "no answer", ""]
SUMMARIES = {
    "email": "Email about {reason}",
    "phone": "Call about {reason}",
    "chat": "Chat: {reason}",
    "web": "Web form: {reason}",
    "store": "In-store visit ({reason})",
    "social": "Social message: {reason}",
    "sms": "SMS: {reason}",
    "after_sales": "After-sales: {reason}",
    "billing": "Billing question: {reason}",
}
DEVICES = ["iPhone", "Android", "Windows", "Mac", "iPad"]
SENTIMENTS = ["positive", "neutral", "negative"]
FIRST_DAY = dt.date(2021, 1, 1)
DAYS = 5 * 365 + 1


def day_weights() -> list[float]:
    """Relative trade of each day: season, weekday and growth."""
    weights = []
    for n in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=n)
        season = {11: 1.5, 12: 1.9, 1: 0.8, 7: 0.85, 8: 0.85}.get(day.month, 1.0)
        if day.month == 11 and day.day >= 24:  # Black Friday week
            season = 2.6
        weekday = 1.25 if day.weekday() >= 5 else 1.0
        growth = 1.0 + 0.12 * (n / 365)
        weights.append(season * weekday * growth)
    return weights


def customer_picker(rng: random.Random, customers: int, buyers: float = 0.7):
    """A function picking a customer index with a long tail: log-normal propensities
    (a few customers far above the rest), a share of customers never picked."""
    cumulative, total = [], 0.0
    for _n in range(customers):
        if rng.random() < buyers:
            total += rng.lognormvariate(0.0, 1.3)
        cumulative.append(total)
    hi = customers - 1

    def pick() -> int:
        return bisect.bisect_right(cumulative, rng.random() * total, 0, hi)

    return pick


def catalogue(rng: random.Random, size: int) -> tuple[list[tuple], list[float]]:
    """(sku, name, category, price in pounds, cost ratio or None) and popularity."""
    products = []
    for n in range(size):
        price = round(max(1.0, rng.lognormvariate(2.9, 0.8)), 0) - 0.01
        cost = round(rng.uniform(0.45, 0.75), 2) if rng.random() < 0.9 else None
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {n}"
        products.append((f"SKU-{n:06d}", name, rng.choice(CATEGORIES), price, cost))
    popularity = list(itertools.accumulate(1.0 / (rank + 1) ** 1.05 for rank in range(size)))
    return products, popularity


def _moments(rng: random.Random, count: int, weights: list[float]):
    """`count` timestamps over the years, spread by `weights`, in time order."""
    total = sum(weights)
    carry = 0.0
    hours = list(itertools.accumulate(HOUR_WEIGHTS))
    made = 0
    for n, weight in enumerate(weights):
        carry += count * weight / total
        today, carry = int(carry), carry - int(carry)
        if n == len(weights) - 1:
            today = count - made  # what rounding left over
        made += today
        day = FIRST_DAY + dt.timedelta(days=n)
        seconds = sorted(
            bisect.bisect_right(hours, rng.random() * hours[-1]) * 3600 + rng.randrange(3600)
            for _n in range(today)
        )
        for second in seconds:
            hour, minute = second // 3600, second // 60 % 60
            yield f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second % 60:02d}Z"


def write_orders(path: Path, lines: int, *, customers: int, seed: int = 1) -> int:
    """Write about `lines` order lines (whole orders); returns the lines written."""
    rng = random.Random(seed)
    pick_customer = customer_picker(rng, customers)
    products, popularity = catalogue(rng, max(100, min(20_000, lines // 200)))
    top = popularity[-1]
    written = 0
    # A few more orders than 2.5 lines each need (three standard deviations): the file
    # stops once `lines` are written, near the end of the years.
    orders = round(lines / 2.5 + 3 * lines**0.5 + 10)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(ORDER_HEADER)
        for number, placed in enumerate(_moments(rng, orders, day_weights())):
            customer = pick_customer()
            currency, rate = MARKET_CURRENCIES[customer % len(MARKET_CURRENCIES)]
            channel = rng.choice(ORDER_CHANNELS)
            status = rng.choice(STATUSES)
            head = [f"O{number:09d}", f"C{customer:08d}", placed, currency, channel, status]
            count = 1
            while count < 20 and rng.random() < 0.6:
                count += 1
            rows = []
            for _line in range(count):
                sku, name, category, price, cost = products[
                    bisect.bisect_right(popularity, rng.random() * top)
                ]
                quantity = 1 if rng.random() < 0.8 else rng.randint(2, 6)
                if status == "returned":
                    quantity = -quantity
                unit_price = round(price * rate, 0 if rate >= 100 else 2)
                unit_cost = "" if cost is None else f"{unit_price * cost:.2f}"
                rows.append([*head, sku, name, category, quantity, f"{unit_price:.2f}", unit_cost])
            writer.writerows(rows)
            written += count
            if written >= lines:
                break
    return written


def write_interactions(
    path: Path, rows: int, *, customers: int, users: list[str], seed: int = 2
) -> int:
    rng = random.Random(seed)
    pick_customer = customer_picker(rng, customers, buyers=0.8)
    users = users or [""]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(INTERACTION_HEADER)
        batch = []
        for number, moment in enumerate(_moments(rng, rows, day_weights())):
            channel = rng.choice(INTERACTION_CHANNELS)
            reason = rng.choice(REASONS)
            automated = channel in ("web", "sms") or rng.random() < 0.1
            batch.append(
                [
                    f"I{number:09d}",
                    f"C{pick_customer():08d}",
                    moment,
                    channel,
                    "outbound" if rng.random() < 0.35 else "inbound",
                    "" if automated else rng.choice(users),
                    SUMMARIES[channel].format(reason=reason),
                    reason,
                    rng.choice(OUTCOMES),
                    f"Notes on the {reason} ({number})." if rng.random() < 0.3 else "",
                    rng.choice(DEVICES) if channel in ("web", "chat") else "",
                    rng.choice(SENTIMENTS) if rng.random() < 0.2 else "",
                ]
            )
            if len(batch) >= 10_000:
                writer.writerows(batch)
                batch = []
        writer.writerows(batch)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["orders", "interactions"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", "--rows", dest="rows", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--users", default="", help="comma-separated emails for user_email")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.kind == "orders":
        write_orders(args.out, args.rows, customers=args.customers, seed=args.seed)
    else:
        users = [u for u in args.users.split(",") if u]
        write_interactions(
            args.out, args.rows, customers=args.customers, users=users, seed=args.seed
        )


if __name__ == "__main__":
    main()
