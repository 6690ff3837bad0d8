"""Likely duplicate customers, found with bounded, set-based work.

The rule (what the duplicates page and `duplicates_of` propose):

- **Same email or phone.** Contact points of the same kind whose `search_value` (the
  normalised form) is equal, found by GROUP BY on it. A value shared by more than
  MAX_GROUP customers (a switchboard, a shared mailbox) is not taken as evidence.
- **Similar name in the same place.** Names are compared with rapidfuzz's
  `token_sort_ratio` on folded names (case, accents and word order ignored); a pair
  counts when the ratio is at least NAME_MIN. Only customers that share a *block* are
  compared, never all pairs. The blocks, each a GROUP BY in SQL:
  - people of the same city with the same family name and given-name initial, or the
    same given name and family-name initial (one typo in either name);
  - organizations of the same city whose names start with the same four letters;
  - the same, with the city of a postal address;
  - people of the same organization whose family names start with the same two letters;
  - the same whole name (case aside) anywhere.
  A block larger than MAX_BLOCK (a common name in a capital) is too common to say
  anything and is skipped.
- Only customers of the same kind are paired (a person is never merged into an
  organization), only among the customers the viewer can see, and pairs someone
  dismissed as "not a duplicate" are left out.

Scores run from 0 to 100, topped up by the name similarity `s`: a shared email scores
70 + 0.3·s, a shared phone 60 + 0.3·s (phones are shared by households), both
75 + 0.25·s; a similar name scores s less 5 in the same organization, less 10 in the
same city or with the same whole name elsewhere. The best of these is the score.

Each rule examines at most MAX_BLOCKS blocks of at most MAX_BLOCK customers, so a request
costs about ten grouped queries and a bounded number of name comparisons whatever the number
of customers; merging pairs lets the next ones surface.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Aggregate, CharField, Count, F, Q, QuerySet
from django.db.models.functions import Lower, Substr
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

from patron.core.errors import NotFound
from patron.core.relations import customer_relations
from patron.core.visibility import can_read, visible_through, visible_to
from patron.customers.models import (
    ContactPoint,
    Customer,
    DuplicateDismissal,
    Membership,
    SearchTerm,
)
from patron.customers.search import fold, words

if TYPE_CHECKING:
    from patron.accounts.models import User

MAX_GROUP = 10  # customers sharing one email or phone
MAX_BLOCK = 20  # customers in one name block
MAX_BLOCKS = 1000  # blocks (or shared values) examined per rule and request
MAX_CANDIDATES = 500  # customers examined by duplicates_of
NAME_MIN = 85  # the least name similarity that counts on its own
MIN_SCORE = 60
CHUNK = 500  # ids per IN (...) list: well under SQLite's limit of bound variables

REASONS = {
    "same_email": _("Same email"),
    "same_phone": _("Same phone"),
    "similar_name": _("Similar name"),
    "same_name": _("Same name"),
    "same_city": _("Same city"),
    "same_organization": _("Same organization"),
}


@dataclass
class DuplicatePair:
    first: Customer  # the older record (smaller id), proposed as the one to keep
    second: Customer
    score: int
    reasons: list[str]
    name_similarity: int = 0

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[r]) for r in self.reasons]


@dataclass
class DuplicateResult:
    pairs: list[DuplicatePair]
    count: int  # pairs found in all (within the caps), for pagination


Pairs = dict[tuple[int, int], set[str]]


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _visible(viewer: User, prefix: str) -> Q:
    """A filter on `prefix` (a path to a customer) keeping customers `viewer` can read."""
    return visible_through(viewer, prefix)


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# --- Candidate pairs ----------------------------------------------------------------------


class IdList(Aggregate):
    """The ids of a group as one comma-separated text (GROUP_CONCAT / STRING_AGG), so a
    block and its members come back from one GROUP BY."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s((%(expressions)s)::text, ',')",
            **extra,
        )


def _group_pairs(
    pairs: Pairs,
    rows: QuerySet,
    keys: dict[str, Any],
    id_field: str,
    reason: str,
    largest: int | None = None,
) -> None:
    """Every pair within each group of `rows` sharing all `keys`, for groups of 2 to
    `largest` (MAX_BLOCK) customers; at most MAX_BLOCKS groups, the smallest first."""
    names = list(keys)
    groups = (
        rows.order_by()
        .annotate(**keys)
        .values(*names)
        .annotate(n=Count(id_field, distinct=True), ids=IdList(id_field))
        .filter(n__gte=2, n__lte=largest or MAX_BLOCK)
        .order_by("n", *names)
        .values_list("ids", flat=True)[:MAX_BLOCKS]
    )
    for ids in groups:
        members = sorted({int(i) for i in ids.split(",")})
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.setdefault((a, b), set()).add(reason)


