"""Forms of the conversation: log an interaction (with answers to the proposed questions),
write a note, add or change a task, filter the timeline, edit the question bank. They
shape input for the services, which hold the rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patron.core.forms import StyledForm
from patron.customers.forms import active_users
from patron.customers.models import Customer
from patron.interactions.models import Channel, Interaction, Question, Task
from patron.interactions.timeline import timeline_kinds

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=LOCAL_MINUTE)


def local_datetime_field(label: Any, *, required: bool = False, **kwargs: Any) -> Any:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=LocalDateTimeInput(),
        input_formats=[LOCAL_MINUTE, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        **kwargs,
    )


def answer_field(question: Question) -> forms.Field:
    common = {"label": question.text, "required": False, "help_text": question.help_text}
    if question.answer_type == Question.AnswerType.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in question.choices)], **common)
    if question.answer_type == Question.AnswerType.NUMBER:
        return forms.DecimalField(**common)
    if question.answer_type == Question.AnswerType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.CharField(max_length=500, **common)


class InteractionForm(StyledForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial="phone")
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Interaction.Direction.choices, initial="outbound"
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=120, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=120, required=False)
    occurred_at = local_datetime_field(_("When"), help_text=_("Leave empty for now."))
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        choices=[("", _("Not noted")), *Interaction.Sentiment.choices],
        required=False,
    )
    body = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, questions: Iterable[Question] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"answer_{question.key}"] = answer_field(question)
            self.fields[f"skip_{question.key}"] = forms.BooleanField(
                label=_("Would rather not say"), required=False
            )
        self.style_fields([n for n in self.fields if n.startswith(("answer_", "skip_"))])

    def question_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "question": q,
                "answer": self[f"answer_{q.key}"],
                "skip": self[f"skip_{q.key}"],
            }
            for q in self.questions
        ]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in (
                "channel",
                "direction",
                "summary",
                "outcome",
                "reason",
                "sentiment",
                "body",
            )
        }
        fields["occurred_at"] = data.get("occurred_at") or timezone.now()
        return fields

    def answers(self) -> list[tuple[Question, Any, bool]]:
        given = []
        for question in self.questions:
            value = self.cleaned_data.get(f"answer_{question.key}")
            skipped = bool(self.cleaned_data.get(f"skip_{question.key}"))
            if isinstance(value, dt.date):
                value = value.isoformat()
            if skipped or value not in (None, ""):
                given.append((question, value, skipped))
        return given


class NoteForm(StyledForm):
    body = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Mention a colleague with @ and their email name, e.g. @ana."),
    )


def user_choices() -> list[tuple[Any, str]]:
    return [(u.pk, u.display_name) for u in active_users()]


class TaskForm(StyledForm):
    title = forms.CharField(label=_("Task"), max_length=200)
    due_at = local_datetime_field(_("Due"))
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), coerce=int, required=False, empty_value=None
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, coerce=int, initial=Task.Priority.NORMAL
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, users: list[tuple[Any, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Me")), *(users or user_choices())]


SNOOZE_CHOICES = (
    ("1h", _("1 hour")),
    ("tomorrow", _("Tomorrow morning")),
    ("week", _("Next week")),
)


def snooze_until(choice: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When a snooze choice ends, in the user's time zone (mornings at 09:00)."""
    now = timezone.localtime(now or timezone.now())
    morning = dt.time(9, 0)
    if choice == "1h":
        return now + dt.timedelta(hours=1)
    if choice == "tomorrow":
        return dt.datetime.combine(now.date() + dt.timedelta(days=1), morning, tzinfo=now.tzinfo)
    if choice == "week":
        monday = now.date() + dt.timedelta(days=7 - now.weekday())
        return dt.datetime.combine(monday, morning, tzinfo=now.tzinfo)
    return None


class TimelineFilterForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    user = forms.TypedChoiceField(label=_("User"), coerce=int, required=False, empty_value=None)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: Any, users: list[tuple[Any, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            ("", _("Everything")),
            *((k.key, k.label) for k in timeline_kinds()),
        ]
        self.fields["user"].choices = [("", _("Anyone")), *(users or user_choices())]
        for field in self.fields.values():  # small controls: filters, not a form to fill
            css = field.widget.attrs.get("class", "")
            size = "form-select-sm" if "form-select" in css else "form-control-sm"
            field.widget.attrs["class"] = f"{css} {size}"

    def timeline_filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "kinds": [data["kind"]] if data.get("kind") else [],
            "channels": [data["channel"]] if data.get("channel") else [],
            "user_id": data.get("user"),
            "since": data.get("since"),
            "until": data.get("until"),
        }


class QuestionForm(StyledForm):
    text = forms.CharField(label=_("Question"), max_length=255)
    key = forms.SlugField(
        label=_("Key"),
        max_length=60,
        help_text=_("A short name for the API and imports, such as preferred_time."),
    )
    help_text = forms.CharField(label=_("Why we ask"), max_length=255, required=False)
    answer_type = forms.ChoiceField(label=_("Answer type"), choices=Question.AnswerType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a choice question: one choice per line."),
    )
    applies_to_kind = forms.ChoiceField(
        label=_("Ask"),
        required=False,
        choices=[
            ("", _("Everyone")),
            ("person", _("People")),
            ("organization", _("Organizations")),
        ],
    )
    applies_to_stages = forms.MultipleChoiceField(
        label=_("Only in these lifecycle stages"),
        required=False,
        choices=Customer.Lifecycle.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    applies_to_tags = forms.CharField(
        label=_("Only for customers tagged"),
        required=False,
        help_text=_("Comma-separated; empty for every customer."),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=1000,
        initial=50,
        help_text=_("Higher is asked first."),
    )
    ask_again_after_days = forms.IntegerField(
        label=_("Ask again after (days)"),
        min_value=1,
        max_value=36500,
        required=False,
        help_text=_("Empty: an answer stays true."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["choices"] = [c.strip() for c in data["choices"].splitlines() if c.strip()]
        data["applies_to_tags"] = [
            t.strip() for t in data["applies_to_tags"].split(",") if t.strip()
        ]
        return data

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        return {
            "text": question.text,
            "key": question.key,
            "help_text": question.help_text,
            "answer_type": question.answer_type,
            "choices": "\n".join(question.choices),
            "applies_to_kind": question.applies_to_kind,
            "applies_to_stages": question.applies_to_stages,
            "applies_to_tags": ", ".join(question.applies_to_tags),
            "priority": question.priority,
            "ask_again_after_days": question.ask_again_after_days,
            "active": question.active,
        }
