"""Realistic, multilingual demo customers: people and organizations in our six languages.

Loading is idempotent: demo customers carry `source="demo"`, and a second run only tops
the set up to the requested size. Rows are bulk-inserted with their audit entries, so a
large demo base loads in seconds rather than minutes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from faker import Faker

from patron.accounts.models import Team, User
from patron.core.audit import snapshot
from patron.core.models import AuditEntry
from patron.customers.models import Customer

DEMO_SOURCE = "demo"


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


@transaction.atomic
def demo_customers_load(
    count: int, *, teams: dict[str, Team], owners: dict[str, list[User]], seed: int = 7
) -> int:
    """Top the demo customers up to `count`; returns how many were added."""
    existing = Customer.objects.filter(source=DEMO_SOURCE).count()
    missing = max(0, count - existing)
    if not missing:
        return 0
    built = demo_customers_build(missing, teams=teams, owners=owners, seed=seed + existing)
    for start in range(0, len(built), 2000):
        batch = Customer.objects.bulk_create(built[start : start + 2000])
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    actor_label="demo",
                    action=AuditEntry.Action.CREATE,
                    target_type="customers.customer",
                    target_id=str(customer.pk),
                    target_label=customer.display_name[:255],
                    changes=[
                        {"field": k, "old": None, "new": v}
                        for k, v in snapshot(customer).items()
                        if v not in ("", None)
                    ],
                )
                for customer in batch
            ]
        )
    return missing
