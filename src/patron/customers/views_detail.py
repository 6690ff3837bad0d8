"""The customer page (360): a header with the essentials at a glance, sections edited in
place with HTMX, and tabs that later features fill.

Each section is one template that shows either its content or its form. Edit swaps the
form in (GET), Save posts it and gets the section back; a refused save answers 422 (field
errors) or 409 (someone changed the customer meanwhile) with the form and the message,
which app.js lets HTMX swap in. Without JavaScript the same URLs are ordinary pages: the
form on a page of its own, then a redirect to the customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.core import visibility
from patron.core.errors import Conflict, NotFound, PatronError, ValidationFailed
from patron.core.formatting import format_date, format_number
from patron.core.forms import apply_errors
from patron.customers import selectors, services
from patron.customers.forms import (
    ConsentForm,
    ContactPointForm,
    ContactPreferencesForm,
    CustomFieldValuesForm,
    EssentialsForm,
    IdentifierForm,
    MembershipForm,
    ServicePreferencesForm,
    TagsForm,
    custom_field_name,
)
from patron.customers.models import ContactPoint, Customer, CustomField

Data = QueryDict | None
FormBuilder = Callable[[HttpRequest, Customer, Data, dict[str, Any]], Any]
MEMBERS_PER_PAGE = 20
MAX_MEMBER_PAGE = 10_000  # a bound that keeps the offset a sane number
SUGGESTIONS = 8
ESSENTIAL_FIELDS = (
    "kind",
    "given_name",
    "family_name",
    "organization_name",
    "lifecycle_stage",
    "language",
    "country",
    "city",
    "time_zone",
    "source",
    "owner",
    "team",
)
SERVICE_FIELDS = ("payment_method", "invoicing", "delivery", "packaging", "vip_handling", "notes")
CONTACT_PREFERENCE_FIELDS = (
    "preferred_channel",
    "max_messages_per_30_days",
    "quiet_hours_start",
    "quiet_hours_end",
)


# --- What the page shows -----------------------------------------------------------------


def _custom_rows(customer: Customer, definitions: list[CustomField]) -> list[dict[str, Any]]:
    values = customer.custom_fields or {}
    rows = []
    for definition in definitions:
        value = values.get(definition.key)
        if value is not None:
            if definition.field_type == CustomField.Type.BOOLEAN:
                value = _("Yes") if value else _("No")
            elif definition.field_type == CustomField.Type.DATE:
                value = format_date(dt.date.fromisoformat(value))
            elif definition.field_type == CustomField.Type.NUMBER:
                value = format_number(value)
        rows.append({"definition": definition, "value": value})
    return rows


def _members(viewer: Any, organization: Customer, number: int) -> dict[str, Any]:
    """One page of the people of an organization, with their number: one query."""
    number = max(1, number)
    members = selectors.organization_members(
        viewer=viewer,
        organization=organization,
        limit=MEMBERS_PER_PAGE,
        offset=(number - 1) * MEMBERS_PER_PAGE,
    )
    if members:
        count = members[0].total
    elif number == 1:
        count = 0
    else:  # past the last page: counted on its own
        count = selectors.organization_member_count(viewer=viewer, organization=organization)
    return {
        "members": members,
        "member_count": count,
        "members_page": number,
        "members_has_next": number * MEMBERS_PER_PAGE < count,
    }


def page_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    """Everything the page and each of its sections show (customer from customer_360)."""
    cutoff = customer.stale_cutoff
    points = list(customer.contact_points.all())
    for point in points:
        point.is_stale = selectors.contact_point_is_stale(point, cutoff)
    preferred = {p.kind: p for p in points if p.preferred}
    definitions = selectors.custom_fields()
    context: dict[str, Any] = {
        "customer": customer,
        "can_edit": visibility.can_write(request.user, customer),
        "customer_stale": selectors.customer_is_stale(customer, cutoff),
        "stale_after_days": settings.PATRON_STALE_AFTER_DAYS,
        "contact_points": points,
        "preferred_email": preferred.get(ContactPoint.Kind.EMAIL),
        "preferred_phone": preferred.get(ContactPoint.Kind.PHONE),
        "identifiers": list(customer.identifiers.all()),
        "tags": [tag.name for tag in customer.tags.all()],
        "consent_rows": selectors.consent_matrix(customer),
        "consents": list(customer.consents.all()),
        "preferences": selectors.preferences_of(customer),
        "custom_field_definitions": definitions,
        "custom_rows": _custom_rows(customer, definitions),
        "email_marketing": selectors.can_contact(customer, "email", "marketing"),
    }
    if customer.is_organization:
        page = request.GET.get("members_page", "1")
        number = min(int(page), MAX_MEMBER_PAGE) if page.isdigit() else 1
        context.update(_members(request.user, customer, number))
    else:
        context["memberships"] = list(customer.memberships.all())
    return context


def _load(request: HttpRequest, customer_id: int) -> Customer:
    return selectors.customer_360(viewer=request.user, customer_id=customer_id)


@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    from patron.interactions import views_customer

    customer = _load(request, customer_id)
    context = page_context(request, customer)
    context.update(views_customer.page_context(request, customer))
    return render(request, "customers/detail.html", context)


# --- Rendering a section ----------------------------------------------------------------


def section_template(name: str) -> str:
    return f"customers/partials/section_{name.replace('-', '_')}.html"


def _render_section(
    request: HttpRequest, name: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    context.update(section=name, section_template=section_template(name))
    if request.htmx:
        # After a change, the header follows (name, stage, preferred email...).
        context["refresh_header"] = request.method == "POST" and status == 200
        return render(request, "customers/partials/section_response.html", context, status=status)
    return render(request, "customers/section_page.html", context, status=status)


def _saved(request: HttpRequest, customer_id: int, name: str) -> HttpResponse:
    """The answer to a successful change: the fresh section (HTMX) or the page again."""
    if request.htmx:
        return _render_section(request, name, page_context(request, _load(request, customer_id)))
    messages.success(request, _("Saved."))
    return redirect(reverse("customers:detail", args=[customer_id]) + f"#section-{name}")


def _refused(form: forms.Form, exc: PatronError, names: dict[str, str] | None = None) -> int:
    """Put a service's refusal on the form; the HTTP status that says which it was."""
    if isinstance(exc, Conflict):
        form.conflict = exc.message
        return 409
    details = exc.details
    if names and isinstance(details, dict):
        details = {names.get(k, k): v for k, v in details.items()}
    apply_errors(form, details, exc.message)
    return 422


