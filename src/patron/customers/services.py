"""Every write to customers: validated, visibility-checked, in one transaction, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from babel import Locale
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.audit import audit_create, audit_delete, audit_update, snapshot
from patron.core.errors import Conflict, ValidationFailed
from patron.core.validation import model_validate
from patron.customers.models import Customer

if TYPE_CHECKING:
    from patron.accounts.models import User

EDITABLE_FIELDS = (
    "kind",
    "given_name",
    "family_name",
    "organization_name",
    "language",
    "country",
    "lifecycle_stage",
    "source",
    "owner",
    "team",
)
COUNTRY_CODES = frozenset(code for code in Locale("en").territories if code.isalpha())


def _validate(customer: Customer) -> None:
    """The customer rules, with messages that say what to do; then the field rules."""
    errors: dict[str, list[str]] = {}
    # Text fields arrive as None from some callers (a JSON null): that means empty.
    for name in ("given_name", "family_name", "organization_name", "source", "language"):
        setattr(customer, name, (getattr(customer, name) or "").strip())

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if customer.kind not in Customer.Kind.values:
        fail("kind", _("Choose person or organization."))
    if customer.lifecycle_stage not in Customer.Lifecycle.values:
        fail("lifecycle_stage", _("Unknown lifecycle stage."))
    if customer.language and customer.language not in dict(settings.LANGUAGES):
        fail("language", _("Unsupported language."))
    customer.country = (customer.country or "").strip().upper()
    if customer.country and customer.country not in COUNTRY_CODES:
        fail("country", _("Use a two-letter ISO country code, such as AM or MY."))
    if customer.kind == Customer.Kind.ORGANIZATION and not customer.organization_name.strip():
        fail("organization_name", _("An organization needs a name."))
    if customer.kind == Customer.Kind.PERSON and not (
        customer.given_name.strip() or customer.family_name.strip()
    ):
        fail("given_name", _("A person needs a given or a family name."))
    if customer.owner is not None and not customer.owner.is_active:
        fail("owner", _("The owner must be an active user."))
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, details=errors)
    customer.display_name = customer.compute_display_name()
    model_validate(customer)  # lengths and the rest of the field rules


def _keep_in_sight(actor: User, customer: Customer) -> None:
    """An agent may not save a record into a state where they can no longer see it."""
    if visibility.sees_everything(actor) or visibility.can_read(actor, customer):
        return
    message = _("Keep one of your teams, or yourself as owner: otherwise you lose access.")
    raise ValidationFailed(message, details={"team": [message]})


def _default_team(actor: User) -> Any:
    # An agent's new record lands in their (first) team so that they can still see it.
    return actor.teams.order_by("name").first()


@transaction.atomic
def customer_create(*, actor: User, **fields: Any) -> Customer:
    visibility.require_create(actor)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    customer = Customer(**fields)
    if "owner" not in fields:
        customer.owner = actor
    if "team" not in fields:
        customer.team = _default_team(actor)
    _validate(customer)
    _keep_in_sight(actor, customer)
    customer.save()
    audit_create(actor=actor, instance=customer)
    return customer


@transaction.atomic
def customer_update(
    *, actor: User, customer: Customer, expected_version: int | None = None, **fields: Any
) -> Customer:
    """Apply `fields`; with `expected_version`, refuse (409) if someone saved in between."""
    visibility.require_write(actor, customer)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            _(
                "Someone else changed this customer since you opened it "
                "(version %(current)d, yours %(yours)d). Reload and try again."
            )
            % {"current": current.version, "yours": expected_version},
            details={"current_version": current.version},
        )
    before = snapshot(current)
    for name, value in fields.items():
        setattr(current, name, value)
    _validate(current)
    _keep_in_sight(actor, current)
    if snapshot(current) == before:
        return current
    current.version += 1
    current.save()
    audit_update(actor=actor, instance=current, before=before)
    return current


@transaction.atomic
def customer_delete(*, actor: User, customer: Customer) -> None:
    visibility.require_write(actor, customer)
    audit_delete(actor=actor, instance=customer)
    customer.delete()
