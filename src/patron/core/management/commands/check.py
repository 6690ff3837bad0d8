"""`patron check`: Django's system checks plus Patron's configuration sanity."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands.check import Command as DjangoCheck

from patron.core import checks as patron_checks


class Command(DjangoCheck):
    help = (
        "Check the configuration: data directory, database, migrations, job store, "
        "security settings (add --deploy for production checks)."
    )

    def handle(self, *app_labels: Any, **options: Any) -> None:
        database = settings.DATABASES["default"]
        engine = database["ENGINE"].rsplit(".", 1)[-1]
        jobs = "Redis" if settings.REDIS_URL else f"SQLite ({settings.HUEY['filename']})"
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(f"data directory: {settings.DATA_DIR}")
            self.stdout.write(f"database:       {engine} ({database.get('NAME')})")
            self.stdout.write(f"job store:      {jobs}")
            self.stdout.write(f"debug:          {'on' if settings.DEBUG else 'off'}")
            self.stdout.write(
                f"https:          {'on' if settings.HTTPS else 'off (loopback only)'}"
            )
        # Include the database checks (pending migrations) unless told which databases.
        options["databases"] = options.get("databases") or ["default"]
        patron_checks.report_pending_migrations = True
        super().handle(*app_labels, **options)
