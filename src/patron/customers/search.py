"""Search terms: what a customer can be found by, normalised the same way as the query.

Normalising case-folds and strips accents and other combining marks (Latin accents,
Hebrew niqqud, Arabic harakat), so "jose" finds "José" and any script works. Terms are
matched by prefix through one index (`SearchTerm.term`), which stays fast at a million
customers where a substring scan would not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.db.models import CharField, Lookup

MAX_TERM = 100
_WORD = re.compile(r"\w+", re.UNICODE)
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{5,}$")
_TATWEEL = "\u0640"


def fold(text: str) -> str:
    """Case-folded, without combining marks; whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace(_TATWEEL, "")
    return " ".join(unicodedata.normalize("NFC", stripped).casefold().split())


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def is_phone_like(text: str) -> bool:
    return bool(_PHONE_LIKE.match(text.strip())) and len(digits(text)) >= 5


def name_terms(display_name: str) -> set[str]:
    return {w[:MAX_TERM] for w in _WORD.findall(fold(display_name))}


def value_term(value: str) -> str:
    """An email address or external id, kept whole: searched by its beginning."""
    return fold(value).replace(" ", "")[:MAX_TERM]


def customer_terms(
    *,
    display_name: str,
    phones_national: Iterable[str] = (),
    identifiers: Iterable[str] = (),
) -> set[str]:
    """The words of the name, national phone numbers (without trunk 0) and external ids.
    Emails and full phone numbers are found through ContactPoint.search_value, which
    has an index of its own."""
    terms = name_terms(display_name)
    terms.update(n.lstrip("0")[:MAX_TERM] for n in phones_national if n)
    terms.update(value_term(v) for v in identifiers if v)
    terms.discard("")
    return terms


def query_alternatives(query: str) -> tuple[list[str], list[str]]:
    """(prefixes of which any may match, or else words that must all match as prefixes).

    One word ("ani", "ani@mail.am", "CUST-001") and phone numbers ("+374 91 23",
    "091 23") are matched whole, against names, emails, phones and external ids; several
    words ("ani nor") each against the words of names."""
    if is_phone_like(query):
        number = digits(query)
        return [w for w in dict.fromkeys([number, number.lstrip("0")]) if w], []
    query_words = words(query)
    if len(query.split()) >= 2 and len(query_words) >= 2:
        return [], query_words
    return [value_term(query)], []


def prefix_bound(prefix: str) -> str:
    """The least string greater than every string that starts with `prefix`."""
    return prefix + "\U0010ffff"


@CharField.register_lookup
class Prefix(Lookup):
    """`term__prefix="ab"`: an index range on SQLite (binary order), LIKE 'ab%' on
    PostgreSQL (Django gives indexed text columns a pattern_ops index there)."""

    lookup_name = "prefix"

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = str(self.rhs)
        if connection.vendor == "postgresql":
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return f"{lhs} LIKE %s", [*lhs_params, escaped + "%"]
        return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, value, prefix_bound(value)]
