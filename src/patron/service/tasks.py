"""Background jobs of the service app: the SLA check every PATRON_SLA_EVERY_MINUTES."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from patron.service.sla_job import run_sla_check


def _schedule() -> crontab:
    every = max(1, int(settings.PATRON_SLA_EVERY_MINUTES))
    if every >= 60:
        return crontab(minute="0", hour=f"*/{max(1, every // 60)}")
    return crontab(minute=f"*/{every}")


@db_periodic_task(_schedule())
def sla_check() -> None:
    """Flag tickets at risk and breached, record breaches, tell owners and managers."""
    run_sla_check()
