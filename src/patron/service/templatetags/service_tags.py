"""The SLA countdown as text (the same words countdown.js keeps up to date)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from patron.core.templatetags.patron import localdatetime
from patron.service.selectors import Countdown

register = template.Library()


def duration_text(seconds: int) -> str:
    minutes = abs(int(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


def countdown_text(cd: Countdown) -> str:
    if cd.state == "paused":
        return _("paused, %(left)s left") % {"left": duration_text(cd.seconds_left)}
    if cd.seconds_left < 0:
        return _("%(time)s overdue") % {"time": duration_text(cd.seconds_left)}
    return _("%(time)s left") % {"time": duration_text(cd.seconds_left)}


STATE_CLASSES = {
    "breached": "text-danger-emphasis fw-semibold",
    "at_risk": "text-warning-emphasis fw-semibold",
    "paused": "text-body-secondary",
    "on_track": "",
}


@register.simple_tag
def sla_countdown(cd: Countdown | None, ticket: Any = None) -> SafeString | str:
    """`<time>` with the time left (or overdue); countdown.js updates it every minute."""
    if cd is None:
        return ""
    at_risk = ""
    if ticket is not None and cd.state in ("on_track", "at_risk"):
        total = (cd.due_at - ticket.created_at).total_seconds()
        share = settings.PATRON_SLA_AT_RISK_SHARE
        at_risk = (cd.due_at - dt.timedelta(seconds=total * share)).isoformat()
    return format_html(
        '<time class="sla-countdown {}" datetime="{}" data-state="{}" data-at-risk="{}" '
        'title="{}: {}" data-testid="sla-countdown">{}</time>',
        STATE_CLASSES.get(cd.state, ""),
        cd.due_at.isoformat(),
        cd.state,
        at_risk,
        cd.label,
        localdatetime(cd.due_at, "short"),
        countdown_text(cd),
    )


@register.inclusion_tag("service/partials/countdown_words.html")
def sla_countdown_words() -> dict[str, str]:
    """The words countdown.js needs, translated, once per page."""
    return {
        "day": _("%(d)d d %(h)d h"),
        "hour": _("%(h)d h %(m)d min"),
        "minute": _("%(m)d min"),
        "left": _("%(time)s left"),
        "over": _("%(time)s overdue"),
    }
