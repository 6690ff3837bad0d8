"""The value settings form: shares as percentages, word lists as comma-separated text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from patron.analytics.models import ValueSettings
from patron.analytics.services import SHARES, WORD_LISTS

INTEGERS = (
    "declined_proposals",
    "connection_days",
    "intimacy_answers",
    "intimacy_orders",
    "trust_tenure_days",
    "win_back_months",
    "silence_days",
    "signal_cooldown_days",
)


class ValueSettingsForm(forms.Form):
    """Every setting of ValueSettings; shares are entered in per cent (10 for 0.10)."""

    def __init__(self, *args: Any, instance: ValueSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        meta = ValueSettings._meta
        for name in SHARES:
            field = meta.get_field(name)
            self.fields[name] = forms.DecimalField(
                label=field.verbose_name,
                help_text=field.help_text,
                min_value=Decimal("0.1"),
                max_value=Decimal("100"),
                decimal_places=1,
                widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
                initial=Decimal(str(getattr(instance, name))) * 100,
            )
        self.fields["most_valuable_basis"] = forms.ChoiceField(
            label=meta.get_field("most_valuable_basis").verbose_name,
            choices=ValueSettings.Basis.choices,
            initial=instance.most_valuable_basis,
        )
        self.fields["serving_cost_per_interaction"] = forms.DecimalField(
            label=meta.get_field("serving_cost_per_interaction").verbose_name,
            help_text=meta.get_field("serving_cost_per_interaction").help_text,
            min_value=Decimal(0),
            decimal_places=2,
            initial=instance.serving_cost_per_interaction,
        )
        for name in INTEGERS:
            field = meta.get_field(name)
            self.fields[name] = forms.IntegerField(
                label=field.verbose_name, min_value=0, initial=getattr(instance, name)
            )
        for name in WORD_LISTS:
            field = meta.get_field(name)
            self.fields[name] = forms.CharField(
                label=field.verbose_name,
                required=False,
                help_text=_("Separated by commas.") + " " + str(field.help_text or ""),
                initial=", ".join(getattr(instance, name)),
            )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in SHARES:
            data[name] = data[name] / 100
        for name in WORD_LISTS:
            data[name] = [w.strip() for w in (data[name] or "").split(",") if w.strip()]
        return data

    def percent_fields(self) -> list[str]:
        return list(SHARES)
