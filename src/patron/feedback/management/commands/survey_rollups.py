"""`patron manage survey_rollups [--survey ID]`: recompute the survey results' daily
roll-ups from the responses (after a bulk import or a change made outside the
services), set-based, in one transaction."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from patron.feedback.models import Survey
from patron.feedback.results import rollup_rebuild


class Command(BaseCommand):
    help = "Recompute the survey results' roll-ups from the responses (all surveys or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--survey", type=int, default=None, help="only this survey id")

    def handle(self, *args: Any, **options: Any) -> None:
        survey = None
        if options["survey"] is not None:
            survey = Survey.objects.filter(pk=options["survey"]).first()
            if survey is None:
                raise CommandError(f"No survey with id {options['survey']}.")
        start = time.perf_counter()
        with transaction.atomic():
            rows = rollup_rebuild(survey=survey)
        seconds = time.perf_counter() - start
        self.stdout.write(f"{rows} roll-up rows written in {seconds:.1f} s.")
