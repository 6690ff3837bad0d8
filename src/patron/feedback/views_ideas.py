"""The ideas pages: the list (filters, sort, pages), a new idea (from a survey answer, a
ticket or blank), an idea's page (edit, status, votes, requesters, tell the customers),
and the customer page's feedback card (lazy, HTMX)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from patron.core import visibility
from patron.core.errors import PatronError
from patron.core.pagination import paginate
from patron.core.text import search_text
from patron.customers import selectors as customer_selectors
from patron.customers.models import Customer
from patron.feedback import ideas as svc
from patron.feedback import programmes
from patron.feedback.models import Idea, Programme, Response, VerbatimTag
from patron.feedback.results import response_for

SEARCH_RESULTS = 8


def _tags(raw: str) -> list[str]:
    return [part for part in raw.split(",") if part.strip()]


@login_required
@require_GET
def idea_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Idea.Status.values else ""
    sort = request.GET.get("sort", "votes")
    sort = sort if sort in svc.SORTS else "votes"
    tag = request.GET.get("tag", "")[:60]
    q = request.GET.get("q", "")[:200]
    page = paginate(request, svc.idea_list(status=status, tag=tag, sort=sort, q=q))
    context = {
        "page": page,
        "ideas": page.items,
        "voted": svc.voted_by(request.user, page.items),
        "status": status,
        "sort": sort,
        "tag": tag,
        "q": q,
        "statuses": Idea.Status.choices,
        "sorts": [("votes", _("Most votes")), ("newest", _("Newest"))],
        "all_tags": list(VerbatimTag.objects.filter(ideas__isnull=False).distinct()[:50]),
        "can_create": visibility.can_write_any(request.user),
        "filtered": bool(status or tag or q),
    }
    template = "feedback/partials/ideas_results.html" if request.htmx else "feedback/ideas.html"
    return render(request, template, context)


def _source(request: HttpRequest) -> tuple[Response | None, Any]:
    """The survey answer or ticket a new idea comes from (?response= / ?ticket=)."""
    response = ticket = None
    raw = request.POST.get("response") or request.GET.get("response") or ""
    if raw.isdigit():
        response = response_for(request.user, int(raw))
    raw = request.POST.get("ticket") or request.GET.get("ticket") or ""
    if raw.isdigit() and response is None:
        from patron.service.models import Ticket

        ticket = visibility.get_visible(request.user, Ticket.objects.all(), pk=int(raw))
    return response, ticket


@login_required
def idea_create(request: HttpRequest) -> HttpResponse:
    visibility.require_create(request.user)
    response, ticket = _source(request)
    errors: dict[str, Any] = {}
    values = {
        "title": request.POST.get("title", ""),
        "body": request.POST.get("body", ""),
        "tags": request.POST.get("tags", ""),
    }
    if request.method == "POST":
        try:
            idea = svc.idea_create(
                actor=request.user,
                title=values["title"],
                body=values["body"],
                response=response,
                ticket=ticket,
                tags=_tags(values["tags"]),
            )
        except PatronError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Idea saved."))
            return redirect("ideas:detail", idea.pk)
    else:
        if response is not None:
            values["title"] = response.comment[:120]
            values["body"] = response.comment
        elif ticket is not None:
            values["title"] = ticket.subject[:200]
    context = {"values": values, "errors": errors, "response": response, "ticket": ticket}
    return render(request, "feedback/ideas_form.html", context)


def _detail_context(request: HttpRequest, idea: Idea, **extra: Any) -> dict[str, Any]:
    context = {
        "idea": idea,
        "requesters": svc.requesters_of(request.user, idea),
        "voted": idea.pk in svc.voted_by(request.user, [idea]),
        "statuses": Idea.Status.choices,
        "can_write": visibility.can_write_any(request.user),
        "tag_text": ", ".join(tag.name for tag in idea.tags.all()),
        "untold": idea.requesters.exclude(told_status=idea.status).count()
        if idea.status != Idea.Status.NEW
        else 0,
    }
    context.update(extra)
    return context


@login_required
@require_GET
def idea_detail(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = svc.idea_get(idea_id)
    return render(request, "feedback/ideas_detail.html", _detail_context(request, idea))


@login_required
@require_POST
def idea_update(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = svc.idea_get(idea_id)
    version = request.POST.get("version", "")
    try:
        svc.idea_update(
            actor=request.user,
            idea=idea,
            expected_version=int(version) if version.isdigit() else None,
            title=request.POST.get("title"),
            body=request.POST.get("body"),
            status=request.POST.get("status") or None,
            tags=_tags(request.POST.get("tags", "")) if "tags" in request.POST else None,
        )
    except PatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Idea saved."))
    return redirect("ideas:detail", idea.pk)


@login_required
@require_POST
def idea_vote(request: HttpRequest, idea_id: int) -> HttpResponse:
    """Vote or take the vote back; HTMX answers with the button."""
    idea, voted = svc.idea_vote_toggle(actor=request.user, idea=svc.idea_get(idea_id))
    if request.htmx:
        return render(request, "feedback/partials/ideas_vote.html", {"idea": idea, "voted": voted})
    return redirect(request.POST.get("next") or reverse("ideas:detail", args=[idea.pk]))


@login_required
@require_GET
def requester_search(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = svc.idea_get(idea_id)
    query = search_text(request.GET.get("q", ""))
    found = []
    if query:
        found = list(
            customer_selectors.customer_list(viewer=request.user, query=query)[:SEARCH_RESULTS]
        )
    present = set(
        idea.requesters.filter(customer_id__in=[c.pk for c in found]).values_list(
            "customer_id", flat=True
        )
    )
    context = {"idea": idea, "found": found, "present": present, "q": query}
    return render(request, "feedback/partials/ideas_requester_search.html", context)


@login_required
@require_POST
def requester_add(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = svc.idea_get(idea_id)
    raw = request.POST.get("customer_id", "")
    try:
        svc.requester_add(
            actor=request.user, idea=idea, customer_id=int(raw) if raw.isdigit() else 0
        )
    except PatronError as exc:
        messages.error(request, exc.message)
    return redirect("ideas:detail", idea.pk)


@login_required
@require_POST
def requester_remove(request: HttpRequest, idea_id: int, customer_id: int) -> HttpResponse:
    idea = svc.idea_get(idea_id)
    try:
        svc.requester_remove(actor=request.user, idea=idea, customer_id=customer_id)
    except PatronError as exc:
        messages.error(request, exc.message)
    return redirect("ideas:detail", idea.pk)


@login_required
@require_POST
def idea_tell(request: HttpRequest, idea_id: int) -> HttpResponse:
    """Tell the requesters the new status; the page shows who was told and who not, why."""
    idea = svc.idea_get(idea_id)
    try:
        report = svc.idea_tell(actor=request.user, idea=idea)
    except PatronError as exc:
        messages.error(request, exc.message)
        return redirect("ideas:detail", idea.pk)
    messages.success(
        request,
        ngettext("%(n)d customer told.", "%(n)d customers told.", report.sent) % {"n": report.sent},
    )
    idea = svc.idea_get(idea_id)
    return render(
        request, "feedback/ideas_detail.html", _detail_context(request, idea, report=report)
    )


# --- The customer page's card ---------------------------------------------------------


def _link_invitation_url(customer: Customer) -> str:
    """The survey team's page to make a link invitation, if it exists."""
    for name in ("feedback:invite", "feedback:invitation_create", "feedback:link_invitation"):
        try:
            return f"{reverse(name)}?customer={customer.pk}"
        except NoReverseMatch:
            continue
    return ""


