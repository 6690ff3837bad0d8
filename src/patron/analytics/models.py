"""What sets customers apart: one row of figures per customer (refreshed set-based over
the whole base), the settings behind tiers, stages and signals, segments, and the signals
that became tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ValueTier(models.TextChoices):
    # One-to-one marketing's tiers (Peppers & Rogers): the few who bring most of the value,
    # the many in between, and those who cost more than they bring.
    MOST_VALUABLE = "most_valuable", _("Most valuable")
    CORE = "core", _("Core")
    BELOW_ZERO = "below_zero", _("Below zero")


class AbcClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", pgettext_lazy("RFM segment", "New")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", pgettext_lazy("RFM segment", "Lost")


class RelationshipStage(models.TextChoices):
    CONTACT = "contact", _("Contact")
    CONNECTION = "connection", _("Connection")
    INTIMACY = "intimacy", _("Intimacy")
    TRUST = "trust", _("Trust")


def default_declined_outcomes() -> list[str]:
    return ["Declined", "Proposal declined", "Not interested"]


def default_trust_tags() -> list[str]:
    return ["advocate", "referral", "reference"]


class ValueSettings(models.Model):
    """The business's own definitions of value, edited by admins: one row (pk 1)."""

    class Basis(models.TextChoices):
        REVENUE = "revenue", _("Revenue")
        MARGIN = "margin", _("Margin")

    # Tiers
    most_valuable_share = models.DecimalField(
        _("most valuable: top share of buying customers"),
        max_digits=4,
        decimal_places=3,
        default=0.10,
        help_text=_("0.05 to 0.10 in one-to-one marketing practice"),
    )
    most_valuable_basis = models.CharField(
        _("most valuable by"), max_length=8, choices=Basis.choices, default=Basis.REVENUE
    )
    abc_a_share = models.DecimalField(
        _("A class: first share of revenue"), max_digits=4, decimal_places=3, default=0.80
    )
    abc_b_share = models.DecimalField(
        _("B class: up to cumulative share of revenue"),
        max_digits=4,
        decimal_places=3,
        default=0.95,
    )
    below_zero_share = models.DecimalField(
        _("below zero: at most this share of buying customers"),
        max_digits=4,
        decimal_places=3,
        default=0.15,
        help_text=_("0.10 to 0.20 in one-to-one marketing practice"),
    )
    serving_cost_per_interaction = models.DecimalField(
        _("cost to serve per interaction"),
        max_digits=10,
        decimal_places=2,
        default=0,
        help_text=_("Subtracted from the margin of the last 12 months, per interaction."),
    )
    shrinking_below = models.DecimalField(
        _("shrinking: last 12 months below this share of the 12 before"),
        max_digits=4,
        decimal_places=3,
        default=0.50,
    )
    declined_proposals = models.PositiveSmallIntegerField(
        _("repeatedly declined: at least this many declined proposals in 12 months"), default=3
    )
    declined_outcomes = models.JSONField(
        _("interaction outcomes that mean a declined proposal"),
        default=default_declined_outcomes,
        blank=True,
        help_text=_("Compared without regard to case."),
    )
    # Relationship stages
    connection_days = models.PositiveIntegerField(
        _("connection: a two-way interaction within days"), default=365
    )
    intimacy_answers = models.PositiveSmallIntegerField(
        _("intimacy: at least this many profile questions answered"), default=2
    )
    intimacy_orders = models.PositiveSmallIntegerField(
        _("intimacy: at least this many orders"), default=2
    )
    trust_tenure_days = models.PositiveIntegerField(
        _("trust: customer for at least days"), default=730
    )
    trust_tags = models.JSONField(
        _("trust: tags that mark referrals or advocacy"),
        default=default_trust_tags,
        blank=True,
    )
    # Signals
    trend_below = models.DecimalField(
        _("buying less: last 12 months below this share of the usual"),
        max_digits=4,
        decimal_places=3,
        default=0.40,
    )
    win_back_months = models.PositiveSmallIntegerField(
        _("win back: valuable customers lost within months"), default=24
    )
    silence_days = models.PositiveIntegerField(
        _("most valuable without an interaction for days"), default=60
    )
    signal_cooldown_days = models.PositiveIntegerField(
        _("raise the same signal again after days at the earliest"), default=90
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("value settings")

    def __str__(self) -> str:
        return "value settings"


class RefreshRun(models.Model):
    """One refresh of the figures: when, how long each step took, and the thresholds it
    found (the cut-offs that explain every tier and score)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The reference time of every "last 12 months" in this run.
    as_of = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=16, default="manual")  # manual | schedule | api
    steps = models.JSONField(default=dict)  # step -> seconds
    stats = models.JSONField(default=dict)  # thresholds, totals, model parameters
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"refresh {self.pk} ({self.status})"


class CustomerMetrics(models.Model):
    """Every figure of one customer, as of the last refresh. Money is in the default
    currency (orders in others count through PATRON_EXCHANGE_RATES)."""

    # No foreign-key constraint in the database: the refresh writes a million rows at
    # once from the customers themselves, and a check per row cost seconds. Deleting a
    # customer still deletes their row (Django's CASCADE).
    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="metrics",
        db_constraint=False,
    )
    # Orders (cancelled and returned ones excluded)
    first_order_at = models.DateTimeField(_("first order"), null=True)
    last_order_at = models.DateTimeField(_("last order"), null=True)
    orders_total = models.PositiveIntegerField(_("orders"), default=0)
    revenue_total = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2, default=0)
    margin_total = models.DecimalField(_("margin"), max_digits=16, decimal_places=2, null=True)
    orders_12m = models.PositiveIntegerField(_("orders, last 12 months"), default=0)
    revenue_12m = models.DecimalField(
        _("revenue, last 12 months"), max_digits=16, decimal_places=2, default=0
    )
    margin_12m = models.DecimalField(
        _("margin, last 12 months"), max_digits=16, decimal_places=2, null=True
    )
    orders_prev_12m = models.PositiveIntegerField(_("orders, 12 months before"), default=0)
    revenue_prev_12m = models.DecimalField(
        _("revenue, 12 months before"), max_digits=16, decimal_places=2, default=0
    )
    margin_prev_12m = models.DecimalField(
        _("margin, 12 months before"), max_digits=16, decimal_places=2, null=True
    )
    # Distinct order days (a purchase in the CLV models) and the value of the first.
    order_days = models.PositiveIntegerField(_("purchase days"), default=0)
    first_day_revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    # Days since the last order (null without one); orders per year of tenure.
    recency_days = models.PositiveIntegerField(_("days since last order"), null=True)
    frequency = models.FloatField(_("orders per year"), null=True)
    tenure_days = models.PositiveIntegerField(_("days since first order"), null=True)
    average_order_value = models.DecimalField(
        _("average order value"), max_digits=16, decimal_places=2, null=True
    )
    # Revenue of the last 12 months against the usual yearly revenue before them.
    usual_revenue = models.DecimalField(
        _("usual yearly revenue"), max_digits=16, decimal_places=2, null=True
    )
    trend = models.FloatField(_("trend"), null=True)
    # Interactions
    last_interaction_at = models.DateTimeField(_("last interaction"), null=True)
    days_since_interaction = models.PositiveIntegerField(_("days since interaction"), null=True)
    interactions_12m = models.PositiveIntegerField(_("interactions, last 12 months"), default=0)
    two_way_recent = models.BooleanField(default=False)
    declined_12m = models.PositiveIntegerField(default=0)
    answers = models.PositiveIntegerField(_("questions answered"), default=0)
    open_tickets = models.PositiveIntegerField(_("open tickets"), default=0)
    open_complaints = models.PositiveIntegerField(_("open complaints"), default=0)
    # Tiers
    value_rank = models.PositiveIntegerField(null=True)
    value_tier = models.CharField(
        _("value tier"), max_length=16, choices=ValueTier.choices, blank=True
    )
    below_zero_reasons = models.CharField(max_length=100, blank=True)
    revenue_share_before = models.FloatField(null=True)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices, blank=True)
    # RFM
    r_score = models.PositiveSmallIntegerField(null=True)
    f_score = models.PositiveSmallIntegerField(null=True)
    m_score = models.PositiveSmallIntegerField(null=True)
    rfm_score = models.CharField(_("RFM score"), max_length=3, blank=True)
    rfm_segment = models.CharField(
        _("RFM segment"), max_length=20, choices=RfmSegment.choices, blank=True
    )
    previous_rfm_segment = models.CharField(max_length=20, choices=RfmSegment.choices, blank=True)
    # CLV
    p_alive = models.FloatField(_("probability active"), null=True)
    expected_purchases_12m = models.FloatField(_("expected purchases, 12 months"), null=True)
    expected_order_value = models.FloatField(_("expected purchase value"), null=True)
    clv_12m = models.DecimalField(
        _("predicted value, 12 months"), max_digits=16, decimal_places=2, null=True
    )
    relationship_stage = models.CharField(
        _("relationship stage"),
        max_length=12,
        choices=RelationshipStage.choices,
        default=RelationshipStage.CONTACT,
    )
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("customer metrics")
        verbose_name_plural = _("customer metrics")
        indexes = [
            models.Index(fields=["value_tier"], name="metrics_tier"),
            models.Index(fields=["rfm_segment"], name="metrics_rfm"),
            models.Index(fields=["relationship_stage"], name="metrics_stage"),
            models.Index(fields=["-clv_12m"], name="metrics_clv"),
            models.Index(fields=["-revenue_12m"], name="metrics_revenue"),
            # The customer list sorts by these too (a page of a million in index order).
            models.Index(fields=["-p_alive"], name="metrics_p_alive"),
            models.Index(fields=["recency_days"], name="metrics_recency"),
        ]

    def __str__(self) -> str:
        return f"metrics of {self.customer_id}"


class Signal(models.Model):
    """Something a customer's figures say that someone must act on. Raised once per
    episode (not again while it holds, nor within the cool-down), with its task."""

    class Kind(models.TextChoices):
        BUYING_LESS = "buying_less", _("Buying less than usual")
        WIN_BACK = "win_back", _("Win back a lost valuable customer")
        SILENT = "silent", _("Most valuable, no recent interaction")
        AT_RISK = "at_risk", _("Moved into At risk")
        CANT_LOSE = "cant_lose", _("Moved into Can't lose them")
        # Raised by the service app when a valuable customer complains.
        COMPLAINT = "complaint", _("A valuable customer complained")
        # Raised by the feedback app when a customer gives a low score.
        DETRACTOR = "detractor", _("Gave a low score")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="signals", db_index=False
    )
    kind = models.CharField(_("signal"), max_length=20, choices=Kind.choices)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    # The figures that raised it (rendered as the explanation in the reader's language).
    details = models.JSONField(default=dict)
    # Set by the first refresh in which the condition no longer holds.
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    task = models.ForeignKey(
        "interactions.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    run = models.ForeignKey(RefreshRun, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        indexes = [
            models.Index(fields=["customer", "kind", "-raised_at"], name="signals_customer"),
            models.Index(fields=["-raised_at", "-id"], name="signals_raised"),
        ]
        constraints = [
            # At most one open episode of a kind per customer.
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=models.Q(cleared_at__isnull=True),
                name="one_open_signal_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.customer_id}"
