"""A small, varied base of customers for the rules: every kind of value, empty ones, a
customer without figures, related rows (tags, consent, orders, interactions)."""

import datetime as dt
from decimal import Decimal

import pytest

from patron.analytics.models import CustomerMetrics
from patron.commerce.models import Order, OrderLine, Product
from patron.customers.models import Consent, Customer, CustomField, Tag
from patron.interactions.models import Interaction
from patron.segments.rules import compile_rules
from tests.factories import CustomerFactory

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def ago(**delta):
    return NOW - dt.timedelta(**delta)


def matching(rules, now=NOW):
    """The given names of the customers `rules` match, as a sorted list."""
    names = Customer.objects.filter(compile_rules(rules, now=now)).values_list(
        "given_name", "organization_name"
    )
    return sorted(given or org for given, org in names)


def where(field, op, value=None):
    """Rules of one condition."""
    condition = {"field": field, "op": op}
    if value is not None:
        condition["value"] = value
    return {"match": "all", "conditions": [condition]}


def _order(customer, placed_at, status, *skus):
    order = Order.objects.create(
        customer=customer, placed_at=placed_at, currency="USD", status=status, line_count=len(skus)
    )
    for sku in skus:
        OrderLine.objects.create(
            order=order, product=Product.objects.get(sku=sku), quantity=1, unit_price=10
        )
    return order


@pytest.fixture
def custom_fields(db):
    CustomField.objects.create(key="shoe_size", label="Shoe size", field_type="number")
    CustomField.objects.create(key="birthday", label="Birthday", field_type="date")
    CustomField.objects.create(key="newsletter", label="Newsletter", field_type="boolean")
    CustomField.objects.create(
        key="favourite", label="Favourite", field_type="choice", choices=["tea", "coffee"]
    )
    CustomField.objects.create(key="nickname", label="Nickname", field_type="text")


@pytest.fixture
def base(custom_fields, north, south, agent, other_agent):
    """Ani, Bob, Dan (people) and Cara Ltd (an organization with nothing about it)."""
    vip, b2b = Tag.objects.create(name="VIP"), Tag.objects.create(name="b2b")
    Tag.objects.create(name="unused")
    ani = CustomerFactory(
        given_name="Ani",
        family_name="Nor",
        lifecycle_stage="customer",
        country="AM",
        city="Yerevan",
        language="hy",
        source="Web shop",
        created_at=dt.datetime(2024, 3, 10, 9, 0, tzinfo=dt.UTC),
        owner=agent,
        team=north,
        custom_fields={
            "shoe_size": 38,
            "birthday": "1990-05-01",
            "newsletter": True,
            "favourite": "tea",
            "nickname": "Annie_50%",
        },
    )
    bob = CustomerFactory(
        given_name="Bob",
        family_name="Brun",
        lifecycle_stage="prospect",
        country="FR",
        city="paris",
        language="fr",
        source="",
        created_at=dt.datetime(2026, 6, 10, 23, 30, tzinfo=dt.UTC),
        owner=other_agent,
        team=south,
        custom_fields={
            "shoe_size": 44.5,
            "birthday": "2026-06-01",
            "newsletter": False,
            "favourite": "coffee",
        },
    )
    cara = CustomerFactory(
        kind="organization",
        given_name="",
        family_name="",
        organization_name="Cara Ltd",
        display_name="Cara Ltd",
        lifecycle_stage="lost",
        created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    dan = CustomerFactory(
        given_name="Dan",
        family_name="Dar",
        lifecycle_stage="customer",
        country="AM",
        city="YEREVAN Centre",
        language="hy-AM",
        source="Fair",
        created_at=dt.datetime(2025, 12, 31, 23, 59, tzinfo=dt.UTC),
        team=north,
        # Stored behind the services' back: a text where a number belongs.
        custom_fields={"shoe_size": "38", "nickname": "Élodie"},
    )
    ani.tags.set([vip, b2b])
    bob.tags.set([vip])
    CustomerMetrics.objects.create(
        customer=ani,
        revenue_12m=Decimal("1200.50"),
        orders_12m=5,
        revenue_total=Decimal("5000"),
        orders_total=20,
        margin_12m=Decimal("300"),
        recency_days=10,
        frequency=4.5,
        tenure_days=800,
        average_order_value=Decimal("240.10"),
        trend=1.2,
        days_since_interaction=3,
        value_tier="most_valuable",
        abc_class="A",
        r_score=5,
        f_score=4,
        m_score=5,
        rfm_score="545",
        rfm_segment="champions",
        relationship_stage="trust",
        p_alive=0.9,
        expected_purchases_12m=4.2,
        clv_12m=Decimal("1500"),
        last_order_at=ago(days=10),
        first_order_at=dt.datetime(2024, 3, 20, tzinfo=dt.UTC),
        open_tickets=1,
    )
    CustomerMetrics.objects.create(
        customer=bob,
        revenue_12m=Decimal("0"),
        orders_12m=0,
        recency_days=400,
        frequency=0.5,
        value_tier="below_zero",
        abc_class="C",
        r_score=1,
        rfm_score="111",
        rfm_segment="lost",
        relationship_stage="contact",
        p_alive=0.1,
        last_order_at=ago(days=400),
        first_order_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    CustomerMetrics.objects.create(
        customer=dan, revenue_12m=Decimal("50"), orders_12m=1, value_tier="", margin_12m=None
    )
    Consent.objects.create(customer=ani, channel="email", purpose="marketing", status="granted")
    Consent.objects.create(customer=bob, channel="email", purpose="marketing", status="denied")
    Consent.objects.create(customer=bob, channel="email", purpose="service", status="withdrawn")
    Consent.objects.create(customer=dan, channel="sms", purpose="service", status="granted")
    Product.objects.create(sku="TEA-1", name="Green tea", category="Tea")
    Product.objects.create(sku="TEA-2", name="Black tea", category="tea")
    Product.objects.create(sku="COF-1", name="Espresso", category="Coffee")
    _order(ani, ago(days=5), "completed", "TEA-1", "COF-1")
    _order(bob, ago(days=2), "cancelled", "TEA-2")
    _order(bob, ago(days=40), "returned", "COF-1")
    _order(dan, ago(days=100), "pending", "TEA-2")
    Interaction.objects.create(
        customer=ani, channel="phone", summary="Call", occurred_at=ago(days=3)
    )
    Interaction.objects.create(
        customer=bob, channel="email", summary="Mail", occurred_at=ago(days=60)
    )
    return {"ani": ani, "bob": bob, "cara": cara, "dan": dan}
