"""Imports and exports of customers over the API: the same engine as the CLI and the
wizard. An upload is checked (header, encoding) at once, then imported in the
background; poll the import for its counts, and fetch the rejected rows as CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, RecordId
from patron.core.errors import NotFound, ValidationFailed
from patron.customers import import_jobs, selectors
from patron.customers.api_common import text
from patron.customers.exporting import customers_csv, people_vcards

router = Router(tags=["customer imports and exports"])


class ImportOut(Schema):
    id: int
    file_name: str
    file_size: int
    header: list[str]
    mapping: dict[str, str]
    system: str
    default_country: str
    status: str
    dry_run: bool
    report: dict[str, Any] | None
    check_report: dict[str, Any] | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ImportSettingsIn(InputSchema):
    mapping: dict[text(200), text(50)] = Field(
        ...,
        description="Column of the file → field (one of the CSV columns or a custom "
        "field key; empty ignores the column).",
    )
    system: text(50, 1) = "import"
    default_country: text(2) = ""


class ImportStartIn(InputSchema):
    dry_run: bool = Field(False, description="Check and count only; nothing is saved.")


class ExportFilters(InputSchema):
    format: Literal["csv", "vcard"] = "csv"
    q: text(200) = ""
    kind: Literal["person", "organization"] | None = None
    lifecycle_stage: Literal["prospect", "customer", "lost", "partner"] | None = None
    owner_id: RecordId | None = None
    team_id: RecordId | None = None
    tag: text(60) = ""
    country: text(2) = ""
    stale: bool = False


@router.post(
    "/imports",
    response={201: ImportOut, **WRITE_ERRORS},
    summary="Upload a CSV file to import",
    description="Multipart upload (`file`). Answers with the columns found and a suggested "
    "mapping; start it with POST /imports/{id}/start. With `start=true` the import starts "
    "at once with the suggested mapping (`dry_run=true` to check only).",
)
def import_create(
    request: HttpRequest,
    file: File[UploadedFile],
    encoding: Form[str] = "utf-8",
    system: Form[str] = "import",
    start: Form[bool] = False,
    dry_run: Form[bool] = False,
) -> Any:
    if len(encoding) > 20:
        raise ValidationFailed(_("Unknown encoding."), details={"encoding": [encoding[:20]]})
    job = import_jobs.import_upload(
        actor=request.user, stream=file, file_name=file.name or "upload.csv", encoding=encoding
    )
    if system != "import" or start:
        job = import_jobs.import_configure(
            actor=request.user, job=job, mapping=job.mapping, system=system
        )
    if start:
        import_jobs.import_start(actor=request.user, job=job, dry_run=dry_run)
        job.refresh_from_db()
    return Status(201, job)


@router.get("/imports/{import_id}", response={200: ImportOut, **ERRORS}, summary="An import")
def import_get(request: HttpRequest, import_id: RecordId) -> Any:
    return import_jobs.import_get(viewer=request.user, import_id=import_id)


@router.put(
    "/imports/{import_id}/settings",
    response={200: ImportOut, **WRITE_ERRORS},
    summary="Set an import's column mapping and options",
)
def import_settings(request: HttpRequest, import_id: RecordId, payload: ImportSettingsIn) -> Any:
    job = import_jobs.import_get(viewer=request.user, import_id=import_id)
    return import_jobs.import_configure(
        actor=request.user,
        job=job,
        mapping=payload.mapping,
        system=payload.system,
        default_country=payload.default_country,
    )


@router.post(
    "/imports/{import_id}/start",
    response={202: ImportOut, **WRITE_ERRORS},
    summary="Run an import (or its dry run) in the background",
)
def import_start(request: HttpRequest, import_id: RecordId, payload: ImportStartIn) -> Any:
    job = import_jobs.import_get(viewer=request.user, import_id=import_id)
    import_jobs.import_start(actor=request.user, job=job, dry_run=payload.dry_run)
    job.refresh_from_db()
    return Status(202, job)


@router.get(
    "/imports/{import_id}/rejects",
    response={200: None, **ERRORS},
    summary="The rejected rows of an import, as CSV with line numbers and reasons",
)
def import_rejects(request: HttpRequest, import_id: RecordId) -> Any:
    job = import_jobs.import_get(viewer=request.user, import_id=import_id)
    path = import_jobs.rejects_path(job)
    if not path.exists():
        raise NotFound(_("This import has not run yet."))
    return FileResponse(path.open("rb"), content_type="text/csv; charset=utf-8")


@router.get(
    "/export",
    response={200: None, **ERRORS},
    summary="Export customers as CSV (the import's columns) or vCard",
    description="The same filters as the customer list. Streams, whatever the size.",
)
def export(request: HttpRequest, filters: Query[ExportFilters]) -> Any:
    customers = selectors.customer_list(
        viewer=request.user,
        query=filters.q,
        kind=filters.kind or "",
        lifecycle_stage=filters.lifecycle_stage or "",
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        tag=filters.tag,
        country=filters.country,
        stale=filters.stale,
        sort="created",
    )
    if filters.format == "vcard":
        response = StreamingHttpResponse(people_vcards(customers), content_type="text/vcard")
        response["Content-Disposition"] = 'attachment; filename="customers.vcf"'
        return response
    response = StreamingHttpResponse(customers_csv(customers), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="customers.csv"'
    return response
