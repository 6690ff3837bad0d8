"""Pages of their own: my tasks, the team's timeline, notifications, the question bank."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.accounts.models import User
from patron.accounts.views import admin_required
from patron.core.errors import PatronError, ValidationFailed
from patron.core.forms import apply_errors
from patron.core.pagination import paginate
from patron.interactions import selectors, services
from patron.interactions.forms import (
    SNOOZE_CHOICES,
    QuestionForm,
    TimelineFilterForm,
    snooze_until,
    user_choices,
)
from patron.interactions.models import Question
from patron.interactions.timeline import filters_from, team_timeline


def _task_tabs() -> list[tuple[str, str]]:
    return [
        ("today", _("Due today")),
        ("overdue", _("Overdue")),
        ("upcoming", _("Upcoming")),
        ("open", _("All open")),
        ("done", _("Done")),
    ]


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The tasks given to me (or, for a manager, to anyone chosen), by tab."""
    view = request.GET.get("view", "today")
    view = view if view in dict(_task_tabs()) else "today"
    assignee_id: int | None = request.user.pk
    who = request.GET.get("assignee", "")
    if who == "anyone":
        assignee_id = None
    elif who.isdecimal() and who != str(request.user.pk):
        assignee_id = int(who)
    tasks = selectors.task_list(viewer=request.user, assignee_id=assignee_id, view=view)
    page = paginate(request, tasks, default_size=25)
    users = user_choices()
    context = {
        "page": page,
        "view": view,
        "tabs": _task_tabs(),
        "assignee": who,
        "users": users,
        "snooze_choices": SNOOZE_CHOICES,
        "counts": selectors.task_counts(viewer=request.user, assignee_id=assignee_id),
        "now": timezone.now(),
    }
    rows_only = request.htmx and request.htmx.target == "task-rows"
    template = "interactions/tasks_rows.html" if rows_only else "interactions/tasks.html"
    return render(request, template, context)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("interactions:my_tasks")


@login_required
@require_POST
def task_action(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    """Complete, reopen, snooze or reassign a task from a list; HTMX gets the row back."""
    task = selectors.task_get(viewer=request.user, task_id=task_id)
    try:
        if action == "complete":
            task = services.task_complete(actor=request.user, task=task)
            done = _("Done: %(title)s") % {"title": task.title}
        elif action == "reopen":
            task = services.task_reopen(actor=request.user, task=task)
            done = _("Reopened: %(title)s") % {"title": task.title}
        elif action == "snooze":
            until = snooze_until(request.POST.get("until", ""))
            if until is None:
                raise ValidationFailed(_("Choose how long to snooze."), details={"until": []})
            task = services.task_snooze(actor=request.user, task=task, until=until)
            done = _("Snoozed: %(title)s") % {"title": task.title}
        elif action == "reassign":
            raw = request.POST.get("assignee", "")
            assignee = (
                User.objects.filter(pk=raw, is_active=True).first() if raw.isdecimal() else None
            )
            if assignee is None:
                raise ValidationFailed(_("Choose who takes the task."), details={"assignee": []})
            task = services.task_reassign(actor=request.user, task=task, assignee=assignee)
            done = _("%(title)s is now with %(who)s.") % {
                "title": task.title,
                "who": assignee.display_name,
            }
        else:
            raise ValidationFailed(_("Unknown action."), details={"action": [action]})
    except PatronError as exc:
        if request.htmx:
            return render(
                request,
                "interactions/task_row.html",
                {
                    "task": task,
                    "error": exc.message,
                    "users": user_choices(),
                    "snooze_choices": SNOOZE_CHOICES,
                    "now": timezone.now(),
                },
                status=422,
            )
        messages.error(request, exc.message)
        return redirect(_back(request))
    if request.htmx:
        context = {
            "task": task,
            "flash": done,
            "users": user_choices(),
            "snooze_choices": SNOOZE_CHOICES,
            "now": timezone.now(),
        }
        return render(request, "interactions/task_row.html", context)
    messages.success(request, done)
    return redirect(_back(request))


@login_required
def timeline(request: HttpRequest) -> HttpResponse:
    """Everything that happened with the customers I can see, newest first."""
    users = user_choices()
    filter_form = TimelineFilterForm(request.GET or None, users=users)
    try:
        page = team_timeline(
            request.user,
            filters=filters_from(**filter_form.timeline_filters()),
            cursor=request.GET.get("cursor") or None,
        )
    except PatronError as exc:
        return render(
            request,
            "web/partials/error.html",
            {"title": _("This page of the timeline cannot be shown"), "message": exc.message},
            status=422,
        )
    context = {
        "timeline": page,
        "filter_form": filter_form,
        "timeline_url": reverse("interactions:timeline"),
        "show_customer": True,
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "interactions/timeline/events.html", context)
    if request.htmx:
        return render(request, "interactions/timeline/list.html", context)
    return render(request, "interactions/team_timeline.html", context)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    rows = selectors.notification_list(viewer=request.user)
    page = paginate(request, rows, default_size=25)
    unread_ids = [n.pk for n in page.items if n.read_at is None]
    context = {"page": page, "unread_ids": unread_ids}
    response = render(request, "interactions/notifications.html", context)
    # Seen once shown: the count in the menu goes down as they are read.
    services.notifications_mark_read(actor=request.user, ids=unread_ids)
    return response


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(actor=request.user)
    messages.success(request, _("%(n)d notifications marked read.") % {"n": count})
    return redirect("interactions:notifications")


# --- The question bank (admins) -------------------------------------------------------------


@admin_required
def question_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.question_list(), default_size=50)
    return render(request, "interactions/question_list.html", {"page": page})


def _question_edit(request: HttpRequest, question: Question | None) -> HttpResponse:
    initial: dict[str, Any] = (
        QuestionForm.initial_for(question) if question else {"priority": 50, "active": True}
    )
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.question_save(
                actor=request.user, question=question, **form.service_fields()
            )
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("The question “%(text)s” is saved.") % {"text": saved})
            return redirect("questions:list")
    context = {"form": form, "edited": question, "creating": question is None}
    return render(request, "interactions/question_form.html", context)


@admin_required
def question_create(request: HttpRequest) -> HttpResponse:
    return _question_edit(request, None)


@admin_required
def question_edit(request: HttpRequest, question_id: int) -> HttpResponse:
    return _question_edit(request, selectors.question_get(question_id=question_id))


@admin_required
@require_POST
def question_delete(request: HttpRequest, question_id: int) -> HttpResponse:
    question = selectors.question_get(question_id=question_id)
    had_answers = question.answers.exists()
    services.question_delete(actor=request.user, question=question)
    if had_answers:
        messages.success(
            request,
            _("“%(text)s” has answers, so it is retired (inactive) rather than deleted.")
            % {"text": question},
        )
    else:
        messages.success(request, _("“%(text)s” is deleted.") % {"text": question})
    return redirect("questions:list")