def _contact_pairs(viewer: User, pairs: Pairs) -> None:
    """Pairs sharing an email or a phone (GROUP BY on the normalised value)."""
    points = ContactPoint.objects.filter(_visible(viewer, "customer")).exclude(search_value="")
    for kind in ("email", "phone"):
        _group_pairs(
            pairs,
            points.filter(kind=kind),
            {"shared": F("search_value")},
            "customer_id",
            f"same_{kind}",
            largest=MAX_GROUP,
        )


def _initial(path: str, length: int = 1) -> Lower:
    return Lower(Substr(path, 1, length))


def _place_blocks(pairs: Pairs, rows: QuerySet, prefix: str, id_field: str) -> None:
    """The same-city blocks over `rows` (customers, or addresses with `prefix`
    "customer__"), whose `city` is set."""
    kind, place = f"{prefix}kind", Lower("city")
    people = rows.filter(**{kind: Customer.Kind.PERSON})
    # One typo in the given name, then one in the family name.
    by_family = {
        "family": Lower(f"{prefix}family_name"),
        "initial": _initial(f"{prefix}given_name"),
        "place": place,
    }
    _group_pairs(pairs, people, by_family, id_field, "same_city")
    by_given = {
        "given": Lower(f"{prefix}given_name"),
        "initial": _initial(f"{prefix}family_name"),
        "place": place,
    }
    _group_pairs(pairs, people, by_given, id_field, "same_city")
    organizations = rows.filter(**{kind: Customer.Kind.ORGANIZATION})
    by_start = {"start": _initial(f"{prefix}organization_name", 4), "place": place}
    _group_pairs(pairs, organizations, by_start, id_field, "same_city")


def _name_pairs(viewer: User, pairs: Pairs) -> None:
    """Candidates for a name comparison: the blocks of the module docstring."""
    customers = visible_to(viewer, Customer.objects.all())
    _place_blocks(pairs, customers.exclude(city=""), "", "pk")
    addresses = ContactPoint.objects.filter(
        _visible(viewer, "customer"), kind=ContactPoint.Kind.ADDRESS, city__gt=""
    )
    if addresses.exists():
        _place_blocks(pairs, addresses, "customer__", "customer_id")
    memberships = Membership.objects.filter(_visible(viewer, "person"))
    if memberships.exists():
        member_keys = {"org": F("organization_id"), "initial": _initial("person__family_name", 2)}
        _group_pairs(pairs, memberships, member_keys, "person_id", "same_organization")
    same_name = {"same_kind": F("kind"), "name": Lower("display_name")}
    _group_pairs(pairs, customers, same_name, "pk", "same_name")


# --- Scoring ------------------------------------------------------------------------------


def name_similarity(a: str, b: str) -> int:
    """From 0 to 100: how alike two names are, ignoring case, accents and word order."""
    return round(fuzz.token_sort_ratio(fold(a), fold(b)))


def score_of(reasons: set[str], similarity: int) -> int:
    """The documented score (module docstring) of a pair with these reasons."""
    scores = [0]
    email, phone = "same_email" in reasons, "same_phone" in reasons
    if email and phone:
        scores.append(75 + round(similarity * 0.25))
    elif email or phone:
        scores.append((70 if email else 60) + round(similarity * 0.3))
    if similarity >= NAME_MIN:
        if "same_organization" in reasons:
            scores.append(similarity - 5)
        if reasons & {"same_city", "same_name"}:
            scores.append(similarity - 10)
    return max(scores)


def _final_reasons(reasons: set[str], similarity: int) -> list[str]:
    shown = [r for r in ("same_email", "same_phone") if r in reasons]
    if similarity >= NAME_MIN:
        if "same_name" in reasons:
            shown.append("same_name")
        else:
            shown.append("similar_name")
        shown += [r for r in ("same_organization", "same_city") if r in reasons]
    return shown


