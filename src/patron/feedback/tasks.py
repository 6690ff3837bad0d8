"""Background jobs of surveys: email the invitations that are due (every minute) and
invite after delivered orders and first purchases (daily)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from patron.feedback.sending import send_pending
from patron.feedback.triggers import invite_due


@db_periodic_task(crontab(minute="*"))
def survey_invitations_send() -> None:
    """Every minute: send the PENDING email invitations whose time has come."""
    send_pending()


@db_periodic_task(crontab(hour="7", minute="30"))
def survey_invitations_after_orders() -> None:
    """Daily: invite after delivered orders and N days after the first purchase."""
    invite_due()
