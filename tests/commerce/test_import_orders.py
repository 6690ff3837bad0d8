"""The order import: real files through the real engine, command, API and database."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import path
from ninja import NinjaAPI

from patron.commerce import import_engine
from patron.commerce.api_import import router as orders_import_router
from patron.commerce.import_engine import ImportOptions
from patron.commerce.importing import import_orders
from patron.commerce.models import Order, OrderLine, Product
from patron.core.api_base import AUTH, install_error_handlers
from patron.core.models import AuditEntry
from tests.conftest import assert_error_shape
from tests.imports import customer, run_import, two_customers
from tests.processes import clean_env, run_patron

# The endpoint as another module mounts it: /api/v1/orders/import.
api = NinjaAPI(auth=AUTH, urls_namespace="test-orders-import")
install_error_handlers(api)
api.add_router("/orders", orders_import_router)
urlpatterns = [path("api/v1/", api.urls)]

HEADER = (
    "external_id,customer_external_id,placed_at,currency,channel,status,sku,product_name,"
    "category,quantity,unit_price,unit_cost"
)


@pytest.fixture
def people(db):
    return two_customers()


def run(text, **options):
    return run_import(import_orders, text, **options)


def state():
    """Everything the import writes, as plain values (ids of lines included)."""
    orders = sorted(
        Order.objects.values_list(
            "external_id",
            "customer_id",
            "placed_at",
            "currency",
            "channel",
            "status",
            "total_amount",
            "total_cost",
            "line_count",
            "updated_at",
        )
    )
    lines = sorted(
        OrderLine.objects.values_list(
            "id", "order__external_id", "product__sku", "quantity", "unit_price", "unit_cost"
        )
    )
    return orders, lines, Product.objects.count()


GOOD = f"""{HEADER}
o1,c1,2024-03-01T10:00:00Z,eur,web,,SKU-1,Espresso beans,Coffee,2,12.50,7.10
o1,c1,2024-03-01T10:00:00Z,eur,web,,SKU-2,Mug,Kitchen,1,8.99,
o1,c1,2024-03-01T10:00:00Z,eur,web,,SKU-1,Espresso beans,Coffee,0.5,12.50,7.10
o2,c2,2024-03-02 09:30+02:00,GBP,store,returned,SKU-2,,,-1,8.99,4.00
"""


@pytest.mark.django_db
def test_orders_lines_products_and_totals(people):
    report, rejects = run(GOOD)
    assert (report.rows, report.created, report.updated, report.rejected) == (4, 2, 0, 0)
    assert report.counters == {"lines": 4, "products_created": 2}
    assert rejects == [["import_line", "import_error", *HEADER.split(",")]]
    o1 = Order.objects.get(external_id="o1")
    assert o1.customer == people["c1"]
    assert (o1.currency, o1.channel, o1.status, o1.line_count) == ("EUR", "web", "completed", 3)
    # 2 × 12.50 + 8.99 + 0.5 × 12.50; the mug has no cost, so neither has the order.
    assert (o1.total_amount, o1.total_cost) == (Decimal("40.24"), None)
    assert o1.placed_at.isoformat() == "2024-03-01T10:00:00+00:00"
    lines = list(o1.lines.order_by("id").values_list("product__sku", "quantity", "unit_price"))
    assert lines == [
        ("SKU-1", Decimal("2.000"), Decimal("12.50")),
        ("SKU-2", Decimal("1.000"), Decimal("8.99")),
        ("SKU-1", Decimal("0.500"), Decimal("12.50")),
    ]
    o2 = Order.objects.get(external_id="o2")
    assert (o2.status, o2.total_amount, o2.total_cost) == (
        "returned",
        Decimal("-8.99"),
        Decimal("-4.00"),
    )
    assert o2.placed_at.isoformat() == "2024-03-02T07:30:00+00:00"  # stored in UTC
    beans = Product.objects.get(sku="SKU-1")
    assert (beans.name, beans.category) == ("Espresso beans", "Coffee")
    # One audit entry for the batch, not one per order or line.
    entry = AuditEntry.objects.get(target_type="commerce.order")
    assert entry.changes[0]["new"]["orders_created"] == 2
    assert entry.changes[0]["new"]["lines"] == 4


@pytest.mark.django_db
def test_totals_round_half_to_even_like_order_save(people):
    # 0.005 and 0.015: exact halves of a cent, rounded to the even cent.
    text = (
        f"{HEADER}\no1,c1,2024-01-01,EUR,,,A,,,0.5,0.01,0.03\n"
        "o2,c1,2024-01-01,EUR,,,A,,,1.5,0.01,\n"
    )
    report, _rejects = run(text)
    assert report.created == 2
    amounts = dict(Order.objects.values_list("external_id", "total_amount"))
    assert amounts == {"o1": Decimal("0.00"), "o2": Decimal("0.02")}
    assert Order.objects.get(external_id="o1").total_cost == Decimal("0.02")


@pytest.mark.django_db
def test_an_existing_product_is_used_not_renamed(people):
    Product.objects.create(sku="SKU-1", name="Beans (house)", category="Coffee")
    report, _rejects = run(GOOD)
    assert report.counters["products_created"] == 1
    assert Product.objects.get(sku="SKU-1").name == "Beans (house)"


BAD = f"""{HEADER}
o1,nobody,2024-03-01T10:00:00Z,EUR,web,,SKU-1,,,1,1.00,
o2,c1,31/03/2024,EUR,web,,SKU-1,,,1,1.00,
o3,c1,2024-03-01,EURO,web,,SKU-1,,,1,1.00,
o4,c1,2024-03-01,EUR,web,,SKU-1,,,two,1.00,
o5,c1,2024-03-01,EUR,web,,SKU-1,,,1,1.005,
o6,c1,2024-03-01,EUR,web,,SKU-1,,,1,1.00,-2
o7,c1,2024-03-01,EUR,web,,SKU-1,,,0,1.00,
o8,c1,2024-03-01,EUR,web,,,,,1,1.00,
o9,c1,2024-03-01,EUR,web,lost,SKU-1,,,1,1.00,
,c1,2024-03-01,EUR,web,,SKU-1,,,1,1.00,
o10,c1,2999-01-01,EUR,web,,SKU-1,,,1,1.00,
o11,c1,2024-03-01,EUR,web,,SKU-1,,,1,abc,
o12,,2024-03-01,EUR,web,,SKU-1,,,1,1.00,
o13,c2,2024-03-01,EUR,web,,SKU-1,,,1,2.00,
"""


@pytest.mark.django_db
def test_every_kind_of_reject_names_its_line_and_column(people):
    report, rejects = run(BAD)
    assert report.rows == 14
    assert report.rejected == 13
    assert report.created == 1  # o13
    reasons = {r.line: r.reason for r in report.rejects}
    expected = {
        2: "customer_external_id: no customer has the id “nobody”",
        3: "placed_at: “31/03/2024” is not a date",
        4: "currency: “EURO” is not a three-letter currency code",
        5: "quantity: “two” is not a number",
        6: "unit_price: “1.005” has more than 2 decimal places",
        7: "unit_cost: cannot be negative",
        8: "quantity: cannot be zero",
        9: "sku: required",
        10: "status: “lost” is not one of pending, completed, cancelled, returned",
        11: "external_id: each line needs its order's external_id",
        12: "placed_at: “2999-01-01” is in the future",
        13: "unit_price: “abc” is not a number",
        14: "customer_external_id: required",
    }
    assert sorted(reasons) == sorted(expected)
    for line, start in expected.items():
        assert reasons[line].startswith(start), (line, reasons[line])
    # The rejects file: the reasons first, then the row as the file had it, in file order.
    assert rejects[0] == ["import_line", "import_error", *HEADER.split(",")]
    assert [int(r[0]) for r in rejects[1:]] == sorted(expected)
    assert rejects[1][2:] == BAD.splitlines()[1].split(",")
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_row_over_several_lines_keeps_the_line_numbers(people):
    text = (
        f'{HEADER}\no1,c1,2024-03-01,EUR,,,A,"Two\nli\x0cnes",,1,1.00,\n'
        "o2,nobody,2024-03-01,EUR,,,A,,,1,1.00,\n"
    )
    report, rejects = run(text)
    assert report.created == 1
    assert Product.objects.get().name == "Two\nli\x0cnes"
    assert [(r.line, r.row[0]) for r in report.rejects] == [(4, "o2")]
    assert rejects[1][:3] == ["4", report.rejects[0].reason, "o2"]


@pytest.mark.django_db
def test_small_chunks_of_the_file_and_fields_over_several_lines(people, monkeypatch):
    # The file is read in chunks of lines; a quoted field may run over their edges.
    monkeypatch.setattr(import_engine, "READ_CHUNK", 40)
    note = '"Beans,\nroasted ""dark""\n\nand ground"'
    rows = [f"o{n},c1,2024-03-01,EUR,,,S{n},{note},,1,1.00," for n in range(1, 6)]
    rows.insert(3, "o9,nobody,2024-03-01,EUR,,,S9,,,1,1.00,")
    text = HEADER + "\n" + "\n".join(rows) + "\n"
    report, rejects = run(text, batch_size=2)
    assert (report.rows, report.created, report.rejected) == (6, 5, 1)
    assert report.rejects[0].line == 2 + 3 * 4  # each row before it spans four lines
    assert rejects[1][2] == "o9"
    assert Product.objects.get(sku="S5").name == 'Beans,\nroasted "dark"\n\nand ground'


@pytest.mark.django_db
def test_a_line_in_another_encoding_stops_the_import_with_its_place(people):
    text = (GOOD + "o3,c1,2024-03-01,EUR,,,A,Caf\xe9,,1,1.00,\n").encode("latin-1")
    report = import_orders(io.BytesIO(text))
    assert report.error.startswith("Line 6 is not valid UTF-8 (byte 0xE9 at position 29)")
    assert report.error_line == 6
    report = import_orders(io.BytesIO(text), options=ImportOptions(encoding="latin-1"))
    assert (report.error, report.created) == ("", 3)


@pytest.mark.django_db
def test_a_rejects_file_imports_again_once_fixed(people):
    _report, rejects = run(BAD)
    fixed = io.StringIO()
    writer = csv.writer(fixed)
    for row in rejects:
        if row[0] == "2":
            row[3] = "c2"  # the right customer
        writer.writerow(row)
    report, again = run(fixed.getvalue())
    assert report.created == 1 and report.rejected == 12
    assert Order.objects.get(external_id="o1").customer == people["c2"]
    assert len(again) == 13


@pytest.mark.django_db
def test_one_bad_line_rejects_its_whole_order(people):
    text = f"""{HEADER}
