"""Rules that cannot be evaluated are refused with the path of every bad part and a
message that says what to give instead; good rules come back normalised."""

import pytest

from patron.segments import services
from patron.segments.rules import MAX_CONDITIONS, RuleError, validate_rules


def refused(rules, **kwargs):
    with pytest.raises(RuleError) as caught:
        validate_rules(rules, **kwargs)
    return caught.value.details


def one(field, op, value=None, **extra):
    condition = {"field": field, "op": op, **extra}
    if value is not None:
        condition["value"] = value
    return condition


def test_normalised(base, agent):
    rules = {
        "conditions": [
            one("country", "in", ["am", " fr "]),
            one("revenue_12m", "gt", "12,5"),
            one("tags", "has_any", "vip, B2B"),
            one("owner", "eq", str(agent.pk)),
            one("city", "is_empty", None),
            {"match": "any", "conditions": [one("custom.newsletter", "eq", "true")]},
        ]
    }
    assert validate_rules(rules) == {
        "match": "all",
        "conditions": [
            {"field": "country", "op": "in", "value": ["AM", "FR"]},
            {"field": "revenue_12m", "op": "gt", "value": 12.5},
            {"field": "tags", "op": "has_any", "value": ["VIP", "b2b"]},
            {"field": "owner", "op": "eq", "value": agent.pk},
            {"field": "city", "op": "is_empty"},
            {
                "match": "any",
                "conditions": [{"field": "custom.newsletter", "op": "eq", "value": True}],
            },
        ],
    }


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ([], "rules"),
        ("all", "rules"),
        ({"match": "some", "conditions": []}, "match"),
        ({"conditions": {"field": "city"}}, "conditions"),
        ({"conditions": [], "extra": 1}, "rules"),
        ({"conditions": ["city"]}, "conditions[0]"),
        ({"conditions": [one("city", "eq", "x", extra=1)]}, "conditions[0]"),
        ({"conditions": [one("nope", "eq", 1)]}, "conditions[0].field"),
        ({"conditions": [one("custom.nope", "eq", 1)]}, "conditions[0].field"),
        ({"conditions": [{"op": "eq", "value": 1}]}, "conditions[0].field"),
        ({"conditions": [one("city", "gt", "x")]}, "conditions[0].op"),
        ({"conditions": [one("city", None, "x")]}, "conditions[0].op"),
        ({"conditions": [one("city", "eq")]}, "conditions[0].value"),
        ({"conditions": [one("city", "eq", "")]}, "conditions[0].value"),
        ({"conditions": [one("city", "eq", "a\x00b")]}, "conditions[0].value"),
        ({"conditions": [one("city", "eq", "x" * 201)]}, "conditions[0].value"),
        ({"conditions": [one("city", "eq", {"a": 1})]}, "conditions[0].value"),
        ({"conditions": [one("city", "in", [])]}, "conditions[0].value"),
        ({"conditions": [one("city", "in", ["a", ""])]}, "conditions[0].value[1]"),
        ({"conditions": [one("revenue_12m", "gt", "lots")]}, "conditions[0].value"),
        ({"conditions": [one("revenue_12m", "gt", True)]}, "conditions[0].value"),
        ({"conditions": [one("revenue_12m", "gt", "1e999")]}, "conditions[0].value"),
        ({"conditions": [one("orders_12m", "gt", 1.5)]}, "conditions[0].value"),
        ({"conditions": [one("revenue_12m", "between", [5, 1])]}, "conditions[0].value"),
        ({"conditions": [one("revenue_12m", "between", [5])]}, "conditions[0].value"),
        ({"conditions": [one("revenue_12m", "between", [1, "x"])]}, "conditions[0].value[1]"),
        ({"conditions": [one("created_at", "eq", "2024-13-01")]}, "conditions[0].value"),
        ({"conditions": [one("created_at", "eq", "1800-01-01")]}, "conditions[0].value"),
        ({"conditions": [one("created_at", "within_last_days", 0)]}, "conditions[0].value"),
        ({"conditions": [one("created_at", "within_last_days", 10**9)]}, "conditions[0].value"),
        ({"conditions": [one("kind", "eq", "robot")]}, "conditions[0].value"),
        ({"conditions": [one("country", "eq", "XX")]}, "conditions[0].value"),
        ({"conditions": [one("value_tier", "in", ["core", "gold"])]}, "conditions[0].value[1]"),
        ({"conditions": [one("custom.favourite", "eq", "milk")]}, "conditions[0].value"),
        ({"conditions": [one("custom.newsletter", "eq", "maybe")]}, "conditions[0].value"),
        ({"conditions": [one("owner", "eq", 999999)]}, "conditions[0].value"),
        ({"conditions": [one("team", "in", ["north"])]}, "conditions[0].value[0]"),
        ({"conditions": [one("tags", "has_any", ["vip", "gold"])]}, "conditions[0].value"),
        (
            {"conditions": [one("consent", "granted", {"channel": "fax", "purpose": "service"})]},
            "conditions[0].value.channel",
        ),
        (
            {"conditions": [one("consent", "granted", {"channel": "email"})]},
            "conditions[0].value.purpose",
        ),
        ({"conditions": [one("consent", "granted", "email")]}, "conditions[0].value"),
        (
            {"conditions": [one("ordered_category", "happened", {"category": "tea", "days": 0})]},
            "conditions[0].value.days",
        ),
        (
            {"conditions": [one("ordered_category", "happened", {"days": 3})]},
            "conditions[0].value.category",
        ),
        (
            {"conditions": [one("ordered_product", "happened", {"sku": "A", "days": 3, "x": 1})]},
            "conditions[0].value",
        ),
        (
            {"conditions": [one("interacted", "happened", {"channel": "pigeon", "days": 3})]},
            "conditions[0].value.channel",
        ),
        ({"conditions": [one("in_segment", "member", 999999)]}, "conditions[0].value"),
        ({"conditions": [one("in_segment", "member", "abc")]}, "conditions[0].value"),
        (
            {
                "conditions": [
                    one("city", "eq", "x"),
                    {"match": "any", "conditions": [one("city", "gt", 1)]},
                ]
            },
            "conditions[1].conditions[0].op",
        ),
        ({"conditions": [{"match": "any", "conditions": []}]}, "conditions[0].conditions"),
    ],
)
def test_refused_with_the_path(base, rules, path):
    details = refused(rules)
    assert path in details, details
    assert all(message for messages in details.values() for message in messages)


