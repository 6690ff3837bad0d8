"""The audit log: every create, update and delete made through a service leaves an entry."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models

from patron.core.models import AuditEntry

if TYPE_CHECKING:
    from patron.accounts.models import User

# Never copied into the log, whatever model they sit on.
SECRET_FIELDS = {"password", "token_hash"}


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def audited_fields(instance: models.Model) -> list[str]:
    names = []
    for field in instance._meta.concrete_fields:
        if field.name in SECRET_FIELDS or field.primary_key:
            continue
        if field.name in {"created_at", "updated_at", "version"}:
            continue
        names.append(field.name)
    return names


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Field values as stored (foreign keys by id), to compare before and after a write."""
    result = {}
    for name in fields or audited_fields(instance):
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = _plain(getattr(instance, attname))
    return result


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": name, "old": before.get(name), "new": after.get(name)}
        for name in after
        if before.get(name) != after.get(name)
    ]


def target_type(instance: models.Model) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}"


def audit_record(
    actor: User | None, action: str, instance: models.Model, changes: list[dict[str, Any]]
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor.email if actor is not None and actor.pk else "system"),
        action=action,
        target_type=target_type(instance),
        target_id=str(instance.pk),
        target_label=str(instance)[:255],
        changes=changes,
    )


def audit_create(*, actor: User | None, instance: models.Model) -> AuditEntry:
    after = snapshot(instance)
    changes = [{"field": k, "old": None, "new": v} for k, v in after.items() if v not in ("", None)]
    return audit_record(actor, AuditEntry.Action.CREATE, instance, changes)


def audit_update(
    *,
    actor: User | None,
    instance: models.Model,
    before: dict[str, Any],
    extra_changes: Iterable[dict[str, Any]] = (),
) -> AuditEntry | None:
    """Log the fields that differ from `before`, plus `extra_changes` (e.g. many-to-many
    fields a snapshot does not hold); nothing is written when nothing changed."""
    changes = changes_between(before, snapshot(instance, before.keys())) + list(extra_changes)
    if not changes:
        return None
    return audit_record(actor, AuditEntry.Action.UPDATE, instance, changes)


def audit_delete(*, actor: User | None, instance: models.Model) -> AuditEntry:
    # The last known values are kept, so a deleted record can be read back from the log.
    before = snapshot(instance)
    changes = [
        {"field": k, "old": v, "new": None} for k, v in before.items() if v not in ("", None)
    ]
    return audit_record(actor, AuditEntry.Action.DELETE, instance, changes)
