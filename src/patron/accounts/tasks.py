"""Periodic housekeeping of sign-in records."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from patron.accounts.models import LoginAttempt

KEEP_LOGIN_ATTEMPTS = dt.timedelta(days=30)


def login_attempts_prune(*, now: dt.datetime | None = None) -> int:
    """Forget sign-in attempts older than 30 days; returns how many were removed."""
    cutoff = (now or timezone.now()) - KEEP_LOGIN_ATTEMPTS
    removed, _ = LoginAttempt.objects.filter(at__lt=cutoff).delete()
    return removed


@db_periodic_task(crontab(minute="17", hour="3"))
def login_attempts_prune_daily() -> None:
    login_attempts_prune()
