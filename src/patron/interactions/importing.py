"""`patron import interactions FILE.csv` and `POST /api/v1/interactions/import`: the
conversations held elsewhere (a phone switch, a mail server, a chat tool), one row each.

Columns: external_id, customer_external_id, occurred_at, channel, direction, user_email,
summary, reason, outcome, body, device, sentiment (direction, user_email, reason,
outcome, body, device and sentiment may be left out). The customer is found by
`customer_external_id` in the identifiers of the customer import's system (`import`
unless `system` says otherwise); `user_email` names the colleague who handled it.

The streaming, batches and guarantees are those of the order import (see
patron/commerce/import_engine.py). An interaction is keyed by its external_id: a row
whose id is stored updates that interaction (one that the file gives as stored is left
alone), so importing a file again changes nothing. A second row with the same id in one
batch is rejected; in a later batch it updates the first.
"""

from __future__ import annotations

import csv
import operator
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.accounts.models import User
from patron.commerce.import_engine import (
    Batch,
    CustomerLookup,
    ImportContext,
    ImportKind,
    ImportOptions,
    ImportReport,
    RejectSink,
    Sql,
    audit_batch,
    column_positions,
    database_refused,
    import_csv,
    in_batch_transaction,
    moment_text,
    reject_rows,
    too_long,
)
from patron.core.csvfile import CsvFileError
from patron.core.sanitize import clean_html
from patron.interactions.models import Channel, Interaction

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["COLUMNS", "ImportOptions", "ImportReport", "import_interactions"]

COLUMNS = (
    "external_id",
    "customer_external_id",
    "occurred_at",
    "channel",
    "direction",
    "user_email",
    "summary",
    "reason",
    "outcome",
    "body",
    "device",
    "sentiment",
)
REQUIRED = ("external_id", "customer_external_id", "occurred_at", "channel", "summary")
ALIASES = {
    "id": "external_id",
    "interaction_id": "external_id",
    "customer_id": "customer_external_id",
    "customer": "customer_external_id",
    "date": "occurred_at",
    "when": "occurred_at",
    "timestamp": "occurred_at",
    "user": "user_email",
    "agent": "user_email",
    "agent_email": "user_email",
    "subject": "summary",
    "notes": "body",
    "details": "body",
}
LIMITS = {"summary": 255, "reason": 120, "outcome": 120, "device": 60}
CHANNELS = frozenset(Channel.values)
DIRECTIONS = frozenset(Interaction.Direction.values)
SENTIMENTS = frozenset(Interaction.Sentiment.values)
TARGET = "interactions.interaction"
# The stored columns, in the order of the payload after external_id and customer.
FIELDS = (
    "channel",
    "direction",
    "occurred_at",
    "user",
    "summary",
    "body",
    "reason",
    "device",
    "outcome",
    "sentiment",
)
INSERT_FIELDS = ("external_id", "customer", *FIELDS)
UPDATE = "UPDATE interactions_interaction SET {} WHERE id = %s".format(  # noqa: S608 - fixed names
    ", ".join(f"{Interaction._meta.get_field(f).column} = %s" for f in (*FIELDS, "updated_at"))
)


