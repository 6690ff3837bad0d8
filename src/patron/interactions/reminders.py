"""Task reminders: an email to the assignee when a task's reminder time comes, once."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from patron.core.formatting import format_datetime
from patron.interactions import selectors, services
from patron.interactions.models import Task

logger = logging.getLogger("patron.reminders")


def _message(task: Task) -> EmailMessage:
    user = task.assignee
    with (
        translation.override(user.language or settings.LANGUAGE_CODE),
        timezone.override(user.time_zone or settings.TIME_ZONE),
    ):
        link = settings.PATRON_BASE_URL + (
            reverse("customers:detail", args=[task.customer_id])
            if task.customer_id
            else reverse("interactions:my_tasks")
        )
        lines = [_("Reminder: %(title)s") % {"title": task.title}, ""]
        if task.customer is not None:
            lines.append(_("Customer: %(name)s") % {"name": task.customer.display_name})
        if task.due_at is not None:
            lines.append(_("Due: %(when)s") % {"when": format_datetime(task.due_at)})
        lines.append(_("Priority: %(p)s") % {"p": task.get_priority_display()})
        if task.description:
            lines += ["", task.description]
        lines += ["", link]
        subject = _("Reminder: %(title)s") % {"title": task.title}
    return EmailMessage(subject=subject[:200], body="\n".join(lines), to=[user.email])


def send_task_reminders(*, now: dt.datetime | None = None) -> int:
    """Email every reminder that has come due and mark each task reminded, so that a
    reminder is sent once; a task whose mail fails is tried again at the next run."""
    now = now or timezone.now()
    due = selectors.reminders_due(now=now)
    if not due:
        return 0
    sent: list[int] = []
    with get_connection() as connection:
        for task in due:
            try:
                connection.send_messages([_message(task)])
            except OSError:
                logger.exception("reminder for task %s not sent", task.pk)
                continue
            sent.append(task.pk)
    services.tasks_mark_reminded(sent, now)
    return len(sent)
