"""The streaming engine under `patron import orders` and `patron import interactions`.

One file is read once, in constant memory, and written in batches, each in one
transaction (saved whole or not at all). The work is split in two halves with plain
lists between them:

* a **parser** (one per kind) turns rows into a batch of columns: values checked and
  ready for the database (dates as the database's text, decimals as numbers), and the
  rejected rows with their reasons;
* a **writer** (one per kind) writes a batch with a handful of set-based statements:
  one `IN` query per lookup (customers, stored records, products), `executemany` on
  SQLite, COPY on PostgreSQL, the columns handed over with zip and map, without a
  Python step per row where nothing is refused.

With `workers >= 2` (the command's default on a multi-core machine) a forked child
process reads and parses the file while this process writes: the child never touches
the database; it sends each batch pickled through a pipe, whose small buffer also
bounds how far it runs ahead (two batches at most). With `workers <= 1` (tests, the
API's small uploads) both halves run here, one batch after the other.

Rows rejected by the writer (an unknown customer, say) are reported with the row as
the file had it: the batch carries the text of the file it was read from, which is
parsed again only for a batch that has such rejects.

bench/import_orders.py measures it at any size (ten million order lines: about 175,000
lines a second on SQLite on a two-core machine, in under 700 MB).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import multiprocessing
import os
import sqlite3
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Protocol

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.csvfile import CsvFileError, CsvReader, normalize_header
from patron.core.models import AuditEntry

if TYPE_CHECKING:
    from patron.accounts.models import User

# Columns of a rejects file (first, before the file's own): it imports again once fixed.
REJECT_COLUMNS = ("import_line", "import_error")
MAX_SAMPLE_REJECTS = 100
# Values per IN list: SQLite takes 32,766 parameters per statement; PostgreSQL gets one
# array parameter instead.
IN_CHUNK = 5000
# Bytes read (and decoded) at once.
READ_CHUNK = 256 * 1024
# A file this large, into an empty table, loads without the table's list indexes, which
# are then built once, sorted, at the end (several times faster than keeping them).
DEFER_INDEXES_BYTES = 64 * 2**20


@dataclass
class ImportOptions:
    # The system the customer ids of the file belong to (the customer import's --system).
    system: str = "import"
    dry_run: bool = False
    # Rows per transaction (an order is not cut in two unless it has twice as many lines).
    batch_size: int = 20_000
    encoding: str = "utf-8"
    # 2 or more: a child process reads and checks the file while this one writes.
    workers: int = 1
    source_label: str = ""
    # Build the list indexes once at the end: None decides (empty table, large file).
    defer_indexes: bool | None = None
    # A larger page cache and other settings for this connection (the command's imports).
    tune_connection: bool = False


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
    # Counts particular to a kind (order lines written, products created).
    counters: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)  # the first MAX_SAMPLE_REJECTS
    error: str = ""
    error_line: int | None = None
    dry_run: bool = False
    seconds: float = 0.0

    def count(self, name: str, n: int) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            **self.counters,
            "warnings": self.warnings,
            "rejects": [{"line": r.line, "reason": r.reason} for r in self.rejects],
            "error": self.error,
            "error_line": self.error_line,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 3),
        }


@dataclass(slots=True)
class Batch:
    first_line: int
    last_line: int
    rows: int  # rows of the file in the batch, rejected ones included
    payload: Any  # the kind's prepared values, its rejected rows among them
    # The text the batch's rows are in, from line `raw_first` on: whole chunks of the
    # file, which may begin before the batch and end after it (no copy is made of them).
    raw: tuple[str, ...] = ()
    delimiter: str = ","
    raw_first: int = 0

    def __getstate__(self) -> tuple:
        return (
            self.first_line,
            self.last_line,
            self.rows,
            self.payload,
            self.raw,
            self.delimiter,
            self.raw_first,
        )

    def __setstate__(self, state: tuple) -> None:
        (
            self.first_line,
            self.last_line,
            self.rows,
            self.payload,
            self.raw,
            self.delimiter,
            self.raw_first,
        ) = state


def rows_of(text: str, first_line: int, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    # StringIO splits lines at "\n" only, as the reading of the file did (splitlines
    # would also split at form feeds and other separators inside a field).
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=False)
    previous = 0
    for row in reader:
        yield first_line + previous, row
        previous = reader.line_num


class RowParser(Protocol):
    """Checks rows in file order and gathers them in batches (in the child process)."""

    def batches(self, rows: Any, base: int) -> Iterator[tuple[Any, int, int, int, int | None]]:
        """The batches of `rows`, a csv reader whose first row starts on line `base`:
        (payload, rows, first line, last line, the line the next batch starts on, or
        None for the last). Blank rows are skipped; csv errors become CsvFileError."""
        ...


class BatchWriter(Protocol):
    def write(self, batch: Batch) -> None: ...

    def finish(self) -> None: ...


# --- What the parser and the writer share ----------------------------------------------

# A moment more than this after now is a typo, not a record of what happened.
FUTURE_SLACK = dt.timedelta(days=1)


class ImportContext:
    """The import's options, actor and moment; built before the child is forked."""

    def __init__(self, options: ImportOptions, actor: User | None, run_id: str) -> None:
        self.options = options
        self.actor = actor
        self.run_id = run_id
        self.now = timezone.now()
        self.sqlite = connection.vendor == "sqlite"
        self.default_currency = settings.PATRON_DEFAULT_CURRENCY
        self.sees_everything = actor is None or visibility.sees_everything(actor)
        self.actor_team_ids: set[int] = set()
        if actor is not None:
            self.actor_team_ids = set(actor.teams.values_list("pk", flat=True))
        self.actor_label = (actor.email if actor is not None else "import") + (
            f" ({options.source_label})" if options.source_label else ""
        )
        future = (self.now + FUTURE_SLACK).astimezone(dt.UTC)
        self.future_text = future.replace(tzinfo=None).isoformat(" ")
        # SQLite's count of commits by other connections, before anything is looked up.
        self._version = _data_version() if self.sqlite else None
        self._others_wrote = not self.sqlite

    def others_wrote(self) -> bool:
        """Whether another connection has committed anything since the import began;
        ask first thing in a batch's transaction.

        What the parser looked up (customers) and the writer remembers (products) can
        only have been deleted by someone else's commit; while nobody else has
        committed (an initial load, say) the writers need not check them again. Once
        anyone has, every later batch checks them. Always true on PostgreSQL, which
        checks its foreign keys anyway."""
        if not self._others_wrote and _data_version() != self._version:
            self._others_wrote = True
        return self._others_wrote

    def db_datetime(self, moment: dt.datetime) -> str:
        """As the database takes it: naive UTC text on SQLite (Django's format), UTC with
        its offset for PostgreSQL."""
        moment = moment.astimezone(dt.UTC)
        if self.sqlite:
            return moment.replace(tzinfo=None).isoformat(" ")
        return moment.isoformat(" ")

    def hidden_customers(self, sql: Sql, customer_ids: Iterable[int]) -> set[int]:
        """Of these customers, those the actor may not write (none for an admin)."""
        if self.sees_everything:
            return set()
        rows = sql.query_in(
            "SELECT id, owner_id, team_id FROM customers_customer WHERE id IN {values}",
            list(set(customer_ids)),
        )
        actor_id = self.actor.pk if self.actor is not None else None
        teams = self.actor_team_ids
        return {pk for pk, owner, team in rows if owner != actor_id and team not in teams}


