"""REST endpoints of customer value: a customer's figures with their explanations, the
settings behind them (admins), and the refresh runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from patron.analytics import selectors, services
from patron.analytics.models import RefreshRun, ValueSettings
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, RecordId
from patron.customers import selectors as customer_selectors

customer_metrics = Router(tags=["customer value"])
value = Router(tags=["customer value"])


class FigureOut(Schema):
    name: str = Field(..., description="The field name, as in the export and the list")
    label: str
    value: Any = Field(..., description="The raw value (number, code or null)")
    shown: str = Field(..., description="The value formatted in your language")
    why: str = Field(..., description="How it was computed, with the cut-offs of the run")


class SignalOut(Schema):
    id: int
    kind: str
    label: str
    explanation: str
    details: dict[str, Any]
    raised_at: dt.datetime
    cleared_at: dt.datetime | None
    task_id: int | None
    task_status: str | None


class MetricsOut(Schema):
    customer_id: int
    computed: bool = Field(..., description="False until the first refresh after creation")
    as_of: dt.datetime | None = Field(..., description="The moment the figures describe")
    refreshed_at: dt.datetime | None
    figures: list[FigureOut]
    signals: list[SignalOut]


@customer_metrics.get(
    "/{customer_id}/metrics",
    response={200: MetricsOut, **ERRORS},
    summary="A customer's figures, tiers, scores and prediction, each with its explanation",
)
def customer_metrics_get(request: HttpRequest, customer_id: RecordId) -> dict[str, Any]:
    customer = customer_selectors.customer_get(viewer=request.user, customer_id=customer_id)
    found = selectors.customer_value(customer)
    return {
        "customer_id": customer.pk,
        "computed": found.metrics is not None,
        "as_of": found.run.as_of if found.run else None,
        "refreshed_at": found.metrics.refreshed_at if found.metrics else None,
        "figures": [
            {
                "name": f.name,
                "label": f.label,
                "value": _plain(f.value),
                "shown": f.shown,
                "why": f.why,
            }
            for f in found.figures
        ],
        "signals": [
            {
                "id": s.signal.pk,
                "kind": s.signal.kind,
                "label": s.signal.get_kind_display(),
                "explanation": s.explanation,
                "details": s.signal.details,
                "raised_at": s.signal.raised_at,
                "cleared_at": s.signal.cleared_at,
                "task_id": s.signal.task_id,
                "task_status": s.signal.task.status if s.signal.task else None,
            }
            for s in found.signals
        ],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


# --- Settings --------------------------------------------------------------------------------


class ValueSettingsOut(Schema):
    most_valuable_share: float
    most_valuable_basis: Literal["revenue", "margin"]
    abc_a_share: float
    abc_b_share: float
    below_zero_share: float
    serving_cost_per_interaction: float
    shrinking_below: float
    declined_proposals: int
    declined_outcomes: list[str]
    connection_days: int
    intimacy_answers: int
    intimacy_orders: int
    trust_tenure_days: int
    trust_tags: list[str]
    trend_below: float
    win_back_months: int
    silence_days: int
    signal_cooldown_days: int
    updated_at: dt.datetime | None


class ValueSettingsIn(InputSchema):
    most_valuable_share: float | None = Field(None, gt=0, le=1, description="e.g. 0.1")
    most_valuable_basis: Literal["revenue", "margin"] | None = None
    abc_a_share: float | None = Field(None, gt=0, le=1)
    abc_b_share: float | None = Field(None, gt=0, le=1)
    below_zero_share: float | None = Field(None, gt=0, le=1)
    serving_cost_per_interaction: float | None = Field(None, ge=0, le=1_000_000)
    shrinking_below: float | None = Field(None, gt=0, le=1)
    declined_proposals: int | None = Field(None, ge=1, le=1000)
    declined_outcomes: list[str] | None = Field(None, max_length=50)
    connection_days: int | None = Field(None, ge=1, le=3650)
    intimacy_answers: int | None = Field(None, ge=0, le=1000)
    intimacy_orders: int | None = Field(None, ge=0, le=10000)
    trust_tenure_days: int | None = Field(None, ge=0, le=36500)
    trust_tags: list[str] | None = Field(None, max_length=50)
    trend_below: float | None = Field(None, gt=0, le=1)
    win_back_months: int | None = Field(None, ge=13, le=240)
    silence_days: int | None = Field(None, ge=1, le=3650)
    signal_cooldown_days: int | None = Field(None, ge=0, le=3650)


@value.get(
    "/value-settings",
    response={200: ValueSettingsOut, **ERRORS},
    summary="The definitions of tiers, stages and signals",
)
def settings_get(request: HttpRequest) -> ValueSettings:
    return selectors.current_settings()


@value.patch(
    "/value-settings",
    response={200: ValueSettingsOut, **WRITE_ERRORS},
    summary="Change the definitions (admins); they apply from the next refresh",
)
def settings_patch(request: HttpRequest, body: ValueSettingsIn) -> ValueSettings:
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    return services.value_settings_update(actor=request.user, **fields)


# --- Refresh runs ---------------------------------------------------------------------------


class RunOut(Schema):
    id: int
    status: str
    trigger: str
    as_of: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None
    steps: dict[str, float] = Field(..., description="Seconds per step")
    customers: int | None
    buyers: int | None
    error: str


class QueuedOut(Schema):
    queued: bool
    message: str


def _run(run: RefreshRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "status": run.status,
        "trigger": run.trigger,
        "as_of": run.as_of,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "steps": run.steps,
        "customers": run.stats.get("customers"),
        "buyers": run.stats.get("buyers"),
        "error": run.error,
    }


@value.get(
    "/refreshes",
    response={200: list[RunOut], **ERRORS},
    summary="The latest refresh runs, newest first",
)
def runs_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_run(r) for r in selectors.runs()]


@value.post(
    "/refreshes",
    response={202: QueuedOut, **WRITE_ERRORS},
    summary="Start a refresh in the background (admins and managers)",
)
def runs_start(request: HttpRequest) -> tuple[int, dict[str, Any]]:
    services.refresh_request(actor=request.user)
    return 202, {"queued": True, "message": _("A refresh is queued; GET /refreshes shows it.")}
