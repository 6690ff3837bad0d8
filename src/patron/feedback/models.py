"""Surveys (NPS, CSAT, CES and custom questions) in several languages, the invitations
that carry one signed token each, the responses with the closed loop that follows a low
score, the daily roll-ups that the results page reads, and ideas from customers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patron.core.models import TimeStampedModel


class SurveyKind(models.TextChoices):
    NPS = "nps", _("Net Promoter Score (0–10)")
    CSAT = "csat", _("Customer satisfaction (1–5)")
    CES = "ces", _("Customer effort (1–7)")
    CUSTOM = "custom", _("Custom questions only")


class Trigger(models.TextChoices):
    MANUAL = "manual", _("Sent by hand or to a segment")
    TICKET_RESOLVED = "ticket_resolved", _("A ticket was resolved")
    ORDER_DELIVERED = "order_delivered", _("An order was delivered")
    AFTER_FIRST_PURCHASE = "after_first_purchase", _("Days after the first purchase")


class Survey(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=150, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # The language used when the customer's own has no version.
    default_language = models.CharField(_("default language"), max_length=8, default="en")
    trigger = models.CharField(
        _("sent when"), max_length=24, choices=Trigger.choices, default=Trigger.MANUAL
    )
    # For AFTER_FIRST_PURCHASE: how many days after.
    trigger_days = models.PositiveIntegerField(_("days after"), null=True, blank=True)
    # A customer is not invited to this survey again within this many days.
    cooldown_days = models.PositiveIntegerField(_("cool-down (days)"), default=90)
    # An invitation's token expires after this many days.
    valid_days = models.PositiveIntegerField(_("link valid for (days)"), default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """A question of a survey. The survey's score question (NPS, CSAT or CES) comes first;
    custom questions follow. Their wording is in each language version."""

    class Kind(models.TextChoices):
        NPS = "nps", _("0–10 likelihood to recommend")
        CSAT = "csat", _("1–5 satisfaction")
        CES = "ces", _("1–7 effort")
        CHOICE = "choice", _("Choice")
        TEXT = "text", _("Text")
        SCALE = "scale", _("Scale")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(_("key"), max_length=60)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    required = models.BooleanField(_("required"), default=False)
    # SCALE: the bounds; CHOICE: the number of choices is in the language versions, the
    # stored answer is the choice's key from `choices`.
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    choices = models.JSONField(_("choice keys"), default=list, blank=True)

    class Meta:
        ordering = ["survey", "position", "id"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="one_question_key_per_survey")
        ]

    def __str__(self) -> str:
        return self.key


class SurveyVersion(models.Model):
    """A survey in one language: what the customer reads on the page and in the email.

    `questions` maps each question key to {"text": ..., "help": ..., "choices": {key:
    label}}; `why` is the follow-up asked after the score ("What is the main reason?")."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    why = models.CharField(_("follow-up question"), max_length=300, blank=True)
    questions = models.JSONField(_("questions"), default=dict)
    thank_you = models.TextField(_("thank-you text"), blank=True)
    email_subject = models.CharField(_("email subject"), max_length=200)
    email_body = models.TextField(_("email text"))

    class Meta:
        ordering = ["survey", "language"]
        verbose_name = _("survey language version")
        verbose_name_plural = _("survey language versions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "language"], name="one_version_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.language}"


