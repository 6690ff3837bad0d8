"""Flash messages that carry one action button (such as "Undo" after a merge).

The button's target and label travel in the message's `extra_tags` as JSON; the
`message_action` template filter reads them back for web/partials/messages.html. The
action is always a POST form, so it is protected by the CSRF token like any other."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def success_with_action(request: HttpRequest, text: str, *, url: str, label: str) -> None:
    messages.success(request, text, extra_tags=json.dumps({"url": url, "label": label}))


def message_action(message: Any) -> dict[str, str] | None:
    """The {url, label} of a message's action button, or None."""
    extra = getattr(message, "extra_tags", "") or ""
    if not extra.startswith("{"):
        return None
    try:
        action = json.loads(extra)
    except ValueError:
        return None
    url, label = str(action.get("url", "")), str(action.get("label", ""))
    # Only a path of this site: a message never posts a form elsewhere.
    if not (url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None)):
        return None
    return {"url": url, "label": label}