class InteractionParser:
    """Rows -> batches of columns (external_id, customer id, then FIELDS), the rejected
    interactions {external_id: reason} and the rejected rows {line: reason}."""

    def __init__(self, header: list[str], ctx: ImportContext) -> None:
        self.ctx = ctx
        positions, _unknown = column_positions(header, COLUMNS, ALIASES)
        self.width = len(header)
        absent = len(header)
        self.pad = any(c not in positions for c in COLUMNS)
        self.get = operator.itemgetter(*(positions.get(c, absent) for c in COLUMNS))
        self.batch_size = max(1, ctx.options.batch_size)
        self.users = {
            email.lower(): pk
            for pk, email in User.objects.filter(is_active=True).values_list("pk", "email")
        }

    def batches(self, rows: Any, base: int) -> Iterator[tuple]:
        get, pad, width, size = self.get, self.pad, self.width, self.batch_size
        users, sqlite, future = self.users, self.ctx.sqlite, self.ctx.future_text
        previous = count = 0
        first = last = line = base
        columns, seen, rejects = self._start()
        appends = [column.append for column in columns]
        try:
            for row in rows:
                line = base + previous
                previous = rows.line_num
                if pad:
                    row.append("")
                try:
                    values = get(row)
                except IndexError:
                    row = row[:width] + [""] * (width + 1 - len(row))
                    values = get(row)
                if not "".join(values).strip():
                    continue
                if count >= size:
                    yield self._close(columns, rejects, count, first, last, boundary=line)
                    columns, seen, rejects = self._start()
                    appends = [column.append for column in columns]
                    count = 0
                if not count:
                    first = line
                count += 1
                last = line
                (ext, customer, occurred, channel, direction, email) = (
                    v.strip() for v in values[:6]
                )
                reasons = []
                if not ext or len(ext) > 200:
                    reasons.append(
                        _(
                            "external_id: each interaction needs one, so that importing the "
                            "file again updates it instead of adding it twice"
                        )
                        if not ext
                        else too_long("external_id", 200, ext)
                    )
                elif ext in seen:
                    reasons.append(
                        _("external_id: “%(value)s” already appeared on line %(line)d")
                        % {"value": ext, "line": seen[ext]}
                    )
                if not customer:
                    reasons.append(_("customer_external_id: required"))
                elif len(customer) > 200:
                    reasons.append(too_long("customer_external_id", 200, customer))
                moment = moment_text(occurred, "occurred_at", future, sqlite=sqlite)
                if isinstance(moment, Exception):
                    reasons.append(str(moment))
                channel = channel.lower()
                if channel not in CHANNELS:
                    reasons.append(
                        _("channel: “%(value)s” is not one of %(choices)s")
                        % {"value": channel, "choices": ", ".join(Channel.values)}
                        if channel
                        else _("channel: required")
                    )
                direction = direction.lower() or Interaction.Direction.INBOUND.value
                if direction not in DIRECTIONS:
                    reasons.append(
                        _("direction: “%(value)s” is neither inbound nor outbound")
                        % {"value": direction}
                    )
                user = None
                if email:
                    user = users.get(email.lower())
                    if user is None:
                        reasons.append(
                            _("user_email: no active user “%(value)s”") % {"value": email}
                        )
                summary, reason, outcome, body, device, sentiment = (v.strip() for v in values[6:])
                if not summary:
                    reasons.append(_("summary: say in a few words what it was about"))
                for name, text in (
                    ("summary", summary),
                    ("reason", reason),
                    ("outcome", outcome),
                    ("device", device),
                ):
                    if len(text) > LIMITS[name]:
                        reasons.append(too_long(name, LIMITS[name], text))
                sentiment = sentiment.lower()
                if sentiment and sentiment not in SENTIMENTS:
                    reasons.append(
                        _("sentiment: “%(value)s” is not one of %(choices)s")
                        % {"value": sentiment, "choices": ", ".join(Interaction.Sentiment.values)}
                    )
                if reasons:
                    rejects[line] = "; ".join(reasons)
                    continue
                seen[ext] = line
                if body:
                    body = clean_html(body)
                for append, value in zip(
                    appends,
                    (
                        ext,
                        customer,
                        channel,
                        direction,
                        moment,
                        user,
                        summary,
                        body,
                        reason,
                        device,
                        outcome,
                        sentiment,
                    ),
                    strict=True,
                ):
                    append(value)
        except csv.Error as exc:
            line = base + previous
            raise CsvFileError(
                _("Line %(line)d: %(error)s") % {"line": line, "error": exc}, line=line
            ) from exc
        if count:
            yield self._close(columns, rejects, count, first, last, boundary=None)

    @staticmethod
    def _start() -> tuple[list[list], dict[str, int], dict[int, str]]:
        return [[] for _name in INSERT_FIELDS], {}, {}

    def _close(
        self,
        columns: list[list],
        rejects: dict[int, str],
        count: int,
        first: int,
        last: int,
        *,
        boundary: int | None,
    ) -> tuple:
        return (columns, rejects), count, first, last, boundary


