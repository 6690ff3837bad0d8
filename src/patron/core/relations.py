"""One registry of every table that points at a customer, so that merging two customers
moves every related record, including those of apps written later (timeline, orders,
tickets), with no change to the merge code.

An app registers its relation once, in its AppConfig.ready():

    register_customer_relation(Interaction, "customer")
    register_customer_relation(Membership, "person", unique_with=("organization",))

`unique_with` names the other fields of a uniqueness rule that includes the customer
field: a row of the merged customer that would collide with one of the survivor is kept
in the merge's audit payload and dropped (or, with `keep="newest"`, the newer one wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class CustomerRelation:
    model: type[models.Model]
    field: str
    unique_with: Sequence[str] | None = None
    # Which row survives a collision: "survivor" (the surviving customer's) or "newest"
    # (the row with the greater `newest_by` value).
    keep: str = "survivor"
    newest_by: str = ""

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field}"


_RELATIONS: dict[str, CustomerRelation] = {}


def register_customer_relation(
    model: type[models.Model],
    field: str,
    *,
    unique_with: Sequence[str] | None = None,
    keep: str = "survivor",
    newest_by: str = "",
) -> None:
    relation = CustomerRelation(model, field, tuple(unique_with or ()) or None, keep, newest_by)
    _RELATIONS[relation.label] = relation


def customer_relations() -> list[CustomerRelation]:
    return list(_RELATIONS.values())


def customer_relation(label: str) -> CustomerRelation:
    return _RELATIONS[label]


_DERIVED: set[type[models.Model]] = set()


def register_derived_table(model: type[models.Model]) -> None:
    """A table computed from a customer's other records (search terms, metrics): a merge
    moves nothing there; the merged customer's rows go with it and the next rebuild
    (search terms now, metrics at the next refresh) covers the survivor."""
    _DERIVED.add(model)


def derived_tables() -> set[type[models.Model]]:
    return set(_DERIVED)