# --- Sections edited through one form ----------------------------------------------------


@dataclass(frozen=True)
class Section:
    """How to build a section's form for a customer, and how to save it."""

    form: FormBuilder
    save: Callable[[HttpRequest, Customer, Any], None]
    # Service field names → form field names, for errors a service reports.
    error_names: Callable[[dict[str, Any]], dict[str, str]] = lambda context: {}
    people_only: bool = False


def _essentials_form(
    request: HttpRequest, customer: Customer, data: Data, context: dict[str, Any]
) -> Any:
    initial = {name: getattr(customer, name) for name in ESSENTIAL_FIELDS}
    initial["version"] = customer.version
    return EssentialsForm(data, initial=initial, auto_id="essentials_%s")


def _essentials_save(request: HttpRequest, customer: Customer, form: Any) -> None:
    fields = {name: form.cleaned_data[name] for name in ESSENTIAL_FIELDS}
    services.customer_update(
        actor=request.user,
        customer=customer,
        expected_version=form.cleaned_data.get("version"),
        **fields,
    )


def _preferences_form(
    form_class: type[forms.Form], names: tuple[str, ...], prefix: str
) -> FormBuilder:
    def build(request: HttpRequest, customer: Customer, data: Data, context: dict[str, Any]) -> Any:
        preferences = context["preferences"]
        initial = {n: getattr(preferences, n) for n in names} if preferences else {}
        return form_class(data, initial=initial, auto_id=f"{prefix}_%s")

    return build


def _preferences_save(request: HttpRequest, customer: Customer, form: Any) -> None:
    services.preferences_update(actor=request.user, customer=customer, **form.cleaned_data)


def _tags_form(
    request: HttpRequest, customer: Customer, data: Data, context: dict[str, Any]
) -> Any:
    context["all_tags"] = selectors.tag_names()
    initial = {"tags": ", ".join(context["tags"]), "version": customer.version}
    return TagsForm(data, initial=initial, auto_id="tags_%s")


def _tags_save(request: HttpRequest, customer: Customer, form: Any) -> None:
    services.customer_update(
        actor=request.user,
        customer=customer,
        expected_version=form.cleaned_data.get("version"),
        tags=form.tag_list(),
    )


def _custom_fields_form(
    request: HttpRequest, customer: Customer, data: Data, context: dict[str, Any]
) -> Any:
    definitions = context["custom_field_definitions"]
    form_class = CustomFieldValuesForm.for_definitions(definitions)
    initial = CustomFieldValuesForm.initial_for(customer, definitions)
    return form_class(data, initial=initial, auto_id="custom_%s")