def test_groups_nest_at_most_three_deep(base):
    deep = {"conditions": [one("city", "eq", "x")]}
    for _level in range(3):
        deep = {"match": "any", "conditions": [deep]}
    details = refused(deep)
    assert list(details) == ["conditions[0].conditions[0].conditions[0]"]
    assert "3 deep" in details["conditions[0].conditions[0].conditions[0]"][0]
    validate_rules(deep["conditions"][0])  # three levels are fine


def test_every_bad_part_is_reported_at_once(base):
    details = refused(
        {
            "conditions": [
                one("city", "eq", "ok"),
                one("nope", "eq", 1),
                one("revenue_12m", "lt", "x"),
            ]
        }
    )
    assert set(details) == {"conditions[1].field", "conditions[2].value"}
    with pytest.raises(RuleError) as caught:
        validate_rules({"conditions": [one("nope", "eq", 1)]})
    assert caught.value.message.startswith("conditions[0].field: Unknown field")


def test_at_most_so_many_conditions(base):
    details = refused({"conditions": [one("city", "eq", "x")] * (MAX_CONDITIONS + 1)})
    assert f"conditions[{MAX_CONDITIONS}]" in details


def test_a_segment_cannot_contain_itself_even_through_others(base, admin):
    first = services.segment_create(
        actor=admin, name="First", rules={"conditions": [one("city", "is_not_empty")]}
    )
    second = services.segment_create(
        actor=admin, name="Second", rules={"conditions": [one("in_segment", "member", first.pk)]}
    )
    details = refused({"conditions": [one("in_segment", "member", first.pk)]}, segment_id=first.pk)
    assert "conditions[0].value" in details
    details = refused({"conditions": [one("in_segment", "member", second.pk)]}, segment_id=first.pk)
    assert "loop" in details["rules"][0]
    # Lenient checking (compiling stored rules) does not ask the database.
    validate_rules({"conditions": [one("in_segment", "member", 999999)]}, strict=False)


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        (one("revenue_12m", "gt", 10**5000), "conditions[0].value"),
        (one("city", "eq", 10**5000), "conditions[0].value"),
        (one(10**5000, "eq", 1), "conditions[0].field"),
        (one("city", 10**5000, 1), "conditions[0].op"),
        (one("city", ["eq"], 1), "conditions[0].op"),
        (one("custom.gone", ["eq"], 1), "conditions[0].field"),
    ],
)
def test_odd_values_are_refused_not_crashed_on(base, condition, path):
    assert path in refused({"conditions": [condition]})
    with pytest.raises(RuleError):
        validate_rules({"conditions": [condition]}, strict=False)
