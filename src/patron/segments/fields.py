"""The catalogue of what segment rules can test: fields with their type, operators
(and how each takes its value), choices and labels, in the current language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import pgettext_lazy as pgettext

MAX_DEPTH = 3
MAX_CONDITIONS = 50

# --- Operators and types -------------------------------------------------------------------

# How an operator takes its value: nothing, one value, a list, a [low, high] pair, a
# number of days, or the object of a special field.
NONE, SINGLE, LIST, PAIR, DAYS, OBJECT = "none", "single", "list", "pair", "days", "object"

OPERATOR_INPUT = {
    "eq": SINGLE,
    "ne": SINGLE,
    "in": LIST,
    "not_in": LIST,
    "lt": SINGLE,
    "lte": SINGLE,
    "gt": SINGLE,
    "gte": SINGLE,
    "between": PAIR,
    "is_empty": NONE,
    "is_not_empty": NONE,
    "contains": SINGLE,
    "starts_with": SINGLE,
    "within_last_days": DAYS,
    "more_than_days_ago": DAYS,
    "has_any": LIST,
    "has_all": LIST,
    "has_none": LIST,
    "granted": OBJECT,
    "not_granted": OBJECT,
    "happened": OBJECT,
    "not_happened": OBJECT,
    "member": SINGLE,
    "not_member": SINGLE,
}

OPERATOR_LABELS: dict[str, Promise] = {
    "eq": pgettext("segment rule", "is"),
    "ne": pgettext("segment rule", "is not"),
    "in": pgettext("segment rule", "is any of"),
    "not_in": pgettext("segment rule", "is none of"),
    "lt": pgettext("segment rule", "is less than"),
    "lte": pgettext("segment rule", "is at most"),
    "gt": pgettext("segment rule", "is more than"),
    "gte": pgettext("segment rule", "is at least"),
    "between": pgettext("segment rule", "is between"),
    "is_empty": pgettext("segment rule", "is empty"),
    "is_not_empty": pgettext("segment rule", "is not empty"),
    "contains": pgettext("segment rule", "contains"),
    "starts_with": pgettext("segment rule", "starts with"),
    "within_last_days": pgettext("segment rule", "in the last … days"),
    "more_than_days_ago": pgettext("segment rule", "more than … days ago"),
    "has_any": pgettext("segment rule", "has any of"),
    "has_all": pgettext("segment rule", "has all of"),
    "has_none": pgettext("segment rule", "has none of"),
    "granted": pgettext("segment rule", "allows"),
    "not_granted": pgettext("segment rule", "does not allow"),
    "happened": pgettext("segment rule", "yes"),
    "not_happened": pgettext("segment rule", "no"),
    "member": pgettext("segment rule", "is a member of"),
    "not_member": pgettext("segment rule", "is not a member of"),
}
# Dates read better with words of time.
DATE_LABELS: dict[str, Promise] = {
    "eq": pgettext("segment rule date", "is on"),
    "lt": pgettext("segment rule date", "is before"),
    "lte": pgettext("segment rule date", "is on or before"),
    "gt": pgettext("segment rule date", "is after"),
    "gte": pgettext("segment rule date", "is on or after"),
}

CHOICE, TEXT, NUMBER, DATE, BOOLEAN = "choice", "text", "number", "date", "boolean"
USER, TEAM, TAGS, CONSENT, EVENT, SEGMENT = "user", "team", "tags", "consent", "event", "segment"
_EMPTY = ("is_empty", "is_not_empty")
TYPE_OPERATORS: dict[str, tuple[str, ...]] = {
    CHOICE: ("eq", "ne", "in", "not_in", *_EMPTY),
    TEXT: ("eq", "ne", "in", "not_in", "contains", "starts_with", *_EMPTY),
    NUMBER: ("eq", "ne", "lt", "lte", "gt", "gte", "between", *_EMPTY),
    DATE: (
        "eq",
        "lt",
        "lte",
        "gt",
        "gte",
        "between",
        "within_last_days",
        "more_than_days_ago",
        *_EMPTY,
    ),
    BOOLEAN: ("eq", *_EMPTY),
    USER: ("eq", "ne", "in", "not_in", *_EMPTY),
    TEAM: ("eq", "ne", "in", "not_in", *_EMPTY),
    TAGS: ("has_any", "has_all", "has_none"),
    CONSENT: ("granted", "not_granted"),
    EVENT: ("happened", "not_happened"),
    SEGMENT: ("member", "not_member"),
}

# --- The catalogue --------------------------------------------------------------------------

GROUPS: dict[str, Promise] = {
    "customer": gettext_lazy("Customer"),
    "custom": gettext_lazy("Custom fields"),
    "figures": gettext_lazy("Figures"),
    "tags": gettext_lazy("Tags and consent"),
    "activity": gettext_lazy("Activity"),
    "segments": gettext_lazy("Segments"),
}


@dataclass(frozen=True)
class FieldSpec:
    """One field rules can test. `source`: a column of the customer, a column of its
    metrics row, a key of its custom fields, or a special test (`column` empty)."""

    key: str
    label: Promise | str
    type: str
    group: str
    source: str = "customer"  # customer | metrics | custom | special
    column: str = ""
    choices: Callable[[], list[tuple[str, str]]] | None = None
    integer: bool = False  # a whole-number column: values must be whole
    help: Promise | str = ""
    # A custom field's type as stored in JSON: text, number, date, boolean.
    stored: str = ""

    @property
    def operators(self) -> tuple[str, ...]:
        return TYPE_OPERATORS[self.type]


def _model_choices(choices_class: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(value, str(label)) for value, label in choices_class.choices]


def _lifecycle() -> list[tuple[str, str]]:
    from patron.customers.models import Customer

    return _model_choices(Customer.Lifecycle)()


def _kinds() -> list[tuple[str, str]]:
    from patron.customers.models import Customer

    return _model_choices(Customer.Kind)()


def _countries() -> list[tuple[str, str]]:
    from patron.customers.forms import country_choices

    return country_choices()


def _metric_choices(name: str) -> Callable[[], list[tuple[str, str]]]:
    def read() -> list[tuple[str, str]]:
        from patron.analytics import models as analytics

        return _model_choices(getattr(analytics, name))()

    return read


def _build_fields() -> dict[str, FieldSpec]:
    f = FieldSpec
    metric = "metrics"
    fields = [
        f("kind", gettext_lazy("Kind"), CHOICE, "customer", column="kind", choices=_kinds),
        f(
            "lifecycle_stage",
            gettext_lazy("Lifecycle stage"),
            CHOICE,
            "customer",
            column="lifecycle_stage",
            choices=_lifecycle,
        ),
        f("display_name", gettext_lazy("Name"), TEXT, "customer", column="display_name"),
        f(
            "country",
            gettext_lazy("Country"),
            CHOICE,
            "customer",
            column="country",
            choices=_countries,
        ),
        f("city", gettext_lazy("City"), TEXT, "customer", column="city"),
        f(
            "language",
            gettext_lazy("Language"),
            TEXT,
            "customer",
            column="language",
            help=gettext_lazy("A code such as en, ar or pt-BR."),
        ),
        f("source", gettext_lazy("Source"), TEXT, "customer", column="source"),
        f("created_at", gettext_lazy("Created"), DATE, "customer", column="created_at"),
        f("owner", gettext_lazy("Owner"), USER, "customer", column="owner_id"),
        f("team", gettext_lazy("Team"), TEAM, "customer", column="team_id"),
        # Figures (one metrics row per customer, refreshed nightly)
        f("revenue_12m", gettext_lazy("Revenue, last 12 months"), NUMBER, "figures", metric),
        f("orders_12m", gettext_lazy("Orders, last 12 months"), NUMBER, "figures", metric),
        f("revenue_total", gettext_lazy("Revenue, all time"), NUMBER, "figures", metric),
        f("orders_total", gettext_lazy("Orders, all time"), NUMBER, "figures", metric),
        f("margin_12m", gettext_lazy("Margin, last 12 months"), NUMBER, "figures", metric),
        f("recency_days", gettext_lazy("Days since last order"), NUMBER, "figures", metric),
        f("frequency", gettext_lazy("Orders per year"), NUMBER, "figures", metric),
        f("tenure_days", gettext_lazy("Days since first order"), NUMBER, "figures", metric),
        f(
            "average_order_value",
            gettext_lazy("Average order value"),
            NUMBER,
            "figures",
            metric,
        ),
        f(
            "trend",
            gettext_lazy("Trend"),
            NUMBER,
            "figures",
            metric,
            help=gettext_lazy(
                "Revenue of the last 12 months against the usual year (1 = as usual)."
            ),
        ),
        f(
            "days_since_interaction",
            gettext_lazy("Days since last interaction"),
            NUMBER,
            "figures",
            metric,
        ),
        f(
            "value_tier",
            gettext_lazy("Value tier"),
            CHOICE,
            "figures",
            metric,
            choices=_metric_choices("ValueTier"),
        ),
        f(
            "abc_class",
            gettext_lazy("ABC class"),
            CHOICE,
            "figures",
            metric,
            choices=_metric_choices("AbcClass"),
        ),
        f("r_score", gettext_lazy("Recency score (R)"), NUMBER, "figures", metric),
        f("f_score", gettext_lazy("Frequency score (F)"), NUMBER, "figures", metric),
        f("m_score", gettext_lazy("Monetary score (M)"), NUMBER, "figures", metric),
        f(
            "rfm_score",
            gettext_lazy("RFM score"),
            TEXT,
            "figures",
            metric,
            help=gettext_lazy("Three digits such as 545."),
        ),
        f(
            "rfm_segment",
            gettext_lazy("RFM segment"),
            CHOICE,
            "figures",
            metric,
            choices=_metric_choices("RfmSegment"),
        ),
        f(
            "relationship_stage",
            gettext_lazy("Relationship stage"),
            CHOICE,
            "figures",
            metric,
            choices=_metric_choices("RelationshipStage"),
        ),
        f(
            "p_alive",
            gettext_lazy("Probability active"),
            NUMBER,
            "figures",
            metric,
            help=gettext_lazy("From 0 to 1."),
        ),
        f(
            "expected_purchases_12m",
            gettext_lazy("Expected purchases, next 12 months"),
            NUMBER,
            "figures",
            metric,
        ),
        f("clv_12m", gettext_lazy("Predicted value, next 12 months"), NUMBER, "figures", metric),
        f("last_order_at", gettext_lazy("Last order"), DATE, "figures", metric),
        f("first_order_at", gettext_lazy("First order"), DATE, "figures", metric),
        f("open_tickets", gettext_lazy("Open tickets"), NUMBER, "figures", metric),
        # Tags and consent
        f("tags", gettext_lazy("Tags"), TAGS, "tags", "special"),
        f(
            "consent",
            gettext_lazy("Consent"),
            CONSENT,
            "tags",
            "special",
            help=gettext_lazy(
                "As contacting reads it: a recorded decision wins; without one, service "
                "messages are allowed and marketing and surveys are not."
            ),
        ),
        # Activity
        f(
            "ordered_category",
            gettext_lazy("Ordered from a category"),
            EVENT,
            "activity",
            "special",
            help=gettext_lazy("An order that was not cancelled, with a product of the category."),
        ),
        f(
            "ordered_product",
            gettext_lazy("Ordered a product"),
            EVENT,
            "activity",
            "special",
            help=gettext_lazy("An order that was not cancelled, with a line of this SKU."),
        ),
        f("interacted", gettext_lazy("Interaction"), EVENT, "activity", "special"),
        f("in_segment", gettext_lazy("Segment"), SEGMENT, "segments", "special"),
    ]
    built = {}
    for spec in fields:
        if spec.source == "metrics":
            spec = FieldSpec(**{**spec.__dict__, "column": spec.key})
        built[spec.key] = spec
    return built


FIELDS = _build_fields()
INTEGER_METRICS = {
    "orders_12m",
    "orders_total",
    "recency_days",
    "tenure_days",
    "days_since_interaction",
    "r_score",
    "f_score",
    "m_score",
    "open_tickets",
}
FIELDS.update(
    {key: FieldSpec(**{**FIELDS[key].__dict__, "integer": True}) for key in INTEGER_METRICS}
)
CUSTOM_PREFIX = "custom."
CUSTOM_TYPES = {
    "text": TEXT,
    "number": NUMBER,
    "date": DATE,
    "boolean": BOOLEAN,
    "choice": CHOICE,
}


def custom_field_specs() -> dict[str, FieldSpec]:
    """The `custom.<key>` fields, from the admin's definitions (one query)."""
    from patron.customers.models import CustomField

    specs = {}
    for definition in CustomField.objects.all():
        choices = None
        if definition.field_type == CustomField.Type.CHOICE:
            options = [(str(c), str(c)) for c in definition.choices]
            choices = lambda options=options: options  # noqa: E731
        if definition.field_type == CustomField.Type.BOOLEAN:
            choices = lambda: [("true", _("Yes")), ("false", _("No"))]  # noqa: E731
        specs[CUSTOM_PREFIX + definition.key] = FieldSpec(
            key=CUSTOM_PREFIX + definition.key,
            label=definition.label,
            type=CUSTOM_TYPES.get(definition.field_type, TEXT),
            group="custom",
            source="custom",
            column=definition.key,
            choices=choices,
            stored=definition.field_type,
            help=definition.help_text,
        )
    return specs


