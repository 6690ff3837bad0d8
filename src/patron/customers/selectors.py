"""Reads of customers, with visibility applied first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from patron.core.text import search_text
from patron.core.visibility import get_visible, visible_to
from patron.customers.models import Customer

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


def customer_list(
    *,
    viewer: User,
    query: str = "",
    kind: str = "",
    lifecycle_stage: str = "",
    owner_id: int | None = None,
    team_id: int | None = None,
    sort: str = "name",
) -> QuerySet[Customer]:
    customers = visible_to(viewer, Customer.objects.all()).select_related("owner", "team")
    query = search_text(query)
    if query:
        customers = customers.filter(
            Q(display_name__icontains=query) | Q(organization_name__icontains=query)
        )
    if kind:
        customers = customers.filter(kind=kind)
    if lifecycle_stage:
        customers = customers.filter(lifecycle_stage=lifecycle_stage)
    if owner_id:
        customers = customers.filter(owner_id=owner_id)
    if team_id:
        customers = customers.filter(team_id=team_id)
    return customers.order_by(*SORTS.get(sort, SORTS["name"]))


def customer_get(*, viewer: User, customer_id: int) -> Customer:
    return get_visible(viewer, Customer.objects.select_related("owner", "team"), pk=customer_id)


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
