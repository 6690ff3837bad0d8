"""`patron import orders FILE.csv` and `POST /api/v1/orders/import`: order lines from a
shop, a till or an ERP, one row per line; the rows sharing an `external_id` are one order.

Columns: external_id, customer_external_id, placed_at, currency, channel, status, sku,
product_name, category, quantity, unit_price, unit_cost (status, channel, currency,
product_name, category and unit_cost may be left out). The customer is found by
`customer_external_id` in the identifiers of the customer import's system (`import`
unless `system` says otherwise); products are created on the fly by SKU.

The rules (see import_engine.py for streaming, batches and the two processes):

* An order is keyed by its external_id, so importing a file again changes nothing. The
  first time an import run meets a stored order, the order's lines are replaced by the
  rows of the file; later rows of the same order in the same run are added to it
  (`Order.import_run` holds the run). An order the file gives exactly as stored is left
  alone (reported unchanged).
* A batch never cuts an order whose rows are together in the file (unless it has twice
  the batch size in lines); rows of one order far apart in the file still add up.
* A rejected line rejects its whole order in that batch: its sibling lines are reported
  too, naming the line that was bad. Nothing of an order is half-written.
* Totals, cost and line count are computed exactly (in integer hundredths and
  thousandths), rounded half to even like `order_save`; the cost is unknown (empty) when
  a line has no unit cost.
"""

from __future__ import annotations

import csv
import datetime as dt
import operator
from array import array
from collections import Counter, defaultdict
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

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
from patron.commerce.models import Order, OrderLine, Product
from patron.commerce.services import currency_clean
from patron.core.bulk import reserve_ids
from patron.core.csvfile import CsvFileError
from patron.core.errors import ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from patron.accounts.models import User

__all__ = ["COLUMNS", "ImportOptions", "ImportReport", "import_orders"]

COLUMNS = (
    "external_id",
    "customer_external_id",
    "placed_at",
    "currency",
    "channel",
    "status",
    "sku",
    "quantity",
    "unit_price",
    "unit_cost",
    "product_name",
    "category",
)
REQUIRED = ("external_id", "customer_external_id", "placed_at", "sku", "quantity", "unit_price")
ALIASES = {
    "order_id": "external_id",
    "order_number": "external_id",
    "order": "external_id",
    "customer_id": "customer_external_id",
    "customer": "customer_external_id",
    "date": "placed_at",
    "order_date": "placed_at",
    "ordered_at": "placed_at",
    "created_at": "placed_at",
    "product_sku": "sku",
    "product": "product_name",
    "name": "product_name",
    "qty": "quantity",
    "price": "unit_price",
    "cost": "unit_cost",
}
HEAD_COLUMNS = ("customer_external_id", "placed_at", "currency", "channel", "status")
STATUSES = frozenset(Order.Status.values)
TARGET = "commerce.order"
# The columns' precision: a quantity has 12 digits, 3 after the point; a price or cost
# 12, 2 after the point; an order's total 14, 2 after the point.
QUANTITY_LIMIT = 10**9
PRICE_LIMIT = 10**10
TOTAL_LIMIT_CENTS = 10**14

ORDER_FIELDS = (
    "id",
    "external_id",
    "customer",
    "placed_at",
    "currency",
    "channel",
    "status",
    "total_amount",
    "total_cost",
    "line_count",
)
LINE_FIELDS = ("order", "product", "quantity", "unit_price", "unit_cost")


def cents_of(value: int) -> int:
    """An exact amount in 1e-5 (thousandths of a unit times cents) rounded to cents,
    half to even (as Decimal.quantize, which `order_save` uses)."""
    cents, rest = divmod(value, 1000)
    if rest > 500 or (rest == 500 and cents & 1):
        cents += 1
    return cents


def _units(value: int | float | None, places: int) -> int | None:
    return None if value is None else round(value * 10**places)


# --- Parsing (the child process) -------------------------------------------------------------


