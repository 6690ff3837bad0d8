"""`patron createuser EMAIL --role ROLE`: create a user without prompts."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from patron.accounts.models import Role
from patron.accounts.services import generate_password, team_get_or_create, user_create
from patron.core.errors import PatronError


class Command(BaseCommand):
    help = (
        "Create a user. Prints a generated password unless --password-stdin is given "
        "(then the first line of standard input is the password)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--role",
            choices=Role.values,
            default=Role.AGENT,
            help="admin, manager, agent or viewer (agent)",
        )
        parser.add_argument("--name", default="", help="full name")
        parser.add_argument(
            "--team",
            action="append",
            default=[],
            help="team name (repeat for several; created if missing)",
        )
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("No password on standard input.")
        else:
            password = generate_password()
        try:
            teams = [
                team_get_or_create(actor=None, name=name)[0]
                for name in options["team"]
                if name.strip()
            ]
            user = user_create(
                actor=None,
                email=options["email"],
                password=password,
                role=options["role"],
                full_name=options["name"],
                teams=teams,
            )
        except PatronError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(f"Created {user.role} {user.email}.")
        if not options["password_stdin"]:
            self.stdout.write(f"password: {password}")
