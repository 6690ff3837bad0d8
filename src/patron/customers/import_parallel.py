"""Checking import rows on several cores while the main process writes.

Checking a row (phone and email rules, dates, names) costs about as much as writing it.
A large import forks worker processes that check chunks of rows while the main process
(with the command's own database connection and transaction) writes the previous batch.
Rows travel as plain tuples, which pickle cheaply; the main process keeps a bounded
window of chunks in flight, so memory stays flat whatever the file's size. Workers
never touch the database: they inherit what they need (users, teams, custom fields) at
the fork.

(Threads do not help here: the database driver releases the interpreter lock for a few
microseconds per row, and the checking thread would hold it for milliseconds.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patron.customers.importing import ParsedRow, _Context

CHUNK_ROWS = 1000
WINDOW_PER_WORKER = 4

# Set in the parent just before the fork; each worker inherits its own copy.
_WORKER_CONTEXT: _Context | None = None

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


def _field_names() -> tuple[str, ...]:
    from patron.customers.importing import ParsedRow

    return tuple(f.name for f in dataclasses.fields(ParsedRow))


def _parse_chunk_in_worker(chunk: list[tuple[int, list[str]]]) -> list[tuple]:
    names = _field_names()
    return [
        item if isinstance(item, tuple) else (None, *(getattr(item, n) for n in names))
        for item in _parse_chunk(_WORKER_CONTEXT, chunk)
    ]


def _chunks(rows: Iterable[tuple[int, list[str]]]) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _worker(connection: Any) -> None:
    """A worker's loop: receive a chunk, send back its rows checked; None ends it.

    A thread of the worker takes chunks off the pipe as soon as they arrive. Without it
    the worker, blocked sending a large result that the parent has not read yet, would
    stop reading, and the parent, blocked sending the next chunk of its window, would
    never read: both ends of the pipe full, both waiting (a deadlock seen at 100k rows).
    The parent bounds the window, so the queue stays small."""
    chunks: queue.SimpleQueue = queue.SimpleQueue()

    def take() -> None:
        try:
            while (chunk := connection.recv()) is not None:
                chunks.put(chunk)
        except (EOFError, OSError):
            pass  # the parent is gone (killed, say): end the worker too
        finally:
            chunks.put(None)

    threading.Thread(target=take, daemon=True).start()
    while (chunk := chunks.get()) is not None:
        connection.send(_parse_chunk_in_worker(chunk))
    connection.close()


def parsed_rows(
    rows: Iterable[tuple[int, list[str]]], ctx: _Context, *, workers: int = 1
) -> Iterator[ParsedRow | tuple[int, str, list[str]]]:
    """Every row of `rows`, checked, in file order."""
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in _chunks(rows):
            yield from _parse_chunk(ctx, chunk)
        return
    from patron.customers.importing import ParsedRow

    global _WORKER_CONTEXT
    _WORKER_CONTEXT = ctx
    fork = multiprocessing.get_context("fork")
    # Plain pipes read by this thread only: a pool's helper threads would compete with
    # the writing thread for the interpreter lock on every database call.
    pipes, processes = [], []
    for _n in range(workers):
        here, there = fork.Pipe()
        process = fork.Process(target=_worker, args=(there,), daemon=True)
        process.start()
        there.close()
        pipes.append(here)
        processes.append(process)
    in_flight: deque = deque()  # the pipe each sent chunk went to, in file order

    def receive() -> Iterator[Any]:
        for item in in_flight.popleft().recv():
            yield item if item[0] is not None else ParsedRow(*item[1:])

    try:
        for number, chunk in enumerate(_chunks(rows)):
            pipe = pipes[number % workers]
            pipe.send(chunk)
            in_flight.append(pipe)
            if len(in_flight) >= WINDOW_PER_WORKER * workers:
                yield from receive()
        while in_flight:
            yield from receive()
    finally:
        for pipe in pipes:
            with contextlib.suppress(BrokenPipeError, OSError):
                pipe.send(None)
            pipe.close()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
