"""`patron import customers|orders|interactions FILE.csv`: stream a CSV into the
customer base, its orders or its interactions."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.customers.importing import ImportOptions, import_customers

KINDS = ("customers", "orders", "interactions")
# Rows per transaction unless --batch-size says otherwise.
BATCH_SIZES = {"customers": 5000, "orders": 20_000, "interactions": 20_000}


class Command(BaseCommand):
    help = (
        "Import records from a CSV file: import customers|orders|interactions FILE.csv [--dry-run]"
    )
    requires_system_checks: list[str] = []  # a data command: no need to load every URL

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS, help="what the file holds")
        parser.add_argument("file", help="CSV file (UTF-8, comma or semicolon); - for stdin")
        parser.add_argument("--dry-run", action="store_true", help="check and count, save nothing")
        parser.add_argument(
            "--rejects",
            metavar="OUT.csv",
            help="write rejected rows here (default: FILE.rejects.csv when there are any)",
        )
        parser.add_argument(
            "--system",
            default="import",
            help="system the external_id (of orders and interactions: the "
            "customer_external_id) belongs to (import)",
        )
        parser.add_argument("--encoding", default="utf-8", help="file encoding (utf-8)")
        parser.add_argument(
            "--country", default="", help="country for phone numbers written without +CC"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="rows per transaction (customers 5000, orders and interactions 20000)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="processes checking rows while this one writes (default: the cores, up to 4)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["file"]
        if source != "-" and not Path(source).is_file():
            raise CommandError(f"No such file: {source}")
        options["batch_size"] = options["batch_size"] or BATCH_SIZES[options["kind"]]
        if not 1 <= options["batch_size"] <= 100_000:
            raise CommandError("--batch-size must be between 1 and 100000")
        rejects_path = Path(
            options["rejects"] or (f"{source}.rejects.csv" if source != "-" else "rejects.csv")
        )
        import_options = ImportOptions(
            system=options["system"].strip().lower() or "import",
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
            encoding=options["encoding"],
            default_country=options["country"].upper(),
            source_label=Path(source).name if source != "-" else "stdin",
            workers=max(1, options["workers"]),
        )
        progress = None if options["quiet"] else self._progress
        run = import_customers
        if options["kind"] != "customers":
            run, import_options = self._engine(options["kind"], import_options)
        stream = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
        try:
            with open(rejects_path, "w", encoding="utf-8", newline="") as rejects:
                report = run(stream, options=import_options, rejects_out=rejects, progress=progress)
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        if not report.rejected and not options["rejects"]:
            rejects_path.unlink(missing_ok=True)
        self._summary(report, rejects_path)
        if report.error:
            raise CommandError(report.error)

    @staticmethod
    def _engine(kind: str, options: ImportOptions) -> tuple[Any, Any]:
        """The import function and options of orders or interactions."""
        from patron.commerce.import_engine import ImportOptions as EngineOptions

        if kind == "orders":
            from patron.commerce.importing import import_orders as run
        else:
            from patron.interactions.importing import import_interactions as run
        engine_options = EngineOptions(
            system=options.system,
            dry_run=options.dry_run,
            batch_size=options.batch_size,
            encoding=options.encoding,
            workers=options.workers,
            source_label=options.source_label,
            tune_connection=True,
        )
        return run, engine_options

    def _progress(self, report: Any) -> None:
        done = report.created + report.updated + report.unchanged + report.rejected
        sys.stderr.write(
            f"\r  {done:,} rows: {report.created:,} created, "
            f"{report.updated:,} updated, {report.rejected:,} rejected"
        )
        sys.stderr.flush()

    def _summary(self, report: Any, rejects_path: Path) -> None:
        if not self.stdout.isatty():
            sys.stderr.write("\n")
        else:
            sys.stderr.write("\n")
        prefix = "Dry run, nothing saved: " if report.dry_run else ""
        rate = report.rows / report.seconds if report.seconds else 0
        self.stdout.write(
            f"{prefix}{report.rows} rows in {report.seconds:.1f} s ({rate:,.0f} rows/s): "
            f"created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, rejected {report.rejected}"
            + (
                f"; {report.organizations_created} organizations created"
                if getattr(report, "organizations_created", 0)
                else ""
            )
            + "".join(
                f"; {name.replace('_', ' ')} {value}"
                for name, value in getattr(report, "counters", {}).items()
            )
        )
        for warning in report.warnings:
            self.stdout.write(f"warning: {warning}")
        for reject in report.rejects[:20]:
            self.stdout.write(f"line {reject.line}: {reject.reason}")
        if report.rejected > 20:
            self.stdout.write(f"… and {report.rejected - 20} more rejected rows")
        if report.rejected:
            self.stdout.write(f"Rejected rows with their reasons: {rejects_path}")