def _custom_fields_save(request: HttpRequest, customer: Customer, form: Any) -> None:
    services.customer_update(
        actor=request.user,
        customer=customer,
        expected_version=form.cleaned_data.get("version"),
        custom_fields=form.values(),
    )


def _custom_field_error_names(context: dict[str, Any]) -> dict[str, str]:
    return {
        f"custom_fields.{d.key}": custom_field_name(d.key)
        for d in context["custom_field_definitions"]
    }


def _consent_form(
    request: HttpRequest, customer: Customer, data: Data, context: dict[str, Any]
) -> Any:
    channel, purpose = request.GET.get("channel", ""), request.GET.get("purpose", "")
    recorded = {(c.channel, c.purpose): c for c in context["consents"]}.get((channel, purpose))
    initial = {"channel": channel, "purpose": purpose}
    if recorded is not None:
        initial.update(status=recorded.status, source=recorded.source)
    return ConsentForm(data, initial=initial, auto_id="consent_%s")


def _consent_save(request: HttpRequest, customer: Customer, form: Any) -> None:
    services.consent_set(actor=request.user, customer=customer, **form.cleaned_data)


def _contact_point_add_form(
    request: HttpRequest, customer: Customer, data: Data, context: dict[str, Any]
) -> Any:
    kind = request.GET.get("kind", "")
    return ContactPointForm(data, initial={"kind": kind}, auto_id="point_%s")


def _contact_point_add_save(request: HttpRequest, customer: Customer, form: Any) -> None:
    services.contact_point_add(actor=request.user, customer=customer, **form.cleaned_data)


def _identifier_form(
    request: HttpRequest, customer: Customer, data: Data, context: dict[str, Any]
) -> Any:
    return IdentifierForm(data, auto_id="identifier_%s")


def _identifier_save(request: HttpRequest, customer: Customer, form: Any) -> None:
    services.identifier_add(actor=request.user, customer=customer, **form.cleaned_data)


def _membership_form(
    request: HttpRequest, customer: Customer, data: Data, context: dict[str, Any]
) -> Any:
    return MembershipForm(data, auto_id="membership_%s")


def _chosen_organization(request: HttpRequest, form: MembershipForm) -> Customer:
    """The organization ticked among the suggestions, or the only one matching the typed
    name (without JavaScript there are no suggestions until the form is sent)."""
    chosen = form.cleaned_data.get("organization")
    if chosen:
        return selectors.customer_get(viewer=request.user, customer_id=chosen)
    query = form.cleaned_data.get("organization_query") or ""
    if not query.strip():
        raise ValidationFailed(
            _("Type the organization's name."), details={"organization_query": ["required"]}
        )
    matches = list(
        selectors.customer_list(viewer=request.user, kind="organization", query=query)[:SUGGESTIONS]
    )
    if len(matches) == 1:
        return matches[0]
    form.suggestions = matches
    message = (
        _("Several organizations match: choose one.")
        if matches
        else _("No organization matches “%(query)s”.") % {"query": query}
    )
    raise ValidationFailed(message, details={"organization_query": [message]})


def _membership_save(request: HttpRequest, customer: Customer, form: Any) -> None:
    try:
        organization = _chosen_organization(request, form)
    except NotFound as exc:
        raise ValidationFailed(
            _("That organization is no longer there."),
            details={"organization_query": [_("That organization is no longer there.")]},
        ) from exc
    services.membership_add(
        actor=request.user,
        person=customer,
        organization=organization,
        title=form.cleaned_data.get("title") or "",
    )


SECTIONS: dict[str, Section] = {
    "essentials": Section(_essentials_form, _essentials_save),
    "service": Section(
        _preferences_form(ServicePreferencesForm, SERVICE_FIELDS, "service"), _preferences_save
    ),
    "contact-preferences": Section(
        _preferences_form(ContactPreferencesForm, CONTACT_PREFERENCE_FIELDS, "contactpref"),
        _preferences_save,
    ),
    "tags": Section(_tags_form, _tags_save),
    "custom-fields": Section(
        _custom_fields_form, _custom_fields_save, error_names=_custom_field_error_names
    ),
    "consent": Section(_consent_form, _consent_save),
    "contact-points": Section(_contact_point_add_form, _contact_point_add_save),
    "identifiers": Section(_identifier_form, _identifier_save),
    "memberships": Section(_membership_form, _membership_save, people_only=True),
}


def _section(name: str) -> Section:
    if name not in SECTIONS:
        raise NotFound(_("Not found."))
    return SECTIONS[name]


