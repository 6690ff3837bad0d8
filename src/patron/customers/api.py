"""REST endpoints for customers. Thin: they call selectors and services.

The routers of the sub-resources live next to this module (api_contact, api_memberships,
api_consent, api_settings); `router` mounts them all under /customers. Literal paths
(/customers/tags ...) are mounted before /customers/{customer_id}, which would otherwise
take them for an id.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from patron.accounts.models import Team, User
from patron.analytics.models import (
    AbcClass,
    CustomerMetrics,
    RelationshipStage,
    RfmSegment,
    ValueTier,
)
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import ValidationFailed
from patron.customers import (
    api_consent,
    api_contact,
    api_memberships,
    api_settings,
    selectors,
    services,
    upsert,
)
from patron.customers.api_common import (
    CustomFieldValues,
    IfMatch,
    TagName,
    Text,
    expected_version,
    require_version,
    set_etag,
    text,
)
from patron.customers.models import Customer

# The list and create live on the mounted router itself (path "" = /customers, no slash);
# everything else on child routers, in the order below.
router = Router()
customers = Router(tags=["customers"])

Kind = Literal["person", "organization"]
Stage = Literal["prospect", "customer", "lost", "partner"]
Sort = Literal[selectors.SORT_KEYS]  # name, created, updated and figures; "-": descending
Tier = Literal[tuple(ValueTier.values)]
Class = Literal[tuple(AbcClass.values)]
Segment = Literal[tuple(RfmSegment.values)]
RelationStage = Literal[tuple(RelationshipStage.values)]
Score = Annotated[int, Field(ge=1, le=5)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
# The customer's own text fields: the service reports a NUL character in them per field,
# like any other rule they break; nested items and filters are checked here (text()).
Name = Annotated[str, StringConstraints(max_length=120)]
OrganizationName = Annotated[str, StringConstraints(max_length=200)]
Language = Annotated[str, StringConstraints(max_length=16)]
Country = Annotated[str, StringConstraints(max_length=2)]
City = Annotated[str, StringConstraints(max_length=100)]
TimeZone = Annotated[str, StringConstraints(max_length=64)]
Source = Annotated[str, StringConstraints(max_length=100)]
Tags = list[TagName]


class CustomerOut(Schema):
    id: int
    kind: Kind
    display_name: str
    given_name: str
    family_name: str
    organization_name: str
    language: str = Field(..., description="BCP 47, such as fr or pt-BR")
    country: str = Field(..., description="ISO 3166 two-letter code")
    city: str
    time_zone: str
    lifecycle_stage: Stage
    source: str
    owner_id: int | None
    team_id: int | None
    tags: list[str]
    custom_fields: dict[str, Any]
    preferred_email: str | None
    preferred_phone: str | None = Field(..., description="E.164")
    last_confirmed_at: dt.datetime | None
    stale: bool = Field(..., description="Not confirmed within the stale-data period")
    version: int = Field(..., description="Send it back as If-Match when you change it")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_preferred_email(obj: Customer) -> str | None:
        return _preferred(obj, "email")

    @staticmethod
    def resolve_preferred_phone(obj: Customer) -> str | None:
        return _preferred(obj, "phone")

    @staticmethod
    def resolve_stale(obj: Customer) -> bool:
        return selectors.customer_is_stale(obj, selectors.stale_cutoff())


def _preferred(customer: Customer, kind: str) -> str | None:
    # A list page prefetched `preferred_points`; one customer has its contact points.
    points = getattr(customer, "preferred_points", None)
    if points is None:
        points = customer.contact_points.all()
    return next((p.value for p in points if p.kind == kind and p.preferred), None)


class FiguresOut(Schema):
    """A customer's figures as of the last refresh (money in the default currency)."""

    value_tier: Tier | None = Field(..., description="null: no tier (bought nothing)")
    abc_class: Class | None
    rfm_score: str | None = Field(..., description='Recency, frequency, monetary 1–5: "545"')
    rfm_segment: Segment | None
    relationship_stage: RelationStage
    revenue_12m: Decimal = Field(..., description="Revenue of the last 12 months")
    orders_12m: int
    clv_12m: Decimal | None = Field(..., description="Predicted value of the next 12 months")
    p_alive: float | None = Field(..., description="Probability of still being active, 0–1")

    @staticmethod
    def resolve_value_tier(obj: CustomerMetrics) -> str | None:
        return obj.value_tier or None

    @staticmethod
    def resolve_abc_class(obj: CustomerMetrics) -> str | None:
        return obj.abc_class or None

    @staticmethod
    def resolve_rfm_score(obj: CustomerMetrics) -> str | None:
        return obj.rfm_score or None

    @staticmethod
    def resolve_rfm_segment(obj: CustomerMetrics) -> str | None:
        return obj.rfm_segment or None


