"""Default SLA policies and service hours (see docs/sla.md, decision 0020).

Complaints: the issue's "first response within 24 h for every complaint" is read as 24
wall-clock hours (a customer who complains on Friday evening hears from us on Saturday
evening, not Monday), and tighter for the most valuable customers. Other tickets get
targets by priority, counted in business hours. Most specific first, then position:
the urgent and high priorities come before the complaint default, so an urgent
complaint gets the urgent targets.
"""

from django.db import migrations

HOUR = 60
DAY = 24 * HOUR
# name, type, tier, priority, first response, resolution, business hours, position
DEFAULTS = [
    ("Most valuable complaints", "complaint", "most_valuable", None, 4 * HOUR, 2 * DAY, False, 10),
    ("Urgent", "", "", 4, 1 * HOUR, 8 * HOUR, True, 20),
    ("High", "", "", 3, 4 * HOUR, 24 * HOUR, True, 30),
    ("Complaints", "complaint", "", None, 24 * HOUR, 5 * DAY, False, 40),
    ("Normal", "", "", 2, 8 * HOUR, 40 * HOUR, True, 50),
    ("Low", "", "", 1, 24 * HOUR, 80 * HOUR, True, 60),
]


def create_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    ServiceHours = apps.get_model("service", "ServiceHours")
    for name, kind, tier, priority, first, resolution, business, position in DEFAULTS:
        SlaPolicy.objects.get_or_create(
            name=name,
            defaults={
                "ticket_type": kind,
                "customer_tier": tier,
                "priority": priority,
                "first_response_minutes": first,
                "resolution_minutes": resolution,
                "business_hours": business,
                "position": position,
            },
        )
    if not ServiceHours.objects.filter(team__isnull=True).exists():
        working = [["09:00", "17:00"]]
        ServiceHours.objects.create(team=None, time_zone="UTC", week=[working] * 5 + [[], []])


def remove_defaults(apps, schema_editor):
    apps.get_model("service", "SlaPolicy").objects.filter(
        name__in=[row[0] for row in DEFAULTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
