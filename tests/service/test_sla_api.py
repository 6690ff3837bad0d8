"""The SLA API: categories, policies, service hours and holidays, breaches; admins write,
everyone reads, 4xx with field details, never 500."""

import datetime as dt

import pytest

from patron.service.models import Holiday, ServiceHours, SlaBreach, SlaPolicy, Ticket
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory

API = "/api/v1"


@pytest.fixture
def admin_api(api_for, admin):
    return api_for(admin)


@pytest.fixture
def agent_api(api_for, agent):
    return api_for(agent)


def test_categories(admin_api, agent_api):
    created = admin_api.post(f"{API}/ticket-categories", {"name": "Billing", "position": 5})
    assert created.status_code == 201, created.content
    category = created.json()
    assert category["name"] == "Billing" and category["active"] is True
    changed = admin_api.patch(f"{API}/ticket-categories/{category['id']}", {"active": False})
    assert changed.json()["active"] is False
    listed = agent_api.get(f"{API}/ticket-categories?active=true").json()
    assert category["id"] not in [c["id"] for c in listed]
    assert any(c["id"] == category["id"] for c in agent_api.get(f"{API}/ticket-categories").json())
    error = assert_error_shape(admin_api.post(f"{API}/ticket-categories", {"name": "billing"}), 422)
    assert "name" in error["details"]
    assert_error_shape(admin_api.patch(f"{API}/ticket-categories/999999", {"name": "X"}), 404)


def test_policies_crud(admin_api):
    listed = admin_api.get(f"{API}/sla-policies").json()
    assert listed[0]["name"] == "Most valuable complaints"
    assert listed[0]["ticket_type"] == "complaint" and listed[0]["customer_tier"] == "most_valuable"
    body = {
        "name": "Incidents",
        "ticket_type": "incident",
        "priority": "high",
        "first_response_minutes": 30,
        "resolution_minutes": 240,
    }
    created = admin_api.post(f"{API}/sla-policies", body)
    assert created.status_code == 201, created.content
    policy = created.json()
    assert policy["priority"] == "high" and policy["business_hours"] is True
    path = f"{API}/sla-policies/{policy['id']}"
    assert admin_api.get(path).json()["name"] == "Incidents"
    patched = admin_api.patch(path, {"priority": None, "business_hours": False})
    assert patched.status_code == 200, patched.content
    assert patched.json()["priority"] is None and patched.json()["business_hours"] is False
    assert SlaPolicy.objects.get(pk=policy["id"]).priority is None
    assert admin_api.delete(path).status_code == 204
    assert_error_shape(admin_api.get(path), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"first_response_minutes": 100, "resolution_minutes": 50}, "resolution_minutes"),
        ({"priority": "whenever"}, "priority"),
        ({"customer_tier": "gold"}, "customer_tier"),
        ({"colour": "red"}, "colour"),
        ({"name": "complaints"}, "name"),
    ],
)
def test_policy_input_errors_name_the_field(admin_api, body, field):
    full = {"name": "New", "first_response_minutes": 10, "resolution_minutes": 60} | body
    error = assert_error_shape(admin_api.post(f"{API}/sla-policies", full), 422)
    assert field in str(error["details"])


def test_only_admins_write(agent_api, manager, api_for):
    policy = SlaPolicy.objects.get(name="Normal")
    hours = ServiceHours.objects.get(team__isnull=True)
    for client in (agent_api, api_for(manager)):
        assert client.get(f"{API}/sla-policies").status_code == 200
        assert client.get(f"{API}/service-hours").status_code == 200
        writes = [
            client.post(f"{API}/ticket-categories", {"name": "X"}),
            client.post(
                f"{API}/sla-policies",
                {"name": "X", "first_response_minutes": 1, "resolution_minutes": 2},
            ),
            client.patch(f"{API}/sla-policies/{policy.pk}", {"position": 1}),
            client.delete(f"{API}/sla-policies/{policy.pk}"),
            client.patch(f"{API}/service-hours/{hours.pk}", {"time_zone": "Europe/Paris"}),
            client.post(f"{API}/service-hours/{hours.pk}/holidays", {"date": "2026-12-25"}),
        ]
        for response in writes:
            assert_error_shape(response, 403, "forbidden")
    assert SlaPolicy.objects.get(pk=policy.pk).position == policy.position


