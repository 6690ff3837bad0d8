"""The customer resource of the API: idempotent create by external identifier, optimistic
locking, error shapes that name the field, the detailed representation, filters."""

import pytest

from patron.customers.models import ContactPoint, Customer, CustomField, ExternalIdentifier
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory

URL = "/api/v1/customers"


def _create(api, **body):
    return api.post(URL, body)


def test_create_with_nested_contacts_identifiers_and_tags(api_for, agent, north):
    response = _create(
        api_for(agent),
        given_name="Aram",
        family_name="Khachatryan",
        country="am",
        city="Yerevan",
        time_zone="Asia/Yerevan",
        emails=["Aram@Example.com", {"value": "work@example.com", "label": "work"}],
        phones=["091 234567"],
        identifiers=[{"system": "ERP", "value": "C-1"}],
        tags=["vip", "Wholesale"],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["display_name"], body["country"], body["team_id"]) == (
        "Aram Khachatryan",
        "AM",
        north.pk,
    )
    assert body["tags"] == ["Wholesale", "vip"]
    assert body["preferred_email"] == "aram@example.com"
    assert body["preferred_phone"] == "+37491234567"
    assert [(p["kind"], p["value"], p["label"]) for p in body["contact_points"]] == [
        ("email", "aram@example.com", ""),
        ("email", "work@example.com", "work"),
        ("phone", "+37491234567", ""),
    ]
    phone = body["contact_points"][2]
    assert phone["display_value"] == "091 234567"
    assert [(i["system"], i["value"]) for i in body["identifiers"]] == [("erp", "C-1")]
    assert response["ETag"] == f'"{body["version"]}"'


def test_create_is_idempotent_by_external_identifier(api_for, agent):
    api = api_for(agent)
    first = _create(
        api,
        given_name="Ani",
        family_name="Nor",
        emails=["ani@example.com"],
        identifiers=[{"system": "shop", "value": "42"}],
    )
    assert first.status_code == 201, first.content
    again = _create(
        api,
        given_name="Ani",
        family_name="Norian",
        lifecycle_stage="customer",
        emails=["ANI@example.com", "ani.nor@example.com"],
        identifiers=[{"system": "shop", "value": "42"}, {"system": "erp", "value": "E-9"}],
    )
    assert again.status_code == 200, again.content
    body = again.json()
    assert body["id"] == first.json()["id"]
    assert (body["family_name"], body["lifecycle_stage"]) == ("Norian", "customer")
    # Fields not sent keep their values (no reset to the defaults of a create).
    assert body["kind"] == "person" and body["given_name"] == "Ani"
    assert Customer.objects.count() == 1
    emails = ContactPoint.objects.filter(kind="email").values_list("value", flat=True)
    assert sorted(emails) == ["ani.nor@example.com", "ani@example.com"]
    assert ExternalIdentifier.objects.filter(customer_id=body["id"]).count() == 2
    # The very same request a third time changes nothing, not even the version.
    version = body["version"]
    third = _create(
        api,
        given_name="Ani",
        family_name="Norian",
        identifiers=[{"system": "shop", "value": "42"}],
    )
    assert third.status_code == 200 and third.json()["version"] == version


def test_identifiers_of_two_customers_conflict(api_for, agent):
    api = api_for(agent)
    _create(api, given_name="One", identifiers=[{"system": "erp", "value": "1"}])
    _create(api, given_name="Two", identifiers=[{"system": "erp", "value": "2"}])
    both = _create(
        api,
        given_name="Both",
        identifiers=[{"system": "erp", "value": "1"}, {"system": "erp", "value": "2"}],
    )
    error = assert_error_shape(both, 409, "conflict")
    assert "identifiers" in error["details"]
    assert len(error["details"]["customer_ids"]) == 2
    assert Customer.objects.count() == 2


def test_identifier_of_an_invisible_customer_is_a_conflict_without_its_id(
    api_for, agent, south_customer
):
    ExternalIdentifier.objects.create(customer=south_customer, system="erp", value="S-1")
    response = _create(
        api_for(agent), given_name="Mine", identifiers=[{"system": "erp", "value": "S-1"}]
    )
    error = assert_error_shape(response, 409, "conflict")
    assert str(south_customer.pk) not in str(error)
    south_customer.refresh_from_db()
    assert south_customer.given_name == "Sami"


def test_bad_phone_creates_nothing_and_names_the_item(api_for, agent):
    response = _create(
        api_for(agent),
        given_name="Vera",
        emails=["vera@example.com"],
        phones=["+37491234567", "12"],
        identifiers=[{"system": "erp", "value": "V-1"}],
    )
    error = assert_error_shape(response, 422, "validation_failed")
    assert list(error["details"]) == ["phones.1"]
    assert not Customer.objects.exists()
    assert not ExternalIdentifier.objects.exists()


