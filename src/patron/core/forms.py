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
            if self.is_bound and name in self.errors:
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-invalid"] = "true"
            if field.help_text or self.is_bound:
                widget.attrs.setdefault("aria-describedby", f"id_{name}_help")
