from __future__ import annotations

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patron.core import selectors
from patron.core.pagination import paginate


@login_required
def audit_trail(request: HttpRequest, target_type: str, target_id: str) -> HttpResponse:
    entries = selectors.audit_trail(
        viewer=request.user, target_type=target_type, target_id=target_id
    )
    page = paginate(request, entries)
    model = apps.get_model(target_type)
    label = page.items[0].target_label if page.items else f"{target_type} #{target_id}"
    return render(
        request,
        "core/audit_trail.html",
        {
            "page": page,
            "rows": selectors.audit_changes_readable(model, page.items),
            "label": label,
            "model_name": model._meta.verbose_name,
        },
    )
