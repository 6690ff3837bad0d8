"""Forms of the service settings pages: categories, SLA policies (targets in minutes,
hours or days), service hours (one line of intervals per weekday) and holidays."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from patron.accounts.forms import time_zone_choices
from patron.analytics.models import ValueTier
from patron.core.forms import StyledForm
from patron.service.calendar import weekday_names
from patron.service.models import TicketPriority, TicketType
from patron.service.policies import MAX_MINUTES

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
UNIT_CHOICES = [("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))]


def split_minutes(minutes: int | None) -> tuple[int | None, str]:
    """A target shown in the largest whole unit: 2880 -> (2, "days")."""
    if not minutes:
        return None, "hours"
    for unit in ("days", "hours"):
        if minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit
    return minutes, "minutes"


class CategoryForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("Lower comes first in lists."),
    )
    active = forms.BooleanField(label=_("Offered on ticket forms"), required=False, initial=True)


class PolicyForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    ticket_type = forms.ChoiceField(
        label=_("Ticket type"),
        choices=[("", _("Any type")), *TicketType.choices],
        required=False,
    )
    customer_tier = forms.ChoiceField(
        label=_("Customer tier"),
        choices=[("", _("Any customer")), *ValueTier.choices],
        required=False,
        help_text=_("The value tier of the last refresh."),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *TicketPriority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    first_response = forms.IntegerField(label=_("First response"), min_value=1)
    first_response_unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES)
    resolution = forms.IntegerField(label=_("Resolution"), min_value=1)
    resolution_unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES)
    business_hours = forms.BooleanField(
        label=_("Count business hours only"),
        required=False,
        initial=True,
        help_text=_(
            "On: only the opening hours of the ticket's team count (nights, weekends and "
            "holidays do not). Off: the clock runs around the clock. A day is 24 hours of "
            "that clock: in business hours, give working days in hours (two days of "
            "09:00-17:00 are 16 hours)."
        ),
    )
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("Among equally specific policies, the lower position wins."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def initial_for(cls, policy: Any) -> dict[str, Any]:
        first, first_unit = split_minutes(policy.first_response_minutes)
        resolution, resolution_unit = split_minutes(policy.resolution_minutes)
        return {
            "name": policy.name,
            "ticket_type": policy.ticket_type,
            "customer_tier": policy.customer_tier,
            "priority": policy.priority,
            "first_response": first,
            "first_response_unit": first_unit,
            "resolution": resolution,
            "resolution_unit": resolution_unit,
            "business_hours": policy.business_hours,
            "position": policy.position,
            "active": policy.active,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("first_response", "resolution"):
            amount, unit = data.get(name), data.get(f"{name}_unit")
            if amount is None or unit not in UNITS:
                continue
            minutes = amount * UNITS[unit]
            if minutes > MAX_MINUTES:
                self.add_error(name, _("At most a year."))
            data[f"{name}_minutes"] = minutes
        return data

    def values(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "name": d["name"],
            "ticket_type": d["ticket_type"],
            "customer_tier": d["customer_tier"],
            "priority": d["priority"],
            "first_response_minutes": d["first_response_minutes"],
            "resolution_minutes": d["resolution_minutes"],
            "business_hours": d["business_hours"],
            "position": d["position"],
            "active": d["active"],
        }


_INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-\u2013\u2014]\s*(\d{1,2}:\d{2})\s*$")


def week_to_text(week: list[list[list[str]]]) -> list[str]:
    return [", ".join(f"{start}-{end}" for start, end in day) for day in week]


class HoursForm(StyledForm):
    """One text line per weekday: "09:00-12:00, 13:00-17:00"; empty is closed."""

    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=None,
        required=False,
        empty_label=_("Default (every team without its own hours)"),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    def __init__(
        self,
        *args: Any,
        teams: Any = None,
        editing: bool = False,
        default_exists: bool = True,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = teams
            if default_exists:  # the one default row is there: a team must be chosen
                self.fields["team"].required = True
                self.fields["team"].empty_label = None
        for index, name in enumerate(weekday_names()):
            self.fields[f"day_{index}"] = forms.CharField(
                label=name,
                required=False,
                max_length=200,
                widget=forms.TextInput({"dir": "ltr", "placeholder": _("Closed")}),
            )
        self.fields["day_0"].help_text = _(
            "Opening intervals, separated by commas, such as 09:00-12:00, 13:00-17:00; "
            "empty for closed. An interval ends by 24:00; a night shift is two intervals "
            "(22:00-24:00, then 00:00-06:00 on the next day)."
        )
        self.style_fields([f"day_{i}" for i in range(7)])

    def day_fields(self) -> list[Any]:
        return [self[f"day_{i}"] for i in range(7)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        week: list[list[list[str]]] = []
        for index in range(7):
            text = data.get(f"day_{index}") or ""
            intervals = []
            for part in filter(None, (p.strip() for p in text.split(","))):
                match = _INTERVAL.match(part)
                if not match:
                    self.add_error(
                        f"day_{index}", _("Write intervals as 09:00-17:00, separated by commas.")
                    )
                    break
                start, end = (t.zfill(5) for t in match.groups())
                intervals.append([start, end])
            week.append(intervals)
        data["week"] = week
        return data


class HolidayForm(StyledForm):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
