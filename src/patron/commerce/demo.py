"""Demo orders: a catalogue of office supplies and three years of what the demo customers
bought from it, written through `order_save` like any order from the shop or the API.

Deterministic: each customer's orders come from a random stream seeded by its demo id,
so whichever run loads a customer, it gets the same orders. Idempotent: the orders carry
external ids ("demo-000123-o007") and a customer that has some is left alone.

What makes it look real:
- seasonality: a December peak (year-end budgets, gifts) and a summer dip;
- a long tail: most customers place one to three small orders, a few key accounts place
  dozens of large ones;
- some cancelled and returned orders, and a couple of customers whose margin is below
  zero (they buy low-margin electronics at price-matched discounts and return a lot).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patron.commerce.models import Order, Product
from patron.commerce.services import order_save, product_get_or_create

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.customers.models import Customer

CENT = Decimal("0.01")
YEARS = 3
# Orders per month relative to the busiest: the December peak, the summer dip.
SEASON = {
    1: 0.8,
    2: 0.85,
    3: 1.0,
    4: 1.0,
    5: 0.95,
    6: 0.8,
    7: 0.55,
    8: 0.6,
    9: 1.05,
    10: 1.1,
    11: 1.25,
    12: 2.1,
}


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    price: Decimal
    cost: Decimal
    popularity: int = 3
    # Bought by the piece (furniture, machines, services) or by the box (consumables).
    durable: bool = False

    @property
    def cost_ratio(self) -> Decimal:
        return self.cost / self.price


def _p(sku: str, name: str, category: str, price: str, cost: str, pop: int = 3, durable=False):
    return DemoProduct(sku, name, category, Decimal(price), Decimal(cost), pop, durable)


FURNITURE, STATIONERY, ELECTRONICS = "Office furniture", "Stationery", "Electronics"
PANTRY, CLEANING, SERVICES = "Coffee & pantry", "Cleaning & hygiene", "Services"
CATEGORIES = [FURNITURE, STATIONERY, ELECTRONICS, PANTRY, CLEANING, SERVICES]
CATALOGUE = [
    _p("FUR-CHAIR-ERGO", "Ergonomic office chair", FURNITURE, "289.00", "165.00", 4, True),
    _p("FUR-CHAIR-VISIT", "Visitor chair", FURNITURE, "79.00", "41.00", 3, True),
    _p("FUR-DESK-SIT", "Sit-stand desk", FURNITURE, "549.00", "360.00", 2, True),
    _p("FUR-DESK-120", "Desk 120 × 80 cm", FURNITURE, "219.00", "128.00", 3, True),
    _p("FUR-CAB-3", "Three-drawer cabinet", FURNITURE, "159.00", "92.00", 2, True),
    _p("FUR-SHELF", "Bookshelf, oak veneer", FURNITURE, "129.00", "70.00", 2, True),
    _p("FUR-LAMP", "LED desk lamp", FURNITURE, "49.00", "22.00", 4, True),
    _p("STA-PAPER-A4", "A4 copy paper, 5 reams", STATIONERY, "27.50", "24.90", 8),
    _p("STA-PEN-BLUE", "Ballpoint pens, box of 50", STATIONERY, "12.90", "5.10", 6),
    _p("STA-NOTE-A5", "Notebooks A5, pack of 10", STATIONERY, "18.50", "7.90", 5),
    _p("STA-FOLDER", "Lever arch files, pack of 10", STATIONERY, "24.00", "11.50", 4),
    _p("STA-STICKY", "Sticky notes, 12 pads", STATIONERY, "9.90", "3.40", 5),
    _p("STA-ENV-C4", "Envelopes C4, box of 250", STATIONERY, "21.00", "12.80", 3),
    _p("STA-MARKER", "Whiteboard markers, set of 8", STATIONERY, "11.50", "4.60", 3),
    _p("STA-STAPLER", "Heavy-duty stapler", STATIONERY, "34.00", "17.00", 2, True),
    _p("ELE-LAPTOP-14", "Laptop 14-inch, 16 GB", ELECTRONICS, "1099.00", "1012.00", 3, True),
    _p("ELE-MON-27", "Monitor 27-inch", ELECTRONICS, "329.00", "288.00", 4, True),
    _p("ELE-PRINTER", "Laser printer", ELECTRONICS, "249.00", "205.00", 3, True),
    _p("ELE-TONER", "Toner cartridge, black", ELECTRONICS, "89.00", "52.00", 6),
    _p("ELE-HEADSET", "Wireless headset", ELECTRONICS, "119.00", "71.00", 3, True),
    _p("ELE-KEYBOARD", "Keyboard and mouse set", ELECTRONICS, "59.00", "33.00", 3, True),
    _p("ELE-WEBCAM", "HD webcam", ELECTRONICS, "69.00", "38.00", 2, True),
    _p("ELE-DOCK", "USB-C docking station", ELECTRONICS, "179.00", "151.00", 2, True),
    _p("PAN-COFFEE-1KG", "Coffee beans, 1 kg", PANTRY, "24.90", "13.20", 8),
    _p("PAN-COFFEE-MACH", "Bean-to-cup coffee machine", PANTRY, "899.00", "810.00", 1, True),
    _p("PAN-TEA", "Assorted tea, 100 bags", PANTRY, "8.90", "3.80", 5),
    _p("PAN-WATER", "Mineral water, 24 bottles", PANTRY, "11.90", "9.80", 5),
    _p("PAN-CUPS", "Paper cups, 1,000", PANTRY, "39.00", "24.00", 3),
    _p("PAN-SNACKS", "Snack box, 48 bars", PANTRY, "32.00", "22.50", 3),
    _p("PAN-OATMILK", "Oat milk, 12 cartons", PANTRY, "26.40", "19.80", 3),
    _p("CLN-TOWELS", "Paper towels, 24 rolls", CLEANING, "29.90", "19.00", 5),
    _p("CLN-SOAP-5L", "Hand soap refill, 5 l", CLEANING, "18.90", "8.70", 4),
    _p("CLN-SPRAY", "Surface cleaner, 6 bottles", CLEANING, "21.50", "10.20", 3),
    _p("CLN-BAGS", "Bin bags, roll of 200", CLEANING, "14.90", "7.10", 4),
    _p("CLN-DISPENSER", "Hand sanitiser dispenser", CLEANING, "45.00", "21.00", 2, True),
    _p("SRV-INSTALL", "Furniture assembly and installation", SERVICES, "150.00", "95.00", 3, True),
    _p("SRV-EXPRESS", "Express delivery", SERVICES, "25.00", "23.00", 4, True),
    _p("SRV-PRINT-CARE", "Printer maintenance, one year", SERVICES, "390.00", "140.00", 1, True),
    _p("SRV-LAPTOP-SETUP", "Laptop set-up and data transfer", SERVICES, "120.00", "60.00", 2, True),
    _p("SRV-GIFT-50", "Gift card, 50", SERVICES, "50.00", "50.00", 2, True),
]
BY_CATEGORY = {c: [p for p in CATALOGUE if p.category == c] for c in CATEGORIES}
# Price-matched buys of low-margin goods: what puts a customer's margin below zero.
THIN = [p for p in CATALOGUE if p.cost_ratio >= Decimal("0.8")]


@dataclass(frozen=True)
class Tier:
    name: str
    orders: tuple[int, int]
    scale: float  # how much larger its baskets are
    lines: tuple[int, ...]  # weights of 1..5 lines per order


OCCASIONAL = Tier("occasional", (1, 3), 1.0, (50, 30, 12, 5, 3))
REGULAR = Tier("regular", (4, 10), 1.6, (30, 32, 20, 12, 6))
LOYAL = Tier("loyal", (12, 28), 2.4, (20, 28, 26, 16, 10))
KEY = Tier("key account", (35, 60), 4.0, (10, 20, 30, 25, 15))
RICH_ORGANIZATION = Tier("key account", (70, 90), 4.0, (10, 20, 30, 25, 15))
RICH_PERSON = Tier("loyal", (45, 60), 1.5, (25, 30, 25, 12, 8))
PEOPLE_TIERS = ((OCCASIONAL, REGULAR, LOYAL, KEY), (64, 24, 9, 3))
ORGANIZATION_TIERS = ((OCCASIONAL, REGULAR, LOYAL, KEY), (30, 35, 22, 13))


def demo_rng(seed: int, key: str, purpose: str) -> random.Random:
    """The random stream of one demo customer for one purpose: the same whatever else the
    run loads (string seeds are hashed with SHA-512, not with the salted `hash`)."""
    return random.Random(f"{seed}:{key}:{purpose}")  # noqa: S311 (demo data, not secrets)


def demo_catalogue_load() -> int:
    """The catalogue's products that are missing; returns how many were added."""
    skus = [p.sku for p in CATALOGUE]
    known = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
    added = 0
    for product in CATALOGUE:
        if product.sku not in known:
            product_get_or_create(sku=product.sku, name=product.name, category=product.category)
            added += 1
    return added


