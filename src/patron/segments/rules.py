"""The rule language of dynamic segments: JSON in, one `Q` over Customer out.

    {"match": "all" | "any",
     "conditions": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"},
                    {"match": "any", "conditions": [...]}]}

Groups nest at most `MAX_DEPTH` deep (the top group is depth 1). Each field of the
catalogue (`FIELDS`, plus the admin-defined `custom.<key>` fields) has a type, and each
type its operators (`TYPE_OPERATORS`).

Three rules make the results the same on SQLite and PostgreSQL:

- Comparisons match only customers that have a value: `ne`, `not_in`, `lt` and the rest
  are false for an empty value (no metrics row yet, an empty city, a custom field never
  filled in); only `is_empty` matches those.
- Text comparisons ignore the case of the letters A to Z (and only of those: SQLite's
  own `lower()` knows no other alphabet, and PostgreSQL's depends on its locale);
  `contains` and `starts_with` treat `%` and `_` as themselves.
- Whole days are days of the business's time zone (`TIME_ZONE`), not of whoever is
  looking, so the live count of the builder and the nightly refresh agree.

Related rows (tags, consent, orders, interactions, metrics, other segments) are tested
with `EXISTS` subqueries, so a customer is never counted twice and no condition joins
a table that would multiply rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.lookups import (
    Contains,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from patron.core.errors import ValidationFailed
from patron.core.text import NUL
from patron.segments.fields import (
    BOOLEAN,
    CHOICE,
    CONSENT,
    CUSTOM_PREFIX,
    DATE,
    DAYS,
    EVENT,
    LIST,
    MAX_CONDITIONS,
    MAX_DEPTH,
    NONE,
    NUMBER,
    OPERATOR_INPUT,
    PAIR,
    SEGMENT,
    TAGS,
    TEAM,
    TEXT,
    USER,
    FieldSpec,
    all_fields,
    catalogue,
    describe,
)
from patron.segments.sql import CustomValue, Folded, business_zone, fold

__all__ = [
    "MAX_DEPTH",
    "RuleError",
    "catalogue",
    "compile_rules",
    "describe",
    "segment_refs",
    "validate_rules",
]

MAX_LIST = 500
MAX_TEXT = 200
MAX_DAYS = 36_500
MATCHES = ("all", "any")
NOTHING = Q(pk__in=[])

# --- Validation -----------------------------------------------------------------------------


class RuleError(ValidationFailed):
    """A rule that cannot be evaluated; `details` maps the path of each bad part (such as
    `conditions[2].value`) to its messages."""


@dataclass
class _Checker:
    """Walks a rule tree, normalising it and gathering every error with its path.

    `strict`: also check what the rules name in the database (users, teams, tags,
    segments and cycles through `in_segment`). Compiling stored rules is lenient: a
    tag deleted since matches nobody, rather than failing a whole refresh."""

    strict: bool = True
    segment_id: int | None = None
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    count: int = 0
    segment_refs: set[int] = field(default_factory=set)
    _tags: dict[str, str] | None = None

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path or "rules", []).append(message)

    # Groups

    def group(self, node: Any, path: str, depth: int) -> dict[str, Any] | None:
        if not isinstance(node, dict):
            self.fail(path, _("A group is an object with “match” and “conditions”."))
            return None
        unknown = sorted(str(k)[:40] for k in node if k not in ("match", "conditions"))
        if unknown:
            self.fail(path, _("Unknown keys in a group: %(keys)s.") % {"keys": ", ".join(unknown)})
            return None
        if depth > MAX_DEPTH:
            self.fail(path, _("Groups nest at most %(depth)d deep.") % {"depth": MAX_DEPTH})
            return None
        match = node.get("match", "all")
        if match not in MATCHES:
            self.fail(_join(path, "match"), _("Match “all” or “any” of the conditions."))
            match = "all"
        conditions = node.get("conditions", [])
        conditions_path = _join(path, "conditions")
        if not isinstance(conditions, list):
            self.fail(conditions_path, _("The conditions are a list."))
            return None
        if not conditions and depth > 1:
            self.fail(conditions_path, _("A group needs at least one condition."))
            return None
        normalized = []
        for index, child in enumerate(conditions):
            child_path = f"{conditions_path}[{index}]"
            if isinstance(child, dict) and ("conditions" in child or "match" in child):
                result = self.group(child, child_path, depth + 1)
            else:
                result = self.condition(child, child_path)
            if result is not None:
                normalized.append(result)
        return {"match": match, "conditions": normalized}

    # Conditions

    def condition(self, node: Any, path: str) -> dict[str, Any] | None:
        self.count += 1
        if self.count == MAX_CONDITIONS + 1:
            self.fail(path, _("At most %(n)d conditions in a segment.") % {"n": MAX_CONDITIONS})
        if self.count > MAX_CONDITIONS:
            return None
        if not isinstance(node, dict):
            self.fail(path, _("A condition is an object with “field”, “op” and “value”."))
            return None
        unknown = sorted(str(k)[:40] for k in node if k not in ("field", "op", "value"))
        if unknown:
            self.fail(
                path, _("Unknown keys in a condition: %(keys)s.") % {"keys": ", ".join(unknown)}
            )
            return None
        key = node.get("field")
        spec = self.fields.get(key) if isinstance(key, str) else None
        if (
            spec is None
            and not self.strict
            and _is_custom(key)
            and isinstance(node.get("op"), str)
            and node["op"] in OPERATOR_INPUT
        ):
            # A custom field deleted since the rules were saved: compiled as holding nothing.
            return {k: node[k] for k in ("field", "op", "value") if k in node}
        if spec is None:
            if isinstance(key, str) and key.startswith(CUSTOM_PREFIX):
                message = _("No custom field “%(key)s”.") % {"key": key[len(CUSTOM_PREFIX) :][:60]}
            elif key in (None, ""):
                message = _("Choose a field.")
            else:
                message = _("Unknown field “%(field)s”.") % {"field": _shown(key, 60)}
            self.fail(_join(path, "field"), message)
            return None
        op = node.get("op")
        if op not in spec.operators:
            names = ", ".join(spec.operators)
            if op in (None, ""):
                message = _("Choose an operator: %(ops)s.") % {"ops": names}
            else:
                message = _("“%(op)s” does not apply to %(field)s; use one of: %(ops)s.") % {
                    "op": _shown(op, 40),
                    "field": spec.label,
                    "ops": names,
                }
            self.fail(_join(path, "op"), message)
            return None
        value_path = _join(path, "value")
        if OPERATOR_INPUT[op] == NONE:
            return {"field": spec.key, "op": op}
        if "value" not in node or node["value"] is None or node["value"] == "":
            self.fail(value_path, _("Give a value."))
            return None
        try:
            value = self.value(spec, op, node["value"], value_path)
        except _Bad as bad:
            self.fail(bad.path, bad.message)
            return None
        return {"field": spec.key, "op": op, "value": value}

    def value(self, spec: FieldSpec, op: str, raw: Any, path: str) -> Any:
        shape = OPERATOR_INPUT[op]
        if spec.type == TAGS:
            return self.tags(raw, path)
        if spec.type == CONSENT:
            return _consent(raw, path)
        if spec.type == EVENT:
            return self.event(spec, raw, path)
        if spec.type == SEGMENT:
            return self.segment(raw, path)
        if shape == DAYS:
            return _days(raw, path, minimum=1 if op == "within_last_days" else 0)
        if shape == LIST:
            items = _listed(raw, path)
            return _unique(
                [self.scalar(spec, item, f"{path}[{i}]") for i, item in enumerate(items)]
            )
        if shape == PAIR:
            if not isinstance(raw, list) or len(raw) != 2:
                raise _Bad(path, _("Give two values, [from, to]."))
            low = self.scalar(spec, raw[0], f"{path}[0]")
            high = self.scalar(spec, raw[1], f"{path}[1]")
            if low > high:  # numbers compare as numbers, ISO dates as they read
                raise _Bad(path, _("The first value must not be greater than the second."))
            return [low, high]
        if op in ("contains", "starts_with"):
            return _text(raw, path)
        return self.scalar(spec, raw, path)

    def scalar(self, spec: FieldSpec, raw: Any, path: str) -> Any:
        kind = spec.type
        if kind == NUMBER:
            return _number(raw, path, integer=spec.integer)
        if kind == DATE:
            return _day(raw, path)
        if kind == BOOLEAN:
            return _boolean(raw, path)
        if kind in (USER, TEAM):
            return self.record(kind, raw, path)
        if kind == CHOICE:
            return self.choice(spec, raw, path)
        return _text(raw, path)

    def choice(self, spec: FieldSpec, raw: Any, path: str) -> str:
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raise _Bad(path, _("Choose one of the values offered."))
        value = str(raw).strip()
        if spec.key == "country":
            value = value.upper()
        allowed = [v for v, _label in (spec.choices() if spec.choices else [])]
        if value not in allowed:
            shown = ", ".join(allowed[:12]) + (" …" if len(allowed) > 12 else "")
            raise _Bad(
                path,
                _("“%(value)s” is not a value of %(field)s; use one of: %(values)s.")
                % {"value": value[:40], "field": spec.label, "values": shown},
            )
        return value

    def record(self, kind: str, raw: Any, path: str) -> int:
        number = _whole(raw, path)
        if self.strict:
            from patron.accounts.models import Team, User

            model = User if kind == USER else Team
            if not model.objects.filter(pk=number).exists():
                message = (
                    _("No user with id %(id)s.") if kind == USER else _("No team with id %(id)s.")
                )
                raise _Bad(path, message % {"id": number})
        return number

    def tags(self, raw: Any, path: str) -> list[str]:
        names = [_text(item, f"{path}[{i}]") for i, item in enumerate(_listed(raw, path))]
        if len(names) > 50:
            raise _Bad(path, _("At most 50 tags in a condition."))
        if not self.strict:
            return _unique(names)
        known = self.known_tags()
        found, missing = [], []
        for name in names:
            stored = known.get(name.casefold())
            (found if stored else missing).append(stored or name)
        if missing:
            raise _Bad(
                path, _("No tag named %(tags)s.") % {"tags": ", ".join(f"“{m}”" for m in missing)}
            )
        return _unique(found)

    def known_tags(self) -> dict[str, str]:
        if self._tags is None:
            from patron.customers.models import Tag

            self._tags = {
                name.casefold(): name for name in Tag.objects.values_list("name", flat=True)
            }
        return self._tags

    def event(self, spec: FieldSpec, raw: Any, path: str) -> dict[str, Any]:
        keys = {
            "ordered_category": ("category", "days"),
            "ordered_product": ("sku", "days"),
            "interacted": ("channel", "days"),
        }[spec.key]
        value = _object(raw, path, keys)
        result: dict[str, Any] = {}
        for name in keys:
            item_path = f"{path}.{name}"
            item = value.get(name)
            if name == "days":
                result["days"] = _days(item, item_path, minimum=1)
            elif name == "channel":
                if item not in (None, ""):
                    from patron.interactions.models import Channel

                    if item not in Channel.values:
                        raise _Bad(
                            item_path,
                            _("Unknown channel; use one of: %(values)s.")
                            % {"values": ", ".join(Channel.values)},
                        )
                    result["channel"] = item
            else:
                if item in (None, ""):
                    raise _Bad(item_path, _("Give a value."))
                result[name] = _text(item, item_path)
        return result

    def segment(self, raw: Any, path: str) -> int:
        number = _whole(raw, path)
        if number == self.segment_id:
            raise _Bad(path, _("A segment cannot contain itself."))
        if self.strict:
            from patron.segments.models import Segment

            if not Segment.objects.filter(pk=number).exists():
                raise _Bad(path, _("No segment with id %(id)s.") % {"id": number})
        self.segment_refs.add(number)
        return number


class _Bad(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


def _is_custom(key: Any) -> bool:
    return isinstance(key, str) and key.startswith(CUSTOM_PREFIX)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _unique(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def _listed(raw: Any, path: str) -> list[Any]:
    if isinstance(raw, str):
        raw = [part for part in (p.strip() for p in raw.split(",")) if part]
    if not isinstance(raw, list) or not raw:
        raise _Bad(path, _("Give a list of one or more values."))
    if len(raw) > MAX_LIST:
        raise _Bad(path, _("At most %(n)d values in a list.") % {"n": MAX_LIST})
    return raw


def _plain(raw: Any) -> str:
    """A value as text; an integer too long to write out (over 4,300 digits) is refused
    the way a wrong value is, not with Python's ValueError."""
    try:
        return str(raw)
    except ValueError as exc:
        raise ValueError("too long") from exc