@login_required
@require_GET
def customer_card(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's latest responses, programmes and requested ideas."""
    customer = visibility.get_visible(request.user, Customer.objects.all(), pk=customer_id)
    return _card(request, customer)


def _card(request: HttpRequest, customer: Customer) -> HttpResponse:
    responses = list(
        Response.objects.filter(customer=customer)
        .select_related("survey")
        .order_by("-submitted_at", "-id")[:5]
    )
    memberships = {m.programme: m for m in programmes.memberships_of(customer)}
    context = {
        "customer": customer,
        "responses": responses,
        "memberships": memberships,
        "early_adopter": memberships.get(Programme.EARLY_ADOPTER),
        "reference": memberships.get(Programme.REFERENCE),
        "ideas": svc.ideas_of_customer(request.user, customer),
        "can_write": visibility.can_write(request.user, customer),
        "invite_url": _link_invitation_url(customer),
    }
    return render(request, "feedback/partials/customer_feedback_card.html", context)


@login_required
@require_POST
def customer_programme(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Join or leave the early-adopter programme; answers with the card."""
    customer = visibility.get_visible(request.user, Customer.objects.all(), pk=customer_id)
    try:
        if request.POST.get("action") == "leave":
            programmes.programme_leave(
                actor=request.user, customer=customer, programme=Programme.EARLY_ADOPTER
            )
        else:
            programmes.programme_join(
                actor=request.user,
                customer=customer,
                programme=Programme.EARLY_ADOPTER,
                note=request.POST.get("note", ""),
            )
    except PatronError as exc:
        if not request.htmx:
            messages.error(request, exc.message)
    if request.htmx:
        return _card(request, customer)
    return redirect("customers:detail", customer.pk)
