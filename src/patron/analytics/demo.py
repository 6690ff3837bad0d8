"""Customer value in the demo: a few advocates and referrals (the trust stage), then two
refreshes, a month apart, so that the demo shows tiers, scores, stages and predictions,
and signals, including customers who moved into At risk between the two."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from patron.analytics.refresh import refresh
from patron.customers.models import Customer, Tag

ADVOCACY_TAGS = ("advocate", "referral")


@dataclass
class ValueReport:
    tagged: int = 0
    customers: int = 0
    signals: int = 0


def demo_value_load(customers: list[Customer], *, seed: int = 7) -> ValueReport:
    """Tag about one long-standing customer in twelve as an advocate or a referral (once),
    and refresh the figures as of a month ago and now."""
    report = ValueReport()
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
    report.customers = run.stats.get("customers", 0)
    report.signals = sum(k["raised"] for k in run.stats["signals"]["kinds"].values())
    return report
