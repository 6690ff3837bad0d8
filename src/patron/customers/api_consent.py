"""REST endpoints for consent, the can-contact decision and contact/service preferences."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import AfterValidator

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, RecordId
from patron.customers import selectors, services
from patron.customers.api_common import Moment, text
from patron.customers.models import Channel, Consent, Preferences, Purpose

router = Router(tags=["customer consent and preferences"])

ChannelName = Literal["email", "phone", "sms", "letter", "in_person"]
PurposeName = Literal["service", "marketing", "surveys"]
StatusName = Literal["granted", "denied", "withdrawn"]


def _local_time(value: dt.time | None) -> dt.time | None:
    # Quiet hours are read in the customer's own time zone: a time carrying an offset
    # would mean something else, and the database cannot store it.
    if value is not None and value.tzinfo is not None:
        raise ValueError(_("Give a local time such as 21:00, without a time zone."))
    return value


LocalTime = Annotated[dt.time | None, AfterValidator(_local_time)]


class ConsentOut(Schema):
    channel: ChannelName
    channel_label: str
    purpose: PurposeName
    purpose_label: str
    status: StatusName | None = Field(..., description="None: no decision recorded")
    source: str
    evidence: str
    recorded_at: dt.datetime | None


class ConsentIn(InputSchema):
    channel: ChannelName
    purpose: PurposeName
    status: StatusName
    source: text(100) = Field("", description="Where the decision was given: web form, call…")
    evidence: text(5000) = Field("", description="What proves it: the wording, a reference")
    recorded_at: Moment | None = Field(None, description="When it was given; default now")


class ContactDecisionOut(Schema):
    allowed: bool
    code: Literal["ok", "no_consent", "unreachable", "quiet_hours", "frequency_cap", "invalid"]
    reason: str
    next_allowed_at: dt.datetime | None


class CanContactQuery(Schema):
    channel: ChannelName
    purpose: PurposeName
    at: Moment | None = Field(None, description="The moment to judge; default now")


class PreferencesOut(Schema):
    preferred_channel: ChannelName | Literal[""]
    max_messages_per_30_days: int | None
    quiet_hours_start: dt.time | None
    quiet_hours_end: dt.time | None
    payment_method: str
    invoicing: str
    delivery: str
    packaging: str
    vip_handling: str
    notes: str
    updated_at: dt.datetime | None


class PreferencesPatch(InputSchema):
    preferred_channel: ChannelName | Literal[""] | None = None
    max_messages_per_30_days: int | None = Field(None, ge=0, le=1000)
    quiet_hours_start: LocalTime = Field(None, description="Local time, e.g. 21:00")
    quiet_hours_end: LocalTime = Field(None, description="Local time, e.g. 08:00")
    payment_method: text(100) | None = None
    invoicing: text(200) | None = None
    delivery: text(200) | None = None
    packaging: text(200) | None = None
    vip_handling: text(200) | None = None
    notes: text(5000) | None = None


def consent_row(channel: str, purpose: str, consent: Consent | None) -> dict[str, Any]:
    return {
        "channel": channel,
        "channel_label": str(Channel(channel).label),
        "purpose": purpose,
        "purpose_label": str(Purpose(purpose).label),
        "status": consent.status if consent else None,
        "source": consent.source if consent else "",
        "evidence": consent.evidence if consent else "",
        "recorded_at": consent.recorded_at if consent else None,
    }


@router.get(
    "/{customer_id}/consents",
    response={200: list[ConsentOut], **ERRORS},
    summary="The consent matrix of a customer",
    description="Every channel × purpose, with the recorded decision or `status: null`.",
)
def consent_list(request: HttpRequest, customer_id: RecordId) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    return [
        consent_row(row["channel"], cell["purpose"], cell["consent"])
        for row in selectors.consent_matrix(customer)
        for cell in row["cells"]
    ]


@router.post(
    "/{customer_id}/consents",
    response={200: ConsentOut, **WRITE_ERRORS},
    summary="Record a consent decision",
    description="Replaces the decision for that channel and purpose; the earlier one stays "
    "in the audit log.",
)
def consent_set(request: HttpRequest, customer_id: RecordId, payload: ConsentIn) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    consent = services.consent_set(actor=request.user, customer=customer, **payload.model_dump())
    return consent_row(consent.channel, consent.purpose, consent)


@router.get(
    "/{customer_id}/can-contact",
    response={200: ContactDecisionOut, **ERRORS},
    summary="May we contact this customer on a channel, for a purpose, at a moment?",
    description="One rule for every sending feature: consent (service is allowed without "
    "one, marketing and surveys need it), a contact point for the channel, the customer's "
    "quiet hours in their time zone, the frequency cap.",
)
def can_contact(request: HttpRequest, customer_id: RecordId, query: Query[CanContactQuery]) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    return selectors.can_contact(customer, query.channel, query.purpose, query.at)


@router.get(
    "/{customer_id}/preferences",
    response={200: PreferencesOut, **ERRORS},
    summary="Contact and service preferences",
)
def preferences_get(request: HttpRequest, customer_id: RecordId) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    preferences = selectors.preferences_of(customer)
    if preferences is None:
        return Preferences(customer=customer, updated_at=None)  # nothing stated yet
    return preferences


@router.patch(
    "/{customer_id}/preferences",
    response={200: PreferencesOut, **WRITE_ERRORS},
    summary="Change contact and service preferences",
    description="Send only what changes; `null` clears a value. Quiet hours are local times "
    "in the customer's time zone and may span midnight (21:00–08:00).",
)
def preferences_update(
    request: HttpRequest, customer_id: RecordId, payload: PreferencesPatch
) -> Any:
    customer = selectors.customer_get(viewer=request.user, customer_id=customer_id)
    return services.preferences_update(
        actor=request.user, customer=customer, **payload.model_dump(exclude_unset=True)
    )
