"""Reads of customer value that views, the API and the CLI share: a customer's figures
with their explanations, signals, the settings and the refresh runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from patron.analytics.explain import Figure, figures
from patron.analytics.models import CustomerMetrics, RefreshRun, Signal, ValueSettings
from patron.analytics.refresh import value_settings
from patron.analytics.signals import explain

if TYPE_CHECKING:
    from patron.customers.models import Customer


@dataclass
class SignalView:
    signal: Signal
    explanation: str


@dataclass
class CustomerValue:
    customer: Customer
    metrics: CustomerMetrics | None
    run: RefreshRun | None
    figures: list[Figure] = field(default_factory=list)
    signals: list[SignalView] = field(default_factory=list)

    def figure(self, name: str) -> Figure | None:
        return next((f for f in self.figures if f.name == name), None)


def last_run() -> RefreshRun | None:
    return RefreshRun.objects.filter(status=RefreshRun.Status.DONE).order_by("-started_at").first()


def runs(limit: int = 20) -> list[RefreshRun]:
    return list(RefreshRun.objects.order_by("-started_at", "-id")[:limit])


def current_settings() -> ValueSettings:
    return value_settings()


def signals_of(customer: Customer, *, limit: int = 10) -> list[SignalView]:
    rows = (
        Signal.objects.filter(customer=customer)
        .select_related("task")
        .order_by("cleared_at", "-raised_at", "-id")[:limit]
    )
    return [SignalView(s, explain(s.kind, s.details)) for s in rows]


def customer_value(customer: Customer, *, run: RefreshRun | None = None) -> CustomerValue:
    """The figures of `customer` (whom the caller may see) with their explanations."""
    found = CustomerMetrics.objects.filter(customer=customer).first()
    run = run or last_run()
    value = CustomerValue(customer=customer, metrics=found, run=run)
    if found is not None:
        value.figures = figures(found, run, value_settings())
    value.signals = signals_of(customer)
    return value
