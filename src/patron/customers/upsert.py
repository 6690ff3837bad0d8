"""Create-or-update of a customer keyed by external identifiers: what makes API creates
(and any other caller that knows a customer's id in another system) idempotent.

Sending the same external identifier twice updates the one customer it belongs to instead
of creating a second one. The whole write (customer, emails, phones, identifiers, tags) is
one transaction: a bad phone number leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.errors import Conflict, ValidationFailed
from patron.customers import services
from patron.customers.contact import search_value
from patron.customers.models import ContactPoint, Customer, ExternalIdentifier

if TYPE_CHECKING:
    from patron.accounts.models import User

# A nested contact is a plain value ("ani@example.com") or {"value", "label", "preferred"}.
NestedContact = str | Mapping[str, Any]


def rekeyed(exc: ValidationFailed, prefix: str, main_field: str = "value") -> ValidationFailed:
    """The same error with its fields named under `prefix` (`phones.0`, `phones.0.label`),
    so the caller learns which nested item was refused."""
    details: dict[str, list[str]] = {}
    for field, messages in (exc.details or {}).items():
        name = prefix if field in (main_field, "") else f"{prefix}.{field}"
        listed = messages if isinstance(messages, list) else [str(messages)]
        details.setdefault(name, []).extend(listed)
    return ValidationFailed(exc.message, details=details or {prefix: [exc.message]})


def _raise_collected(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], details=errors)


def identifiers_clean(
    identifiers: Iterable[Mapping[str, str]],
) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """(system, value) pairs, cleaned and without repeats, and the errors by item
    (`identifiers.N.value`)."""
    pairs: list[tuple[str, str]] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(identifiers):
        try:
            pair = services.identifier_clean(item.get("system", ""), item.get("value", ""))
        except ValidationFailed as exc:
            errors.update(rekeyed(exc, f"identifiers.{index}", main_field="").details)
            continue
        if pair not in pairs:
            pairs.append(pair)
    return pairs, errors


def _holders(pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Which customer holds each of these identifiers already (one query)."""
    if not pairs:
        return {}
    condition = reduce(or_, (Q(system=s, value=v) for s, v in pairs))
    rows = ExternalIdentifier.objects.filter(condition).values_list(
        "system", "value", "customer_id"
    )
    return {(s, v): cid for s, v, cid in rows}


def _target(actor: User, holders: dict[tuple[str, str], int]) -> Customer | None:
    """The customer the identifiers point at, or None if they are all new."""
    customer_ids = sorted(set(holders.values()))
    if not customer_ids:
        return None
    customers = list(Customer.objects.filter(pk__in=customer_ids).select_related("owner", "team"))
    visible = [c.pk for c in customers if visibility.can_read(actor, c)]
    if len(customer_ids) > 1:
        message = _(
            "These identifiers belong to %(n)d different customers; send the identifiers "
            "of one customer, or merge them first."
        ) % {"n": len(customer_ids)}
        raise Conflict(message, details={"identifiers": [message], "customer_ids": visible})
    if not visible:
        message = _("This identifier already belongs to a customer you cannot see.")
        raise Conflict(message, details={"identifiers": [message]})
    return customers[0]


def _contact_item(item: NestedContact) -> dict[str, Any]:
    if isinstance(item, str):
        return {"value": item}
    return {k: v for k, v in item.items() if k in ("value", "label", "preferred")}


def _contacts_clean(
    kind: str, items: Sequence[NestedContact], country: str, prefix: str
) -> tuple[list[tuple[int, str, dict[str, Any]]], dict[str, list[str]]]:
    """(index, search value, fields) of each item; repeats dropped; errors by item."""
    cleaned: list[tuple[int, str, dict[str, Any]]] = []
    errors: dict[str, list[str]] = {}
    for index, raw in enumerate(items):
        fields = _contact_item(raw)
        try:
            value = services.contact_value_clean(kind, fields.get("value") or "", country=country)
        except ValidationFailed as exc:
            errors.update(rekeyed(exc, f"{prefix}.{index}").details)
            continue
        key = search_value(kind, value)
        if key not in {k for _i, k, _f in cleaned}:
            cleaned.append((index, key, fields))
    return cleaned, errors


def _add_contacts(
    actor: User, customer: Customer, kind: str, cleaned: list[tuple[int, str, dict[str, Any]]]
) -> None:
    existing = set(
        ContactPoint.objects.filter(customer=customer, kind=kind).values_list(
            "search_value", flat=True
        )
    )
    for index, key, fields in cleaned:
        if key in existing:
            continue  # already there: sending the same create again changes nothing
        try:
            services.contact_point_add(actor=actor, customer=customer, kind=kind, **fields)
        except ValidationFailed as exc:
            raise rekeyed(exc, f"{kind}s.{index}") from exc


def _upsert_once(
    *,
    actor: User,
    fields: dict[str, Any],
    pairs: list[tuple[str, str]],
    errors: dict[str, list[str]],
    emails: Sequence[NestedContact],
    phones: Sequence[NestedContact],
    tags: Iterable[str] | None,
    expected_version: int | None,
) -> tuple[Customer, bool]:
    holders = _holders(pairs)
    customer = _target(actor, holders)
    # Validate every nested contact before writing anything, to report all bad ones at once.
    country = (fields.get("country") or (customer.country if customer else "") or "").upper()
    email_items, email_errors = _contacts_clean(ContactPoint.Kind.EMAIL, emails, country, "emails")
    phone_items, phone_errors = _contacts_clean(ContactPoint.Kind.PHONE, phones, country, "phones")
    _raise_collected(errors | email_errors | phone_errors)
    if customer is None:
        customer = services.customer_create(actor=actor, tags=tags, **fields)
        created = True
    else:
        customer = services.customer_update(
            actor=actor, customer=customer, expected_version=expected_version, tags=tags, **fields
        )
        created = False
    _add_contacts(actor, customer, ContactPoint.Kind.EMAIL, email_items)
    _add_contacts(actor, customer, ContactPoint.Kind.PHONE, phone_items)
    for system, value in pairs:
        if holders.get((system, value)) != customer.pk:
            services.identifier_add(actor=actor, customer=customer, system=system, value=value)
    customer.refresh_from_db(fields=["version", "updated_at"])
    return customer, created


def customer_upsert(
    *,
    actor: User,
    identifiers: Iterable[Mapping[str, str]] = (),
    emails: Sequence[NestedContact] = (),
    phones: Sequence[NestedContact] = (),
    tags: Iterable[str] | None = None,
    expected_version: int | None = None,
    **fields: Any,
) -> tuple[Customer, bool]:
    """Create a customer, or update the one that already holds any of `identifiers`.

    `fields` are the customer fields the caller sent (on update only they change).
    Emails and phones are added unless the customer already has them; identifiers are
    attached. Answers (customer, created). Identifiers of two different customers, or of
    one the actor cannot see, are a Conflict; `expected_version` guards an update.
    """
    visibility.require_create(actor)
    pairs, errors = identifiers_clean(identifiers)
    tags = list(tags) if tags is not None else None
    # Two requests with the same new identifier can race: the loser's insert breaks the
    # unique constraint; its whole attempt is rolled back and retried once as an update.
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _upsert_once(
                    actor=actor,
                    fields=dict(fields),
                    pairs=pairs,
                    errors=errors,
                    emails=emails,
                    phones=phones,
                    tags=tags,
                    expected_version=expected_version,
                )
        except IntegrityError:
            if attempt == 1 or not pairs:
                break
    raise Conflict(_("Another request changed this customer at the same time; try again."))