o1,c1,2024-03-01,EUR,web,,SKU-1,,,1,1.00,
o1,c1,2024-03-01,EUR,web,,SKU-2,,,x,1.00,
o1,c1,2024-03-01,EUR,web,,SKU-3,,,1,1.00,
o2,c1,2024-03-01,EUR,web,,SKU-1,,,1,1.00,
o3,c1,2024-03-01,EUR,web,,SKU-1,,,1,1.00,
o3,c2,2024-03-01,EUR,web,,SKU-1,,,1,1.00,
"""
    report, _rejects = run(text)
    reasons = {r.line: r.reason for r in report.rejects}
    assert sorted(reasons) == [2, 3, 4, 6, 7]
    assert reasons[3].startswith("quantity: “x” is not a number")
    assert reasons[2] == reasons[4] == "order o1: not imported, because its line 3 was rejected"
    assert reasons[7].startswith("customer_external_id: “c2” differs from the first line")
    assert reasons[6] == "order o3: not imported, because its line 7 was rejected"
    assert list(Order.objects.values_list("external_id", flat=True)) == ["o2"]
    assert OrderLine.objects.count() == 1
    # A product named only by rejected lines is not created.
    assert list(Product.objects.values_list("sku", flat=True)) == ["SKU-1"]


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(people):
    run(GOOD)
    before = state()
    audits = AuditEntry.objects.count()
    report, _rejects = run(GOOD)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 0, 2, 0)
    assert report.counters["lines"] == 0
    assert state() == before  # the same lines (ids too), totals and timestamps
    assert AuditEntry.objects.count() == audits


@pytest.mark.django_db
def test_changed_lines_replace_the_stored_ones(people):
    run(GOOD)
    o1 = Order.objects.get(external_id="o1")
    changed = f"""{HEADER}
