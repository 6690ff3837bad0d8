"""Segment pages: the list, the builder and its live count, a segment's members and
history, the export, static lists kept by hand, and the customer page's card."""

import csv
import io
import json

from patron.segments import services
from patron.segments.models import Segment, SegmentMembership
from tests.factories import CustomerFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
CUSTOMERS = {"conditions": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"}]}


def html(response, status=200):
    assert response.status_code == status, response.content[:2000]
    return response.content.decode()


def test_the_list_shows_segments_and_an_empty_state(client, agent, base):
    client.force_login(agent)
    page = html(client.get("/segments/"))
    assert 'data-testid="empty-state"' in page and "New segment" in page
    assert 'href="/segments/"' in page  # in the menu
    services.segment_create(actor=agent, name="Buyers", rules=CUSTOMERS)
    services.segment_create(actor=agent, name="Call list", kind="static")
    page = html(client.get("/segments/?sort=-members"))
    assert page.index("Buyers") < page.index("Call list")
    assert "Lifecycle stage is Customer" in page
    page = html(client.get("/segments/?kind=static", HTTP_HX_TARGET="segment-results", **HTMX))
    assert "Call list" in page and "Buyers" not in page and "<html" not in page
    page = html(client.get("/segments/?q=zzz"))
    assert "No segments match" in page


def test_the_list_page_runs_a_bounded_number_of_queries(
    client, agent, base, django_assert_max_num_queries
):
    client.force_login(agent)
    services.segment_create(actor=agent, name="First", rules=CUSTOMERS)
    client.get("/segments/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/segments/")
    for n in range(12):
        services.segment_create(actor=agent, name=f"More {n}", rules=CUSTOMERS)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert html(client.get("/segments/")).count('data-testid="segment-row"') == 13


def test_the_detail_page_runs_a_bounded_number_of_queries(
    client, admin, agent, north, django_assert_max_num_queries
):
    """The same queries for a page of 2 members as for a page of 22, on both tabs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(agent)
    CustomerFactory.create_batch(2, team=north, owner=agent)
    segment = services.segment_create(
        actor=admin,
        name="People",
        rules={"conditions": [{"field": "kind", "op": "eq", "value": "person"}]},
    )
    tabs = {
        "members": f"/segments/{segment.pk}/",
        "history": f"/segments/{segment.pk}/?tab=history",
    }
    client.get(tabs["members"])
    few = {}
    for tab, url in tabs.items():
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        few[tab] = len(captured.captured_queries)
    CustomerFactory.create_batch(20, team=north, owner=agent)
    services.refresh_memberships(segment=segment)
    with django_assert_max_num_queries(few["members"]):
        page = html(client.get(tabs["members"]))
    assert page.count('data-testid="member-row"') == 22
    with django_assert_max_num_queries(few["history"]):
        assert html(client.get(tabs["history"])).count("Entered") == 22


def test_members_page_by_cursor_and_history_tab(client, admin, north):
    client.force_login(admin)
    customers = [CustomerFactory(team=north) for _ in range(30)]
    segment = services.segment_create(
        actor=admin,
        name="People",
        rules={"conditions": [{"field": "kind", "op": "eq", "value": "person"}]},
    )
    page = html(client.get(f"/segments/{segment.pk}/"))
    assert page.count('data-testid="member-row"') == 25 and "30 members" in page
    cursor = customers[24].pk
    assert f"?cursor={cursor}" in page
    rest = html(
        client.get(f"/segments/{segment.pk}/?cursor={cursor}", HTTP_HX_TARGET="segment-tab", **HTMX)
    )
    assert rest.count('data-testid="member-row"') == 5 and "<html" not in rest
    history = html(client.get(f"/segments/{segment.pk}/?tab=history"))
    assert history.count("Entered") >= 25 and "Older" in history
    assert html(client.get(f"/segments/{segment.pk}/?cursor=abc"), 422)


def test_an_agent_sees_only_the_members_they_may_see(client, admin, agent, base):
    segment = services.segment_create(
        actor=admin,
        name="Everyone",
        rules={"conditions": [{"field": "created_at", "op": "is_not_empty"}]},
    )
    client.force_login(agent)
    page = html(client.get(f"/segments/{segment.pk}/"))
    assert "Ani Nor" in page and "Dan Dar" in page and "Bob Brun" not in page
    assert "2 members" in page and "4 in all" in page
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    client.get(f"/segments/{segment.pk}/export.csv").streaming_content
                ).decode()
            )
        )
    )
    assert len(rows) == 3 and "Ani" in rows[1]


def test_create_a_segment_through_the_builder_form(client, agent, base):
    client.force_login(agent)
    page = html(client.get("/segments/new/"))
    assert 'id="segment-fields"' in page and "patron/js/segments.js" in page
    assert "<details" in page and 'hx-post="/segments/count/"' in page
    catalogue = json.loads(
        page.split('id="segment-fields" type="application/json">')[1].split("</script>")[0]
    )
    assert any(f["key"] == "custom.shoe_size" for f in catalogue["fields"])
    response = client.post(
        "/segments/new/",
        {"name": "Buyers", "kind": "dynamic", "description": "", "rules": json.dumps(CUSTOMERS)},
    )
    segment = Segment.objects.get(name="Buyers")
    assert response.status_code == 302 and response["Location"] == f"/segments/{segment.pk}/"
    assert segment.member_count == 2 and segment.created_by == agent


def test_refused_rules_come_back_next_to_their_condition(client, agent, base):
    client.force_login(agent)
    rules = {
        "conditions": [
            {"field": "city", "op": "eq", "value": "x"},
            {"field": "revenue_12m", "op": "gt", "value": "lots"},
        ]
    }
    page = html(
        client.post(
            "/segments/new/", {"name": "Bad", "kind": "dynamic", "rules": json.dumps(rules)}
        ),
        422,
    )
    errors = json.loads(
        page.split('id="segment-rule-errors" type="application/json">')[1].split("</script>")[0]
    )
    assert list(errors) == ["conditions[1].value"]
    assert "Some conditions need a change" in page
    page = html(
        client.post("/segments/new/", {"name": "Bad", "kind": "dynamic", "rules": "{oops"}), 422
    )
    assert "not valid JSON" in page
    assert not Segment.objects.filter(name="Bad").exists()


def test_the_live_count(client, agent, base):
    client.force_login(agent)
    rules = {
        "match": "any",
        "conditions": [
            {"field": "country", "op": "eq", "value": "AM"},
            {"field": "city", "op": "contains", "value": "paris"},
        ],
    }
    page = html(client.post("/segments/count/", {"rules": json.dumps(rules)}, **HTMX))
    assert '<strong data-testid="live-count-value">2</strong> customers you can see match' in page
    page = html(
        client.post(
            "/segments/count/",
            {"rules": json.dumps({"conditions": [{"field": "city", "op": "gt", "value": 1}]})},
            **HTMX,
        )
    )
    assert "One condition needs a change" in page and "conditions[0].op" in page
    assert "needs a change" not in html(client.post("/segments/count/", {"rules": ""}, **HTMX))
    assert "not valid JSON" in html(client.post("/segments/count/", {"rules": "[1"}, **HTMX))
    assert client.get("/segments/count/").status_code == 405


def test_edit_with_a_stale_version_is_refused(client, agent, base):
    client.force_login(agent)
    segment = services.segment_create(actor=agent, name="Buyers", rules=CUSTOMERS)
    page = html(client.get(f"/segments/{segment.pk}/edit/"))
    assert "lifecycle_stage" in page
    services.segment_update(actor=agent, segment=segment, description="changed meanwhile")
    data = {"name": "Renamed", "kind": "dynamic", "rules": json.dumps(CUSTOMERS), "version": 1}
    assert "Someone changed this segment" in html(
        client.post(f"/segments/{segment.pk}/edit/", data), 409
    )
    data["version"] = 2
    assert client.post(f"/segments/{segment.pk}/edit/", data).status_code == 302
    assert Segment.objects.get(pk=segment.pk).name == "Renamed"


def test_only_authors_and_managers_edit(client, admin, other_agent, viewer, base):
    segment = services.segment_create(actor=admin, name="Admin's", rules=CUSTOMERS)
    client.force_login(other_agent)
    assert client.get(f"/segments/{segment.pk}/edit/").status_code == 403
    assert client.post(f"/segments/{segment.pk}/delete/").status_code == 403
    page = html(client.get(f"/segments/{segment.pk}/"))
    assert "/edit/" not in page
    client.force_login(viewer)
    assert client.get("/segments/new/").status_code == 403
    assert "New segment" not in html(client.get("/segments/"))


def test_keep_a_static_list_by_hand(client, agent, base):
    client.force_login(agent)
    listed = services.segment_create(actor=agent, name="Call list", kind="static")
    found = html(client.get(f"/segments/{listed.pk}/members/search/?q=ani", **HTMX))
    assert "Ani Nor" in found and "Add" in found
    assert "No customer you can see" in html(
        client.get(f"/segments/{listed.pk}/members/search/?q=bob", **HTMX)
    )
    response = client.post(f"/segments/{listed.pk}/members/add/", {"customer_id": base["ani"].pk})
    assert response.status_code == 302
    assert "In the list" in html(client.get(f"/segments/{listed.pk}/members/search/?q=ani", **HTMX))
    page = html(client.get(f"/segments/{listed.pk}/"))
    assert (
        "1 customer added." in page and "Ani Nor" in page and "Take Ani Nor out of the list" in page
    )
    client.post(f"/segments/{listed.pk}/members/add/", {"customer_id": base["bob"].pk})
    assert "No customer you can see has the id" in html(client.get(f"/segments/{listed.pk}/"))
    client.post(f"/segments/{listed.pk}/members/{base['ani'].pk}/remove/")
    assert not SegmentMembership.objects.filter(segment=listed, left_at__isnull=True).exists()
    assert "Left" in html(client.get(f"/segments/{listed.pk}/?tab=history"))


def test_evaluate_now_and_delete(client, admin, base):
    client.force_login(admin)
    segment = services.segment_create(actor=admin, name="Buyers", rules=CUSTOMERS)
    response = client.post(f"/segments/{segment.pk}/evaluate/", follow=True)
    assert "Evaluated: 0 entered, 0 left." in html(response)
    response = client.post(f"/segments/{segment.pk}/delete/", follow=True)
    assert "is deleted" in html(response) and not Segment.objects.exists()


def test_the_customer_card_lists_current_and_past_segments(
    client, admin, agent, base, django_assert_max_num_queries
):
    ani = base["ani"]
    services.segment_create(actor=admin, name="Buyers", rules=CUSTOMERS)
    listed = services.segment_create(actor=admin, name="Picked", kind="static")
    services.segment_members_add(actor=admin, segment=listed, customer_ids=[ani.pk])
    services.segment_members_remove(actor=admin, segment=listed, customer_ids=[ani.pk])
    client.force_login(agent)
    card = html(client.get(f"/segments/customer/{ani.pk}/", **HTMX))
    assert 'data-testid="current-segments"' in card and "Buyers" in card
    assert 'data-testid="past-segments"' in card and "Picked" in card
    assert client.get(f"/segments/customer/{base['bob'].pk}/", **HTMX).status_code == 404

    from django.template.loader import render_to_string

    loader = render_to_string("segments/partials/customer_segments.html", {"customer": ani})
    assert f'hx-get="/segments/customer/{ani.pk}/"' in loader and 'hx-trigger="load"' in loader


def test_summaries_name_people_teams_and_segments(client, admin, agent, north, base):
    client.force_login(admin)
    first = services.segment_create(actor=admin, name="Buyers", rules=CUSTOMERS)
    services.segment_create(
        actor=admin,
        name="Mine",
        rules={
            "conditions": [
                {"field": "owner", "op": "in", "value": [agent.pk]},
                {"field": "team", "op": "eq", "value": north.pk},
                {"field": "in_segment", "op": "member", "value": first.pk},
            ]
        },
    )
    page = html(client.get("/segments/"))
    assert (
        f"Owner is any of {agent.display_name} and Team is North and Segment is a member of Buyers"
        in page
    )