class InteractionWriter:
    def __init__(self, ctx: ImportContext, report: ImportReport, reject: RejectSink) -> None:
        self.ctx = ctx
        self.report = report
        self.reject = reject
        self.sql = Sql()
        self.customers = CustomerLookup(ctx.options.system)
        self.ext_column = 0

    def write(self, batch: Batch) -> None:
        counts: dict[str, int] = {}
        rejected: dict[str, str] = {}
        columns, rejects = batch.payload

        def work() -> None:
            rejected.clear()
            counts.clear()
            counts.update(self._write(batch, columns, rejected))

        try:
            in_batch_transaction(work, dry_run=self.ctx.options.dry_run)
        except DatabaseError as exc:
            reject_rows(
                batch,
                self.reject,
                self.ext_column,
                {},
                rejects,
                everything=database_refused(batch, exc),
            )
            return
        if rejects or rejected:
            reject_rows(batch, self.reject, self.ext_column, rejected, rejects)
        report = self.report
        report.created += counts["created"]
        report.updated += counts["updated"]
        report.unchanged += counts["unchanged"]

    def finish(self) -> None:
        pass

    def _write(self, batch: Batch, columns: list[list], rejected: dict[str, str]) -> dict[str, int]:
        ctx, sql = self.ctx, self.sql
        exts = columns[0]
        customers = dict(zip(exts, columns[1], strict=True))
        now = ctx.db_datetime(timezone.now())
        cids, unknown, gone = self.customers.resolve(sql, columns[1], check=ctx.others_wrote())
        hidden = ctx.hidden_customers(sql, [c for c in cids if c is not None])
        columns = [columns[0], cids, *columns[2:]]
        stored = {
            row[1]: row
            for row in sql.query_in(
                "SELECT id, external_id, customer_id, channel, direction, occurred_at, user_id, "
                "summary, body, reason, device, outcome, sentiment "
                "FROM interactions_interaction WHERE external_id IN {values}",
                exts,
            )
        }
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        constants = {"created_at": now, "updated_at": now}
        if not stored and not gone and not hidden and not unknown:
            sql.insert(Interaction, INSERT_FIELDS, zip(*columns, strict=True), constants=constants)
            counts["created"] = len(exts)
        else:
            new, updates = [], []
            system = self.customers.system
            for values in zip(*columns, strict=True):
                ext, cid = values[0], values[1]
                if cid is None:
                    rejected[ext] = _(
                        "customer_external_id: no customer has the id “%(value)s” (in "
                        "system “%(system)s”)"
                    ) % {"value": customers[ext], "system": system}
                    continue
                if cid in hidden:
                    rejected[ext] = _(
                        "customer_external_id: this customer belongs to a team you are not in"
                    )
                    continue
                if cid in gone:
                    rejected[ext] = _(
                        "customer_external_id: the customer was deleted or merged while the "
                        "file was being imported; import the file again"
                    )
                    continue
                row = stored.get(ext)
                if row is None:
                    new.append(values)
                    continue
                if row[2] != cid:
                    rejected[ext] = _(
                        "external_id: interaction %(id)s belongs to another customer"
                    ) % {"id": ext}
                    continue
                before = list(row[3:])
                if not isinstance(before[2], str) and before[2] is not None:
                    before[2] = ctx.db_datetime(before[2])
                if tuple(before) == values[2:]:
                    counts["unchanged"] += 1
                else:
                    updates.append((*values[2:], now, row[0]))
            sql.insert(Interaction, INSERT_FIELDS, new, constants=constants)
            sql.executemany(UPDATE, updates)
            counts["created"], counts["updated"] = len(new), len(updates)
        if counts["created"] or counts["updated"]:
            audit_batch(
                ctx,
                batch,
                TARGET,
                _("interaction import, lines %(first)d–%(last)d")
                % {"first": batch.first_line, "last": batch.last_line},
                {"created": counts["created"], "updated": counts["updated"]},
                created=bool(counts["created"]),
            )
        return counts


def import_interactions(
    stream: BinaryIO,
    *,
    options: ImportOptions | None = None,
    actor: User | None = None,
    rejects_out: IO[str] | None = None,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import interactions from a CSV byte stream; see the module's documentation."""
    ignored = _("Ignored columns (not a column of an interaction import): %(columns)s")
    deferred = _("The interactions table was empty: its list indexes were built once, at the end.")
    return import_csv(KIND, stream, options, actor, rejects_out, progress, ignored, deferred)


def _interaction_writer(
    ctx: ImportContext,
    report: ImportReport,
    sink: RejectSink,
    *,
    ext_column: int,
    checks_off: bool,  # the writer checks what it points to either way
) -> InteractionWriter:
    writer = InteractionWriter(ctx, report, sink)
    writer.ext_column = ext_column
    return writer


# What the engine needs to know of this kind of import.
KIND = ImportKind(Interaction, COLUMNS, ALIASES, REQUIRED, InteractionParser, _interaction_writer)
