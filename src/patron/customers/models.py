"""The customer universe: one table for people and organizations, and what hangs off it
(contact points, external identifiers, memberships, consent, preferences, tags)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patron.core.models import OwnedModel, TimeStampedModel


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


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
    # Any language the customer speaks (BCP 47 such as "fr" or "pt-BR"), not only the
    # languages of the UI: validated against CLDR by the services.
    language = models.CharField(_("language"), max_length=16, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO code"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=16, choices=Lifecycle.choices, default=Lifecycle.PROSPECT
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    # Values of admin-defined fields (CustomField), keyed by CustomField.key.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # When someone last confirmed that this record is still right (stale-data rule).
    last_confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # Each list filter has an index in the list's order, so that a page of a filtered
        # million-row list reads one page of index instead of sorting every match.
        indexes = [
            models.Index(fields=["team", "display_name"]),
            models.Index(fields=["owner", "display_name"]),
            # "My customers, recently changed" on the dashboard.
            models.Index(fields=["owner", "-updated_at"]),
            models.Index(fields=["lifecycle_stage", "display_name"]),
            models.Index(fields=["country", "display_name"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    def compute_display_name(self) -> str:
        if self.kind == self.Kind.ORGANIZATION:
            return self.organization_name.strip()
        return " ".join(p for p in (self.given_name.strip(), self.family_name.strip()) if p)

    def get_language_display(self) -> str:
        from patron.customers.languages import language_name

        return language_name(self.language)

    @property
    def is_organization(self) -> bool:
        return self.kind == self.Kind.ORGANIZATION


class ContactPoint(TimeStampedModel):
    """One way to reach a customer. `value` is stored normalised (emails in lower case,
    phones in E.164); `search_value` is what lookups and duplicate detection compare."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        ADDRESS = "address", _("Postal address")
        SOCIAL = "social", _("Social handle")
        WEB = "web", _("Website")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=40, blank=True)
    value = models.CharField(_("value"), max_length=500)
    search_value = models.CharField(max_length=255, db_index=True, editable=False)
    # Address parts (only for postal addresses): the street lines sit in `value`.
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    preferred = models.BooleanField(_("preferred"), default=False)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    last_confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "-preferred", "id"]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class ExternalIdentifier(models.Model):
    """This customer's id in another system. Unique per system, so imports and API creates
    that carry it update the same customer instead of creating a second one."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(_("system"), max_length=50)
    value = models.CharField(_("identifier"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["system", "value"]
        verbose_name = _("external identifier")
        verbose_name_plural = _("external identifiers")
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="unique_identifier_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"


class Membership(TimeStampedModel):
    """A person belongs to an organization, with a title (many people per organization, and
    a person may belong to several)."""

    person = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="members")
    title = models.CharField(_("title"), max_length=120, blank=True)

    class Meta:
        ordering = ["organization__display_name", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["person", "organization"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.organization_id}"


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Letter")
    IN_PERSON = "in_person", _("In person")


class Purpose(models.TextChoices):
    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")
    SURVEYS = "surveys", _("Surveys")


class Consent(models.Model):
    """The customer's current decision for one channel and purpose, with its evidence.
    Earlier decisions stay in the audit log."""

    class Status(models.TextChoices):
        GRANTED = "granted", _("Granted")
        DENIED = "denied", _("Denied")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    source = models.CharField(_("source"), max_length=100, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    evidence = models.TextField(_("evidence"), blank=True)

    class Meta:
        ordering = ["channel", "purpose"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel", "purpose"], name="unique_consent_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose}: {self.status}"


class Preferences(models.Model):
    """How the customer wants to be contacted and served. One row per customer, created
    when first set; absent means no stated preference."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="preferences"
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, blank=True
    )
    max_messages_per_30_days = models.PositiveSmallIntegerField(
        _("at most messages per 30 days"), null=True, blank=True
    )
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=100, blank=True)
    invoicing = models.CharField(_("invoicing"), max_length=200, blank=True)
    delivery = models.CharField(_("delivery"), max_length=200, blank=True)
    packaging = models.CharField(_("packaging"), max_length=200, blank=True)
    vip_handling = models.CharField(_("VIP handling"), max_length=200, blank=True)
    notes = models.TextField(_("service notes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"preferences of {self.customer_id}"


class CustomField(models.Model):
    """An admin-defined extra field. Values live in Customer.custom_fields under `key`."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes / no")
        CHOICE = "choice", _("Choice")

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label


class SearchTerm(models.Model):
    """One searchable word of a customer (name word, whole name, email, phone digits,
    external id), normalised: case-folded, without accents. Prefix lookups on this index
    answer the search box over a million customers."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("search term")
        # (term, customer): a prefix range of terms yields the customers from the index
        # alone, without a read of each term's row (thousands for a common first name).
        # varchar_pattern_ops lets PostgreSQL serve LIKE 'x%' in any collation; other
        # databases ignore operator classes.
        indexes = [
            models.Index(
                fields=["term", "customer"],
                name="customers_searchterm_prefix",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            )
        ]

    def __str__(self) -> str:
        return self.term


class SavedView(models.Model):
    """A user's named customer-list filter (the query string of the list)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="unique_saved_view_name")
        ]

    def __str__(self) -> str:
        return self.name


class CustomerImport(models.Model):
    """One CSV import through the wizard or the API: the uploaded file, how its columns
    map, and the reports of its dry run and its run."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Queued")
        CHECKING = "checking", _("Checking (dry run)")
        CHECKED = "checked", _("Checked")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    file_name = models.CharField(_("file"), max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    stored_as = models.CharField(max_length=255, editable=False)
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, blank=True)
    system = models.CharField(_("system of the external ids"), max_length=50, default="import")
    default_country = models.CharField(
        _("country for local phone numbers"), max_length=2, blank=True
    )
    encoding = models.CharField(_("encoding"), max_length=20, default="utf-8")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    dry_run = models.BooleanField(default=False)
    # Counts while it runs, then the full report (ImportReport.as_dict()).
    report = models.JSONField(null=True, blank=True)
    check_report = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer import")

    def __str__(self) -> str:
        return self.file_name


# --- Duplicates (owned by the duplicates-and-merge work) ---------------------------------


class DuplicateDismissal(models.Model):
    """Someone checked a pair of customers and said they are not the same: the pair is no
    longer proposed. Plain ids, not foreign keys: a merge deletes one of them and its undo
    brings it back with the same id, and the decision should hold again then."""

    first_id = models.PositiveBigIntegerField()  # the smaller id of the pair
    second_id = models.PositiveBigIntegerField()
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("dismissed duplicate")
        constraints = [
            models.UniqueConstraint(fields=["first_id", "second_id"], name="unique_dismissal"),
            models.CheckConstraint(
                condition=models.Q(first_id__lt=models.F("second_id")),
                name="dismissal_ordered_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"
