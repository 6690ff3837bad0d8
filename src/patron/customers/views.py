"""Customer list pages: search, filters, bulk actions, saved views; create, edit, delete.
Thin: forms in, selectors and services do the work. The customer page (360) and its
inline-edited sections live in views_detail.py."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from patron.core import visibility
from patron.core.errors import Conflict, PatronError
from patron.core.forms import apply_errors
from patron.core.pagination import PAGE_SIZES, paginate
from patron.customers import selectors, services
from patron.customers.forms import (
    BulkActionForm,
    CustomerFilterForm,
    CustomerForm,
    SavedViewForm,
    share_choices,
)

FORM_FIELDS = (
    "kind",
    "given_name",
    "family_name",
    "organization_name",
    "lifecycle_stage",
    "language",
    "country",
    "source",
    "owner",
    "team",
)
# Parameters of the list that are not filters: they are not part of a saved view.
NOT_FILTERS = ("page",)


def list_query(params: QueryDict) -> str:
    """The list's query string without the page number: what a saved view or an export
    keeps. Re-encoded, so nothing but parameters ever reaches a link."""
    kept = params.copy()
    for name in NOT_FILTERS:
        kept.pop(name, None)
    return kept.urlencode()


def list_url(query: str) -> str:
    encoded = QueryDict(query).urlencode()
    return reverse("customers:list") + (f"?{encoded}" if encoded else "")


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    filters = CustomerFilterForm(request.GET or None, tags=selectors.tag_names())
    arguments = filters.selectors_arguments()
    page = paginate(request, selectors.customer_list_rows(viewer=request.user, **arguments))
    selectors.customer_list_with_contacts(page.items)
    query = list_query(request.GET)
    can_write = visibility.can_write_any(request.user)
    bulk_form = BulkActionForm(auto_id="bulk_%s") if can_write else None
    share_choices([filters, bulk_form], "owner", "team")
    context = {
        "filters": filters,
        "page": page,
        "page_sizes": PAGE_SIZES,
        "filtered": filters.filtered,
        "by_figures": filters.by_figures,
        # Not "query": the menu's search box shows that one.
        "list_query": query,
        "can_create": can_write,
        # Every customer an agent sees is one they may change: no check per row.
        "can_bulk": can_write,
        "bulk_form": bulk_form,
        "stale_cutoff": selectors.stale_cutoff(),
        "stale_after_days": settings.PATRON_STALE_AFTER_DAYS,
    }
    if request.htmx:
        return render(request, "customers/partials/list_results.html", context)
    context["saved_views"] = selectors.saved_views(viewer=request.user)
    context["view_form"] = SavedViewForm(initial={"query": query}, auto_id="view_%s")
    return render(request, "customers/list.html", context)


@require_POST
@login_required
def customer_bulk(request: HttpRequest) -> HttpResponse:
    """Assign an owner or a team, or add a tag, to the ticked customers of the page."""
    visibility.require_create(request.user)
    back = list_url(request.POST.get("query", ""))
    ids = [int(v) for v in request.POST.getlist("ids") if visibility.is_record_id(v)]
    ids = ids[: max(PAGE_SIZES)]  # at most one page of the list
    form = BulkActionForm(request.POST)
    if not ids:
        messages.error(request, _("Tick at least one customer first."))
        return HttpResponseRedirect(back)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    tag = (data.get("tag") or "").strip()
    # Only customers this user may see (and so change): ids of others are ignored.
    customers = selectors.customer_list(viewer=request.user).filter(pk__in=ids)
    try:
        changed = services.customers_bulk_assign(
            actor=request.user,
            customers=list(customers),
            owner=data.get("owner"),
            team=data.get("team"),
            tags_add=[tag] if tag else [],
        )
    except PatronError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    if changed:
        message = ngettext(
            "%(count)d customer changed.", "%(count)d customers changed.", changed
        ) % {"count": changed}
    else:
        message = _("Nothing to change: the customers already had these values.")
    messages.success(request, message)
    return HttpResponseRedirect(back)


@require_POST
@login_required
def saved_view_save(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    query = list_query(QueryDict(request.POST.get("query", "")))
    if form.is_valid():
        try:
            view = services.saved_view_save(
                actor=request.user, name=form.cleaned_data["name"], query=query
            )
        except PatronError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The view “%(name)s” is saved.") % {"name": view.name})
    else:
        messages.error(request, _("Give the view a name."))
    return HttpResponseRedirect(list_url(query))


@require_POST
@login_required
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = selectors.saved_view_get(viewer=request.user, view_id=view_id)
    services.saved_view_delete(actor=request.user, view=view)
    messages.success(request, _("The view “%(name)s” is deleted.") % {"name": view.name})
    return redirect("customers:list")


def _save(request: HttpRequest, form: CustomerForm, customer: object | None) -> object | None:
    """Create or update through the service; errors land on the form (a stale edit too)."""
    fields = {name: form.cleaned_data[name] for name in FORM_FIELDS}
    try:
        if customer is None:
            return services.customer_create(actor=request.user, **fields)
        return services.customer_update(
            actor=request.user,
            customer=customer,
            expected_version=form.cleaned_data.get("version"),
            **fields,
        )
    except Conflict as exc:
        form.add_error(None, exc.message)
        form.conflict = True
    except PatronError as exc:
        apply_errors(form, exc.details, exc.message)
    return None


@login_required
def customer_create(request: HttpRequest) -> HttpResponse:
    visibility.require_create(request.user)
    initial = {"owner": request.user, "team": request.user.teams.order_by("name").first()}
    form = CustomerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        customer = _save(request, form, None)
        if customer is not None:
            messages.success(request, _("%(name)s is created.") % {"name": customer})
            return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form, "creating": True})


@login_required
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    visibility.require_write(request.user, customer)
    initial = {name: getattr(customer, name) for name in FORM_FIELDS}
    initial["version"] = customer.version
    form = CustomerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, customer)
        if saved is not None:
            messages.success(request, _("%(name)s is saved.") % {"name": saved})
            return redirect("customers:detail", customer_id=customer.pk)
    status = 409 if getattr(form, "conflict", False) else 200
    return render(
        request, "customers/form.html", {"form": form, "customer": customer}, status=status
    )


@require_POST
@login_required
def customer_delete(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    services.customer_delete(actor=request.user, customer=customer)
    messages.success(request, _("%(name)s is deleted.") % {"name": customer})
    return redirect("customers:list")
