"""The import wizard (upload → map columns → preview and check → import → rejects) and
the export downloads. Thin: import_jobs.py and exporting.py do the work."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from patron.core import visibility
from patron.core.errors import PatronError
from patron.core.forms import StyledForm, apply_errors
from patron.customers import import_jobs, selectors
from patron.customers.exporting import customers_csv, people_vcards
from patron.customers.forms import CustomerFilterForm
from patron.customers.importing import COLUMNS
from patron.customers.models import CustomerImport

ENCODINGS = [
    ("utf-8", "UTF-8"),
    ("cp1252", "Windows-1252 (Western Europe)"),
    ("latin-1", "ISO-8859-1"),
    ("cp1256", "Windows-1256 (Arabic)"),
    ("cp1255", "Windows-1255 (Hebrew)"),
    ("utf-16", "UTF-16"),
]


class UploadForm(StyledForm):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8, comma or semicolon separated, with a header row. Columns: external_id, "
            "kind, first_name, last_name, organization_name, email, phone, country, …"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    encoding = forms.ChoiceField(label=gettext_lazy("Encoding"), choices=ENCODINGS)


class OptionsForm(StyledForm):
    system = forms.CharField(
        label=gettext_lazy("System of the external ids"),
        max_length=50,
        initial="import",
        help_text=gettext_lazy("Where the ids come from, such as erp or shop."),
    )
    default_country = forms.CharField(
        label=gettext_lazy("Country for local phone numbers"),
        max_length=2,
        required=False,
        help_text=gettext_lazy("Two-letter code, used when a row has no country."),
    )


def _targets() -> list[tuple[str, str]]:
    choices = [("", _("— ignore —"))]
    choices += [(c, c) for c in COLUMNS]
    choices += [(f.key, f"{f.label} ({f.key})") for f in selectors.custom_fields()]
    return choices


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    visibility.require_create(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_jobs.import_upload(
                actor=request.user,
                stream=upload,
                file_name=upload.name,
                encoding=form.cleaned_data["encoding"],
            )
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            return redirect("customers:import_mapping", import_id=job.pk)
    context = {"form": form, "imports": import_jobs.imports_recent(viewer=request.user)}
    return render(request, "customers/import_upload.html", context)


@login_required
def import_mapping(request: HttpRequest, import_id: int) -> HttpResponse:
    job = import_jobs.import_get(viewer=request.user, import_id=import_id)
    options = OptionsForm(
        request.POST or None,
        initial={"system": job.system, "default_country": job.default_country},
    )
    targets = _targets()
    chosen = {
        column: request.POST.get(f"map-{index}", "") if request.method == "POST" else target
        for index, (column, target) in enumerate((c, job.mapping.get(c, "")) for c in job.header)
    }
    error = ""
    if request.method == "POST" and options.is_valid():
        try:
            import_jobs.import_configure(
                actor=request.user,
                job=job,
                mapping=chosen,
                system=options.cleaned_data["system"],
                default_country=options.cleaned_data["default_country"],
            )
        except PatronError as exc:
            error = exc.message
            apply_errors(
                options, {k: v for k, v in exc.details.items() if k in options.fields}, exc.message
            )
        else:
            return redirect("customers:import_detail", import_id=job.pk)
    columns = [
        {"index": index, "name": column, "target": chosen.get(column, "")}
        for index, column in enumerate(job.header)
    ]
    context = {
        "job": job,
        "options": options,
        "columns": columns,
        "targets": targets,
        "error": error,
        "sample": _sample(request, job),
    }
    return render(request, "customers/import_mapping.html", context)


def _sample(request: HttpRequest, job: CustomerImport) -> list[list[str]]:
    """The first rows of the file as they are, under the header."""
    from patron.core.csvfile import CsvFileError, CsvReader

    rows = []
    try:
        with import_jobs.stored_path(job).open("rb") as stream:
            for _line, row in CsvReader(stream, encoding=job.encoding):
                rows.append([cell[:80] for cell in row])
                if len(rows) >= 3:
                    break
    except (CsvFileError, OSError):
        pass
    return rows


@login_required
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    job = import_jobs.import_get(viewer=request.user, import_id=import_id)
    running = job.status in (
        CustomerImport.Status.QUEUED,
        CustomerImport.Status.CHECKING,
        CustomerImport.Status.RUNNING,
    )
    context = {
        "job": job,
        "running": running,
        "report": job.report or {},
        "check": job.check_report,
        "mapped": [(c, t) for c, t in job.mapping.items() if t],
    }
    if request.htmx and request.GET.get("status"):
        return render(request, "customers/partials/import_status.html", context)
    if job.status in (CustomerImport.Status.UPLOADED, CustomerImport.Status.CHECKED):
        try:
            context["preview"] = import_jobs.import_preview(actor=request.user, job=job)
        except PatronError as exc:
            context["preview_error"] = exc.message
    return render(request, "customers/import_detail.html", context)


@require_POST
@login_required
def import_start(request: HttpRequest, import_id: int) -> HttpResponse:
    job = import_jobs.import_get(viewer=request.user, import_id=import_id)
    dry_run = request.POST.get("dry_run") == "1"
    try:
        import_jobs.import_start(actor=request.user, job=job, dry_run=dry_run)
    except PatronError as exc:
        messages.error(request, exc.message)
    return redirect("customers:import_detail", import_id=job.pk)


@login_required
def import_rejects(request: HttpRequest, import_id: int) -> HttpResponse:
    job = import_jobs.import_get(viewer=request.user, import_id=import_id)
    path = import_jobs.rejects_path(job)
    if not path.exists():
        messages.info(request, _("This import has no rejected rows to download."))
        return redirect("customers:import_detail", import_id=job.pk)
    name = f"{job.file_name.rsplit('.', 1)[0]}-rejected.csv"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type="text/csv; charset=utf-8"
    )


def _filtered(request: HttpRequest):
    filters = CustomerFilterForm(request.GET or None, tags=selectors.tag_names())
    filters.is_valid()
    return selectors.customer_list(viewer=request.user, **filters.selectors_arguments())


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%d-%H%M")


@login_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """The current filtered list, in the import's own columns."""
    response = StreamingHttpResponse(
        customers_csv(_filtered(request)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="customers-{_stamp()}.csv"'
    return response


@login_required
def export_vcard(request: HttpRequest) -> HttpResponse:
    """The people of the current filtered list as vCards."""
    response = StreamingHttpResponse(
        people_vcards(_filtered(request)), content_type="text/vcard; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="customers-{_stamp()}.vcf"'
    return response