@login_required
def section_show(request: HttpRequest, customer_id: int, section: str) -> HttpResponse:
    _section(section)
    return _render_section(request, section, page_context(request, _load(request, customer_id)))


@login_required
def section_edit(request: HttpRequest, customer_id: int, section: str) -> HttpResponse:
    spec = _section(section)
    customer = _load(request, customer_id)
    visibility.require_write(request.user, customer)
    if spec.people_only and customer.is_organization:
        raise NotFound(_("Not found."))
    context = page_context(request, customer)
    data = request.POST if request.method == "POST" else None
    form = spec.form(request, customer, data, context)
    status = 200
    if data is not None:
        status = 422
        if form.is_valid():
            try:
                spec.save(request, customer, form)
            except PatronError as exc:
                status = _refused(form, exc, spec.error_names(context))
            else:
                return _saved(request, customer_id, section)
    context["form"] = form
    return _render_section(request, section, context, status=status)


# --- Contact points, identifiers, memberships: one record at a time ---------------------


def _one(records: list[Any], record_id: int) -> Any:
    """A record of this customer's (already visibility-checked) list, else not found."""
    for record in records:
        if record.pk == record_id:
            return record
    raise NotFound(_("Not found."))


def _writable(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """The page context of a customer this user may change (else not found / forbidden)."""
    customer = _load(request, customer_id)
    visibility.require_write(request.user, customer)
    return page_context(request, customer)


@login_required
def contact_point_edit(request: HttpRequest, customer_id: int, point_id: int) -> HttpResponse:
    context = _writable(request, customer_id)
    point = _one(context["contact_points"], point_id)
    data = request.POST if request.method == "POST" else None
    initial = {
        "value": point.value,
        "label": point.label,
        "city": point.city,
        "postal_code": point.postal_code,
        "country": point.country,
        "preferred": point.preferred,
    }
    form = ContactPointForm(data, initial=initial, editing=point, auto_id=f"point{point.pk}_%s")
    status = 200
    if data is not None:
        status = 422
        if form.is_valid():
            try:
                services.contact_point_update(actor=request.user, point=point, **form.cleaned_data)
            except PatronError as exc:
                status = _refused(form, exc)
            else:
                return _saved(request, customer_id, "contact-points")
    context.update(form=form, editing_point=point)
    return _render_section(request, "contact-points", context, status=status)


@require_POST
@login_required
def contact_point_delete(request: HttpRequest, customer_id: int, point_id: int) -> HttpResponse:
    context = _writable(request, customer_id)
    point = _one(context["contact_points"], point_id)
    services.contact_point_delete(actor=request.user, point=point)
    return _saved(request, customer_id, "contact-points")


@require_POST
@login_required
def contact_point_confirm(request: HttpRequest, customer_id: int, point_id: int) -> HttpResponse:
    context = _writable(request, customer_id)
    point = _one(context["contact_points"], point_id)
    services.contact_point_confirm(actor=request.user, point=point)
    return _saved(request, customer_id, "contact-points")


@require_POST
@login_required
def identifier_delete(request: HttpRequest, customer_id: int, identifier_id: int) -> HttpResponse:
    context = _writable(request, customer_id)
    identifier = _one(context["identifiers"], identifier_id)
    services.identifier_delete(actor=request.user, identifier=identifier)
    return _saved(request, customer_id, "identifiers")


@require_POST
@login_required
def membership_delete(request: HttpRequest, customer_id: int, membership_id: int) -> HttpResponse:
    context = _writable(request, customer_id)
    membership = _one(context.get("memberships", []), membership_id)
    services.membership_delete(actor=request.user, membership=membership)
    return _saved(request, customer_id, "memberships")


@login_required
def organization_suggest(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Organizations whose name starts with what is typed, to join this person to."""
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    query = request.GET.get("organization_query", "")
    matches = []
    if query.strip():
        matches = list(
            selectors.customer_list(viewer=request.user, kind="organization", query=query)[
                :SUGGESTIONS
            ]
        )
    context = {"customer": customer, "suggestions": matches, "query": query}
    return render(request, "customers/partials/organization_suggestions.html", context)


@require_POST
@login_required
def customer_confirm(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Someone checked the details with the customer: no longer flagged as stale."""
    customer = _load(request, customer_id)
    services.customer_confirm(actor=request.user, customer=customer)
    if request.htmx:
        context = page_context(request, _load(request, customer_id))
        return render(request, "customers/partials/identity.html", context)
    messages.success(request, _("The details are confirmed."))
    return redirect("customers:detail", customer_id=customer_id)
