"""The job queue and /healthz."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.core.models import JobHeartbeat
from patron.core.tasks import heartbeat


@pytest.mark.django_db
def test_healthz_reports_database_and_jobs(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["jobs"]["status"] == "never"
    heartbeat()  # runs the real task (jobs run immediately in tests)
    body = client.get("/healthz").json()
    assert body["jobs"]["status"] == "ok"
    assert body["jobs"]["age_seconds"] <= 5


@pytest.mark.django_db
def test_healthz_flags_a_stale_heartbeat(client):
    JobHeartbeat.objects.create(name="heartbeat", beat_at=timezone.now() - dt.timedelta(hours=1))
    assert client.get("/healthz").json()["jobs"]["status"] == "stale"


def test_heartbeat_is_a_periodic_job():
    from huey.contrib.djhuey import HUEY

    names = {task.__name__ for task in HUEY._registry._periodic_tasks}
    assert any(name.endswith("heartbeat") for name in names)
