"""`patron demo`: load (or top up) realistic multilingual demo data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from patron.core.errors import PatronError
from patron.demo import demo_load


class Command(BaseCommand):
    help = (
        "Load demo teams, staff and customers with names from English, Hebrew, Arabic, "
        "Armenian, Georgian and Malay locales, a product catalogue, three years of orders "
        "and the conversation with each customer (interactions, notes, tasks, answers to "
        "the question bank). Idempotent: running it again adds only what is missing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=300,
            help="how many demo customers there should be (300)",
        )
        parser.add_argument(
            "--password",
            default=None,
            help="password for new demo staff (generated and printed if omitted)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["customers"] < 0:
            raise CommandError("--customers must be 0 or more.")
        try:
            report = demo_load(customers=options["customers"], password=options["password"])
        except PatronError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Demo data: {report.teams_added} teams, {len(report.users_added)} staff and "
            f"{report.customers_added} customers added."
        )
        history = report.history
        self.stdout.write(
            f"History: {report.orders_added} orders, {history.interactions_added} "
            f"interactions, {history.answers_added} answers, {history.notes_added} notes and "
            f"{history.tasks_added} tasks added."
        )
        self.stdout.write(
            f"Value: figures of {report.value.customers} customers refreshed, "
            f"{report.value.signals} signals raised."
        )
        if report.users_added and not options["password"]:
            self.stdout.write(f"Demo staff password: {report.password}")
            for email in report.users_added:
                self.stdout.write(f"  {email}")