def _shown(value: Any, length: int) -> str:
    """A value quoted back in a message, cut to `length`."""
    try:
        return _plain(value)[:length]
    except ValueError:
        return "…"


def _text(raw: Any, path: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _Bad(path, _("Give a text."))
    try:
        value = _plain(raw).strip()
    except ValueError as exc:
        raise _Bad(path, _("At most %(n)d characters.") % {"n": MAX_TEXT}) from exc
    if not value:
        raise _Bad(path, _("Give a value."))
    if NUL in value:
        raise _Bad(path, _("Remove the null character (\\x00) from this text."))
    if len(value) > MAX_TEXT:
        raise _Bad(path, _("At most %(n)d characters.") % {"n": MAX_TEXT})
    return value


def _number(raw: Any, path: str, *, integer: bool = False) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _Bad(path, _("Give a number."))
    try:
        number = Decimal(_plain(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise _Bad(path, _("Give a number, such as 12 or 3.5.")) from exc
    if not number.is_finite() or abs(number.adjusted()) > 15:
        raise _Bad(path, _("Give a number of at most 15 digits."))
    if number == number.to_integral_value():
        return int(number)
    if integer:
        raise _Bad(path, _("Give a whole number."))
    return float(number)


def _whole(raw: Any, path: str) -> int:
    if isinstance(raw, str) and raw.strip().isdecimal():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 2**63 - 1:
        raise _Bad(path, _("Give an id (a whole number)."))
    return raw


def _days(raw: Any, path: str, *, minimum: int) -> int:
    if isinstance(raw, str) and raw.strip().isdecimal():
        raw = int(raw.strip())
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not minimum <= raw <= MAX_DAYS:
        raise _Bad(
            path,
            _("Give a number of days from %(low)d to %(high)d.")
            % {"low": minimum, "high": MAX_DAYS},
        )
    return raw


def _day(raw: Any, path: str) -> str:
    try:
        day = parse_date(raw.strip()) if isinstance(raw, str) else None
    except ValueError:  # well formed, but no such day (2024-13-01)
        day = None
    if day is None or not 1900 <= day.year <= 2999:
        raise _Bad(path, _("Give a date as YYYY-MM-DD, between the years 1900 and 2999."))
    return day.isoformat()


def _boolean(raw: Any, path: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise _Bad(path, _("Give true or false."))


def _object(raw: Any, path: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _Bad(
            path, _("Give an object with %(keys)s.") % {"keys": ", ".join(f"“{k}”" for k in keys)}
        )
    unknown = sorted(str(k)[:40] for k in raw if k not in keys)
    if unknown:
        raise _Bad(path, _("Unknown keys: %(keys)s.") % {"keys": ", ".join(unknown)})
    return raw


def _consent(raw: Any, path: str) -> dict[str, str]:
    from patron.customers.models import Channel, Purpose

    value = _object(raw, path, ("channel", "purpose"))
    for name, allowed in (("channel", Channel.values), ("purpose", Purpose.values)):
        if value.get(name) not in allowed:
            raise _Bad(
                f"{path}.{name}",
                _("Choose one of: %(values)s.") % {"values": ", ".join(allowed)},
            )
    return {"channel": value["channel"], "purpose": value["purpose"]}


def _cycle(segment_id: int | None, refs: set[int]) -> int | None:
    """The first segment named by `refs` from which `in_segment` leads back to
    `segment_id` (through the stored rules of other segments), or None."""
    if segment_id is None or not refs:
        return None
    from patron.segments.models import Segment

    graph = {
        pk: _segment_refs(rules)
        for pk, rules in Segment.objects.filter(kind=Segment.Kind.DYNAMIC)
        .exclude(pk=segment_id)
        .values_list("pk", "rules")
    }
    for start in sorted(refs):
        seen, stack = set(), [start]
        while stack:
            current = stack.pop()
            if current == segment_id:
                return start
            if current in seen:
                continue
            seen.add(current)
            stack.extend(graph.get(current, ()))
    return None


def _segment_refs(rules: Any) -> set[int]:
    """Segment ids that stored rules name in `in_segment` conditions (no validation)."""
    found: set[int] = set()
    stack = [rules]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("field") == "in_segment" and isinstance(node.get("value"), int):
                found.add(node["value"])
            conditions = node.get("conditions")
            if isinstance(conditions, list):
                stack.extend(conditions)
    return found


def segment_refs(rules: Any) -> set[int]:
    return _segment_refs(rules)


def validate_rules(
    rules: Any, *, segment_id: int | None = None, strict: bool = True
) -> dict[str, Any]:
    """The rules, normalised (match defaulted, values cleaned, country codes in capitals,
    numbers as numbers, tag names as stored), or RuleError naming the path of every bad
    part (`conditions[2].value`) with a message that says what to give instead.

    `segment_id`: the segment the rules are for, so that it cannot contain itself,
    directly or through other segments. `strict=False` skips the checks against the
    database (users, teams, tags and segments exist; no cycles)."""
    if rules is None or rules == "":
        rules = {}
    checker = _Checker(strict=strict, segment_id=segment_id, fields=all_fields())
    normalized = checker.group(rules, "", 1)
    if strict and not checker.errors:
        start = _cycle(segment_id, checker.segment_refs)
        if start is not None:
            checker.fail(
                "rules",
                _("Segment %(id)d leads back to this one through its rules: that would be a loop.")
                % {"id": start},
            )
    if checker.errors or normalized is None:
        path, messages = next(iter(checker.errors.items()))
        raise RuleError(f"{path}: {messages[0]}", details=checker.errors)
    return normalized


def has_conditions(rules: dict[str, Any]) -> bool:
    return bool(rules.get("conditions"))


# --- Compiling ------------------------------------------------------------------------------


@dataclass
class _Compiler:
    now: dt.datetime
    fields: dict[str, FieldSpec]
    _tag_ids: dict[str, int] | None = None

    def group(self, node: dict[str, Any]) -> Q:
        parts = [
            self.group(child) if "conditions" in child else self.condition(child)
            for child in node["conditions"]
        ]
        if not parts:
            return Q() if node["match"] == "all" else NOTHING
        combined = parts[0]
        for part in parts[1:]:
            combined = (combined & part) if node["match"] == "all" else (combined | part)
        return combined

    def condition(self, node: dict[str, Any]) -> Q:
        spec = self.fields.get(node["field"])
        op, value = node["op"], node.get("value")
        if spec is None:  # a custom field deleted since: it holds no value any more
            return Q() if op == "is_empty" else NOTHING
        if spec.source == "special":
            return getattr(self, f"special_{spec.key}")(op, value)
        if spec.source == "metrics":
            return self.metric(spec, op, value)
        if spec.source == "custom":
            kind = {"number": NUMBER, "boolean": BOOLEAN}.get(spec.stored, TEXT)
            lhs: Any = CustomValue(spec.column, kind)
            return self.scalar(spec, op, value, lhs, text_lhs=lhs, custom_day=spec.type == DATE)
        column = spec.column
        return self.scalar(spec, op, value, F(column), text_lhs=F(column))

    # A scalar test on an expression of the row being filtered

    def scalar(
        self,
        spec: FieldSpec,
        op: str,
        value: Any,
        lhs: Any,
        *,
        text_lhs: Any,
        custom_day: bool = False,
    ) -> Q:
        kind = spec.type
        textual = kind in (TEXT, CHOICE) or custom_day or kind == BOOLEAN
        # A value is there: not NULL, and for texts not "" either.
        present = Q(IsNull(text_lhs if textual else lhs, False))
        if textual:
            present &= ~Q(Exact(text_lhs, ""))
        if op == "is_empty":
            return ~present
        if op == "is_not_empty":
            return present
        if kind == TEXT:
            folded = Folded(text_lhs)
            if op == "eq":
                return Q(Exact(folded, fold(value)))
            if op == "ne":
                return present & ~Q(Exact(folded, fold(value)))
            if op == "in":
                return Q(In(folded, [fold(v) for v in value]))
            if op == "not_in":
                return present & ~Q(In(folded, [fold(v) for v in value]))
            if op == "contains":
                return Q(Contains(folded, fold(value)))
            if op == "starts_with":
                return Q(StartsWith(folded, fold(value)))
        if kind == BOOLEAN:
            return Q(Exact(text_lhs, "true" if value else "false"))
        if kind == DATE:
            if custom_day:
                return self.day_text(op, value, text_lhs, present)
            return self.moment(op, value, lhs)
        if kind == NUMBER:
            value = [_decimal(v) for v in value] if op == "between" else _decimal(value)
        if op == "eq":
            return Q(Exact(lhs, value))
        if op == "ne":
            if kind == NUMBER:
                return Q(LessThan(lhs, value)) | Q(GreaterThan(lhs, value))
            return present & ~Q(Exact(lhs, value))
        if op == "in":
            return Q(In(lhs, list(value)))
        if op == "not_in":
            return present & ~Q(In(lhs, list(value)))
        if op == "between":
            low, high = value
            return Q(GreaterThanOrEqual(lhs, low)) & Q(LessThanOrEqual(lhs, high))
        lookup = {
            "lt": LessThan,
            "lte": LessThanOrEqual,
            "gt": GreaterThan,
            "gte": GreaterThanOrEqual,
        }[op]
        return Q(lookup(lhs, value))

    def _start(self, day: str) -> dt.datetime:
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.min, tzinfo=business_zone())

    def _next(self, day: str) -> dt.datetime:
        return self._start(day) + dt.timedelta(days=1)

    def moment(self, op: str, value: Any, lhs: Any) -> Q:
        """A timestamp column against whole days of the business's time zone, or against
        a number of days back from now."""
        if op == "within_last_days":
            since = self.now - dt.timedelta(days=value)
            return Q(GreaterThanOrEqual(lhs, since)) & Q(LessThanOrEqual(lhs, self.now))
        if op == "more_than_days_ago":
            return Q(LessThan(lhs, self.now - dt.timedelta(days=value)))
        if op == "between":
            low, high = value
            return Q(GreaterThanOrEqual(lhs, self._start(low))) & Q(LessThan(lhs, self._next(high)))
        if op == "eq":
            return Q(GreaterThanOrEqual(lhs, self._start(value))) & Q(
                LessThan(lhs, self._next(value))
            )
        if op == "lt":
            return Q(LessThan(lhs, self._start(value)))
        if op == "lte":
            return Q(LessThan(lhs, self._next(value)))
        if op == "gt":
            return Q(GreaterThanOrEqual(lhs, self._next(value)))
        return Q(GreaterThanOrEqual(lhs, self._start(value)))  # gte

    def day_text(self, op: str, value: Any, lhs: Any, present: Q) -> Q:
        """A custom date (stored as "YYYY-MM-DD", which sorts as it reads)."""
        today = self.now.astimezone(business_zone()).date()
        if op == "within_last_days":
            since = (today - dt.timedelta(days=value)).isoformat()
            return Q(GreaterThanOrEqual(lhs, since)) & Q(LessThanOrEqual(lhs, today.isoformat()))
        if op == "more_than_days_ago":
            return present & Q(LessThan(lhs, (today - dt.timedelta(days=value)).isoformat()))
        if op == "between":
            return Q(GreaterThanOrEqual(lhs, value[0])) & Q(LessThanOrEqual(lhs, value[1]))
        lookup = {
            "eq": Exact,
            "lt": LessThan,
            "lte": LessThanOrEqual,
            "gt": GreaterThan,
            "gte": GreaterThanOrEqual,
        }[op]
        condition = Q(lookup(lhs, value))
        return present & condition if op in ("lt", "lte") else condition

    # Figures: one metrics row per customer, maybe none yet

    def metric(self, spec: FieldSpec, op: str, value: Any) -> Q:
        from patron.analytics.models import CustomerMetrics

        rows = CustomerMetrics.objects.filter(customer_id=OuterRef("pk"))
        column = F(spec.column)
        if op == "is_empty":
            present = self.scalar(spec, "is_not_empty", None, column, text_lhs=column)
            return ~Q(Exists(rows.filter(present)))
        condition = self.scalar(spec, op, value, column, text_lhs=column)
        return Q(Exists(rows.filter(condition)))

    # Special fields

    def tag_ids(self) -> dict[str, int]:
        if self._tag_ids is None:
            from patron.customers.models import Tag

            self._tag_ids = {
                name.casefold(): pk for pk, name in Tag.objects.values_list("pk", "name")
            }
        return self._tag_ids

    def special_tags(self, op: str, names: list[str]) -> Q:
        from patron.customers.models import Customer

        through = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"))
        known = self.tag_ids()
        ids = [known[n.casefold()] for n in names if n.casefold() in known]
        if op == "has_all":
            if len(ids) < len(names):
                return NOTHING
            combined = Q()
            for tag_id in ids:
                combined &= Q(Exists(through.filter(tag_id=tag_id)))
            return combined
        if not ids:
            return NOTHING if op == "has_any" else Q()
        any_of = Q(Exists(through.filter(tag_id__in=ids)))
        return any_of if op == "has_any" else ~any_of

    def special_consent(self, op: str, value: dict[str, str]) -> Q:
        from patron.customers.models import Consent, Purpose

        rows = Consent.objects.filter(
            customer_id=OuterRef("pk"), channel=value["channel"], purpose=value["purpose"]
        )
        if value["purpose"] == Purpose.SERVICE:
            # Service needs no opt-in: allowed unless a decision refuses it.
            allows = ~Q(Exists(rows.exclude(status=Consent.Status.GRANTED)))
        else:
            allows = Q(Exists(rows.filter(status=Consent.Status.GRANTED)))
        return allows if op == "granted" else ~allows

    def _since(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def _orders(self, days: int) -> Any:
        from patron.commerce.models import Order

        return Order.objects.filter(
            customer_id=OuterRef("pk"), placed_at__gte=self._since(days)
        ).exclude(status=Order.Status.CANCELLED)

    def special_ordered_category(self, op: str, value: dict[str, Any]) -> Q:
        from patron.commerce.models import OrderLine, Product

        products = Product.objects.filter(Exact(Folded(F("category")), fold(value["category"])))
        lines = OrderLine.objects.filter(order_id=OuterRef("pk"), product__in=products.values("pk"))
        found = Q(Exists(self._orders(value["days"]).filter(Exists(lines))))
        return found if op == "happened" else ~found

    def special_ordered_product(self, op: str, value: dict[str, Any]) -> Q:
        from patron.commerce.models import OrderLine

        lines = OrderLine.objects.filter(order_id=OuterRef("pk"), product__sku=value["sku"])
        found = Q(Exists(self._orders(value["days"]).filter(Exists(lines))))
        return found if op == "happened" else ~found

    def special_interacted(self, op: str, value: dict[str, Any]) -> Q:
        from patron.interactions.models import Interaction

        rows = Interaction.objects.filter(
            customer_id=OuterRef("pk"), occurred_at__gte=self._since(value["days"])
        )
        if value.get("channel"):
            rows = rows.filter(channel=value["channel"])
        found = Q(Exists(rows))
        return found if op == "happened" else ~found

    def special_in_segment(self, op: str, segment_id: int) -> Q:
        from patron.segments.models import SegmentMembership

        rows = SegmentMembership.objects.filter(
            segment_id=segment_id, customer_id=OuterRef("pk"), left_at__isnull=True
        )
        found = Q(Exists(rows))
        return found if op == "member" else ~found


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def compile_rules(rules: Any, *, now: dt.datetime | None = None) -> Q:
    """A filter of Customer for `rules` (validated leniently first: RuleError if their
    shape is wrong). `now` is the moment "in the last N days" counts back from."""
    normalized = validate_rules(rules, strict=False)
    compiler = _Compiler(now=now or timezone.now(), fields=all_fields())
    return compiler.group(normalized)
