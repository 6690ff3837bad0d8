"""Checking import rows while the previous batch is being written.

Checking a row (phone and email rules, dates, names) costs about as much Python time as
writing it costs database time. The database engine releases the interpreter lock while
it works, so a reader thread reads and checks the next rows meanwhile; the main thread
(with the request's or command's own database connection and transaction) writes. The
queue between them is bounded, so memory stays flat whatever the file's size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patron.customers.importing import ParsedRow, _Context

CHUNK_ROWS = 1000
QUEUE_CHUNKS = 8
_DONE = object()

Parsed = Any  # ParsedRow, or (line, reason, raw row) for a rejected row


def _parse_chunk(ctx: _Context, chunk: list[tuple[int, list[str]]]) -> list[Parsed]:
    from patron.customers.importing import _Rejected, parse_row

    out: list[Parsed] = []
    for line, row in chunk:
        try:
            out.append(parse_row(ctx, line, row))
        except _Rejected as exc:
            out.append((line, str(exc), row))
    return out


def _chunks(rows: Iterable[tuple[int, list[str]]]) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def parsed_rows(
    rows: Iterable[tuple[int, list[str]]], ctx: _Context, *, background: bool = False
) -> Iterator[ParsedRow | tuple[int, str, list[str]]]:
    """Every row of `rows`, checked, in file order; with `background`, read and checked
    by a thread ahead of the caller."""
    if not background:
        for chunk in _chunks(rows):
            yield from _parse_chunk(ctx, chunk)
        return
    results: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in _chunks(rows):
                if stop.is_set():
                    return
                results.put(_parse_chunk(ctx, chunk))
            results.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            results.put(exc)

    reader = threading.Thread(target=produce, name="import-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = results.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting on a full queue
            try:
                results.get_nowait()
            except queue.Empty:
                reader.join(timeout=0.05)
