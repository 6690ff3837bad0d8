"""REST endpoints of the platform itself: the audit trail of a record."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from patron.core import selectors
from patron.core.api_base import ERRORS, PagePagination

router = Router(tags=["audit log"])


class AuditChange(Schema):
    field: str
    old: Any = None
    new: Any = None


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    changes: list[AuditChange]


@router.get(
    "/audit/{target_type}/{target_id}",
    response={200: list[AuditEntryOut], **ERRORS},
    summary="The audit trail of one record",
    description="`target_type` is `app.model`, e.g. `customers.customer`.",
)
@paginate(PagePagination)
def audit_trail(request: HttpRequest, target_type: str, target_id: str) -> Any:
    return selectors.audit_trail(viewer=request.user, target_type=target_type, target_id=target_id)
