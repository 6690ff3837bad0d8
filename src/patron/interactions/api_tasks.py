"""REST endpoints for tasks: the promises we made, with optimistic locking (If-Match or
`version`), and the one-click moves (complete, reopen, snooze, reassign)."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patron.accounts.models import User
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import Conflict
from patron.interactions import selectors, services
from patron.interactions.api_common import (
    Moment,
    TaskIfMatch,
    customer_of,
    in_callers_zone,
    task_version,
    text,
    user_by_id,
    user_name,
)
from patron.interactions.models import Task

router = Router(tags=["tasks"])

View = Literal["open", "overdue", "today", "upcoming", "done", "all"]
PriorityName = Literal["low", "normal", "high", "urgent"]
PRIORITIES = {"low": Task.Priority.LOW, "normal": Task.Priority.NORMAL}
PRIORITIES |= {"high": Task.Priority.HIGH, "urgent": Task.Priority.URGENT}
PRIORITY_NAMES = {value: name for name, value in PRIORITIES.items()}
Title = text(200)
Description = text(20_000)
Assignee = Annotated[
    RecordId | Literal["me"] | None,
    Field(description='A user id, or "me"'),
]


class TaskOut(Schema):
    id: int
    title: str
    description: str
    customer_id: int | None = Field(..., description="None: a task of nobody's customer")
    customer_name: str | None
    due_at: dt.datetime | None
    remind_at: dt.datetime | None = Field(..., description="When the assignee gets an email")
    assignee_id: int | None
    assignee_name: str | None
    created_by_id: int | None
    priority: PriorityName
    status: Literal["open", "done", "cancelled"]
    source: Literal["manual", "signal", "ticket"] = Field(..., description="What raised it")
    overdue: bool
    completed_at: dt.datetime | None
    completed_by_id: int | None
    version: int = Field(..., description="Send it back as If-Match (or `version`) to change it")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_customer_name(obj: Task) -> str | None:
        return obj.customer.display_name if obj.customer is not None else None

    @staticmethod
    def resolve_assignee_name(obj: Task) -> str | None:
        return user_name(obj.assignee)

    @staticmethod
    def resolve_priority(obj: Task) -> str:
        return PRIORITY_NAMES.get(obj.priority, "normal")

    @staticmethod
    def resolve_overdue(obj: Task) -> bool:
        return obj.is_overdue()


class TaskIn(InputSchema):
    title: Title = Field(..., description="What we promised")
    description: Description = ""
    customer_id: RecordId | None = Field(None, description="The customer it is for, if any")
    due_at: Moment | None = None
    remind_at: Moment | None = Field(None, description="Default: when it falls due")
    assignee_id: Assignee = Field(None, description='A user id or "me" (default: you)')
    priority: PriorityName = "normal"


class TaskPatch(InputSchema):
    title: Title | None = None
    description: Description | None = None
    customer_id: RecordId | None = Field(None, description="null: nobody's customer")
    due_at: Moment | None = Field(None, description="null: no due date")
    remind_at: Moment | None = Field(None, description="null: no reminder")
    assignee_id: Assignee = Field(None, description='A user id, "me", or null: nobody')
    priority: PriorityName | None = None
    version: int | None = Field(
        None, description="The version you read; a mismatch answers 409. Or send If-Match."
    )


class TaskFilters(Schema):
    view: View = Field(
        "open",
        description="open; overdue; today (due by the end of your day, overdue included); "
        "upcoming (due later, or undated); done (done or cancelled); all",
    )
    assignee_id: Assignee = Field(None, description='A user id, or "me"')
    customer_id: RecordId | None = None


class SnoozeIn(InputSchema):
    until: Moment = Field(..., description="The new due time (and reminder), in the future")


class ReassignIn(InputSchema):
    assignee_id: Assignee = Field(..., description='A user id, "me", or null: nobody')


class TaskCounts(Schema):
    open: int = Field(..., description="Your open tasks")
    overdue: int = Field(..., description="Of which overdue")


def _assignee(request: HttpRequest, value: int | str | None, field: str) -> User | None:
    if value == "me":
        return request.user
    return user_by_id(value, field)  # type: ignore[arg-type]


def _fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """The service's fields from a body: ids become records, priorities numbers."""
    fields = dict(data)
    if "assignee_id" in fields:
        fields["assignee"] = _assignee(request, fields.pop("assignee_id"), "assignee_id")
    if "customer_id" in fields:
        customer_id = fields.pop("customer_id")
        fields["customer"] = customer_of(request, customer_id) if customer_id else None
    if "priority" in fields:
        fields["priority"] = PRIORITIES[fields["priority"]]
    return fields


def _task(request: HttpRequest, task_id: int, response: HttpResponse | None = None) -> Task:
    task = selectors.task_get(viewer=request.user, task_id=task_id)
    if response is not None:
        response["ETag"] = f'"{task.version}"'
    return task


