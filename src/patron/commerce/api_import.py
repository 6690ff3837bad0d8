"""`POST /orders/import`: a CSV file of order lines imported at once, through the engine
of `patron import orders`, answering with the import's report. For small files (up to
MAX_UPLOAD_BYTES); larger ones belong to the command, which streams any size."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from patron.commerce.import_engine import ImportOptions, ImportReport
from patron.commerce.importing import import_orders
from patron.core.api_base import WRITE_ERRORS
from patron.core.errors import ValidationFailed

router = Router(tags=["order imports"])

# About 150,000 lines: a few seconds, within one request.
MAX_UPLOAD_BYTES = 20 * 2**20


class RejectOut(Schema):
    line: int = Field(description="line of the file the row starts on")
    reason: str = Field(description="every reason, each naming its column")


class ImportReportOut(Schema):
    rows: int = Field(description="rows read, rejected ones included")
    created: int
    updated: int
    unchanged: int
    rejected: int = Field(description="rows rejected")
    rejects: list[RejectOut] = Field(description="the first 100 rejected rows")
    warnings: list[str]
    dry_run: bool
    seconds: float


class OrderImportOut(ImportReportOut):
    lines: int = Field(0, description="order lines written")
    products_created: int = 0


def uploaded_stream(file: UploadedFile) -> Any:
    """The upload as a binary stream read by lines ending in LF (as `open` reads them),
    after checking its size."""
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        message = _(
            "This file is too large to import in one request (at most %(limit)d MB): "
            "import it with the command line instead."
        ) % {"limit": MAX_UPLOAD_BYTES // 2**20}
        raise ValidationFailed(message, details={"file": [message]})
    stream = file.file
    stream.seek(0)
    return stream


def report_or_error(report: ImportReport) -> dict[str, Any]:
    """The report, or 422 when the file itself could not be read (nothing was saved)."""
    if report.error:
        details: dict[str, Any] = {"file": [report.error]}
        if report.error_line is not None:
            details["line"] = report.error_line
        raise ValidationFailed(report.error, details=details)
    return report.as_dict()


def options(system: str, dry_run: bool, encoding: str) -> ImportOptions:
    system = system.strip().lower() or "import"
    if len(system) > 50:
        raise ValidationFailed(_("Unknown system."), details={"system": [system[:50]]})
    if len(encoding) > 20:
        raise ValidationFailed(_("Unknown encoding."), details={"encoding": [encoding[:20]]})
    return ImportOptions(system=system, dry_run=dry_run, encoding=encoding, workers=1)


@router.post(
    "/import",
    response={200: OrderImportOut, **WRITE_ERRORS},
    summary="Import order lines from a CSV file",
    description="Multipart upload (`file`): one row per order line, the columns of "
    "`patron import orders` (external_id, customer_external_id, placed_at, currency, "
    "channel, status, sku, product_name, category, quantity, unit_price, unit_cost). "
    "Customers are found by customer_external_id in `system` (`import`). Rows of one "
    "order share its external_id; importing a file again changes nothing. Answers with "
    "the report: counts of orders, and each rejected row with its line and reason. "
    "`dry_run=true` checks and counts, saving nothing.",
)
def orders_import(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    system: Form[str] = "import",
    encoding: Form[str] = "utf-8",
) -> Any:
    stream = uploaded_stream(file)
    report = import_orders(
        stream,
        options=options(system, dry_run, encoding),
        actor=request.user,
    )
    return report_or_error(report)
