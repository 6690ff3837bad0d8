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
    folded = fold(display_name)
    terms = {w[:MAX_TERM] for w in _WORD.findall(folded)}
    if folded:
        terms.add(folded[:MAX_TERM])
    return terms


def phone_terms(e164: str, national_digits: str = "") -> set[str]:
    """E.164 digits and the national number (with and without a trunk 0), so a number is
    found however a user types it."""
    terms = {digits(e164)}
    if national_digits:
        terms.add(national_digits)
        terms.add(national_digits.lstrip("0"))
    return {t[:MAX_TERM] for t in terms if t}


def value_term(value: str) -> str:
    """An email address or external id, kept whole: searched by its beginning."""
    return fold(value).replace(" ", "")[:MAX_TERM]


def customer_terms(
    *,
    display_name: str,
    emails: Iterable[str] = (),
    phones: Iterable[tuple[str, str]] = (),
    identifiers: Iterable[str] = (),
) -> set[str]:
    terms = name_terms(display_name)
    terms.update(value_term(e) for e in emails if e)
    for e164, national in phones:
        terms.update(phone_terms(e164, national))
    terms.update(value_term(v) for v in identifiers if v)
    terms.discard("")
    return terms


def query_alternatives(query: str) -> tuple[list[str], list[str]]:
    """(whole-query prefixes, any of which may match; the query's words, which must all
    match as prefixes). A phone-like query also tries its digits, with and without the
    trunk 0, against the phone terms."""
    whole = [value_term(query)]
    if is_phone_like(query):
        number = digits(query)
        whole += [number, number.lstrip("0")]
    query_words = words(query)
    if len(query_words) < 2:
        query_words = []  # one word is already covered by the whole-query prefix
    return [w for w in dict.fromkeys(whole) if w], query_words


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