@router.get(
    "",
    response={200: list[TaskOut], **ERRORS},
    summary="List tasks",
    description="Tasks on the customers you can see, and your own tasks of nobody's "
    "customer; open ones by due date (undated last), done ones newest first.",
)
@paginate(PagePagination)
def task_list(request: HttpRequest, filters: Query[TaskFilters]) -> Any:
    assignee_id = request.user.pk if filters.assignee_id == "me" else filters.assignee_id
    with in_callers_zone(request):
        return selectors.task_list(
            viewer=request.user,
            assignee_id=assignee_id,  # type: ignore[arg-type]
            customer_id=filters.customer_id,
            view=filters.view,
        )


@router.get(
    "/counts",
    response={200: TaskCounts, **ERRORS},
    summary="How many open tasks you have",
    description="Your open tasks, and how many of them are overdue.",
)
def task_counts(request: HttpRequest) -> Any:
    return selectors.task_counts(viewer=request.user)


@router.post(
    "",
    response={201: TaskOut, **WRITE_ERRORS},
    summary="Create a task",
    description="For you unless `assignee_id` says otherwise; the assignee is notified and "
    "reminded by email when it falls due (or at `remind_at`). The assignee must be able "
    "to see the customer.",
)
def task_create(request: HttpRequest, payload: TaskIn, response: HttpResponse) -> Any:
    data = payload.model_dump(exclude_unset=True)
    if data.get("assignee_id", "me") is None:
        data.pop("assignee_id")  # null on create: the default, you
    fields = _fields(request, data)
    customer = fields.pop("customer", None)
    title = fields.pop("title")
    task = services.task_create(actor=request.user, title=title, customer=customer, **fields)
    response["ETag"] = f'"{task.version}"'
    return Status(201, task)


@router.get(
    "/{task_id}",
    response={200: TaskOut, **ERRORS},
    summary="Get a task",
    description="The ETag is the version to send back as If-Match.",
)
def task_get(request: HttpRequest, task_id: RecordId, response: HttpResponse) -> Any:
    return _task(request, task_id, response)


@router.patch(
    "/{task_id}",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="Change a task",
    description="Send only the fields that change. With If-Match (or `version`), a task "
    "changed since you read it answers 409 and nothing is overwritten. A new due date "
    "moves the reminder with it.",
)
def task_update(
    request: HttpRequest,
    task_id: RecordId,
    payload: TaskPatch,
    response: HttpResponse,
    if_match: TaskIfMatch = None,
) -> Any:
    task = _task(request, task_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    expected = task_version(if_match)
    for name in ("title", "description", "priority"):
        if data.get(name, "") is None:
            data.pop(name)  # null: leave as is (they always have a value)
    task = services.task_update(
        actor=request.user,
        task=task,
        expected_version=version if expected is None else expected,
        **_fields(request, data),
    )
    response["ETag"] = f'"{task.version}"'
    return task


@router.delete(
    "/{task_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a task",
    description="With If-Match, a task changed since you read it answers 409.",
)
def task_delete(request: HttpRequest, task_id: RecordId, if_match: TaskIfMatch = None) -> Any:
    task = _task(request, task_id)
    expected = task_version(if_match)
    if expected is not None and expected != task.version:
        raise Conflict(
            _("Someone changed this task meanwhile; reload it and try again."),
            details={"version": [str(task.version)]},
        )
    services.task_delete(actor=request.user, task=task)
    return Status(204, None)


@router.post(
    "/{task_id}/complete",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="Mark a task done",
)
def task_complete(request: HttpRequest, task_id: RecordId, response: HttpResponse) -> Any:
    task = services.task_complete(actor=request.user, task=_task(request, task_id))
    response["ETag"] = f'"{task.version}"'
    return task


@router.post(
    "/{task_id}/reopen",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="Reopen a done task",
)
def task_reopen(request: HttpRequest, task_id: RecordId, response: HttpResponse) -> Any:
    task = services.task_reopen(actor=request.user, task=_task(request, task_id))
    response["ETag"] = f'"{task.version}"'
    return task


@router.post(
    "/{task_id}/snooze",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="Put an open task off",
    description="Its due time and its reminder move to `until`, which must be in the future.",
)
def task_snooze(
    request: HttpRequest, task_id: RecordId, payload: SnoozeIn, response: HttpResponse
) -> Any:
    task = services.task_snooze(
        actor=request.user, task=_task(request, task_id), until=payload.until
    )
    response["ETag"] = f'"{task.version}"'
    return task


@router.post(
    "/{task_id}/reassign",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="Give a task to someone else",
    description="The new assignee is notified; they must be able to see the customer.",
)
def task_reassign(
    request: HttpRequest, task_id: RecordId, payload: ReassignIn, response: HttpResponse
) -> Any:
    assignee = _assignee(request, payload.assignee_id, "assignee_id")
    task = services.task_reassign(
        actor=request.user, task=_task(request, task_id), assignee=assignee
    )
    response["ETag"] = f'"{task.version}"'
    return task
