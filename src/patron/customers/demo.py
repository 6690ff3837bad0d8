"""Realistic, multilingual demo customers: people and organizations in our six languages.

Loading is idempotent: demo customers carry external ids of the system "demo", and a
second run only tops the set up to the requested size. They are written through the
customer import itself (contact points, organizations and their people, tags, custom
fields), so a large demo base loads in seconds and the import is exercised on every start.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from faker import Faker

from patron.accounts.models import Team, User
from patron.customers.importing import ImportOptions, import_customers
from patron.customers.models import (
    Consent,
    Customer,
    CustomField,
    ExternalIdentifier,
    Preferences,
)

DEMO_SOURCE = "demo"
DEMO_SYSTEM = "demo"


@dataclass(frozen=True)
class Market:
    language: str
    country: str
    faker_locale: str | None
    team: str
    company_patterns: Sequence[str]


MALAY_GIVEN = [
    "Ahmad",
    "Siti",
    "Nurul",
    "Muhammad",
    "Aisyah",
    "Farah",
    "Hafiz",
    "Amirah",
    "Zulkifli",
    "Nor",
    "Azlan",
    "Faridah",
    "Hakim",
    "Liyana",
    "Syafiq",
    "Rosnah",
]
MALAY_FAMILY = [
    "bin Abdullah",
    "binti Ismail",
    "bin Hassan",
    "binti Rahman",
    "bin Yusof",
    "binti Osman",
    "bin Ibrahim",
    "binti Ahmad",
    "bin Razak",
    "binti Salleh",
]
MALAY_ORG_WORDS = ["Cahaya", "Bintang", "Mutiara", "Suria", "Harapan", "Jaya", "Makmur", "Sinar"]

MARKETS = [
    Market(
        "en",
        "GB",
        "en_GB",
        "London",
        ["{last} & Sons", "{last} Logistics Ltd", "{last} Consulting"],
    ),
    Market("he", "IL", "he_IL", "Tel Aviv", ["{last} בע״מ", "קבוצת {last}", "{last} סחר"]),
    Market(
        "ar", "JO", "ar_SA", "Amman", ["شركة {last}", "مؤسسة {last} التجارية", "{last} للتجارة"]
    ),
    Market("hy", "AM", "hy_AM", "Yerevan", ["{last} ՍՊԸ", "{last} Գրուպ", "{last} Առևտուր"]),
    Market("ka", "GE", "ka_GE", "Tbilisi", ["შპს {last}", "{last} ჯგუფი", "{last} ვაჭრობა"]),
    Market(
        "ms",
        "MY",
        None,
        "Kuala Lumpur",
        ["{word} {word2} Sdn Bhd", "Syarikat {word} Jaya", "{word} Niaga Enterprise"],
    ),
]
STAGE_WEIGHTS = {"customer": 55, "prospect": 30, "lost": 10, "partner": 5}
SOURCES = ["web", "referral", "trade fair", "phone", "store", "partner"]


def _names(market: Market, fake: Faker | None, rng: random.Random) -> tuple[str, str]:
    if fake is None:
        return rng.choice(MALAY_GIVEN), rng.choice(MALAY_FAMILY)
    return fake.first_name(), fake.last_name()


def _organization_name(market: Market, fake: Faker | None, rng: random.Random) -> str:
    pattern = rng.choice(market.company_patterns)
    last = fake.last_name() if fake is not None else rng.choice(MALAY_ORG_WORDS)
    word, word2 = rng.sample(MALAY_ORG_WORDS, 2)
    return pattern.format(last=last, word=word, word2=word2)


def demo_customers_build(
    count: int, *, teams: dict[str, Team], owners: dict[str, list[User]], seed: int
) -> list[Customer]:
    """`count` unsaved customers spread over the six markets, deterministic for a seed."""
    rng = random.Random(seed)
    fakers: dict[str, Faker | None] = {}
    for market in MARKETS:
        fake = Faker(market.faker_locale) if market.faker_locale else None
        if fake is not None:
            fake.seed_instance(seed)
        fakers[market.language] = fake
    now = timezone.now()
    stages, weights = zip(*STAGE_WEIGHTS.items(), strict=True)
    customers = []
    for index in range(count):
        market = MARKETS[index % len(MARKETS)]
        fake = fakers[market.language]
        team = teams.get(market.team)
        owner = rng.choice(owners.get(market.team) or [None])
        customer = Customer(
            language=market.language,
            country=market.country,
            lifecycle_stage=rng.choices(stages, weights)[0],
            source=DEMO_SOURCE,
            owner=owner,
            team=team,
            created_at=now - dt.timedelta(days=rng.randint(0, 5 * 365)),
        )
        if rng.random() < 0.15:
            customer.kind = Customer.Kind.ORGANIZATION
            customer.organization_name = _organization_name(market, fake, rng)
        else:
            customer.given_name, customer.family_name = _names(market, fake, rng)
        customer.display_name = customer.compute_display_name()
        customers.append(customer)
    return customers


PHONES = {
    "GB": "+44 7911 1{:05d}",
    "IL": "+972 52 2{:06d}",
    "JO": "+962 79 1{:06d}",
    "AM": "+374 91 {:06d}",
    "GE": "+995 555 1{:05d}",
    "MY": "+60 12-3{:06d}",
}
TAGS = ["vip", "newsletter", "wholesale", "retail", "event-2025", "early-adopter"]
TITLES = ["Buyer", "Owner", "Managing director", "Accountant", "Office manager"]
CITIES = {
    "GB": ["London", "Manchester"],
    "IL": ["תל אביב", "חיפה"],
    "JO": ["عمان", "إربد"],
    "AM": ["Երևան", "Գյումրի"],
    "GE": ["თბილისი", "ბათუმი"],
    "MY": ["Kuala Lumpur", "Penang"],
}
HEADER = [
    "external_id",
    "kind",
    "first_name",
    "last_name",
    "organization_name",
    "organization_external_id",
    "title",
    "email",
    "phone",
    "country",
    "city",
    "address",
    "language",
    "owner_email",
    "team",
    "lifecycle_stage",
    "tags",
    "created_at",
    "source",
    "loyalty_card",
]


def _rows(built: list[Customer], first: int, rng: random.Random) -> list[list[str]]:
    """The demo customers as rows of the import's CSV (so the demo exercises the import)."""
    organizations: dict[str, list[str]] = {}
    rows = []
    for offset, customer in enumerate(built):
        number = first + offset
        ext = f"demo-{number:06d}"
        org_ext = org_name = title = ""
        if customer.kind == Customer.Kind.ORGANIZATION:
            organizations.setdefault(customer.country, []).append(ext)
            email = f"info{number}@org{number}.example.com"
        else:
            email = f"customer{number}@example.com"
            known = organizations.get(customer.country)
            if known and rng.random() < 0.4:
                org_ext, title = rng.choice(known), rng.choice(TITLES)
        rows.append(
            [
                ext,
                customer.kind,
                customer.given_name,
                customer.family_name,
                customer.organization_name or org_name,
                org_ext,
                title,
                email,
                PHONES[customer.country].format(number % 100000) if rng.random() < 0.85 else "",
                customer.country,
                rng.choice(CITIES[customer.country]),
                f"{rng.randint(1, 120)} Demo Street" if rng.random() < 0.3 else "",
                customer.language,
                customer.owner.email if customer.owner else "",
                customer.team.name if customer.team else "",
                customer.lifecycle_stage,
                "|".join(rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2]))),
                customer.created_at.date().isoformat(),
                DEMO_SOURCE,
                f"LC-{number:07d}" if rng.random() < 0.3 else "",
            ]
        )
    return rows