def _data_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA data_version")
        return cursor.fetchone()[0]


def moment_text(text: str, column: str, future_text: str, *, sqlite: bool) -> str | Exception:
    """A date and time of the file as the database takes it (see db_datetime), or the
    reason it is refused. A moment without an offset is UTC."""
    if not text:
        return ValueError(_("%(column)s: required") % {"column": column})
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return ValueError(
            _("%(column)s: “%(value)s” is not a date and time such as 2024-03-31 14:05")
            % {"column": column, "value": text}
        )
    if len(text) == 20 and text[10] == "T" and text[19] == "Z":
        naive = f"{text[:10]} {text[11:19]}"  # the common export: no arithmetic
    else:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        naive = moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if naive > future_text:
        return ValueError(
            _("%(column)s: “%(value)s” is in the future") % {"column": column, "value": text}
        )
    return naive if sqlite else naive + "+00:00"


def audit_batch(
    ctx: ImportContext,
    batch: Batch,
    target_type: str,
    label: str,
    counts: dict[str, int],
    *,
    created: bool,
) -> None:
    """One audit entry for a batch (not one per row): who imported which lines of which
    file, and what they made."""
    actor = ctx.actor
    AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=ctx.actor_label[:255],
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        target_type=target_type,
        target_id=f"import:{ctx.run_id}",
        target_label=label[:255],
        changes=[
            {
                "field": "import",
                "old": None,
                "new": {"first_line": batch.first_line, "last_line": batch.last_line, **counts},
            }
        ],
    )