def test_every_bad_nested_item_is_reported_at_once(api_for, agent):
    response = _create(
        api_for(agent),
        given_name="Vera",
        emails=["fine@example.com", "not-an-email"],
        phones=["091 234567"],  # no +CC and no country
        identifiers=[{"system": "erp", "value": "E-1"}, {"system": "erp", "value": "   "}],
    )
    error = assert_error_shape(response, 422)
    assert set(error["details"]) == {"emails.1", "phones.0", "identifiers.1.value"}
    assert "country" in error["details"]["phones.0"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"given_name": "A", "country": "XX"}, "country"),
        ({"given_name": "A", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"given_name": "A", "language": "zz-notalanguage"}, "language"),
        ({"given_name": "A", "emails": ["@nowhere"]}, "emails.0"),
        ({"given_name": "A", "phones": [{"value": "+1 555", "label": "home"}]}, "phones.0"),
        ({"kind": "organization"}, "organization_name"),
        ({"given_name": "A", "custom_fields": {"shoe_size": 42}}, "custom_fields.shoe_size"),
        ({"given_name": "A", "owner_id": 987654}, "owner_id"),
        ({"given_name": "A\x00ni"}, "given_name"),
        ({"given_name": "A", "city": "Yere\x00van"}, "city"),
    ],
)
def test_business_rule_errors_name_the_field(api_for, agent, body, field):
    error = assert_error_shape(_create(api_for(agent), **body), 422, "validation_failed")
    assert field in error["details"], error
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"given_name": "A", "nickname": "x"}, "nickname"),
        ({"given_name": "A", "emails": [{"value": "a@b.am", "colour": "red"}]}, "emails.0"),
        ({"given_name": "A", "identifiers": [{"system": "erp"}]}, "identifiers.0.value"),
        ({"given_name": "A", "country": "ARM"}, "country"),
        ({"given_name": "A", "tags": [""]}, "tags.0"),
        ({"given_name": "A", "tags": ["v\x00ip"]}, "tags.0"),
        ({"given_name": "A", "emails": ["a\x00@example.com"]}, "emails.0"),
    ],
)
def test_schema_errors_name_the_field(api_for, agent, body, field):
    error = assert_error_shape(_create(api_for(agent), **body), 422, "invalid_input")
    assert any(d["field"].startswith(field) for d in error["details"]), error


def test_custom_field_values_are_checked_against_their_type(api_for, agent):
    CustomField.objects.create(key="shoe_size", label="Shoe size", field_type="number")
    api = api_for(agent)
    error = assert_error_shape(
        _create(api, given_name="A", custom_fields={"shoe_size": "big"}), 422
    )
    assert "custom_fields.shoe_size" in error["details"]
    created = _create(api, given_name="A", custom_fields={"shoe_size": "42"})
    assert created.status_code == 201 and created.json()["custom_fields"] == {"shoe_size": 42}
    url = f"{URL}/{created.json()['id']}"
    cleared = api.patch(url, {"custom_fields": {"shoe_size": None}})
    assert cleared.json()["custom_fields"] == {}


def test_patch_with_if_match_refuses_a_stale_edit(api_for, agent, north_customer):
    api = api_for(agent)
    url = f"{URL}/{north_customer.pk}"
    read = api.get(url)
    etag = read["ETag"]
    changed = api.patch(url, {"city": "Gyumri", "tags": ["vip"]}, **{"If-Match": etag})
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != etag
    assert (changed.json()["city"], changed.json()["tags"]) == ("Gyumri", ["vip"])
    stale = api.patch(url, {"city": "Vanadzor"}, **{"If-Match": etag})
    error = assert_error_shape(stale, 409, "conflict")
    assert error["details"]["current_version"] == changed.json()["version"]
    assert api.get(url).json()["city"] == "Gyumri"
    for bad in ("yesterday", '"²"', "9" * 40):
        assert_error_shape(api.patch(url, {"city": "X"}, **{"If-Match": bad}), 422)
    assert api.patch(url, {"source": "fair"}, **{"If-Match": "*"}).status_code == 200
    changed = api.get(url)
    # A stale delete is refused too.
    assert_error_shape(api.delete(url, **{"If-Match": etag}), 409)
    assert api.delete(url, **{"If-Match": changed["ETag"]}).status_code == 204


def test_a_contact_point_change_makes_an_older_etag_stale(api_for, agent, north_customer):
    api = api_for(agent)
    url = f"{URL}/{north_customer.pk}"
    etag = api.get(url)["ETag"]
    added = api.post(f"{url}/contact-points", {"kind": "email", "value": "a@example.com"})
    assert added.status_code == 201 and added["ETag"] != etag
    assert_error_shape(api.patch(url, {"source": "fair"}, **{"If-Match": etag}), 409)


