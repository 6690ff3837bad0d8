"""Helpers the tests of the CSV imports (orders, interactions) share."""

import csv
import io

from patron.commerce.import_engine import ImportOptions
from patron.customers.models import ExternalIdentifier
from tests.factories import CustomerFactory


def customer(value, system="import", **fields):
    """A customer known to the import's system (`import`) by `value`."""
    person = CustomerFactory(**fields)
    ExternalIdentifier.objects.create(customer=person, system=system, value=value)
    return person


def two_customers():
    return {"c1": customer("c1"), "c2": customer("c2")}


def run_import(import_file, text, **options):
    """(report, rows of the rejects file) of `import_file` on the CSV `text`."""
    rejects = io.StringIO()
    report = import_file(
        io.BytesIO(text.encode()), options=ImportOptions(**options), rejects_out=rejects
    )
    return report, list(csv.reader(io.StringIO(rejects.getvalue())))
