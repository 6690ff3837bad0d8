"""`patron import customers`, the import wizard and the import API: one engine.

The file is streamed and written in batches, each in one transaction: a batch is saved
whole or not at all (a crash or Ctrl-C loses at most the batch in flight, which a re-run
then writes). `external_id` (in the system given by the options, `import` by default) is
the idempotency key: a row whose id is known updates that customer, and re-running the
same file changes nothing. A row without an external id is recognised by its email or,
failing that, its phone; a row with none of the three is rejected, since a re-run would
otherwise create it twice.

An empty cell leaves the stored value as it is; contact points and tags in the file are
added to the customer's (nothing is removed). Every rejected row is reported with its line
number and every reason, and can be written to a rejects file that imports again once fixed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from patron.accounts.models import Team, User
from patron.core import visibility
from patron.core.csvfile import CsvFileError, CsvReader, normalize_header
from patron.customers import custom_fields as custom_field_rules
from patron.customers.contact import InvalidContact, normalize_email, normalize_phone
from patron.customers.import_parallel import parsed_rows
from patron.customers.import_writer import BatchWriter
from patron.customers.languages import normalize_language
from patron.customers.models import Customer, Tag
from patron.customers.search import fold
from patron.customers.services import COUNTRY_CODES

if TYPE_CHECKING:
    from patron.customers.models import CustomField

COLUMNS = (
    "external_id",
    "kind",
    "first_name",
    "last_name",
    "organization_name",
    "organization_external_id",
    "title",
    "email",
    "phone",
    "country",
    "city",
    "address",
    "language",
    "owner_email",
    "team",
    "lifecycle_stage",
    "tags",
    "created_at",
    "source",
)
# Other names the same columns go by in common exports.
ALIASES = {
    "id": "external_id",
    "customer_id": "external_id",
    "given_name": "first_name",
    "firstname": "first_name",
    "family_name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "company": "organization_name",
    "organization": "organization_name",
    "company_name": "organization_name",
    "job_title": "title",
    "e_mail": "email",
    "email_address": "email",
    "telephone": "phone",
    "phone_number": "phone",
    "mobile": "phone",
    "owner": "owner_email",
    "stage": "lifecycle_stage",
    "lifecycle": "lifecycle_stage",
    "lead_source": "source",
}
# Columns of a rejects file: it imports again once fixed.
REJECT_COLUMNS = ("import_line", "import_error")
LIMITS = {
    "external_id": 200,
    "organization_external_id": 200,
    "first_name": 120,
    "last_name": 120,
    "organization_name": 200,
    "title": 120,
    "city": 100,
    "address": 500,
    "source": 100,
}
LIFECYCLE_STAGES = tuple(Customer.Lifecycle.values)
TAG_SEPARATORS = ("|", ";", ",")
MAX_SAMPLE_REJECTS = 100


@dataclass
class ImportOptions:
    system: str = "import"
    dry_run: bool = False
    batch_size: int = 5000
    encoding: str = "utf-8"
    # Header of the file -> one of COLUMNS or a custom field key ("" ignores the column).
    mapping: dict[str, str] | None = None
    default_country: str = ""
    source_label: str = ""
    # Processes that check rows while this one writes (1: check here, between batches).
    workers: int = 1


@dataclass
class Reject:
    line: int
    reason: str
    row: list[str]


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    organizations_created: int = 0
    warnings: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)  # the first MAX_SAMPLE_REJECTS
    error: str = ""
    error_line: int | None = None
    dry_run: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "organizations_created": self.organizations_created,
            "warnings": self.warnings,
            "rejects": [{"line": r.line, "reason": r.reason} for r in self.rejects],
            "error": self.error,
            "error_line": self.error_line,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 3),
        }


@dataclass(slots=True)
class ParsedRow:
    line: int
    raw: list[str]
    external_id: str
    kind: str
    given_name: str
    family_name: str
    organization_name: str
    organization_external_id: str
    title: str
    email: str
    phone: str
    phone_national: str
    country: str
    city: str
    address: str
    language: str
    owner_id: int | None
    team_id: int | None
    lifecycle_stage: str
    tags: list[str]
    created_at: dt.datetime | None
    custom: dict[str, Any]
    source: str = ""
    display_name: str = ""
    customer_id: int | None = None


class _Rejected(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def suggest_mapping(header: Iterable[str], custom_keys: Iterable[str] = ()) -> dict[str, str]:
    """What each header of a file most likely means ("" for nothing we know)."""
    known = set(COLUMNS) | set(custom_keys)
    mapping = {}
    for name in header:
        key = normalize_header(name)
        key = ALIASES.get(key, key)
        mapping[name] = key if key in known else ""
    return mapping


class _Context:
    """What every row of one import shares: the column positions, users, teams, fields."""

    def __init__(self, header: list[str], options: ImportOptions, actor: User | None) -> None:
        self.options = options
        self.actor = actor
        self.custom_fields: dict[str, CustomField] = custom_field_rules.definitions()
        mapping = options.mapping or suggest_mapping(header, self.custom_fields)
        self.positions: dict[str, int] = {}
        self.custom_positions: dict[str, int] = {}
        self.unknown: list[str] = []
        for index, name in enumerate(header):
            target = mapping.get(name, "")
            if normalize_header(name) in REJECT_COLUMNS:
                continue
            if target in COLUMNS and target not in self.positions:
                self.positions[target] = index
            elif target in self.custom_fields:
                self.custom_positions[target] = index
            elif name.strip() and options.mapping is None:
                self.unknown.append(name.strip())
        self.users = {
            u.email.lower(): u
            for u in User.objects.filter(is_active=True).prefetch_related("teams")
        }
        self.first_team = {
            u.pk: min(u.teams.all(), key=lambda t: t.name).pk
            for u in self.users.values()
            if u.teams.all()
        }
        self.teams = {fold(t.name): t.pk for t in Team.objects.all()}
        self.actor_team: int | None = None
        self.sees_everything = actor is None or visibility.sees_everything(actor)
        if actor is not None:
            team = actor.teams.order_by("name").first()
            self.actor_team = team.pk if team else None
            self.actor_team_ids = set(actor.teams.values_list("pk", flat=True))
        self.seen_ids: dict[str, int] = {}
        self.seen_contacts: dict[str, int] = {}
        self.tag_ids: dict[str, int] = {fold(t.name): t.pk for t in Tag.objects.all()}
        self.now = timezone.now()
        self.actor_label = (actor.email if actor else "import") + (
            f" ({options.source_label})" if options.source_label else ""
        )

    def cell(self, row: list[str], column: str) -> str:
        index = self.positions.get(column)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()


def _parse_created_at(value: str, now: dt.datetime) -> dt.datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError
        moment = dt.datetime(day.year, day.month, day.day)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    if moment > now + dt.timedelta(days=1):
        raise OverflowError
    return moment


def _split_tags(value: str) -> list[str]:
    for separator in TAG_SEPARATORS:
        if separator in value:
            return [t.strip() for t in value.split(separator) if t.strip()]
    return [value.strip()] if value.strip() else []


def parse_row(ctx: _Context, line: int, row: list[str]) -> ParsedRow:
    """One row checked and normalised, or _Rejected with every reason."""
    cell = ctx.cell
    reasons: list[str] = []
    values = {column: cell(row, column) for column in ctx.positions}
    for column, limit in LIMITS.items():
        text = values.get(column, "")
        if len(text) > limit:
            reasons.append(
                _("%(column)s: at most %(limit)d characters (this one has %(n)d)")
                % {"column": column, "limit": limit, "n": len(text)}
            )
            values[column] = ""
    get = values.get
    given, family, org_name = (
        get("first_name", ""),
        get("last_name", ""),
        get("organization_name", ""),
    )
    kind = get("kind", "").lower()
    if not kind:
        kind = "person" if (given or family or not org_name) else "organization"
    if kind not in ("person", "organization"):
        reasons.append(_("kind: “%(value)s” is neither person nor organization") % {"value": kind})
    elif kind == "person" and not (given or family):
        reasons.append(_("first_name/last_name: a person needs a first or a last name"))
    elif kind == "organization" and not org_name:
        reasons.append(_("organization_name: an organization needs a name"))
    country = get("country", "").upper()
    if country and country not in COUNTRY_CODES:
        reasons.append(
            _("country: “%(value)s” is not a two-letter ISO code such as GB or AM")
            % {"value": country}
        )
        country = ""
    email = get("email", "")
    if email:
        try:
            email = normalize_email(email)
        except InvalidContact as exc:
            reasons.append(f"email: {exc}")
    phone = national = ""
    if get("phone"):
        try:
            number = normalize_phone(get("phone"), country or ctx.options.default_country)
            phone, national = number.e164, number.national_digits
        except InvalidContact as exc:
            reasons.append(f"phone: {exc}")
    language = get("language", "")
    if language:
        language = normalize_language(language) or ""
        if not language:
            reasons.append(
                _("language: “%(value)s” is not a language code such as en or pt-BR")
                % {"value": get("language")}
            )
    owner_id = None
    if get("owner_email"):
        owner = ctx.users.get(get("owner_email").lower())
        if owner is None:
            reasons.append(
                _("owner_email: no active user “%(value)s”") % {"value": get("owner_email")}
            )
        else:
            owner_id = owner.pk
    team_id = None
    if get("team"):
        team_id = ctx.teams.get(fold(get("team")))
        if team_id is None:
            reasons.append(_("team: no team “%(value)s”") % {"value": get("team")})
    stage = get("lifecycle_stage", "").lower()
    if stage and stage not in LIFECYCLE_STAGES:
        reasons.append(
            _("lifecycle_stage: “%(value)s” is not one of %(choices)s")
            % {"value": stage, "choices": ", ".join(LIFECYCLE_STAGES)}
        )
    created_at = None
    if get("created_at"):
        try:
            created_at = _parse_created_at(get("created_at"), ctx.now)
        except OverflowError:
            reasons.append(_("created_at: the date is in the future"))
        except ValueError:
            reasons.append(
                _("created_at: “%(value)s” is not a date such as 2024-03-31")
                % {"value": get("created_at")}
            )
    tags = _split_tags(get("tags", ""))
    if any(len(t) > 60 for t in tags):
        reasons.append(_("tags: a tag has at most 60 characters"))
    custom = {}
    for key, index in ctx.custom_positions.items():
        text = row[index].strip() if index < len(row) else ""
        if not text:
            continue
        try:
            custom[key] = custom_field_rules.clean_value(ctx.custom_fields[key], text)
        except ValueError as exc:
            reasons.append(f"{key}: {exc}")
    external_id = get("external_id", "")
    if not reasons and not (external_id or email or phone):
        reasons.append(
            _(
                "external_id: give an external_id, email or phone, so that importing the "
                "file again updates this customer instead of adding a second one"
            )
        )
    if reasons:
        raise _Rejected(reasons)
    parsed = ParsedRow(
        line=line,
        raw=row,
        external_id=external_id,
        kind=kind,
        given_name=given if kind == "person" else "",
        family_name=family if kind == "person" else "",
        organization_name=org_name,
        organization_external_id=get("organization_external_id", ""),
        title=get("title", ""),
        email=email,
        phone=phone,
        phone_national=national,
        country=country,
        city=get("city", ""),
        address=" ".join(get("address", "").split()),
        language=language,
        owner_id=owner_id,
        team_id=team_id,
        lifecycle_stage=stage,
        tags=tags,
        created_at=created_at,
        custom=custom,
        source=get("source", ""),
    )
    parsed.display_name = (
        org_name if kind == "organization" else " ".join(p for p in (given, family) if p)
    )
    return parsed


def _claim_keys(ctx: _Context, parsed: ParsedRow) -> None:
    """A second row with the same external id (or, without one, the same email/phone) in
    one file is refused: which of the two is right is for a person to say."""
    if parsed.external_id:
        first = ctx.seen_ids.setdefault(parsed.external_id, parsed.line)
        if first != parsed.line:
            raise _Rejected(
                [
                    _("external_id: “%(value)s” already appeared on line %(line)d")
                    % {"value": parsed.external_id, "line": first}
                ]
            )
        return
    key = f"e:{parsed.email}" if parsed.email else f"p:{parsed.phone}"
    first = ctx.seen_contacts.setdefault(key, parsed.line)
    if first != parsed.line:
        raise _Rejected(
            [
                _("%(column)s: “%(value)s” already appeared on line %(line)d (without an id)")
                % {
                    "column": "email" if parsed.email else "phone",
                    "value": parsed.email or parsed.phone,
                    "line": first,
                }
            ]
        )


def import_customers(
    stream: BinaryIO,
    *,
    options: ImportOptions | None = None,
    actor: User | None = None,
    rejects_out: IO[str] | None = None,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import customers from a CSV byte stream; see the module's documentation."""
    import csv

    options = options or ImportOptions()
    report = ImportReport(dry_run=options.dry_run)
    started = time.perf_counter()
    if actor is not None:
        visibility.require_create(actor)
    try:
        reader = CsvReader(stream, encoding=options.encoding)
    except CsvFileError as exc:
        report.error, report.error_line = str(exc), exc.line
        return report
    ctx = _Context(reader.header, options, actor)
    _tune_connection()
    if ctx.unknown:
        report.warnings.append(
            _("Ignored columns (no such field or custom field): %(columns)s")
            % {"columns": ", ".join(ctx.unknown)}
        )
    if "external_id" not in ctx.positions and "email" not in ctx.positions:
        report.error = _(
            "The file has neither an external_id nor an email column: there is nothing to "
            "recognise customers by. Header: %(header)s"
        ) % {"header": ", ".join(reader.header)[:300]}
        report.error_line = 1
        return report
    rejects_writer = csv.writer(rejects_out) if rejects_out is not None else None
    if rejects_writer is not None:
        rejects_writer.writerow([*REJECT_COLUMNS, *reader.header])

    def reject(line: int, reason: str, row: list[str]) -> None:
        report.rejected += 1
        if len(report.rejects) < MAX_SAMPLE_REJECTS:
            report.rejects.append(Reject(line, reason, row))
        if rejects_writer is not None:
            rejects_writer.writerow([line, reason, *row])

    writer = BatchWriter(ctx, report, reject)
    batch: list[ParsedRow] = []
    try:
        for parsed in parsed_rows(reader, ctx, workers=options.workers):
            report.rows += 1
            if isinstance(parsed, tuple):
                reject(*parsed)
                continue
            try:
                _claim_keys(ctx, parsed)
            except _Rejected as exc:
                reject(parsed.line, str(exc), parsed.raw)
                continue
            batch.append(parsed)
            if len(batch) >= options.batch_size:
                writer.write(batch)
                batch = []
                if progress is not None:
                    progress(report)
        if batch:
            writer.write(batch)
    except CsvFileError as exc:
        report.error, report.error_line = str(exc), exc.line
    if report.created + report.updated >= ANALYZE_AFTER_ROWS and not options.dry_run:
        _analyze_tables()
    report.seconds = time.perf_counter() - started
    if progress is not None:
        progress(report)
    return report


