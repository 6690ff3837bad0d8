"""REST endpoints for memberships: the organizations of a person, the people of an
organization."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import NotFound, ValidationFailed
from patron.customers import selectors, services
from patron.customers.api_common import text
from patron.customers.models import Customer

router = Router(tags=["customer memberships"])


class CustomerRef(Schema):
    id: int
    kind: Literal["person", "organization"]
    display_name: str


class MembershipOut(Schema):
    id: int
    person: CustomerRef
    organization: CustomerRef
    title: str
    created_at: dt.datetime


class MembershipIn(InputSchema):
    organization_id: RecordId | None = Field(
        None, description="When the customer is a person: the organization to join"
    )
    person_id: RecordId | None = Field(
        None, description="When the customer is an organization: the person who joins"
    )
    title: text(120) = ""


def _other_side(request: HttpRequest, customer: Customer, payload: MembershipIn) -> Customer:
    """The customer at the other end of the new membership, named by the right field."""
    wanted, unwanted = (
        ("person_id", "organization_id")
        if customer.is_organization
        else ("organization_id", "person_id")
    )
    if getattr(payload, unwanted) is not None:
        message = _("Send %(field)s: this customer is a %(kind)s.") % {
            "field": wanted,
            "kind": customer.get_kind_display().lower(),
        }
        raise ValidationFailed(message, details={unwanted: [message]})
    other_id = getattr(payload, wanted)
    if other_id is None:
        message = _("This field is required.")
        raise ValidationFailed(f"{wanted}: {message}", details={wanted: [message]})
    try:
        return selectors.customer_get(viewer=request.user, customer_id=other_id)
    except NotFound as exc:
        message = _("No customer with id %(id)s.") % {"id": other_id}
        raise ValidationFailed(message, details={wanted: [message]}) from exc


@router.get(
    "/{customer_id}/memberships",
    response={200: list[MembershipOut], **ERRORS},
    summary="List the organizations of a person, or the members of an organization",
)
@paginate(PagePagination)
def membership_list(request: HttpRequest, customer_id: RecordId) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    return selectors.memberships_of(viewer=request.user, customer=customer)


@router.post(
    "/{customer_id}/memberships",
    response={201: MembershipOut, **WRITE_ERRORS},
    summary="Add a person to an organization",
    description="On a person send `organization_id`; on an organization send `person_id`. "
    "Adding an existing membership again sets its title.",
)
def membership_add(request: HttpRequest, customer_id: RecordId, payload: MembershipIn) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    other = _other_side(request, customer, payload)
    person, organization = (other, customer) if customer.is_organization else (customer, other)
    membership = services.membership_add(
        actor=request.user, person=person, organization=organization, title=payload.title
    )
    return Status(201, membership)


@router.delete(
    "/{customer_id}/memberships/{membership_id}",
    response={204: None, **WRITE_ERRORS},
    summary="End a membership",
)
def membership_delete(request: HttpRequest, customer_id: RecordId, membership_id: RecordId) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    membership = selectors.membership_of(
        viewer=request.user, customer=customer, membership_id=membership_id
    )
    services.membership_delete(actor=request.user, membership=membership)
    return Status(204, None)
