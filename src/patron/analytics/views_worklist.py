"""My day and the signals list in the web UI. Thin: the reads are in `worklist`, the task
moves are the task services of `interactions` (the same as on the tasks page)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from patron.accounts.models import User
from patron.analytics import worklist
from patron.analytics.models import Signal
from patron.core.errors import PatronError, ValidationFailed
from patron.core.forms import StyledForm
from patron.core.pagination import page_number
from patron.interactions import selectors as task_selectors
from patron.interactions import services as task_services
from patron.interactions.forms import SNOOZE_CHOICES, snooze_until, user_choices

STATUS_CHOICES = [
    ("open", gettext_lazy("Open")),
    ("cleared", gettext_lazy("Cleared")),
    ("all", gettext_lazy("Open and cleared")),
]


def _item_context(item: worklist.WorkItem, **extra: Any) -> dict[str, Any]:
    unassigned = item.task.is_open and item.task.assignee_id is None
    return {
        "item": item,
        "snooze_choices": SNOOZE_CHOICES,
        "users": user_choices() if unassigned else [],
        "now": timezone.now(),
        **extra,
    }


@login_required
def my_day(request: HttpRequest) -> HttpResponse:
    """The tasks due today and overdue, and the new signals on my customers, most
    valuable customers first."""
    day = worklist.my_day(request.user, page_number(request))
    unassigned = any(i.task.assignee_id is None for i in day.items)
    context = {
        "day": day,
        "page": day.page,
        "snooze_choices": SNOOZE_CHOICES,
        # Only rows of nobody's task offer to assign it: the colleagues are read then.
        "users": user_choices() if unassigned else [],
        "now": timezone.now(),
        "new_signal_days": worklist.NEW_SIGNAL_DAYS,
    }
    return render(request, "analytics/my_day.html", context)


def _act(request: HttpRequest, task: Any, action: str) -> tuple[Any, str]:
    """Complete, reopen, snooze or assign: the services of the tasks page."""
    if action == "complete":
        task = task_services.task_complete(actor=request.user, task=task)
        return task, _("Done: %(title)s") % {"title": task.title}
    if action == "reopen":
        task = task_services.task_reopen(actor=request.user, task=task)
        return task, _("Reopened: %(title)s") % {"title": task.title}
    if action == "snooze":
        until = snooze_until(request.POST.get("until", ""))
        if until is None:
            raise ValidationFailed(_("Choose how long to snooze."), details={"until": []})
        task = task_services.task_snooze(actor=request.user, task=task, until=until)
        return task, _("Snoozed: %(title)s") % {"title": task.title}
    if action == "assign":
        raw = request.POST.get("assignee", "")
        assignee = User.objects.filter(pk=raw, is_active=True).first() if raw.isdecimal() else None
        if assignee is None:
            raise ValidationFailed(_("Choose who takes the task."), details={"assignee": []})
        task = task_services.task_reassign(actor=request.user, task=task, assignee=assignee)
        return task, _("%(title)s is now with %(who)s.") % {
            "title": task.title,
            "who": assignee.display_name,
        }
    raise ValidationFailed(_("Unknown action."), details={"action": [action]})


@login_required
@require_POST
def task_action(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    """A move on a task of My day; HTMX gets its row back, in its new state."""
    task = task_selectors.task_get(viewer=request.user, task_id=task_id)
    try:
        task, done = _act(request, task, action)
    except PatronError as exc:
        if request.htmx:
            item = worklist.work_item(request.user, task.pk)
            context = _item_context(item, error=exc.message)
            template = "analytics/partials/my_day_item.html"
            return render(request, template, context, status=exc.status)
        messages.error(request, exc.message)
        return redirect("worklist:my_day")
    if request.htmx:
        item = worklist.work_item(request.user, task.pk)
        context = _item_context(item, flash=done)
        return render(request, "analytics/partials/my_day_item.html", context)
    messages.success(request, done)
    return redirect("worklist:my_day")


class SignalFilterForm(StyledForm):
    kind = forms.ChoiceField(label=gettext_lazy("Signal"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=STATUS_CHOICES)
    owner = forms.ChoiceField(label=gettext_lazy("Customer owner"), required=False)

    def __init__(self, *args: Any, users: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Every signal")), *Signal.Kind.choices]
        self.fields["owner"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            *((str(pk), name) for pk, name in users),
        ]
        for field in self.fields.values():  # small controls: filters, not a form to fill
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} form-select-sm"

    def signal_filters(self, viewer: User) -> worklist.SignalFilters:
        """The valid filters (a bad value drops that filter only); open signals unless
        asked otherwise."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        owner = data.get("owner") or ""
        return worklist.SignalFilters(
            kind=data.get("kind") or "",
            status=data.get("status") or "open",
            owner_id=viewer.pk if owner == "me" else (int(owner) if owner.isdecimal() else None),
        )


@login_required
def signal_list(request: HttpRequest) -> HttpResponse:
    """Every signal on the customers I can see, newest first, a page at a time."""
    users = user_choices()
    form = SignalFilterForm(request.GET or None, users=users)
    cursor = request.GET.get("cursor") or None
    context: dict[str, Any] = {"form": form, "filtered": form.has_changed()}
    try:
        context["signals"] = worklist.signal_list(
            request.user, form.signal_filters(request.user), cursor
        )
    except PatronError as exc:  # a cursor from elsewhere: say so, and offer the first page
        context["error"] = exc.message
        return render(request, "analytics/signals.html", context, status=422)
    if request.htmx and cursor:
        return render(request, "analytics/partials/signal_items.html", context)
    return render(request, "analytics/signals.html", context)