def test_detail_shows_what_hangs_off_the_customer(api_for, agent, north):
    api = api_for(agent)
    org = _create(api, kind="organization", organization_name="Ararat Trading").json()
    person = _create(api, given_name="Ani", emails=["ani@example.com"]).json()
    api.post(f"{URL}/{person['id']}/memberships", {"organization_id": org["id"], "title": "CEO"})
    api.post(
        f"{URL}/{person['id']}/consents",
        {"channel": "email", "purpose": "marketing", "status": "granted", "source": "web"},
    )
    api.patch(f"{URL}/{person['id']}/preferences", {"payment_method": "invoice"})
    detail = api.get(f"{URL}/{person['id']}").json()
    assert [(m["organization"]["display_name"], m["title"]) for m in detail["memberships"]] == [
        ("Ararat Trading", "CEO")
    ]
    assert detail["member_count"] is None
    assert [(c["channel"], c["purpose"], c["status"]) for c in detail["consents"]] == [
        ("email", "marketing", "granted")
    ]
    assert detail["preferences"]["payment_method"] == "invoice"
    assert api.get(f"{URL}/{org['id']}").json()["member_count"] == 1


def test_detail_query_count_is_bounded(
    api_for, agent, north_customer, django_assert_max_num_queries
):
    api = api_for(agent)
    url = f"{URL}/{north_customer.pk}"
    for n in range(5):
        api.post(f"{url}/contact-points", {"kind": "email", "value": f"a{n}@example.com"})
        api.post(f"{url}/identifiers", {"system": "erp", "value": f"E{n}"})
    with django_assert_max_num_queries(15):
        assert api.get(url).status_code == 200


def test_list_filters(api_for, manager, north, south):
    api = api_for(manager)
    vip = _create(api, given_name="Vip", country="AM", tags=["vip"], team_id=north.pk).json()
    _create(api, kind="organization", organization_name="Org", country="GE", team_id=south.pk)
    old = CustomerFactory(given_name="Old", team=north)
    Customer.objects.filter(pk=old.pk).update(created_at="2001-01-01T00:00:00Z")

    def names(query):
        response = api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [c["display_name"] for c in response.json()["items"]]

    assert names("tag=vip") == ["Vip"]
    assert names("country=ge") == ["Org"]
    assert names("kind=organization") == ["Org"]
    assert names(f"team_id={south.pk}") == ["Org"]
    assert names("stale=true") == ["Old Family"]
    assert names("sort=-created&page_size=1") == ["Org"]
    listed = api.get(f"{URL}?tag=vip").json()["items"][0]
    assert (listed["id"], listed["tags"], listed["stale"]) == (vip["id"], ["vip"], False)
    assert "contact_points" not in listed  # the list stays light


def test_list_query_count_does_not_grow(api_for, manager, north, django_assert_max_num_queries):
    api = api_for(manager)
    for n in range(3):
        _create(api, given_name=f"P{n}", emails=[f"p{n}@example.com"], tags=["t"])
    with django_assert_max_num_queries(10) as few:
        api.get(URL)
    few_queries = len(few)  # now: the next request clears the connection's query log
    for n in range(3, 20):
        _create(api, given_name=f"P{n}", emails=[f"p{n}@example.com"], tags=["t", f"x{n}"])
    with django_assert_max_num_queries(few_queries):
        body = api.get(URL).json()
    assert body["count"] == 20 and all(c["preferred_email"] for c in body["items"])


def test_viewer_reads_but_every_write_is_forbidden(api_for, viewer, north_customer):
    api = api_for(viewer)
    url = f"{URL}/{north_customer.pk}"
    assert api.get(url).status_code == 200
    writes = [
        api.post(URL, {"given_name": "New"}),
        api.patch(url, {"city": "X"}),
        api.post(f"{url}/confirm"),
        api.post(f"{url}/contact-points", {"kind": "email", "value": "v@example.com"}),
        api.post(f"{url}/identifiers", {"system": "erp", "value": "1"}),
        api.post(
            f"{url}/consents", {"channel": "email", "purpose": "service", "status": "granted"}
        ),
        api.patch(f"{url}/preferences", {"notes": "x"}),
        api.post(f"{URL}/custom-fields", {"key": "k", "label": "K", "field_type": "text"}),
        api.delete(url),
    ]
    for response in writes:
        assert_error_shape(response, 403, "forbidden")
    assert Customer.objects.filter(pk=north_customer.pk).exists()


def test_confirm_clears_the_stale_flag(api_for, agent, north_customer):
    Customer.objects.filter(pk=north_customer.pk).update(created_at="2001-01-01T00:00:00Z")
    api = api_for(agent)
    url = f"{URL}/{north_customer.pk}"
    assert api.get(url).json()["stale"] is True
    confirmed = api.post(f"{url}/confirm")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["stale"] is False and confirmed.json()["last_confirmed_at"]
    assert api.get(f"{URL}?stale=true").json()["count"] == 0


def test_find_by_identifier(api_for, agent, north_customer, south_customer):
    ExternalIdentifier.objects.create(customer=north_customer, system="erp", value="A/1 x")
    ExternalIdentifier.objects.create(customer=south_customer, system="erp", value="S-1")
    api = api_for(agent)
    found = api.get(f"{URL}/by-identifier/ERP/A/1%20x")
    assert found.status_code == 200, found.content
    assert found.json()["id"] == north_customer.pk
    missing = api.get(f"{URL}/by-identifier/erp/nothing")
    hidden = api.get(f"{URL}/by-identifier/erp/S-1")
    assert_error_shape(hidden, 404)
    assert hidden.json() == missing.json()
