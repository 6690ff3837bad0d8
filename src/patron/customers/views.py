"""Customer pages. Thin: forms in, selectors and services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.core import visibility
from patron.core.errors import Conflict, PatronError
from patron.core.forms import apply_errors
from patron.core.pagination import paginate
from patron.customers import selectors, services
from patron.customers.forms import CustomerFilterForm, CustomerForm

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


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    filters = CustomerFilterForm(request.GET or None)
    filters.is_valid()  # a bad value in one filter (a stale bookmark) drops that filter only
    data = getattr(filters, "cleaned_data", {})
    team = data.get("team")
    customers = selectors.customer_list(
        viewer=request.user,
        query=data.get("q", ""),
        kind=data.get("kind", ""),
        lifecycle_stage=data.get("lifecycle_stage", ""),
        team_id=team.pk if team else None,
        sort=data.get("sort") or "name",
    )
    context = {
        "filters": filters,
        "page": paginate(request, customers),
        "filtered": any(data.get(k) for k in ("q", "kind", "lifecycle_stage", "team")),
        "can_create": visibility.can_write_any(request.user),
    }
    template = "customers/partials/list_results.html" if request.htmx else "customers/list.html"
    return render(request, template, context)


@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    context = {"customer": customer, "can_edit": visibility.can_write(request.user, customer)}
    return render(request, "customers/detail.html", context)


def _save(request: HttpRequest, form: CustomerForm, customer: object | None) -> object | None:
    """Create or update through the service; errors land on the form (a stale edit too)."""
    fields = {name: form.cleaned_data[name] for name in FORM_FIELDS}
    fields["given_name"] = fields["given_name"] or ""
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