# After this many rows written, PostgreSQL's planner statistics are refreshed at once
# instead of whenever autovacuum gets to it: with the counts of an empty table it plans
# the next searches as if the table were still empty.
ANALYZE_AFTER_ROWS = 10_000


def _analyze_tables() -> None:
    from django.db import connection

    from patron.core.models import AuditEntry
    from patron.customers.models import ContactPoint, Customer, ExternalIdentifier, SearchTerm

    if connection.vendor != "postgresql":
        return  # SQLite chooses these plans from its indexes, without statistics
    tables = [m._meta.db_table for m in (Customer, ContactPoint, ExternalIdentifier, SearchTerm)]
    tables += [Customer.tags.through._meta.db_table, AuditEntry._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _tune_connection() -> None:
    """SQLite's default page cache (2 MB) thrashes once the indexes outgrow it; an import
    touches every index of several tables, so it gets a larger one for this connection."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")  # KiB: 256 MB at most
            # No memory map for the import: the pages it maps would count against its
            # memory (1.4 GB at a million customers), and the page cache serves it as well.
            cursor.execute("PRAGMA mmap_size = 0")


def run_in_batch_transaction(fn: Callable[[], None], *, dry_run: bool) -> None:
    """Run one batch's writes atomically; a dry run rolls them back after counting."""

    class _DryRun(Exception):
        pass

    try:
        with transaction.atomic():
            fn()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