def test_service_hours_and_holidays(admin_api, north):
    default = admin_api.get(f"{API}/service-hours").json()[0]
    assert default["team_id"] is None and default["week"][5] == []
    week = [[["08:00", "12:00"], ["13:00", "18:00"]]] * 5 + [[["10:00", "14:00"]], []]
    created = admin_api.post(
        f"{API}/service-hours", {"team_id": north.pk, "time_zone": "Asia/Yerevan", "week": week}
    )
    assert created.status_code == 201, created.content
    hours = created.json()
    assert hours["team_name"] == "North" and hours["week"][5] == [["10:00", "14:00"]]
    path = f"{API}/service-hours/{hours['id']}"
    added = admin_api.post(f"{path}/holidays", {"date": "2026-05-09", "name": "Victory Day"})
    assert added.status_code == 201, added.content
    assert admin_api.get(path).json()["holidays"] == [
        {"id": added.json()["id"], "date": "2026-05-09", "name": "Victory Day"}
    ]
    assert_error_shape(admin_api.post(f"{path}/holidays", {"date": "2026-05-09"}), 422)
    assert admin_api.delete(f"{path}/holidays/2026-05-09").status_code == 204
    assert not Holiday.objects.filter(hours_id=hours["id"]).exists()
    assert_error_shape(admin_api.delete(f"{path}/holidays/2026-05-09"), 404)
    assert (
        admin_api.patch(path, {"time_zone": "Europe/Paris"}).json()["time_zone"] == "Europe/Paris"
    )
    assert admin_api.delete(path).status_code == 204
    assert_error_shape(admin_api.delete(f"{API}/service-hours/{default['id']}"), 422)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"week": [[["17:00", "09:00"]]] * 7}, "week"),
        ({"week": [[]] * 7}, "week"),
        ({"week": "weekdays"}, "week"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"team_id": 999999}, "team_id"),
        ({}, "team"),  # the default hours exist already
    ],
)
def test_service_hours_errors(admin_api, body, field):
    error = assert_error_shape(admin_api.post(f"{API}/service-hours", body), 422)
    assert field in str(error["details"])


def test_breaches_are_listed_for_the_tickets_the_caller_sees(
    api_for, agent, other_agent, north_customer
):
    south = CustomerFactory(team=other_agent.teams.first(), owner=other_agent)
    now = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)
    mine = Ticket.objects.create(subject="Mine", customer=north_customer, owner=agent,
                                 team=north_customer.team)  # fmt: skip
    theirs = Ticket.objects.create(subject="Theirs", customer=south, owner=other_agent,
                                   team=south.team)  # fmt: skip
    for ticket in (mine, theirs):
        SlaBreach.objects.create(ticket=ticket, target="first_response", due_at=now,
                                 breached_at=now, owner=ticket.owner)  # fmt: skip
    SlaBreach.objects.create(ticket=mine, target="resolution", due_at=now,
                             breached_at=now + dt.timedelta(days=1))  # fmt: skip
    body = api_for(agent).get(f"{API}/sla-breaches").json()
    assert body["count"] == 2
    assert {b["ticket_subject"] for b in body["items"]} == {"Mine"}
    assert body["items"][0]["target"] == "resolution"  # newest first
    filtered = api_for(agent).get(f"{API}/sla-breaches?target=first_response").json()
    assert [b["ticket_id"] for b in filtered["items"]] == [mine.pk]
    since = api_for(agent).get(f"{API}/sla-breaches?since=2026-03-05T00:00:00Z").json()
    assert since["count"] == 1
    by_ticket = api_for(other_agent).get(f"{API}/sla-breaches?ticket_id={mine.pk}").json()
    assert by_ticket["count"] == 0
    assert_error_shape(api_for(agent).get(f"{API}/sla-breaches?target=late"), 422)


def test_odd_input_is_refused_not_a_server_error(admin_api):
    for path, body in [
        ("/ticket-categories", {"name": "Bad\x00name"}),
        ("/sla-policies", {"name": "X\x00", "first_response_minutes": 1, "resolution_minutes": 2}),
        ("/sla-policies", {"name": "X", "first_response_minutes": 10**12, "resolution_minutes": 2}),
        ("/service-hours", {"team_id": None, "week": [[["09:00"]]] * 7}),
        ("/service-hours", {"week": [[[1, 2]], None, 3, "x", [], [], []]}),
    ]:
        response = admin_api.post(f"{API}{path}", body)
        assert 400 <= response.status_code < 500, (path, body, response.content)
    assert_error_shape(admin_api.get(f"{API}/sla-breaches?since=yesterday"), 422)
