"""`patron setup`: what `make run` does before serving — migrate, first admin, demo data."""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from patron.accounts.models import Role, User
from patron.accounts.services import generate_password, user_create


class Command(BaseCommand):
    help = (
        "Prepare a data directory: apply migrations, gather static files; on first start "
        "create the admin "
        "(PATRON_ADMIN_EMAIL / PATRON_ADMIN_PASSWORD, or a generated password printed once) "
        "and load the demo data. Safe to run at every start."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-demo", action="store_true", help="skip the demo data")
        parser.add_argument("--customers", type=int, default=300, help="demo customers (300)")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write("Database and static files are up to date.")
        if User.objects.exists():
            return
        email = os.environ.get("PATRON_ADMIN_EMAIL", "").strip() or "admin@example.com"
        password = os.environ.get("PATRON_ADMIN_PASSWORD", "")
        generated = not password
        password = password or generate_password()
        user_create(
            actor=None, email=email, password=password, role=Role.ADMIN, full_name="Administrator"
        )
        self.stdout.write(self.style.SUCCESS("First start: created the admin account."))
        if not options["no_demo"]:
            from patron.demo import demo_load

            report = demo_load(customers=options["customers"], password=password)
            self.stdout.write(
                f"Loaded demo data: {report.customers_added} customers, "
                f"{len(report.users_added)} staff (same password as the admin)."
            )
        shown = password if generated else "(the one in PATRON_ADMIN_PASSWORD)"
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING("  Sign in with these; the password is shown only once:")
        )
        self.stdout.write(f"    email:    {email}")
        self.stdout.write(f"    password: {shown}")
        self.stdout.write("")
