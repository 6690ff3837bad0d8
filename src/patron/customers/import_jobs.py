"""Imports through the wizard and the API: upload, map the columns, check (dry run),
run as a background job, download the rejected rows. The engine is importing.py; this
module keeps the uploaded file and the reports of one import."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.csvfile import CsvFileError, CsvReader, check_encoding
from patron.core.errors import Conflict, NotFound, ValidationFailed
from patron.customers import custom_fields as custom_field_rules
from patron.customers.importing import (
    COLUMNS,
    ImportOptions,
    ImportReport,
    import_customers,
    parse_row,
    suggest_mapping,
)
from patron.customers.models import CustomerImport
from patron.customers.services import COUNTRY_CODES

if TYPE_CHECKING:
    from patron.accounts.models import User

PREVIEW_ROWS = 10
COPY_CHUNK = 1024 * 1024


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(job: CustomerImport) -> Path:
    return imports_dir() / job.stored_as


def rejects_path(job: CustomerImport) -> Path:
    return imports_dir() / f"{job.stored_as}.rejects.csv"


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={field: [message]})


def _read_header(path: Path, encoding: str) -> list[str]:
    """The file's header, once every line is known to decode."""
    try:
        with path.open("rb") as stream:
            check_encoding(stream, encoding)
        with path.open("rb") as stream:
            return CsvReader(stream, encoding=encoding).header
    except LookupError as exc:
        raise _fail("encoding", _("Unknown encoding “%(name)s”.") % {"name": encoding}) from exc
    except CsvFileError as exc:
        raise _fail("file", str(exc)) from exc


