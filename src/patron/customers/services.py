"""Every write to customers: validated, visibility-checked, in one transaction, audited.

Sub-records (contact points, identifiers, memberships, consent, preferences, tags) are
audited on their customer, so the customer's history reads as one story.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from babel import Locale
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.accounts.models import time_zone_names
from patron.core import visibility
from patron.core.audit import audit_create, audit_delete, audit_record, audit_update, snapshot
from patron.core.errors import Conflict, NotFound, ValidationFailed
from patron.core.models import AuditEntry
from patron.core.validation import model_validate
from patron.customers import custom_fields as custom_field_rules
from patron.customers.contact import (
    InvalidContact,
    normalize_address,
    normalize_email,
    normalize_phone,
    normalize_social,
    normalize_web,
    search_value,
)
from patron.customers.languages import normalize_language
from patron.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomField,
    ExternalIdentifier,
    Membership,
    Preferences,
    SavedView,
    SearchTerm,
    Tag,
)
from patron.customers.search import customer_terms

if TYPE_CHECKING:
    from patron.accounts.models import User

EDITABLE_FIELDS = (
    "kind",
    "given_name",
    "family_name",
    "organization_name",
    "language",
    "country",
    "city",
    "time_zone",
    "lifecycle_stage",
    "source",
    "owner",
    "team",
    "custom_fields",
)
COUNTRY_CODES = frozenset(code for code in Locale("en").territories if code.isalpha())
MAX_TAGS = 50


def fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={field: [message]})


def _validate(customer: Customer) -> None:
    """The customer rules, with messages that say what to do; then the field rules."""
    errors: dict[str, list[str]] = {}
    # Text fields arrive as None from some callers (a JSON null): that means empty.
    for name in (
        "given_name",
        "family_name",
        "organization_name",
        "source",
        "language",
        "city",
        "time_zone",
    ):
        setattr(customer, name, (getattr(customer, name) or "").strip())

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if customer.kind not in Customer.Kind.values:
        add("kind", _("Choose person or organization."))
    if customer.lifecycle_stage not in Customer.Lifecycle.values:
        add("lifecycle_stage", _("Unknown lifecycle stage."))
    if customer.language:
        code = normalize_language(customer.language)
        if code is None:
            add("language", _("Unknown language code; use one such as en, ar or pt-BR."))
        else:
            customer.language = code
    customer.country = (customer.country or "").strip().upper()
    if customer.country and customer.country not in COUNTRY_CODES:
        add("country", _("Use a two-letter ISO country code, such as AM or MY."))
    if customer.time_zone and customer.time_zone not in time_zone_names():
        add("time_zone", _("Unknown time zone; use a name such as Asia/Yerevan."))
    if customer.kind == Customer.Kind.ORGANIZATION and not customer.organization_name.strip():
        add("organization_name", _("An organization needs a name."))
    if customer.kind == Customer.Kind.PERSON and not (
        customer.given_name.strip() or customer.family_name.strip()
    ):
        add("given_name", _("A person needs a given or a family name."))
    if customer.owner is not None and not customer.owner.is_active:
        add("owner", _("The owner must be an active user."))
    try:
        customer.custom_fields = custom_field_rules.clean_values(customer.custom_fields or {})
    except ValidationFailed as exc:
        for field, messages in exc.details.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, details=errors)
    customer.display_name = customer.compute_display_name()
    model_validate(customer)  # lengths and the rest of the field rules


def _keep_in_sight(actor: User, customer: Customer) -> None:
    """An agent may not save a record into a state where they can no longer see it."""
    if visibility.sees_everything(actor) or visibility.can_read(actor, customer):
        return
    raise fail(
        "team", _("Keep one of your teams, or yourself as owner: otherwise you lose access.")
    )


def _default_team(actor: User) -> Any:
    # An agent's new record lands in their (first) team so that they can still see it.
    return actor.teams.order_by("name").first()


def _refuse_unknown(fields: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )


def search_terms_refresh(customer_ids: Iterable[int]) -> None:
    """Rebuild the search terms of these customers from their name, phones and external
    ids. Set-based: three reads and two writes whatever the number of ids."""
    ids = list(customer_ids)
    if not ids:
        return
    names = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "display_name"))
    phones: dict[int, list[str]] = {}
    for cid, value in ContactPoint.objects.filter(customer_id__in=ids, kind="phone").values_list(
        "customer_id", "value"
    ):
        with contextlib.suppress(InvalidContact):
            phones.setdefault(cid, []).append(normalize_phone(value).national_digits)
    identifiers: dict[int, list[str]] = {}
    for cid, value in ExternalIdentifier.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "value"
    ):
        identifiers.setdefault(cid, []).append(value)
    SearchTerm.objects.filter(customer_id__in=ids).delete()
    SearchTerm.objects.bulk_create(
        [
            SearchTerm(customer_id=cid, term=term)
            for cid, name in names.items()
            for term in customer_terms(
                display_name=name,
                phones_national=phones.get(cid, ()),
                identifiers=identifiers.get(cid, ()),
            )
        ],
        batch_size=1000,
    )


def _touch(customer: Customer) -> None:
    """A change to a sub-record is a change to the customer: a stale edit is refused."""
    Customer.objects.filter(pk=customer.pk).update(
        version=customer.version + 1, updated_at=timezone.now()
    )
    customer.version += 1


def _check_version(current: Customer, expected_version: int | None) -> None:
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            _(
                "Someone else changed this customer since you opened it "
                "(version %(current)d, yours %(yours)d). Reload and try again."
            )
            % {"current": current.version, "yours": expected_version},
            details={"current_version": current.version},
        )


def tag_names_clean(names: Iterable[str]) -> list[str]:
    cleaned = []
    for name in names:
        name = " ".join(str(name or "").split())
        if not name:
            continue
        if len(name) > 60:
            raise fail(
                "tags", _("A tag has at most 60 characters: “%(tag)s…”.") % {"tag": name[:20]}
            )
        if name.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise fail("tags", _("At most %(n)d tags per customer.") % {"n": MAX_TAGS})
    return cleaned


def tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    """Tags by name, case-insensitively reusing existing ones."""
    wanted = tag_names_clean(names)
    if not wanted:
        return []
    existing = {
        t.name.casefold(): t
        for t in Tag.objects.all()
        if t.name.casefold() in {w.casefold() for w in wanted}
    }
    tags = []
    for name in wanted:
        tag = existing.get(name.casefold())
        if tag is None:
            tag, _created = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    return tags


def _set_tags(actor: User | None, customer: Customer, names: Iterable[str]) -> bool:
    tags = tags_get_or_create(names)
    before = sorted(customer.tags.values_list("name", flat=True))
    after = sorted(t.name for t in tags)
    if before == after:
        return False
    customer.tags.set(tags)
    audit_record(
        actor, AuditEntry.Action.UPDATE, customer, [{"field": "tags", "old": before, "new": after}]
    )
    return True


@transaction.atomic
def customer_create(*, actor: User, tags: Iterable[str] | None = None, **fields: Any) -> Customer:
    visibility.require_create(actor)
    _refuse_unknown(fields, EDITABLE_FIELDS)
    customer = Customer(**fields)
    if "owner" not in fields:
        customer.owner = actor
    if "team" not in fields:
        customer.team = _default_team(actor)
    _validate(customer)
    _keep_in_sight(actor, customer)
    customer.save()
    audit_create(actor=actor, instance=customer)
    if tags:
        customer.tags.set(tags_get_or_create(tags))
    search_terms_refresh([customer.pk])
    return customer


@transaction.atomic
def customer_update(
    *,
    actor: User,
    customer: Customer,
    expected_version: int | None = None,
    tags: Iterable[str] | None = None,
    **fields: Any,
) -> Customer:
    """Apply `fields`; with `expected_version`, refuse (409) if someone saved in between."""
    visibility.require_write(actor, customer)
    _refuse_unknown(fields, EDITABLE_FIELDS)
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    _check_version(current, expected_version)
    if current.custom_fields:
        # Values of a custom field an admin has deleted since are dropped, not refused.
        defined = custom_field_rules.definitions()
        current.custom_fields = {k: v for k, v in current.custom_fields.items() if k in defined}
    if "custom_fields" in fields and fields["custom_fields"] is not None:
        # A patch of custom fields merges; a null value removes that one field.
        merged = dict(current.custom_fields or {})
        merged.update(fields["custom_fields"])
        fields["custom_fields"] = {k: v for k, v in merged.items() if v not in (None, "")}
    before = snapshot(current)
    for name, value in fields.items():
        setattr(current, name, value)
    _validate(current)
    _keep_in_sight(actor, current)
    tags_changed = tags is not None and _set_tags(actor, current, tags)
    if snapshot(current) == before:
        if tags_changed:
            _touch(current)
        return current
    current.version += 1
    current.save()
    audit_update(actor=actor, instance=current, before=before)
    if current.display_name != before.get("display_name"):
        search_terms_refresh([current.pk])
    return current


@transaction.atomic
def customer_delete(*, actor: User, customer: Customer) -> None:
    visibility.require_write(actor, customer)
    audit_delete(actor=actor, instance=customer)
    customer.delete()


@transaction.atomic
def customer_confirm(*, actor: User, customer: Customer) -> Customer:
    """Someone checked the record with the customer: it is no longer stale."""
    visibility.require_write(actor, customer)
    now = timezone.now()
    before = snapshot(customer, ["last_confirmed_at"])
    customer.last_confirmed_at = now
    Customer.objects.filter(pk=customer.pk).update(last_confirmed_at=now)
    audit_update(actor=actor, instance=customer, before=before)
    return customer


# --- Contact points ---------------------------------------------------------------------


def contact_value_clean(kind: str, value: str, *, country: str = "") -> str:
    """The stored form of a contact value, or ValidationFailed naming the field."""
    try:
        if kind == ContactPoint.Kind.EMAIL:
            return normalize_email(value)
        if kind == ContactPoint.Kind.PHONE:
            return normalize_phone(value, country).e164
        if kind == ContactPoint.Kind.WEB:
            return normalize_web(value)
        if kind == ContactPoint.Kind.SOCIAL:
            return normalize_social(value)
        if kind == ContactPoint.Kind.ADDRESS:
            return normalize_address(value)
    except InvalidContact as exc:
        raise fail("value", str(exc)) from exc
    raise fail("kind", _("Choose email, phone, address, social or web."))


CONTACT_FIELDS = (
    "kind",
    "label",
    "value",
    "city",
    "postal_code",
    "country",
    "preferred",
    "verified_at",
    "last_confirmed_at",
)


def _contact_prepare(point: ContactPoint, customer: Customer) -> None:
    point.label = (point.label or "").strip()
    point.city = (point.city or "").strip()
    point.postal_code = (point.postal_code or "").strip()
    point.country = (point.country or "").strip().upper()
    if point.country and point.country not in COUNTRY_CODES:
        raise fail("country", _("Use a two-letter ISO country code, such as AM or MY."))
    point.value = contact_value_clean(
        point.kind, point.value, country=point.country or customer.country
    )
    point.search_value = search_value(point.kind, point.value)
    duplicate = ContactPoint.objects.filter(
        customer=customer, kind=point.kind, search_value=point.search_value
    ).exclude(pk=point.pk)
    if duplicate.exists():
        raise fail("value", _("This customer already has %(value)s.") % {"value": point.value})
    model_validate(point, exclude=["customer", "search_value"])


def _only_one_preferred(point: ContactPoint) -> None:
    if point.preferred:
        ContactPoint.objects.filter(customer_id=point.customer_id, kind=point.kind).exclude(
            pk=point.pk
        ).update(preferred=False)


def _contact_audit(actor: User, customer: Customer, old: str | None, new: str | None) -> None:
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        customer,
        [{"field": "contact_points", "old": old, "new": new}],
    )


@transaction.atomic
def contact_point_add(*, actor: User, customer: Customer, **fields: Any) -> ContactPoint:
    visibility.require_write(actor, customer)
    _refuse_unknown(fields, CONTACT_FIELDS)
    point = ContactPoint(customer=customer, **fields)
    _contact_prepare(point, customer)
    if not ContactPoint.objects.filter(customer=customer, kind=point.kind).exists():
        point.preferred = True  # the first of its kind is the one to use
    point.save()
    _only_one_preferred(point)
    _contact_audit(actor, customer, None, str(point))
    _touch(customer)
    search_terms_refresh([customer.pk])
    return point


@transaction.atomic
def contact_point_update(*, actor: User, point: ContactPoint, **fields: Any) -> ContactPoint:
    customer = point.customer
    visibility.require_write(actor, customer)
    _refuse_unknown(fields, set(CONTACT_FIELDS) - {"kind"})
    before = str(point)
    for name, value in fields.items():
        setattr(point, name, value)
    _contact_prepare(point, customer)
    point.save()
    _only_one_preferred(point)
    if str(point) != before or fields:
        _contact_audit(actor, customer, before, str(point))
    _touch(customer)
    search_terms_refresh([customer.pk])
    return point


@transaction.atomic
def contact_point_confirm(
    *, actor: User, point: ContactPoint, verified: bool = False
) -> ContactPoint:
    visibility.require_write(actor, point.customer)
    now = timezone.now()
    point.last_confirmed_at = now
    if verified:
        point.verified_at = now
    point.save(update_fields=["last_confirmed_at", "verified_at", "updated_at"])
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        point.customer,
        [
            {
                "field": "contact_points",
                "old": None,
                "new": _("%(point)s confirmed") % {"point": point},
            }
        ],
    )
    return point


@transaction.atomic
def contact_point_delete(*, actor: User, point: ContactPoint) -> None:
    customer = point.customer
    visibility.require_write(actor, customer)
    was_preferred = point.preferred
    _contact_audit(actor, customer, str(point), None)
    point.delete()
    if was_preferred:
        successor = ContactPoint.objects.filter(customer=customer, kind=point.kind).first()
        if successor is not None:
            ContactPoint.objects.filter(pk=successor.pk).update(preferred=True)
    _touch(customer)
    search_terms_refresh([customer.pk])


# --- External identifiers ---------------------------------------------------------------


def identifier_clean(system: str, value: str) -> tuple[str, str]:
    system = (system or "").strip().lower()
    value = (value or "").strip()
    if not system or len(system) > 50:
        raise fail("system", _("Name the system in 1 to 50 characters, such as erp or shop."))
    if not value or len(value) > 200:
        raise fail("value", _("The identifier has 1 to 200 characters."))
    return system, value


def identifier_owner(system: str, value: str) -> int | None:
    return (
        ExternalIdentifier.objects.filter(system=system, value=value)
        .values_list("customer_id", flat=True)
        .first()
    )


@transaction.atomic
def identifier_add(
    *, actor: User, customer: Customer, system: str, value: str
) -> ExternalIdentifier:
    visibility.require_write(actor, customer)
    system, value = identifier_clean(system, value)
    holder = identifier_owner(system, value)
    if holder == customer.pk:
        return ExternalIdentifier.objects.get(system=system, value=value)
    if holder is not None:
        # A customer out of the actor's sight is not named: its id would leak.
        other = Customer.objects.filter(pk=holder).only("owner_id", "team_id").first()
        if other is None or not visibility.can_read(actor, other):
            raise Conflict(
                _("%(system)s id %(value)s already belongs to another customer.")
                % {"system": system, "value": value},
                details={"value": [_("Already used in this system.")]},
            )
        raise Conflict(
            _("%(system)s id %(value)s already belongs to another customer (#%(id)s).")
            % {"system": system, "value": value, "id": holder},
            details={"value": [_("Already used in this system.")], "customer_id": holder},
        )
    identifier = ExternalIdentifier.objects.create(customer=customer, system=system, value=value)
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        customer,
        [{"field": "identifiers", "old": None, "new": str(identifier)}],
    )
    search_terms_refresh([customer.pk])
    return identifier


@transaction.atomic
def identifier_delete(*, actor: User, identifier: ExternalIdentifier) -> None:
    customer = identifier.customer
    visibility.require_write(actor, customer)
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        customer,
        [{"field": "identifiers", "old": str(identifier), "new": None}],
    )
    identifier.delete()
    search_terms_refresh([customer.pk])


# --- Memberships ------------------------------------------------------------------------


@transaction.atomic
def membership_add(
    *, actor: User, person: Customer, organization: Customer, title: str = ""
) -> Membership:
    visibility.require_write(actor, person)
    if not visibility.can_read(actor, organization):
        raise NotFound(_("Not found."))
    if person.kind != Customer.Kind.PERSON:
        raise fail("person", _("Only a person can be a member of an organization."))
    if organization.kind != Customer.Kind.ORGANIZATION:
        raise fail("organization_id", _("Choose an organization, not a person."))
    title = (title or "").strip()
    if len(title) > 120:
        raise fail("title", _("A title has at most 120 characters."))
    membership, created = Membership.objects.get_or_create(
        person=person, organization=organization, defaults={"title": title}
    )
    if not created and membership.title != title:
        membership.title = title
        membership.save(update_fields=["title", "updated_at"])
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        person,
        [
            {
                "field": "organizations",
                "old": None,
                "new": f"{organization.display_name} ({title})"
                if title
                else organization.display_name,
            }
        ],
    )
    return membership


@transaction.atomic
def membership_delete(*, actor: User, membership: Membership) -> None:
    visibility.require_write(actor, membership.person)
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        membership.person,
        [{"field": "organizations", "old": membership.organization.display_name, "new": None}],
    )
    membership.delete()


# --- Consent and preferences ------------------------------------------------------------


@transaction.atomic
def consent_set(
    *,
    actor: User | None,
    customer: Customer,
    channel: str,
    purpose: str,
    status: str,
    source: str = "",
    evidence: str = "",
    recorded_at: dt.datetime | None = None,
) -> Consent:
    """Record the customer's decision for one channel and purpose. The previous decision
    stays readable in the audit log."""
    if actor is not None:
        visibility.require_write(actor, customer)
    from patron.customers.models import Channel, Purpose

    if channel not in Channel.values:
        raise fail("channel", _("Unknown channel “%(value)s”.") % {"value": channel})
    if purpose not in Purpose.values:
        raise fail("purpose", _("Unknown purpose “%(value)s”.") % {"value": purpose})
    if status not in Consent.Status.values:
        raise fail("status", _("Status is granted, denied or withdrawn."))
    consent = Consent.objects.filter(customer=customer, channel=channel, purpose=purpose).first()
    old = consent.status if consent else None
    if consent is None:
        consent = Consent(customer=customer, channel=channel, purpose=purpose)
    consent.status = status
    consent.source = (source or "").strip()[:100]
    consent.evidence = (evidence or "").strip()
    consent.recorded_at = recorded_at or timezone.now()
    model_validate(consent, exclude=["customer"])
    consent.save()
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        customer,
        [{"field": f"consent {channel}/{purpose}", "old": old, "new": status}],
    )
    return consent


PREFERENCE_FIELDS = tuple(
    f.name for f in Preferences._meta.concrete_fields if f.name not in ("customer", "updated_at")
)


@transaction.atomic
def preferences_update(*, actor: User, customer: Customer, **fields: Any) -> Preferences:
    visibility.require_write(actor, customer)
    _refuse_unknown(fields, PREFERENCE_FIELDS)
    preferences, _created = Preferences.objects.get_or_create(customer=customer)
    before = snapshot(preferences, PREFERENCE_FIELDS)
    for name, value in fields.items():
        if isinstance(value, str) or (
            value is None
            and name not in ("max_messages_per_30_days", "quiet_hours_start", "quiet_hours_end")
        ):
            value = (value or "").strip()
        setattr(preferences, name, value)
    if (preferences.quiet_hours_start is None) != (preferences.quiet_hours_end is None):
        raise fail("quiet_hours_end", _("Give both ends of the quiet hours, or neither."))
    if (
        preferences.max_messages_per_30_days is not None
        and preferences.max_messages_per_30_days > 1000
    ):
        raise fail("max_messages_per_30_days", _("At most 1000 messages per 30 days."))
    model_validate(preferences, exclude=["customer"])
    preferences.save()
    after = snapshot(preferences, PREFERENCE_FIELDS)
    changes = [
        {"field": k, "old": before[k], "new": after[k]} for k in after if before[k] != after[k]
    ]
    if changes:
        audit_record(actor, AuditEntry.Action.UPDATE, customer, changes)
    return preferences


# --- Bulk actions from the list ---------------------------------------------------------


@transaction.atomic
def customers_bulk_assign(
    *,
    actor: User,
    customers: Iterable[Customer],
    owner: Any = None,
    team: Any = None,
    tags_add: Iterable[str] = (),
) -> int:
    """Assign an owner and/or team and/or add tags to customers the actor may change."""
    changed = 0
    new_tags = tags_get_or_create(tags_add)
    for customer in customers:
        fields: dict[str, Any] = {}
        if owner is not None:
            fields["owner"] = owner
        if team is not None:
            fields["team"] = team
        if fields:
            before = customer.version
            customer = customer_update(actor=actor, customer=customer, **fields)
            changed += int(customer.version != before)
        if new_tags:
            names = set(customer.tags.values_list("name", flat=True))
            if not {t.name for t in new_tags} <= names:
                _set_tags(actor, customer, [*names, *(t.name for t in new_tags)])
                changed += 1 if not fields else 0
    return changed


# --- Custom fields, saved views ---------------------------------------------------------


@transaction.atomic
def custom_field_save(
    *, actor: User, field: CustomField | None = None, **values: Any
) -> CustomField:
    visibility.require_admin(actor)
    _refuse_unknown(values, ("key", "label", "field_type", "choices", "help_text", "position"))
    creating = field is None
    field = field or CustomField()
    before = snapshot(field) if not creating else {}
    if not creating and "key" in values and values["key"] != field.key:
        raise fail(
            "key", _("The key of an existing field cannot change: values are stored under it.")
        )
    for name, value in values.items():
        setattr(field, name, value)
    custom_field_rules.clean_definition(field)
    if creating and CustomField.objects.filter(key=field.key).exists():
        raise fail("key", _("A custom field with this key exists."))
    field.save()
    if creating:
        audit_create(actor=actor, instance=field)
    else:
        audit_update(actor=actor, instance=field, before=before)
    return field


@transaction.atomic
def custom_field_delete(*, actor: User, field: CustomField) -> None:
    visibility.require_admin(actor)
    audit_delete(actor=actor, instance=field)
    field.delete()


@transaction.atomic
def saved_view_save(*, actor: User, name: str, query: str) -> SavedView:
    name = " ".join((name or "").split())
    if not name:
        raise fail("name", _("Give the view a name."))
    if len(name) > 80:
        raise fail("name", _("A view name has at most 80 characters."))
    if len(query or "") > 1000:
        raise fail("query", _("These filters are too long to save."))
    view, _created = SavedView.objects.update_or_create(
        user=actor, name=name, defaults={"query": (query or "").lstrip("?")}
    )
    return view


@transaction.atomic
def saved_view_delete(*, actor: User, view: SavedView) -> None:
    if view.user_id != actor.pk:
        raise NotFound(_("Not found."))
    view.delete()


def integrity_message(exc: IntegrityError) -> str:
    return _("This change conflicts with another record: %(reason)s") % {"reason": str(exc)[:200]}
