"""`patron manage sla_check`: run the SLA job now (it also runs every
PATRON_SLA_EVERY_MINUTES in the job worker) and print what it did."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from patron.service.sla_job import run_sla_check


class Command(BaseCommand):
    help = "Flag tickets at risk and breached, record breaches, notify owners and managers."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the run's figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        stats = run_sla_check()
        if options["json"]:
            self.stdout.write(json.dumps(stats))
            return
        breaches = stats["breaches"]
        states = stats["states"]
        self.stdout.write(
            f"{breaches['first_response']} first-response and {breaches['resolution']} "
            f"resolution breaches recorded; {states['at_risk']} tickets turned at "
            f"risk; {stats['notifications']} notifications, {stats['emails']} emails; "
            f"{stats['seconds']:.2f} s"
        )
