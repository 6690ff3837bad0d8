"""Merging two customers into one, and undoing it from the audit log alone.

A merge keeps the *survivor* and deletes the *merged* customer after moving to the
survivor every record registered in `patron.core.relations` (contact points, identifiers,
memberships, consent, tags, preferences, and whatever later apps register). When a moved
row would break a uniqueness rule of the survivor (the same email twice, the same tag),
one of the two rows is dropped: the survivor's, unless the relation says `keep="newest"`
and the merged one is newer. Every dropped row is serialised whole into the merge's audit
entry, together with the merged customer's row and the ids of every moved row, so that
`merge_undo` can put everything back with the same ids.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core import serializers
from django.core.serializers.base import DeserializedObject
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.audit import changes_between, snapshot, target_type
from patron.core.errors import Conflict, NotFound, ValidationFailed
from patron.core.models import AuditEntry
from patron.core.relations import (
    CustomerRelation,
    customer_relation,
    customer_relations,
    derived_tables,
)
from patron.customers.models import ContactPoint, Customer, DuplicateDismissal, SearchTerm
from patron.customers.services import search_terms_refresh

if TYPE_CHECKING:
    from patron.accounts.models import User

# Fields whose surviving value the user chooses (custom fields also per key, as
# "custom_fields.<key>"). Without a choice the survivor's value stays, unless it is empty
# and the merged customer has one: a merge fills gaps.
MERGE_FIELDS = (
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
SIDES = ("survivor", "merged")
# Tables pointing at a customer that a merge rebuilds instead of moving.
DERIVED = {SearchTerm}
PAYLOAD_FORMAT = 1


def fail(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={field_name: [message]})


def _label(customer: Customer) -> str:
    return f"{customer.display_name} (#{customer.pk})"


# --- Serialising rows into the audit payload ------------------------------------------------


def _json_safe(value: Any) -> Any:
    """Full precision: Django's JSON serializer would cut microseconds off timestamps, and
    an undo must restore them exactly."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _serialize(rows: Iterable[models.Model], fields: Iterable[str] | None = None) -> list[dict]:
    names = list(fields) if fields else None
    return _json_safe(serializers.serialize("python", list(rows), fields=names))


def _deserialize(data: list[dict]) -> Iterator[DeserializedObject]:
    return serializers.deserialize("python", data)


def _concrete_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if not f.primary_key]


# --- Choosing the surviving values ------------------------------------------------------------


def _clean_choices(field_choices: dict[str, str] | None) -> dict[str, str]:
    choices = dict(field_choices or {})
    errors = []
    for name, side in choices.items():
        known = name in MERGE_FIELDS or (
            name.startswith("custom_fields.") and len(name) > len("custom_fields.")
        )
        if not known:
            errors.append(_("Unknown field “%(field)s”.") % {"field": name[:60]})
        elif side not in SIDES:
            errors.append(_("Choose “survivor” or “merged” for %(field)s.") % {"field": name[:60]})
    if errors:
        raise ValidationFailed(errors[0], details={"field_choices": errors})
    return choices


def _empty(value: Any) -> bool:
    return value in (None, "", {}, [])


def _apply_choices(survivor: Customer, merged: Customer, choices: dict[str, str]) -> None:
    for name in MERGE_FIELDS:
        if name == "custom_fields":
            continue
        attname = Customer._meta.get_field(name).attname
        ours, theirs = getattr(survivor, attname), getattr(merged, attname)
        side = choices.get(name) or ("merged" if _empty(ours) and not _empty(theirs) else "")
        if side == "merged":
            setattr(survivor, attname, theirs)
    survivor.custom_fields = _merged_custom_fields(survivor, merged, choices)
    survivor.display_name = survivor.compute_display_name()


def _merged_custom_fields(
    survivor: Customer, merged: Customer, choices: dict[str, str]
) -> dict[str, Any]:
    ours, theirs = dict(survivor.custom_fields or {}), dict(merged.custom_fields or {})
    # Keys only one side has are kept; a key both have takes the chosen side's value.
    first, second = (ours, theirs) if choices.get("custom_fields") == "merged" else (theirs, ours)
    result = {**first, **second}
    for key in set(ours) | set(theirs):
        side = choices.get(f"custom_fields.{key}")
        source = theirs if side == "merged" else ours if side == "survivor" else None
        if source is not None:
            if key in source:
                result[key] = source[key]
            else:
                result.pop(key, None)
    return result


def _check_version(customer: Customer, expected: int | None, field_name: str) -> None:
    if expected is not None and customer.version != expected:
        raise Conflict(
            _(
                "%(name)s was changed by someone else since you opened it "
                "(version %(current)d, yours %(yours)d). Reload and try again."
            )
            % {"name": customer.display_name, "current": customer.version, "yours": expected},
            details={field_name: customer.version},
        )


