"""Shared bases: timestamps, ownership (owner + team) and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class OwnedModel(TimeStampedModel):
    """A customer-facing record: it has an owner and a team, and visibility follows them.

    `version` grows by one on every write through a service, so a stale edit can be
    refused (optimistic locking) instead of overwriting someone else's change.
    """

    # No index of their own: each concrete model indexes (team, its sort key) and (owner,
    # its sort key), which serve the same lookups and cost one index write less per row.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """Who did what to which record, when, and which fields changed (old → new)."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")
        MERGE = "merge", _("merged")
        UNMERGE = "unmerge", _("unmerged")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Kept as text so the entry still reads well after the actor is deleted.
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    target_type = models.CharField(max_length=100)  # "app_label.model"
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=255, blank=True)
    # [{"field": name, "old": value, "new": value}, ...]
    changes = models.JSONField(default=list, blank=True)
    # What an operation needs to be undone (a merge keeps the merged record and the rows
    # it moved or dropped here), so reversal reads the audit log, not a side table.
    payload = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-at"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target_type}#{self.target_id}"


class JobHeartbeat(models.Model):
    """Last time the periodic heartbeat job ran; /healthz reads it to prove jobs run."""

    name = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
