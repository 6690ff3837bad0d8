"""REST endpoints for segments: the catalogue of fields rules can test, live counts for
previews, segments with optimistic locking (If-Match or `version`), their members
(cursor pagination; added and removed by hand for static lists) and their history."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import ValidationFailed
from patron.customers.api_common import text
from patron.segments import fields as rule_fields
from patron.segments import selectors, services
from patron.segments.models import Segment, SegmentMembership

router = Router(tags=["segments"])

KindName = Literal["dynamic", "static"]
SortName = Literal[
    "name", "-name", "members", "-members", "evaluated", "-evaluated", "created", "-created"
]
Name = text(120, 1)
Description = text(5000)
CursorText = text(500)
RULES_HELP = (
    'The rules, as JSON: `{"match": "all" | "any", "conditions": [{"field", "op", '
    '"value"} or a nested group]}`, at most 3 groups deep. `GET /segments/fields` lists '
    "the fields, their operators and values. A bad part answers 422 with its path in "
    "`details`, such as `conditions[2].value`."
)
Rules = Annotated[
    dict[str, Any],
    Field(
        description=RULES_HELP,
        examples=[
            {
                "match": "all",
                "conditions": [
                    {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
                    {"field": "revenue_12m", "op": "gte", "value": 500},
                    {
                        "match": "any",
                        "conditions": [
                            {"field": "tags", "op": "has_any", "value": ["vip"]},
                            {
                                "field": "ordered_category",
                                "op": "happened",
                                "value": {"category": "Tea", "days": 90},
                            },
                        ],
                    },
                ],
            }
        ],
    ),
]
SegmentIfMatch = Annotated[
    str | None,
    Header(
        None,
        alias="If-Match",
        description='The segment\'s version as read (its ETag), e.g. `"3"`. If the segment '
        "changed since, the answer is 409 and nothing is written.",
    ),
]


def _expected_version(if_match: str | None) -> int | None:
    raw = (if_match or "").strip().removeprefix("W/").strip('"').strip()
    if not raw or raw == "*":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ValidationFailed(
            _('If-Match must be the segment\'s version number, such as "3".'),
            details={"If-Match": [raw[:40]]},
        )
    return int(raw)


# --- Schemas ---------------------------------------------------------------------------------


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    kind: KindName = Field(..., description="dynamic: by rules; static: a list kept by hand")
    rules: dict[str, Any] = Field(..., description="The rules, normalised ({} for a list)")
    member_count: int = Field(
        ..., description="Its size: every current member, including those you cannot see"
    )
    evaluated_at: dt.datetime | None = Field(..., description="When its rules last ran")
    version: int = Field(..., description="Send it back as If-Match (or `version`)")
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SegmentIn(InputSchema):
    name: Name = Field(..., description="Unique, whatever the case")
    description: Description = ""
    kind: KindName = "dynamic"
    rules: Rules = Field(default_factory=dict)


class SegmentPatch(InputSchema):
    name: Name | None = None
    description: Description | None = None
    kind: KindName | None = Field(None, description="static → dynamic replaces the members")
    rules: Rules | None = None
    version: int | None = Field(
        None, description="The version you read; a mismatch answers 409. Or send If-Match."
    )


class SegmentFilters(Schema):
    q: text(200) = Field("", description="A part of the name")  # type: ignore[valid-type]
    kind: KindName | None = None
    sort: SortName = "name"


class CountIn(InputSchema):
    rules: Rules
    segment_id: RecordId | None = Field(
        None, description="The segment being edited, so that its rules cannot name itself"
    )


class CountOut(Schema):
    count: int = Field(..., description="The customers you can see that match now")


class SegmentCountOut(Schema):
    count: int = Field(
        ...,
        description="Dynamic: the customers you can see that match the rules now; static: "
        "the members you can see",
    )
    member_count: int = Field(..., description="Current members you can see (see below)")
    member_count_exact: bool = Field(
        ..., description="false: more than `member_count` (counted up to 1,000 for agents)"
    )
    total_member_count: int = Field(..., description="Every current member")
    evaluated_at: dt.datetime | None


class MemberOut(Schema):
    customer_id: int
    name: str
    kind: str
    lifecycle_stage: str
    country: str
    owner_id: int | None
    team_id: int | None
    entered_at: dt.datetime
    added_by_id: int | None = Field(..., description="Who added them to a list; null: rules")

    @staticmethod
    def resolve_name(obj: SegmentMembership) -> str:
        return obj.customer.display_name

    @staticmethod
    def resolve_kind(obj: SegmentMembership) -> str:
        return obj.customer.kind

    @staticmethod
    def resolve_lifecycle_stage(obj: SegmentMembership) -> str:
        return obj.customer.lifecycle_stage

    @staticmethod
    def resolve_country(obj: SegmentMembership) -> str:
        return obj.customer.country

    @staticmethod
    def resolve_owner_id(obj: SegmentMembership) -> int | None:
        return obj.customer.owner_id

    @staticmethod
    def resolve_team_id(obj: SegmentMembership) -> int | None:
        return obj.customer.team_id


class PageQuery(Schema):
    cursor: CursorText | None = Field(  # type: ignore[valid-type]
        None, description="`next_cursor` of the page before; omitted: the first page"
    )
    size: int = Field(
        selectors.DEFAULT_PAGE, ge=1, le=selectors.MAX_PAGE, description="At most 200"
    )


class MemberPageOut(Schema):
    items: list[MemberOut] = Field(..., description="By customer id")
    next_cursor: str | None = Field(..., description="null: this was the last page")


class MembersIn(InputSchema):
    customer_ids: list[RecordId] = Field(
        ..., min_length=1, max_length=services.MAX_BATCH, description="Customers you can see"
    )


# Within Django's bound on the fields of a query string (DATA_UPLOAD_MAX_NUMBER_FIELDS).
MAX_IDS_IN_QUERY = 200


class MembersQuery(Schema):
    customer_id: list[RecordId] = Field(
        ..., min_length=1, max_length=MAX_IDS_IN_QUERY, description="Repeatable, at most 200"
    )


class MembersAddedOut(Schema):
    added: int = Field(..., description="How many entered (those already members stay)")
    member_count: int


class MembersRemovedOut(Schema):
    removed: int
    member_count: int


class HistoryEventOut(Schema):
    event: Literal["entered", "left"]
    at: dt.datetime
    customer_id: int
    customer_name: str


class HistoryPageOut(Schema):
    events: list[HistoryEventOut] = Field(..., description="Newest first")
    next_cursor: str | None


class EvaluatedOut(Schema):
    entered: int
    left: int
    member_count: int
    evaluated_at: dt.datetime | None


class ChoiceOut(Schema):
    value: str
    label: str


class OperatorOut(Schema):
    key: str
    label: str
    input: Literal["none", "single", "list", "pair", "days", "object"] = Field(
        ...,
        description="How the value is given: none; one value; a list; [from, to]; a number "
        "of days; an object (consent: {channel, purpose}; ordered_category: {category, "
        "days}; ordered_product: {sku, days}; interacted: {channel?, days})",
    )


class FieldOut(Schema):
    key: str = Field(..., description="As `field` in a condition; custom fields: custom.<key>")
    label: str
    group: str
    group_label: str
    type: Literal[
        "choice",
        "text",
        "number",
        "date",
        "boolean",
        "user",
        "team",
        "tags",
        "consent",
        "event",
        "segment",
    ]
    operators: list[OperatorOut]
    integer: bool = Field(False, description="Values must be whole numbers")
    help: str | None = None
    choices: list[ChoiceOut] | None = Field(None, description="The values it takes, if fixed")


class ConsentChoicesOut(Schema):
    channels: list[ChoiceOut]
    purposes: list[ChoiceOut]


class CatalogueOut(Schema):
    fields: list[FieldOut]
    matches: list[ChoiceOut] = Field(..., description="Of a group: all or any")
    max_depth: int
    max_conditions: int
    consent: ConsentChoicesOut
    interaction_channels: list[ChoiceOut]
    categories: list[str] = Field(..., description="Product categories known (at most 500)")
    time_zone: str = Field(..., description="Whole days of date conditions are days of this zone")


def _matches_out(catalogue: dict[str, Any]) -> dict[str, Any]:
    catalogue["matches"] = [{"value": m["key"], "label": m["label"]} for m in catalogue["matches"]]
    return catalogue


# --- Endpoints -------------------------------------------------------------------------------


def _segment(
    request: HttpRequest, segment_id: int, response: HttpResponse | None = None
) -> Segment:
    segment = selectors.segment_get(viewer=request.user, segment_id=segment_id)
    if response is not None:
        response["ETag"] = f'"{segment.version}"'
    return segment


@router.get(
    "/fields",
    response={200: CatalogueOut, **ERRORS},
    summary="What rules can test",
    description="Every field with its type, operators (and how each takes its value), "
    "choices and labels in your language, to build rules.",
)
def segment_fields(request: HttpRequest, exclude_segment_id: RecordId | None = None) -> Any:
    return _matches_out(rule_fields.catalogue(exclude_segment=exclude_segment_id))


@router.post(
    "/count",
    response={200: CountOut, **ERRORS},
    summary="Count the customers rules match",
    description="A preview while rules are built: the customers you can see that match "
    "now. Invalid rules answer 422 with the path of each bad part.",
)
def segment_count_preview(request: HttpRequest, payload: CountIn) -> Any:
    count = selectors.count_matching(request.user, payload.rules, segment_id=payload.segment_id)
    return {"count": count}


@router.get(
    "",
    response={200: list[SegmentOut], **ERRORS},
    summary="List segments",
    description="Every segment, with its size (`member_count`); `q` finds a part of the name.",
)
@paginate(PagePagination)
def segment_list(request: HttpRequest, filters: Query[SegmentFilters]) -> Any:
    return selectors.segment_list(
        viewer=request.user, query=filters.q, kind=filters.kind or "", sort=filters.sort
    )


@router.post(
    "",
    response={201: SegmentOut, **WRITE_ERRORS},
    summary="Create a segment",
    description="A dynamic segment (rules) is evaluated at once: its members are known when "
    "the answer comes. A static list starts empty; add customers with POST "
    "/segments/{id}/members.",
)
def segment_create(request: HttpRequest, payload: SegmentIn, response: HttpResponse) -> Any:
    segment = services.segment_create(actor=request.user, **payload.model_dump())
    response["ETag"] = f'"{segment.version}"'
    return Status(201, segment)


@router.get(
    "/{segment_id}",
    response={200: SegmentOut, **ERRORS},
    summary="Get a segment",
    description="The ETag is the version to send back as If-Match.",
)
def segment_get(request: HttpRequest, segment_id: RecordId, response: HttpResponse) -> Any:
    return _segment(request, segment_id, response)


@router.patch(
    "/{segment_id}",
    response={200: SegmentOut, **WRITE_ERRORS},
    summary="Change a segment",
    description="Send only what changes. With If-Match (or `version`), a segment changed "
    "since you read it answers 409 and nothing is written. A dynamic segment is evaluated "
    "again. Its author, managers and admins may change it.",
)
def segment_update(
    request: HttpRequest,
    segment_id: RecordId,
    payload: SegmentPatch,
    response: HttpResponse,
    if_match: SegmentIfMatch = None,
) -> Any:
    segment = _segment(request, segment_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    version = data.pop("version", None)
    expected = _expected_version(if_match)
    segment = services.segment_update(
        actor=request.user,
        segment=segment,
        expected_version=version if expected is None else expected,
        **data,
    )
    response["ETag"] = f'"{segment.version}"'
    return segment


@router.delete(
    "/{segment_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a segment",
    description="With its history. Refused (409) while another segment's rules name it.",
)
def segment_delete(
    request: HttpRequest, segment_id: RecordId, if_match: SegmentIfMatch = None
) -> Any:
    segment = _segment(request, segment_id)
    services.segment_delete(
        actor=request.user, segment=segment, expected_version=_expected_version(if_match)
    )
    return Status(204, None)


@router.get(
    "/{segment_id}/count",
    response={200: SegmentCountOut, **ERRORS},
    summary="Count a segment now",
    description="The live count of its rules (or of a list's members) among the customers "
    "you can see, and its stored members.",
)
def segment_count(request: HttpRequest, segment_id: RecordId) -> Any:
    segment = _segment(request, segment_id)
    members = selectors.member_count(request.user, segment)
    if segment.kind == Segment.Kind.DYNAMIC:
        live = selectors.count_matching(request.user, segment.rules, segment_id=segment.pk)
    else:
        live = members.count
    return {
        "count": live,
        "member_count": members.count,
        "member_count_exact": members.exact,
        "total_member_count": members.total,
        "evaluated_at": segment.evaluated_at,
    }


@router.post(
    "/{segment_id}/evaluate",
    response={200: EvaluatedOut, **WRITE_ERRORS},
    summary="Evaluate a dynamic segment now",
    description="Who entered and who left since it was last evaluated (the nightly refresh "
    "evaluates every dynamic segment).",
)
def segment_evaluate(request: HttpRequest, segment_id: RecordId) -> Any:
    segment = _segment(request, segment_id)
    result = services.segment_evaluate(actor=request.user, segment=segment)
    segment.refresh_from_db(fields=["member_count", "evaluated_at"])
    return {
        "entered": result["entered"],
        "left": result["left"],
        "member_count": segment.member_count,
        "evaluated_at": segment.evaluated_at,
    }


@router.get(
    "/{segment_id}/members",
    response={200: MemberPageOut, **ERRORS},
    summary="The members of a segment",
    description="Current members you can see, by customer id. Cursor pagination: send "
    "`next_cursor` back as `cursor` for the next page; it is null on the last one.",
)
def segment_members(request: HttpRequest, segment_id: RecordId, query: Query[PageQuery]) -> Any:
    segment = _segment(request, segment_id)
    page = selectors.members(request.user, segment, cursor=query.cursor, size=query.size)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/{segment_id}/members",
    response={200: MembersAddedOut, **WRITE_ERRORS},
    summary="Add customers to a static list",
    description="At most 1,000 ids at a time, each of a customer you can see (else 422, "
    "nothing added). Those already members stay as they are.",
)
def segment_members_add(request: HttpRequest, segment_id: RecordId, payload: MembersIn) -> Any:
    segment = _segment(request, segment_id)
    added = services.segment_members_add(
        actor=request.user, segment=segment, customer_ids=payload.customer_ids
    )
    return {"added": added, "member_count": segment.member_count}


@router.delete(
    "/{segment_id}/members",
    response={200: MembersRemovedOut, **WRITE_ERRORS},
    summary="Take customers out of a static list",
    description="`?customer_id=1&customer_id=2` (at most 200): their stay ends now (the "
    "history keeps it).",
)
def segment_members_remove(
    request: HttpRequest, segment_id: RecordId, query: Query[MembersQuery]
) -> Any:
    segment = _segment(request, segment_id)
    removed = services.segment_members_remove(
        actor=request.user, segment=segment, customer_ids=query.customer_id
    )
    return {"removed": removed, "member_count": segment.member_count}


@router.get(
    "/{segment_id}/history",
    response={200: HistoryPageOut, **ERRORS},
    summary="Who entered and who left",
    description="Newest first, among the customers you can see; cursor pagination as for "
    "the members.",
)
def segment_history(request: HttpRequest, segment_id: RecordId, query: Query[PageQuery]) -> Any:
    segment = _segment(request, segment_id)
    page = selectors.history(request.user, segment, cursor=query.cursor, size=query.size)
    return {
        "events": [
            {
                "event": event.kind,
                "at": event.at,
                "customer_id": event.membership.customer_id,
                "customer_name": event.membership.customer.display_name,
            }
            for event in page.events
        ],
        "next_cursor": page.next_cursor,
    }