def _duplicates(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    """A few customers entered twice (another id, a typo in the name, the same email), so
    that the duplicates page has something to show."""
    people = [r for r in rows if r[1] == "person" and r[2]][:: max(1, len(rows) // 8)][:5]
    copies = []
    for row in people:
        copy = list(row)
        copy[0] = f"{row[0]}-dup"
        copy[2] = row[2][:-1] if len(row[2]) > 3 else row[2]
        copy[5] = copy[6] = ""
        copy[17] = (dt.date.fromisoformat(row[17]) + dt.timedelta(days=30)).isoformat()
        copies.append(copy)
    return copies


def _custom_fields() -> None:
    from patron.customers.services import custom_field_save

    if not CustomField.objects.filter(key="loyalty_card").exists():
        custom_field_save(
            actor=None,
            key="loyalty_card",
            label="Loyalty card",
            field_type="text",
            help_text="Number printed on the customer's loyalty card",
        )


def _consents_and_preferences(ids: list[int], rng: random.Random) -> None:
    now = timezone.now()
    consents, preferences = [], []
    for pk in ids:
        roll = rng.random()
        if roll < 0.6:
            consents.append(
                Consent(
                    customer_id=pk,
                    channel="email",
                    purpose="marketing",
                    status="granted",
                    source="web form",
                    recorded_at=now - dt.timedelta(days=rng.randint(1, 900)),
                    evidence="Ticked the newsletter box at sign-up.",
                )
            )
        elif roll < 0.7:
            consents.append(
                Consent(
                    customer_id=pk,
                    channel="email",
                    purpose="marketing",
                    status="withdrawn",
                    source="unsubscribe link",
                    recorded_at=now - dt.timedelta(days=rng.randint(1, 300)),
                )
            )
        if rng.random() < 0.4:
            consents.append(
                Consent(
                    customer_id=pk,
                    channel="email",
                    purpose="surveys",
                    status="granted",
                    source="order confirmation",
                    recorded_at=now - dt.timedelta(days=rng.randint(1, 600)),
                )
            )
        if rng.random() < 0.2:
            preferences.append(
                Preferences(
                    customer_id=pk,
                    preferred_channel=rng.choice(["email", "phone", "sms"]),
                    max_messages_per_30_days=rng.choice([None, 2, 4]),
                    quiet_hours_start=dt.time(21, 0),
                    quiet_hours_end=dt.time(8, 0),
                    payment_method=rng.choice(["Invoice, 30 days", "Card", "Bank transfer"]),
                    invoicing=rng.choice(["PDF by email", "Paper invoice to head office", ""]),
                    delivery=rng.choice(["Mornings only", "Leave with reception", ""]),
                    packaging=rng.choice(["No plastic", "Gift wrap", ""]),
                    vip_handling=rng.choice(["Call before any change", "", ""]),
                )
            )
    Consent.objects.bulk_create(consents, batch_size=1000)
    Preferences.objects.bulk_create(preferences, batch_size=1000)


@transaction.atomic
def demo_customers_load(
    count: int, *, teams: dict[str, Team], owners: dict[str, list[User]], seed: int = 7
) -> int:
    """Top the demo customers up to `count`; returns how many were added. They go through
    the customer import (ids in the system "demo"), so a second run adds nothing."""
    existing = (
        ExternalIdentifier.objects.filter(system=DEMO_SYSTEM, value__startswith="demo-")
        .exclude(value__endswith="-dup")
        .count()
    )
    missing = max(0, count - existing)
    if not missing:
        return 0
    rng = random.Random(seed + existing)
    built = demo_customers_build(missing, teams=teams, owners=owners, seed=seed + existing)
    rows = _rows(built, existing + 1, rng)
    if not existing:
        rows += _duplicates(rows, rng)
    _custom_fields()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    before = set(Customer.objects.values_list("pk", flat=True)) if existing else set()
    report = import_customers(
        io.BytesIO(text.getvalue().encode()),
        options=ImportOptions(system=DEMO_SYSTEM, source_label="demo"),
    )
    if report.error or report.rejected:
        raise ValueError(f"demo data did not import: {report.error or report.rejects[:3]}")
    added = list(Customer.objects.exclude(pk__in=before).values_list("pk", flat=True))
    _consents_and_preferences(added, rng)
    # About half the base was checked with the customer lately; the rest shows as stale.
    confirmed = [pk for pk in added if rng.random() < 0.5]
    Customer.objects.filter(pk__in=confirmed).update(
        last_confirmed_at=timezone.now() - dt.timedelta(days=rng.randint(1, 200))
    )
    return missing
