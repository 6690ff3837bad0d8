from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from patron.accounts.models import Team, User
from patron.core.forms import StyledForm
from patron.customers.models import Customer


class CustomerForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices)
    given_name = forms.CharField(label=_("Given name"), max_length=120, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=120, required=False)
    organization_name = forms.CharField(
        label=_("Organization name"), max_length=200, required=False
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"), choices=Customer.Lifecycle.choices
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", "—"), *settings.LANGUAGES]
    )
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        required=False,
        help_text=_("Two-letter ISO code, such as AM or MY."),
    )
    source = forms.CharField(label=_("Source"), max_length=100, required=False)
    owner = forms.ModelChoiceField(
        label=_("Owner"), required=False, queryset=User.objects.filter(is_active=True)
    )
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.all())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CustomerFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *Customer.Kind.choices],
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"),
        required=False,
        choices=[("", _("All stages")), *Customer.Lifecycle.choices],
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("All teams")
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("name", _("Name A–Z")),
            ("-name", _("Name Z–A")),
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-updated", _("Recently changed")),
        ],
    )
