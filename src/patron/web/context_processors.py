"""What the base layout needs on every page: navigation, languages, direction."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from patron import __version__

# Every section of the product, in menu order. A section appears once its app exists
# (url name resolvable); unbuilt ones stay hidden rather than leading to an empty page.
SECTIONS = [
    ("my_day", _("My day"), "worklist:my_day", "sunrise"),
    ("customers", _("Customers"), "customers:list", "people"),
    ("tasks", _("Tasks"), "interactions:my_tasks", "check2-square"),
    ("timeline", _("Timeline"), "interactions:timeline", "clock-history"),
    ("orders", _("Orders"), "commerce:orders", "bag"),
    ("segments", _("Segments"), "segments:list", "diagram-3"),
    ("sales", _("Sales"), "sales:board", "kanban"),
    ("service", _("Service"), "service:queue", "life-preserver"),
    ("feedback", _("Feedback"), "feedback:surveys", "chat-heart"),
    ("campaigns", _("Campaigns"), "campaigns:list", "megaphone"),
    ("value", _("Value"), "analytics:value", "bar-chart-line"),
    ("analytics", _("Analytics"), "analytics:overview", "graph-up"),
]


@functools.cache
def built_sections() -> tuple[tuple[str, Any, str, str], ...]:
    """(key, label, url, icon) of the sections that exist; URLs do not change at run time,
    so this is worked out once per process, not on every page."""
    built = []
    for key, label, url_name, icon in SECTIONS:
        try:
            built.append((key, label, reverse(url_name), icon))
        except NoReverseMatch:
            continue
    return tuple(built)


def navigation(request: HttpRequest) -> list[dict[str, Any]]:
    items = []
    for key, label, url, icon in built_sections():
        active = request.path.startswith(url)
        items.append({"key": key, "label": label, "url": url, "icon": icon, "active": active})
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.role == "admin":
        url = reverse("accounts:user_list")
        items.append(
            {
                "key": "admin",
                "label": _("Admin"),
                "url": url,
                "icon": "gear",
                "active": request.path.startswith("/manage/"),
            }
        )
    return items


def _unread(user: Any) -> int:
    from patron.interactions.selectors import unread_notification_count

    return unread_notification_count(viewer=user)


def shell(request: HttpRequest) -> dict[str, Any]:
    language = translation.get_language() or settings.LANGUAGE_CODE
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "nav_items": navigation(request) if signed_in else [],
        # A callable: templates call it when they show it (full pages, not fragments).
        "unread_notifications": functools.partial(_unread, user) if signed_in else 0,
        "languages": [
            {"code": code, "name": translation.get_language_info(code)["name_local"]}
            for code, _name in settings.LANGUAGES
        ],
        "current_language": language,
        "is_rtl": translation.get_language_bidi(),
        "patron_version": __version__,
    }