def rows_in(batch: Batch) -> list[tuple[int, list[str]]]:
    """The rows of a batch with the line each starts on (blank ones left out)."""
    first, last = batch.first_line, batch.last_line
    out = []
    for line, row in rows_of("".join(batch.raw), batch.raw_first, batch.delimiter):
        if line > last:
            break
        if line >= first and row and "".join(row).strip():
            out.append((line, row))
    return out


def reject_rows(
    batch: Batch,
    reject: Callable[[int, str, list[str]], None],
    key_column: int,
    by_key: dict[str, Any],
    by_line: dict[int, str],
    *,
    everything: str = "",
    sibling: str = "",
) -> None:
    """Report the rejected rows of a batch in file order, as the file has them.

    `by_line` rejects single rows. `by_key` rejects every row whose `key_column` holds
    the key: with one reason (a str), or {line: reason} for the lines that were bad, the
    others then getting `sibling` (with %(order)s and %(line)s, the first bad line).
    With `everything`, every other row of the batch is rejected for that reason."""
    firsts: dict[str, int] = {}
    for line, row in rows_in(batch):
        reason = by_line.get(line)
        if reason is None:
            key = row[key_column].strip() if key_column < len(row) else ""
            entry = by_key.get(key)
            if isinstance(entry, str):
                reason = entry
            elif entry is not None:
                reason = entry.get(line)
                if reason is None:
                    first = firsts.get(key)
                    if first is None:
                        first = firsts[key] = min(entry) if entry else line
                    reason = sibling % {"order": key, "line": first}
            else:
                reason = everything
        if reason:
            reject(line, reason, row)


# --- Columns ----------------------------------------------------------------------------


def column_positions(
    header: Sequence[str], columns: Sequence[str], aliases: dict[str, str]
) -> tuple[dict[str, int], list[str]]:
    """(column -> index in the row, the header names that mean nothing here)."""
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, name in enumerate(header):
        key = normalize_header(name)
        if key in REJECT_COLUMNS:
            continue
        key = aliases.get(key, key)
        if key in columns and key not in positions:
            positions[key] = index
        elif name.strip():
            unknown.append(name.strip())
    return positions, unknown


def missing_columns_error(missing: Iterable[str], header: Sequence[str]) -> str:
    return _("The file has no %(columns)s column, which an import needs. Header: %(header)s") % {
        "columns": ", ".join(missing),
        "header": ", ".join(header)[:300],
    }


def too_long(column: str, limit: int, value: str) -> str:
    return _("%(column)s: at most %(limit)d characters (this one has %(n)d)") % {
        "column": column,
        "limit": limit,
        "n": len(value),
    }


# --- Reading (the child process, or this one) ------------------------------------------


def read_batches(
    stream: BinaryIO, reader: CsvReader, parser: RowParser, encoding: str
) -> Iterator[Batch]:
    """The batches of the rows after the header; CsvFileError when the file is broken.

    The file is read in chunks of whole lines, each decoded at once and split into
    lines by StringIO (split at "\n" only, as `open` reads a file): a third faster than
    decoding line by line. A batch carries the chunks its rows are in (see Batch.raw)."""
    name = encoding.lower().replace("_", "-")
    codec = "utf-8" if name in ("utf-8", "utf8", "utf-8-sig") else name
    base = reader._next_line  # the line after the header
    pieces: deque[tuple[int, str]] = deque()  # (first line, text) not yet behind a batch

    def lines() -> Iterator[str]:
        line = base
        rest = b""
        while True:
            chunk = stream.read(READ_CHUNK)
            data = rest + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                if not cut:
                    rest = data
                    continue
                data, rest = data[:cut], data[cut:]
            if not data:
                return
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise _decode_error(data, exc, line, encoding) from exc
            pieces.append((line, text))
            line += data.count(b"\n")
            yield from io.StringIO(text)
            if not chunk:
                return

    rows = csv.reader(lines(), delimiter=reader.delimiter, strict=False)
    delimiter = reader.delimiter
    start = base  # the line the batch's first row starts on
    for payload, count, first, last, boundary in parser.batches(rows, base):
        raw: tuple[str, ...] = ()
        if pieces:
            # From the batch's first row on: a chunk may begin inside a quoted field.
            piece_first, text = pieces[0]
            offset = 0
            for _n in range(start - piece_first):
                offset = text.index("\n", offset) + 1
            raw = (text[offset:], *(text for _line, text in list(pieces)[1:]))
        yield Batch(first, last, count, payload, raw, delimiter, start)
        if boundary is not None:
            start = boundary
            while len(pieces) > 1 and pieces[1][0] <= boundary:
                pieces.popleft()


