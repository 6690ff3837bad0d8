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


def paginate(
    request: HttpRequest,
    queryset: Any,
    *,
    default_size: int = 25,
    count_limit: int | None = None,
    long_list: Any = None,
) -> Page:
    """One page of `queryset`. `long_list`: the same rows as a queryset planned for
    reading a page of many (see visibility.visible_to), used past `count_limit`."""
    try:
        size = int(request.GET.get("page_size", default_size))
    except ValueError:
        size = default_size
    size = size if size in PAGE_SIZES else default_size
    if count_limit is None:
        count, exact = (len(queryset) if isinstance(queryset, list) else queryset.count()), True
    else:
        ids = _matching_ids(queryset, count_limit)
        count, exact = (count_limit, False) if len(ids) > count_limit else (len(ids), True)
        if exact:
            queryset = _only(queryset, ids)
        elif long_list is not None:
            queryset = long_list
    num_pages = max(1, math.ceil(count / size))
    # A list whose length is not known is browsed to MAX_BROWSED rows at most: deeper
    # offsets would read most of the table for each page.
    number = page_number(request, last=num_pages if exact else MAX_BROWSED // size)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    if not rows and number > 1:
        # Past the end of a list whose length is not known: back to the first page.
        number, start = 1, 0
        rows = list(queryset[: size + 1])
    return Page(rows[:size], number, size, count, num_pages, exact, len(rows) > size)