def all_fields() -> dict[str, FieldSpec]:
    return {**FIELDS, **custom_field_specs()}


def operator_label(spec: FieldSpec, op: str) -> str:
    if spec.type == DATE and op in DATE_LABELS:
        return str(DATE_LABELS[op])
    return str(OPERATOR_LABELS[op])


# --- The catalogue, for the builder and API clients -----------------------------------------


def catalogue(*, exclude_segment: int | None = None) -> dict[str, Any]:
    """Every field rules can test, with its type, operators (and how each takes its
    value), choices and labels in the current language."""
    from patron.accounts.models import Team, User
    from patron.commerce.models import Product
    from patron.customers.models import Channel, Purpose, Tag
    from patron.interactions.models import Channel as InteractionChannel
    from patron.segments.models import Segment

    users = [
        (str(pk), name or email)
        for pk, name, email in User.objects.filter(is_active=True)
        .order_by("full_name", "email")
        .values_list("pk", "full_name", "email")[:1000]
    ]
    teams = [
        (str(pk), name) for pk, name in Team.objects.order_by("name").values_list("pk", "name")
    ]
    segments = [
        (str(pk), name)
        for pk, name in Segment.objects.exclude(pk=exclude_segment or 0)
        .order_by("name")
        .values_list("pk", "name")[:1000]
    ]
    extra_choices = {
        USER: users,
        TEAM: teams,
        TAGS: [(n, n) for n in Tag.objects.order_by("name").values_list("name", flat=True)[:1000]],
        SEGMENT: segments,
    }
    fields = []
    for spec in all_fields().values():
        choices = spec.choices() if spec.choices else extra_choices.get(spec.type)
        entry: dict[str, Any] = {
            "key": spec.key,
            "label": str(spec.label),
            "group": spec.group,
            "group_label": str(GROUPS[spec.group]),
            "type": spec.type,
            "operators": [
                {"key": op, "label": operator_label(spec, op), "input": OPERATOR_INPUT[op]}
                for op in spec.operators
            ],
        }
        if spec.integer:
            entry["integer"] = True
        if spec.help:
            entry["help"] = str(spec.help)
        if choices is not None:
            entry["choices"] = [{"value": v, "label": str(label)} for v, label in choices]
        fields.append(entry)
    return {
        "fields": fields,
        "matches": [
            {"key": "all", "label": _("all of")},
            {"key": "any", "label": _("any of")},
        ],
        "max_depth": MAX_DEPTH,
        "max_conditions": MAX_CONDITIONS,
        "consent": {
            "channels": [{"value": v, "label": str(label)} for v, label in Channel.choices],
            "purposes": [{"value": v, "label": str(label)} for v, label in Purpose.choices],
        },
        "interaction_channels": [
            {"value": v, "label": str(label)} for v, label in InteractionChannel.choices
        ],
        "categories": list(
            Product.objects.exclude(category="")
            .order_by("category")
            .values_list("category", flat=True)
            .distinct()[:500]
        ),
        "time_zone": settings.TIME_ZONE,
    }


