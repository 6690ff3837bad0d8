"""The closed-loop summary and the responses API over a million responses.

    .venv/bin/python bench/feedback_loop.py [--responses 1000000] [--data-dir DIR]
    scripts/with-postgres.sh .venv/bin/python bench/feedback_loop.py

The data are bench/survey_results.py's (four surveys over three years, the closed loop
of each low score); an existing data directory of that bench is reused as it is. Times
`loop_summary` (the results page's loop card) for one survey over a year and over three
months and for every survey over three years, and the first page of `GET /responses`
as a manager and as an agent, with and without filters. Prints p50 and max in ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(function, repeat: int) -> tuple[float, float]:
    function()  # warm-up
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), max(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=10)
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
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from bench.survey_results import build, rebuild
    from patron.accounts.models import User
    from patron.accounts.services import token_create
    from patron.feedback.loop import loop_summary
    from patron.feedback.models import Response, Survey

    call_command("migrate", verbosity=0)
    if not Response.objects.exists():
        build(args.responses, args.customers)
        rebuild()
    settings.ALLOWED_HOSTS.append("testserver")
    survey = Survey.objects.order_by("id").first()
    now = timezone.now()
    print(
        f"database: {connection.vendor}, responses: {Response.objects.count():,}, "
        f"loops: {Response.objects.exclude(loop='').count():,}"
    )
    print(f"{'measure':48} {'p50 ms':>8} {'max ms':>8}")
    for label, kwargs in (
        (
            "loop_summary, one survey, 12 months",
            {"survey": survey, "since": now - dt.timedelta(days=365)},
        ),
        (
            "loop_summary, one survey, 3 months",
            {"survey": survey, "since": now - dt.timedelta(days=90)},
        ),
        ("loop_summary, every survey, 3 years", {}),
    ):
        median, worst = timed(lambda kwargs=kwargs: loop_summary(**kwargs), args.repeat)
        print(f"{label:48} {median:8.1f} {worst:8.1f}")

    client = Client()
    customer_id = Response.objects.filter(survey=survey).values_list("customer_id", flat=True)[0]
    manager = User.objects.get(email="manager@example.com")
    agent = User.objects.filter(role="agent").order_by("id").first()
    for who, user in (("manager", manager), ("agent", agent)):
        token = token_create(actor=None, user=user, name="bench")[1]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        for label, query in (
            ("newest", ""),
            ("one survey", f"?survey_id={survey.pk}"),
            ("one survey, open loops", f"?survey_id={survey.pk}&loop=open"),
            ("one customer", f"?customer_id={customer_id}"),
        ):
            path = f"/api/v1/responses{query}"
            assert client.get(path, **auth).status_code == 200
            median, worst = timed(lambda p=path, a=auth: client.get(p, **a), args.repeat)
            print(f"{'GET /responses, ' + who + ', ' + label:48} {median:8.1f} {worst:8.1f}")


if __name__ == "__main__":
    main()
