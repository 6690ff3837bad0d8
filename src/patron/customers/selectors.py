"""Reads of customers, with visibility applied first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from patron.analytics.models import CustomerMetrics
from patron.core.pagination import LongList
from patron.core.text import search_text
from patron.core.visibility import get_visible, sees_everything, visible_through, visible_to
from patron.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomField,
    ExternalIdentifier,
    Membership,
    Preferences,
    SavedView,
    SearchTerm,
    Tag,
)
from patron.customers.search import query_alternatives

if TYPE_CHECKING:
    from patron.accounts.models import User

SORTS = {
    "name": ("display_name", "id"),
    "-name": ("-display_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
# Sorts by a figure of the customer's metrics (patron.analytics), ascending or with "-"
# descending; customers without the figure (or without figures at all) come last.
FIGURE_SORTS = ("revenue_12m", "clv_12m", "p_alive", "recency_days")
SORT_KEYS = (*SORTS, *FIGURE_SORTS, *(f"-{name}" for name in FIGURE_SORTS))


def _figure_of(sort: str) -> tuple[str, bool] | None:
    """(figure, descending) of a sort by a figure, else None."""
    name = sort.removeprefix("-")
    return (name, sort.startswith("-")) if name in FIGURE_SORTS else None


def _figure_order(
    name: str, descending: bool, *, tie: str = "id", nulls: bool = True
) -> tuple[OrderBy, OrderBy]:
    """The figure, then the id the other way round: the order in which an index on the
    figure holds its rows (each entry followed by the row's id), so that a page is read
    straight off the index. Customers without the figure last, either way; `nulls`
    False: there are none (a NULLS LAST the index does not hold would hide it from
    PostgreSQL's planner)."""
    figure = F(f"metrics__{name}")
    last = {"nulls_last": True} if nulls else {}
    if descending:
        return figure.desc(**last), F(tie).asc()
    return figure.asc(**last), F(tie).desc()


def _ordering(sort: str) -> tuple[Any, ...]:
    figure = _figure_of(sort)
    if figure is None:
        return SORTS.get(sort, SORTS["name"])
    return _figure_order(*figure)


def stale_cutoff(at: dt.datetime | None = None) -> dt.datetime:
    return (at or timezone.now()) - dt.timedelta(days=settings.PATRON_STALE_AFTER_DAYS)


def customer_is_stale(customer: Customer, cutoff: dt.datetime) -> bool:
    """Not confirmed since `cutoff` (the rule of the `stale` filter, for one record)."""
    return (customer.last_confirmed_at or customer.created_at) < cutoff


def contact_point_is_stale(point: ContactPoint, cutoff: dt.datetime) -> bool:
    return (point.last_confirmed_at or point.verified_at or point.created_at) < cutoff


def _matching(query: str) -> Q:
    """Customers with a name word, email, phone or external id that starts with the query;
    for several words, a name word starting with each of them. Every branch is a range
    on an index, so the cost follows the number of matches, not the size of the base."""
    whole, query_words = query_alternatives(query)
    if query_words:
        condition = Q()
        for word in query_words:
            condition &= Q(
                pk__in=SearchTerm.objects.filter(term__prefix=word).values("customer_id")
            )
        return condition
    terms, contacts = Q(), Q()
    for prefix in whole:
        terms |= Q(term__prefix=prefix)
        contacts |= Q(search_value__prefix=prefix)
    by_term = SearchTerm.objects.filter(terms).values("customer_id").order_by()
    by_contact = ContactPoint.objects.filter(contacts).values("customer_id").order_by()
    return Q(pk__in=by_term.union(by_contact))


def _stale_contact_points(cutoff: dt.datetime) -> QuerySet[ContactPoint]:
    return ContactPoint.objects.annotate(
        confirmed=Coalesce("last_confirmed_at", "verified_at", "created_at")
    ).filter(confirmed__lt=cutoff)


@dataclass
class CustomerFilters:
    query: str = ""
    kind: str = ""
    lifecycle_stage: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = ""
    country: str = ""
    stale: bool = False
    sort: str = "name"
    ids: list[int] = field(default_factory=list)


def _figures_filter(
    prefix: str = "metrics__",
    *,
    value_tier: str = "",
    abc_class: str = "",
    rfm_segment: str = "",
    relationship_stage: str = "",
    r_score: int | None = None,
    f_score: int | None = None,
    clv_min: Decimal | None = None,
    clv_max: Decimal | None = None,
) -> Q:
    """Conditions on the customer's row of figures (through `prefix`). On a customer,
    each one joins it (an inner join: a customer without figures has no tier, score or
    value, and matches none of them); the tier, segment, stage and value columns have
    their indexes."""
    wanted: dict[str, Any] = {
        "value_tier": value_tier,
        "abc_class": abc_class,
        "rfm_segment": rfm_segment,
        "relationship_stage": relationship_stage,
        "r_score": r_score,
        "f_score": f_score,
        "clv_12m__gte": clv_min,
        "clv_12m__lte": clv_max,
    }
    return Q(**{f"{prefix}{k}": v for k, v in wanted.items() if _given(v)})


def customer_list(
    *,
    viewer: User,
    query: str = "",
    kind: str = "",
    lifecycle_stage: str = "",
    owner_id: int | None = None,
    team_id: int | None = None,
    tag: str = "",
    country: str = "",
    stale: bool = False,
    sort: str = "name",
    in_list_order: bool = False,
    **figures: Any,
) -> QuerySet[Customer]:
    """The visible customers matching every given filter, in `sort` order, each with its
    figures (`metrics`, absent until a refresh has computed them).

    `figures`: value_tier, abc_class, rfm_segment, relationship_stage, r_score,
    f_score, clv_min, clv_max (see `_figures_filter`).
    `in_list_order`: for reading one page of a list known to be long (see
    `visible_to`); the same rows, another plan."""
    customers = visible_to(viewer, Customer.objects.all(), in_list_order=in_list_order)
    customers = customers.select_related("owner", "team", "metrics")
    if _figures_filter(**figures):
        if in_list_order and connection.vendor == "sqlite":
            # A page of many in the list's order: a test of each row as SQLite walks the
            # order's index (1 ms), where the join would start from the figures and sort
            # every match (200 ms for a tenth of a million customers).
            mine = CustomerMetrics.objects.filter(_figures_filter("", **figures))
            customers = customers.filter(Exists(mine.filter(customer=OuterRef("pk"))))
        else:
            customers = customers.filter(_figures_filter(**figures))
    query = search_text(query)
    if query:
        customers = customers.filter(_matching(query))
    if kind:
        customers = customers.filter(kind=kind)
    if lifecycle_stage:
        customers = customers.filter(lifecycle_stage=lifecycle_stage)
    if owner_id:
        customers = customers.filter(owner_id=owner_id)
    if team_id:
        customers = customers.filter(team_id=team_id)
    if tag:
        customers = customers.filter(tags__name=tag)
    if country:
        customers = customers.filter(country=country.upper())
    if stale:
        cutoff = stale_cutoff()
        customers = customers.annotate(
            confirmed=Coalesce("last_confirmed_at", "created_at")
        ).filter(
            Q(confirmed__lt=cutoff)
            | Exists(_stale_contact_points(cutoff).filter(customer=OuterRef("pk")))
        )
    return customers.order_by(*_ordering(sort))


# Lists count their matches up to this many; past it they say "more than".
LIST_COUNT_LIMIT = 1000


def _given(value: object) -> bool:
    # Not "truthy": a lower bound of 0 is a filter.
    return value is not None and value is not False and value != ""


def list_count_limit(viewer: User, arguments: dict[str, object]) -> int | None:
    """None (count exactly) for the whole base seen by someone who sees everything: that
    count reads the smallest index once. Any filter, search or visibility rule bounds it."""
    filtered = any(_given(v) for k, v in arguments.items() if k != "sort")
    return LIST_COUNT_LIMIT if filtered or not sees_everything(viewer) else None


@dataclass(frozen=True)
class FiguresFirst:
    """A list in the order of a figure, read as two queries that each follow an index:
    the customers with the figure in its order, then those without it by id. (One query
    sorting by the figure with the missing ones last is a sort of every customer: no
    index holds that order.) Sliced like a queryset by the pagination."""

    counted: QuerySet[Customer]  # every row, for the count
    with_figure: QuerySet[Customer]
    without_figure: QuerySet[Customer]

    def count(self) -> int:
        return self.counted.count()

    def __getitem__(self, window: slice) -> list[Customer]:
        start, stop = window.start or 0, window.stop
        if stop is None or window.step is not None:
            raise TypeError("FiguresFirst is read by bounded slices only")
        found = list(self.with_figure[start:stop])
        wanted = stop - start
        if len(found) >= wanted:
            return found
        # The page runs past the last customer with the figure.
        with_figure = start + len(found) if found else self.with_figure.count()
        offset = max(0, start - with_figure)
        return found + list(self.without_figure[offset : offset + wanted - len(found)])

    def each(self, change: Callable[[QuerySet[Customer]], QuerySet[Customer]]) -> FiguresFirst:
        return FiguresFirst(
            change(self.counted), change(self.with_figure), change(self.without_figure)
        )


def _in_list_order(viewer: User, arguments: dict[str, Any]) -> Any:
    """The list planned for reading a page of many rows (see `customer_list`)."""
    rows = customer_list(viewer=viewer, **arguments, in_list_order=True)
    figure = _figure_of(arguments.get("sort", ""))
    if figure is None:
        return rows
    name, descending = figure
    # Ties by the figure row's own key, the id its index holds (same value as the id).
    present = rows.filter(**{f"metrics__{name}__isnull": False})
    return FiguresFirst(
        counted=rows,
        with_figure=present.order_by(
            *_figure_order(name, descending, tie="metrics__customer", nulls=False)
        ),
        without_figure=rows.filter(**{f"metrics__{name}__isnull": True}).order_by(
            "-id" if not descending else "id"
        ),
    )


def customer_list_rows(
    *,
    viewer: User,
    extras: Callable[[QuerySet[Customer]], QuerySet[Customer]] | None = None,
    **arguments: Any,
) -> Any:
    """What a page of the customer list is read from (`core.pagination.read_page`): the
    count bounded by `list_count_limit`, and a long list read in a plan for its order.
    `extras`: applied to every query that reads rows (the API's prefetches)."""
    change = extras or (lambda rows: rows)
    rows = change(customer_list(viewer=viewer, **arguments))
    in_order = _in_list_order(viewer, arguments)
    in_order = in_order.each(change) if isinstance(in_order, FiguresFirst) else change(in_order)
    limit = list_count_limit(viewer, arguments)
    if limit is None:
        return in_order if isinstance(in_order, FiguresFirst) else rows
    return LongList(rows, limit, in_order)


def customer_list_with_contacts(customers: list[Customer]) -> list[Customer]:
    """Attach each customer's preferred email and phone (one query for the page)."""
    by_id = {c.pk: c for c in customers}
    for c in customers:
        c.preferred_email = c.preferred_phone = None
    rows = ContactPoint.objects.filter(
        customer_id__in=by_id, kind__in=("email", "phone"), preferred=True
    ).values_list("customer_id", "kind", "value")
    for cid, kind, value in rows:
        setattr(by_id[cid], f"preferred_{kind}", value)
    return customers


def customer_get(*, viewer: User, customer_id: int) -> Customer:
    return get_visible(viewer, Customer.objects.select_related("owner", "team"), pk=customer_id)


def customer_360(*, viewer: User, customer_id: int) -> Customer:
    """One customer with everything the 360 page shows, in a bounded number of queries
    (an organization's people are read by page, not with it)."""
    customer = get_visible(
        viewer,
        Customer.objects.select_related("owner", "team", "preferences", "metrics"),
        pk=customer_id,
    )
    lookups: list[Any] = ["contact_points", "identifiers", "tags", "consents"]
    if not customer.is_organization:
        lookups.append(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(
                    visible_through(viewer, "organization")
                ).select_related("organization"),
            )
        )
    prefetch_related_objects([customer], *lookups)
    customer.stale_cutoff = stale_cutoff()
    return customer


def organization_members(
    *, viewer: User, organization: Customer, limit: int = 50, offset: int = 0
) -> list[Membership]:
    # Each row also carries the number of all the organization's visible people
    # (`total`): the page and its count in one query.
    return list(
        Membership.objects.filter(visible_through(viewer, "person"), organization=organization)
        .select_related("person")
        .annotate(total=Window(Count("id")))
        .order_by("person__display_name", "id")[offset : offset + limit]
    )


def organization_member_count(*, viewer: User, organization: Customer) -> int:
    return Membership.objects.filter(
        visible_through(viewer, "person"), organization=organization
    ).count()


def contact_point_get(*, viewer: User, point_id: int) -> ContactPoint:
    point = ContactPoint.objects.select_related("customer").filter(pk=point_id).first()
    if point is None:
        from django.utils.translation import gettext as _

        from patron.core.errors import NotFound

        raise NotFound(_("Not found."))
    get_visible(viewer, Customer.objects.all(), pk=point.customer_id)
    return point


def identifier_lookup(*, viewer: User, system: str, value: str) -> Customer:
    identifier = ExternalIdentifier.objects.filter(system=system, value=value).first()
    customer_id = identifier.customer_id if identifier else 0
    return customer_get(viewer=viewer, customer_id=customer_id)


def customer_counts(*, viewer: User) -> dict[str, int]:
    """How many visible customers are in each lifecycle stage, plus the total."""
    rows = (
        visible_to(viewer, Customer.objects.all())
        .order_by()
        .values("lifecycle_stage")
        .annotate(n=Count("id"))
    )
    counts = {stage: 0 for stage in Customer.Lifecycle.values}
    for row in rows:
        counts[row["lifecycle_stage"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts


def tag_names() -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True))


def custom_fields() -> list[CustomField]:
    return list(CustomField.objects.all())


def saved_views(*, viewer: User) -> list[SavedView]:
    return list(SavedView.objects.filter(user=viewer))


def consent_matrix(customer: Customer) -> list[dict]:
    """Every channel and purpose with the recorded decision (or none), for display."""
    from patron.customers.models import Channel, Purpose

    recorded = {(c.channel, c.purpose): c for c in customer.consents.all()}
    return [
        {
            "channel": channel,
            "channel_label": label,
            "cells": [
                {
                    "purpose": purpose,
                    "purpose_label": plabel,
                    "consent": recorded.get((channel, purpose)),
                }
                for purpose, plabel in Purpose.choices
            ],
        }
        for channel, label in Channel.choices
    ]


def preferences_of(customer: Customer) -> Preferences | None:
    try:
        return customer.preferences
    except Preferences.DoesNotExist:
        return None


def consents_of(customer: Customer) -> QuerySet[Consent]:
    return Consent.objects.filter(customer=customer)


from patron.customers.contactability import ContactDecision, can_contact  # noqa: E402,F401

# --- Sub-records of one customer, by id (the customer was already read with visibility) ---


def _not_found() -> Exception:
    from django.utils.translation import gettext as _

    from patron.core.errors import NotFound

    return NotFound(_("Not found."))


def contact_points_of(customer: Customer) -> QuerySet[ContactPoint]:
    return ContactPoint.objects.filter(customer=customer)


def contact_point_of(customer: Customer, point_id: int) -> ContactPoint:
    """One contact point of this customer (a point of another customer is not found)."""
    point = ContactPoint.objects.filter(customer=customer, pk=point_id).first()
    if point is None:
        raise _not_found()
    point.customer = customer
    return point


def identifiers_of(customer: Customer) -> QuerySet[ExternalIdentifier]:
    return ExternalIdentifier.objects.filter(customer=customer)


def identifier_of(customer: Customer, identifier_id: int) -> ExternalIdentifier:
    identifier = ExternalIdentifier.objects.filter(customer=customer, pk=identifier_id).first()
    if identifier is None:
        raise _not_found()
    identifier.customer = customer
    return identifier


def memberships_of(*, viewer: User, customer: Customer) -> QuerySet[Membership]:
    """The visible organizations of a person, or the visible members of an organization."""
    if customer.is_organization:
        memberships = Membership.objects.filter(
            visible_through(viewer, "person"), organization=customer
        )
        order = ("person__display_name", "id")
    else:
        memberships = Membership.objects.filter(
            visible_through(viewer, "organization"), person=customer
        )
        order = ("organization__display_name", "id")
    return memberships.select_related("person", "organization").order_by(*order)


def membership_of(*, viewer: User, customer: Customer, membership_id: int) -> Membership:
    membership = memberships_of(viewer=viewer, customer=customer).filter(pk=membership_id).first()
    if membership is None:
        raise _not_found()
    return membership


def custom_field_get(field_id: int) -> CustomField:
    field = CustomField.objects.filter(pk=field_id).first()
    if field is None:
        raise _not_found()
    return field


def saved_view_get(*, viewer: User, view_id: int) -> SavedView:
    view = SavedView.objects.filter(user=viewer, pk=view_id).first()
    if view is None:
        raise _not_found()
    return view


def customer_list_extras(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """What a list page shows besides the customer row: tags and the preferred email and
    phone, fetched once for the whole page (the page is sliced before they are read)."""
    preferred = ContactPoint.objects.filter(preferred=True, kind__in=("email", "phone"))
    return customers.prefetch_related(
        "tags", Prefetch("contact_points", queryset=preferred, to_attr="preferred_points")
    )
