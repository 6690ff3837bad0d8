"""Segments: named audiences of customers, dynamic (rules over fields, figures, tiers,
tags, consent and events) or static lists, with the history of who entered and left."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Segment(models.Model):
    """A named audience: dynamic (rules, re-evaluated at each refresh and on save) or a
    static list (members added and removed by hand)."""

    class Kind(models.TextChoices):
        DYNAMIC = "dynamic", _("Dynamic")
        STATIC = "static", _("Static list")

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DYNAMIC)
    # {"match": "all" | "any", "conditions": [{"field", "op", "value"} | group]}: rules.py.
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    evaluated_at = models.DateTimeField(_("evaluated"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class SegmentMembership(models.Model):
    """A customer's stay in a segment: entered, and left (null while a member). Leaving
    and entering again makes a new row, so the history stays."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-entered_at", "-id"]
        indexes = [
            models.Index(fields=["segment", "customer"], name="segment_members"),
            # The history of a segment, newest first: who entered, who left.
            models.Index(fields=["segment", "-entered_at", "-id"], name="segment_entered"),
            models.Index(
                fields=["segment", "-left_at", "-id"],
                name="segment_left",
                condition=models.Q(left_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "customer"],
                condition=models.Q(left_at__isnull=True),
                name="one_current_membership",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.segment_id}"
