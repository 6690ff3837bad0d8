"""`POST /interactions/import`: a CSV file of interactions imported at once, through the
engine of `patron import interactions`, answering with the import's report (small
files; the command streams any size)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router
from ninja.files import UploadedFile

from patron.commerce.api_import import (
    ImportReportOut,
    options,
    report_or_error,
    uploaded_stream,
)
from patron.core.api_base import WRITE_ERRORS
from patron.interactions.importing import import_interactions

router = Router(tags=["interaction imports"])


@router.post(
    "/import",
    response={200: ImportReportOut, **WRITE_ERRORS},
    summary="Import interactions from a CSV file",
    description="Multipart upload (`file`): one row per interaction, the columns of "
    "`patron import interactions` (external_id, customer_external_id, occurred_at, "
    "channel, direction, user_email, summary, reason, outcome, body, device, sentiment). "
    "Customers are found by customer_external_id in `system` (`import`); importing a "
    "file again changes nothing. Answers with the report, each rejected row with its "
    "line and reason. `dry_run=true` checks and counts, saving nothing.",
)
def interactions_import(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    system: Form[str] = "import",
    encoding: Form[str] = "utf-8",
) -> Any:
    stream = uploaded_stream(file)
    report = import_interactions(
        stream,
        options=options(system, dry_run, encoding),
        actor=request.user,
    )
    return report_or_error(report)
