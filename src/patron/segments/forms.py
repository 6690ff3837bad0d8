"""The segment form: name, description, kind, and the rules as JSON (which the builder
writes; without JavaScript they are typed in)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patron.core.forms import StyledForm
from patron.segments.models import Segment

FORM_FIELDS = ("name", "description", "kind")


class SegmentForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What the segment is for, and who uses it."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=Segment.Kind.choices,
        initial=Segment.Kind.DYNAMIC,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Dynamic: the customers who match the rules, brought up to date every night. "
            "Static: a list you keep by hand."
        ),
    )
    rules = forms.CharField(
        label=gettext_lazy("Rules as JSON"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "dir": "ltr"}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_rules(self) -> Any:
        text = (self.cleaned_data.get("rules") or "").strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("These rules are not valid JSON: %(error)s") % {"error": exc}
            ) from exc

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {**{name: data[name] for name in FORM_FIELDS}, "rules": data["rules"]}

    @staticmethod
    def initial_for(segment: Segment) -> dict[str, Any]:
        return {
            "name": segment.name,
            "description": segment.description,
            "kind": segment.kind,
            "rules": json.dumps(segment.rules, indent=2, ensure_ascii=False),
            "version": segment.version,
        }
