"""Sending a survey to a big segment, timed: the dry run, the real send (the invitations
written), one run of the sending job, and the survey pages over the invitations.

    .venv/bin/python bench/survey_send.py --customers 100000 [--data-dir DIR]
    scripts/with-postgres.sh .venv/bin/python bench/survey_send.py --customers 100000

Synthetic customers written straight into the tables: nine in ten with an email
address, two in three with a granted consent to surveys by email, one in twenty with a
frequency cap (so `can_contact` decides them one by one), all in one static segment.
Mail goes to Django's in-memory backend (the job's own work, not an SMTP server's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(customers: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from patron.core import bulk
    from patron.customers.models import Consent, ContactPoint, Customer, Preferences
    from patron.segments.models import Segment, SegmentMembership

    now = timezone.now()
    with transaction.atomic():
        bulk.insert_rows(
            Customer,
            ["id", "created_at", "updated_at", "version", "kind", "given_name",
             "family_name", "organization_name", "display_name", "country",
             "lifecycle_stage", "source", "city", "custom_fields", "time_zone", "language"],
            ((pk, now, now, 1, "person", "Given", f"F{pk}", "", f"Given F{pk}", "AM",
              "customer", "", "", "{}", "", "ar" if pk % 4 == 0 else "en")
             for pk in range(1, customers + 1)),
        )  # fmt: skip
        bulk.insert_rows(
            ContactPoint,
            ["customer", "kind", "label", "value", "search_value", "city", "postal_code",
             "country", "preferred", "created_at", "updated_at"],
            ((pk, "email", "", f"c{pk}@example.com", f"c{pk}@example.com", "", "", "",
              True, now, now) for pk in range(1, customers + 1) if pk % 10),
        )  # fmt: skip
        bulk.insert_rows(
            Consent,
            ["customer", "channel", "purpose", "status", "source", "recorded_at", "evidence"],
            ((pk, "email", "surveys", "granted", "bench", now, "")
             for pk in range(1, customers + 1) if pk % 3),
        )  # fmt: skip
        bulk.insert_rows(
            Preferences,
            ["customer", "preferred_channel", "max_messages_per_30_days", "payment_method",
             "invoicing", "delivery", "packaging", "vip_handling", "notes", "updated_at"],
            ((pk, "", 3, "", "", "", "", "", "", now)
             for pk in range(1, customers + 1) if pk % 20 == 1),
        )  # fmt: skip
        segment = Segment.objects.create(name="Everyone", kind=Segment.Kind.STATIC)
        bulk.insert_rows(
            SegmentMembership,
            ["segment", "customer", "entered_at"],
            ((segment.pk, pk, now) for pk in range(1, customers + 1)),
        )
    # As autovacuum would after such a load: the planner needs the tables' statistics.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(call, runs: int = 1) -> tuple[object, float]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def measure(repeat: int) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from patron.accounts.models import Role, User
    from patron.feedback import services
    from patron.feedback.invitations import send_to_segment
    from patron.feedback.models import Invitation
    from patron.feedback.sending import send_pending
    from patron.segments.models import Segment

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    segment = Segment.objects.get(name="Everyone")
    survey = services.survey_create(
        actor=None, name=f"Bench {time.time_ns()}", kind="nps", languages=["en", "ar"]
    )
    services.survey_set_status(actor=None, survey=survey, status="active")
    report, dry = timed(
        lambda: send_to_segment(survey=survey, segment=segment, actor=None, dry_run=True), 3
    )
    print(f"members {report.members:,}: would invite {report.invite:,}, skipped {report.skipped}")
    print(f"dry run                      {dry * 1000:8.0f} ms (median of 3)")
    report, real = timed(
        lambda: send_to_segment(survey=survey, segment=segment, actor=None, dry_run=False)
    )
    print(f"real send ({report.created:,} rows)      {real * 1000:8.0f} ms")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE feedback_invitation")
    sent, job = timed(send_pending)
    print(f"sending job, one run {sent}  {job * 1000:8.0f} ms")
    manager = User.objects.filter(role=Role.MANAGER).first() or User.objects.create_user(
        email="bench-manager@example.com", password="x", role=Role.MANAGER
    )
    client = Client()
    client.force_login(manager)
    settings.ALLOWED_HOSTS.append("testserver")
    total = Invitation.objects.count()
    for label, path in (
        ("survey list", "/feedback/"),
        ("survey page", f"/feedback/{survey.pk}/"),
        ("survey page, skipped", f"/feedback/{survey.pk}/?status=skipped"),
        ("API invitations", f"/api/v1/invitations?survey={survey.pk}"),
    ):
        client.get(path)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(
            f"{label:28} {statistics.median(times) * 1000:8.0f} ms p50 "
            f"{p95 * 1000:6.0f} ms p95 ({response.status_code}, {total:,} invitations)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="patron-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PATRON_DATA_DIR"] = str(data_dir)
    os.environ["PATRON_HTTPS"] = "0"
    os.environ["PATRON_MANIFEST_STATIC"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from patron.segments.models import Segment

    call_command("migrate", verbosity=0)
    if not Segment.objects.filter(name="Everyone").exists():
        start = time.perf_counter()
        build(args.customers)
        print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    measure(args.repeat)


if __name__ == "__main__":
    main()
