"""Reads of customers, with visibility applied first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from patron.core.text import search_text
from patron.core.visibility import get_visible, visible_to
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


def _matching(query: str) -> Q:
    """Customers with a search term that starts with the query (or, for several words,
    with each of them)."""
    whole, query_words = query_alternatives(query)
    prefixes = Q()
    for prefix in whole:
        prefixes |= Q(term__prefix=prefix)
    condition = Q(pk__in=SearchTerm.objects.filter(prefixes).values("customer_id"))
    if query_words:
        every_word = Q()
        for word in query_words:
            every_word &= Q(
                pk__in=SearchTerm.objects.filter(term__prefix=word).values("customer_id")
            )
        condition |= every_word
    return condition


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
) -> QuerySet[Customer]:
    """The visible customers matching every given filter, in `sort` order."""
    customers = visible_to(viewer, Customer.objects.all()).select_related("owner", "team")
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
    """One customer with everything the 360 page shows, in a bounded number of queries."""
    visible_orgs = visible_to(viewer, Customer.objects.all())
    customer = get_visible(
        viewer,
        Customer.objects.select_related("owner", "team", "preferences").prefetch_related(
            "contact_points",
            "identifiers",
            "tags",
            "consents",
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(organization__in=visible_orgs).select_related(
                    "organization"
                ),
            ),
        ),
        pk=customer_id,
    )
    customer.stale_cutoff = stale_cutoff()
    return customer


def organization_members(
    *, viewer: User, organization: Customer, limit: int = 50
) -> list[Membership]:
    return list(
        Membership.objects.filter(
            organization=organization, person__in=visible_to(viewer, Customer.objects.all())
        )
        .select_related("person")
        .order_by("person__display_name", "id")[:limit]
    )


def organization_member_count(*, viewer: User, organization: Customer) -> int:
    return Membership.objects.filter(
        organization=organization, person__in=visible_to(viewer, Customer.objects.all())
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