def _decode_error(data: bytes, exc: UnicodeDecodeError, first: int, encoding: str) -> CsvFileError:
    """CsvReader's message for a line that is not in the file's encoding."""
    line = first + data.count(b"\n", 0, exc.start)
    start = data.rfind(b"\n", 0, exc.start) + 1
    return CsvFileError(
        _(
            "Line %(line)d is not valid %(encoding)s (byte 0x%(byte)02X at "
            "position %(pos)d). Save the file as UTF-8, or give its encoding "
            "(for example --encoding cp1252)."
        )
        % {
            "line": line,
            "encoding": encoding.upper(),
            "byte": data[exc.start],
            "pos": exc.start - start + 1,
        },
        line=line,
    )


def _child(sender: Any, stream: BinaryIO, reader: CsvReader, parser: RowParser, enc: str) -> None:
    gc.disable()  # rows and tuples only: nothing to collect, and a third less time
    try:
        for batch in read_batches(stream, reader, parser, enc):
            sender.send(("batch", batch))
        sender.send(("end", None, None))
    except CsvFileError as exc:
        sender.send(("error", str(exc), exc.line))
    except BaseException:  # reported to the parent, which raises it
        sender.send(("crash", traceback.format_exc(), None))
    finally:
        sender.close()


def _batches_from_child(
    stream: BinaryIO, reader: CsvReader, parser: RowParser, encoding: str
) -> Iterator[Batch]:
    fork = multiprocessing.get_context("fork")
    receiver, sender = fork.Pipe(duplex=False)
    process = fork.Process(
        target=_child, args=(sender, stream, reader, parser, encoding), daemon=True
    )
    process.start()
    sender.close()
    try:
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                raise RuntimeError("the import's reading process ended unexpectedly") from None
            if message[0] == "batch":
                yield message[1]
            elif message[0] == "end":
                return
            elif message[0] == "error":
                raise CsvFileError(message[1], line=message[2])
            else:
                raise RuntimeError("the import's reading process failed:\n" + message[1])
    finally:
        receiver.close()
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)


# --- Running an import ---------------------------------------------------------------------


class RejectSink:
    """Counts rejected rows, keeps a sample for the report, writes the rejects file."""

    def __init__(self, report: ImportReport, out: IO[str] | None, header: list[str]) -> None:
        self.report = report
        self.writer = csv.writer(out) if out is not None else None
        if self.writer is not None:
            self.writer.writerow([*REJECT_COLUMNS, *header])

    def __call__(self, line: int, reason: str, row: list[str]) -> None:
        report = self.report
        report.rejected += 1
        if len(report.rejects) < MAX_SAMPLE_REJECTS:
            report.rejects.append(Reject(line, reason, row))
        if self.writer is not None:
            self.writer.writerow([line, reason, *row])


