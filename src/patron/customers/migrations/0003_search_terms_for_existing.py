"""Search terms for customers created before search terms existed (names only: those
customers had no contact points or identifiers yet)."""

from django.db import migrations


def build_terms(apps, schema_editor):
    from patron.customers.search import name_terms

    Customer = apps.get_model("customers", "Customer")
    SearchTerm = apps.get_model("customers", "SearchTerm")
    last_id = 0
    while True:
        rows = list(
            Customer.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "display_name")[:5000]
        )
        if not rows:
            break
        SearchTerm.objects.bulk_create(
            [SearchTerm(customer_id=pk, term=t) for pk, name in rows for t in name_terms(name)],
            batch_size=2000,
        )
        last_id = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customer_universe")]
    operations = [migrations.RunPython(build_terms, migrations.RunPython.noop)]