def _number(
    text: str, column: str, places: int, limit: int, *, negative: bool = True
) -> tuple[int | float | None, int, str]:
    """(the value to store, in integer units, "") or (None, 0, the reason).

    Values are stored as numbers (an int, or the float nearest the decimal, which is what
    SQLite stores for a decimal text); the check that the text has at most `places`
    decimals is exact for the columns' 12 digits."""
    text = text.strip()
    if not text:
        return None, 0, _("%(column)s: required") % {"column": column}
    try:
        value = float(text)
        scaled = round(value * 10**places)
    except (ValueError, OverflowError):
        return (
            None,
            0,
            _("%(column)s: “%(value)s” is not a number such as 12.50")
            % {
                "column": column,
                "value": text,
            },
        )
    if scaled / 10**places != value:
        return (
            None,
            0,
            _("%(column)s: “%(value)s” has more than %(places)d decimal places")
            % {
                "column": column,
                "value": text,
                "places": places,
            },
        )
    if not -limit < value < limit:
        return (
            None,
            0,
            _("%(column)s: “%(value)s” is too large")
            % {
                "column": column,
                "value": text,
            },
        )
    if value < 0 and not negative:
        return None, 0, _("%(column)s: cannot be negative") % {"column": column}
    return (int(value) if scaled % 10**places == 0 else value), scaled, ""