# --- Moving the related rows --------------------------------------------------------------


@dataclass
class _Moves:
    moved: dict[str, list[Any]] = field(default_factory=dict)  # label -> pks (after the move)
    dropped: dict[str, list[dict]] = field(default_factory=dict)  # label -> serialised rows
    fixups: list[dict[str, Any]] = field(default_factory=list)  # values changed on moved rows


def _is_newer(relation: CustomerRelation, theirs: Any, ours: Any) -> bool:
    return relation.keep == "newest" and theirs is not None and (ours is None or theirs > ours)


def _split(relation: CustomerRelation, survivor: Customer, merged: Customer) -> tuple[list, list]:
    """(pks of the merged customer's rows to move, pks of rows to drop: of either side)."""
    manager = relation.model._default_manager
    fk = relation.field
    if relation.model._meta.get_field(fk).unique:
        # One row per customer (preferences): the survivor's stays.
        theirs = list(manager.filter(**{fk: merged.pk}).values_list("pk", flat=True))
        if manager.filter(**{fk: survivor.pk}).exists():
            return [], theirs
        return theirs, []
    unique_with = list(relation.unique_with or ())
    if not unique_with:
        return list(manager.filter(**{fk: merged.pk}).values_list("pk", flat=True)), []
    newest = [relation.newest_by] if relation.keep == "newest" and relation.newest_by else []

    def rows(customer: Customer) -> list[tuple]:
        return list(manager.filter(**{fk: customer.pk}).values_list("pk", *newest, *unique_with))

    width = len(newest) + 1
    ours = {row[width:]: row for row in rows(survivor)}
    move, drop = [], []
    for row in rows(merged):
        other = ours.get(row[width:])
        if other is None:
            move.append(row[0])
        elif newest and _is_newer(relation, row[1], other[1]):
            drop.append(other[0])
            move.append(row[0])
        else:
            drop.append(row[0])
    return move, drop


def _move_relation(
    relation: CustomerRelation, survivor: Customer, merged: Customer, moves: _Moves
) -> None:
    manager = relation.model._default_manager
    move, drop = _split(relation, survivor, merged)
    if drop:
        dropped = manager.filter(pk__in=drop)
        moves.dropped[relation.label] = _serialize(dropped)
        dropped.delete()
    if move:
        manager.filter(pk__in=move).update(**{relation.field: survivor.pk})
        if relation.model._meta.get_field(relation.field).primary_key:
            move = [survivor.pk]  # the row's id is the customer's: it changed with the move
        moves.moved[relation.label] = move


def _one_preferred(survivor: Customer, moves: _Moves) -> None:
    """The survivor's preferred email (phone...) stays preferred; a moved contact point of
    a kind the survivor already prefers one of loses the flag (restored by an undo)."""
    moved = moves.moved.get(ContactPoint._meta.label_lower + ".customer", [])
    if not moved:
        return
    kinds = set(
        ContactPoint.objects.filter(customer=survivor, preferred=True)
        .exclude(pk__in=moved)
        .values_list("kind", flat=True)
    )
    demoted = list(
        ContactPoint.objects.filter(pk__in=moved, preferred=True, kind__in=kinds).values_list(
            "pk", flat=True
        )
    )
    if demoted:
        ContactPoint.objects.filter(pk__in=demoted).update(preferred=False)
        moves.fixups += [
            {"model": "customers.contactpoint", "pk": pk, "field": "preferred", "value": True}
            for pk in demoted
        ]


def _unregistered_relations() -> list[models.ForeignObjectRel]:
    """Relations to Customer that no app registered: a merge would lose their rows."""
    registered = {(r.model, r.field) for r in customer_relations()}
    return [
        rel
        for rel in Customer._meta.get_fields(include_hidden=True)
        if isinstance(rel, models.ForeignObjectRel)
        and not rel.many_to_many
        and (rel.related_model, rel.field.name) not in registered
        and rel.related_model not in DERIVED | derived_tables()
    ]


def _refuse_unregistered(merged: Customer) -> None:
    for rel in _unregistered_relations():
        if rel.related_model._default_manager.filter(**{rel.field.name: merged.pk}).exists():
            raise Conflict(
                _("%(table)s records of this customer cannot be merged yet.")
                % {"table": rel.related_model._meta.verbose_name_plural}
            )


# --- Audit ----------------------------------------------------------------------------------