def _names(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    names: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        for pk, kind, name in Customer.objects.filter(pk__in=chunk).values_list(
            "pk", "kind", "display_name"
        ):
            names[pk] = (kind, name)
    return names


def _dismissed(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    pairs = set(pairs)
    firsts = sorted({a for a, _b in pairs})
    found: set[tuple[int, int]] = set()
    for chunk in _chunks(firsts):
        found.update(
            DuplicateDismissal.objects.filter(first_id__in=chunk).values_list(
                "first_id", "second_id"
            )
        )
    return found & pairs


def _scored(pairs: Pairs, min_score: int) -> list[tuple[int, int, int, list[str], int]]:
    """(first, second, score, reasons, similarity) of the pairs that reach `min_score`,
    best first. Pairs of different kinds (person and organization) are left out."""
    names = _names({i for pair in pairs for i in pair})
    scored = []
    for (a, b), reasons in pairs.items():
        if a not in names or b not in names or names[a][0] != names[b][0]:
            continue
        similarity = name_similarity(names[a][1], names[b][1])
        if similarity == 100:
            reasons = {*reasons, "same_name"}  # the same words, whatever the case or order
        score = score_of(reasons, similarity)
        if score >= min_score:
            scored.append((a, b, score, _final_reasons(reasons, similarity), similarity))
    dismissed = _dismissed((a, b) for a, b, *_rest in scored)
    scored = [row for row in scored if (row[0], row[1]) not in dismissed]
    scored.sort(key=lambda row: (-row[2], row[0], row[1]))
    return scored


def _load(rows: list[tuple[int, int, int, list[str], int]]) -> list[DuplicatePair]:
    ids = {i for row in rows for i in row[:2]}
    customers = Customer.objects.select_related("owner", "team").in_bulk(list(ids))
    return [
        DuplicatePair(customers[a], customers[b], score, reasons, similarity)
        for a, b, score, reasons, similarity in rows
        if a in customers and b in customers
    ]


# --- Public reads -------------------------------------------------------------------------


def duplicate_pairs(
    *, viewer: User, limit: int = 50, offset: int = 0, min_score: int = MIN_SCORE
) -> DuplicateResult:
    """Likely duplicate pairs among the customers `viewer` can see, best first."""
    pairs: Pairs = {}
    _contact_pairs(viewer, pairs)
    _name_pairs(viewer, pairs)
    scored = _scored(pairs, min_score)
    offset = max(0, offset)
    return DuplicateResult(_load(scored[offset : offset + max(0, limit)]), len(scored))


def _places(customer_ids: list[int]) -> tuple[dict[int, set[str]], dict[int, set[int]]]:
    """Each customer's cities (own and addresses', lower case) and organizations."""
    cities: dict[int, set[str]] = defaultdict(set)
    orgs: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(customer_ids):
        for pk, city in Customer.objects.filter(pk__in=chunk).values_list("pk", "city"):
            if city.strip():
                cities[pk].add(city.strip().lower())
        for pk, city in ContactPoint.objects.filter(
            customer_id__in=chunk, kind=ContactPoint.Kind.ADDRESS
        ).values_list("customer_id", "city"):
            if city.strip():
                cities[pk].add(city.strip().lower())
        for pk, org in Membership.objects.filter(person_id__in=chunk).values_list(
            "person_id", "organization_id"
        ):
            orgs[pk].add(org)
    return cities, orgs


def duplicates_of(
    *, viewer: User, customer: Customer, limit: int = 10, min_score: int = MIN_SCORE
) -> list[DuplicatePair]:
    """The likely duplicates of one customer (for its page), by the same rule."""
    if not can_read(viewer, customer):
        raise NotFound(str(_("Not found.")))
    visible = _visible(viewer, "customer")
    reasons: dict[int, set[str]] = defaultdict(set)
    own = list(
        ContactPoint.objects.filter(customer=customer, kind__in=("email", "phone")).values_list(
            "kind", "search_value"
        )
    )
    for kind in ("email", "phone"):
        values = [v for k, v in own if k == kind and v]
        holders = (
            ContactPoint.objects.filter(visible, kind=kind, search_value__in=values)
            .exclude(customer=customer)
            .values_list("customer_id", flat=True)[:MAX_CANDIDATES]
        )
        for holder in holders:
            reasons[holder].add(f"same_{kind}")
    name_words = [w for w in words(customer.display_name) if w >= "a"]
    # Those sharing the most name words first: a common first name alone brings many.
    for holder in (
        SearchTerm.objects.filter(visible, term__in=name_words)
        .exclude(customer=customer)
        .order_by()
        .values("customer_id")
        .annotate(shared=Count("pk"))
        .order_by("-shared", "customer_id")
        .values_list("customer_id", flat=True)[:MAX_CANDIDATES]
    ):
        reasons[holder].add("maybe_name")
    for holder in (
        visible_to(viewer, Customer.objects.filter(display_name=customer.display_name))
        .exclude(pk=customer.pk)
        .values_list("pk", flat=True)[:MAX_CANDIDATES]
    ):
        reasons[holder].add("same_name")
    cities, orgs = _places([customer.pk, *reasons])
    for holder, found in reasons.items():
        if cities[holder] & cities[customer.pk]:
            found.add("same_city")
        if orgs[holder] & orgs[customer.pk]:
            found.add("same_organization")
    pairs = {_pair(customer.pk, holder): found for holder, found in reasons.items()}
    return _load(_scored(pairs, min_score)[:limit])


def related_counts(customer: Customer) -> list[dict[str, Any]]:
    """How many records of each registered relation hang off `customer`: what a merge
    would move. One COUNT per relation."""
    counts = []
    for relation in customer_relations():
        n = relation.model._default_manager.filter(**{relation.field: customer.pk}).count()
        meta = relation.model._meta
        name = meta.verbose_name_plural
        if meta.auto_created:  # the tags of a many-to-many field
            name = _("tags")
        elif relation.field == "organization":
            name = _("members")
        elif relation.field == "person":
            name = _("organizations")
        counts.append({"label": relation.label, "name": name, "count": n})
    return counts
