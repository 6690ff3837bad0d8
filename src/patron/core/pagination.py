"""One page of a list for the web UI, the same shape for every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpRequest

PAGE_SIZES = (25, 50, 100)


@dataclass
class Page:
    items: list[Any]
    number: int
    page_size: int
    count: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def start_index(self) -> int:
        return 0 if self.count == 0 else (self.number - 1) * self.page_size + 1

    @property
    def end_index(self) -> int:
        return min(self.number * self.page_size, self.count)


def paginate(request: HttpRequest, queryset: Any, *, default_size: int = 25) -> Page:
    try:
        size = int(request.GET.get("page_size", default_size))
    except ValueError:
        size = default_size
    size = size if size in PAGE_SIZES else default_size
    paginator = Paginator(queryset, size)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    return Page(list(page.object_list), page.number, size, paginator.count, paginator.num_pages)