def _entry(
    actor: User,
    action: str,
    customer: Customer,
    changes: list[dict[str, Any]],
    payload: dict[str, Any],
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        actor_label=actor.email,
        action=action,
        target_type=target_type(customer),
        target_id=str(customer.pk),
        target_label=str(customer)[:255],
        changes=changes,
        payload=payload,
    )


# --- Merge ----------------------------------------------------------------------------------


def _lock_pair(actor: User, survivor: Customer, merged: Customer) -> tuple[Customer, Customer]:
    if survivor.pk == merged.pk:
        raise fail("merged_id", _("A customer cannot be merged with itself."))
    visibility.require_write(actor, survivor)
    visibility.require_write(actor, merged)
    # Locked in id order, so two merges of the same pair cannot deadlock.
    locked = Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
    rows = {c.pk: c for c in locked.order_by("pk")}
    if len(rows) != 2:
        raise NotFound(_("Not found."))
    return rows[survivor.pk], rows[merged.pk]


@transaction.atomic
def customers_merge(
    *,
    actor: User,
    survivor: Customer,
    merged: Customer,
    field_choices: dict[str, str] | None = None,
    expected_versions: tuple[int | None, int | None] = (None, None),
) -> AuditEntry:
    """Merge `merged` into `survivor`; returns the audit entry that can undo it."""
    survivor, merged = _lock_pair(actor, survivor, merged)
    _check_version(survivor, expected_versions[0], "version")
    _check_version(merged, expected_versions[1], "merged_version")
    if survivor.kind != merged.kind:
        raise fail("merged_id", _("A person cannot be merged with an organization."))
    choices = _clean_choices(field_choices)
    _refuse_unregistered(merged)
    before = snapshot(survivor)
    merged_row = _serialize([merged], _concrete_names(Customer))
    merged_snapshot = snapshot(merged)
    _apply_choices(survivor, merged, choices)
    if not visibility.can_read(actor, survivor):
        raise fail(
            "team", _("Keep one of your teams, or yourself as owner: otherwise you lose access.")
        )
    moves = _Moves()
    for relation in customer_relations():
        _move_relation(relation, survivor, merged, moves)
    _one_preferred(survivor, moves)
    survivor.version += 1
    survivor.save()
    merged_label = _label(merged)
    Customer.objects.filter(pk=merged.pk).delete()  # what is left: derived search terms
    search_terms_refresh([survivor.pk])
    after = snapshot(survivor)
    payload = {
        "format": PAYLOAD_FORMAT,
        "survivor_id": survivor.pk,
        "merged_id": merged.pk,
        "field_choices": choices,
        "survivor_before": before,
        "survivor_after": after,
        "merged_row": merged_row,
        "merged_snapshot": merged_snapshot,
        "moved": moves.moved,
        "dropped": moves.dropped,
        "fixups": moves.fixups,
    }
    changes = [
        *changes_between(before, after),
        {"field": "merged record", "old": None, "new": merged_label},
    ]
    entry = _entry(actor, AuditEntry.Action.MERGE, survivor, changes, payload)
    # The merged customer's own history ends with where it went.
    _entry(
        actor,
        AuditEntry.Action.MERGE,
        merged,
        [{"field": "merged into", "old": None, "new": _label(survivor)}],
        {"merge_entry_id": entry.pk, "survivor_id": survivor.pk, "merged_id": merged.pk},
    )
    return entry


# --- Undo -----------------------------------------------------------------------------------


def merge_entry_get(entry_id: int) -> AuditEntry:
    """The merge entry that holds the undo data: `entry_id` may also be the note left on
    the merged customer."""
    entry = AuditEntry.objects.filter(
        pk=entry_id, action=AuditEntry.Action.MERGE, target_type="customers.customer"
    ).first()
    if entry is not None and "merge_entry_id" in (entry.payload or {}):
        entry = AuditEntry.objects.filter(pk=entry.payload["merge_entry_id"]).first()
    if entry is None or "merged_row" not in (entry.payload or {}):
        raise NotFound(_("No such merge."))
    return entry


def merge_is_undone(entry: AuditEntry) -> bool:
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.UNMERGE,
        target_type="customers.customer",
        target_id=str(entry.payload["survivor_id"]),
        payload__merge_entry_id=entry.pk,
    ).exists()


def _relation_or_conflict(label: str) -> CustomerRelation:
    try:
        return customer_relation(label)
    except KeyError as exc:
        raise Conflict(
            _("This merge moved %(label)s records, which can no longer be moved back.")
            % {"label": label}
        ) from exc