class CustomerListItem(CustomerOut):
    metrics: FiguresOut | None = Field(
        ..., description="The customer's figures; null until a refresh has computed them"
    )

    @staticmethod
    def resolve_metrics(obj: Customer) -> CustomerMetrics | None:
        # Read with the row (select_related): a missing one is no query.
        try:
            return obj.metrics
        except CustomerMetrics.DoesNotExist:
            return None


class CustomerDetail(CustomerOut):
    """One customer with what hangs off it (the list stays light)."""

    contact_points: list[api_contact.ContactPointOut]
    identifiers: list[api_contact.IdentifierOut]
    memberships: list[api_memberships.MembershipOut] = Field(
        ..., description="A person's organizations (an organization's members: /memberships)"
    )
    member_count: int | None = Field(..., description="An organization's visible members")
    consents: list[api_consent.ConsentOut] = Field(..., description="The recorded decisions")
    preferences: api_consent.PreferencesOut | None

    @staticmethod
    def resolve_member_count(obj: Customer) -> int | None:
        return getattr(obj, "member_count", None)

    @staticmethod
    def resolve_consents(obj: Customer) -> list[dict[str, Any]]:
        return [api_consent.consent_row(c.channel, c.purpose, c) for c in obj.consents.all()]

    @staticmethod
    def resolve_preferences(obj: Customer) -> Any:
        return selectors.preferences_of(obj)


class ContactIn(InputSchema):
    value: api_contact.ContactValue
    label: api_contact.Label = ""
    preferred: bool = False


NestedContacts = list[api_contact.ContactValue | ContactIn]


class CustomerIn(InputSchema):
    kind: Kind = "person"
    given_name: Name = ""
    family_name: Name = ""
    organization_name: OrganizationName = ""
    language: Language = ""
    country: Country = ""
    city: City = ""
    time_zone: TimeZone = Field("", description="IANA name, such as Asia/Yerevan")
    lifecycle_stage: Stage = "prospect"
    source: Source = ""
    owner_id: RecordId | None = Field(None, description="Default: you")
    team_id: RecordId | None = Field(None, description="Default: your first team")
    tags: Tags = Field(default_factory=list, max_length=50)
    custom_fields: CustomFieldValues = Field(default_factory=dict)
    emails: NestedContacts = Field(
        default_factory=list, max_length=20, description='"ani@example.com" or {value, label}'
    )
    phones: NestedContacts = Field(
        default_factory=list, max_length=20, description="+CC…, or national with `country`"
    )
    identifiers: list[api_contact.IdentifierIn] = Field(
        default_factory=list,
        max_length=20,
        description="Ids in other systems: a customer holding one is updated, not duplicated",
    )


class CustomerPatch(InputSchema):
    kind: Kind | None = None
    given_name: Name | None = None
    family_name: Name | None = None
    organization_name: OrganizationName | None = None
    language: Language | None = None
    country: Country | None = None
    city: City | None = None
    time_zone: TimeZone | None = None
    lifecycle_stage: Stage | None = None
    source: Source | None = None
    owner_id: RecordId | None = None
    team_id: RecordId | None = None
    tags: Tags | None = Field(None, max_length=50, description="Replaces the tags")
    custom_fields: CustomFieldValues | None = Field(
        None, description="Merged into the stored values; a null value removes that field"
    )
    version: int | None = Field(
        None, description="The version you read; a mismatch answers 409. Or send If-Match."
    )


class CustomerFilters(Schema):
    q: str = Field("", description="Search: name, email, phone or external id (by prefix)")
    kind: Kind | None = None
    lifecycle_stage: Stage | None = None
    owner_id: RecordId | None = None
    team_id: RecordId | None = None
    tag: text(60) = Field("", description="Exact tag name")
    country: text(2) = ""
    stale: bool = Field(False, description="Only customers or contact points due a check")
    value_tier: Tier | None = None
    abc_class: Class | None = None
    rfm_segment: Segment | None = None
    relationship_stage: RelationStage | None = None
    r_score: Score | None = Field(None, description="Recency score, 1–5")
    f_score: Score | None = Field(None, description="Frequency score, 1–5")
    clv_min: Amount | None = Field(None, description="Predicted value, 12 months, at least")
    clv_max: Amount | None = Field(None, description="Predicted value, 12 months, at most")
    sort: Sort = Field(
        "name",
        description="name, created, updated, revenue_12m, clv_12m, p_alive, recency_days; "
        '"-" before one: descending. By a figure, customers without it come last.',
    )


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


def _detail(request: HttpRequest, customer_id: int, response: HttpResponse) -> Customer:
    customer = selectors.customer_360(viewer=request.user, customer_id=customer_id)
    if customer.is_organization:
        customer.member_count = selectors.organization_member_count(
            viewer=request.user, organization=customer
        )
    set_etag(response, customer.version)
    return customer


