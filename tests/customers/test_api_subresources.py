"""Sub-resources of a customer in the API: contact points, identifiers, memberships, and
the list's companions (tags, custom fields, saved views). Visibility holds on each."""

import pytest

from patron.core.models import AuditEntry
from patron.customers.models import ContactPoint, CustomField, ExternalIdentifier, Membership
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory

URL = "/api/v1/customers"


@pytest.fixture
def api(api_for, agent):
    return api_for(agent)


def test_contact_points_crud(api, north_customer):
    url = f"{URL}/{north_customer.pk}/contact-points"
    first = api.post(url, {"kind": "email", "value": "Ani@Example.com", "label": "home"})
    assert first.status_code == 201, first.content
    assert (first.json()["value"], first.json()["preferred"]) == ("ani@example.com", True)
    second = api.post(url, {"kind": "email", "value": "work@example.com", "preferred": True})
    phone = api.post(url, {"kind": "phone", "value": "091 234567", "country": "AM"})
    assert phone.json()["value"] == "+37491234567"
    assert phone.json()["display_value"] == "091 234567"
    listed = api.get(url).json()
    assert listed["count"] == 3
    preferred = {p["value"]: p["preferred"] for p in listed["items"]}
    assert preferred == {"work@example.com": True, "ani@example.com": False, "+37491234567": True}

    point_url = f"{url}/{first.json()['id']}"
    changed = api.patch(point_url, {"label": "private", "value": "ani.nor@example.com"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["label"], changed.json()["value"]) == ("private", "ani.nor@example.com")
    duplicate = api.patch(point_url, {"value": "WORK@example.com"})
    assert "value" in assert_error_shape(duplicate, 422)["details"]
    bad = api.post(url, {"kind": "web", "value": "not a url"})
    assert "value" in assert_error_shape(bad, 422)["details"]
    wrong_kind = api.post(url, {"kind": "fax", "value": "123"})
    assert_error_shape(wrong_kind, 422, "invalid_input")

    confirmed = api.post(f"{point_url}/confirm", {"verified": True})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["verified_at"] and confirmed.json()["last_confirmed_at"]
    no_body = api.client.post(
        f"{url}/{phone.json()['id']}/confirm",
        data=b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert no_body.status_code == 200, no_body.content
    assert no_body.json()["verified_at"] is None and no_body.json()["last_confirmed_at"]

    assert api.delete(f"{url}/{second.json()['id']}").status_code == 204
    # The preferred one went: another email takes its place.
    assert ContactPoint.objects.get(pk=first.json()["id"]).preferred
    assert AuditEntry.objects.filter(
        target_id=str(north_customer.pk), changes__0__field="contact_points"
    ).exists()


def test_a_contact_point_of_another_customer_is_not_found(api, north, north_customer):
    other = CustomerFactory(team=north)
    point = ContactPoint.objects.create(
        customer=other, kind="email", value="o@example.com", search_value="o@example.com"
    )
    wrong = f"{URL}/{north_customer.pk}/contact-points/{point.pk}"
    assert_error_shape(api.patch(wrong, {"label": "x"}), 404)
    assert_error_shape(api.delete(wrong), 404)
    assert ContactPoint.objects.filter(pk=point.pk).exists()


def test_contact_point_writes_honour_if_match(api, north_customer):
    url = f"{URL}/{north_customer.pk}/contact-points"
    stale = api.post(url, {"kind": "email", "value": "a@example.com"}, **{"If-Match": '"99"'})
    assert_error_shape(stale, 409, "conflict")
    fresh = f'"{north_customer.version}"'
    added = api.post(url, {"kind": "email", "value": "a@example.com"}, **{"If-Match": fresh})
    assert added.status_code == 201
    assert added["ETag"] == f'"{north_customer.version + 1}"'


def test_identifiers(api, north_customer, north):
    url = f"{URL}/{north_customer.pk}/identifiers"
    created = api.post(url, {"system": "ERP", "value": " C-1 "})
    assert created.status_code == 201, created.content
    assert (created.json()["system"], created.json()["value"]) == ("erp", "C-1")
    again = api.post(url, {"system": "erp", "value": "C-1"})
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    other = CustomerFactory(team=north)
    taken = api.post(f"{URL}/{other.pk}/identifiers", {"system": "erp", "value": "C-1"})
    assert_error_shape(taken, 409, "conflict")
    assert api.get(url).json()["count"] == 1
    # The identifier makes the customer findable.
    found = api.get(f"{URL}?q=c-1").json()["items"]
    assert [c["id"] for c in found] == [north_customer.pk]
    assert api.delete(f"{url}/{created.json()['id']}").status_code == 204
    assert not ExternalIdentifier.objects.exists()
    assert api.get(f"{URL}?q=c-1").json()["count"] == 0


def test_identifier_held_by_an_invisible_customer_does_not_reveal_it(
    api, north_customer, south_customer
):
    ExternalIdentifier.objects.create(customer=south_customer, system="erp", value="S-1")
    response = api.post(f"{URL}/{north_customer.pk}/identifiers", {"system": "erp", "value": "S-1"})
    error = assert_error_shape(response, 409)
    assert str(south_customer.pk) not in str(error)


def test_memberships_from_both_sides(api, north):
    org = CustomerFactory(
        kind="organization", organization_name="Ararat", display_name="Ararat", team=north
    )
    ani = CustomerFactory(given_name="Ani", team=north)
    zara = CustomerFactory(given_name="Zara", team=north)
    joined = api.post(f"{URL}/{ani.pk}/memberships", {"organization_id": org.pk, "title": "Buyer"})
    assert joined.status_code == 201, joined.content
    assert joined.json()["organization"]["display_name"] == "Ararat"
    from_org = api.post(f"{URL}/{org.pk}/memberships", {"person_id": zara.pk})
    assert from_org.status_code == 201, from_org.content
    members = api.get(f"{URL}/{org.pk}/memberships?page_size=1").json()
    assert (members["count"], members["pages"]) == (2, 2)
    assert members["items"][0]["person"]["display_name"] == "Ani Family"
    orgs = api.get(f"{URL}/{ani.pk}/memberships").json()["items"]
    assert [(m["organization"]["id"], m["title"]) for m in orgs] == [(org.pk, "Buyer")]

    wrong_side = api.post(f"{URL}/{ani.pk}/memberships", {"person_id": zara.pk})
    assert "person_id" in assert_error_shape(wrong_side, 422)["details"]
    missing = api.post(f"{URL}/{ani.pk}/memberships", {})
    assert "organization_id" in assert_error_shape(missing, 422)["details"]
    not_an_org = api.post(f"{URL}/{ani.pk}/memberships", {"organization_id": zara.pk})
    assert "organization_id" in assert_error_shape(not_an_org, 422)["details"]
    unknown = api.post(f"{URL}/{ani.pk}/memberships", {"organization_id": 987654})
    assert "organization_id" in assert_error_shape(unknown, 422)["details"]

    membership_id = orgs[0]["id"]
    assert_error_shape(api.delete(f"{URL}/{zara.pk}/memberships/{membership_id}"), 404)
    assert api.delete(f"{URL}/{org.pk}/memberships/{membership_id}").status_code == 204
    assert list(Membership.objects.values_list("person_id", flat=True)) == [zara.pk]


def test_an_invisible_organization_cannot_be_joined_or_seen(api, north, south):
    ani = CustomerFactory(given_name="Ani", team=north)
    hidden = CustomerFactory(kind="organization", organization_name="Hidden", team=south)
    Membership.objects.create(person=ani, organization=hidden)
    assert api.get(f"{URL}/{ani.pk}/memberships").json()["count"] == 0
    response = api.post(f"{URL}/{ani.pk}/memberships", {"organization_id": hidden.pk})
    assert "organization_id" in assert_error_shape(response, 422)["details"]


def test_tags_list(api, north_customer):
    api.patch(f"{URL}/{north_customer.pk}", {"tags": ["vip", "b2b"]})
    assert api.get(f"{URL}/tags").json()["items"] == ["b2b", "vip"]


def test_custom_fields_are_managed_by_admins(api_for, admin, agent):
    admin_api, agent_api = api_for(admin), api_for(agent)
    body = {"key": "tier", "label": "Tier", "field_type": "choice", "choices": ["gold", "silver"]}
    assert_error_shape(agent_api.post(f"{URL}/custom-fields", body), 403, "forbidden")
    created = admin_api.post(f"{URL}/custom-fields", body)
    assert created.status_code == 201, created.content
    field_url = f"{URL}/custom-fields/{created.json()['id']}"
    assert [f["key"] for f in agent_api.get(f"{URL}/custom-fields").json()] == ["tier"]
    no_choices = admin_api.post(
        f"{URL}/custom-fields", {"key": "x", "label": "X", "field_type": "choice"}
    )
    assert "choices" in assert_error_shape(no_choices, 422)["details"]
    bad_key = admin_api.post(
        f"{URL}/custom-fields", {"key": "Bad Key", "label": "X", "field_type": "text"}
    )
    assert "key" in assert_error_shape(bad_key, 422)["details"]
    renamed = admin_api.patch(field_url, {"label": "Level", "position": 3})
    assert (renamed.json()["label"], renamed.json()["position"]) == ("Level", 3)
    rekey = admin_api.patch(field_url, {"key": "level"})
    assert "key" in assert_error_shape(rekey, 422)["details"]
    assert_error_shape(agent_api.delete(field_url), 403)
    assert admin_api.delete(field_url).status_code == 204
    assert not CustomField.objects.exists()
    assert_error_shape(admin_api.delete(field_url), 404)


def test_a_deleted_custom_field_does_not_block_later_edits(api_for, admin, agent, north_customer):
    admin_api, api = api_for(admin), api_for(agent)
    field = admin_api.post(
        f"{URL}/custom-fields", {"key": "tier", "label": "Tier", "field_type": "text"}
    ).json()
    url = f"{URL}/{north_customer.pk}"
    assert api.patch(url, {"custom_fields": {"tier": "gold"}}).status_code == 200
    admin_api.delete(f"{URL}/custom-fields/{field['id']}")
    changed = api.patch(url, {"city": "Yerevan"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["custom_fields"] == {}


def test_saved_views_are_personal(api_for, agent, other_agent):
    mine, theirs = api_for(agent), api_for(other_agent)
    saved = mine.post(f"{URL}/saved-views", {"name": "VIPs", "query": "?tag=vip"})
    assert saved.status_code == 201, saved.content
    assert saved.json()["query"] == "tag=vip"
    replaced = mine.post(f"{URL}/saved-views", {"name": "VIPs", "query": "tag=vip&kind=person"})
    assert replaced.json()["id"] == saved.json()["id"]
    assert [v["query"] for v in mine.get(f"{URL}/saved-views").json()] == ["tag=vip&kind=person"]
    assert theirs.get(f"{URL}/saved-views").json() == []
    view_url = f"{URL}/saved-views/{saved.json()['id']}"
    assert_error_shape(theirs.delete(view_url), 404)
    assert_error_shape(mine.post(f"{URL}/saved-views", {"name": " "}), 422)
    assert mine.delete(view_url).status_code == 204


def test_literal_paths_are_not_taken_for_customer_ids(api):
    for path in ("tags", "custom-fields", "saved-views"):
        assert api.get(f"{URL}/{path}").status_code == 200, path
    assert_error_shape(api.get(f"{URL}/not-a-number"), 422)


def test_another_teams_customer_and_its_sub_resources_are_not_found(
    api, south_customer, north_customer
):
    point = ContactPoint.objects.create(
        customer=south_customer, kind="email", value="s@example.com", search_value="s@example.com"
    )
    identifier = ExternalIdentifier.objects.create(
        customer=south_customer, system="erp", value="S-1"
    )
    org = CustomerFactory(
        kind="organization", organization_name="South Org", team=south_customer.team
    )
    membership = Membership.objects.create(person=south_customer, organization=org)
    base = f"{URL}/{south_customer.pk}"
    requests = [
        api.get(base),
        api.patch(base, {"city": "X"}),
        api.delete(base),
        api.post(f"{base}/confirm"),
        api.get(f"{base}/contact-points"),
        api.post(f"{base}/contact-points", {"kind": "email", "value": "x@example.com"}),
        api.patch(f"{base}/contact-points/{point.pk}", {"label": "x"}),
        api.delete(f"{base}/contact-points/{point.pk}"),
        api.post(f"{base}/contact-points/{point.pk}/confirm"),
        api.get(f"{base}/identifiers"),
        api.post(f"{base}/identifiers", {"system": "erp", "value": "N-1"}),
        api.delete(f"{base}/identifiers/{identifier.pk}"),
        api.get(f"{base}/memberships"),
        api.post(f"{base}/memberships", {"organization_id": org.pk}),
        api.delete(f"{base}/memberships/{membership.pk}"),
        api.get(f"{base}/consents"),
        api.post(
            f"{base}/consents", {"channel": "email", "purpose": "service", "status": "granted"}
        ),
        api.get(f"{base}/can-contact?channel=email&purpose=service"),
        api.get(f"{base}/preferences"),
        api.patch(f"{base}/preferences", {"notes": "x"}),
        api.get(f"{URL}/by-identifier/erp/S-1"),
        # Through a visible customer, the other's sub-records are not reachable either.
        api.patch(f"{URL}/{north_customer.pk}/contact-points/{point.pk}", {"label": "x"}),
        api.delete(f"{URL}/{north_customer.pk}/identifiers/{identifier.pk}"),
        api.post(f"{URL}/{north_customer.pk}/memberships", {"organization_id": org.pk}),
    ]
    for response in requests:
        assert response.status_code in (404, 422), (response.request, response.content)
        assert str(south_customer.pk) not in response.json()["error"]["message"]
    assert [r.status_code for r in requests[:-1]] == [404] * (len(requests) - 1)
    assert ContactPoint.objects.filter(pk=point.pk, label="").exists()
    assert ExternalIdentifier.objects.filter(pk=identifier.pk).exists()
    assert Membership.objects.filter(pk=membership.pk).exists()
    south_customer.refresh_from_db()
    assert south_customer.city == ""


def test_an_old_contact_point_is_stale_until_confirmed(api, north_customer):
    url = f"{URL}/{north_customer.pk}/contact-points"
    point = api.post(url, {"kind": "phone", "value": "+37491234567"}).json()
    assert point["stale"] is False
    ContactPoint.objects.filter(pk=point["id"]).update(created_at="2001-01-01T00:00:00Z")
    assert api.get(url).json()["items"][0]["stale"] is True
    assert api.get(f"{URL}?stale=true").json()["count"] == 1
    confirmed = api.post(f"{url}/{point['id']}/confirm", {})
    assert confirmed.json()["stale"] is False and confirmed.json()["verified_at"] is None
