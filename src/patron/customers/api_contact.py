"""REST endpoints for a customer's contact points and external identifiers."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Body, Field, Router, Schema, Status
from ninja.pagination import paginate

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.customers import selectors, services
from patron.customers.api_common import IfMatch, require_version, set_etag, text
from patron.customers.contact import format_phone_national
from patron.customers.models import ContactPoint

router = Router(tags=["customer contact points and identifiers"])

ContactKind = Literal["email", "phone", "address", "social", "web"]
ContactValue = text(500, 1)
Label = text(40)
City = text(100)
PostalCode = text(20)
Country = text(2)
System = text(50, 1)
IdentifierValue = text(200, 1)


class ContactPointOut(Schema):
    id: int
    kind: ContactKind
    label: str
    value: str = Field(..., description="Stored form: emails in lower case, phones in E.164")
    display_value: str = Field(..., description="As people write it: phones in national format")
    city: str
    postal_code: str
    country: str
    preferred: bool
    verified_at: dt.datetime | None
    last_confirmed_at: dt.datetime | None
    stale: bool = Field(..., description="Not confirmed within the stale-data period")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_display_value(obj: ContactPoint) -> str:
        if obj.kind == ContactPoint.Kind.PHONE:
            return format_phone_national(obj.value)
        return obj.value

    @staticmethod
    def resolve_stale(obj: ContactPoint) -> bool:
        return selectors.contact_point_is_stale(obj, selectors.stale_cutoff())


class ContactPointIn(InputSchema):
    kind: ContactKind
    value: ContactValue = Field(..., description="Phones without +CC use the country")
    label: Label = ""
    city: City = ""
    postal_code: PostalCode = ""
    country: Country = ""
    preferred: bool = Field(False, description="The one to use for its kind")


class ContactPointPatch(InputSchema):
    value: ContactValue | None = None
    label: Label | None = None
    city: City | None = None
    postal_code: PostalCode | None = None
    country: Country | None = None
    preferred: bool | None = None


class ConfirmIn(InputSchema):
    verified: bool = Field(False, description="Also mark it verified (e.g. the customer replied)")


class IdentifierOut(Schema):
    id: int
    system: str
    value: str
    created_at: dt.datetime


class IdentifierIn(InputSchema):
    system: System = Field(..., description="The other system, such as erp or shop")
    value: IdentifierValue


def _customer(request: HttpRequest, customer_id: int) -> Any:
    return selectors.customer_get(viewer=request.user, customer_id=customer_id)


@router.get(
    "/{customer_id}/contact-points",
    response={200: list[ContactPointOut], **ERRORS},
    summary="List a customer's contact points",
)
@paginate(PagePagination)
def contact_point_list(request: HttpRequest, customer_id: RecordId) -> Any:
    return selectors.contact_points_of(_customer(request, customer_id))


@router.post(
    "/{customer_id}/contact-points",
    response={201: ContactPointOut, **WRITE_ERRORS},
    summary="Add a contact point",
    description="The first of its kind becomes the preferred one. Answers the customer's "
    "new version as ETag.",
)
def contact_point_add(
    request: HttpRequest,
    customer_id: RecordId,
    payload: ContactPointIn,
    response: HttpResponse,
    if_match: IfMatch = None,
) -> Any:
    customer = _customer(request, customer_id)
    require_version(customer, if_match)
    fields = payload.model_dump()
    point = services.contact_point_add(actor=request.user, customer=customer, **fields)
    set_etag(response, customer.version)
    return Status(201, point)


@router.patch(
    "/{customer_id}/contact-points/{point_id}",
    response={200: ContactPointOut, **WRITE_ERRORS},
    summary="Change a contact point",
)
def contact_point_update(
    request: HttpRequest,
    customer_id: RecordId,
    point_id: RecordId,
    payload: ContactPointPatch,
    response: HttpResponse,
    if_match: IfMatch = None,
) -> Any:
    customer = _customer(request, customer_id)
    require_version(customer, if_match)
    point = selectors.contact_point_of(customer, point_id)
    fields = payload.model_dump(exclude_unset=True)
    if fields.get("preferred") is None:
        fields.pop("preferred", None)
    point = services.contact_point_update(actor=request.user, point=point, **fields)
    set_etag(response, customer.version)
    return point


@router.delete(
    "/{customer_id}/contact-points/{point_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a contact point",
)
def contact_point_delete(
    request: HttpRequest,
    customer_id: RecordId,
    point_id: RecordId,
    response: HttpResponse,
    if_match: IfMatch = None,
) -> Any:
    customer = _customer(request, customer_id)
    require_version(customer, if_match)
    point = selectors.contact_point_of(customer, point_id)
    services.contact_point_delete(actor=request.user, point=point)
    set_etag(response, customer.version)
    return Status(204, None)


@router.post(
    "/{customer_id}/contact-points/{point_id}/confirm",
    response={200: ContactPointOut, **WRITE_ERRORS},
    summary="Confirm a contact point is still right",
    description="Sets `last_confirmed_at` (and `verified_at` with `verified: true`): "
    "the contact point is no longer stale.",
)
def contact_point_confirm(
    request: HttpRequest,
    customer_id: RecordId,
    point_id: RecordId,
    payload: Annotated[ConfirmIn | None, Body()] = None,
) -> Any:
    customer = _customer(request, customer_id)
    point = selectors.contact_point_of(customer, point_id)
    verified = bool(payload and payload.verified)
    return services.contact_point_confirm(actor=request.user, point=point, verified=verified)


@router.get(
    "/{customer_id}/identifiers",
    response={200: list[IdentifierOut], **ERRORS},
    summary="List a customer's external identifiers",
)
@paginate(PagePagination)
def identifier_list(request: HttpRequest, customer_id: RecordId) -> Any:
    return selectors.identifiers_of(_customer(request, customer_id))


@router.post(
    "/{customer_id}/identifiers",
    response={200: IdentifierOut, 201: IdentifierOut, **WRITE_ERRORS},
    summary="Attach an external identifier",
    description="Unique per system: an identifier of another customer answers 409; one "
    "this customer already has answers 200 and changes nothing.",
)
def identifier_add(request: HttpRequest, customer_id: RecordId, payload: IdentifierIn) -> Any:
    customer = _customer(request, customer_id)
    system, value = services.identifier_clean(payload.system, payload.value)
    had_it = services.identifier_owner(system, value) == customer.pk
    identifier = services.identifier_add(
        actor=request.user, customer=customer, system=system, value=value
    )
    return Status(200 if had_it else 201, identifier)


@router.delete(
    "/{customer_id}/identifiers/{identifier_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove an external identifier",
)
def identifier_delete(request: HttpRequest, customer_id: RecordId, identifier_id: RecordId) -> Any:
    identifier = selectors.identifier_of(_customer(request, customer_id), identifier_id)
    services.identifier_delete(actor=request.user, identifier=identifier)
    return Status(204, None)