@router.get(
    "",
    response={200: list[CustomerListItem], **ERRORS},
    summary="List customers",
    description="Filters by the figures of the last refresh (value_tier, abc_class, "
    "rfm_segment, relationship_stage, r_score, f_score, clv_min, clv_max) keep only the "
    "customers that have figures.",
    tags=["customers"],
)
@paginate(PagePagination)
def customer_list(request: HttpRequest, filters: Query[CustomerFilters]) -> Any:
    low, high = filters.clv_min, filters.clv_max
    if low is not None and high is not None and low > high:
        message = _("clv_min is above clv_max: no customer can match.")
        raise ValidationFailed(message, details={"clv_max": [message]})
    arguments = {
        "query": filters.q,
        "kind": filters.kind or "",
        "lifecycle_stage": filters.lifecycle_stage or "",
        "owner_id": filters.owner_id,
        "team_id": filters.team_id,
        "tag": filters.tag,
        "country": filters.country,
        "stale": filters.stale,
        "value_tier": filters.value_tier or "",
        "abc_class": filters.abc_class or "",
        "rfm_segment": filters.rfm_segment or "",
        "relationship_stage": filters.relationship_stage or "",
        "r_score": filters.r_score,
        "f_score": filters.f_score,
        "clv_min": filters.clv_min,
        "clv_max": filters.clv_max,
        "sort": filters.sort,
    }
    return selectors.customer_list_rows(
        viewer=request.user, extras=selectors.customer_list_extras, **arguments
    )


@router.post(
    "",
    tags=["customers"],
    response={200: CustomerDetail, 201: CustomerDetail, **WRITE_ERRORS},
    summary="Create a customer (or update the one with the same external id)",
    description="Idempotent by `identifiers`: if one of them already belongs to a customer, "
    "that customer is updated with the fields you sent (200) instead of a new one being "
    "created (201). Identifiers of two different customers answer 409. Emails and phones "
    "are added unless the customer has them. Everything is saved, or nothing.",
)
def customer_create(
    request: HttpRequest, payload: CustomerIn, response: HttpResponse, if_match: IfMatch = None
) -> Any:
    # Only what was sent: an update must not reset unsent fields to their defaults; unset
    # owner/team fall back to the service's defaults (you, your team) on create.
    data = payload.model_dump(exclude_unset=True)
    nested = {k: data.pop(k) for k in ("emails", "phones", "identifiers", "tags") if k in data}
    customer, created = upsert.customer_upsert(
        actor=request.user,
        expected_version=expected_version(if_match),
        **nested,
        **_relations(data),
    )
    return Status(201 if created else 200, _detail(request, customer.pk, response))


@customers.get(
    "/by-identifier/{system}/{path:value}",
    response={200: CustomerDetail, **ERRORS},
    summary="Find a customer by an external identifier",
)
def customer_by_identifier(
    request: HttpRequest, system: Text, value: Text, response: HttpResponse
) -> Any:
    customer = selectors.identifier_lookup(
        viewer=request.user, system=system.strip().lower(), value=value.strip()
    )
    return _detail(request, customer.pk, response)


@customers.get(
    "/{customer_id}",
    response={200: CustomerDetail, **ERRORS},
    summary="Get a customer",
    description="With contact points, identifiers, organizations, consents and preferences. "
    "The ETag is the version to send back as If-Match.",
)
def customer_get(request: HttpRequest, customer_id: RecordId, response: HttpResponse) -> Any:
    return _detail(request, customer_id, response)


@customers.patch(
    "/{customer_id}",
    response={200: CustomerDetail, **WRITE_ERRORS},
    summary="Change a customer",
    description="Send only the fields that change. With If-Match (or `version`), a customer "
    "changed since you read it answers 409 and nothing is overwritten.",
)
def customer_update(
    request: HttpRequest,
    customer_id: RecordId,
    payload: CustomerPatch,
    response: HttpResponse,
    if_match: IfMatch = None,
) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    tags = data.pop("tags", None)
    expected = expected_version(if_match)
    services.customer_update(
        actor=request.user,
        customer=customer,
        expected_version=version if expected is None else expected,
        tags=tags,
        **_relations(data),
    )
    return _detail(request, customer_id, response)


@customers.delete(
    "/{customer_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a customer"
)
def customer_delete(request: HttpRequest, customer_id: RecordId, if_match: IfMatch = None) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    require_version(customer, if_match)
    services.customer_delete(actor=request.user, customer=customer)
    return Status(204, None)


@customers.post(
    "/{customer_id}/confirm",
    response={200: CustomerOut, **WRITE_ERRORS},
    summary="Confirm a customer's record is still right",
    description="Sets `last_confirmed_at`: the customer is no longer stale.",
)
def customer_confirm(request: HttpRequest, customer_id: RecordId) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    return services.customer_confirm(actor=request.user, customer=customer)


# Order matters: literal paths first, then /{customer_id} and its sub-resources.
router.add_router("", api_settings.router)
router.add_router("", customers)
router.add_router("", api_contact.router)
router.add_router("", api_memberships.router)
router.add_router("", api_consent.router)