def run_import(
    stream: BinaryIO,
    *,
    options: ImportOptions,
    report: ImportReport,
    make_parser: Callable[[list[str]], RowParser],
    make_writer: Callable[[RejectSink], BatchWriter],
    rejects_out: IO[str] | None = None,
    progress: Callable[[ImportReport], None] | None = None,
    prepare: Callable[[CsvReader], str] | None = None,
) -> ImportReport:
    """Read `stream`, parse and write it batch by batch; the report says what happened.

    `prepare` sees the header first and may refuse the file (it returns an error)."""
    started = time.perf_counter()
    try:
        reader = CsvReader(stream, encoding=options.encoding)
        if prepare is not None:
            report.error = prepare(reader)
            if report.error:
                report.error_line = 1
                return report
        parser = make_parser(reader.header)
        sink = RejectSink(report, rejects_out, reader.header)
        writer = make_writer(sink)
        forking = (
            options.workers >= 2
            and "fork" in multiprocessing.get_all_start_methods()
            # Another process cannot open this connection's in-memory database (tests).
            and not (connection.vendor == "sqlite" and connection.is_in_memory_db())
        )
        source = _batches_from_child if forking else read_batches
        try:
            for batch in source(stream, reader, parser, options.encoding):
                report.rows += batch.rows
                writer.write(batch)
                if progress is not None:
                    progress(report)
        finally:
            writer.finish()
    except CsvFileError as exc:
        report.error, report.error_line = str(exc), exc.line
    report.seconds = time.perf_counter() - started
    if progress is not None:
        progress(report)
    return report


def new_run_id() -> str:
    return uuid.uuid4().hex


class _DryRun(Exception):
    pass


def in_batch_transaction(fn: Callable[[], Any], *, dry_run: bool) -> None:
    """Run one batch's writes atomically; a dry run rolls them back after counting."""
    try:
        with transaction.atomic():
            fn()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass


def database_refused(batch: Batch, exc: DatabaseError) -> str:
    return _("the database refused this batch (lines %(first)d–%(last)d): %(error)s") % {
        "first": batch.first_line,
        "last": batch.last_line,
        "error": (str(exc).strip().splitlines() or [""])[0][:300],
    }


# --- The connection ------------------------------------------------------------------------


@contextlib.contextmanager
def import_connection(options: ImportOptions) -> Iterator[bool]:
    """The settings of this connection for an import; yields whether SQLite checks
    foreign keys itself (False: the writers check the rows they point to, per batch).

    SQLite checks each foreign key of each row it inserts with a read of the row pointed
    to: for an order, a random page of the customer table, which costs more than the
    insert. The writers look every customer, order and product of a batch up in the
    batch's own transaction instead (one IN query each), which proves the same thing
    set-based; outside a transaction (the command, the API) the check is switched off
    for the import and on again afterwards."""
    if connection.vendor != "sqlite":
        yield True
        return
    tuned = options.tune_connection
    with connection.cursor() as cursor:
        if tuned:
            cursor.execute("PRAGMA cache_size")
            cache = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_autocheckpoint")
            checkpoint = cursor.fetchone()[0]
            cursor.execute("PRAGMA cache_size = -262144")  # KiB: 256 MB at most
            # No memory map: its pages would count against the import's memory.
            cursor.execute("PRAGMA mmap_size = 0")
            # Fewer checkpoints: a page written by several batches is copied back once.
            cursor.execute("PRAGMA wal_autocheckpoint = 16384")
    checks_off = connection.disable_constraint_checking()
    try:
        yield not checks_off
    finally:
        if checks_off:
            connection.enable_constraint_checking()
        if tuned:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(cache)}")
                cursor.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")


def stream_size(stream: BinaryIO) -> int | None:
    """Bytes left to read in `stream`, when it is a file."""
    try:
        return os.fstat(stream.fileno()).st_size - stream.tell()
    except (AttributeError, OSError, ValueError):
        size = getattr(stream, "size", None)
        return size if isinstance(size, int) else None


@contextlib.contextmanager
def deferred_indexes(model: type[models.Model], enabled: bool) -> Iterator[None]:
    """Without `model`'s Meta indexes while the block runs, then with them again (also
    after an error). Without `enabled`, an index that a killed run left missing is built
    now; with it, one already missing (another import's) is left to that import."""
    editor = connection.schema_editor(collect_sql=True)
    editor.deferred_sql = []

    def create(index: models.Index) -> str:
        return str(index.create_sql(model, editor)).replace(
            "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1
        )

    with connection.cursor() as cursor:
        present = set(connection.introspection.get_constraints(cursor, model._meta.db_table))
        for index in model._meta.indexes:
            if enabled and index.name in present:
                cursor.execute(str(index.remove_sql(model, editor)))
            elif not enabled and index.name not in present:
                cursor.execute(create(index))
    if not enabled:
        yield
        return
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and connection.in_atomic_block:
                # Inside a caller's transaction (tests): PostgreSQL builds no index on a
                # table with foreign key checks still pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for index in model._meta.indexes:
                cursor.execute(create(index))
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# --- Customers ----------------------------------------------------------------------------


