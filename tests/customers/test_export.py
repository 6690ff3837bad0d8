"""`patron export customers OUT.csv --with-metrics`: the figures after the import
columns, empty cells without figures, one query per chunk whatever the count."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patron.analytics.models import CustomerMetrics
from patron.customers.exporting import EXPORT_COLUMNS, METRIC_COLUMNS, customers_csv
from patron.customers.importing import ImportOptions, import_customers
from patron.customers.models import Customer, CustomField
from tests.factories import CustomerFactory


def figures(customer, **values):
    defaults = {
        "revenue_12m": Decimal("1234.50"),
        "orders_12m": 7,
        "recency_days": 12,
        "frequency": 3.4285714285714284,
        "value_tier": "most_valuable",
        "abc_class": "A",
        "rfm_score": "545",
        "rfm_segment": "champions",
        "relationship_stage": "trust",
        "p_alive": 0.912345678,
        "expected_purchases_12m": 4.123456789,
        "clv_12m": Decimal("456.78"),
    }
    return CustomerMetrics.objects.create(customer=customer, **(defaults | values))


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.mark.django_db
def test_export_with_metrics(tmp_path):
    CustomField.objects.create(key="shoe_size", label="Shoe size", field_type="text")
    ani = CustomerFactory(given_name="Ani", family_name="Avan", custom_fields={"shoe_size": "38"})
    CustomerFactory(given_name="Bob", family_name="Bell")  # no figures
    cat = CustomerFactory(given_name="Cat", family_name="Cole")
    figures(ani)
    figures(
        cat,
        revenue_12m=Decimal("0.00"),
        orders_12m=0,
        recency_days=None,
        frequency=None,
        value_tier="",
        abc_class="",
        rfm_score="",
        rfm_segment="",
        relationship_stage="contact",
        p_alive=None,
        expected_purchases_12m=None,
        clv_12m=None,
    )
    out = tmp_path / "with.csv"
    call_command("exportdata", "customers", str(out), "--with-metrics")
    header, *rows = read(out)
    # the import's columns and custom fields first, then the figures
    assert header == [*EXPORT_COLUMNS, "shoe_size", *METRIC_COLUMNS]
    assert list(METRIC_COLUMNS) == [
        "revenue_12m", "orders_12m", "recency_days", "frequency", "value_tier", "abc_class",
        "rfm_score", "rfm_segment", "relationship_stage", "p_alive",
        "expected_purchases_12m", "clv_12m",
    ]  # fmt: skip
    by_name = {row[header.index("first_name")]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_name) == {"Ani", "Bob", "Cat"}
    assert {k: by_name["Ani"][k] for k in METRIC_COLUMNS} == {
        "revenue_12m": "1234.50",
        "orders_12m": "7",
        "recency_days": "12",
        "frequency": "3.42857",
        "value_tier": "most_valuable",
        "abc_class": "A",
        "rfm_score": "545",
        "rfm_segment": "champions",
        "relationship_stage": "trust",
        "p_alive": "0.912346",
        "expected_purchases_12m": "4.12346",
        "clv_12m": "456.78",
    }
    assert by_name["Ani"]["shoe_size"] == "38"
    # no figures yet: empty cells
    assert all(by_name["Bob"][k] == "" for k in METRIC_COLUMNS)
    # figures of a customer who never bought: zeros where the refresh wrote them
    cat_row = by_name["Cat"]
    assert (cat_row["revenue_12m"], cat_row["orders_12m"], cat_row["relationship_stage"]) == (
        "0.00",
        "0",
        "contact",
    )
    assert cat_row["recency_days"] == cat_row["p_alive"] == cat_row["clv_12m"] == ""

    # without the option, the export is the import's columns only, as before
    plain = tmp_path / "plain.csv"
    call_command("exportdata", "customers", str(plain))
    assert read(plain)[0] == [*EXPORT_COLUMNS, "shoe_size"]

    # the export with figures imports again: the figures are ignored, with a warning
    with open(out, "rb") as f:
        report = import_customers(f, options=ImportOptions(), rejects_out=io.StringIO())
    assert not report.error and report.created == 0
    assert any("revenue_12m" in w for w in report.warnings)


@pytest.mark.django_db
def test_export_with_metrics_reads_the_figures_in_the_customer_query():
    def queries(count):
        Customer.objects.all().delete()
        for customer in CustomerFactory.create_batch(count):
            figures(customer)
        with CaptureQueriesContext(connection) as captured:
            text = "".join(customers_csv(Customer.objects.order_by("id"), with_metrics=True))
        assert text.count("most_valuable") == count
        return len(captured)

    # the same queries for 3 customers as for 40: no query per row
    assert queries(3) == queries(40)


@pytest.mark.django_db
def test_metrics_are_for_csv_only(tmp_path):
    with pytest.raises(CommandError, match="--with-metrics is for CSV"):
        call_command(
            "exportdata", "customers", str(tmp_path / "x.vcf"), "--vcard", "--with-metrics"
        )
