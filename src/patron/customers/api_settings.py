"""REST endpoints around the customer list: tag names, custom field definitions (admins
manage them) and each user's saved views."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.customers import selectors, services
from patron.customers.api_common import text

router = Router(tags=["customer settings"])

FieldType = Literal["text", "number", "date", "boolean", "choice"]
Key = text(50, 1)
FieldLabel = text(100, 1)
Choice = text(100, 1)
HelpText = text(200)
ViewName = text(80, 1)
ViewQuery = text(1000)


class CustomFieldOut(Schema):
    id: int
    key: str
    label: str
    field_type: FieldType
    choices: list[str]
    help_text: str
    position: int


class CustomFieldIn(InputSchema):
    key: Key = Field(..., description="Lower-case letters, digits and _; values live under it")
    label: FieldLabel
    field_type: FieldType
    choices: list[Choice] = Field(default_factory=list, max_length=200)
    help_text: HelpText = ""
    position: int = Field(0, ge=0, le=32767)


class CustomFieldPatch(InputSchema):
    key: Key | None = Field(None, description="Cannot change once created")
    label: FieldLabel | None = None
    field_type: FieldType | None = None
    choices: list[Choice] | None = Field(None, max_length=200)
    help_text: HelpText | None = None
    position: int | None = Field(None, ge=0, le=32767)


class SavedViewOut(Schema):
    id: int
    name: str
    query: str = Field(..., description="The list's query string, e.g. kind=person&tag=vip")
    created_at: dt.datetime


class SavedViewIn(InputSchema):
    name: ViewName
    query: ViewQuery = ""


@router.get("/tags", response={200: list[str], **ERRORS}, summary="Names of all customer tags")
@paginate(PagePagination)
def tag_list(request: HttpRequest) -> Any:
    return selectors.tag_names()


@router.get(
    "/custom-fields",
    response={200: list[CustomFieldOut], **ERRORS},
    summary="Definitions of the custom fields",
)
def custom_field_list(request: HttpRequest) -> Any:
    return selectors.custom_fields()


@router.post(
    "/custom-fields",
    response={201: CustomFieldOut, **WRITE_ERRORS},
    summary="Define a custom field (admins)",
)
def custom_field_create(request: HttpRequest, payload: CustomFieldIn) -> Any:
    return Status(201, services.custom_field_save(actor=request.user, **payload.model_dump()))


@router.patch(
    "/custom-fields/{field_id}",
    response={200: CustomFieldOut, **WRITE_ERRORS},
    summary="Change a custom field (admins)",
)
def custom_field_update(request: HttpRequest, field_id: RecordId, payload: CustomFieldPatch) -> Any:
    field = selectors.custom_field_get(field_id)
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.custom_field_save(actor=request.user, field=field, **values)


@router.delete(
    "/custom-fields/{field_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a custom field (admins)",
    description="Values stored under its key stay on the customers but are no longer shown.",
)
def custom_field_delete(request: HttpRequest, field_id: RecordId) -> Any:
    services.custom_field_delete(actor=request.user, field=selectors.custom_field_get(field_id))
    return Status(204, None)


@router.get(
    "/saved-views",
    response={200: list[SavedViewOut], **ERRORS},
    summary="My saved views of the customer list",
)
def saved_view_list(request: HttpRequest) -> Any:
    return selectors.saved_views(viewer=request.user)


@router.post(
    "/saved-views",
    response={201: SavedViewOut, **WRITE_ERRORS},
    summary="Save a view of the customer list",
    description="A view with the same name is replaced.",
)
def saved_view_save(request: HttpRequest, payload: SavedViewIn) -> Any:
    view = services.saved_view_save(actor=request.user, name=payload.name, query=payload.query)
    return Status(201, view)


@router.delete(
    "/saved-views/{view_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete one of my saved views",
)
def saved_view_delete(request: HttpRequest, view_id: RecordId) -> Any:
    view = selectors.saved_view_get(viewer=request.user, view_id=view_id)
    services.saved_view_delete(actor=request.user, view=view)
    return Status(204, None)
