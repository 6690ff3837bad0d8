"""Admin pages for the definitions of custom fields (the values live on each customer)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.accounts.views import admin_required
from patron.core.errors import PatronError
from patron.core.forms import apply_errors
from patron.core.pagination import paginate
from patron.customers import selectors, services
from patron.customers.forms import CustomFieldForm


@admin_required
def custom_field_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.custom_fields(), default_size=50)
    return render(request, "customers/custom_field_list.html", {"page": page})


def _edit(request: HttpRequest, field: object | None) -> HttpResponse:
    if field is None:
        initial = {"position": 0}
    else:
        initial = {
            "label": field.label,
            "key": field.key,
            "field_type": field.field_type,
            "choices": "\n".join(field.choices or []),
            "help_text": field.help_text,
            "position": field.position,
        }
    form = CustomFieldForm(request.POST or None, initial=initial, editing=field)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.custom_field_save(actor=request.user, field=field, **form.values())
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("The field “%(label)s” is saved.") % {"label": saved})
            return redirect("custom_fields:list")
    context = {"form": form, "edited": field, "creating": field is None}
    return render(request, "customers/custom_field_form.html", context)


@admin_required
def custom_field_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@admin_required
def custom_field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    return _edit(request, selectors.custom_field_get(field_id))


@require_POST
@admin_required
def custom_field_delete(request: HttpRequest, field_id: int) -> HttpResponse:
    field = selectors.custom_field_get(field_id)
    services.custom_field_delete(actor=request.user, field=field)
    messages.success(request, _("The field “%(label)s” is deleted.") % {"label": field})
    return redirect("custom_fields:list")
