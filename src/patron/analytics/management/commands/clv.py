"""`patron clv fit [--calibration-end DATE] [--holdout-end DATE] [--json]`: fit the CLV
models (BG/NBD and Gamma-Gamma, time in weeks) on the orders in the database, and with a
holdout end, measure their prediction of the holdout's repeat purchases."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from patron.analytics.clv_fit import ClvFit, ClvFitError, fit_and_evaluate


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not “{text}”") from None


class Command(BaseCommand):
    help = "CLV models: clv fit [--calibration-end DATE] [--holdout-end DATE] [--json]"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="fit")
        fit = actions.add_parser(
            "fit",
            help="fit BG/NBD and Gamma-Gamma on the orders; with --holdout-end, measure them",
            description=(
                "Fit BG/NBD and Gamma-Gamma (time in weeks; a purchase is a customer's order"
                " day, UTC) on the customers whose first order was placed before"
                " --calibration-end, on their orders before it. Cancelled and returned"
                " orders are left out. With --holdout-end, compare the repeat purchases"
                " predicted from --calibration-end up to --holdout-end with the actual"
                " ones, beside the calibration pace carried forward and zero. Both ends"
                " are exclusive: CDNOW's 39 + 39 weeks are --calibration-end 1997-10-01"
                " --holdout-end 1998-07-01."
            ),
        )
        fit.add_argument(
            "--calibration-end",
            type=iso_date,
            default=None,
            metavar="DATE",
            help="orders placed before this day calibrate (default: every order up to today)",
        )
        fit.add_argument(
            "--holdout-end",
            type=iso_date,
            default=None,
            metavar="DATE",
            help="orders from the calibration end up to this day are the holdout",
        )
        fit.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        calibration_end = options["calibration_end"] or (
            timezone.now().astimezone(dt.UTC).date() + dt.timedelta(days=1)
        )
        try:
            result = fit_and_evaluate(
                calibration_end=calibration_end, holdout_end=options["holdout_end"]
            )
        except ClvFitError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self.stdout.write(report(result))


def report(result: ClvFit) -> str:
    b, g = result.bgnbd, result.gamma_gamma
    lines = [
        f"CLV fit on {result.customers:,} customers with a first order before"
        f" {result.calibration_end.isoformat()} ({result.repeat_customers:,} with repeat"
        f" purchases, {result.calibration_repeat_purchases:,} repeat purchases); time in weeks",
        f"BG/NBD       r={b.r:.4f} alpha={b.alpha:.4f} a={b.a:.4f} b={b.b:.4f}"
        f"  log-likelihood {b.log_likelihood:,.2f}",
        f"Gamma-Gamma  p={g.p:.4f} q={g.q:.4f} v={g.v:.4f}"
        f"  log-likelihood {g.log_likelihood:,.2f}"
        f"  ({result.gamma_gamma_customers:,} customers; mean spend {g.population_mean:,.2f})",
        f"time: summary {result.summary_seconds:.3f} s, fit {result.fit_seconds:.3f} s"
        f" (BG/NBD {result.bgnbd_seconds:.3f} s, Gamma-Gamma {result.gamma_gamma_seconds:.3f} s)",
    ]
    holdout = result.holdout
    if holdout is not None and result.holdout_end is not None:
        lines += [
            f"holdout {result.calibration_end.isoformat()} to {result.holdout_end.isoformat()}"
            f" ({holdout.weeks:g} weeks), repeat purchases per customer:",
            f"  {'':<8}{'total':>12}  {'mean abs. error':>15}",
            f"  {'actual':<8}{holdout.actual_total:>12,}",
        ]
        for name, prediction in (
            ("BG/NBD", holdout.bgnbd),
            ("naive", holdout.naive),
            ("zero", holdout.zero),
        ):
            lines.append(
                f"  {name:<8}{prediction.total:>12,.1f}  {prediction.mean_absolute_error:>15.4f}"
            )
    return "\n".join(lines)
