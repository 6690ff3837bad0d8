"""Customers through the UI and the API: create, edit, optimistic locking, lists."""

import pytest

from patron.customers.models import Customer
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory


def test_create_in_ui_lands_in_the_agents_team(client, agent, north):
    client.force_login(agent)
    response = client.post(
        "/customers/new/",
        {
            "kind": "person",
            "given_name": "Aram",
            "family_name": "Khachatryan",
            "lifecycle_stage": "prospect",
            "language": "hy",
            "country": "am",
            "owner": agent.pk,
            "team": north.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(given_name="Aram")
    assert (customer.team, customer.owner, customer.country) == (north, agent, "AM")
    assert customer.display_name == "Aram Khachatryan"
    page = client.get(response["Location"]).content.decode()
    assert "Aram Khachatryan" in page


def test_agent_cannot_save_a_record_out_of_their_own_sight(client, agent, north_customer):
    client.force_login(agent)
    form = {
        "kind": "person",
        "given_name": "Ani",
        "lifecycle_stage": "customer",
        "version": north_customer.version,
        "owner": "",
        "team": "",
    }
    response = client.post(f"/customers/{north_customer.pk}/edit/", form)
    assert "otherwise you lose access" in response.content.decode()
    north_customer.refresh_from_db()
    assert north_customer.owner == agent


def test_ui_shows_field_errors(client, agent):
    client.force_login(agent)
    response = client.post(
        "/customers/new/", {"kind": "organization", "lifecycle_stage": "customer", "country": "XX"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "An organization needs a name." in page
    assert "two-letter ISO country code" in page
    assert not Customer.objects.exists()


def test_stale_edit_is_refused_in_the_ui(client, agent, north_customer):
    client.force_login(agent)
    form = {
        "kind": "person",
        "given_name": "Ani",
        "family_name": "Changed",
        "lifecycle_stage": "customer",
        "version": north_customer.version,
        "owner": agent.pk,
        "team": north_customer.team_id,
    }
    assert client.post(f"/customers/{north_customer.pk}/edit/", form).status_code == 302
    form["family_name"] = "Overwrite"  # same, now stale, version
    response = client.post(f"/customers/{north_customer.pk}/edit/", form)
    assert response.status_code == 409
    assert "Someone else changed this customer" in response.content.decode()
    north_customer.refresh_from_db()
    assert north_customer.family_name == "Changed"


def test_api_crud_and_if_match(api_for, agent, north):
    api = api_for(agent)
    created = api.post(
        "/api/v1/customers",
        {"kind": "organization", "organization_name": "Ararat Trading", "country": "AM"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["display_name"], body["team_id"], body["version"]) == (
        "Ararat Trading",
        north.pk,
        1,
    )
    url = f"/api/v1/customers/{body['id']}"
    got = api.get(url)
    assert got["ETag"] == '"1"'
    changed = api.patch(url, {"lifecycle_stage": "customer"}, **{"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = api.patch(url, {"lifecycle_stage": "lost"}, **{"If-Match": '"1"'})
    error = assert_error_shape(stale, 409, "conflict")
    assert error["details"]["current_version"] == 2
    stale_body = api.patch(url, {"lifecycle_stage": "lost", "version": 1})
    assert_error_shape(stale_body, 409)
    assert api.get(url).json()["lifecycle_stage"] == "customer"
    assert api.delete(url).status_code == 204
    assert_error_shape(api.get(url), 404)


def test_api_validation_names_the_field(api_for, agent):
    api = api_for(agent)
    error = assert_error_shape(api.post("/api/v1/customers", {"kind": "person"}), 422)
    assert "given_name" in error["details"]
    error = assert_error_shape(
        api.post("/api/v1/customers", {"given_name": "A", "owner_id": 424242}), 422
    )
    assert "owner_id" in error["details"]


def test_list_filters_search_and_sort(api_for, client, manager, north, south):
    CustomerFactory(given_name="Zara", family_name="Ali", team=north, lifecycle_stage="prospect")
    CustomerFactory(given_name="Anna", family_name="Berg", team=south, lifecycle_stage="lost")
    api = api_for(manager)
    names = [c["display_name"] for c in api.get("/api/v1/customers?sort=-name").json()["items"]]
    assert names == ["Zara Ali", "Anna Berg"]
    found = api.get("/api/v1/customers?q=berg").json()["items"]
    assert [c["given_name"] for c in found] == ["Anna"]
    lost = api.get("/api/v1/customers?lifecycle_stage=lost").json()["items"]
    assert [c["given_name"] for c in lost] == ["Anna"]
    client.force_login(manager)
    page = client.get(f"/customers/?team={north.pk}").content.decode()
    assert "Zara Ali" in page and "Anna Berg" not in page


def test_list_page_query_count_does_not_grow(client, manager, north, django_assert_max_num_queries):
    client.force_login(manager)
    CustomerFactory.create_batch(2, team=north, owner=manager)
    # 10: the page, and the unread-notifications count of the menu.
    with django_assert_max_num_queries(10) as small:
        client.get("/customers/")
    CustomerFactory.create_batch(40, team=north, owner=manager)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/customers/")
    assert response.content.decode().count("/customers/") > 25


def test_htmx_filter_returns_only_the_results(client, manager, north):
    CustomerFactory(given_name="Partial", team=north)
    client.force_login(manager)
    response = client.get("/customers/?q=Partial", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "Partial" in page and "<html" not in page


def test_pagination_in_the_ui(client, manager, north):
    CustomerFactory.create_batch(30, team=north)
    client.force_login(manager)
    page = client.get("/customers/?page=2").content.decode()
    assert "Showing 26–30 of 30" in page
    page = client.get("/customers/?page=99").content.decode()
    assert "Showing 26–30 of 30" in page


@pytest.mark.parametrize("filtered", [False, True])
def test_empty_states(client, agent, filtered):
    client.force_login(agent)
    page = client.get("/customers/?q=nobody" if filtered else "/customers/").content.decode()
    assert 'data-testid="empty-state"' in page
    expected = "No customers match these filters" if filtered else "No customers yet"
    assert expected in page


def test_delete_in_ui(client, agent, north_customer):
    client.force_login(agent)
    response = client.post(f"/customers/{north_customer.pk}/delete/")
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=north_customer.pk).exists()


def test_service_enforces_field_lengths_for_every_caller(agent):
    from patron.core.errors import ValidationFailed
    from patron.customers import services

    with pytest.raises(ValidationFailed) as caught:
        services.customer_create(actor=agent, given_name="Ani", source="s" * 101)
    assert "source" in caught.value.details
    assert not Customer.objects.exists()


def test_history_of_a_visible_record_without_entries_is_an_empty_page(
    client, agent, north_customer
):
    client.force_login(agent)
    response = client.get(f"/audit/customers.customer/{north_customer.pk}/")
    assert response.status_code == 200
    assert "No changes recorded" in response.content.decode()


def test_api_null_for_a_text_field_means_empty_not_a_crash(api_for, agent, north_customer):
    api = api_for(agent)
    url = f"/api/v1/customers/{north_customer.pk}"
    response = api.patch(url, {"source": None, "organization_name": None, "given_name": None})
    assert response.status_code == 200, response.content
    assert (response.json()["source"], response.json()["display_name"]) == ("", "Nor")
    error = assert_error_shape(api.patch(url, {"kind": None}), 422)
    assert "kind" in error["details"]


def test_null_characters_are_refused_or_ignored_never_a_500(api_for, admin, north):
    api = api_for(admin)
    for path, body, field in [
        ("/api/v1/teams", {"name": "Ya\x00ad"}, "name"),
        ("/api/v1/customers", {"given_name": "A\x00ni"}, "given_name"),
        ("/api/v1/tokens", {"name": "E\x00RP"}, "name"),
    ]:
        error = assert_error_shape(api.post(path, body), 422)
        assert field in error["details"], path
    assert api.get("/api/v1/customers?q=a%00b").status_code == 200
    assert api.get("/api/v1/users?q=a%00b").status_code == 200


def test_a_bad_filter_value_drops_only_that_filter(client, manager, north):
    CustomerFactory(given_name="Keeper", team=north)
    CustomerFactory(given_name="Other", team=north)
    client.force_login(manager)
    page = client.get("/customers/?q=Keeper&team=999999").content.decode()
    assert "Keeper" in page and "Other" not in page


def test_invalid_fields_are_marked_for_assistive_technology(client, agent):
    client.force_login(agent)
    page = client.post(
        "/customers/new/", {"kind": "person", "lifecycle_stage": "customer", "country": "XX"}
    ).content.decode()
    assert 'aria-invalid="true"' in page and "is-invalid" in page
