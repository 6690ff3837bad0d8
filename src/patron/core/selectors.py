"""Reads shared across apps: the audit trail of a record, job health."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from patron.core.errors import NotFound
from patron.core.models import AuditEntry, JobHeartbeat, OwnedModel
from patron.core.visibility import can_read, sees_everything

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
        record = model.objects.filter(pk=target_id).first() if str(target_id).isdigit() else None
        allowed = can_read(viewer, record) if record is not None else sees_everything(viewer)
    else:
        allowed = viewer.is_active and viewer.role == "admin"
    if not allowed or (not entries.exists() and not sees_everything(viewer)):
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
