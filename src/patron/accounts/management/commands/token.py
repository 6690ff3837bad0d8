"""`patron token create EMAIL`: an API token, printed alone so scripts can capture it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from patron.accounts.selectors import token_list, user_by_email
from patron.accounts.services import token_create
from patron.core.errors import PatronError


class Command(BaseCommand):
    help = (
        "Manage API tokens: `create EMAIL [--name NAME]` prints the new token on stdout; "
        "`list EMAIL` lists them."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it alone on stdout")
        create.add_argument("email")
        create.add_argument("--name", default="CLI", help="what the token is for")
        listing = sub.add_parser("list", help="list a user's tokens (never the secrets)")
        listing.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = user_by_email(email=options["email"])
            if options["action"] == "create":
                _token, raw = token_create(actor=None, user=user, name=options["name"])
                self.stdout.write(raw)
                return
            for token in token_list(user=user):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.pk}\t{token.prefix}…\t{state}\t{token.name}")
        except PatronError as exc:
            raise CommandError(exc.message) from exc
