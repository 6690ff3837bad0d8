"""The `patron` command (also `python -m patron`): a thin front on Django's commands."""

from __future__ import annotations

import os
import sys

# patron name -> (Django command, one line of help)
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "serve the web app and a job consumer on http://127.0.0.1:8000"),
    "worker": ("worker", "run a job consumer only (queued and periodic jobs)"),
    "setup": ("setup", "migrate; on first start create the admin and load demo data"),
    "migrate": ("migrate", "create or upgrade the database tables"),
    "createuser": ("createuser", "create a user: createuser EMAIL --role ROLE"),
    "token": ("token", "API tokens: token create EMAIL (prints the token alone)"),
    "demo": ("demo", "load realistic multilingual demo data: demo [--customers N]"),
    "import": ("importdata", "import customers|orders|interactions FILE.csv [--dry-run]"),
    "refresh": ("refresh", "refresh customer metrics, tiers, CLV, segments and signals"),
    "export": ("exportdata", "export customers OUT.csv [--vcard] [filters]"),
    "clv": ("clv", "fit the CLV models: clv fit [--calibration-end D] [--holdout-end D] [--json]"),
    "mail": ("mail", "inbound mail to tickets: mail ingest FILE.eml|DIR [--json]"),
    "surveys": ("surveys", "surveys send SURVEY --segment SEGMENT [--dry-run]"),
    "check": ("check", "check the configuration (add --deploy for production)"),
    "compilemessages": ("compilecatalogs", "compile the message catalogues"),
    "collectstatic": ("collectstatic", "gather static files into the data directory"),
    "manage": ("", "any Django management command: manage COMMAND ..."),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [
        "usage: patron COMMAND [options]   (patron COMMAND --help for a command's options)",
        "",
        "Patron, the customer-centric CRM. Commands:",
    ]
    lines += [f"  {name.ljust(width)}  {text}" for name, (_cmd, text) in COMMANDS.items()]
    lines += ["", "Configuration comes from the environment: see README.md."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    if args[0] in {"--version", "version"}:
        from patron import __version__

        print(f"patron {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"patron: unknown command “{name}”.\n\n{usage()}", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    django_command = COMMANDS[name][0]
    if name == "manage":
        execute_from_command_line(["patron", *rest])
    else:
        execute_from_command_line(["patron", django_command, *rest])
    return 0