class CustomerLookup:
    """customer_external_id -> customer id for the writer: one IN query per batch, in
    the batch's transaction, for the ids not met before in this import (a long tail of
    orders per customer makes most of them repeats).

    An id remembered from an earlier batch may have been deleted or merged away since
    (by another connection: see ImportContext.others_wrote); then the remembered ids
    are checked in the batch's transaction through the narrow index on identifiers'
    customer_id (a quarter of the lookup's cost), so nothing is written for a customer
    that is no longer there."""

    LIMIT = 2_000_000  # ids remembered at most (about 150 MB); then forgotten at once

    def __init__(self, system: str) -> None:
        self.system = system
        self.known: dict[str, int] = {}

    def resolve(
        self, sql: Sql, values: Sequence[str], *, check: bool
    ) -> tuple[list[int | None], bool, set[int]]:
        """(customer id or None per value, whether any is None, the ids remembered from
        earlier batches that are gone; checked only with `check`)."""
        known = self.known
        missing = list({v for v in values if v not in known})
        if len(known) + len(missing) > self.LIMIT:
            known.clear()
            missing = list(set(values))
        remembered: set[int] = set()
        if check:
            remembered = {known[v] for v in values if v in known}
        if missing:
            known.update(
                sql.query_in(
                    "SELECT value, customer_id FROM customers_externalidentifier "
                    "WHERE system = %s AND value IN {values}",
                    missing,
                    [self.system],
                )
            )
        ids = list(map(known.get, values))
        gone = customers_gone(sql, remembered) if remembered else set()
        for value in [v for v in values if known.get(v) in gone]:
            del known[value]
        return ids, None in ids, gone


def customers_gone(sql: Sql, customer_ids: Iterable[int]) -> set[int]:
    """Which of these customers no longer have an identifier (deleted, merged away)."""
    wanted = list(set(customer_ids))
    present = {
        row[0]
        for row in sql.query_in(
            "SELECT DISTINCT customer_id FROM customers_externalidentifier "
            "WHERE customer_id IN {values}",
            wanted,
        )
    }
    return set(wanted) - present


# --- Set-based SQL ---------------------------------------------------------------------------


