"""Forms of the ticket pages: the queue's filters, a new ticket, reply, note, resolve and
the ticket's editable fields. Writes go through `patron.service.services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from patron.accounts.models import Team
from patron.core import visibility
from patron.core.forms import StyledForm
from patron.interactions.forms import user_choices
from patron.interactions.models import Channel
from patron.service.models import TicketCategory, TicketPriority, TicketStatus, TicketType
from patron.service.selectors import SORTS, QueueFilters


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


def category_choices(*, with_inactive: int | None = None) -> list[tuple[Any, str]]:
    rows = TicketCategory.objects.filter(active=True)
    if with_inactive:
        rows = TicketCategory.objects.filter(active=True) | TicketCategory.objects.filter(
            pk=with_inactive
        )
    return [(c.pk, c.name) for c in rows.order_by("position", "name")]


def team_choices() -> list[tuple[Any, str]]:
    return [(t.pk, t.name) for t in Team.objects.order_by("name")]


def sort_choices() -> list[tuple[str, Any]]:
    labels = {
        "due": _("Due soonest"),
        "priority": _("Priority"),
        "newest": _("Newest"),
        "oldest": _("Oldest"),
        "last_customer_message": _("Last customer message"),
    }
    return [(key, labels[key]) for key in SORTS]


class QueueFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), required=False, coerce=int, empty_value=None
    )
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    sla = forms.ChoiceField(label=_("SLA"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False)
    customer = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=visibility.MAX_ID
    )

    def __init__(self, *args: Any, users: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("active", _("Active (new, open, waiting)")),
            *TicketStatus.choices,
            ("all", _("All")),
        ]
        self.fields["type"].choices = _blank(_("Any type")) + list(TicketType.choices)
        self.fields["priority"].choices = _blank(_("Any priority")) + list(TicketPriority.choices)
        self.fields["category"].choices = _blank(_("Any category")) + category_choices()
        self.fields["owner"].choices = [
            ("anyone", _("Anyone")),
            ("me", _("Me")),
            ("unassigned", _("Unassigned")),
            *[(str(pk), name) for pk, name in users],
        ]
        self.fields["team"].choices = _blank(_("Any team")) + team_choices()
        self.fields["sla"].choices = [
            ("", _("Any SLA state")),
            ("breached", _("Breached")),
            ("at_risk", _("At risk")),
            ("on_track", _("On track")),
        ]
        self.fields["sort"].choices = sort_choices()

    def filters(self) -> tuple[QueueFilters, str]:
        """The queue's filters and sort; a field with a bad value counts as not given."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items()}
        for name in self.errors:
            data.pop(name, None)
        owner = data.get("owner") or "anyone"
        filters = QueueFilters(
            status=data.get("status") or "active",
            type=data.get("type") or "",
            priority=data.get("priority"),
            category=data.get("category"),
            owner=int(owner) if owner.isdecimal() else owner,
            team=data.get("team"),
            sla=data.get("sla") or "",
            customer=data.get("customer"),
            q=data.get("q") or "",
        )
        return filters, data.get("sort") or "due"


class TicketForm(StyledForm):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(
        label=_("What the customer said"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    priority = forms.TypedChoiceField(
        label=_("Priority"), coerce=int, choices=TicketPriority.choices
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    reply_to = forms.EmailField(
        label=_("Reply to"),
        required=False,
        help_text=_("Leave empty for the customer's preferred email."),
        widget=forms.EmailInput(attrs={"dir": "ltr"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _blank(_("No category")) + category_choices()
        self.fields["owner"].choices = _blank(_("Me")) + user_choices()
        self.initial.setdefault("priority", TicketPriority.NORMAL)
        self.initial.setdefault("type", TicketType.QUESTION)


class ReplyForm(StyledForm):
    body = forms.CharField(
        label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 5})
    )
    wait = forms.BooleanField(label=_("and set waiting on customer"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class NoteForm(StyledForm):
    body = forms.CharField(
        label=_("Note for your colleagues"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only colleagues see it; @name notifies them."),
    )


class ResolveForm(StyledForm):
    root_cause = forms.CharField(
        label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    prevention_note = forms.CharField(
        label=_("How we prevent it"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TicketEditForm(StyledForm):
    subject = forms.CharField(label=_("Subject"), max_length=255)
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    priority = forms.TypedChoiceField(
        label=_("Priority"), coerce=int, choices=TicketPriority.choices
    )
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, users: list[tuple[Any, str]], category_id: int | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _blank(_("No category")) + category_choices(
            with_inactive=category_id
        )
        self.fields["owner"].choices = _blank(_("Nobody")) + users
        self.fields["team"].choices = _blank(_("No team")) + team_choices()
