"""REST endpoints for customers. Thin: they call selectors and services."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.accounts.models import Team, User
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import ValidationFailed
from patron.customers import selectors, services

router = Router(tags=["customers"])

Kind = Literal["person", "organization"]
Stage = Literal["prospect", "customer", "lost", "partner"]


class CustomerOut(Schema):
    id: int
    kind: Kind
    display_name: str
    given_name: str
    family_name: str
    organization_name: str
    language: str
    country: str
    lifecycle_stage: Stage
    source: str
    owner_id: int | None
    team_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerIn(InputSchema):
    kind: Kind = "person"
    given_name: str = Field("", max_length=120)
    family_name: str = Field("", max_length=120)
    organization_name: str = Field("", max_length=200)
    language: str = Field("", max_length=8)
    country: str = Field("", max_length=2)
    lifecycle_stage: Stage = "prospect"
    source: str = Field("", max_length=100)
    owner_id: RecordId | None = None
    team_id: RecordId | None = None


class CustomerPatch(InputSchema):
    kind: Kind | None = None
    given_name: str | None = Field(None, max_length=120)
    family_name: str | None = Field(None, max_length=120)
    organization_name: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=8)
    country: str | None = Field(None, max_length=2)
    lifecycle_stage: Stage | None = None
    source: str | None = Field(None, max_length=100)
    owner_id: RecordId | None = None
    team_id: RecordId | None = None
    version: int | None = Field(
        None, description="The version you read; a mismatch answers 409. Or send If-Match."
    )


class CustomerFilters(Schema):
    q: str = Field("", description="Search by name")
    kind: Kind | None = None
    lifecycle_stage: Stage | None = None
    owner_id: RecordId | None = None
    team_id: RecordId | None = None
    sort: Literal["name", "-name", "created", "-created", "updated", "-updated"] = "name"


def _relations(data: dict[str, Any]) -> dict[str, Any]:
    """Turn owner_id / team_id into the objects, with a clear error when they do not exist."""
    fields = {k: v for k, v in data.items() if k not in ("owner_id", "team_id")}
    if "owner_id" in data:
        owner_id = data["owner_id"]
        fields["owner"] = User.objects.filter(pk=owner_id).first() if owner_id else None
        if owner_id and fields["owner"] is None:
            message = _("No user with id %(id)s.") % {"id": owner_id}
            raise ValidationFailed(message, details={"owner_id": [message]})
    if "team_id" in data:
        team_id = data["team_id"]
        fields["team"] = Team.objects.filter(pk=team_id).first() if team_id else None
        if team_id and fields["team"] is None:
            message = _("No team with id %(id)s.") % {"id": team_id}
            raise ValidationFailed(message, details={"team_id": [message]})
    return fields


def _if_match(request: HttpRequest) -> int | None:
    raw = request.headers.get("If-Match", "").strip().strip('"').removeprefix("W/").strip('"')
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(
            _("If-Match must be the customer's version number."), details={"If-Match": [raw]}
        )
    return int(raw)


@router.get("", response={200: list[CustomerOut], **ERRORS}, summary="List customers")
@paginate(PagePagination)
def customer_list(request: HttpRequest, filters: Query[CustomerFilters]) -> Any:
    return selectors.customer_list(
        viewer=request.user,
        query=filters.q,
        kind=filters.kind or "",
        lifecycle_stage=filters.lifecycle_stage or "",
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        sort=filters.sort,
    )


@router.post("", response={201: CustomerOut, **WRITE_ERRORS}, summary="Create a customer")
def customer_create(request: HttpRequest, payload: CustomerIn) -> Any:
    # Unset owner/team fall back to the service's defaults (you, your team).
    data = payload.model_dump(exclude={"owner_id", "team_id"})
    data |= payload.model_dump(include={"owner_id", "team_id"}, exclude_unset=True)
    fields = _relations(data)
    return Status(201, services.customer_create(actor=request.user, **fields))


@router.get("/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="Get a customer")
def customer_get(request: HttpRequest, customer_id: RecordId, response: HttpResponse) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    response["ETag"] = f'"{customer.version}"'
    return customer


@router.patch(
    "/{customer_id}", response={200: CustomerOut, **WRITE_ERRORS}, summary="Change a customer"
)
def customer_update(
    request: HttpRequest, customer_id: RecordId, payload: CustomerPatch, response: HttpResponse
) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    expected = _if_match(request) or version
    updated = services.customer_update(
        actor=request.user, customer=customer, expected_version=expected, **_relations(data)
    )
    response["ETag"] = f'"{updated.version}"'
    return updated


@router.delete("/{customer_id}", response={204: None, **ERRORS}, summary="Delete a customer")
def customer_delete(request: HttpRequest, customer_id: RecordId) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    services.customer_delete(actor=request.user, customer=customer)
    return Status(204, None)
