"""Forms of the survey pages: a survey's settings, a custom question, a language version
(with one field per question text and choice label), sending to a segment, and a link
invitation for one customer. They only read input: the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from patron.core.forms import StyledForm
from patron.feedback.models import Invitation, Question, Survey, SurveyKind, SurveyVersion, Trigger
from patron.feedback.services import CUSTOM_KINDS, MAX_DAYS


class SurveyForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=SurveyKind.choices)
    default_language = forms.CharField(
        label=_("Default language"),
        max_length=8,
        initial="en",
        help_text=_("Used when a customer's language has no version (such as en, ar, pt-BR)."),
    )
    trigger = forms.ChoiceField(label=_("Sent when"), choices=Trigger.choices)
    trigger_days = forms.IntegerField(
        label=_("Days after"),
        min_value=0,
        max_value=MAX_DAYS,
        required=False,
        help_text=_("For orders and first purchases: how many days later (default 0)."),
    )
    cooldown_days = forms.IntegerField(
        label=_("Cool-down (days)"),
        min_value=0,
        max_value=MAX_DAYS,
        initial=90,
        help_text=_("A customer is not invited to this survey again within this time."),
    )
    valid_days = forms.IntegerField(
        label=_("Link valid for (days)"), min_value=1, max_value=MAX_DAYS, initial=30
    )

    @classmethod
    def initial_for(cls, survey: Survey) -> dict[str, Any]:
        return {name: getattr(survey, name) for name in cls.base_fields}

    def service_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class QuestionForm(StyledForm):
    key = forms.SlugField(
        label=_("Key"),
        max_length=60,
        help_text=_("Names the answer in exports and the API, such as delivery_speed."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k, label) for k, label in Question.Kind.choices if k in CUSTOM_KINDS],
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(
        label=_("Choice keys"),
        required=False,
        max_length=1000,
        help_text=_("For a choice: keys separated by commas (labels go in each language)."),
    )
    scale_min = forms.IntegerField(label=_("Scale from"), required=False)
    scale_max = forms.IntegerField(label=_("Scale to"), required=False)

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["choices"] = [c.strip() for c in (data.get("choices") or "").split(",") if c.strip()]
        return data


class VersionForm(StyledForm):
    """The texts of one language version; `q__<key>` and `c__<key>__<choice>` fields are
    added per question."""

    title = forms.CharField(label=_("Title"), max_length=200)
    intro = forms.CharField(
        label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    why = forms.CharField(
        label=_("Follow-up question"),
        required=False,
        max_length=300,
        help_text=_("Asked after the score, such as “What is the main reason for your score?”"),
    )
    thank_you = forms.CharField(
        label=_("Thank-you text"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    email_subject = forms.CharField(label=_("Email subject"), max_length=200)
    email_body = forms.CharField(
        label=_("Email text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Must contain {link}; may use {name} (the customer's first name) and {survey}."
        ),
    )

    def __init__(
        self,
        *args: Any,
        questions: list[Question],
        language: str = "",
        rtl: bool = False,
        **kwargs: Any,
    ) -> None:
        # One form per language on the page: the prefix keeps their ids apart.
        kwargs.setdefault("prefix", f"v-{language}" if language else None)
        super().__init__(*args, **kwargs)
        self.questions = questions
        before = set(self.fields)
        for question in questions:
            self.fields[f"q__{question.key}"] = forms.CharField(
                label=_("Question “%(key)s”") % {"key": question.key},
                required=False,
                max_length=500,
            )
            for choice in question.choices:
                self.fields[f"c__{question.key}__{choice}"] = forms.CharField(
                    label=_("Label of “%(choice)s”") % {"choice": choice},
                    required=False,
                    max_length=200,
                )
        self.style_fields([name for name in self.fields if name not in before])
        # The texts are in the version's language (the labels stay in the staff's).
        for field in self.fields.values():
            if language:
                field.widget.attrs["lang"] = language
            field.widget.attrs["dir"] = "rtl" if rtl else "auto"

    @staticmethod
    def initial_for(version: SurveyVersion) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(version, name)
            for name in ("title", "intro", "why", "thank_you", "email_subject", "email_body")
        }
        for key, entry in (version.questions or {}).items():
            initial[f"q__{key}"] = entry.get("text", "")
            for choice, label in (entry.get("choices") or {}).items():
                initial[f"c__{key}__{choice}"] = label
        return initial

    def question_fields(self) -> list[tuple[Question, Any, list[Any]]]:
        """For the template: each question's text field and its choice label fields."""
        return [
            (q, self[f"q__{q.key}"], [self[f"c__{q.key}__{c}"] for c in q.choices])
            for q in self.questions
        ]

    def service_fields(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name]
            for name in ("title", "intro", "why", "thank_you", "email_subject", "email_body")
        }
        data["questions"] = {
            q.key: {
                "text": self.cleaned_data.get(f"q__{q.key}", ""),
                "choices": {c: self.cleaned_data.get(f"c__{q.key}__{c}", "") for c in q.choices},
            }
            for q in self.questions
        }
        return data


class SendForm(StyledForm):
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=None, empty_label=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from patron.segments.models import Segment

        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.order_by("name")


class InviteForm(StyledForm):
    survey = forms.ModelChoiceField(label=_("Survey"), queryset=None, empty_label=None)
    via = forms.ChoiceField(
        label=_("How"),
        choices=Invitation.Via.choices,
        initial=Invitation.Via.LINK,
        widget=forms.RadioSelect,
        help_text=_("A link to hand out now, or an email sent within a minute (with consent)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = Survey.objects.filter(
            status=Survey.Status.ACTIVE
        ).order_by("name")
