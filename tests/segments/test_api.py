"""Segments in the API: shapes, optimistic locking, live counts, members by cursor,
static lists, history, the catalogue, and 4xx answers that name the bad part."""

import pytest

from patron.segments.models import Segment
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory

URL = "/api/v1/segments"
CUSTOMERS = {
    "match": "all",
    "conditions": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"}],
}


@pytest.fixture
def api(api_for, admin):
    return api_for(admin)


def create(api, **body):
    response = api.post(URL, {"name": "Customers", "rules": CUSTOMERS} | body)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_get_patch_delete(api, base):
    segment = create(api, description="Who buys")
    assert segment["kind"] == "dynamic" and segment["member_count"] == 2
    assert segment["rules"] == CUSTOMERS and segment["version"] == 1
    assert segment["evaluated_at"] is not None
    url = f"{URL}/{segment['id']}"
    got = api.get(url)
    assert got.status_code == 200 and got["ETag"] == '"1"'
    assert set(got.json()) == set(segment)

    rules = {"conditions": [{"field": "country", "op": "eq", "value": "fr"}]}
    changed = api.patch(url, {"rules": rules, "name": "In France"}, **{"If-Match": '"1"'})
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["version"], changed["ETag"], body["member_count"]) == (2, '"2"', 1)
    assert body["rules"]["conditions"][0]["value"] == "FR"

    stale = api.patch(url, {"name": "Again"}, **{"If-Match": '"1"'})
    assert assert_error_shape(stale, 409, "conflict")["details"]["current_version"] == 2
    assert_error_shape(api.patch(url, {"version": 1, "name": "Again"}), 409, "conflict")
    assert_error_shape(api.patch(url, {"name": "x"}, **{"If-Match": "abc"}), 422)
    assert_error_shape(api.delete(url, **{"If-Match": '"1"'}), 409, "conflict")
    assert api.delete(url, **{"If-Match": '"2"'}).status_code == 204
    assert_error_shape(api.get(url), 404, "not_found")


def test_list_is_paginated_filtered_and_sorted(api, base):
    create(api, name="Beta")
    create(api, name="Alpha", kind="static", rules={})
    listed = api.get(f"{URL}?sort=-members&page_size=1")
    body = listed.json()
    assert (body["count"], body["pages"], body["has_next"]) == (2, 2, True)
    assert [s["name"] for s in body["items"]] == ["Beta"]
    assert [s["name"] for s in api.get(f"{URL}?kind=static").json()["items"]] == ["Alpha"]
    assert [s["name"] for s in api.get(f"{URL}?q=alp").json()["items"]] == ["Alpha"]
    assert_error_shape(api.get(f"{URL}?sort=colour"), 422, "invalid_input")


def test_bad_rules_answer_422_with_the_path(api, base):
    response = api.post(
        URL,
        {
            "name": "Broken",
            "rules": {
                "conditions": [
                    {"field": "city", "op": "eq", "value": "Yerevan"},
                    {
                        "match": "any",
                        "conditions": [{"field": "revenue_12m", "op": "gt", "value": "lots"}],
                    },
                    {"field": "colour", "op": "eq", "value": "red"},
                ]
            },
        },
    )
    error = assert_error_shape(response, 422, "validation_failed")
    assert set(error["details"]) == {"conditions[1].conditions[0].value", "conditions[2].field"}
    assert error["message"].startswith("conditions[1].conditions[0].value: ")
    assert not Segment.objects.exists()

    taken = create(api)
    error = assert_error_shape(api.post(URL, {"name": "CUSTOMERS", "rules": CUSTOMERS}), 422)
    assert "name" in error["details"]
    assert_error_shape(
        api.post(URL, {"name": "X", "rules": CUSTOMERS, "colour": 1}), 422, "invalid_input"
    )
    assert_error_shape(api.post(URL, {"name": "X", "rules": []}), 422, "invalid_input")
    error = assert_error_shape(
        api.patch(
            f"{URL}/{taken['id']}",
            {
                "rules": {
                    "conditions": [{"field": "in_segment", "op": "member", "value": taken["id"]}]
                }
            },
        ),
        422,
    )
    assert "conditions[0].value" in error["details"]


def test_count_preview_and_segment_count_follow_visibility(api_for, admin, agent, base):
    rules = {"conditions": [{"field": "kind", "op": "eq", "value": "person"}]}
    assert api_for(admin).post(f"{URL}/count", {"rules": rules}).json() == {"count": 3}
    agent_api = api_for(agent)
    assert agent_api.post(f"{URL}/count", {"rules": rules}).json() == {"count": 2}
    error = assert_error_shape(
        agent_api.post(
            f"{URL}/count",
            {"rules": {"conditions": [{"field": "city", "op": "between", "value": [1]}]}},
        ),
        422,
    )
    assert list(error["details"]) == ["conditions[0].op"]
    segment = create(api_for(admin), name="People", rules=rules)
    counted = agent_api.get(f"{URL}/{segment['id']}/count").json()
    assert counted["count"] == counted["member_count"] == 2
    assert (counted["total_member_count"], counted["member_count_exact"]) == (3, True)


