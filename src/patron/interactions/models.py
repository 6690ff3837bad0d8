"""One continuous conversation with each customer: interactions on every channel, notes,
tasks (the promises we made), and the drip dialogue's questions and answers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patron.core.models import TimeStampedModel


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    MEETING = "meeting", _("Meeting")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social")
    WEB = "web", _("Web")
    STORE = "store", _("Store")
    LETTER = "letter", _("Letter")
    SMS = "sms", _("SMS")
    AFTER_SALES = "after_sales", _("After-sales")
    BILLING = "billing", _("Billing")


class Interaction(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Sentiment(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEUTRAL = "neutral", _("Neutral")
        NEGATIVE = "negative", _("Negative")

    # The id in the system the interaction came from (phone switch, mail server, chat):
    # ingesting the same one twice updates it instead of logging it again.
    external_id = models.CharField(
        _("external id"), max_length=200, unique=True, null=True, blank=True
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
        db_index=False,
    )
    # The organization the person spoke for, when it matters (a buyer calling for a firm).
    organization = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("organization"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organization_interactions",
        db_index=False,
    )
    # The ticket this interaction is part of (a reply sent, an email received).
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.INBOUND
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("with"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    summary = models.CharField(_("summary"), max_length=255)
    # Sanitised HTML (or plain text) of the message, call notes or minutes.
    body = models.TextField(_("details"), blank=True)
    reason = models.CharField(_("reason"), max_length=120, blank=True)
    device = models.CharField(_("device"), max_length=60, blank=True)
    outcome = models.CharField(_("outcome"), max_length=120, blank=True)
    # Set by people, never guessed by the machine.
    sentiment = models.CharField(
        _("sentiment"), max_length=8, choices=Sentiment.choices, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            # `direction` last: the refresh of the metrics reads this index alone.
            models.Index(
                fields=["customer", "-occurred_at", "-id", "direction"],
                name="interactions_customer_v2",
            ),
            models.Index(fields=["-occurred_at", "-id"], name="interactions_occurred"),
            models.Index(
                fields=["organization", "-occurred_at"],
                name="interactions_organization",
                condition=models.Q(organization__isnull=False),
            ),
            models.Index(
                fields=["ticket", "occurred_at"],
                name="interactions_ticket",
                condition=models.Q(ticket__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.summary


class Note(TimeStampedModel):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="notes",
        db_index=False,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    body = models.TextField(_("note"))
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mentions"), blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="notes_customer"),
            models.Index(fields=["-created_at", "-id"], name="notes_created"),
        ]

    def __str__(self) -> str:
        return self.body[:60]


class Task(TimeStampedModel):
    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Manual")
        SIGNAL = "signal", _("Signal")
        TICKET = "ticket", _("Ticket")

    title = models.CharField(_("task title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="tasks",
        null=True,
        blank=True,
        db_index=False,
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    # What raised it (a signal's rule and period, a ticket): a source never raises the
    # same task twice.
    source_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # When the assignee gets an email about it (by default when it falls due).
    remind_at = models.DateTimeField(_("remind"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["due_at", "-priority", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="tasks_assignee"),
            models.Index(fields=["customer", "-created_at", "-id"], name="tasks_customer"),
            models.Index(fields=["-created_at", "-id"], name="tasks_created"),
            models.Index(
                fields=["remind_at"],
                name="tasks_reminder_due",
                condition=models.Q(status="open", reminded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return bool(self.is_open and self.due_at and self.due_at < (now or timezone.now()))


class Question(TimeStampedModel):
    """One entry of the drip dialogue's question bank: what we would like to know about
    a customer, asked a little at each contact instead of all at once."""

    class AnswerType(models.TextChoices):
        CHOICE = "choice", _("Choice")
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")

    key = models.SlugField(_("key"), max_length=60, unique=True)
    text = models.CharField(_("question"), max_length=255)
    help_text = models.CharField(_("why we ask"), max_length=255, blank=True)
    answer_type = models.CharField(
        _("answer type"), max_length=8, choices=AnswerType.choices, default=AnswerType.TEXT
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)
    # Which customers it is for; empty means every customer.
    applies_to_kind = models.CharField(
        _("for kind"),
        max_length=16,
        blank=True,
        choices=[("person", _("People")), ("organization", _("Organizations"))],
    )
    applies_to_stages = models.JSONField(_("for lifecycle stages"), default=list, blank=True)
    applies_to_tags = models.JSONField(_("for tags"), default=list, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=50)
    active = models.BooleanField(_("active"), default=True)
    # An answer older than this is worth checking again (e.g. "how many employees");
    # empty: an answer stays true.
    ask_again_after_days = models.PositiveIntegerField(
        _("ask again after (days)"), null=True, blank=True
    )

    class Meta:
        ordering = ["-priority", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text


class Answer(models.Model):
    """A customer's answer to a question (or a recorded "would rather not say"), with who
    heard it, when and on which channel. Answers are kept: the newest one counts."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="answers",
        db_index=False,
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    # Stored as text in a canonical form: ISO date, plain decimal, the choice itself.
    value = models.CharField(_("answer"), max_length=500, blank=True)
    skipped = models.BooleanField(_("skipped"), default=False)
    answered_at = models.DateTimeField(_("when"), default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("heard by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    interaction = models.ForeignKey(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers"
    )

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [
            models.Index(fields=["customer", "-answered_at", "-id"], name="answers_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value}"


class Notification(models.Model):
    """Something a user should see: a mention in a note, a task given to them."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")
        TASK_ASSIGNED = "task_assigned", _("Task assigned")
        SIGNALS = "signals", _("New signals")
        TICKET = "ticket", _("Ticket")
        SLA = "sla", _("Ticket deadline")
        FEEDBACK = "feedback", _("Feedback")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.text