AND = pgettext("segment rules joined", "and")
OR = pgettext("segment rules joined", "or")


def _walk_conditions(rules: Any) -> list[dict[str, Any]]:
    found, stack = [], [rules]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("conditions"), list):
                stack.extend(node["conditions"])
            elif "field" in node:
                found.append(node)
    return found


def value_labels(all_rules: list[Any]) -> dict[str, dict[str, str]]:
    """The names of the users, teams and segments that rules name by id, by type: one
    query per type named, for a whole page of segments."""
    from patron.accounts.models import Team, User
    from patron.segments.models import Segment

    kinds = {"owner": USER, "team": TEAM, "in_segment": SEGMENT}
    wanted: dict[str, set[int]] = {USER: set(), TEAM: set(), SEGMENT: set()}
    for rules in all_rules:
        for condition in _walk_conditions(rules):
            kind = kinds.get(condition.get("field"))
            values = condition.get("value")
            for value in values if isinstance(values, list) else [values]:
                if kind and isinstance(value, int) and not isinstance(value, bool):
                    wanted[kind].add(value)
    labels: dict[str, dict[str, str]] = {}
    if wanted[USER]:
        users = User.objects.filter(pk__in=wanted[USER]).values_list("pk", "full_name", "email")
        labels[USER] = {str(pk): name or email for pk, name, email in users}
    if wanted[TEAM]:
        teams = Team.objects.filter(pk__in=wanted[TEAM]).values_list("pk", "name")
        labels[TEAM] = {str(pk): name for pk, name in teams}
    if wanted[SEGMENT]:
        segments = Segment.objects.filter(pk__in=wanted[SEGMENT]).values_list("pk", "name")
        labels[SEGMENT] = {str(pk): name for pk, name in segments}
    return labels


