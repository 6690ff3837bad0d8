"""REST endpoints for the timeline (one customer's, or the caller's team's) and the
pre-contact brief."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import BaseModel, ConfigDict

from patron.core.api_base import ERRORS, RecordId
from patron.customers import selectors as customer_selectors
from patron.customers.models import Customer
from patron.interactions import selectors, timeline
from patron.interactions.api_common import (
    ChannelName,
    Day,
    DirectionName,
    customer_of,
    in_callers_zone,
    text,
    user_name,
)

customer_timeline = Router(tags=["timeline"])
team_timeline = Router(tags=["timeline"])
brief = Router(tags=["brief"])

CursorText = text(500)
KindKey = text(40, 1)
EventChannel = text(40, 1)


class TimelineQuery(Schema):
    cursor: CursorText | None = Field(
        None, description="`next_cursor` of the page before; omitted: the newest events"
    )
    size: int = Field(
        timeline.DEFAULT_PAGE_SIZE, ge=1, le=timeline.MAX_PAGE_SIZE, description="At most 100"
    )
    kind: list[KindKey] = Field(
        default_factory=list,
        max_length=20,
        description="Repeatable: only these kinds of event (interaction, note, task, "
        "answer, order, …)",
    )
    channel: list[EventChannel] = Field(
        default_factory=list, max_length=20, description="Repeatable: only these channels"
    )
    user_id: RecordId | None = Field(None, description="Only events of this colleague")
    since: Day | None = Field(None, description="From this day (in your time zone)")
    until: Day | None = Field(None, description="Up to this day, included")


class TimelineEventOut(BaseModel):
    """One event. Each kind adds its own fields: an interaction its direction, outcome
    and reason; a task its status and due_at; an answer whether it was skipped; an order
    its status, currency, total_amount (a decimal string) and line_count."""

    # A plain model, not a ninja Schema: a Schema reads declared attributes only, and
    # would drop the fields each kind adds.
    model_config = ConfigDict(extra="allow")

    kind: str = Field(..., description="interaction, note, task, answer, order, …")
    id: int = Field(..., description="The id of the record, within its kind")
    customer_id: int
    customer_name: str | None = Field(None, description="On the team's timeline")
    occurred_at: dt.datetime
    title: str
    text: str | None = None
    channel: str | None = None
    user: str | None = Field(None, description="The colleague's email")


class TimelinePageOut(Schema):
    events: list[TimelineEventOut] = Field(..., description="Newest first")
    next_cursor: str | None = Field(
        ..., description="Send it as `cursor` for the next page; null: this was the last one"
    )


def _page(request: HttpRequest, query: TimelineQuery, customer: Customer | None) -> Any:
    with in_callers_zone(request):
        filters = timeline.filters_from(
            kinds=query.kind,
            channels=query.channel,
            user_id=query.user_id,
            since=query.since,
            until=query.until,
        )
    if customer is not None:
        page = timeline.customer_timeline(
            customer, filters=filters, cursor=query.cursor, size=query.size
        )
    else:
        page = timeline.team_timeline(
            request.user, filters=filters, cursor=query.cursor, size=query.size
        )
    return {
        "events": [_event(event, with_customer=customer is None) for event in page.events],
        "next_cursor": page.next_cursor,
    }


def _event(event: timeline.TimelineEvent, *, with_customer: bool) -> dict[str, Any]:
    field = event.kind.customer_field
    row = {
        **event.kind.describe(event.object),
        "kind": event.kind.key,
        "id": event.object.pk,
        "occurred_at": event.occurred_at,
        "customer_id": getattr(event.object, f"{field}_id"),
    }
    if with_customer:
        # The team's timeline reads each event with its customer.
        row["customer_name"] = getattr(event.object, field).display_name
    return row


TIMELINE_DESCRIPTION = (
    "Every kind of event merged newest first. Cursor pagination: pass the answer's "
    "`next_cursor` as `cursor` to read the next page; it is null on the last page. A cursor "
    "stays valid as new events arrive (they come before it), and walking the pages shows "
    "each event once. A cursor not given out by the timeline answers 422."
)


@customer_timeline.get(
    "/{customer_id}/timeline",
    response={200: TimelinePageOut, **ERRORS},
    summary="A customer's timeline",
    description=TIMELINE_DESCRIPTION + " An organization's timeline includes its people's.",
)
def customer_timeline_page(
    request: HttpRequest, customer_id: RecordId, query: Query[TimelineQuery]
) -> Any:
    return _page(request, query, customer_of(request, customer_id))


@team_timeline.get(
    "",
    response={200: TimelinePageOut, **ERRORS},
    summary="The team's timeline",
    description=TIMELINE_DESCRIPTION + " Events of every customer you can see.",
)
def team_timeline_page(request: HttpRequest, query: Query[TimelineQuery]) -> Any:
    return _page(request, query, None)


# --- The brief ------------------------------------------------------------------------------


class LastInteractionOut(Schema):
    id: int
    occurred_at: dt.datetime
    channel: ChannelName
    direction: DirectionName
    user_id: int | None
    user: str | None = Field(..., description="The colleague who spoke with them")
    summary: str
    outcome: str


class PromiseOut(Schema):
    kind: str = Field(..., description="task (later also ticket)")
    title: str
    due_at: dt.datetime | None
    overdue: bool


class KnownOut(Schema):
    key: str = Field(..., description="The question's key")
    question: str = Field(..., description="The question's text")
    value: str
    answered_at: dt.datetime


class BriefPreferencesOut(Schema):
    preferred_channel: str = Field(..., description="Empty: no preference stated")
    language: str = Field(..., description="BCP 47; empty: unknown")
    time_zone: str
    max_messages_per_30_days: int | None
    quiet_hours_start: dt.time | None
    quiet_hours_end: dt.time | None
    payment_method: str
    invoicing: str
    delivery: str
    packaging: str
    vip_handling: str
    notes: str = Field(..., description="Service notes")


class MoneyOut(Schema):
    currency: str
    amount: str = Field(..., description="A decimal, as a string")


class ValueOut(Schema):
    orders: int = Field(..., description="Completed orders in the last 12 months")
    revenue: list[MoneyOut] = Field(..., description="Their revenue per currency, largest first")
    last_order_at: dt.datetime | None


class ProposedQuestionOut(Schema):
    id: int
    key: str
    text: str
    help_text: str
    answer_type: Literal["choice", "text", "number", "date"]
    choices: list[str]


class BriefOut(Schema):
    customer_id: int
    customer_name: str
    last_interaction: LastInteractionOut | None = Field(
        ..., description="When and how we last spoke"
    )
    promises: list[PromiseOut] = Field(..., description="What we owe them, soonest due first")
    more_promises: bool = Field(..., description="More promises than those shown")
    known: list[KnownOut] = Field(..., description="What they told us, by question priority")
    preferences: BriefPreferencesOut = Field(..., description="How they want to be served")
    value: ValueOut = Field(..., description="What they are worth")
    questions: list[ProposedQuestionOut] = Field(
        ..., description="What to ask at this contact: at most two, never one already answered"
    )


_PREFERENCE_FIELDS = (
    "preferred_channel",
    "max_messages_per_30_days",
    "quiet_hours_start",
    "quiet_hours_end",
    "payment_method",
    "invoicing",
    "delivery",
    "packaging",
    "vip_handling",
    "notes",
)


def _preferences(customer: Customer) -> dict[str, Any]:
    stated = customer_selectors.preferences_of(customer)
    unset = {"max_messages_per_30_days": None, "quiet_hours_start": None, "quiet_hours_end": None}
    values = {
        name: getattr(stated, name) if stated is not None else unset.get(name, "")
        for name in _PREFERENCE_FIELDS
    }
    return {**values, "language": customer.language, "time_zone": customer.time_zone}


def _brief(customer: Customer) -> dict[str, Any]:
    found = selectors.brief(customer=customer)
    last = found.last_interaction
    return {
        "customer_id": customer.pk,
        "customer_name": customer.display_name,
        "last_interaction": None
        if last is None
        else {
            "id": last.pk,
            "occurred_at": last.occurred_at,
            "channel": last.channel,
            "direction": last.direction,
            "user_id": last.user_id,
            "user": user_name(last.user),
            "summary": last.summary,
            "outcome": last.outcome,
        },
        "promises": [
            {"kind": p.kind, "title": p.title, "due_at": p.due_at, "overdue": p.overdue}
            for p in found.promises
        ],
        "more_promises": found.more_promises,
        "known": [
            {
                "key": answer.question.key,
                "question": answer.question.text,
                "value": answer.value,
                "answered_at": answer.answered_at,
            }
            for answer in found.known
        ],
        "preferences": _preferences(customer),
        "value": {
            "orders": found.value.orders,
            "revenue": [
                {"currency": currency, "amount": str(amount)}
                for currency, amount in found.value.revenue
            ],
            "last_order_at": found.value.last_order_at,
        },
        "questions": [
            {
                "id": q.pk,
                "key": q.key,
                "text": q.text,
                "help_text": q.help_text,
                "answer_type": q.answer_type,
                "choices": q.choices,
            }
            for q in found.questions
        ],
    }


@brief.get(
    "/{customer_id}/brief",
    response={200: BriefOut, **ERRORS},
    summary="The brief to read before contacting a customer",
    description="Five lines: when and how we last spoke; what we owe them (open tasks, "
    "overdue first); what we know (their answers and stated preferences); what they are "
    "worth (completed orders of the last 12 months); and what to ask next (at most two "
    "questions of the bank, never one answered, nor one they declined recently).",
)
def customer_brief(request: HttpRequest, customer_id: RecordId) -> Any:
    return _brief(customer_of(request, customer_id))
