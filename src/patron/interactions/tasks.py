"""Background jobs of the interactions app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from patron.interactions.reminders import send_task_reminders


@db_periodic_task(crontab(minute="*"))
def task_reminders_send() -> None:
    """Every minute: email the assignees whose task reminders have come due."""
    send_task_reminders()