def _seasonal_time(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    """A moment between `start` and `end`, in business hours, months weighted by SEASON."""
    peak = max(SEASON.values())
    span = (end - start).total_seconds()
    while True:
        moment = start + dt.timedelta(seconds=span * rng.random())
        if rng.random() * peak < SEASON[moment.month]:
            break
    moment = moment.replace(hour=rng.randint(7, 19), minute=rng.randint(0, 59), second=0)
    return min(max(moment, start), end).replace(microsecond=0)


@dataclass
class _Profile:
    tier: Tier
    start: dt.datetime
    end: dt.datetime
    favourites: list[str]
    organization: bool
    discounted: bool


def _profile(
    customer: Customer, rng: random.Random, now: dt.datetime, *, rich: bool, discounted: bool
) -> _Profile | None:
    organization = customer.is_organization
    if rich:
        tier = RICH_ORGANIZATION if organization else RICH_PERSON
    elif discounted:
        tier = REGULAR
    else:
        tiers, weights = ORGANIZATION_TIERS if organization else PEOPLE_TIERS
        tier = rng.choices(tiers, weights)[0]
    start = max(customer.created_at, now - dt.timedelta(days=365 * YEARS))
    end = now
    if customer.lifecycle_stage == "lost":
        # Stopped ordering a year or two ago; some never ordered at all.
        end = now - dt.timedelta(days=rng.randint(380, 800))
        if rng.random() < 0.25 or end - start < dt.timedelta(days=60):
            return None
    favourites = (
        [ELECTRONICS, PANTRY]
        if discounted
        else rng.sample(CATEGORIES[:5], 2)
        if organization
        else rng.choices(CATEGORIES, (3, 4, 3, 3, 1, 1), k=2)
    )
    return _Profile(tier, start, end, favourites, organization, discounted)


def _line(product: DemoProduct, profile: _Profile, rng: random.Random) -> dict[str, Any]:
    if product.durable:
        base = 2.5 if profile.organization else 1.0
    else:
        base = 6.0 if profile.organization else 1.6
    quantity = max(1, min(400, round(rng.lognormvariate(0, 0.6) * base * profile.tier.scale)))
    if product.durable:
        quantity = min(quantity, 20 if profile.organization else 3)
    if profile.discounted:
        discount = Decimal(rng.randint(25, 35)) / 100  # price-matched, below cost
    elif profile.organization and profile.tier is not OCCASIONAL:
        discount = Decimal(rng.choice((0, 3, 5, 8, 10, 12))) / 100  # volume terms
    else:
        discount = Decimal(10) / 100 if rng.random() < 0.1 else Decimal(0)  # a promotion
    return {
        "sku": product.sku,
        "product_name": product.name,
        "category": product.category,
        "quantity": quantity,
        "unit_price": (product.price * (1 - discount)).quantize(CENT),
        "unit_cost": product.cost,
    }


def _lines(profile: _Profile, rng: random.Random) -> list[dict[str, Any]]:
    count = rng.choices((1, 2, 3, 4, 5), profile.tier.lines)[0]
    chosen: dict[str, DemoProduct] = {}
    while len(chosen) < count:
        if profile.discounted:
            pool = THIN
        elif rng.random() < 0.7:
            pool = BY_CATEGORY[rng.choice(profile.favourites)]
        else:
            pool = BY_CATEGORY[rng.choice(CATEGORIES)]
        product = rng.choices(pool, [p.popularity for p in pool])[0]
        chosen[product.sku] = product
    return [_line(product, profile, rng) for product in chosen.values()]


def _status(placed_at: dt.datetime, now: dt.datetime, profile: _Profile, rng: random.Random):
    if now - placed_at < dt.timedelta(days=3) and rng.random() < 0.5:
        return Order.Status.PENDING
    roll = rng.random()
    if roll < 0.035:
        return Order.Status.CANCELLED
    if roll < (0.2 if profile.discounted else 0.065):
        return Order.Status.RETURNED
    return Order.Status.COMPLETED


def _channel(profile: _Profile, rng: random.Random) -> str:
    if profile.organization:
        return rng.choices(("web", "phone", "email", "store"), (40, 25, 25, 10))[0]
    return rng.choices(("web", "store", "phone"), (55, 35, 10))[0]


def demo_orders_plan(
    customer: Customer,
    key: str,
    *,
    now: dt.datetime,
    seed: int = 7,
    rich: bool = False,
    discounted: bool = False,
) -> list[dict[str, Any]]:
    """The orders of one demo customer (keyword arguments of `order_save`, oldest first):
    only customers and lost customers buy; the lost stopped a year or more ago."""
    if customer.lifecycle_stage not in ("customer", "lost"):
        return []
    rng = demo_rng(seed, key, "orders")
    profile = _profile(customer, rng, now, rich=rich, discounted=discounted)
    if profile is None:
        return []
    days = max(1, (profile.end - profile.start).days)
    low, high = profile.tier.orders
    # A tier's orders are over the three years; a newer customer has placed its share of
    # them (a little more: new customers are keen), and nobody orders more than weekly.
    share = min(1.0, days / (365 * YEARS)) ** 0.7
    count = min(max(1, round(rng.randint(low, high) * share)), max(1, days // 7))
    times = sorted(_seasonal_time(rng, profile.start, profile.end) for _ in range(count))
    currency = settings.PATRON_DEFAULT_CURRENCY
    return [
        {
            "external_id": f"{key}-o{number:03d}",
            "placed_at": placed_at,
            "currency": currency,
            "channel": _channel(profile, rng),
            "status": _status(placed_at, now, profile, rng),
            "lines": _lines(profile, rng),
        }
        for number, placed_at in enumerate(times, start=1)
    ]


@transaction.atomic
def demo_orders_load(
    customers: Sequence[tuple[str, Customer]],
    *,
    actor_for: Callable[[Customer], User],
    rich: frozenset[int] = frozenset(),
    discounted: frozenset[int] = frozenset(),
    now: dt.datetime | None = None,
    seed: int = 7,
) -> int:
    """Orders for the demo customers `(demo id, customer)` that have none yet, entered by
    `actor_for(customer)`; returns how many were added."""
    now = now or timezone.now()
    demo_catalogue_load()
    done = set(
        Order.objects.filter(
            customer_id__in=[c.pk for _key, c in customers], external_id__startswith="demo-"
        ).values_list("customer_id", flat=True)
    )
    added = 0
    for key, customer in customers:
        if customer.pk in done:
            continue
        plan = demo_orders_plan(
            customer,
            key,
            now=now,
            seed=seed,
            rich=customer.pk in rich,
            discounted=customer.pk in discounted,
        )
        actor = actor_for(customer)
        for order in plan:
            order_save(actor=actor, customer=customer, **order)
        added += len(plan)
    return added
