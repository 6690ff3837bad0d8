"""REST endpoints for duplicates and merging. Thin: they call duplicates (reads) and
merge (writes)."""

import math
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from patron.core.api_base import ERRORS, MAX_PAGE, WRITE_ERRORS, InputSchema, RecordId
from patron.customers import duplicates, merge, selectors
from patron.customers.api import CustomerOut

router = Router(tags=["customers"])

Side = Literal["survivor", "merged"]
Reason = Literal[tuple(duplicates.REASONS)]  # type: ignore[valid-type]


class MergeIn(InputSchema):
    merged_id: RecordId = Field(description="The customer merged into this one, then deleted")
    field_choices: dict[str, Side] | None = Field(
        None,
        description=(
            "Per field (given_name, family_name, organization_name, language, country, city, "
            "time_zone, lifecycle_stage, source, owner, team, custom_fields or "
            "custom_fields.<key>): whose value to keep. Unnamed fields keep the survivor's "
            "value, or the merged customer's when the survivor has none."
        ),
    )
    version: int | None = Field(
        None, description="The survivor's version you read; a mismatch answers 409."
    )
    merged_version: int | None = Field(
        None, description="The merged customer's version you read; a mismatch answers 409."
    )


class MergeOut(Schema):
    survivor: CustomerOut
    audit_entry_id: int = Field(description="Undo with POST /customers/merges/{id}/undo")
    moved: dict[str, int] = Field(description="How many records moved, per relation")
    dropped: dict[str, int] = Field(description="Duplicate records dropped, per relation")


class UndoOut(Schema):
    customer: CustomerOut = Field(description="The merged customer, restored")
    survivor: CustomerOut


class CustomerBrief(Schema):
    id: int
    kind: str
    display_name: str
    version: int


class DuplicatePairOut(Schema):
    first: CustomerBrief
    second: CustomerBrief
    score: int = Field(description="0 to 100")
    reasons: list[Reason]  # type: ignore[valid-type]


class DuplicatesPage(Schema):
    items: list[DuplicatePairOut]
    count: int
    page: int
    page_size: int
    pages: int


class DuplicateFilters(Schema):
    min_score: int = Field(duplicates.MIN_SCORE, ge=0, le=100, description="Least score")
    page: int = Field(1, ge=1, le=MAX_PAGE, description="1-based page number")
    page_size: int = Field(50, ge=1, le=200, description="items per page, at most 200")


@router.get(
    "/duplicates",
    response={200: DuplicatesPage, **ERRORS},
    summary="List likely duplicate customers",
    description="Pairs of customers you can see, best score first, with the reasons.",
)
def duplicate_list(request: HttpRequest, filters: Query[DuplicateFilters]) -> Any:
    offset = (filters.page - 1) * filters.page_size
    result = duplicates.duplicate_pairs(
        viewer=request.user, limit=filters.page_size, offset=offset, min_score=filters.min_score
    )
    return {
        "items": result.pairs,
        "count": result.count,
        "page": filters.page,
        "page_size": filters.page_size,
        "pages": max(1, math.ceil(result.count / filters.page_size)),
    }


@router.post(
    "/{customer_id}/merge",
    response={200: MergeOut, **WRITE_ERRORS},
    summary="Merge another customer into this one",
    description=(
        "Moves every related record of `merged_id` to this customer, deletes `merged_id`, "
        "and records everything needed to undo it in one audit entry."
    ),
)
def customer_merge(request: HttpRequest, customer_id: RecordId, payload: MergeIn) -> Any:
    survivor = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    merged = selectors.customer_get(viewer=request.user, customer_id=payload.merged_id)
    entry = merge.customers_merge(
        actor=request.user,
        survivor=survivor,
        merged=merged,
        field_choices=payload.field_choices,
        expected_versions=(payload.version, payload.merged_version),
    )
    return {
        "survivor": selectors.customer_get(viewer=request.user, customer_id=customer_id),
        "audit_entry_id": entry.pk,
        "moved": {label: len(ids) for label, ids in entry.payload["moved"].items()},
        "dropped": {label: len(rows) for label, rows in entry.payload["dropped"].items()},
    }


@router.post(
    "/merges/{entry_id}/undo",
    response={200: UndoOut, **WRITE_ERRORS},
    summary="Undo a merge",
    description="Restores the merged customer with its id and moves its records back.",
)
def merge_undo(request: HttpRequest, entry_id: RecordId) -> Any:
    entry = merge.merge_entry_get(entry_id)
    restored = merge.merge_undo(actor=request.user, entry=entry)
    survivor_id = entry.payload["survivor_id"]
    return {
        "customer": restored,
        "survivor": selectors.customer_get(viewer=request.user, customer_id=survivor_id),
    }
