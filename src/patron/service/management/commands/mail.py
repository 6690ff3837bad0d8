"""`patron mail ingest PATH [PATH …] [--recursive] [--mbox FILE] [--json]`: turn inbound
email into tickets or replies on them (see docs/mail-in.md).

A PATH is a message file (.eml, or any file named on the command line), a directory of
*.eml files (sorted by name; --recursive for its subdirectories too) or a Maildir (its
new/ and cur/ files). Each message is imported in its own transaction: a bad one is
reported and the others go on. Exit code 0 when no message was rejected, 1 otherwise
(duplicates and skipped auto-replies are not failures)."""

from __future__ import annotations

import json
import mailbox
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.service.mail_in import STATUSES, IngestResult, ingest_bytes, max_bytes, too_large


def _maildir_files(directory: Path) -> list[Path] | None:
    parts = [directory / "new", directory / "cur"]
    if not any(part.is_dir() for part in parts):
        return None
    return [
        path
        for part in parts
        if part.is_dir()
        for path in sorted(part.iterdir())
        if path.is_file() and not path.name.startswith(".")
    ]


def message_files(path: Path, *, recursive: bool) -> list[Path]:
    """The message files a PATH stands for, in a stable order."""
    if path.is_file():
        return [path]
    maildir = _maildir_files(path)
    if maildir is not None:
        return maildir
    pattern = "**/*.eml" if recursive else "*.eml"
    return sorted(p for p in path.glob(pattern) if p.is_file())


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def _read(path: Path) -> bytes:
    """The file's bytes; a file over the size limit is not read at all."""
    size = path.stat().st_size
    if size > max_bytes():
        raise _TooLarge(size)
    return path.read_bytes()


def _mbox_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    box = mailbox.mbox(path, create=False)
    try:
        for index, key in enumerate(box.iterkeys(), start=1):
            yield f"{path}#{index}", box.get_bytes(key)
    finally:
        box.close()


class Command(BaseCommand):
    help = "Inbound mail: mail ingest PATH [PATH …] [--recursive] [--mbox FILE] [--json]"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ingest")
        ingest = actions.add_parser(
            "ingest",
            help="import .eml files, directories, Maildirs or mbox files as tickets",
            description=(
                "Import inbound email: each message becomes a new ticket, or a reply on the"
                " ticket it answers (by its In-Reply-To/References headers, or a [#id] in"
                " the subject for that ticket's own customer). Unknown senders become"
                " prospects. A message already imported (same Message-ID) is reported as a"
                " duplicate; auto-replies, bounces and our own mail are skipped. Exit code"
                " 0 when nothing was rejected, 1 otherwise."
            ),
        )
        ingest.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="a message file, a directory of *.eml files, or a Maildir (new/ and cur/)",
        )
        ingest.add_argument(
            "--recursive", action="store_true", help="also read *.eml in subdirectories"
        )
        ingest.add_argument(
            "--mbox",
            action="append",
            default=[],
            metavar="FILE",
            help="an mbox file (repeatable)",
        )
        ingest.add_argument(
            "--json", action="store_true", help="print a JSON report instead of lines"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(p) for p in options["paths"]]
        mboxes = [Path(p) for p in options["mbox"]]
        if not paths and not mboxes:
            raise CommandError("Give at least one PATH (a .eml file or a directory) or --mbox.")
        missing = [str(p) for p in [*paths, *mboxes] if not p.exists()]
        if missing:
            raise CommandError(f"No such file or directory: {', '.join(missing)}")
        not_files = [str(p) for p in mboxes if not p.is_file()]
        if not_files:
            raise CommandError(f"--mbox needs a file: {', '.join(not_files)}")
        as_json = options["json"]
        rows: list[dict[str, Any]] = []
        for label, read in self._sources(paths, mboxes, options["recursive"]):
            try:
                raw = read()
            except OSError as exc:
                result = IngestResult(status="rejected", reason=f"cannot read: {exc}")
            except _TooLarge as exc:
                result = IngestResult(status="rejected", reason=too_large(exc.size))
            else:
                result = ingest_bytes(raw)
            row = {"file": label, **result.as_dict()}
            rows.append(row)
            if not as_json:
                self.stdout.write(line(row))
        counts = Counter(row["status"] for row in rows)
        summary = {status: counts.get(status, 0) for status in STATUSES}
        if as_json:
            self.stdout.write(json.dumps({"messages": rows, "summary": summary}, indent=2))
        else:
            self.stdout.write(
                f"{len(rows)} message(s): " + ", ".join(f"{summary[s]} {s}" for s in STATUSES)
            )
        if summary["rejected"]:
            raise CommandError(f"{summary['rejected']} message(s) rejected.", returncode=1)

    def _sources(self, paths: list[Path], mboxes: list[Path], recursive: bool) -> Iterator[Any]:
        for path in paths:
            files = message_files(path, recursive=recursive)
            if not files:
                self.stderr.write(f"No .eml files in {path}")
            for file in files:
                yield str(file), (lambda file=file: _read(file))
        for path in mboxes:
            try:
                for label, raw in _mbox_messages(path):
                    yield label, (lambda raw=raw: raw)
            except (OSError, mailbox.Error) as exc:
                raise CommandError(f"Cannot read the mbox {path}: {exc}") from exc


def line(row: dict[str, Any]) -> str:
    ticket = f" ticket #{row['ticket_id']}" if row["ticket_id"] else ""
    customer = " (new prospect)" if row["created_customer"] else ""
    reason = f" — {row['reason']}" if row["reason"] else ""
    return f"{row['file']}: {row['status']}{ticket}{customer}{reason}"
