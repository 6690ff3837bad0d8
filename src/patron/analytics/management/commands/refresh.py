"""`patron refresh`: every customer's figures, tiers, scores, stages, segment memberships
and signals, now (or as of a date), with a progress bar; `--json` prints the timings."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.analytics.refresh import STEPS, refresh
from patron.core.errors import Conflict

BAR = 28


class Command(BaseCommand):
    help = "Refresh customer metrics, tiers, RFM, CLV, stages, segments and signals."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            default="",
            help="compute as of this date or moment (ISO 8601, UTC); default: now",
        )
        parser.add_argument("--json", action="store_true", help="print timings per step as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _moment(options["as_of"]) if options["as_of"] else None
        started = time.perf_counter()
        show = not options["json"] and sys.stderr.isatty()

        def progress(step: str, index: int, total: int) -> None:
            done = int(BAR * index / total)
            line = f"\r[{'#' * done}{'.' * (BAR - done)}] {index}/{total} {step:<10}"
            if show:
                sys.stderr.write(line)
                sys.stderr.flush()
            elif not options["json"]:
                self.stderr.write(f"{index}/{total} {step}")

        try:
            run = refresh(as_of=as_of, trigger="cli", progress=progress)
        except Conflict as exc:
            raise CommandError(str(exc)) from exc
        if show:
            sys.stderr.write("\n")
        total = round(time.perf_counter() - started, 3)
        if options["json"]:
            self.stdout.write(json.dumps(_summary(run, total), indent=2, default=str))
            return
        stats = run.stats
        self.stdout.write(
            f"Refreshed {stats.get('customers', 0):,} customers "
            f"({stats.get('buyers', 0):,} buyers) as of {run.as_of:%Y-%m-%d %H:%M} UTC "
            f"in {total:.1f} s."
        )
        for step in STEPS:
            self.stdout.write(f"  {step:<10} {run.steps.get(step, 0):8.2f} s")
        raised = sum(k["raised"] for k in stats.get("signals", {}).get("kinds", {}).values())
        self.stdout.write(
            f"Signals raised: {raised:,}; tasks created: "
            f"{stats.get('signals', {}).get('tasks', 0):,}."
        )


def _moment(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of: “{text}” is not a date (YYYY-MM-DD) or ISO moment") from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _summary(run: Any, total: float) -> dict[str, Any]:
    stats = run.stats
    return {
        "run": run.pk,
        "as_of": run.as_of.isoformat(),
        "seconds": total,
        "steps": run.steps,
        "customers": stats.get("customers"),
        "buyers": stats.get("buyers"),
        "tiers": stats.get("tiers"),
        "abc": stats.get("abc"),
        "rfm_segments": stats.get("rfm_segments"),
        "stages": stats.get("stages"),
        "clv": stats.get("clv"),
        "segments": stats.get("segments"),
        "signals": stats.get("signals"),
    }
