"""Every operator of the rule language on real rows. The suite runs on SQLite and on
PostgreSQL: the same expectations hold on both."""

import pytest
from django.test import override_settings

from patron.customers.models import Customer
from patron.segments import services
from patron.segments.rules import compile_rules
from tests.segments.conftest import NOW, matching, where

ALL = ["Ani", "Bob", "Cara Ltd", "Dan"]

CUSTOMER_FIELDS = [
    # choice
    ("kind", "eq", "person", ["Ani", "Bob", "Dan"]),
    ("kind", "ne", "person", ["Cara Ltd"]),
    ("kind", "in", ["organization"], ["Cara Ltd"]),
    ("kind", "not_in", ["person"], ["Cara Ltd"]),
    ("lifecycle_stage", "eq", "customer", ["Ani", "Dan"]),
    ("lifecycle_stage", "ne", "customer", ["Bob", "Cara Ltd"]),
    ("lifecycle_stage", "in", ["prospect", "lost"], ["Bob", "Cara Ltd"]),
    ("lifecycle_stage", "not_in", ["customer", "lost"], ["Bob"]),
    ("country", "eq", "am", ["Ani", "Dan"]),
    # comparisons never match an empty value: Cara has no country
    ("country", "ne", "AM", ["Bob"]),
    ("country", "in", ["FR", "AM"], ["Ani", "Bob", "Dan"]),
    ("country", "not_in", ["AM"], ["Bob"]),
    ("country", "is_empty", None, ["Cara Ltd"]),
    ("country", "is_not_empty", None, ["Ani", "Bob", "Dan"]),
    # text: A-Z without regard to case
    ("city", "eq", "YEREVAN", ["Ani"]),
    ("city", "ne", "yerevan", ["Bob", "Dan"]),
    ("city", "in", ["Paris", "yerevan"], ["Ani", "Bob"]),
    ("city", "not_in", ["PARIS"], ["Ani", "Dan"]),
    ("city", "contains", "ERE", ["Ani", "Dan"]),
    ("city", "starts_with", "yerevan c", ["Dan"]),
    ("city", "is_empty", None, ["Cara Ltd"]),
    ("city", "is_not_empty", None, ["Ani", "Bob", "Dan"]),
    ("source", "is_empty", None, ["Bob", "Cara Ltd"]),
    ("display_name", "contains", "ltd", ["Cara Ltd"]),
    ("display_name", "starts_with", "AN", ["Ani"]),
    ("language", "starts_with", "hy", ["Ani", "Dan"]),
    ("language", "eq", "HY-am", ["Dan"]),
    # dates: whole days of the business's time zone (UTC here)
    ("created_at", "eq", "2024-03-10", ["Ani"]),
    ("created_at", "lt", "2024-03-10", ["Cara Ltd"]),
    ("created_at", "lte", "2024-03-10", ["Ani", "Cara Ltd"]),
    ("created_at", "gt", "2025-12-31", ["Bob"]),
    ("created_at", "gte", "2025-12-31", ["Bob", "Dan"]),
    ("created_at", "between", ["2024-01-01", "2025-12-31"], ["Ani", "Dan"]),
    ("created_at", "within_last_days", 7, ["Bob"]),
    ("created_at", "more_than_days_ago", 1000, ["Cara Ltd"]),
    ("created_at", "is_empty", None, []),
    ("created_at", "is_not_empty", None, ALL),
    # owner and team
    ("owner", "eq", "@agent", ["Ani"]),
    ("owner", "ne", "@agent", ["Bob"]),
    ("owner", "in", ["@agent", "@other_agent"], ["Ani", "Bob"]),
    ("owner", "not_in", ["@agent"], ["Bob"]),
    ("owner", "is_empty", None, ["Cara Ltd", "Dan"]),
    ("owner", "is_not_empty", None, ["Ani", "Bob"]),
    ("team", "eq", "@north", ["Ani", "Dan"]),
    ("team", "ne", "@north", ["Bob"]),
    ("team", "in", ["@south"], ["Bob"]),
    ("team", "not_in", ["@south"], ["Ani", "Dan"]),
    ("team", "is_empty", None, ["Cara Ltd"]),
    ("team", "is_not_empty", None, ["Ani", "Bob", "Dan"]),
]