class Invitation(models.Model):
    """One customer asked to answer one survey, by email or by a link handed out.

    The public page is reached with a signed token naming this row and its `nonce`; the
    row's `expires_at` and `responded_at` decide whether the token is still good, so a
    used or expired token is refused even though its signature is valid."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")
        RESPONDED = "responded", _("Answered")
        FAILED = "failed", _("Sending failed")

    class Via(models.TextChoices):
        EMAIL = "email", _("Email")
        LINK = "link", _("Link")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        db_index=False,
    )
    via = models.CharField(_("sent by"), max_length=8, choices=Via.choices, default=Via.EMAIL)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Why it was not sent (the can_contact reason), in the staff's words.
    skip_reason = models.CharField(_("reason"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=8)
    nonce = models.CharField(max_length=32, unique=True)
    trigger = models.CharField(_("touchpoint"), max_length=24, choices=Trigger.choices)
    # What it follows: a resolved ticket, a delivered order.
    ticket = models.ForeignKey(
        "service.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "commerce.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The employee whose contact the feedback is about (the ticket's agent, the owner).
    about_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When to send (quiet hours move it later); when it went.
    send_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [
            # Cool-down: this customer, this survey, lately.
            models.Index(fields=["customer", "survey", "-created_at"], name="invitations_cooldown"),
            # Frequency cap: messages sent to this customer lately.
            models.Index(fields=["customer", "sent_at"], name="invitations_sent"),
            # A survey's invitations newest first: the id breaks the ties of a bulk send
            # (thousands made at the same instant) without sorting them all.
            models.Index(fields=["survey", "-created_at", "-id"], name="invitations_survey"),
            # Per-status counts of a survey from the index alone, and its invitations of
            # one status newest first.
            models.Index(
                fields=["survey", "status", "-created_at", "-id"],
                name="invitations_survey_status",
            ),
            models.Index(
                fields=["send_after"],
                name="invitations_to_send",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} → {self.customer_id}"


class Response(models.Model):
    """A customer's answers to one invitation.

    The score and its band are copied out of the answers, and the owner, team and value
    tier of the moment are kept, so that results group by them without joins and stay as
    they were when the customer answered."""

    class Band(models.TextChoices):
        # NPS: promoter 9–10, passive 7–8, detractor 0–6. CSAT: 4–5 / 3 / 1–2.
        # CES (1 easy … 7 hard): 1–2 / 3–5 / 6–7.
        FAVOURABLE = "favourable", _("Favourable")
        NEUTRAL = "neutral", _("Neutral")
        UNFAVOURABLE = "unfavourable", _("Unfavourable")

    class Loop(models.TextChoices):
        NONE = "", _("No follow-up needed")
        OPEN = "open", _("Follow-up open")
        CLOSED = "closed", _("Closed: the customer was answered")

    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="response"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="survey_responses",
        db_index=False,
    )
    submitted_at = models.DateTimeField(_("answered"), default=timezone.now)
    language = models.CharField(_("language"), max_length=8, blank=True)
    score = models.SmallIntegerField(_("score"), null=True, blank=True)
    band = models.CharField(_("band"), max_length=12, choices=Band.choices, blank=True)
    comment = models.TextField(_("why"), blank=True)
    # Every answer by question key (custom questions, and the score again).
    answers = models.JSONField(_("answers"), default=dict)
    trigger = models.CharField(_("touchpoint"), max_length=24, choices=Trigger.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    value_tier = models.CharField(_("value tier"), max_length=20, blank=True)
    tags = models.ManyToManyField(
        "feedback.VerbatimTag", verbose_name=_("tags"), blank=True, related_name="responses"
    )
    # The closed loop: the follow-up ticket a low score opened, and when the customer was
    # answered on it.
    loop = models.CharField(_("loop"), max_length=8, choices=Loop.choices, blank=True)
    follow_up_ticket = models.ForeignKey(
        "service.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    loop_closed_at = models.DateTimeField(_("loop closed"), null=True, blank=True)
    # A promoter staff flagged as a possible reference or advocate.
    reference_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["customer", "-submitted_at"], name="responses_customer"),
            models.Index(fields=["survey", "-submitted_at"], name="responses_survey"),
            # The responses API's list, newest first, over every survey.
            models.Index(fields=["-submitted_at", "-id"], name="responses_newest"),
            models.Index(
                fields=["loop", "submitted_at"],
                name="responses_open_loop",
                condition=models.Q(loop="open"),
            ),
            # The closed-loop summary (feedback/loop.py) reads only these columns of the
            # responses that opened a loop: served from this index, without the rows.
            models.Index(
                fields=["survey", "submitted_at", "loop", "loop_closed_at"],
                name="responses_loops",
                condition=~models.Q(loop=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.customer_id} {self.score}"


class VerbatimTag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("verbatim tag")
        verbose_name_plural = _("verbatim tags")

    def __str__(self) -> str:
        return self.name


class ResponseRollup(models.Model):
    """Responses counted per survey, day and one dimension (everyone, a touchpoint, a
    tier, an owner, a team, a segment), kept up to date as responses arrive, so that the
    results page sums a few thousand rows instead of reading a million responses."""

    class Dimension(models.TextChoices):
        ALL = "all", _("Everyone")
        TRIGGER = "trigger", _("Touchpoint")
        TIER = "tier", _("Value tier")
        OWNER = "owner", _("Owner")
        TEAM = "team", _("Team")
        SEGMENT = "segment", _("Segment")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    # The touchpoint, tier, user id, team id or segment id; "" for ALL.
    key = models.CharField(max_length=40, blank=True)
    responses = models.PositiveIntegerField(default=0)
    scored = models.PositiveIntegerField(default=0)
    score_sum = models.BigIntegerField(default=0)
    favourable = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    unfavourable = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "dimension", "key", "day"], name="one_rollup_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day} {self.dimension}={self.key}"


class Idea(TimeStampedModel):
    """A suggestion from customers (or staff on their behalf): kept, tagged, voted on by
    staff, and its requesters told when its status changes ("you said, we did")."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        DECLINED = "declined", _("Declined")

    class Source(models.TextChoices):
        SURVEY = "survey", _("Survey answer")
        TICKET = "ticket", _("Ticket")
        STAFF = "staff", _("Entered by staff")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.STAFF
    )
    response = models.ForeignKey(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="ideas"
    )
    ticket = models.ForeignKey(
        "service.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tags = models.ManyToManyField(
        VerbatimTag, verbose_name=_("tags"), blank=True, related_name="ideas"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    votes = models.PositiveIntegerField(_("votes"), default=0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-votes", "-created_at"]
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        indexes = [models.Index(fields=["status", "-votes"], name="ideas_status")]

    def __str__(self) -> str:
        return self.title


class IdeaVote(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="vote_set")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="one_vote_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.idea_id}"


class IdeaRequester(models.Model):
    """A customer who asked for the idea; told (by email, logged on their timeline) when
    its status changes."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="requesters")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="idea_requests"
    )
    added_at = models.DateTimeField(default=timezone.now)
    told_status = models.CharField(max_length=10, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "customer"], name="one_request_per_customer")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.idea_id}"


class Programme(models.TextChoices):
    EARLY_ADOPTER = "early_adopter", _("Early-adopter programme")
    REFERENCE = "reference", _("Potential reference / advocate")


class ProgrammeMembership(models.Model):
    """A customer in the early-adopter programme, or flagged as a potential reference
    (typically a promoter)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="programmes"
    )
    programme = models.CharField(_("programme"), max_length=16, choices=Programme.choices)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    response = models.ForeignKey(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-joined_at"]
        verbose_name = _("programme membership")
        verbose_name_plural = _("programme memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "programme"], name="one_membership_per_programme"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.programme}"


class SurveyAttempt(models.Model):
    """One use of the public survey pages from a client address (an answer or unsubscribe
    sent, a link that was refused): too many within an hour and the address is turned
    away for a while. A table rather than the cache, so every worker counts the same."""

    client = models.CharField(max_length=45, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="survey_attempts_client")]

    def __str__(self) -> str:
        return f"{self.client} {self.at:%Y-%m-%d %H:%M}"
