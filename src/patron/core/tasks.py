"""Periodic jobs of the platform itself."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from patron.core.models import JobHeartbeat


def heartbeat_record(name: str = "heartbeat") -> JobHeartbeat:
    beat, _ = JobHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
    return beat


@db_periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Proves, once a minute, that the job consumer runs; /healthz shows its age."""
    heartbeat_record()
