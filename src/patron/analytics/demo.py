"""Customer value in the demo: a few advocates and referrals (the trust stage), then two
refreshes, a month apart, so that the demo shows tiers, scores, stages and predictions,
and signals, including customers who moved into At risk between the two."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from patron.analytics.models import RefreshRun
from patron.analytics.refresh import refresh
from patron.customers.models import Customer, Tag

ADVOCACY_TAGS = ("advocate", "referral")


@dataclass
class ValueReport:
    tagged: int = 0
    customers: int = 0
    signals: int = 0
    segments: int = 0


def demo_value_load(
    customers: list[Customer], *, changed: bool = True, seed: int = 7
) -> ValueReport:
    """Tag about one long-standing customer in twelve as an advocate or a referral (once),
    and refresh the figures as of a month ago and now: on the first load, and when a
    top-up `changed` the base (loading again adds nothing, not even a signal)."""
    report = ValueReport()
    if not changed and RefreshRun.objects.exists():
        return report
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in ADVOCACY_TAGS}
    through = Customer.tags.through
    if not through.objects.filter(tag__in=tags.values()).exists():
        veterans = [c for c in customers if c.lifecycle_stage == Customer.Lifecycle.CUSTOMER]
        chosen = [c for c in veterans if rng.random() < 1 / 12]
        through.objects.bulk_create(
            [through(customer_id=c.pk, tag_id=tags[rng.choice(ADVOCACY_TAGS)].pk) for c in chosen],
            ignore_conflicts=True,
        )
        report.tagged = len(chosen)
    now = timezone.now()
    refresh(as_of=now - dt.timedelta(days=30), trigger="demo")
    run = refresh(as_of=now, trigger="demo")
    report.segments = _demo_segments(now)
    report.customers = run.stats.get("customers", 0)
    report.signals = sum(k["raised"] for k in run.stats["signals"]["kinds"].values())
    return report


# The audiences a marketer would define first: each rule kind of the builder once.
DEMO_SEGMENTS = [
    (
        "Most valuable customers",
        "The top tier by revenue of the last 12 months: a named contact for each.",
        {
            "match": "all",
            "conditions": [{"field": "value_tier", "op": "eq", "value": "most_valuable"}],
        },
    ),
    (
        "At risk, worth winning back",
        "Customers who spent well and whose RFM scores show them slipping away.",
        {
            "match": "all",
            "conditions": [
                {
                    "field": "rfm_segment",
                    "op": "in",
                    "value": ["at_risk", "cant_lose", "about_to_sleep"],
                },
                {"field": "m_score", "op": "gte", "value": 3},
            ],
        },
    ),
    (
        "Pantry buyers, last 90 days, marketing by email",
        "Recent coffee and pantry buyers we may email offers to.",
        {
            "match": "all",
            "conditions": [
                {
                    "field": "ordered_category",
                    "op": "happened",
                    "value": {"category": "Coffee & pantry", "days": 90},
                },
                {
                    "field": "consent",
                    "op": "granted",
                    "value": {"channel": "email", "purpose": "marketing"},
                },
            ],
        },
    ),
    (
        "Champions and loyal customers",
        "Candidates for the referral programme.",
        {
            "match": "any",
            "conditions": [
                {"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]},
                {"field": "tags", "op": "has_any", "value": ["advocate", "referral"]},
            ],
        },
    ),
]


def _demo_segments(now: dt.datetime) -> int:
    """The demo segments that are missing, created by the demo manager."""
    from patron.accounts.models import User
    from patron.segments.models import Segment
    from patron.segments.services import segment_create

    manager = User.objects.filter(email__startswith="manager@", is_active=True).first()
    if manager is None:
        return 0
    added = 0
    for name, description, rules in DEMO_SEGMENTS:
        if Segment.objects.filter(name=name).exists():
            continue
        segment_create(actor=manager, name=name, description=description, rules=rules, now=now)
        added += 1
    return added
