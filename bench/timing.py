"""Timing one page or API request the way the benches report it: a warm-up, the queries
of one request, then p50 and p95 over repeated requests."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    status: int
    median_ms: float = 0.0
    p95_ms: float = 0.0
    queries: int = 0

    def row(self, label: str) -> str:
        if self.status != 200:
            return f"{label:36} HTTP {self.status}"
        return f"{label:36} {self.median_ms:8.1f} {self.p95_ms:8.1f} {self.queries:8}"


HEADER = f"{'request':36} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}"


def time_request(client: Any, path: str, headers: dict[str, str], repeat: int) -> Timing:
    from django.db import connection

    response = client.get(path, **headers)  # warm-up
    if response.status_code != 200:
        return Timing(response.status_code)
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(path, **headers)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(path, **headers)
        timings.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
    return Timing(200, statistics.median(timings), p95, len(queries))
