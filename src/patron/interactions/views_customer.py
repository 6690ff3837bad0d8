"""The conversation on the customer page: the pre-contact brief, the timeline with its
filters and infinite scroll, and the quick forms (log an interaction with answers to the
proposed questions, write a note, add a task).

Each quick form posts with HTMX and gets back the whole activity panel (fresh forms and
the first page of the timeline, the new event on top) and the brief out of band; a refused
form answers 422 with the form and its messages. Without JavaScript the same URLs are
ordinary form posts followed by a redirect to the customer.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.accounts.models import User
from patron.core import visibility
from patron.core.errors import PatronError
from patron.core.forms import apply_errors
from patron.customers import selectors as customer_selectors
from patron.customers.models import Customer
from patron.interactions import selectors, services
from patron.interactions.forms import (
    InteractionForm,
    NoteForm,
    TaskForm,
    TimelineFilterForm,
    user_choices,
)
from patron.interactions.timeline import TimelinePage, customer_timeline, filters_from

FORMS = ("log", "note", "task")


def known_items(brief: Any, customer: Customer, preferences: Any) -> list[tuple[str, str]]:
    """What we know, as (label, value) pairs: the answers, then the preferences."""
    items = [(answer.question.text, answer.value) for answer in brief.known]
    if preferences is not None and preferences.preferred_channel:
        items.append((_("Prefers"), preferences.get_preferred_channel_display()))
    if customer.language:
        items.append((_("Speaks"), customer.get_language_display()))
    if preferences is not None and preferences.notes:
        items.append(("", preferences.notes[:80]))
    return items


def brief_context(customer: Customer, *, timeline: TimelinePage | None = None) -> dict[str, Any]:
    brief = selectors.brief(customer=customer, timeline=timeline)
    preferences = customer_selectors.preferences_of(customer)
    return {
        "brief": brief,
        "preferences": preferences,
        "known_items": known_items(brief, customer, preferences),
    }


def _first_page(
    request: HttpRequest, customer: Customer, users: list[tuple[Any, str]]
) -> tuple[Any, TimelinePage]:
    filter_form = TimelineFilterForm(request.GET or None, users=users)
    filters = filters_from(**filter_form.timeline_filters())
    return filter_form, customer_timeline(customer, filters=filters)


def page_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    """The brief and the activity panel of the customer page. The first page of the
    timeline, when unfiltered, also tells the brief when we last spoke."""
    users = user_choices()
    filter_form, page = _first_page(request, customer, users)
    context = brief_context(customer, timeline=None if filter_form.has_changed() else page)
    context.update(
        activity_context(
            request,
            customer,
            brief=context["brief"],
            filter_form=filter_form,
            timeline=page,
            users=users,
        )
    )
    return context


def activity_context(
    request: HttpRequest,
    customer: Customer,
    *,
    brief: Any = None,
    forms: dict[str, Any] | None = None,
    open_form: str = "",
    filter_form: Any = None,
    timeline: TimelinePage | None = None,
    users: list[tuple[Any, str]] | None = None,
) -> dict[str, Any]:
    """What the activity panel shows: the quick forms, the filters and the first page of
    the timeline. `brief` (already read for the page) gives the proposed questions."""
    users = user_choices() if users is None else users
    if filter_form is None or timeline is None:
        filter_form, timeline = _first_page(request, customer, users)
    questions = brief.questions if brief is not None else selectors.questions_to_ask(customer)
    forms = forms or {}
    return {
        "customer": customer,
        "can_edit": visibility.can_write(request.user, customer),
        "log_form": forms.get("log") or InteractionForm(questions=questions, auto_id="log_%s"),
        "note_form": forms.get("note") or NoteForm(auto_id="note_%s"),
        "task_form": forms.get("task") or TaskForm(users=users, auto_id="task_%s"),
        "open_form": open_form,
        "filter_form": filter_form,
        "timeline": timeline,
        "timeline_url": reverse("interactions:customer_timeline", args=[customer.pk]),
    }


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    return customer_selectors.customer_360(viewer=request.user, customer_id=customer_id)


@login_required
def customer_timeline_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    """One page of the timeline: the rows after `cursor` (HTMX, for infinite scroll and
    the filters) or a page of its own without JavaScript."""
    customer = customer_selectors.customer_get(viewer=request.user, customer_id=customer_id)
    users = user_choices()
    filter_form = TimelineFilterForm(request.GET or None, users=users)
    try:
        page = customer_timeline(
            customer,
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
        "customer": customer,
        "timeline": page,
        "filter_form": filter_form,
        "timeline_url": reverse("interactions:customer_timeline", args=[customer.pk]),
    }
    if request.htmx:
        return render(request, "interactions/timeline/events.html", context)
    return render(request, "interactions/customer_timeline.html", context)


def _answer(
    request: HttpRequest, customer: Customer, name: str, form: Any, *, status: int
) -> HttpResponse:
    """The activity panel (and the brief, out of band) after a quick form."""
    if not request.htmx:
        if status == 200:
            messages.success(request, _("Saved."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#activity")
        context = activity_context(request, customer, forms={name: form}, open_form=name)
        return render(request, "interactions/quick_form_page.html", context, status=status)
    context = brief_context(customer)
    forms = {name: form} if status != 200 else {}
    context.update(
        activity_context(
            request,
            customer,
            brief=context["brief"],
            forms=forms,
            open_form=name if status != 200 else "",
        )
    )
    context["oob"] = True
    return render(request, "interactions/activity_response.html", context, status=status)


def _refused(form: Any, exc: PatronError) -> int:
    apply_errors(form, exc.details, exc.message)
    return 422 if exc.status in (400, 422) else exc.status


@login_required
@require_POST
def interaction_log(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    questions = selectors.questions_to_ask(customer)
    form = InteractionForm(request.POST, questions=questions, auto_id="log_%s")
    if not form.is_valid():
        return _answer(request, customer, "log", form, status=422)
    try:
        services.interaction_with_answers(
            actor=request.user,
            customer=customer,
            answers=form.answers(),
            **form.service_fields(),
        )
    except PatronError as exc:
        return _answer(request, customer, "log", form, status=_refused(form, exc))
    return _answer(request, customer, "log", None, status=200)


@login_required
@require_POST
def note_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    form = NoteForm(request.POST, auto_id="note_%s")
    if not form.is_valid():
        return _answer(request, customer, "note", form, status=422)
    try:
        services.note_add(actor=request.user, customer=customer, body=form.cleaned_data["body"])
    except PatronError as exc:
        return _answer(request, customer, "note", form, status=_refused(form, exc))
    return _answer(request, customer, "note", None, status=200)


@login_required
@require_POST
def task_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    form = TaskForm(request.POST, auto_id="task_%s")
    if not form.is_valid():
        return _answer(request, customer, "task", form, status=422)
    data = form.cleaned_data
    assignee = (
        User.objects.filter(pk=data["assignee"], is_active=True).first()
        if data["assignee"]
        else request.user
    )
    try:
        services.task_create(
            actor=request.user,
            customer=customer,
            title=data["title"],
            due_at=data["due_at"],
            assignee=assignee,
            priority=data["priority"],
            description=data["description"],
        )
    except PatronError as exc:
        return _answer(request, customer, "task", form, status=_refused(form, exc))
    return _answer(request, customer, "task", None, status=200)
