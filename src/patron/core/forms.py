"""Form styling shared by every form: Bootstrap classes and error state on the widgets."""

from __future__ import annotations

from typing import Any

from django import forms

CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


class StyledForm(forms.Form):
    """Adds `form-control` / `form-select` / `form-check-input` and `is-invalid`, so templates
    render fields with `{{ field }}` and still look and behave alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, CHECK_WIDGETS):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
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
