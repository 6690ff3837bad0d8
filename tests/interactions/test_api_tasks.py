"""Tasks in the API: create and views, optimistic locking (If-Match or `version`), the
one-click moves, and visibility through the task's customer."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.interactions import services
from patron.interactions.models import Notification, Task
from tests.conftest import assert_error_shape

URL = "/api/v1/tasks"
NOW = timezone.now().replace(microsecond=0)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def later(**delta):
    return NOW + dt.timedelta(**delta)


@pytest.fixture
def api(api_for, agent):
    return api_for(agent)


def create(api, **body):
    response = api.post(URL, {"title": "Call back"} | body)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_get_patch_delete(api, agent, manager, north_customer):
    task = create(
        api,
        customer_id=north_customer.pk,
        due_at=iso(later(days=2)),
        priority="high",
        description="About the quote",
    )
    assert (task["assignee_id"], task["created_by_id"], task["customer_name"]) == (
        agent.pk,
        agent.pk,
        "Ani Nor",
    )
    assert (task["priority"], task["status"], task["version"]) == ("high", "open", 1)
    assert task["remind_at"] == task["due_at"] == iso(later(days=2))
    assert task["overdue"] is False

    url = f"{URL}/{task['id']}"
    got = api.get(url)
    assert got["ETag"] == '"1"'
    changed = api.patch(url, {"title": "Call back about the quote", "assignee_id": manager.pk})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["version"], changed["ETag"]) == (2, '"2"')
    assert changed.json()["assignee_name"] == manager.display_name
    assert Notification.objects.filter(recipient=manager, kind="task_assigned").exists()
    cleared = api.patch(url, {"due_at": None, "title": None})
    assert (cleared.json()["due_at"], cleared.json()["remind_at"]) == (None, None)
    assert cleared.json()["title"] == "Call back about the quote"

    assert api.delete(url).status_code == 204
    assert_error_shape(api.get(url), 404, "not_found")


def test_a_task_of_nobodys_customer_is_its_people_s(api_for, api, agent, other_agent, manager):
    mine = create(api, title="Expenses", assignee_id="me")
    assert (mine["customer_id"], mine["assignee_id"]) == (None, agent.pk)
    assert_error_shape(api_for(other_agent).get(f"{URL}/{mine['id']}"), 404)
    assert api_for(manager).get(f"{URL}/{mine['id']}").status_code == 200
    given = create(api, title="For south", assignee_id=other_agent.pk)
    assert api_for(other_agent).get(f"{URL}/{given['id']}").status_code == 200


def test_views_and_filters(api, agent, manager, north, north_customer):
    from tests.factories import CustomerFactory

    other = CustomerFactory(team=north)
    overdue = create(
        api, title="Overdue", customer_id=north_customer.pk, due_at=iso(later(days=-1))
    )
    upcoming = create(api, title="Upcoming", due_at=iso(later(days=5)))
    undated = create(api, title="Undated", customer_id=other.pk)
    theirs = create(api, title="Theirs", customer_id=other.pk, assignee_id=manager.pk)
    done = create(api, title="Done", due_at=iso(later(days=-3)))
    assert api.post(f"{URL}/{done['id']}/complete").status_code == 200

    def titles(query=""):
        response = api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [t["title"] for t in response.json()["items"]]

    assert titles() == ["Overdue", "Upcoming", "Undated", "Theirs"]
    assert titles("view=overdue") == ["Overdue"]
    assert titles("view=today") == ["Overdue"]
    assert titles("view=upcoming") == ["Upcoming", "Undated", "Theirs"]
    assert titles("view=done") == ["Done"]
    assert sorted(titles("view=all")) == ["Done", "Overdue", "Theirs", "Undated", "Upcoming"]
    assert titles("assignee_id=me") == ["Overdue", "Upcoming", "Undated"]
    assert titles(f"assignee_id={manager.pk}") == ["Theirs"]
    assert titles(f"customer_id={other.pk}") == ["Undated", "Theirs"]
    assert_error_shape(api.get(f"{URL}?view=someday"), 422, "invalid_input")
    assert_error_shape(api.get(f"{URL}?assignee_id=you"), 422, "invalid_input")
    assert api.get(f"{URL}/counts").json() == {"open": 3, "overdue": 1}
    assert {overdue["id"], upcoming["id"], undated["id"], theirs["id"]} <= set(
        Task.objects.values_list("pk", flat=True)
    )


def test_optimistic_locking(api, north_customer):
    task = create(api, customer_id=north_customer.pk)
    url = f"{URL}/{task['id']}"
    assert api.patch(url, {"title": "First"}, **{"If-Match": '"1"'}).status_code == 200
    stale = api.patch(url, {"title": "Second"}, **{"If-Match": '"1"'})
    assert "version" in assert_error_shape(stale, 409, "conflict")["details"]
    stale_body = api.patch(url, {"title": "Second", "version": 1})
    assert_error_shape(stale_body, 409, "conflict")
    assert Task.objects.get(pk=task["id"]).title == "First"
    fresh = api.patch(url, {"title": "Second", "version": 2})
    assert fresh.status_code == 200, fresh.content
    weak = api.patch(url, {"title": "Third"}, **{"If-Match": 'W/"3"'})
    assert weak.status_code == 200, weak.content
    assert api.patch(url, {"title": "Any"}, **{"If-Match": "*"}).status_code == 200
    assert_error_shape(api.patch(url, {"title": "x"}, **{"If-Match": "abc"}), 422)
    assert_error_shape(api.delete(url, **{"If-Match": '"1"'}), 409, "conflict")
    assert api.delete(url, **{"If-Match": '"5"'}).status_code == 204


def test_complete_reopen_snooze_reassign(api_for, api, agent, manager, other_agent, north_customer):
    task = create(api, customer_id=north_customer.pk, due_at=iso(later(days=-1)))
    url = f"{URL}/{task['id']}"
    done = api.post(f"{url}/complete")
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["completed_by_id"]) == ("done", agent.pk)
    assert done.json()["completed_at"] and done.json()["overdue"] is False
    snooze_done = api.post(f"{url}/snooze", {"until": iso(later(days=1))})
    assert "status" in assert_error_shape(snooze_done, 422, "validation_failed")["details"]
    reopened = api.post(f"{url}/reopen")
    assert (reopened.json()["status"], reopened.json()["completed_at"]) == ("open", None)

    snoozed = api.post(f"{url}/snooze", {"until": iso(later(days=3))})
    assert snoozed.status_code == 200, snoozed.content
    assert snoozed.json()["due_at"] == snoozed.json()["remind_at"] == iso(later(days=3))
    assert snoozed["ETag"] == f'"{snoozed.json()["version"]}"'
    past = api.post(f"{url}/snooze", {"until": iso(later(days=-1))})
    assert "until" in assert_error_shape(past, 422, "validation_failed")["details"]
    assert_error_shape(api.post(f"{url}/snooze", {}), 422, "invalid_input")

    blind = api.post(f"{url}/reassign", {"assignee_id": other_agent.pk})
    assert "assignee" in assert_error_shape(blind, 422, "validation_failed")["details"]
    given = api.post(f"{url}/reassign", {"assignee_id": manager.pk})
    assert given.json()["assignee_id"] == manager.pk
    assert Notification.objects.filter(recipient=manager, kind="task_assigned").count() == 1
    back = api_for(manager).post(f"{url}/reassign", {"assignee_id": "me"})
    assert back.json()["assignee_id"] == manager.pk
    nobody = api.post(f"{url}/reassign", {"assignee_id": None})
    assert nobody.json()["assignee_id"] is None
    assert_error_shape(api.post(f"{url}/reassign", {"assignee_id": 999_999}), 422)


def test_tasks_follow_their_customer_visibility(
    api_for, api, agent, viewer, other_agent, north_customer, south_customer
):
    theirs = services.task_create(actor=other_agent, customer=south_customer, title="South")
    url = f"{URL}/{theirs.pk}"
    assert_error_shape(api.get(url), 404)
    assert_error_shape(api.patch(url, {"title": "x"}), 404)
    assert_error_shape(api.post(f"{url}/complete"), 404)
    assert_error_shape(api.delete(url), 404)
    assert_error_shape(api.post(URL, {"title": "x", "customer_id": south_customer.pk}), 404)
    assert [t["title"] for t in api.get(f"{URL}?view=all").json()["items"]] == []

    ours = create(api, customer_id=north_customer.pk)
    reader = api_for(viewer)
    assert reader.get(f"{URL}/{ours['id']}").status_code == 200
    assert_error_shape(reader.patch(f"{URL}/{ours['id']}", {"title": "x"}), 403, "forbidden")
    assert_error_shape(reader.post(f"{URL}/{ours['id']}/complete"), 403)
    assert_error_shape(reader.delete(f"{URL}/{ours['id']}"), 403)
    assert_error_shape(reader.post(URL, {"title": "x", "customer_id": north_customer.pk}), 403)
    moved = api.patch(f"{URL}/{ours['id']}", {"customer_id": south_customer.pk})
    assert_error_shape(moved, 404)


def test_invalid_tasks_are_422_with_the_field(api, north_customer):
    def error(body):
        return assert_error_shape(api.post(URL, body), 422)

    assert [d["field"] for d in error({})["details"]] == ["title"]
    assert "title" in error({"title": "   "})["details"]
    assert error({"title": "x", "priority": "asap"})["code"] == "invalid_input"
    assert error({"title": "x", "due_at": "tomorrow"})["code"] == "invalid_input"
    assert error({"title": "x", "due_at": "9999-12-31T23:59:59Z"})["code"] == "invalid_input"
    assert error({"title": "x", "owner": 1})["code"] == "invalid_input"
    assert "assignee_id" in error({"title": "x", "assignee_id": 999_999})["details"]
    assert error({"title": "x" * 201})["code"] == "invalid_input"
    assert not Task.objects.exists()