def describe(
    rules: dict[str, Any],
    *,
    fields: dict[str, FieldSpec] | None = None,
    labels: dict[str, dict[str, str]] | None = None,
) -> str:
    """The rules as one line of text ("Lifecycle stage is Customer and …"), for lists.
    `fields`: the catalogue read once for a whole page (else one query here); `labels`:
    names of the users, teams and segments named by id (`value_labels`)."""
    fields = all_fields() if fields is None else fields
    labels = labels or {}

    def value_text(spec: FieldSpec | None, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        names = dict(spec.choices()) if spec is not None and spec.choices else {}
        if spec is not None:
            names.update(labels.get(spec.type, {}))
        if isinstance(value, list):
            return ", ".join(str(names.get(str(v), v)) for v in value)
        return str(names.get(str(value), value))

    def walk(node: dict[str, Any]) -> str:
        word = AND if node.get("match", "all") == "all" else OR
        joiner = f" {word} "
        parts = []
        for child in node.get("conditions", []):
            if "conditions" in child:
                parts.append(f"({walk(child)})")
                continue
            spec = fields.get(child.get("field", ""))
            label = str(spec.label) if spec else child.get("field", "")
            op = child.get("op", "")
            op_text = operator_label(spec, op) if spec and op in OPERATOR_LABELS else op
            shown = value_text(spec, child.get("value"))
            parts.append(" ".join(p for p in (label, op_text, shown) if p))
        return joiner.join(parts)

    return walk(rules) if rules.get("conditions") else _("Every customer")