# Cara has no metrics row at all: every comparison is false for her, "is empty" true.
METRICS_FIELDS = [
    ("revenue_12m", "eq", 1200.5, ["Ani"]),
    ("revenue_12m", "ne", 0, ["Ani", "Dan"]),
    ("revenue_12m", "lt", 100, ["Bob", "Dan"]),
    ("revenue_12m", "lte", 50, ["Bob", "Dan"]),
    ("revenue_12m", "gt", 50, ["Ani"]),
    ("revenue_12m", "gte", "50", ["Ani", "Dan"]),
    ("revenue_12m", "between", [1, 1200.5], ["Ani", "Dan"]),
    ("revenue_12m", "is_empty", None, ["Cara Ltd"]),
    ("revenue_12m", "is_not_empty", None, ["Ani", "Bob", "Dan"]),
    ("margin_12m", "is_empty", None, ["Bob", "Cara Ltd", "Dan"]),
    ("margin_12m", "is_not_empty", None, ["Ani"]),
    ("orders_12m", "gt", 0, ["Ani", "Dan"]),
    ("orders_12m", "lt", 1, ["Bob"]),
    ("orders_total", "eq", 20, ["Ani"]),
    ("revenue_total", "gte", 5000, ["Ani"]),
    ("frequency", "eq", 4.5, ["Ani"]),
    ("frequency", "lte", 0.5, ["Bob"]),
    ("p_alive", "between", [0.05, 0.5], ["Bob"]),
    ("trend", "gt", 1, ["Ani"]),
    ("trend", "is_empty", None, ["Bob", "Cara Ltd", "Dan"]),
    ("recency_days", "gte", 400, ["Bob"]),
    ("tenure_days", "gt", 0, ["Ani"]),
    ("average_order_value", "lt", 241, ["Ani"]),
    ("days_since_interaction", "lte", 3, ["Ani"]),
    ("r_score", "eq", 1, ["Bob"]),
    ("f_score", "gte", 4, ["Ani"]),
    ("m_score", "ne", 1, ["Ani"]),
    ("expected_purchases_12m", "gt", 4, ["Ani"]),
    ("clv_12m", "gte", 1500, ["Ani"]),
    ("open_tickets", "gt", 0, ["Ani"]),
    ("value_tier", "eq", "most_valuable", ["Ani"]),
    ("value_tier", "ne", "core", ["Ani", "Bob"]),
    ("value_tier", "in", ["below_zero", "core"], ["Bob"]),
    ("value_tier", "not_in", ["most_valuable"], ["Bob"]),
    ("value_tier", "is_empty", None, ["Cara Ltd", "Dan"]),
    ("value_tier", "is_not_empty", None, ["Ani", "Bob"]),
    ("abc_class", "eq", "C", ["Bob"]),
    ("rfm_segment", "in", ["champions", "loyal"], ["Ani"]),
    ("relationship_stage", "eq", "contact", ["Bob", "Dan"]),
    ("rfm_score", "starts_with", "5", ["Ani"]),
    ("rfm_score", "eq", "111", ["Bob"]),
    ("rfm_score", "is_empty", None, ["Cara Ltd", "Dan"]),
    ("last_order_at", "within_last_days", 30, ["Ani"]),
    ("last_order_at", "more_than_days_ago", 365, ["Bob"]),
    ("last_order_at", "gt", "2026-01-01", ["Ani"]),
    ("last_order_at", "is_empty", None, ["Cara Ltd", "Dan"]),
    ("first_order_at", "between", ["2024-03-20", "2024-03-20"], ["Ani"]),
]