def _check_moved_rows(payload: dict[str, Any], survivor_id: int) -> None:
    """Every moved row must still belong to the survivor; else undoing would take from
    the survivor what is no longer the merged customer's, or miss what was deleted."""
    for label, ids in payload["moved"].items():
        relation = _relation_or_conflict(label)
        manager = relation.model._default_manager
        present = manager.filter(pk__in=ids, **{relation.field: survivor_id}).count()
        if present != len(ids):
            raise Conflict(
                _(
                    "This merge cannot be undone: %(n)d of the %(total)d %(what)s it moved "
                    "were since deleted or moved to another customer."
                )
                % {
                    "n": len(ids) - present,
                    "total": len(ids),
                    "what": relation.model._meta.verbose_name_plural,
                },
                details={"relation": label},
            )


def _restore_survivor(survivor: Customer, payload: dict[str, Any]) -> list[str]:
    """Put back the survivor's values from before the merge, except those someone changed
    since (those stay, and are named in the result)."""
    current = snapshot(survivor, payload["survivor_before"].keys())
    kept = []
    for name, old in payload["survivor_before"].items():
        if current[name] == payload["survivor_after"].get(name):
            model_field = Customer._meta.get_field(name)
            value = old if model_field.is_relation else model_field.to_python(old)
            setattr(survivor, model_field.attname, value)
        elif current[name] != old:
            kept.append(name)
    return kept


@transaction.atomic
def merge_undo(*, actor: User, entry: AuditEntry) -> Customer:
    """Undo the merge recorded in `entry`; returns the merged customer, back again."""
    entry = merge_entry_get(entry.pk)
    payload = entry.payload
    restored = next(_deserialize(payload["merged_row"]))
    merged = restored.object
    visibility.require_write(actor, merged)
    survivor = Customer.objects.select_for_update().filter(pk=payload["survivor_id"]).first()
    if survivor is None:
        raise Conflict(_("This merge cannot be undone: the surviving customer was deleted."))
    visibility.require_write(actor, survivor)
    if merge_is_undone(entry):
        raise Conflict(_("This merge was undone already."))
    if Customer.objects.filter(pk=merged.pk).exists():
        raise Conflict(
            _("This merge cannot be undone: customer #%(id)s exists.") % {"id": merged.pk}
        )
    _check_moved_rows(payload, survivor.pk)
    before = snapshot(survivor)
    merged.version += 1
    try:
        with transaction.atomic():
            restored.save()
            for label, ids in payload["moved"].items():
                relation = customer_relation(label)
                relation.model._default_manager.filter(
                    pk__in=ids, **{relation.field: survivor.pk}
                ).update(**{relation.field: merged.pk})
            for rows in payload["dropped"].values():
                for row in _deserialize(rows):
                    row.save()
    except IntegrityError as exc:
        raise Conflict(
            _(
                "This merge cannot be undone: a restored record collides with a newer one "
                "(%(reason)s)."
            )
            % {"reason": str(exc)[:200]}
        ) from exc
    for fixup in payload["fixups"]:
        model = apps.get_model(fixup["model"])
        model._default_manager.filter(pk=fixup["pk"]).update(**{fixup["field"]: fixup["value"]})
    kept = _restore_survivor(survivor, payload)
    survivor.display_name = survivor.compute_display_name()
    survivor.version += 1
    survivor.save()
    search_terms_refresh([survivor.pk, merged.pk])
    unmerge = {"merge_entry_id": entry.pk, "merged_id": merged.pk, "kept": kept}
    _entry(
        actor,
        AuditEntry.Action.UNMERGE,
        survivor,
        [
            *changes_between(before, snapshot(survivor)),
            {"field": "merged record", "old": _label(merged), "new": None},
        ],
        unmerge,
    )
    _entry(
        actor,
        AuditEntry.Action.UNMERGE,
        merged,
        [{"field": "merged into", "old": _label(survivor), "new": None}],
        unmerge,
    )
    return Customer.objects.select_related("owner", "team").get(pk=merged.pk)


# --- Not a duplicate ----------------------------------------------------------------------


@transaction.atomic
def duplicate_dismiss(*, actor: User, first: Customer, second: Customer) -> DuplicateDismissal:
    """Record that two customers are not the same: the pair is no longer proposed."""
    if first.pk == second.pk:
        raise fail("second_id", _("Choose two different customers."))
    visibility.require_write(actor, first)
    visibility.require_write(actor, second)
    low, high = sorted((first, second), key=lambda c: c.pk)
    dismissal, created = DuplicateDismissal.objects.get_or_create(
        first_id=low.pk, second_id=high.pk, defaults={"dismissed_by": actor}
    )
    if created:
        for customer, other in ((low, high), (high, low)):
            _entry(
                actor,
                AuditEntry.Action.UPDATE,
                customer,
                [{"field": "not_a_duplicate_of", "old": None, "new": _label(other)}],
                None,
            )
    return dismissal
