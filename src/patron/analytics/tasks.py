"""Jobs: the nightly refresh (PATRON_REFRESH_AT, "minute hour") and a refresh on request."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from patron.analytics.refresh import refresh
from patron.core.errors import Conflict

log = logging.getLogger(__name__)


def _schedule() -> crontab:
    minute, _, hour = settings.PATRON_REFRESH_AT.strip().partition(" ")
    return crontab(minute=minute or "30", hour=hour.strip() or "2")


@db_periodic_task(_schedule())
def nightly_refresh() -> None:
    try:
        refresh(trigger="schedule")
    except Conflict:
        log.info("nightly refresh skipped: another refresh is running")


@db_task()
def refresh_now() -> None:
    try:
        refresh(trigger="api")
    except Conflict:
        log.info("refresh on request skipped: another refresh is running")
