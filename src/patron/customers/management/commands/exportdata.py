"""`patron export customers OUT.csv`: the customer base (or a filtered part) as CSV/vCard."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.accounts.models import User
from patron.customers import selectors
from patron.customers.exporting import customers_csv, people_vcards, write_all
from patron.customers.models import Customer


class Command(BaseCommand):
    help = (
        "Export customers: export customers OUT.csv [--vcard | --with-metrics] [--as EMAIL]"
        " [filters]"
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=("customers",))
        parser.add_argument("out", help="file to write (- for standard output)")
        parser.add_argument("--vcard", action="store_true", help="vCard of the people, not CSV")
        parser.add_argument(
            "--with-metrics",
            action="store_true",
            help="CSV: add each customer's figures (12-month revenue and orders, recency,"
            " frequency, value tier, ABC, RFM, relationship stage, CLV) after the import columns",
        )
        parser.add_argument("--as", dest="as_user", default="", help="export what EMAIL sees")
        parser.add_argument("--q", default="", help="search, as in the list")
        parser.add_argument(
            "--kind", dest="customer_kind", default="", choices=("", *Customer.Kind.values)
        )
        parser.add_argument(
            "--lifecycle-stage", default="", choices=("", *Customer.Lifecycle.values)
        )
        parser.add_argument("--tag", default="")
        parser.add_argument("--country", default="")
        parser.add_argument("--stale", action="store_true")
        parser.add_argument("--system", default="import", help="whose external_id to write")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["vcard"] and options["with_metrics"]:
            raise CommandError("--with-metrics is for CSV: a vCard has no place for figures")
        if options["as_user"]:
            viewer = User.objects.filter(email__iexact=options["as_user"], is_active=True).first()
            if viewer is None:
                raise CommandError(f"No active user {options['as_user']}")
        else:
            # The command line is the operator's: everything, as a system administrator.
            viewer = User(role="admin", is_active=True)
        customers = selectors.customer_list(
            viewer=viewer,
            query=options["q"],
            kind=options["customer_kind"],
            lifecycle_stage=options["lifecycle_stage"],
            tag=options["tag"],
            country=options["country"],
            stale=options["stale"],
            sort="created",
        )
        pieces = (
            people_vcards(customers)
            if options["vcard"]
            else customers_csv(
                customers, system=options["system"], with_metrics=options["with_metrics"]
            )
        )
        if options["out"] == "-":
            write_all(pieces, sys.stdout)
            return
        with open(options["out"], "w", encoding="utf-8", newline="") as out:
            write_all(pieces, out)
        count = customers.count()
        self.stderr.write(f"Exported {count} customers to {options['out']}")
