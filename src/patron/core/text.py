"""Text from users, made safe to store and to search with."""

from __future__ import annotations

NUL = "\x00"
MAX_SEARCH_LENGTH = 200


def search_text(query: str | None) -> str:
    """A search box's text: trimmed, bounded, without NUL characters (which no stored text
    contains, and which PostgreSQL refuses in a query)."""
    return (query or "").replace(NUL, "").strip()[:MAX_SEARCH_LENGTH]
