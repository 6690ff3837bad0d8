"""`patron worker`: a job consumer (huey) running queued and periodic jobs."""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = (
        "Run a job consumer: queued jobs and periodic ones (the heartbeat every minute). "
        "Start as many as you like against Redis (REDIS_URL); with the default SQLite "
        "job store, run one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        store = "Redis" if settings.REDIS_URL else settings.HUEY["filename"]
        self.stdout.write(f"Patron job consumer started (store: {store})")
        super().handle(*args, **options)
