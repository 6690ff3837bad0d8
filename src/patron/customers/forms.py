"""Forms of the customer pages. They shape input for the services, which hold the rules;
only what a browser cannot express (a number, a date) is checked here."""

from __future__ import annotations

import functools
from typing import Any

from babel import Locale
from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from patron.accounts.forms import time_zone_choices
from patron.accounts.models import Team, User
from patron.analytics.models import AbcClass, RelationshipStage, RfmSegment, ValueTier
from patron.core.forms import StyledForm
from patron.customers.models import Channel, Consent, ContactPoint, Customer, CustomField, Purpose

LANGUAGE_HELP = _("Any language, as a code such as en, ar or pt-BR.")
COUNTRY_HELP = _("Two-letter ISO code, such as AM or MY.")


@functools.cache
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    from patron.customers.services import COUNTRY_CODES

    try:
        names = Locale.parse(language, sep="-").territories
    except (ValueError, TypeError):
        names = Locale("en").territories
    return tuple(sorted(((c, names.get(c, c)) for c in COUNTRY_CODES), key=lambda p: p[1]))


def country_choices() -> list[tuple[str, str]]:
    """Every country, named in the user's language, sorted by that name."""
    return list(_countries(get_language() or "en"))


def active_users() -> Any:
    return User.objects.filter(is_active=True).order_by("full_name", "email")


def share_choices(forms_: list[forms.Form | None], *names: str) -> None:
    """Render these model choice fields of several forms from one query each: the list
    page shows owners and teams in the filters and again in the bulk actions."""
    for name in names:
        present = [f for f in forms_ if f is not None and name in f.fields]
        if not present:
            continue
        field = present[0].fields[name]
        options = [(value, label) for value, label in field.choices if value != ""]
        for form in present:
            blank = form.fields[name].empty_label
            form.fields[name].widget.choices = [("", blank), *options]


class CustomerForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices)
    given_name = forms.CharField(label=_("Given name"), max_length=120, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=120, required=False)
    organization_name = forms.CharField(
        label=_("Organization name"), max_length=200, required=False
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"), choices=Customer.Lifecycle.choices
    )
    language = forms.CharField(
        label=_("Language"), max_length=16, required=False, help_text=LANGUAGE_HELP
    )
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=COUNTRY_HELP
    )
    source = forms.CharField(label=_("Source"), max_length=100, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=active_users())
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.all())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class EssentialsForm(CustomerForm):
    """The essentials section of the customer page: CustomerForm plus place and time zone."""

    city = forms.CharField(label=_("City"), max_length=100, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    field_order = [
        "kind",
        "lifecycle_stage",
        "given_name",
        "family_name",
        "organization_name",
        "language",
        "country",
        "city",
        "time_zone",
        "source",
        "owner",
        "team",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", "—"), *time_zone_choices()]


SORT_CHOICES = [
    ("name", _("Name A–Z")),
    ("-name", _("Name Z–A")),
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("-updated", _("Recently changed")),
    ("updated", _("Least recently changed")),
    # By the figures of the last refresh; customers without them come last.
    ("-clv_12m", _("Highest predicted value")),
    ("clv_12m", _("Lowest predicted value")),
    ("-revenue_12m", _("Highest revenue, 12 months")),
    ("revenue_12m", _("Lowest revenue, 12 months")),
    ("-p_alive", _("Most likely still active")),
    ("p_alive", _("Least likely still active")),
    ("recency_days", _("Bought most recently")),
    ("-recency_days", _("Longest since an order")),
]
SCORE_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


class CustomerFilterForm(StyledForm):
    """The filters of the customer list; also what a saved view stores (as a query string)."""

    FILTERS = ("q", "kind", "lifecycle_stage", "owner", "team", "tag", "country", "stale")
    # Filters by the figures of the last refresh (patron.analytics), the names the value
    # dashboards link with.
    FIGURES = (
        "value_tier",
        "abc_class",
        "rfm_segment",
        "relationship_stage",
        "r_score",
        "f_score",
        "clv_min",
        "clv_max",
    )

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *Customer.Kind.choices],
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"),
        required=False,
        choices=[("", _("All stages")), *Customer.Lifecycle.choices],
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), required=False, queryset=active_users(), empty_label=_("All owners")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("All teams")
    )
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    stale = forms.BooleanField(label=_("Not confirmed for a long time"), required=False)
    value_tier = forms.ChoiceField(
        label=_("Value tier"), required=False, choices=[("", _("All tiers")), *ValueTier.choices]
    )
    abc_class = forms.ChoiceField(
        label=_("ABC class"), required=False, choices=[("", _("All classes")), *AbcClass.choices]
    )
    rfm_segment = forms.ChoiceField(
        label=_("RFM segment"),
        required=False,
        choices=[("", _("All segments")), *RfmSegment.choices],
    )
    relationship_stage = forms.ChoiceField(
        label=_("Relationship stage"),
        required=False,
        choices=[("", _("All stages")), *RelationshipStage.choices],
    )
    r_score = forms.TypedChoiceField(
        label=_("Recency score"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), *SCORE_CHOICES],
    )
    f_score = forms.TypedChoiceField(
        label=_("Frequency score"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), *SCORE_CHOICES],
    )
    clv_min = forms.DecimalField(
        label=_("Predicted value from"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    clv_max = forms.DecimalField(
        label=_("Predicted value up to"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, tags: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("All tags")), *((t, t) for t in tags)]
        self.fields["country"].choices = [("", _("All countries")), *country_choices()]
        for field in self.fields.values():
            # The filter bar shows no help text: nothing for the widgets to point to.
            field.widget.attrs.pop("aria-describedby", None)

    def selectors_arguments(self) -> dict[str, Any]:
        """The valid filters, as keyword arguments of selectors.customer_list. A bad value in
        one filter (a stale bookmark) drops that filter only."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        data = {k: v for k, v in cleaned.items() if v}
        owner, team = data.get("owner"), data.get("team")
        figures = {name: cleaned.get(name) for name in self.FIGURES}
        for name in ("value_tier", "abc_class", "rfm_segment", "relationship_stage"):
            figures[name] = figures[name] or ""
        return {
            "query": data.get("q", ""),
            "kind": data.get("kind", ""),
            "lifecycle_stage": data.get("lifecycle_stage", ""),
            "owner_id": owner.pk if owner else None,
            "team_id": team.pk if team else None,
            "tag": data.get("tag", ""),
            "country": data.get("country", ""),
            "stale": bool(data.get("stale")),
            **figures,
            "sort": data.get("sort") or "name",
        }

    @property
    def filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in self.FILTERS) or self.by_figures

    def figure_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.FIGURES]

    @property
    def by_figures(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) not in (None, "") for name in self.FIGURES)


class BulkActionForm(StyledForm):
    owner = forms.ModelChoiceField(
        label=_("Assign owner"), required=False, queryset=active_users(), empty_label="—"
    )
    team = forms.ModelChoiceField(
        label=_("Assign team"), required=False, queryset=Team.objects.all(), empty_label="—"
    )
    tag = forms.CharField(label=_("Add tag"), required=False, max_length=60)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("owner") or data.get("team") or (data.get("tag") or "").strip()):
            raise forms.ValidationError(_("Choose an owner, a team or a tag to apply."))
        return data


class SavedViewForm(StyledForm):
    name = forms.CharField(label=_("View name"), max_length=80)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


# --- Sections of the customer page ------------------------------------------------------


class ServicePreferencesForm(StyledForm):
    payment_method = forms.CharField(label=_("Payment method"), max_length=100, required=False)
    invoicing = forms.CharField(label=_("Invoicing"), max_length=200, required=False)
    delivery = forms.CharField(label=_("Delivery"), max_length=200, required=False)
    packaging = forms.CharField(label=_("Packaging"), max_length=200, required=False)
    vip_handling = forms.CharField(label=_("VIP handling"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Service notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ContactPreferencesForm(StyledForm):
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), required=False, choices=[("", "—"), *Channel.choices]
    )
    max_messages_per_30_days = forms.IntegerField(
        label=_("At most messages per 30 days"),
        required=False,
        min_value=0,
        help_text=_("Empty means no limit. Service messages do not count."),
    )
    quiet_hours_start = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet hours until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("In the customer's time zone."),
    )


class ContactPointForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactPoint.Kind.choices)
    value = forms.CharField(label=_("Value"), max_length=500)
    label = forms.CharField(
        label=_("Label"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("work, home…")}),
    )
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=COUNTRY_HELP
    )
    preferred = forms.BooleanField(label=_("Preferred for its kind"), required=False)

    ADDRESS_ONLY = ("city", "postal_code")

    def __init__(self, *args: Any, editing: ContactPoint | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing is not None:
            # The kind of a contact point does not change: delete it and add another.
            del self.fields["kind"]
            if editing.kind != ContactPoint.Kind.ADDRESS:
                for name in self.ADDRESS_ONLY:
                    del self.fields[name]


class IdentifierForm(StyledForm):
    system = forms.CharField(
        label=_("System"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("erp, shop…")}),
    )
    value = forms.CharField(label=_("Identifier"), max_length=200)


class MembershipForm(StyledForm):
    organization_query = forms.CharField(
        label=_("Organization"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("Type a name…")}),
    )
    # Ticked among the suggestions (radio buttons the template renders).
    organization = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    title = forms.CharField(label=_("Title or role"), max_length=120, required=False)


class ConsentForm(StyledForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    # No default: a decision is recorded only when someone chooses it.
    status = forms.ChoiceField(label=_("Decision"), choices=[("", "—"), *Consent.Status.choices])
    source = forms.CharField(
        label=_("Source"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("phone call, web form…")}),
    )
    evidence = forms.CharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TagsForm(StyledForm):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=4000,
        help_text=_("Separate tags with commas."),
        widget=forms.TextInput(attrs={"list": "tag-names", "autocomplete": "off"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def tag_list(self) -> list[str]:
        return [t for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]


def custom_field_name(key: str) -> str:
    return f"cf_{key}"


def _custom_form_field(definition: CustomField) -> forms.Field:
    common = {"label": definition.label, "required": False, "help_text": definition.help_text}
    kind = definition.field_type
    if kind == CustomField.Type.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == CustomField.Type.BOOLEAN:
        choices = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]
        return forms.ChoiceField(choices=choices, **common)
    if kind == CustomField.Type.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *((c, c) for c in definition.choices)], **common
        )
    if kind == CustomField.Type.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    return forms.CharField(max_length=1000, **common)


class CustomFieldValuesForm(StyledForm):
    """One input per admin-defined field; the services check each value against its type.
    Build the class for the current definitions with `for_definitions`."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    definitions: list[CustomField] = []

    @classmethod
    def for_definitions(cls, definitions: list[CustomField]) -> type[CustomFieldValuesForm]:
        fields: dict[str, Any] = {
            custom_field_name(d.key): _custom_form_field(d) for d in definitions
        }
        return type("CustomFieldValuesForm", (cls,), {**fields, "definitions": definitions})

    @staticmethod
    def initial_for(customer: Customer, definitions: list[CustomField]) -> dict[str, Any]:
        values = customer.custom_fields or {}
        initial: dict[str, Any] = {"version": customer.version}
        for definition in definitions:
            value = values.get(definition.key)
            if definition.field_type == CustomField.Type.BOOLEAN and value is not None:
                value = "yes" if value else "no"
            initial[custom_field_name(definition.key)] = value
        return initial

    def values(self) -> dict[str, Any]:
        """Every defined field, None for the emptied ones (the service removes those)."""
        values: dict[str, Any] = {}
        for definition in self.definitions:
            value = self.cleaned_data.get(custom_field_name(definition.key))
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            values[definition.key] = value if value not in ("", None) else None
        return values


# --- Admin: custom field definitions ----------------------------------------------------


class CustomFieldForm(StyledForm):
    label = forms.CharField(label=_("Label"), max_length=100)
    key = forms.CharField(
        label=_("Key"),
        max_length=50,
        help_text=_(
            "Used in imports, exports and the API: lower-case letters, digits and _. "
            "It cannot change later."
        ),
    )
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomField.Type.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a choice field: one choice per line."),
    )
    help_text = forms.CharField(label=_("Help text"), max_length=200, required=False)
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=32767,
        initial=0,
        help_text=_("Fields are shown in this order."),
    )

    def __init__(self, *args: Any, editing: CustomField | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing is not None:
            self.fields["key"].disabled = True
            self.fields["key"].help_text = _("The key cannot change: values are stored under it.")

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["choices"] = [line.strip() for line in data["choices"].splitlines() if line.strip()]
        if self.fields["key"].disabled:
            data.pop("key")
        return data
