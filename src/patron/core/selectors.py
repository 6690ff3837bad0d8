"""Reads shared across apps: the audit trail of a record, job health."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from patron.core.errors import NotFound
from patron.core.models import AuditEntry, JobHeartbeat, OwnedModel
from patron.core.visibility import can_read, is_record_id, sees_everything

if TYPE_CHECKING:
    from patron.accounts.models import User


def audit_trail(*, viewer: User, target_type: str, target_id: str) -> QuerySet[AuditEntry]:
    """Entries about one record, if `viewer` may read that record.

    Customer-facing records follow the visibility rule (a deleted one stays readable to
    those who see everything); users, teams and tokens are for admins only.
    """
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError) as exc:
        raise NotFound(_("Not found.")) from exc
    entries = AuditEntry.objects.filter(target_type=target_type, target_id=str(target_id))
    if issubclass(model, OwnedModel):
        record = model.objects.filter(pk=target_id).first() if is_record_id(target_id) else None
        allowed = can_read(viewer, record) if record is not None else sees_everything(viewer)
    else:
        allowed = viewer.is_active and viewer.role == "admin"
    if not allowed:
        raise NotFound(_("Not found."))
    return entries.select_related("actor")


def audit_recent(*, viewer: User, limit: int = 10) -> list[AuditEntry]:
    """Latest changes for the dashboard: everyone's for those who see all, else one's own."""
    entries = AuditEntry.objects.select_related("actor")
    if not sees_everything(viewer):
        entries = entries.filter(actor=viewer)
    return list(entries[:limit])


def heartbeat_get(name: str = "heartbeat") -> JobHeartbeat | None:
    return JobHeartbeat.objects.filter(name=name).first()


def audit_changes_readable(model: type[models.Model], entries: list[AuditEntry]) -> list[dict]:
    """Each entry's changes with the field's label and values as people read them:
    choices by their label, related records by name (one query per related model)."""
    fields = {f.name: f for f in model._meta.concrete_fields}
    wanted: dict[type[models.Model], set] = {}
    for entry in entries:
        for change in entry.changes:
            field = fields.get(change["field"])
            if field is not None and field.is_relation:
                ids = {v for v in (change["old"], change["new"]) if v is not None}
                wanted.setdefault(field.related_model, set()).update(ids)
    names = {
        related: {pk: str(obj) for pk, obj in related.objects.in_bulk(list(ids)).items()}
        for related, ids in wanted.items()
    }

    def shown(field: models.Field | None, value: object) -> object:
        if value is None or field is None:
            return value
        if field.is_relation:
            return names.get(field.related_model, {}).get(value, f"#{value}")
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        return value

    readable = []
    for entry in entries:
        changes = []
        for change in entry.changes:
            field = fields.get(change["field"])
            label = field.verbose_name if field is not None else change["field"]
            changes.append(
                {
                    "field": change["field"],
                    "label": label,
                    "old": shown(field, change["old"]),
                    "new": shown(field, change["new"]),
                }
            )
        readable.append({"entry": entry, "changes": changes})
    return readable