o1,c1,2024-03-01T10:00:00Z,EUR,web,,SKU-1,,,3,12.50,7.10
o1,c1,2024-03-01T10:00:00Z,EUR,web,,SKU-3,Filter,Coffee,1,4.00,1.00
o2,c2,2024-03-02 09:30+02:00,GBP,store,returned,SKU-2,,,-1,8.99,4.00
"""
    report, _rejects = run(changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    o1.refresh_from_db()
    assert (o1.line_count, o1.total_amount, o1.total_cost) == (
        2,
        Decimal("41.50"),
        Decimal("22.30"),
    )
    skus = sorted(o1.lines.values_list("product__sku", "quantity"))
    assert skus == [("SKU-1", Decimal("3.000")), ("SKU-3", Decimal("1.000"))]
    assert OrderLine.objects.count() == 3
    # The order's own fields follow the file too.
    status = f"{HEADER}\no2,c2,2024-03-02 09:30+02:00,GBP,store,completed,SKU-2,,,-1,8.99,4.00\n"
    report, _rejects = run(status)
    assert report.updated == 1
    assert Order.objects.get(external_id="o2").status == "completed"


@pytest.mark.django_db
def test_an_order_of_another_customer_is_refused(people):
    run(GOOD)
    text = f"{HEADER}\no2,c1,2024-03-02,GBP,store,,SKU-2,,,1,8.99,\n"
    report, _rejects = run(text)
    assert report.rejects[0].reason == "external_id: order o2 belongs to another customer"
    assert Order.objects.get(external_id="o2").customer == people["c2"]


SPLIT = f"""{HEADER}
o1,c1,2024-03-01,EUR,web,,SKU-1,,,1,1.00,0.50
o2,c2,2024-03-01,EUR,web,,SKU-1,,,1,2.00,1.00
o2,c2,2024-03-01,EUR,web,,SKU-2,,,1,2.00,1.00
o3,c2,2024-03-01,EUR,web,,SKU-1,,,1,3.00,1.00
o3,c2,2024-03-01,EUR,web,,SKU-1,,,1,3.00,1.00
o3,c2,2024-03-01,EUR,web,,SKU-1,,,1,3.00,1.00
o3,c2,2024-03-01,EUR,web,,SKU-1,,,1,3.00,1.00
o3,c2,2024-03-01,EUR,web,,SKU-1,,,1,3.00,1.00
o1,c1,2024-03-01,EUR,web,,SKU-2,,,2,1.00,
o1,c1,2024-03-01,EUR,web,,SKU-2,,,1,1.00,0.25
"""


@pytest.mark.django_db
def test_rows_of_one_order_in_several_batches_add_up(people):
    # Batches of 2: o3's five lines in a row are cut after four (twice the batch size);
    # o1's rows are far apart in the file.
    report, _rejects = run(SPLIT, batch_size=2)
    assert report.rejected == 0
    assert report.counters["lines"] == 10
    assert report.created == 3
    totals = {
        o.external_id: (o.line_count, o.total_amount, o.total_cost) for o in Order.objects.all()
    }
    assert totals == {
        "o1": (3, Decimal("4.00"), None),
        "o2": (2, Decimal("4.00"), Decimal("2.00")),
        "o3": (5, Decimal("15.00"), Decimal("5.00")),
    }
    # Imported again, in batches or not, the orders end as they were.
    before = state()[0]
    run(SPLIT, batch_size=2)
    run(SPLIT)
    assert [o[:9] for o in state()[0]] == [o[:9] for o in before]
    assert OrderLine.objects.count() == 10


@pytest.mark.django_db
def test_a_dry_run_saves_nothing(people):
    report, _rejects = run(GOOD, dry_run=True)
    assert (report.created, report.rejected, report.dry_run) == (2, 0, True)
    assert report.counters["products_created"] == 2
    assert (Order.objects.count(), OrderLine.objects.count(), Product.objects.count()) == (0, 0, 0)
    assert not AuditEntry.objects.filter(target_type="commerce.order").exists()
    # The products the dry run pretended to create are created by the real run.
    report, _rejects = run(GOOD)
    assert report.counters["products_created"] == 2


@pytest.mark.django_db
def test_customers_of_another_system(people):
    customer("shop-7", system="shopify")
    text = f"{HEADER}\no1,shop-7,2024-03-01,EUR,web,,SKU-1,,,1,1.00,\n"
    report, _rejects = run(text)
    assert report.rejected == 1
    report, _rejects = run(text, system="shopify")
    assert report.created == 1


@pytest.mark.django_db
def test_a_file_without_a_needed_column_is_refused_whole(people):
    report, _rejects = run("external_id,customer_external_id,sku\no1,c1,A\n")
    assert report.error.startswith("The file has no placed_at, quantity, unit_price column")
    assert report.error_line == 1
    assert report.rows == 0


@pytest.mark.django_db
def test_other_column_names_and_order(people):
    text = "Qty;Price;SKU;Order ID;Customer;Order Date;Colour\n2;3.50;A;o1;c1;2024-05-01;red\n"
    report, _rejects = run(text)
    assert report.created == 1
    assert report.warnings == ["Ignored columns (not a column of an order import): Colour"]
    order = Order.objects.get()
    assert (order.total_amount, order.total_cost) == (Decimal("7.00"), None)
    assert order.currency == settings.PATRON_DEFAULT_CURRENCY


@pytest.mark.django_db
def test_list_indexes_built_at_the_end_of_an_initial_load(people):
    report, _rejects = run(GOOD, defer_indexes=True)
    assert report.created == 2
    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, Order._meta.db_table))
    assert {"commerce_order_customer_v2", "commerce_order_placed"} <= names
    assert Order.objects.filter(customer=people["c1"]).count() == 1


@pytest.mark.django_db
def test_an_index_a_killed_import_left_missing_is_built_again(people):
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX commerce_order_customer_v2")
    run(GOOD)
    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, Order._meta.db_table))
    assert "commerce_order_customer_v2" in names


@pytest.mark.django_db
def test_an_agent_imports_only_for_customers_in_sight(agent, north, people):
    mine = customer("c3", team=north)
    text = f"{HEADER}\no1,c1,2024-03-01,EUR,,,A,,,1,1.00,\no2,c3,2024-03-01,EUR,,,A,,,1,1.00,\n"
    report = import_orders(io.BytesIO(text.encode()), actor=agent)
    assert report.created == 1
    assert report.rejects[0].line == 2
    assert report.rejects[0].reason.endswith("belongs to a team you are not in")
    assert Order.objects.get().customer == mine


@pytest.mark.django_db
def test_a_customer_deleted_after_being_looked_up_gets_no_order(people, monkeypatch):
    # Another connection deletes c2 after the first batch, which looked c2 up.
    from patron.commerce.importing import OrderWriter

    write = OrderWriter.write
    calls = []

    def write_then_delete(self, batch):
        write(self, batch)
        calls.append(batch.first_line)
        if len(calls) == 1:
            people["c2"].delete()

    monkeypatch.setattr(OrderWriter, "write", write_then_delete)
    monkeypatch.setattr(import_engine.ImportContext, "others_wrote", lambda self: True)
    text = (
        f"{HEADER}\no2,c2,2024-03-01,EUR,,,A,,,1,1.00,\n"
        "o1,c1,2024-03-01,EUR,,,A,,,1,1.00,\no3,c2,2024-03-01,EUR,,,A,,,1,1.00,\n"
    )
    report, _rejects = run(text, batch_size=1)
    assert report.created == 2
    assert [r.line for r in report.rejects] == [4]
    assert report.rejects[0].reason.startswith(
        "customer_external_id: the customer was deleted or merged while the file was being"
    )
    assert list(Order.objects.values_list("external_id", flat=True)) == ["o1"]  # o2 cascaded


IN_MEMORY_SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and not (
    settings.DATABASES["default"].get("TEST", {}).get("NAME")
)


@pytest.mark.skipif(
    IN_MEMORY_SQLITE,
    reason="a second process cannot open an in-memory database: "
    "test_two_processes_through_the_command covers SQLite",
)
@pytest.mark.django_db(transaction=True)
def test_a_reading_process_gives_the_same_result():
    customer("c1")
    customer("c2")
    text = GOOD + re.sub("^o", "b", BAD.split("\n", 1)[1], flags=re.MULTILINE)
    expected, expected_rejects = run(text, batch_size=3, dry_run=True)
    report, rejects = run(text, workers=2, batch_size=3)
    assert (report.created, report.rejected) == (expected.created, expected.rejected) == (3, 13)
    assert rejects == expected_rejects
    assert Order.objects.get(external_id="o1").total_amount == Decimal("40.24")
    again, _rejects = run(GOOD, workers=2)
    assert again.unchanged == 2


def test_two_processes_through_the_command(tmp_path):
    """The reading process beside the writer, on a SQLite file, through `patron import
    orders` in a child process: the same result as one process, and idempotent."""
    results = {}
    for workers in ("1", "2"):
        env = clean_env(tmp_path / f"data-{workers}", PATRON_HTTPS="0")
        assert run_patron("migrate", env=env).returncode == 0
        people = tmp_path / "people.csv"
        people.write_text(
            "external_id,first_name,email\nc1,Ani,c1@example.com\nc2,Sami,c2@example.com\n",
            encoding="utf-8",
        )
        assert run_patron("import", "customers", str(people), "--quiet", env=env).returncode == 0
        orders = tmp_path / "orders.csv"
        orders.write_text(
            GOOD + re.sub("^o", "b", BAD.split("\n", 1)[1], flags=re.MULTILINE),
            encoding="utf-8",
        )
        args = ("import", "orders", str(orders), "--quiet", "--batch-size", "3")
        first = run_patron(*args, "--workers", workers, env=env)
        again = run_patron(*args, "--workers", workers, env=env)
        assert first.returncode == again.returncode == 0, first.stdout + first.stderr
        results[workers] = (first.stdout.splitlines()[0].split(": ", 1)[1], again.stdout)
    one, two = results["1"], results["2"]
    assert one[0] == two[0]
    assert "created 3" in two[0] and "rejected 13" in two[0]
    assert "created 0" in two[1]


@pytest.mark.django_db
def test_the_command_end_to_end(people, tmp_path, capsys):
    source = tmp_path / "orders.csv"
    source.write_text(GOOD + "o9,nobody,2024-01-01,EUR,,,A,,,1,1.00,\n", encoding="utf-8")
    call_command("importdata", "orders", str(source), "--quiet", "--workers", "1")
    out = capsys.readouterr().out
    assert "5 rows" in out and "created 2" in out and "rejected 1" in out
    assert "lines 4" in out
    assert "line 6: customer_external_id: no customer" in out
    rejects = (tmp_path / "orders.csv.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[1].startswith("6,")
    call_command("importdata", "orders", str(source), "--quiet", "--dry-run")
    assert "Dry run, nothing saved" in capsys.readouterr().out
    assert Order.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_api_endpoint(people, admin, viewer, api_for):
    client = api_for(admin)
    upload = io.BytesIO((GOOD + "o9,nobody,2024-01-01,EUR,,,A,,,1,1.00,\n").encode())
    upload.name = "orders.csv"
    response = client.client.post(
        "/api/v1/orders/import",
        {"file": upload, "dry_run": "false"},
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], body["created"], body["rejected"], body["lines"]) == (5, 2, 1, 4)
    assert body["rejects"] == [
        {
            "line": 6,
            "reason": "customer_external_id: no customer has the id “nobody” (in system “import”)",
        }
    ]
    assert Order.objects.count() == 2
    # A file that cannot be imported: 422 with the reason; a viewer may not import.
    broken = io.BytesIO(b"sku,quantity\nA,1\n")
    broken.name = "broken.csv"
    response = client.client.post(
        "/api/v1/orders/import", {"file": broken}, HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )
    error = assert_error_shape(response, 422, "validation_failed")
    assert error["message"].startswith("The file has no external_id")
    watcher = api_for(viewer)
    upload.seek(0)
    response = watcher.client.post(
        "/api/v1/orders/import", {"file": upload}, HTTP_AUTHORIZATION=f"Bearer {watcher.token}"
    )
    assert_error_shape(response, 403, "forbidden")
    assert Client().post("/api/v1/orders/import").status_code == 401