def import_upload(
    *, actor: User, stream: BinaryIO, file_name: str, encoding: str = "utf-8"
) -> CustomerImport:
    """Keep an uploaded CSV and read its header; nothing is imported yet."""
    visibility.require_create(actor)
    limit = settings.PATRON_IMPORT_MAX_UPLOAD_MB * 1024 * 1024
    name = Path(file_name or "upload.csv").name[:255]
    stored_as = f"{uuid.uuid4().hex}.csv"
    path = imports_dir() / stored_as
    size = 0
    with path.open("wb") as out:
        while chunk := stream.read(COPY_CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise _fail(
                    "file",
                    _(
                        "The file is larger than %(mb)d MB: import it with "
                        "“patron import customers”."
                    )
                    % {"mb": settings.PATRON_IMPORT_MAX_UPLOAD_MB},
                )
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise _fail("file", _("The file is empty."))
    try:
        header = _read_header(path, encoding)
    except ValidationFailed:
        path.unlink(missing_ok=True)
        raise
    custom_keys = list(custom_field_rules.definitions())
    return CustomerImport.objects.create(
        created_by=actor,
        file_name=name,
        file_size=size,
        stored_as=stored_as,
        header=header,
        mapping=suggest_mapping(header, custom_keys),
        encoding=encoding,
    )


def mapping_targets() -> list[str]:
    return [*COLUMNS, *custom_field_rules.definitions()]


@transaction.atomic
def import_configure(
    *,
    actor: User,
    job: CustomerImport,
    mapping: dict[str, str],
    system: str = "import",
    default_country: str = "",
) -> CustomerImport:
    """Say what each column of the file means, and how to read ids and phone numbers."""
    _require_own(actor, job)
    if job.status in (CustomerImport.Status.QUEUED, CustomerImport.Status.RUNNING):
        raise Conflict(_("This import is running; its settings cannot change now."))
    targets = set(mapping_targets())
    unknown_columns = set(mapping) - set(job.header)
    if unknown_columns:
        raise _fail(
            "mapping",
            _("The file has no column %(names)s.") % {"names": ", ".join(sorted(unknown_columns))},
        )
    used: dict[str, str] = {}
    for column, target in mapping.items():
        if not target:
            continue
        if target not in targets:
            raise _fail(column, _("“%(target)s” is not a field.") % {"target": target})
        if target in used:
            raise _fail(
                column,
                _("Both “%(a)s” and “%(b)s” are mapped to %(target)s.")
                % {"a": used[target], "b": column, "target": target},
            )
        used[target] = column
    if "external_id" not in used and "email" not in used:
        raise _fail("mapping", _("Map a column to external_id or to email."))
    system = (system or "").strip().lower()
    if not system or len(system) > 50:
        raise _fail("system", _("Name the system in 1 to 50 characters, such as erp or shop."))
    default_country = (default_country or "").strip().upper()
    if default_country and default_country not in COUNTRY_CODES:
        raise _fail("default_country", _("Use a two-letter ISO country code, such as AM or MY."))
    job.mapping = {column: mapping.get(column, "") for column in job.header}
    job.system = system
    job.default_country = default_country
    job.check_report = None
    job.status = CustomerImport.Status.UPLOADED
    job.save()
    return job


def _options(job: CustomerImport, *, dry_run: bool) -> ImportOptions:
    return ImportOptions(
        system=job.system,
        dry_run=dry_run,
        encoding=job.encoding,
        mapping=job.mapping,
        default_country=job.default_country,
        source_label=job.file_name,
    )


def import_preview(*, actor: User, job: CustomerImport) -> list[dict[str, Any]]:
    """The first rows as they would be read: values per field, or the reasons to refuse."""
    _require_own(actor, job)
    from patron.customers.importing import _Context, _Rejected

    rows = []
    with stored_path(job).open("rb") as stream:
        reader = CsvReader(stream, encoding=job.encoding)
        ctx = _Context(reader.header, _options(job, dry_run=True), actor)
        for line, row in reader:
            try:
                parsed = parse_row(ctx, line, row)
                rows.append({"line": line, "row": parsed, "reasons": []})
            except _Rejected as exc:
                rows.append({"line": line, "row": None, "reasons": exc.reasons})
            if len(rows) >= PREVIEW_ROWS:
                break
    return rows


@transaction.atomic
def import_start(*, actor: User, job: CustomerImport, dry_run: bool) -> CustomerImport:
    """Queue the check (dry run) or the import itself as a background job."""
    _require_own(actor, job)
    visibility.require_create(actor)
    job = CustomerImport.objects.select_for_update().get(pk=job.pk)
    if job.status in (
        CustomerImport.Status.QUEUED,
        CustomerImport.Status.RUNNING,
        CustomerImport.Status.CHECKING,
    ):
        raise Conflict(_("This import is already running."))
    if job.status == CustomerImport.Status.DONE:
        raise Conflict(_("This file is imported already; upload it again to re-import."))
    job.status = CustomerImport.Status.QUEUED
    job.dry_run = dry_run
    job.report = None
    job.save()
    from patron.customers.tasks import customer_import_run

    job_id = job.pk
    transaction.on_commit(lambda: customer_import_run(job_id))
    return job


def import_run(job_id: int) -> CustomerImport:
    """The job's body: run the import, recording progress and the report."""
    job = CustomerImport.objects.select_related("created_by").get(pk=job_id)
    dry_run = job.dry_run
    job.status = CustomerImport.Status.CHECKING if dry_run else CustomerImport.Status.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])

    def progress(report: ImportReport) -> None:
        CustomerImport.objects.filter(pk=job_id).update(report=report.as_dict())

    try:
        with (
            stored_path(job).open("rb") as stream,
            rejects_path(job).open("w", encoding="utf-8", newline="") as rejects,
        ):
            report = import_customers(
                stream,
                options=_options(job, dry_run=dry_run),
                actor=job.created_by,
                rejects_out=rejects,
                progress=progress,
            )
    except Exception as exc:  # recorded for the user; the worker logs the trace
        job.status = CustomerImport.Status.FAILED
        job.report = {"error": str(exc)[:1000]}
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "report", "finished_at"])
        raise
    job.report = report.as_dict()
    if dry_run:
        job.check_report = job.report
    job.status = (
        CustomerImport.Status.FAILED
        if report.error
        else CustomerImport.Status.CHECKED
        if dry_run
        else CustomerImport.Status.DONE
    )
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "check_report", "status", "finished_at"])
    return job


def _require_own(actor: User, job: CustomerImport) -> None:
    if job.created_by_id != actor.pk and not visibility.sees_everything(actor):
        raise NotFound(_("Not found."))


def import_get(*, viewer: User, import_id: int) -> CustomerImport:
    """An import its creator (or a manager or admin) may see."""
    job = CustomerImport.objects.filter(pk=import_id).first()
    if job is None:
        raise NotFound(_("Not found."))
    _require_own(viewer, job)
    return job


def imports_recent(*, viewer: User, limit: int = 20) -> list[CustomerImport]:
    jobs = CustomerImport.objects.select_related("created_by")
    if not visibility.sees_everything(viewer):
        jobs = jobs.filter(created_by=viewer)
    return list(jobs[:limit])