def test_members_by_cursor_within_sight(api_for, admin, agent, north, south):
    mine = [CustomerFactory(team=north).pk for _ in range(3)]
    CustomerFactory.create_batch(2, team=south)
    segment = create(
        api_for(admin), rules={"conditions": [{"field": "kind", "op": "eq", "value": "person"}]}
    )
    agent_api = api_for(agent)
    first = agent_api.get(f"{URL}/{segment['id']}/members?size=2").json()
    assert [m["customer_id"] for m in first["items"]] == mine[:2]
    assert set(first["items"][0]) == {
        "customer_id",
        "name",
        "kind",
        "lifecycle_stage",
        "country",
        "owner_id",
        "team_id",
        "entered_at",
        "added_by_id",
    }
    rest = agent_api.get(
        f"{URL}/{segment['id']}/members?size=2&cursor={first['next_cursor']}"
    ).json()
    assert [m["customer_id"] for m in rest["items"]] == mine[2:] and rest["next_cursor"] is None
    assert_error_shape(agent_api.get(f"{URL}/{segment['id']}/members?cursor=xyz"), 422)
    assert_error_shape(agent_api.get(f"{URL}/{segment['id']}/members?size=1000"), 422)


def test_static_list_members_added_removed_and_their_history(api_for, agent, base):
    api = api_for(agent)
    listed = create(api, name="Call list", kind="static", rules={})
    url = f"{URL}/{listed['id']}/members"
    ani, bob, dan = base["ani"].pk, base["bob"].pk, base["dan"].pk
    assert api.post(url, {"customer_ids": [ani, dan]}).json() == {"added": 2, "member_count": 2}
    error = assert_error_shape(api.post(url, {"customer_ids": [bob]}), 422, "validation_failed")
    assert "customer_ids" in error["details"]
    assert_error_shape(api.post(url, {"customer_ids": []}), 422, "invalid_input")
    assert api.delete(f"{url}?customer_id={ani}").json() == {"removed": 1, "member_count": 1}
    assert_error_shape(api.delete(url), 422, "invalid_input")
    history = api.get(f"{URL}/{listed['id']}/history").json()
    first = history["events"][0]
    assert (first["event"], first["customer_name"]) == ("left", "Ani Nor")
    assert {(e["event"], e["customer_id"]) for e in history["events"]} == {
        ("left", ani),
        ("entered", ani),
        ("entered", dan),
    }
    assert history["next_cursor"] is None
    dynamic = create(api, name="Dynamic")
    error = assert_error_shape(
        api.post(f"{URL}/{dynamic['id']}/members", {"customer_ids": [ani]}), 422
    )
    assert "kind" in error["details"]


def test_viewers_read_and_only_authors_change(api_for, admin, viewer, other_agent, base):
    segment = create(api_for(admin))
    viewer_api = api_for(viewer)
    assert viewer_api.get(f"{URL}/{segment['id']}").status_code == 200
    assert_error_shape(viewer_api.post(URL, {"name": "Mine", "rules": CUSTOMERS}), 403, "forbidden")
    assert_error_shape(api_for(other_agent).patch(f"{URL}/{segment['id']}", {"name": "Taken"}), 403)
    assert_error_shape(api_for(other_agent).delete(f"{URL}/{segment['id']}"), 403)


def test_the_catalogue_lists_fields_operators_and_choices(api, base):
    catalogue = api.get(f"{URL}/fields").json()
    by_key = {f["key"]: f for f in catalogue["fields"]}
    assert {
        "lifecycle_stage",
        "revenue_12m",
        "tags",
        "consent",
        "in_segment",
        "custom.shoe_size",
    } <= set(by_key)
    stage = by_key["lifecycle_stage"]
    assert (
        stage["type"] == "choice" and {"value": "customer", "label": "Customer"} in stage["choices"]
    )
    assert [o["key"] for o in by_key["created_at"]["operators"]][:2] == ["eq", "lt"]
    assert by_key["created_at"]["operators"][1]["label"] == "is before"
    assert by_key["orders_12m"]["integer"] is True
    assert by_key["revenue_12m"]["operators"][6] == {
        "key": "between",
        "label": "is between",
        "input": "pair",
    }
    assert catalogue["max_depth"] == 3 and "Tea" in catalogue["categories"]
    assert {"value": "all", "label": "all of"} in catalogue["matches"]


def test_evaluate_now(api, base):
    segment = create(api)
    result = api.post(f"{URL}/{segment['id']}/evaluate").json()
    assert (result["entered"], result["left"], result["member_count"]) == (0, 0, 2)
    listed = create(api, name="List", kind="static", rules={})
    assert_error_shape(api.post(f"{URL}/{listed['id']}/evaluate"), 422)


def test_unauthenticated_is_refused(client, db):
    assert_error_shape(client.get(URL), 401, "unauthenticated")