# Dan's shoe size was stored as the text "38": a number comparison ignores it, and so
# does "is not empty" (it holds no number).
CUSTOM_FIELDS = [
    ("custom.shoe_size", "eq", 38, ["Ani"]),
    ("custom.shoe_size", "ne", 38, ["Bob"]),
    ("custom.shoe_size", "lt", 40, ["Ani"]),
    ("custom.shoe_size", "lte", 38, ["Ani"]),
    ("custom.shoe_size", "gt", 40, ["Bob"]),
    ("custom.shoe_size", "gte", 44.5, ["Bob"]),
    ("custom.shoe_size", "between", [38, 44.5], ["Ani", "Bob"]),
    ("custom.shoe_size", "is_empty", None, ["Cara Ltd", "Dan"]),
    ("custom.shoe_size", "is_not_empty", None, ["Ani", "Bob"]),
    ("custom.birthday", "eq", "1990-05-01", ["Ani"]),
    ("custom.birthday", "lt", "2000-01-01", ["Ani"]),
    ("custom.birthday", "lte", "2026-06-01", ["Ani", "Bob"]),
    ("custom.birthday", "gt", "2026-01-01", ["Bob"]),
    ("custom.birthday", "gte", "2026-06-01", ["Bob"]),
    ("custom.birthday", "between", ["1990-01-01", "1999-12-31"], ["Ani"]),
    ("custom.birthday", "within_last_days", 30, ["Bob"]),
    ("custom.birthday", "more_than_days_ago", 365, ["Ani"]),
    ("custom.birthday", "is_empty", None, ["Cara Ltd", "Dan"]),
    ("custom.newsletter", "eq", True, ["Ani"]),
    ("custom.newsletter", "eq", "false", ["Bob"]),
    ("custom.newsletter", "is_empty", None, ["Cara Ltd", "Dan"]),
    ("custom.newsletter", "is_not_empty", None, ["Ani", "Bob"]),
    ("custom.favourite", "eq", "tea", ["Ani"]),
    ("custom.favourite", "ne", "tea", ["Bob"]),
    ("custom.favourite", "in", ["tea", "coffee"], ["Ani", "Bob"]),
    ("custom.favourite", "not_in", ["coffee"], ["Ani"]),
    ("custom.favourite", "is_empty", None, ["Cara Ltd", "Dan"]),
    ("custom.nickname", "eq", "ANNIE_50%", ["Ani"]),
    ("custom.nickname", "starts_with", "annie", ["Ani"]),
    # % and _ are themselves, not wildcards
    ("custom.nickname", "contains", "_50%", ["Ani"]),
    ("custom.nickname", "contains", "n_i", []),
    ("custom.nickname", "contains", "%", ["Ani"]),
    # only A-Z ignore case: É and é are different letters on both databases
    ("custom.nickname", "contains", "lodie", ["Dan"]),
    ("custom.nickname", "contains", "élodie", []),
    ("custom.nickname", "eq", "ÉLODIE", ["Dan"]),
    ("custom.nickname", "is_empty", None, ["Bob", "Cara Ltd"]),
]

RELATED = [
    ("tags", "has_any", ["vip"], ["Ani", "Bob"]),
    ("tags", "has_any", ["unused", "b2b"], ["Ani"]),
    ("tags", "has_all", ["VIP", "b2b"], ["Ani"]),
    ("tags", "has_none", ["vip"], ["Cara Ltd", "Dan"]),
    ("tags", "has_any", ["unused"], []),
    ("tags", "has_none", ["unused"], ALL),
    ("consent", "granted", {"channel": "email", "purpose": "marketing"}, ["Ani"]),
    (
        "consent",
        "not_granted",
        {"channel": "email", "purpose": "marketing"},
        ["Bob", "Cara Ltd", "Dan"],
    ),
    # service needs no opt-in: allowed unless refused (Bob withdrew it)
    ("consent", "granted", {"channel": "email", "purpose": "service"}, ["Ani", "Cara Ltd", "Dan"]),
    ("consent", "not_granted", {"channel": "email", "purpose": "service"}, ["Bob"]),
    ("consent", "granted", {"channel": "sms", "purpose": "service"}, ALL),
    ("consent", "granted", {"channel": "sms", "purpose": "marketing"}, []),
    # Bob's tea order was cancelled; his returned coffee still counts
    ("ordered_category", "happened", {"category": "tea", "days": 30}, ["Ani"]),
    ("ordered_category", "happened", {"category": "TEA", "days": 120}, ["Ani", "Dan"]),
    (
        "ordered_category",
        "not_happened",
        {"category": "tea", "days": 30},
        ["Bob", "Cara Ltd", "Dan"],
    ),
    ("ordered_category", "happened", {"category": "Coffee", "days": 60}, ["Ani", "Bob"]),
    ("ordered_product", "happened", {"sku": "TEA-2", "days": 365}, ["Dan"]),
    ("ordered_product", "happened", {"sku": "COF-1", "days": 30}, ["Ani"]),
    ("ordered_product", "not_happened", {"sku": "COF-1", "days": 30}, ["Bob", "Cara Ltd", "Dan"]),
    ("interacted", "happened", {"days": 7}, ["Ani"]),
    ("interacted", "happened", {"channel": "email", "days": 90}, ["Bob"]),
    ("interacted", "happened", {"channel": "", "days": 90}, ["Ani", "Bob"]),
    ("interacted", "not_happened", {"days": 7}, ["Bob", "Cara Ltd", "Dan"]),
]


@pytest.fixture
def people(base, agent, other_agent, north, south):
    return {
        "@agent": agent.pk,
        "@other_agent": other_agent.pk,
        "@north": north.pk,
        "@south": south.pk,
    }


