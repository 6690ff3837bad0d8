"""The one visibility rule, seen through selectors, the UI and the API."""

import pytest

from patron.core import visibility
from patron.core.errors import NotFound, PermissionDenied
from patron.customers import selectors, services
from patron.customers.models import Customer
from tests.conftest import assert_error_shape


def visible_names(user):
    return set(
        visibility.visible_to(user, Customer.objects.all()).values_list("given_name", flat=True)
    )


def test_each_role_sees_what_the_rule_says(
    admin, manager, agent, other_agent, viewer, north_customer, south_customer
):
    assert visible_names(admin) == {"Ani", "Sami"}
    assert visible_names(manager) == {"Ani", "Sami"}
    assert visible_names(agent) == {"Ani"}
    assert visible_names(other_agent) == {"Sami"}
    assert visible_names(viewer) == {"Ani"}


def test_agent_sees_records_they_own_outside_their_teams(agent, south_customer):
    south_customer.owner = agent
    south_customer.save()
    assert visible_names(agent) == {"Sami"}


def test_deactivated_user_sees_nothing(manager, north_customer):
    manager.is_active = False
    manager.save()
    assert visible_names(manager) == set()


def test_agent_cannot_read_another_teams_customer_in_the_ui(client, agent, south_customer):
    client.force_login(agent)
    assert client.get(f"/customers/{south_customer.pk}/").status_code == 404
    assert client.get(f"/customers/{south_customer.pk}/edit/").status_code == 404
    assert client.post(f"/customers/{south_customer.pk}/delete/").status_code == 404
    assert Customer.objects.filter(pk=south_customer.pk).exists()
    page = client.get("/customers/").content.decode()
    assert "Sami" not in page


def test_agent_cannot_read_another_teams_customer_in_the_api(api_for, agent, south_customer):
    api = api_for(agent)
    assert_error_shape(api.get(f"/api/v1/customers/{south_customer.pk}"), 404, "not_found")
    assert_error_shape(
        api.patch(f"/api/v1/customers/{south_customer.pk}", {"source": "x"}), 404, "not_found"
    )
    assert_error_shape(api.delete(f"/api/v1/customers/{south_customer.pk}"), 404)
    # Same answer as for an id that does not exist: existence does not leak.
    missing = api.get("/api/v1/customers/999999").json()
    assert api.get(f"/api/v1/customers/{south_customer.pk}").json() == missing
    listed = api.get("/api/v1/customers").json()
    assert [c["given_name"] for c in listed["items"]] == []


def test_agent_cannot_read_another_teams_audit_trail(client, agent, south_customer):
    services.customer_update(actor=south_customer.owner, customer=south_customer, source="fair")
    client.force_login(agent)
    assert client.get(f"/audit/customers.customer/{south_customer.pk}/").status_code == 404


def test_viewer_reads_but_cannot_write(client, api_for, viewer, north_customer):
    client.force_login(viewer)
    assert client.get(f"/customers/{north_customer.pk}/").status_code == 200
    assert client.get("/customers/new/").status_code == 403
    api = api_for(viewer)
    assert api.get(f"/api/v1/customers/{north_customer.pk}").status_code == 200
    assert_error_shape(api.post("/api/v1/customers", {"given_name": "New"}), 403, "forbidden")
    assert_error_shape(
        api.patch(f"/api/v1/customers/{north_customer.pk}", {"source": "x"}), 403, "forbidden"
    )
    assert_error_shape(api.delete(f"/api/v1/customers/{north_customer.pk}"), 403, "forbidden")
    with pytest.raises(PermissionDenied):
        services.customer_update(actor=viewer, customer=north_customer, source="x")


def test_service_refuses_out_of_sight_record_as_not_found(agent, south_customer):
    with pytest.raises(NotFound):
        services.customer_delete(actor=agent, customer=south_customer)
    with pytest.raises(NotFound):
        selectors.customer_get(viewer=agent, customer_id=south_customer.pk)
