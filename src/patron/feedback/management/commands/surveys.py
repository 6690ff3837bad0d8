"""`patron surveys send SURVEY --segment SEGMENT [--dry-run] [--json]`: invite a segment's
customers to a survey by email (consent, cool-down and caps respected; see
docs/surveys.md); `patron surveys list [--json]`: the surveys and their counts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.core.errors import PatronError
from patron.feedback import selectors
from patron.feedback.invitations import REASONS, SendReport, reason_label, send_to_segment


class Command(BaseCommand):
    help = "Surveys: surveys send SURVEY --segment SEGMENT [--dry-run] [--json] | surveys list"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="send|list")
        send = actions.add_parser(
            "send",
            help="invite the customers of a segment to a survey by email",
            description=(
                "Invite every current member of SEGMENT to SURVEY by email. Customers "
                "without consent to surveys by email, without an email address, invited "
                "to this survey within its cool-down, or at their frequency cap are "
                "skipped (and recorded with the reason); those in their quiet hours are "
                "emailed when the hours end. The emails go out with the sending job "
                "(`patron worker`), every minute."
            ),
        )
        send.add_argument("survey", metavar="SURVEY", help="the survey's id or exact name")
        send.add_argument(
            "--segment", required=True, metavar="SEGMENT", help="the segment's id or exact name"
        )
        send.add_argument(
            "--dry-run", action="store_true", help="count what would happen; invite nobody"
        )
        send.add_argument("--json", action="store_true", help="print the report as JSON")
        listing = actions.add_parser("list", help="the surveys, their invitations and responses")
        listing.add_argument("--json", action="store_true", help="print as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "list":
                self._list(options["json"])
            else:
                self._send(options)
        except PatronError as exc:
            raise CommandError(exc.message) from exc

    def _send(self, options: dict[str, Any]) -> None:
        survey = selectors.survey_find(options["survey"])
        segment = selectors.segment_find(options["segment"])
        report = send_to_segment(
            survey=survey, segment=segment, actor=None, dry_run=options["dry_run"]
        )
        if options["json"]:
            body = report.as_dict() | {"survey": survey.name, "segment": segment.name}
            self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(text_report(report, survey.name, segment.name))

    def _list(self, as_json: bool) -> None:
        rows = list(selectors.with_counts(selectors.Survey.objects.order_by("name")))
        if as_json:
            body = [
                {
                    "id": s.pk,
                    "name": s.name,
                    "kind": s.kind,
                    "status": s.status,
                    "trigger": s.trigger,
                    "sent": s.sent_count,
                    "responses": s.response_count,
                }
                for s in rows
            ]
            self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write("No surveys yet.")
            return
        for s in rows:
            self.stdout.write(
                f"{s.pk:>5}  {s.name}  [{s.kind}, {s.status}, {s.trigger}]  "
                f"sent {s.sent_count:,}  responses {s.response_count:,}"
            )


def text_report(report: SendReport, survey: str, segment: str) -> str:
    head = "Dry run: nothing was sent." if report.dry_run else "Invitations created."
    lines = [
        f"{head} Survey “{survey}” to segment “{segment}” ({report.members:,} members).",
        f"  {'would invite' if report.dry_run else 'invited'}: {report.invite:,}",
        f"  delayed by quiet hours: {report.delayed:,}",
        f"  skipped: {report.skipped_total:,}",
    ]
    for code in REASONS:
        if report.skipped[code]:
            lines.append(f"    {reason_label(code)}: {report.skipped[code]:,}")
    if report.sample:
        lines.append("  first customers:")
        for row in report.sample:
            lines.append(f"    #{row['customer_id']} {row['name']}: {row['label']}")
    return "\n".join(lines)