class OrderParser:
    """Rows -> batches of columns: orders, lines, SKUs; see the module's rules.

    The payload of a batch, all plain lists (cheap to pickle, and the writer hands them
    to the database with zip and map, without a Python step per line):
    (orders: external_id, customer_external_id, placed_at, currency, channel, status,
    total, cost, line count), (lines: order index, SKU index, quantity, unit price, unit
    cost), SKUs, (product name, category) per SKU, the rejected orders {external_id:
    {line: reason}}, the rejected rows {line: reason}."""

    def __init__(self, header: list[str], ctx: ImportContext) -> None:
        self.ctx = ctx
        positions, _unknown = column_positions(header, COLUMNS, ALIASES)
        self.width = len(header)
        absent = len(header)  # a cell added to each row when optional columns are absent
        self.pad = any(c not in positions for c in COLUMNS)
        where = [positions.get(c, absent) for c in COLUMNS]
        self.get = operator.itemgetter(*where[:10])
        self.get_product = operator.itemgetter(*where[10:])
        self.batch_size = max(1, ctx.options.batch_size)
        self.hard_cap = 2 * self.batch_size
        self.currencies: dict[str, str | Exception] = {}
        self.statuses: dict[str, str | Exception] = {}
        self.future_text = ctx.future_text
        self._start()

    def _start(self) -> None:
        self.index: dict[str, int] = {}
        # Per order: (external_id, customer_external_id, placed_at, currency, channel,
        # status) as checked, the row's raw values of those (to compare the next lines
        # with), and the sums of its lines so far.
        self.o_rows: list[tuple] = []
        self.o_raw: list[tuple] = []
        self.o_total: list[int] = []
        self.o_cost: list[int | None] = []
        self.o_count: list[int] = []
        # Arrays where the values are of one type: they pickle as one block of bytes.
        self.l_order = array("q")
        self.l_sku = array("q")
        self.l_q: list[int | float] = []
        self.l_p = array("d")
        self.l_c: list[int | float | None] = []
        self.sku_index: dict[str, int] = {}
        self.skus: list[str] = []
        self.infos: list[tuple[str, str]] = []
        self.bad: dict[int, dict[int, str]] = {}
        self.row_rejects: dict[int, str] = {}

    # -- the hot path: the loop over the rows ---------------------------------------------

    def batches(self, rows: Any, base: int) -> Iterator[tuple]:
        """The batches of `rows` (a csv reader whose first row starts on line `base`):
        (payload, rows, first line, last line, line the next batch starts on or None).

        One loop with its state in local variables: at ten million rows, every
        attribute lookup saved is a second."""
        get, pad, width = self.get, self.pad, self.width
        batch_size, hard_cap = self.batch_size, self.hard_cap
        q_limit, p_limit = QUANTITY_LIMIT, PRICE_LIMIT
        bad, new_order, new_sku = self._bad, self._new_order, self._new_sku
        previous = count = 0
        first = last = line = base
        index_of, o_raw, o_total, o_cost, o_count, lines = self._locals()
        l_order, l_sku, l_q, l_p, l_c = (column.append for column in lines)
        sku_of = self.sku_index.get
        try:
            for row in rows:
                line = base + previous
                previous = rows.line_num
                if pad:
                    row.append("")
                try:
                    ext, cust, placed, cur, chan, status, sku, qty, price, cost = get(row)
                except IndexError:
                    row = row[:width] + [""] * (width + 1 - len(row))
                    ext, cust, placed, cur, chan, status, sku, qty, price, cost = get(row)
                ext = ext.strip()
                index = index_of(ext)
                if count >= batch_size and (index is None or count >= hard_cap):
                    yield self._close(count, first, last=last, boundary=line)
                    count, first, index = 0, line, None
                    index_of, o_raw, o_total, o_cost, o_count, lines = self._locals()
                    l_order, l_sku, l_q, l_p, l_c = (column.append for column in lines)
                    sku_of = self.sku_index.get
                head = (cust, placed, cur, chan, status)
                if index is None:
                    if not ext or len(ext) > 200:
                        if ext or "".join(row).strip():
                            count += 1
                            last = line
                            self.row_rejects[line] = self._bad_id(ext)
                        continue
                    index = new_order(ext, head, line)
                elif head != o_raw[index]:
                    reason = self._head_differs(index, head)
                    if reason:
                        bad(index, line, reason)
                        count += 1
                        last = line
                        continue
                count += 1
                last = line
                sku = sku.strip()
                k = sku_of(sku)
                if k is None:
                    k = new_sku(sku, row, line, index)
                    if k < 0:
                        continue
                # The common spellings take the fast path; _number checks the rest.
                try:
                    q = int(qty)
                    if not -q_limit < q < q_limit:
                        raise ValueError
                    qm = q * 1000
                except ValueError:
                    q, qm, reason = _number(qty, "quantity", 3, q_limit)
                    if reason:
                        bad(index, line, reason)
                        continue
                if not qm:
                    bad(index, line, _("quantity: cannot be zero"))
                    continue
                try:
                    p = float(price)
                    pc = round(p * 100)
                    if pc / 100 != p or not -p_limit < p < p_limit:
                        raise ValueError
                except (ValueError, OverflowError):
                    p, pc, reason = _number(price, "unit_price", 2, p_limit)
                    if reason:
                        bad(index, line, reason)
                        continue
                if cost:
                    try:
                        c = float(cost)
                        cc = round(c * 100)
                        if cc / 100 != c or not 0 <= c < p_limit:
                            raise ValueError
                    except (ValueError, OverflowError):
                        c, cc, reason = _number(cost, "unit_cost", 2, p_limit, negative=False)
                        if reason:
                            bad(index, line, reason)
                            continue
                    total_cost = o_cost[index]
                    if total_cost is not None:
                        o_cost[index] = total_cost + qm * cc
                else:
                    c = None
                    o_cost[index] = None
                o_total[index] += qm * pc
                o_count[index] += 1
                l_order(index)
                l_sku(k)
                l_q(q)
                l_p(p)
                l_c(c)
        except csv.Error as exc:
            line = base + previous
            raise CsvFileError(
                _("Line %(line)d: %(error)s") % {"line": line, "error": exc}, line=line
            ) from exc
        if count:
            yield self._close(count, first, last=last, boundary=None)

    def _locals(self) -> tuple:
        self._start()
        return (
            self.index.get,
            self.o_raw,
            self.o_total,
            self.o_cost,
            self.o_count,
            (self.l_order, self.l_sku, self.l_q, self.l_p, self.l_c),
        )

    # -- the slow paths ----------------------------------------------------------------------

    def _bad(self, index: int, line: int, reason: str) -> None:
        self.bad.setdefault(index, {})[line] = reason

    @staticmethod
    def _bad_id(ext: str) -> str:
        if not ext:
            return _(
                "external_id: each line needs its order's external_id, so that importing "
                "the file again updates the order instead of adding it twice"
            )
        return too_long("external_id", 200, ext)

    def _new_order(self, ext: str, head: tuple, line: int) -> int:
        index = len(self.o_rows)
        self.index[ext] = index
        self.o_raw.append(head)
        self.o_total.append(0)
        self.o_cost.append(0)
        self.o_count.append(0)
        cust, placed, cur, chan, status = head
        customer, channel = cust.strip(), chan.strip()
        code, state = self.currencies.get(cur), self.statuses.get(status)
        # The common export: a UTC moment written as 2024-03-31T14:05:09Z, checked by
        # fromisoformat and turned into the database's text without arithmetic.
        if len(placed) == 20 and placed[10] == "T" and placed[19] == "Z":
            try:
                dt.datetime.fromisoformat(placed)
                moment: Any = f"{placed[:10]} {placed[11:19]}"
                if moment > self.future_text:
                    moment = None
                elif not self.ctx.sqlite:
                    moment += "+00:00"
            except ValueError:
                moment = None
        else:
            moment = None
        if (
            moment is not None
            and customer
            and len(customer) <= 200
            and type(code) is str
            and type(state) is str
            and len(channel) <= 40
        ):
            self.o_rows.append((ext, customer, moment, code, channel, state))
            return index
        values, reasons = self._head(head)
        if reasons:
            self._bad(index, line, "; ".join(reasons))
        self.o_rows.append((ext, *values))
        return index

    def _head(self, raw: tuple) -> tuple[tuple, list[str]]:
        customer, placed, currency, channel, status = (v.strip() for v in raw)
        reasons = []
        if not customer:
            reasons.append(_("customer_external_id: required"))
        elif len(customer) > 200:
            reasons.append(too_long("customer_external_id", 200, customer))
        moment = self._placed(placed)
        if isinstance(moment, Exception):
            reasons.append(str(moment))
            moment = ""
        code = self.currencies.get(currency)
        if code is None:
            try:
                code = currency_clean(currency or self.ctx.default_currency)
            except ValidationFailed as exc:
                code = ValueError(f"currency: {exc.message}")
            self.currencies[currency] = code
        if isinstance(code, Exception):
            reasons.append(str(code))
            code = ""
        if len(channel) > 40:
            reasons.append(too_long("channel", 40, channel))
        state = self.statuses.get(status)
        if state is None:
            state = status.lower() or Order.Status.COMPLETED.value
            if state not in STATUSES:
                state = ValueError(
                    _("status: “%(value)s” is not one of %(choices)s")
                    % {"value": status, "choices": ", ".join(Order.Status.values)}
                )
            self.statuses[status] = state
        if isinstance(state, Exception):
            reasons.append(str(state))
            state = ""
        return (customer, moment, code, channel, state), reasons

    def _placed(self, text: str) -> str | Exception:
        return moment_text(text, "placed_at", self.future_text, sqlite=self.ctx.sqlite)

    def _head_differs(self, index: int, raw: tuple) -> str:
        first = self.o_raw[index]
        for name, mine, theirs in zip(HEAD_COLUMNS, raw, first, strict=True):
            if mine.strip() != theirs.strip():
                return _(
                    "%(column)s: “%(value)s” differs from the first line of the same order "
                    "(“%(first)s”)"
                ) % {"column": name, "value": mine.strip(), "first": theirs.strip()}
        return ""

    def _new_sku(self, sku: str, row: list[str], line: int, index: int) -> int:
        if not sku or len(sku) > 100:
            self._bad(index, line, _("sku: required") if not sku else too_long("sku", 100, sku))
            return -1
        name, category = (v.strip() for v in self.get_product(row))
        if len(name) > 255:
            self._bad(index, line, too_long("product_name", 255, name))
            return -1
        if len(category) > 120:
            self._bad(index, line, too_long("category", 120, category))
            return -1
        k = len(self.skus)
        self.sku_index[sku] = k
        self.skus.append(sku)
        self.infos.append((name or sku, category))
        return k

    # -- batches ------------------------------------------------------------------------------

    def _close(self, count: int, first: int, *, last: int, boundary: int | None) -> tuple:
        bad = self.bad
        o_count = self.o_count
        if self.o_rows:
            columns = zip(*self.o_rows, strict=True)
            o_ext, o_cust, o_placed, o_cur, o_chan, o_status = map(list, columns)
        else:
            o_ext = o_cust = o_placed = o_cur = o_chan = o_status = []
        # In cents, rounded half to even: (t + 500) // 1000 rounds half up, and
        # t % 2000 == 500 is a half whose lower cent is even.
        totals = [(t + 500) // 1000 - (t % 2000 == 500) for t in self.o_total]
        costs = [None if t is None else (t + 500) // 1000 - (t % 2000 == 500) for t in self.o_cost]
        if 0 in o_count or (totals and max(map(abs, totals)) >= TOTAL_LIMIT_CENTS):
            for index, cents in enumerate(totals):
                if not o_count[index]:
                    bad.setdefault(index, {})
                elif abs(cents) >= TOTAL_LIMIT_CENTS:
                    self._bad(index, first, _("unit_price: the order's total is too large"))
        orders = [
            o_ext,
            o_cust,
            o_placed,
            o_cur,
            o_chan,
            o_status,
            array("d", [c / 100 for c in totals]),
            [None if c is None else c / 100 for c in costs],
            array("q", o_count),
        ]
        lines = [self.l_order, self.l_sku, self.l_q, self.l_p, self.l_c]
        rejected: dict[str, Any] = {o_ext[i]: reasons for i, reasons in bad.items()}
        if bad:
            orders, lines = self._without(bad, orders, lines)
        payload = (orders, lines, self.skus, self.infos, rejected, self.row_rejects)
        return payload, count, first, last, boundary

    @staticmethod
    def _without(bad: dict[int, Any], orders: list[list], lines: list[list]) -> tuple:
        """The columns without the rejected orders and their lines."""
        n = len(orders[0])
        remap = [-1] * n
        kept = [i for i in range(n) if i not in bad]
        for new, old in enumerate(kept):
            remap[old] = new
        orders = [[column[i] for i in kept] for column in orders]
        keep_lines = [j for j, i in enumerate(lines[0]) if remap[i] >= 0]
        order_column = [remap[lines[0][j]] for j in keep_lines]
        lines = [order_column, *([column[j] for j in keep_lines] for column in lines[1:])]
        return orders, lines


# --- Writing (this process) ------------------------------------------------------------------


class OrderWriter:
    def __init__(self, ctx: ImportContext, report: ImportReport, reject: RejectSink) -> None:
        self.ctx = ctx
        self.report = report
        self.reject = reject
        self.sql = Sql()
        self.system = ctx.options.system
        self.products: dict[str, int] = dict(Product.objects.values_list("sku", "id"))
        self.check_products = False  # set when SQLite does not check foreign keys
        self.customers = CustomerLookup(self.system)
        self.ext_column = 0
        self._hidden: set[int] = set()

    def write(self, batch: Batch) -> None:
        counts: dict[str, int] = {}
        rejected: dict[str, str] = {}  # external_id -> reason
        created_products: dict[str, int] = {}
        payload = batch.payload

        def work() -> None:
            rejected.clear()
            created_products.clear()
            counts.clear()
            counts.update(self._write(payload, batch, rejected, created_products))

        try:
            in_batch_transaction(work, dry_run=self.ctx.options.dry_run)
        except DatabaseError as exc:
            self._reject_rows(
                batch, payload[4], payload[5], everything=database_refused(batch, exc)
            )
            return
        if not self.ctx.options.dry_run:
            self.products.update(created_products)
        if payload[4] or payload[5] or rejected:
            self._reject_rows(batch, {**payload[4], **rejected}, payload[5])
        report = self.report
        report.created += counts["created"]
        report.updated += counts["updated"]
        report.unchanged += counts["unchanged"]
        report.count("lines", counts["lines"])
        report.count("products_created", counts["products_created"])

    def finish(self) -> None:
        pass

    # -- one batch ----------------------------------------------------------------------------

    def _write(
        self, payload: tuple, batch: Batch, rejected: dict[str, str], created: dict[str, int]
    ) -> dict[str, int]:
        orders, lines, skus, infos = payload[:4]
        o_ext, o_cust, o_placed, o_cur, o_chan, o_status, o_total, o_cost, o_count = orders
        l_order, l_sku, l_q, l_p, l_c = lines
        ctx, sql = self.ctx, self.sql
        run = ctx.run_id
        now = ctx.db_datetime(timezone.now())
        n = len(o_ext)
        others = ctx.others_wrote()
        cids, unknown, gone = self.customers.resolve(sql, o_cust, check=others)
        hidden = self._hidden = ctx.hidden_customers(sql, [c for c in cids if c is not None])
        known = {
            row[1]: row
            for row in sql.query_in(
                "SELECT id, external_id, customer_id, import_run, placed_at, currency, "
                "channel, status FROM commerce_order WHERE external_id IN {values}",
                o_ext,
            )
        }
        order_ids: list[int] = [0] * n
        new: list[int] = []
        replace: list[int] = []
        continuing: list[int] = []
        all_new = not known and not hidden and not gone and not unknown
        if not all_new:
            for index in range(n):
                reason = self._classify(index, orders, cids[index], hidden | gone, known, run)
                if reason:
                    rejected[o_ext[index]] = reason
                    continue
                stored = known.get(o_ext[index])
                if stored is None:
                    new.append(index)
                elif stored[3] == run:
                    continuing.append(index)
                else:
                    replace.append(index)
        used = [skus[k] for k in set(l_sku)]
        product_ids = self._products(used, skus, infos, created, check=others)
        pids = [product_ids.get(s, 0) for s in skus]
        counts = {"created": 0, "updated": 0, "unchanged": 0, "lines": 0}
        counts["products_created"] = len(created)
        if replace or continuing:
            counts["unchanged"], counts["updated"] = self._stored(
                orders, lines, pids, known, replace, continuing, order_ids, now
            )
        if all_new:
            ids = reserve_ids(Order, n)
            order_ids = ids
            rows: Any = zip(
                ids,
                o_ext,
                cids,
                o_placed,
                o_cur,
                o_chan,
                o_status,
                o_total,
                o_cost,
                o_count,
                strict=True,
            )
            counts["created"] = n
        else:
            ids = reserve_ids(Order, len(new))
            rows = []
            for index, pk in zip(new, ids, strict=True):
                order_ids[index] = pk
                rows.append(
                    (
                        pk,
                        o_ext[index],
                        cids[index],
                        o_placed[index],
                        o_cur[index],
                        o_chan[index],
                        o_status[index],
                        o_total[index],
                        o_cost[index],
                        o_count[index],
                    )
                )
            counts["created"] = len(new)
        constants = {"import_run": run, "created_at": now, "updated_at": now}
        sql.insert(Order, ORDER_FIELDS, rows, constants=constants)
        if all_new or all(order_ids):
            line_rows: Any = zip(
                map(order_ids.__getitem__, l_order),
                map(pids.__getitem__, l_sku),
                l_q,
                l_p,
                l_c,
                strict=True,
            )
            counts["lines"] = len(l_q)
        else:
            line_rows = [
                (order_ids[i], pids[k], q, p, c)
                for i, k, q, p, c in zip(l_order, l_sku, l_q, l_p, l_c, strict=True)
                if order_ids[i]
            ]
            counts["lines"] = len(line_rows)
        sql.insert(OrderLine, LINE_FIELDS, line_rows)
        if counts["created"] or counts["updated"] or counts["lines"]:
            self._audit(batch, counts)
        return counts

    def _classify(
        self,
        index: int,
        orders: list[list],
        customer_id: int | None,
        refused: set[int],
        known: dict[str, tuple],
        run: str,
    ) -> str:
        """Why the order at `index` cannot be written, or ""."""
        ext = orders[0][index]
        if customer_id is None:
            return _(
                "customer_external_id: no customer has the id “%(value)s” (in system “%(system)s”)"
            ) % {"value": orders[1][index], "system": self.system}
        if customer_id in refused:
            if customer_id in self._hidden:
                return _("customer_external_id: this customer belongs to a team you are not in")
            return _(
                "customer_external_id: the customer was deleted or merged while the file was "
                "being imported; import the file again"
            )
        stored = known.get(ext)
        if stored is None:
            return ""
        if stored[2] != customer_id:
            return _("external_id: order %(id)s belongs to another customer") % {"id": ext}
        if stored[3] == run:
            return self._head_differs(orders, index, stored, earlier=True)
        return ""

    def _head_differs(
        self, orders: list[list], index: int, stored: tuple, *, earlier: bool = False
    ) -> str:
        placed = stored[4]
        if not isinstance(placed, str):
            placed = self.ctx.db_datetime(placed)
        for name, mine, theirs in (
            ("placed_at", orders[2][index], placed),
            ("currency", orders[3][index], stored[5]),
            ("channel", orders[4][index], stored[6]),
            ("status", orders[5][index], stored[7]),
        ):
            if mine != theirs:
                if not earlier:
                    return name
                return _(
                    "%(column)s: “%(value)s” differs from the same order in an earlier batch "
                    "of this import (“%(stored)s”)"
                ) % {"column": name, "value": mine, "stored": theirs}
        return ""

    def _stored(
        self,
        orders: list[list],
        lines: list[list],
        pids: list[int],
        known: dict[str, tuple],
        replace: list[int],
        continuing: list[int],
        order_ids: list[int],
        now: str,
    ) -> tuple[int, int]:
        """Write the orders already stored: those this run meets for the first time are
        left alone when the file gives them as stored, else their lines are replaced;
        those an earlier batch of this run wrote get the lines added. Returns
        (unchanged, updated)."""
        sql, run = self.sql, self.ctx.run_id
        o_ext = orders[0]
        pk_of = {index: known[o_ext[index]][0] for index in (*replace, *continuing)}
        stored = self._stored_lines(list(pk_of.values()))
        # The lines of the orders to compare, flat, in file order; a file imported again
        # gives them in the order they were stored in (that of the ids), so one list
        # comparison usually settles the whole batch.
        replace_pk = [0] * len(o_ext)
        for index in replace:
            replace_pk[index] = pk_of[index]
        flat = [
            (replace_pk[i], pids[k], q, p, c)
            for i, k, q, p, c in zip(*lines, strict=True)
            if replace_pk[i]
        ]
        replaced = {replace_pk[i] for i in replace}
        stored_replaced = [r for r in stored if r[0] in replaced] if continuing else stored
        heads_same = [not self._head_differs(orders, i, known[o_ext[i]]) for i in replace]
        unchanged, changed = [], []
        if all(heads_same) and flat == stored_replaced:
            unchanged = [pk_of[i] for i in replace]
        else:
            mine, theirs = _by_order(flat), _by_order(stored_replaced)
            for index, same_head in zip(replace, heads_same, strict=True):
                pk = pk_of[index]
                if same_head and Counter(mine.get(pk, ())) == Counter(theirs.get(pk, ())):
                    unchanged.append(pk)
                else:
                    changed.append(index)
        sql.execute_in(
            "UPDATE commerce_order SET import_run = %s WHERE id IN {values}", unchanged, [run]
        )
        if changed:
            ids = [pk_of[i] for i in changed]
            sql.execute_in("DELETE FROM commerce_orderline WHERE order_id IN {values}", ids)
            updates = []
            for index in changed:
                order_ids[index] = pk_of[index]
                updates.append((*(orders[c][index] for c in range(2, 9)), run, now, pk_of[index]))
            sql.executemany(
                "UPDATE commerce_order SET placed_at = %s, currency = %s, channel = %s, "
                "status = %s, total_amount = %s, total_cost = %s, line_count = %s, "
                "import_run = %s, updated_at = %s WHERE id = %s",
                updates,
            )
        updates = []
        if continuing:
            stored_of = _by_order(stored)
            added: dict[int, list[tuple]] = defaultdict(list)
            wanted = set(continuing)
            for i, k, q, p, c in zip(*lines, strict=True):
                if i in wanted:
                    added[i].append((pk_of[i], pids[k], q, p, c))
        for index in continuing:
            pk = order_ids[index] = pk_of[index]
            total, cost, count = 0, 0, 0
            for _pk, _product, q, p, c in (*stored_of.get(pk, ()), *added[index]):
                quantity, price = _units(q, 3), _units(p, 2)
                total += quantity * price
                cost = None if cost is None or c is None else cost + quantity * _units(c, 2)
                count += 1
            updates.append(
                (
                    cents_of(total) / 100,
                    None if cost is None else cents_of(cost) / 100,
                    count,
                    now,
                    pk,
                )
            )
        sql.executemany(
            "UPDATE commerce_order SET total_amount = %s, total_cost = %s, line_count = %s, "
            "updated_at = %s WHERE id = %s",
            updates,
        )
        return len(unchanged), len(changed)

    def _products(
        self,
        used: list[str],
        skus: list[str],
        infos: list[tuple[str, str]],
        created: dict[str, int],
        *,
        check: bool,
    ) -> dict[str, int]:
        """SKU -> product id for the SKUs the batch uses: remembered, stored (by someone
        else meanwhile) or created now (remembered once the batch is committed)."""
        ids = self.products
        missing = [s for s in used if s not in ids and s not in created]
        found: dict[str, int] = {}
        if missing:
            found = dict(
                self.sql.query_in(
                    "SELECT sku, id FROM commerce_product WHERE sku IN {values}", missing
                )
            )
            ids.update(found)
            absent = [s for s in missing if s not in found]
            if absent:
                now = self.ctx.db_datetime(timezone.now())
                where = {sku: k for k, sku in enumerate(skus)}
                rows = []
                for sku, pk in zip(absent, reserve_ids(Product, len(absent)), strict=True):
                    name, category = infos[where[sku]]
                    rows.append((pk, sku, name, category))
                    created[sku] = pk
                self.sql.insert(
                    Product,
                    ("id", "sku", "name", "category"),
                    rows,
                    constants={"created_at": now, "updated_at": now},
                )
        if check and self.check_products:
            # Without SQLite's own foreign key checks: a product remembered from an
            # earlier batch must still be there (deleted meanwhile, it is created again).
            cached = list({ids[s] for s in used if s not in created and s not in found})
            present = {
                row[0]
                for row in self.sql.query_in(
                    "SELECT id FROM commerce_product WHERE id IN {values}", cached
                )
            }
            if len(present) < len(cached):
                for sku in used:
                    if sku in ids and sku not in created and ids[sku] not in present:
                        del ids[sku]
                return self._products(used, skus, infos, created, check=False)
        return ids if not created else {**ids, **created}

    def _stored_lines(self, order_ids: list[int]) -> list[tuple]:
        """(order id, product id, quantity, unit price, unit cost) of these orders, in
        the order of their ids, the numbers as the import has them (int or float)."""
        rows = self.sql.query_in(
            "SELECT order_id, product_id, quantity, unit_price, unit_cost "
            "FROM commerce_orderline WHERE order_id IN {values} ORDER BY order_id, id",
            order_ids,
        )
        if self.sql.sqlite:
            return rows  # SQLite holds these decimals as the import wrote them
        return [
            (o, pr, _number_of(q), _number_of(p), None if c is None else _number_of(c))
            for o, pr, q, p, c in rows
        ]

    def _audit(self, batch: Batch, counts: dict[str, int]) -> None:
        audit_batch(
            self.ctx,
            batch,
            TARGET,
            _("order import, lines %(first)d–%(last)d")
            % {"first": batch.first_line, "last": batch.last_line},
            {
                "orders_created": counts["created"],
                "orders_updated": counts["updated"],
                "lines": counts["lines"],
                "products_created": counts["products_created"],
            },
            created=bool(counts["created"]),
        )

    def _reject_rows(
        self,
        batch: Batch,
        orders: dict[str, Any],
        rows: dict[int, str],
        *,
        everything: str = "",
    ) -> None:
        reject_rows(
            batch,
            self.reject,
            self.ext_column,
            orders,
            rows,
            everything=everything,
            sibling=_("order %(order)s: not imported, because its line %(line)d was rejected"),
        )


def _by_order(lines: list[tuple]) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = defaultdict(list)
    for line in lines:
        out[line[0]].append(line)
    return out


def _number_of(value: Decimal) -> int | float:
    """A decimal from PostgreSQL as the import holds it: an int when whole."""
    return int(value) if value == value.to_integral_value() else float(value)


# --- The entry point -------------------------------------------------------------------------


def import_orders(
    stream: BinaryIO,
    *,
    options: ImportOptions | None = None,
    actor: User | None = None,
    rejects_out: IO[str] | None = None,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import order lines from a CSV byte stream; see the module's documentation."""
    ignored = _("Ignored columns (not a column of an order import): %(columns)s")
    deferred = _("The orders table was empty: its list indexes were built once, at the end.")
    return import_csv(KIND, stream, options, actor, rejects_out, progress, ignored, deferred)


def _order_writer(
    ctx: ImportContext, report: ImportReport, sink: RejectSink, *, ext_column: int, checks_off: bool
) -> OrderWriter:
    writer = OrderWriter(ctx, report, sink)
    writer.ext_column = ext_column
    writer.check_products = checks_off
    return writer


# What the engine needs to know of this kind of import.
KIND = ImportKind(Order, COLUMNS, ALIASES, REQUIRED, OrderParser, _order_writer)