class Sql:
    """Raw statements on the Django connection's driver cursor (the wrapper formats
    every parameter again, which costs more than the statement at these sizes)."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.sqlite = self.vendor == "sqlite"
        self._statements: dict[str, str] = {}

    def _sql(self, sql: str) -> str:
        if not self.sqlite:
            return sql
        converted = self._statements.get(sql)
        if converted is None:
            converted = self._statements[sql] = sql.replace("%s", "?")
        return converted

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with connection.cursor() as wrapper, connection.wrap_database_errors:
            cursor = wrapper.cursor
            if self.sqlite:
                sqlite3.Cursor.execute(cursor, self._sql(sql), params)
            else:
                cursor.execute(sql, params)
            return cursor.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with connection.cursor() as wrapper, connection.wrap_database_errors:
            cursor = wrapper.cursor
            if self.sqlite:
                sqlite3.Cursor.execute(cursor, self._sql(sql), params)
            else:
                cursor.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with connection.cursor() as wrapper, connection.wrap_database_errors:
            cursor = wrapper.cursor
            if self.sqlite:
                sqlite3.Cursor.executemany(cursor, self._sql(sql), rows)
            else:
                cursor.executemany(sql, rows)

    def query_in(self, sql: str, values: Sequence[Any], params: Sequence[Any] = ()) -> list:
        """`sql` with `IN {values}` (`params` come before the values)."""
        if not values:
            return []
        if not self.sqlite:
            return self.query(sql.replace("IN {values}", "= ANY(%s)"), [*params, list(values)])
        out: list = []
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            marks = "(" + ",".join("?" * len(chunk)) + ")"
            with connection.cursor() as wrapper, connection.wrap_database_errors:
                cursor = wrapper.cursor
                sqlite3.Cursor.execute(
                    cursor, self._sql(sql).replace("{values}", marks), [*params, *chunk]
                )
                out += cursor.fetchall()
        return out

    def execute_in(self, sql: str, values: Sequence[Any], params: Sequence[Any] = ()) -> None:
        if not values:
            return
        if not self.sqlite:
            self.execute(sql.replace("IN {values}", "= ANY(%s)"), [*params, list(values)])
            return
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            marks = "(" + ",".join("?" * len(chunk)) + ")"
            statement = sql.replace("%s", "?").replace("{values}", marks)
            with connection.cursor() as wrapper, connection.wrap_database_errors:
                sqlite3.Cursor.execute(wrapper.cursor, statement, [*params, *chunk])

    def insert(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        constants: dict[str, str | int] | None = None,
    ) -> None:
        """Insert rows of database-ready values (dates as the database's text, numbers
        as numbers); `constants` are the same for every row (given once on SQLite)."""
        constants = constants or {}
        meta = model._meta
        table = connection.ops.quote_name(meta.db_table)
        columns = [*fields, *constants]
        names = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in columns)
        if self.sqlite:
            marks = ", ".join(["?"] * len(fields) + [_literal(v) for v in constants.values()])
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            with connection.cursor() as wrapper, connection.wrap_database_errors:
                sqlite3.Cursor.executemany(wrapper.cursor, sql, rows)
            return
        extra = tuple(constants.values())
        with (
            connection.cursor() as wrapper,
            connection.wrap_database_errors,
            wrapper.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            write = copy.write_row
            if extra:
                for row in rows:
                    write((*row, *extra))
            else:
                for row in rows:
                    write(row)


def _literal(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


# --- An import's entry point ------------------------------------------------------------


@dataclass(frozen=True)
class ImportKind:
    """What sets one kind of import (orders, interactions) apart, for `import_csv`.

    `make_writer(ctx, report, sink, ext_column=…, checks_off=…)` builds the writer:
    `ext_column` is the external_id's position, `checks_off` whether SQLite does not check
    foreign keys itself on this connection."""

    model: type[models.Model]
    columns: Sequence[str]
    aliases: dict[str, str]
    required: Sequence[str]
    make_parser: Callable[[list[str], ImportContext], RowParser]
    make_writer: Callable[..., BatchWriter]


def import_csv(
    kind: ImportKind,
    stream: BinaryIO,
    options: ImportOptions | None,
    actor: User | None,
    rejects_out: IO[str] | None,
    progress: Callable[[ImportReport], None] | None,
    ignored_warning: str,
    deferred_warning: str,
) -> ImportReport:
    """The steps every kind of import shares: check the header, decide whether to defer
    the indexes of the kind's table, and run the import on the import's connection.

    `ignored_warning` (with `%(columns)s`) and `deferred_warning` come translated from
    the caller (their literal text stays in its module, for gettext)."""
    options = options or ImportOptions()
    report = ImportReport(dry_run=options.dry_run)
    if actor is not None:
        visibility.require_create(actor)
    ctx = ImportContext(options, actor, new_run_id())
    holder: dict[str, Any] = {}

    def prepare(reader: CsvReader) -> str:
        positions, unknown = column_positions(reader.header, kind.columns, kind.aliases)
        missing = [c for c in kind.required if c not in positions]
        if missing:
            return missing_columns_error(missing, reader.header)
        if unknown:
            report.warnings.append(ignored_warning % {"columns": ", ".join(unknown)})
        holder["external_id"] = positions["external_id"]
        return ""

    def writer_of(sink: RejectSink) -> BatchWriter:
        return kind.make_writer(
            ctx, report, sink, ext_column=holder["external_id"], checks_off=holder["checks_off"]
        )

    if options.defer_indexes is None:
        size = stream_size(stream)
        defer = (
            not options.dry_run
            and size is not None
            and size >= DEFER_INDEXES_BYTES
            and not kind.model._default_manager.exists()
        )
    else:
        defer = options.defer_indexes and not options.dry_run
    with import_connection(options) as checks_on, deferred_indexes(kind.model, defer):
        holder["checks_off"] = not checks_on
        run_import(
            stream,
            options=options,
            report=report,
            make_parser=lambda header: kind.make_parser(header, ctx),
            make_writer=writer_of,
            rejects_out=rejects_out,
            progress=progress,
            prepare=prepare,
        )
    if defer:
        report.warnings.append(deferred_warning)
    return report
