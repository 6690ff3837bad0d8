"""A customer's value through the API and the customer page: figures with explanations,
signals with their tasks, the settings (admins only, validated), refresh runs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from patron.analytics import refresh as refreshing
from patron.analytics.models import ValueSettings
from patron.commerce.models import Order
from patron.interactions.models import Task
from tests.conftest import assert_error_shape
from tests.factories import PASSWORD, CustomerFactory

AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def order(customer, days, amount):
    Order.objects.create(
        customer=customer,
        placed_at=AS_OF - dt.timedelta(days=days),
        currency="USD",
        total_amount=Decimal(amount),
        total_cost=Decimal(0),
    )


@pytest.fixture
def valued(north, agent):
    """A most-valuable customer of the agent's, silent for long, among 20 regular buyers."""
    for _ in range(20):
        c = CustomerFactory(team=north, owner=agent)
        order(c, 30, 50)
        order(c, 300, 50)
    big = CustomerFactory(team=north, owner=agent, given_name="Big")
    for d in (5, 50, 100, 400):
        order(big, d, 3000)
    refreshing.refresh(as_of=AS_OF)
    return big


def test_metrics_give_every_figure_with_its_reason(api_for, agent, valued):
    response = api_for(agent).get(f"/api/v1/customers/{valued.pk}/metrics")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["computed"] is True
    figures = {f["name"]: f for f in body["figures"]}
    assert figures["value_tier"]["value"] == "most_valuable"
    assert "Ranks 1" in figures["value_tier"]["why"]
    assert figures["abc_class"]["value"] == "A"
    assert figures["revenue_12m"]["value"] == 9000.0
    assert {"rfm_segment", "relationship_stage", "clv_12m", "p_alive", "trend"} <= set(figures)
    assert all(f["why"] for f in body["figures"])
    (signal,) = [s for s in body["signals"] if s["kind"] == "silent"]
    assert "no interaction" in signal["explanation"]
    assert signal["task_status"] == "open"


def test_metrics_of_an_unseen_customer_are_404(api_for, other_agent, valued):
    assert_error_shape(api_for(other_agent).get(f"/api/v1/customers/{valued.pk}/metrics"), 404)


def test_metrics_before_any_refresh_say_so(api_for, agent, north_customer):
    body = api_for(agent).get(f"/api/v1/customers/{north_customer.pk}/metrics").json()
    assert body["computed"] is False and body["figures"] == []


def test_settings_are_read_by_all_and_changed_by_admins(api_for, agent, admin):
    assert api_for(agent).get("/api/v1/value-settings").json()["abc_a_share"] == 0.8
    assert_error_shape(api_for(agent).patch("/api/v1/value-settings", {"abc_a_share": 0.7}), 403)
    changed = api_for(admin).patch(
        "/api/v1/value-settings", {"most_valuable_share": 0.05, "trust_tags": [" VIP ", ""]}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["most_valuable_share"] == 0.05
    assert ValueSettings.objects.get().trust_tags == ["VIP"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"abc_a_share": 1.5}, "abc_a_share"),
        ({"abc_b_share": 0.5}, "abc_b_share"),  # below the A share
        ({"win_back_months": 6}, "win_back_months"),
        ({"most_valuable_basis": "profit"}, "most_valuable_basis"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_422_naming_the_field(api_for, admin, body, field):
    error = assert_error_shape(api_for(admin).patch("/api/v1/value-settings", body), 422)
    assert field in str(error["details"])


def test_refresh_runs_are_listed_and_started_by_managers(api_for, agent, manager, valued):
    runs = api_for(agent).get("/api/v1/refreshes").json()
    assert runs[0]["status"] == "done" and set(runs[0]["steps"]) == set(refreshing.STEPS)
    assert_error_shape(api_for(agent).post("/api/v1/refreshes"), 403)
    started = api_for(manager).post("/api/v1/refreshes")
    assert started.status_code == 202, started.content


def _signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_the_customer_page_loads_the_value_card_with_reasons_and_signals(agent, valued):
    client = _signed_in(agent)
    page = client.get(f"/customers/{valued.pk}/")
    assert f"/customers/{valued.pk}/value/card/" in page.content.decode()
    card = client.get(f"/customers/{valued.pk}/value/card/").content.decode()
    assert 'data-testid="why-value_tier"' in card
    assert "Most valuable" in card
    assert 'data-testid="signal-silent"' in card
    full = client.get(f"/customers/{valued.pk}/value/").content.decode()
    assert 'data-testid="row-rfm_segment"' in full


def test_a_signal_task_is_done_from_the_card(agent, valued):
    client = _signed_in(agent)
    task = Task.objects.get(customer=valued, source="signal")
    response = client.post(f"/tasks/{task.pk}/complete/", {"next": f"/customers/{valued.pk}/"})
    assert response.status_code == 302 and response.url == f"/customers/{valued.pk}/"
    task.refresh_from_db()
    assert task.status == "done"
    card = client.get(f"/customers/{valued.pk}/value/card/").content.decode()
    assert 'data-testid="signal-task-done"' in card


def test_the_value_card_reads_a_handful_of_queries(agent, valued, django_assert_max_num_queries):
    client = _signed_in(agent)
    client.get(f"/customers/{valued.pk}/value/card/")
    with django_assert_max_num_queries(10):
        client.get(f"/customers/{valued.pk}/value/card/")


def test_admins_edit_the_value_settings_in_per_cent(admin, agent):
    client = _signed_in(admin)
    page = client.get("/manage/value/")
    assert page.status_code == 200 and 'data-testid="value-settings-form"' in page.content.decode()
    form = {
        "most_valuable_share": "5",
        "most_valuable_basis": "margin",
        "abc_a_share": "80",
        "abc_b_share": "95",
        "below_zero_share": "15",
        "serving_cost_per_interaction": "2.50",
        "shrinking_below": "50",
        "declined_proposals": "3",
        "declined_outcomes": "Declined, No",
        "connection_days": "365",
        "intimacy_answers": "2",
        "intimacy_orders": "2",
        "trust_tenure_days": "730",
        "trust_tags": "advocate",
        "trend_below": "40",
        "win_back_months": "24",
        "silence_days": "60",
        "signal_cooldown_days": "90",
    }
    assert client.post("/manage/value/", form).status_code == 302
    saved = ValueSettings.objects.get()
    assert saved.most_valuable_share == Decimal("0.050")
    assert saved.most_valuable_basis == "margin"
    assert saved.declined_outcomes == ["Declined", "No"]
    bad = client.post("/manage/value/", {**form, "abc_b_share": "70"})
    assert bad.status_code == 200
    assert "The B cut-off must be above the A cut-off." in bad.content.decode()
    assert _signed_in(agent).get("/manage/value/").status_code == 403