def _resolve(value, people):
    if isinstance(value, list):
        return [_resolve(v, people) for v in value]
    return people.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    CUSTOMER_FIELDS + METRICS_FIELDS + CUSTOM_FIELDS + RELATED,
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_operator(people, field, op, value, expected):
    assert matching(where(field, op, _resolve(value, people))) == expected


def test_every_operator_of_every_type_is_tested():
    from patron.segments.fields import FIELDS, TYPE_OPERATORS

    tested = {
        (FIELDS[f].type if f in FIELDS else None, op)
        for f, op, _v, _e in (CUSTOMER_FIELDS + METRICS_FIELDS + RELATED)
    }
    tested |= {(_custom_type(f), op) for f, op, _v, _e in CUSTOM_FIELDS}
    tested.add(("segment", "member"))
    tested.add(("segment", "not_member"))  # below
    missing = {(t, op) for t, ops in TYPE_OPERATORS.items() for op in ops} - tested
    assert not missing


def _custom_type(key):
    return {
        "custom.shoe_size": "number",
        "custom.birthday": "date",
        "custom.newsletter": "boolean",
        "custom.favourite": "choice",
        "custom.nickname": "text",
    }[key]


def test_in_segment_reads_current_members(base, admin):
    ani, bob, dan = base["ani"], base["bob"], base["dan"]
    listed = services.segment_create(actor=admin, name="Hand-picked", kind="static")
    services.segment_members_add(actor=admin, segment=listed, customer_ids=[ani.pk, bob.pk, dan.pk])
    services.segment_members_remove(actor=admin, segment=listed, customer_ids=[bob.pk])
    assert matching(where("in_segment", "member", listed.pk)) == ["Ani", "Dan"]
    assert matching(where("in_segment", "not_member", listed.pk)) == ["Bob", "Cara Ltd"]


def test_days_follow_the_business_time_zone(base):
    # Dan was created at 23:59 UTC on 31 December: already 1 January in Yerevan (UTC+4).
    assert matching(where("created_at", "eq", "2025-12-31")) == ["Dan"]
    with override_settings(TIME_ZONE="Asia/Yerevan"):
        assert matching(where("created_at", "eq", "2026-01-01")) == ["Dan"]
        assert matching(where("created_at", "eq", "2025-12-31")) == []


def test_groups_combine_and_nest(base):
    any_of = {
        "match": "any",
        "conditions": [
            {"field": "city", "op": "contains", "value": "paris"},
            {"field": "country", "op": "eq", "value": "AM"},
        ],
    }
    assert matching(any_of) == ["Ani", "Bob", "Dan"]
    nested = {
        "match": "all",
        "conditions": [
            {"field": "kind", "op": "eq", "value": "person"},
            {
                "match": "any",
                "conditions": [
                    {"field": "tags", "op": "has_any", "value": ["vip"]},
                    {
                        "match": "all",
                        "conditions": [
                            {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
                            {"field": "revenue_12m", "op": "lt", "value": 100},
                        ],
                    },
                ],
            },
        ],
    }
    assert matching(nested) == ["Ani", "Bob", "Dan"]
    nested["conditions"][1]["conditions"][0]["value"] = ["b2b"]
    assert matching(nested) == ["Ani", "Dan"]


def test_empty_rules_match_everyone_and_an_empty_any_nobody(base):
    assert matching({}) == ALL
    assert matching({"match": "all", "conditions": []}) == ALL
    assert matching({"match": "any", "conditions": []}) == []


def test_related_rows_never_repeat_a_customer(base):
    q = compile_rules(
        {
            "match": "any",
            "conditions": [
                {"field": "tags", "op": "has_any", "value": ["vip", "b2b"]},
                {
                    "field": "ordered_category",
                    "op": "happened",
                    "value": {"category": "tea", "days": 900},
                },
                {"field": "interacted", "op": "happened", "value": {"days": 900}},
            ],
        },
        now=NOW,
    )
    rows = Customer.objects.filter(q)
    assert rows.count() == len(set(rows.values_list("pk", flat=True))) == 3


def test_a_deleted_custom_field_holds_nothing(base):
    from patron.customers.models import CustomField

    rules = where("custom.shoe_size", "gt", 1)
    CustomField.objects.filter(key="shoe_size").delete()
    assert matching(rules) == []
    assert matching(where("custom.shoe_size", "is_empty")) == ALL
