"""Orders and products in the API: idempotent by external id (lines replaced), money as
decimal strings, a line's error named by its index, visibility through the customer."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.commerce import services
from patron.commerce.models import Order, OrderLine, Product
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory

API = "/api/v1"
NOW = timezone.now().replace(microsecond=0)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def ago(**delta):
    return NOW - dt.timedelta(**delta)


@pytest.fixture
def api(api_for, agent):
    return api_for(agent)


LINES = [
    {"sku": "TEA-1", "product_name": "Green tea", "category": "tea", "quantity": 2,
     "unit_price": "4.50", "unit_cost": "2.00"},
    {"sku": "CUP-1", "quantity": "1.5", "unit_price": 10, "unit_cost": "6"},
]  # fmt: skip


def place(api, customer, **body):
    return api.post(f"{API}/orders", {"customer_id": customer.pk, "lines": LINES} | body)


def test_create_get_list_delete(api, north_customer):
    created = place(
        api,
        north_customer,
        external_id="SHOP-1",
        currency="eur",
        channel="web",
        placed_at=iso(ago(days=1)),
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert (order["currency"], order["channel"], order["status"]) == ("EUR", "web", "completed")
    assert (order["total_amount"], order["total_cost"], order["margin"]) == (
        "24.00",
        "13.00",
        "11.00",
    )
    assert (order["line_count"], order["customer_name"]) == (2, "Ani Nor")
    lines = order["lines"]
    assert [(x["sku"], x["product_name"], x["quantity"], x["amount"]) for x in lines] == [
        ("TEA-1", "Green tea", "2.000", "9.00"),
        ("CUP-1", "CUP-1", "1.500", "15.00"),
    ]
    assert lines[0]["unit_price"] == "4.50" and lines[1]["unit_cost"] == "6.00"

    url = f"{API}/orders/{order['id']}"
    assert api.get(url).json()["lines"] == lines
    listed = api.get(f"{API}/orders").json()
    assert (listed["count"], "lines" in listed["items"][0]) == (1, False)
    assert api.delete(url).status_code == 204
    assert_error_shape(api.get(url), 404, "not_found")
    assert not OrderLine.objects.exists()
    assert Product.objects.count() == 2  # the catalogue stays


def test_create_is_idempotent_by_external_id(api, north, north_customer):
    first = place(api, north_customer, external_id="ERP-9")
    assert first.status_code == 201, first.content
    again = place(
        api,
        north_customer,
        external_id="ERP-9",
        status="returned",
        lines=[{"sku": "TEA-1", "quantity": -1, "unit_price": "4.50"}],
    )
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["status"], again.json()["total_amount"]) == ("returned", "-4.50")
    assert again.json()["total_cost"] is None
    assert [x["sku"] for x in again.json()["lines"]] == ["TEA-1"]
    assert (Order.objects.count(), OrderLine.objects.count()) == (1, 1)

    other = CustomerFactory(team=north)
    clash = place(api, other, external_id="ERP-9")
    assert "external_id" in assert_error_shape(clash, 409, "conflict")["details"]


def test_list_filters(api, north, north_customer):
    other = CustomerFactory(team=north)
    place(api, north_customer, placed_at=iso(ago(days=10)))
    place(api, north_customer, placed_at=iso(ago(days=2)), status="cancelled")
    place(api, other, placed_at=iso(ago(days=1)))

    def found(query):
        response = api.get(f"{API}/orders?{query}")
        assert response.status_code == 200, response.content
        return [(o["customer_id"], o["status"]) for o in response.json()["items"]]

    assert found(f"customer_id={north_customer.pk}") == [
        (north_customer.pk, "cancelled"),
        (north_customer.pk, "completed"),
    ]
    assert found("status=cancelled") == [(north_customer.pk, "cancelled")]
    since = iso(ago(days=5))
    until = iso(ago(days=1, hours=12))
    assert found(f"since={since}&until={until}") == [(north_customer.pk, "cancelled")]
    assert_error_shape(api.get(f"{API}/orders?status=lost"), 422, "invalid_input")


def test_orders_follow_their_customer_visibility(
    api_for, api, viewer, other_agent, north_customer, south_customer
):
    theirs, _ = services.order_save(actor=other_agent, customer=south_customer, lines=LINES)
    assert_error_shape(place(api, south_customer), 404)
    assert_error_shape(api.get(f"{API}/orders/{theirs.pk}"), 404)
    assert_error_shape(api.delete(f"{API}/orders/{theirs.pk}"), 404)
    assert api.get(f"{API}/orders").json()["count"] == 0

    ours = place(api, north_customer).json()
    reader = api_for(viewer)
    assert reader.get(f"{API}/orders/{ours['id']}").status_code == 200
    assert_error_shape(place(reader, north_customer), 403, "forbidden")
    assert_error_shape(reader.delete(f"{API}/orders/{ours['id']}"), 403, "forbidden")
    assert Order.objects.count() == 2


def test_invalid_orders_are_422_with_the_field(api, north_customer):
    def error(**body):
        return assert_error_shape(place(api, north_customer, **body), 422)

    assert error(lines=[])["code"] == "invalid_input"
    assert error(currency="euro")["code"] == "invalid_input"
    assert "currency" in error(currency="E1")["details"]
    assert error(status="lost")["code"] == "invalid_input"
    assert error(lines=[{"sku": "A"}])["details"][0]["field"] == "lines.0.unit_price"
    assert error(lines=[{"sku": "A", "unit_price": "abc"}])["code"] == "invalid_input"
    assert error(lines=[{"sku": "A", "unit_price": 1, "colour": "red"}])["code"] == "invalid_input"
    zero = error(lines=[LINES[0], {"sku": "B", "quantity": 0, "unit_price": 1}])
    assert "lines.1" in zero["details"]
    negative_cost = error(lines=[{"sku": "B", "unit_price": 1, "unit_cost": -1}])
    assert "lines.0" in negative_cost["details"]
    assert error(placed_at="2024-01-01")["code"] == "invalid_input"
    assert error(external_id="")["code"] == "invalid_input"
    # What the columns cannot hold is refused, not a server error.
    assert "lines.0" in error(lines=[{"sku": "A", "quantity": "5e9", "unit_price": 1}])["details"]
    assert "lines.0" in error(lines=[{"sku": "A", "unit_price": "9999999999.999"}])["details"]
    huge = [{"sku": "A", "quantity": "99999999", "unit_price": "99999999"}]
    assert "lines" in error(lines=huge)["details"]
    assert not Order.objects.exists()
    assert not Product.objects.exists()


def test_products(api_for, api, viewer, north_customer):
    place(api, north_customer)
    url = f"{API}/products"
    assert [p["sku"] for p in api.get(url).json()["items"]] == ["CUP-1", "TEA-1"]  # by name
    assert [p["sku"] for p in api.get(f"{url}?q=tea").json()["items"]] == ["TEA-1"]
    assert [p["sku"] for p in api.get(f"{url}?q=CUP").json()["items"]] == ["CUP-1"]
    assert [p["sku"] for p in api.get(f"{url}?category=tea").json()["items"]] == ["TEA-1"]
    assert api.get(f"{url}?q=%00").status_code == 422

    created = api.post(url, {"sku": "MUG-1", "name": "Mug", "category": "ware"})
    assert created.status_code == 201, created.content
    known = api.post(url, {"sku": "MUG-1", "name": "Other name"})
    assert known.status_code == 200, known.content
    assert (known.json()["id"], known.json()["name"]) == (created.json()["id"], "Mug")
    product_url = f"{url}/{created.json()['id']}"
    assert api.get(product_url).json()["category"] == "ware"
    changed = api.patch(product_url, {"name": "Big mug"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["category"]) == ("Big mug", "ware")
    assert "name" in assert_error_shape(api.patch(product_url, {"name": ""}), 422)["details"]
    assert_error_shape(api.patch(product_url, {"sku": "X"}), 422, "invalid_input")
    assert_error_shape(api.get(f"{url}/999999"), 404)

    reader = api_for(viewer)
    assert reader.get(product_url).status_code == 200
    assert_error_shape(reader.patch(product_url, {"name": "x"}), 403, "forbidden")
    assert_error_shape(reader.post(url, {"sku": "NEW-1"}), 403, "forbidden")
    assert not Product.objects.filter(sku="NEW-1").exists()


def test_the_order_list_query_count_is_flat(api, north_customer, django_assert_max_num_queries):
    place(api, north_customer)
    api.get(f"{API}/orders")
    with django_assert_max_num_queries(8) as few:
        api.get(f"{API}/orders")
    count = len(few.captured_queries)  # read now: the next request empties the log
    for _i in range(10):
        place(api, north_customer)
    with django_assert_max_num_queries(count):
        assert api.get(f"{API}/orders").json()["count"] == 11
