"""Form styling shared by every form: Bootstrap classes and error state on the widgets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


class QuickSelect(forms.Select):
    """A `<select>` written in Python. Django renders every `<option>` through a template
    of its own (tens of microseconds each); a page with country, owner and team lists
    spent more time on its options than on its queries. Same markup, same behaviour."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        # As Django's Select: only the first option with the value is selected.
        chosen = {str(v) for v in self.format_value(value)[:1]}
        return format_html("<select{}>{}</select>", flatatt(final), _options(self.choices, chosen))


def _options(choices: Any, chosen: set[str]) -> SafeString:
    rows = []
    for option_value, label in choices:
        if isinstance(label, list | tuple):  # an <optgroup>
            rows.append(
                format_html(
                    '<optgroup label="{}">{}</optgroup>', option_value, _options(label, chosen)
                )
            )
            continue
        value = "" if option_value is None else str(option_value)
        # " selected" has nothing to escape: format_html passes it as it is.
        selected = " selected" if value in chosen else ""
        chosen.discard(value)
        rows.append(format_html('<option value="{}"{}>{}</option>', value, selected, label))
    return format_html_join("", "{}", ((row,) for row in rows))


class StyledForm(forms.Form):
    """Adds `form-control` / `form-select` / `form-check-input` and `is-invalid`, so templates
    render fields with `{{ field }}` and still look and behave alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields(self.fields)

    def style_fields(self, names: Any) -> None:
        """Style these fields (a form that adds fields after __init__ calls it again)."""
        for name in names:
            field = self.fields[name]
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, CHECK_WIDGETS):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
                if type(widget) is forms.Select:
                    widget.__class__ = QuickSelect  # keeps its choices, attrs and field
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{existing} {css}".strip()
            if field.help_text or self.is_bound:
                # The id field.html gives the help or error text (it follows auto_id).
                widget.attrs.setdefault("aria-describedby", f"{self[name].auto_id}_help")

    def add_error(self, field: str | None, error: Any) -> None:
        """Every error, from cleaning or from a service, marks its widget invalid."""
        super().add_error(field, error)
        names = error.keys() if isinstance(error, dict) else [field]
        for name in names:
            if name in self.fields and "is-invalid" not in self.fields[name].widget.attrs.get(
                "class", ""
            ):
                attrs = self.fields[name].widget.attrs
                # Hidden inputs have no class of their own.
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"


def apply_errors(form: forms.Form, details: object, fallback: str) -> None:
    """Put a service's per-field messages on the form (non-field when no field matches)."""
    placed = False
    if isinstance(details, dict):
        for field, messages in details.items():
            target = field if field in form.fields else None
            for message in messages if isinstance(messages, list) else [messages]:
                form.add_error(target, str(message))
                placed = True
    if not placed:
        form.add_error(None, fallback)
