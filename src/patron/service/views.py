"""The ticket pages: the agent's queue, a new ticket, the ticket with its thread and its
actions, and the card on the customer page. Thin: writes go through the services, reads
through the selectors. Every form posts without JS and comes back to the ticket (PRG);
a refused write re-renders the page with the form's errors (422)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from patron.accounts.models import Team, User
from patron.core import visibility
from patron.core.errors import Conflict, NotFound, PatronError, PermissionDenied
from patron.core.forms import apply_errors
from patron.core.pagination import paginate
from patron.customers import selectors as customer_selectors
from patron.interactions.forms import user_choices
from patron.service import selectors, services
from patron.service.forms import (
    NoteForm,
    QueueFilterForm,
    ReplyForm,
    ResolveForm,
    TicketEditForm,
    TicketForm,
)
from patron.service.models import (
    ACTIVE_STATUSES,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
)


def _metrics(customer: Any) -> Any:
    """The customer's figures, or None before any refresh (read with the ticket)."""
    try:
        return customer.metrics
    except Exception:  # RelatedObjectDoesNotExist: no figures yet
        return None


def _with_countdowns(tickets: list[Ticket], now: Any) -> list[Ticket]:
    for ticket in tickets:
        ticket.countdown = selectors.countdown(ticket, now)  # type: ignore[attr-defined]
        ticket.figures = _metrics(ticket.customer)  # type: ignore[attr-defined]
    return tickets


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The tickets the user can see, filtered and sorted, nearest deadline first."""
    users = user_choices()
    form = QueueFilterForm(request.GET or None, users=users)
    filters, sort = form.filters() if request.GET else (selectors.QueueFilters(), "due")
    if not request.GET:
        form = QueueFilterForm(initial={"status": "active", "owner": "anyone"}, users=users)
    now = timezone.now()
    rows = selectors.ticket_queue(viewer=request.user, filters=filters, sort=sort, now=now)
    page = paginate(request, rows, default_size=25, count_limit=selectors.QUEUE_COUNT_LIMIT)
    _with_countdowns(page.items, now)
    counts = selectors.status_counts(viewer=request.user, filters=filters, now=now)
    sum_all = sum(counts[s] for s in TicketStatus.values)
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "sort": sort,
        "counts": counts,
        "status_tabs": [
            (key, label, counts["active"] if key == "active" else counts.get(key, sum_all))
            for key, label in [("active", _("Active")), *TicketStatus.choices, ("all", _("All"))]
        ],
        "filtered": bool({k: v for k, v in request.GET.items() if k not in ("page", "sort")}),
        "can_write": visibility.can_write_any(request.user),
    }
    rows_only = request.htmx and request.htmx.target == "ticket-rows"
    template = "service/queue_rows.html" if rows_only else "service/queue.html"
    return render(request, template, context)


def _user_or_none(pk: int | None) -> User | None:
    return User.objects.filter(pk=pk, is_active=True).first() if pk else None


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    """A new ticket for a customer (reached from the customer page, or by searching)."""
    if not visibility.can_write_any(request.user):
        # Said at once, not after a viewer has filled the form in.
        raise PermissionDenied(_("Your role does not allow changes."))
    raw = request.POST.get("customer") or request.GET.get("customer") or ""
    customer = None
    if raw.isdecimal() and visibility.is_record_id(raw):
        try:
            customer = customer_selectors.customer_get(viewer=request.user, customer_id=int(raw))
        except NotFound:
            customer = None
    query = request.GET.get("q", "").strip()
    matches = []
    if customer is None and query:
        matches = list(customer_selectors.customer_list(viewer=request.user, query=query)[:10])
    status = 200
    if request.method == "POST" and customer is not None:
        form = TicketForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            category = TicketCategory.objects.filter(pk=data["category"]).first()
            try:
                ticket = services.ticket_create(
                    actor=request.user,
                    customer=customer,
                    subject=data["subject"],
                    body=data["body"],
                    type=data["type"],
                    priority=data["priority"],
                    channel=data["channel"],
                    category=category,
                    owner=_user_or_none(data["owner"]),
                    reply_to=data["reply_to"],
                    source="web",
                )
            except PatronError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("Ticket #%(id)s opened.") % {"id": ticket.pk})
                return redirect("service:ticket", ticket.pk)
        status = 422
    else:
        form = TicketForm(initial={"customer": customer.pk if customer else None})
    context = {"form": form, "customer": customer, "query": query, "matches": matches}
    return render(request, "service/new.html", context, status=status)


def _apply(form: Any, exc: PatronError) -> None:
    if isinstance(exc, Conflict):
        form.add_error(None, exc.message)  # someone else's change: say so above the form
    else:
        apply_errors(form, exc.details, exc.message)


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.ticket_get(viewer=request.user, ticket_id=ticket_id)


def _page(request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms: Any) -> HttpResponse:
    """The ticket page; `forms` replaces a form by the bound one that failed."""
    now = timezone.now()
    users = user_choices()
    version = {"version": ticket.version}
    edit_initial = {
        "subject": ticket.subject,
        "type": ticket.type,
        "priority": ticket.priority,
        "category": ticket.category_id,
        "owner": ticket.owner_id,
        "team": ticket.team_id,
        **version,
    }
    thread = selectors.ticket_thread(ticket)
    context = {
        "ticket": ticket,
        "customer": ticket.customer,
        "figures": _metrics(ticket.customer),
        "thread": thread,
        "breaches": list(ticket.breaches.all()),
        "countdown": selectors.countdown(ticket, now),
        "can_write": visibility.can_write(request.user, ticket),
        "is_active": ticket.status in ACTIVE_STATUSES,
        "other_open": [
            t
            for t in selectors.tickets_of(ticket.customer, request.user, limit=6)
            if t.pk != ticket.pk
        ][:5],
        "reply_form": forms.get("reply_form") or ReplyForm(initial=version),
        "note_form": forms.get("note_form") or NoteForm(),
        "resolve_form": forms.get("resolve_form") or ResolveForm(initial=version),
        "edit_form": forms.get("edit_form")
        or TicketEditForm(initial=edit_initial, users=users, category_id=ticket.category_id),
        "action_error": forms.get("action_error"),
        "root_cause_required": ticket.type in services.ROOT_CAUSE_REQUIRED,
    }
    return render(request, "service/ticket.html", context, status=status)


@login_required
@require_GET
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _page(request, _ticket(request, ticket_id))


def _done(request: HttpRequest, ticket: Ticket, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("service:ticket", ticket.pk)


def _failed(request: HttpRequest, ticket_id: int, exc: PatronError, **forms: Any) -> HttpResponse:
    # Re-read: the refused write changed nothing, and the page shows what is stored.
    ticket = _ticket(request, ticket_id)
    return _page(request, ticket, status=exc.status if exc.status >= 400 else 422, **forms)


@login_required
@require_POST
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, status=422, reply_form=form)
    try:
        message = services.ticket_reply(
            actor=request.user,
            ticket=ticket,
            body=form.cleaned_data["body"],
            status=TicketStatus.WAITING if form.cleaned_data["wait"] else None,
            version=form.cleaned_data["version"],
        )
    except PatronError as exc:
        _apply(form, exc)
        return _failed(request, ticket_id, exc, reply_form=form)
    if message.to_address:
        text = _("Reply sent to %(address)s.") % {"address": message.to_address}
    else:
        text = _("Reply logged (not emailed: this customer has no email address we may use).")
    return _done(request, ticket, text)


@login_required
@require_POST
def ticket_note(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, status=422, note_form=form)
    try:
        services.ticket_note(actor=request.user, ticket=ticket, body=form.cleaned_data["body"])
    except PatronError as exc:
        _apply(form, exc)
        return _failed(request, ticket_id, exc, note_form=form)
    return _done(request, ticket, _("Note added."))


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdecimal() and len(raw) < 10 else None


@login_required
@require_POST
def ticket_status(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    try:
        ticket = services.ticket_set_status(
            actor=request.user,
            ticket=ticket,
            status=request.POST.get("status", ""),
            version=_version(request),
        )
    except PatronError as exc:
        return _failed(request, ticket_id, exc, action_error=exc.message)
    return _done(
        request, ticket, _("Status: %(status)s.") % {"status": ticket.get_status_display()}
    )


@login_required
@require_POST
def ticket_resolve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, status=422, resolve_form=form)
    try:
        ticket = services.ticket_resolve(
            actor=request.user,
            ticket=ticket,
            root_cause=form.cleaned_data["root_cause"],
            prevention_note=form.cleaned_data["prevention_note"],
            version=form.cleaned_data["version"],
        )
    except PatronError as exc:
        _apply(form, exc)
        return _failed(request, ticket_id, exc, resolve_form=form)
    return _done(request, ticket, _("Ticket #%(id)s resolved.") % {"id": ticket.pk})


@login_required
@require_POST
def ticket_close(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    try:
        ticket = services.ticket_close(actor=request.user, ticket=ticket, version=_version(request))
    except PatronError as exc:
        return _failed(request, ticket_id, exc, action_error=exc.message)
    return _done(request, ticket, _("Ticket #%(id)s closed.") % {"id": ticket.pk})


@login_required
@require_POST
def ticket_reopen(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    try:
        ticket = services.ticket_reopen(
            actor=request.user, ticket=ticket, version=_version(request)
        )
    except PatronError as exc:
        return _failed(request, ticket_id, exc, action_error=exc.message)
    return _done(request, ticket, _("Ticket #%(id)s reopened.") % {"id": ticket.pk})


@login_required
@require_POST
def ticket_edit(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = TicketEditForm(request.POST, users=user_choices(), category_id=ticket.category_id)
    if not form.is_valid():
        return _page(request, ticket, status=422, edit_form=form)
    data = form.cleaned_data
    try:
        ticket = services.ticket_update(
            actor=request.user,
            ticket=ticket,
            version=data["version"],
            subject=data["subject"],
            type=data["type"],
            priority=data["priority"],
            category=TicketCategory.objects.filter(pk=data["category"]).first(),
            owner=_user_or_none(data["owner"]),
            team=Team.objects.filter(pk=data["team"]).first(),
        )
    except PatronError as exc:
        _apply(form, exc)
        return _failed(request, ticket_id, exc, edit_form=form)
    return _done(request, ticket, _("Ticket #%(id)s saved.") % {"id": ticket.pk})


@login_required
@require_POST
def message_resend(request: HttpRequest, ticket_id: int, message_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    message = TicketMessage.objects.filter(pk=message_id, ticket=ticket).first()
    if message is None:
        raise NotFound(_("Not found."))
    message.ticket = ticket
    try:
        services.ticket_reply_resend(actor=request.user, message=message)
    except PatronError as exc:
        return _failed(request, ticket_id, exc, action_error=exc.message)
    return _done(request, ticket, _("Sending the reply again."))


@login_required
@require_GET
def customer_card(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer page's service card (loaded after the page): open tickets."""
    customer = customer_selectors.customer_get(viewer=request.user, customer_id=customer_id)
    now = timezone.now()
    tickets = selectors.tickets_of(customer, request.user, limit=6)
    for ticket in tickets:
        ticket.countdown = selectors.countdown(ticket, now)  # type: ignore[attr-defined]
    context = {
        "customer": customer,
        "tickets": tickets[:5],
        "more": len(tickets) > 5,
        "queue_url": reverse("service:queue") + f"?customer={customer.pk}&status=all",
        "can_write": visibility.can_write(request.user, customer),
    }
    return render(request, "service/partials/customer_service_card.html", context)
