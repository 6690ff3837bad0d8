"""GET /api/v1/signals and /signals/{id}: newest first with cursor pages, filters (kind,
status, customer, owner), only signals on customers the caller sees, explanations in the
caller's language, clear 4xx errors."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.analytics.models import Signal
from patron.interactions.models import Task
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/signals"
NOW = timezone.now()
DETAILS = {"revenue_12m": 300, "usual_revenue": 4000, "trend": 0.075, "threshold": 0.4}


def ago(hours):
    return NOW - dt.timedelta(hours=hours)


def signal(customer, kind="buying_less", *, hours=1, cleared=None, with_task=True, **details):
    task = None
    if with_task:
        task = Task.objects.create(
            title="Follow up", customer=customer, assignee=customer.owner, source="signal"
        )
    return Signal.objects.create(
        customer=customer,
        kind=kind,
        raised_at=ago(hours),
        cleared_at=cleared,
        task=task,
        details=details or DETAILS,
    )


def listed(api, query=""):
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_an_item_has_kind_label_explanation_details_times_task_and_customer(
    api_for, agent, north_customer
):
    made = signal(north_customer)
    body = listed(api_for(agent))
    assert body["next_cursor"] is None
    (item,) = body["items"]
    raised = dt.datetime.fromisoformat(item.pop("raised_at"))
    assert abs(raised - made.raised_at) < dt.timedelta(milliseconds=1)
    assert item == {
        "id": made.pk,
        "kind": "buying_less",
        "label": "Buying less than usual",
        "explanation": "Bought $300.00 in the last 12 months against $4,000.00 in a usual "
        "year (7% of usual; the signal fires below 40%).",
        "details": DETAILS | {"trend": 0.075, "threshold": 0.4},
        "cleared_at": None,
        "customer_id": north_customer.pk,
        "customer_name": "Ani Nor",
        "owner_id": agent.pk,
        "task_id": made.task_id,
        "task_status": "open",
        "task_assignee_id": agent.pk,
    }
    one = api_for(agent).get(f"{URL}/{made.pk}").json()
    assert one.pop("raised_at") and one == item


def test_the_explanation_is_in_the_callers_language(api_for, agent, north_customer):
    made = signal(north_customer)
    agent.language = "hy"
    agent.save()
    item = api_for(agent).get(f"{URL}/{made.pk}").json()
    assert "4\xa0000,00\xa0$" in item["explanation"] or "4 000,00 $" in item["explanation"]
    # Without a saved language, the request's Accept-Language.
    agent.language = ""
    agent.save()
    item = api_for(agent).get(f"{URL}/{made.pk}", **{"Accept-Language": "hy"}).json()
    assert "000,00" in item["explanation"]


def test_newest_first_and_the_cursor_walks_every_signal_once(api_for, admin, north):
    made = [
        signal(CustomerFactory(team=north), "silent", hours=n, days_since_interaction=70, days=60)
        for n in range(7)
    ]
    made.append(signal(CustomerFactory(team=north), "at_risk", hours=3, **{"from": "loyal"}))
    api = api_for(admin)
    seen, cursor = [], None
    while True:
        body = listed(api, f"size=3&cursor={cursor}" if cursor else "size=3")
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    expected = sorted(made, key=lambda s: (s.raised_at, s.pk), reverse=True)
    assert seen == [s.pk for s in expected]


def test_filters_kind_status_customer_and_owner(api_for, manager, agent, north, north_customer):
    mine = CustomerFactory(owner=manager, team=north)
    silent = signal(north_customer, "silent", hours=5, days_since_interaction=None, days=60)
    won = signal(north_customer, "win_back", hours=3, cleared=ago(1))
    risk = signal(mine, "at_risk", hours=1, **{"from": "champions", "r": 2, "f": 4})
    api = api_for(manager)

    def ids(query):
        return [item["id"] for item in listed(api, query)["items"]]

    assert ids("") == [risk.pk, won.pk, silent.pk]  # every status by default
    assert ids("status=open") == [risk.pk, silent.pk]
    assert ids("status=cleared") == [won.pk]
    assert ids("kind=silent") == [silent.pk]
    assert ids(f"customer_id={north_customer.pk}") == [won.pk, silent.pk]
    assert ids("owner=me") == [risk.pk]
    assert ids(f"owner={agent.pk}&status=open") == [silent.pk]
    texts = {item["kind"]: item["explanation"] for item in listed(api)["items"]}
    assert texts["silent"] == "A most valuable customer with no interaction on record."
    assert texts["at_risk"].startswith("Moved from Champions into At risk")


def test_only_signals_on_customers_the_caller_sees(
    api_for, agent, other_agent, north_customer, south_customer
):
    ours = signal(north_customer)
    theirs = signal(south_customer)
    assert [i["id"] for i in listed(api_for(agent))["items"]] == [ours.pk]
    assert_error_shape(api_for(agent).get(f"{URL}/{theirs.pk}"), 404, "not_found")
    assert listed(api_for(agent), f"customer_id={south_customer.pk}")["items"] == []


def test_a_signal_whose_task_was_deleted(api_for, agent, north_customer):
    made = signal(north_customer, with_task=False)
    item = api_for(agent).get(f"{URL}/{made.pk}").json()
    assert (item["task_id"], item["task_status"], item["task_assignee_id"]) == (None, None, None)


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("cursor=bm90LWEtY3Vyc29y", 422, "validation_failed"),
        ("kind=exploding", 422, "validation_failed"),
        ("status=maybe", 422, "invalid_input"),
        ("size=0", 422, "invalid_input"),
        ("size=101", 422, "invalid_input"),
        ("customer_id=0", 422, "invalid_input"),
        ("owner=you", 422, "invalid_input"),
    ],
)
def test_bad_queries_answer_4xx_with_the_error_shape(api_for, agent, query, status, code):
    error = assert_error_shape(api_for(agent).get(f"{URL}?{query}"), status, code)
    assert error["message"]


def test_unknown_ids_and_no_token(api_for, agent, client):
    assert_error_shape(api_for(agent).get(f"{URL}/999999"), 404, "not_found")
    assert_error_shape(api_for(agent).get(f"{URL}/0"), 422, "invalid_input")
    assert_error_shape(client.get(URL), 401, "unauthenticated")


def test_the_list_reads_a_flat_number_of_queries(
    api_for, agent, north, django_assert_max_num_queries
):
    api = api_for(agent)
    signal(CustomerFactory(owner=agent, team=north))
    with django_assert_max_num_queries(8) as few:
        api.get(URL)
    for _ in range(40):
        signal(CustomerFactory(owner=agent, team=north))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(f"{URL}?size=100").json()["items"]) == 41


def test_the_openapi_document_has_the_signals(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/signals"] and "get" in paths["/api/v1/signals/{signal_id}"]
