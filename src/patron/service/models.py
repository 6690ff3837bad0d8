"""Tickets (complaints, questions, requests, incidents), their conversation, the SLA
policies and service hours that give them deadlines, and the breaches of those deadlines.

Times are UTC. A ticket's due times are computed from the SLA policy that matches it and
the service hours of its team (or the default hours); they are stored so that the
queue sorts and filters on them and the SLA job finds what is at risk with one query.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patron.accounts.models import validate_time_zone
from patron.core.models import OwnedModel, TimeStampedModel
from patron.interactions.models import Channel, Task
from patron.service.sql import kpi_indexes


class TicketCategory(models.Model):
    """What a ticket is about (billing, delivery, product quality …); edited by admins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")

    def __str__(self) -> str:
        return self.name


class TicketType(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    QUESTION = "question", _("Question")
    REQUEST = "request", _("Request")
    INCIDENT = "incident", _("Incident")


# The same four priorities as tasks, so that tickets and tasks sort and read alike.
TicketPriority = Task.Priority


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Statuses in which the ticket still needs us: the SLA clock runs (except while waiting).
ACTIVE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")


class Ticket(OwnedModel):
    """One matter a customer brought to us, from the first message to its resolution.

    `owner` is the agent who answers; `team` gives the service hours and the manager to
    escalate to. Counters and timestamps below are kept by the services so that KPIs are
    sums over this table, never reconstructions from the thread."""

    subject = models.CharField(_("subject"), max_length=255)
    type = models.CharField(
        _("type"), max_length=12, choices=TicketType.choices, default=TicketType.QUESTION
    )
    category = models.ForeignKey(
        TicketCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="tickets",
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    # The address the customer wrote from (email tickets): replies go there.
    reply_to = models.EmailField(_("reply to"), blank=True)

    # SLA: the policy that matched at creation (or on a change of priority / tier), the
    # targets it gave, and where the ticket stands against them.
    sla_policy = models.ForeignKey(
        "service.SlaPolicy",
        verbose_name=_("SLA policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_state = models.CharField(
        _("SLA"), max_length=10, choices=SlaState.choices, default=SlaState.ON_TRACK
    )
    # When the ticket went to "waiting on customer": the resolution clock stops there and
    # its due time moves on by the business time spent waiting when the customer answers.
    waiting_since = models.DateTimeField(null=True, blank=True, editable=False)
    # The deadline that matters now (the first response while none was given, else the
    # resolution), empty once the ticket is resolved or closed: the queue's default sort
    # reads one index in this order instead of sorting every active ticket. Kept by save().
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    at_risk_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    agent_replies = models.PositiveIntegerField(default=0, editable=False)
    reopened_count = models.PositiveIntegerField(_("reopened"), default=0, editable=False)
    # Derived at resolution: resolved with no more than one agent reply and never reopened.
    first_contact_resolution = models.BooleanField(
        _("resolved on first contact"), null=True, blank=True, editable=False
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    prevention_note = models.TextField(_("prevention"), blank=True)
    # Set when the satisfaction survey was sent at close (by the feedback app's trigger).
    satisfaction_asked_at = models.DateTimeField(
        _("satisfaction asked"), null=True, blank=True, editable=False
    )
    # Who or what opened it: an agent, an inbound email, a survey answer (closed loop).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="tickets_customer"),
            models.Index(fields=["status", "resolution_due_at"], name="tickets_queue"),
            models.Index(fields=["owner", "status", "resolution_due_at"], name="tickets_owner"),
            models.Index(fields=["team", "status", "resolution_due_at"], name="tickets_team"),
            models.Index(fields=["-created_at", "-id"], name="tickets_created"),
            models.Index(fields=["resolved_at"], name="tickets_resolved"),
            models.Index(fields=["next_due_at", "id"], name="tickets_next_due"),
            # The KPIs' percentiles, read from the index in duration order (service.sql).
            *kpi_indexes(),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def compute_next_due_at(self) -> dt.datetime | None:
        if self.status not in ACTIVE_STATUSES:
            return None
        if self.first_response_at is None and self.first_response_due_at is not None:
            return self.first_response_due_at
        return self.resolution_due_at

    def save(self, *args: object, **kwargs: object) -> None:
        self.next_due_at = self.compute_next_due_at()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "next_due_at"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class TicketMessage(models.Model):
    """One entry of a ticket's thread: a reply to the customer, a message from them, or
    an internal note that the customer never sees. Email messages keep their headers so
    that inbound mail threads onto the right ticket and is never imported twice."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        CUSTOMER = "customer", _("From the customer")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    # Email: Message-ID (ours for replies, theirs for inbound), threading headers and
    # addresses. Message-ID is unique: the same inbound message is never stored twice.
    message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    to_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=500, blank=True)
    # The timeline entry for replies and customer messages (notes stay off the timeline).
    interaction = models.ForeignKey(
        "interactions.Interaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_messages")]

    def __str__(self) -> str:
        return self.body[:60]


class SlaPolicy(TimeStampedModel):
    """Targets for the first response and the resolution, for the tickets it matches.

    Empty criteria match anything; the most specific active policy wins (type, tier and
    priority given beat fewer given), then the lower position."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    ticket_type = models.CharField(_("type"), max_length=12, choices=TicketType.choices, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TicketPriority.choices, null=True, blank=True
    )
    # A value tier of analytics.ValueTier, or blank for any.
    customer_tier = models.CharField(_("customer tier"), max_length=20, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    # Business hours count (the team's service hours) or the clock runs around the clock.
    business_hours = models.BooleanField(_("in business hours"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


def default_week() -> list[list[list[str]]]:
    """Monday to Friday, 09:00-17:00; the weekend closed. Index 0 is Monday."""
    working = [["09:00", "17:00"]]
    return [working, working, working, working, working, [], []]


class ServiceHours(models.Model):
    """When a team (or, with no team, everyone else) counts time against an SLA: opening
    intervals per weekday in a time zone, and holidays on which it is closed."""

    team = models.OneToOneField(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="service_hours",
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    # Seven lists (Monday first) of [start, end] pairs "HH:MM"; an empty list is closed.
    week = models.JSONField(_("opening hours"), default=default_week)

    class Meta:
        verbose_name = _("service hours")
        verbose_name_plural = _("service hours")
        # The default (team-less) hours are one row: the services keep it single.

    def __str__(self) -> str:
        return str(self.team) if self.team_id else str(_("Default service hours"))


class Holiday(models.Model):
    hours = models.ForeignKey(ServiceHours, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["hours", "date"], name="one_holiday_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SlaBreach(models.Model):
    """A deadline a ticket missed, recorded once when the SLA job first sees it missed,
    and never overwritten (a later resolution does not erase it)."""

    class Target(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="breaches")
    target = models.CharField(_("target"), max_length=16, choices=Target.choices)
    due_at = models.DateTimeField(_("due"))
    breached_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # The owner and the team manager told at the time.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-breached_at"]
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target"], name="one_breach_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target}"


class WinBackWindow(models.Model):
    """Thirty days after a valuable customer complained, in which their caretaker works
    to keep them; shown on the customer page while it is open."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="win_back_windows"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    caretaker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("win-back window")
        verbose_name_plural = _("win-back windows")

    def __str__(self) -> str:
        return f"{self.customer_id} until {self.closes_at:%Y-%m-%d}"

    def is_open(self, now: dt.datetime | None = None) -> bool:
        return self.closes_at > (now or timezone.now())
