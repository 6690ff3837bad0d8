"""The customer universe: one table for people and organizations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import OwnedModel


class Customer(OwnedModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANIZATION = "organization", _("Organization")

    class Lifecycle(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        CUSTOMER = "customer", _("Customer")
        LOST = "lost", _("Lost")
        PARTNER = "partner", _("Partner")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    given_name = models.CharField(_("given name"), max_length=120, blank=True)
    family_name = models.CharField(_("family name"), max_length=120, blank=True)
    organization_name = models.CharField(_("organization name"), max_length=200, blank=True)
    # Stored, not computed per read: lists sort and search on it over a million rows.
    display_name = models.CharField(_("name"), max_length=255, db_index=True, editable=False)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO code"))
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=16, choices=Lifecycle.choices, default=Lifecycle.PROSPECT
    )
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["team", "display_name"]),
            models.Index(fields=["owner", "display_name"]),
            models.Index(fields=["lifecycle_stage"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    def compute_display_name(self) -> str:
        if self.kind == self.Kind.ORGANIZATION:
            return self.organization_name.strip()
        return " ".join(p for p in (self.given_name.strip(), self.family_name.strip()) if p)
