"""Reads of customers, with visibility applied first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

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
) -> QuerySet[Customer]:
    """The visible customers matching every given filter, in `sort` order.

    `in_list_order`: for reading one page of a list known to be long (see
    `visible_to`); the same rows, another plan."""
    customers = visible_to(viewer, Customer.objects.all(), in_list_order=in_list_order)
    customers = customers.select_related("owner", "team")
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
    return customers.order_by(*SORTS.get(sort, SORTS["name"]))


# Lists count their matches up to this many; past it they say "more than".
LIST_COUNT_LIMIT = 1000


def list_count_limit(viewer: User, arguments: dict[str, object]) -> int | None:
    """None (count exactly) for the whole base seen by someone who sees everything: that
    count reads the smallest index once. Any filter, search or visibility rule bounds it."""
    filtered = any(v for k, v in arguments.items() if k != "sort")
    return LIST_COUNT_LIMIT if filtered or not sees_everything(viewer) else None


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
        viewer, Customer.objects.select_related("owner", "team", "preferences"), pk=customer_id
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
