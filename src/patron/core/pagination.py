"""One page of a list for the web UI, the same shape for every list.

Counting every match of a filter over a million rows costs more than showing the page,
so a list may bound its count: past `count_limit` matches the page says "more than N"
and offers the next page for as long as there is one (found by reading one row past the
page), without the number of the last page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

PAGE_SIZES = (25, 50, 100)
MAX_PAGE = 100_000
MAX_BROWSED = 10_000


@dataclass
class Page:
    items: list[Any]
    number: int
    page_size: int
    count: int
    num_pages: int
    # False when `count` is only a lower bound (more than `count` match).
    count_exact: bool = True
    # Known from the count when it is exact; read one row past the page when not.
    has_next: bool | None = None

    def __post_init__(self) -> None:
        if self.has_next is None:
            self.has_next = self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return 0 if not self.items else (self.number - 1) * self.page_size + 1

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.items)


def _matching_ids(queryset: Any, limit: int) -> list[Any]:
    """Up to limit + 1 keys of the rows of `queryset`, in no particular order."""
    return list(queryset.order_by().values_list("pk", flat=True)[: limit + 1])


def _only(queryset: Any, ids: list[Any]) -> Any:
    """The rows of these keys, in the order, with the related rows, of `queryset`: its
    filters were already applied in finding them, and a search's conditions cost more to
    run again than a sort of at most a page-limit of rows. (A fresh query, not the old
    one without its conditions: the joins of a filter would stay and repeat rows.)"""
    narrowed = queryset.model._default_manager.filter(pk__in=ids)
    narrowed.query.select_related = queryset.query.select_related
    narrowed._prefetch_related_lookups = queryset._prefetch_related_lookups
    return narrowed.order_by(*queryset.query.order_by) if queryset.query.order_by else narrowed


def page_number(request: HttpRequest, *, last: int = MAX_PAGE) -> int:
    """The `page` of the query string: a whole number from 1 to `last`, else 1."""
    raw = request.GET.get("page") or "1"
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    return min(int(raw), last) if raw.isdecimal() and int(raw) >= 1 else 1


@dataclass
class LongList:
    """Rows to page through whose count is bounded at `count_limit` (see the module's
    docstring); `long_list` is the same rows planned for reading a page of many."""

    rows: Any
    count_limit: int
    long_list: Any = None


def read_page(rows: Any, *, number: int, size: int, clamp: bool = True) -> tuple[Page, Any]:
    """Page `number` of `rows` (a queryset, a list or a LongList), and the queryset the
    page came from. `clamp`: a number past the end gives the last page (or, when the
    length is not known, the first) instead of an empty one."""
    if isinstance(rows, LongList):
        ids = _matching_ids(rows.rows, rows.count_limit)
        exact = len(ids) <= rows.count_limit
        count = len(ids) if exact else rows.count_limit
        # `is None`, not `or`: the truth of a queryset is its every row, read.
        long_list = rows.rows if rows.long_list is None else rows.long_list
        source = _only(rows.rows, ids) if exact else long_list
    else:
        count, exact = (len(rows) if isinstance(rows, list) else rows.count()), True
        source = rows
    num_pages = max(1, math.ceil(count / size))
    if clamp:
        # A list whose length is not known is browsed to MAX_BROWSED rows at most: deeper
        # offsets would read most of the table for each page.
        number = min(number, num_pages if exact else max(1, MAX_BROWSED // size))
    start = (number - 1) * size
    found = list(source[start : start + size + 1])
    if clamp and not found and number > 1:
        # Past the end of a list whose length is not known: back to the first page.
        number, start = 1, 0
        found = list(source[: size + 1])
    page = Page(found[:size], number, size, count, num_pages, exact, len(found) > size)
    return page, source


def paginate(
    request: HttpRequest,
    queryset: Any,
    *,
    default_size: int = 25,
    count_limit: int | None = None,
    long_list: Any = None,
) -> Page:
    """One page of `queryset` for the web UI, from the query string's `page` and
    `page_size`. With `count_limit`, see LongList."""
    try:
        size = int(request.GET.get("page_size", default_size))
    except ValueError:
        size = default_size
    size = size if size in PAGE_SIZES else default_size
    rows = queryset if count_limit is None else LongList(queryset, count_limit, long_list)
    return read_page(rows, number=page_number(request), size=size)[0]
