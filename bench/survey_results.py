"""The survey results page over a million responses, timed on the server.

    .venv/bin/python bench/survey_results.py --responses 1000000 [--data-dir DIR]
    scripts/with-postgres.sh .venv/bin/python bench/survey_results.py --responses 1000000

The responses are synthetic, written straight into the table (COPY on PostgreSQL): four
surveys (NPS after tickets, CSAT after delivery, CES, NPS by hand) over three years,
customers over six teams and twelve owners, value tiers, eight segments holding about a
third of the customers, a comment on three answers in ten, the closed loop of each low
score (closed for all but the last weeks), and tags on 20,000 verbatims. Then
`rollup_rebuild` computes the roll-ups set-based (timed), and each request runs through
the real path (middleware, views, templates, API) with Django's test client as a
manager, `--repeat` times after a warm-up. Prints p50 and p95 in milliseconds and the
queries of one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURVEYS = [
    ("NPS after support", "nps", "ticket_resolved", 0.40),
    ("CSAT after delivery", "csat", "order_delivered", 0.35),
    ("Effort to order", "ces", "after_first_purchase", 0.15),
    ("Relationship NPS", "nps", "manual", 0.10),
]
TAGS = ["delivery", "price", "support", "product", "website", "packaging"]
TIERS = [("most_valuable", 10), ("core", 70), ("below_zero", 10), ("", 10)]
COMMENTS = [
    "Fast delivery and friendly staff",
    "The parcel arrived late again",
    "Support answered within the hour",
    "Too expensive for what it is",
    "Great tea, lovely packaging",
    "Hard to find the order status",
    "The app keeps logging me out",
    "Would recommend to my friends",
]
SCORES = {
    "nps": [(0, 3), (2, 2), (4, 3), (5, 4), (6, 6), (7, 12), (8, 18), (9, 25), (10, 27)],
    "csat": [(1, 5), (2, 7), (3, 13), (4, 35), (5, 40)],
    "ces": [(1, 30), (2, 28), (3, 15), (4, 10), (5, 8), (6, 5), (7, 4)],
}


def _pick(choices: list[tuple[object, int]], rng: random.Random) -> object:
    return rng.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


def build(responses: int, customers: int, seed: int = 11) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from patron.accounts.models import Role, Team, User
    from patron.core import bulk
    from patron.customers.models import Customer
    from patron.feedback.models import Question, Response, Survey
    from patron.feedback.results import band_for
    from patron.segments.models import Segment, SegmentMembership

    rng = random.Random(seed)
    now = timezone.now()
    teams = [Team.objects.create(name=f"Team {n}") for n in range(6)]
    User.objects.create_user(email="manager@example.com", password="x", role=Role.MANAGER)
    owners = []
    for n in range(12):
        agent = User.objects.create_user(
            email=f"agent{n}@example.com", password="x", full_name=f"Agent {n}"
        )
        agent.teams.set([teams[n % 6]])
        owners.append(agent)
    surveys = []
    for name, kind, trigger, _share in SURVEYS:
        survey = Survey.objects.create(name=name, kind=kind, trigger=trigger, status="active")
        Question.objects.create(survey=survey, key="score", kind=kind, required=True)
        surveys.append(survey)
    segments = [
        Segment.objects.create(name=f"Segment {n}", kind=Segment.Kind.STATIC) for n in range(8)
    ]
    chunk = 50_000
    with transaction.atomic():
        for start in range(1, customers + 1, chunk):
            rows = []
            for pk in range(start, min(start + chunk, customers + 1)):
                created = now - dt.timedelta(days=1500)
                rows.append(
                    (pk, created, created, 1, "person", "Given", f"Family {pk}", "",
                     f"Given Family {pk}", "AM", "customer", "", owners[pk % 12].pk,
                     teams[pk % 12 % 6].pk, "", "{}", None, "", "", )
                )  # fmt: skip
            bulk.insert_rows(
                Customer,
                ["id", "created_at", "updated_at", "version", "kind", "given_name",
                 "family_name", "organization_name", "display_name", "country",
                 "lifecycle_stage", "source", "owner", "team", "city", "custom_fields",
                 "last_confirmed_at", "time_zone", "language"],
                rows,
            )  # fmt: skip
        entered = now - dt.timedelta(days=1200)
        member_rows = []
        for pk in range(1, customers + 1):
            if pk % 3 == 0:
                member_rows.append((segments[pk % 8].pk, pk, entered, None, None))
                if pk % 9 == 0:
                    member_rows.append((segments[(pk + 3) % 8].pk, pk, entered, None, None))
        bulk.insert_rows(
            SegmentMembership, ["segment", "customer", "entered_at", "left_at", "added_by"],
            member_rows,
        )  # fmt: skip
        weights = [share for *_rest, share in SURVEYS]
        span = 3 * 365 * 86400
        tiers = {pk: _pick(TIERS, rng) for pk in range(1, min(customers, 100_000) + 1)}
        for start in range(1, responses + 1, chunk):
            rows = []
            for pk in range(start, min(start + chunk, responses + 1)):
                n = rng.choices(range(len(surveys)), weights=weights)[0]
                survey = surveys[n]
                customer = rng.randint(1, customers)
                at = now - dt.timedelta(seconds=rng.randint(0, span))
                score = _pick(SCORES[survey.kind], rng)
                band = band_for(survey.kind, score)
                comment = rng.choice(COMMENTS) if rng.random() < 0.3 else ""
                loop, closed = "", None
                if band == Response.Band.UNFAVOURABLE:
                    if now - at < dt.timedelta(days=14) and rng.random() < 0.3:
                        loop = "open"
                    else:
                        loop = "closed"
                        closed = at + dt.timedelta(hours=rng.randint(1, 60))
                rows.append(
                    (pk, survey.pk, customer, at, "en", score, band, comment,
                     f'{{"score": {score}}}', survey.trigger, owners[customer % 12].pk,
                     teams[customer % 12 % 6].pk, tiers.get(customer % 100_000 + 1, ""),
                     loop, closed)
                )  # fmt: skip
            bulk.insert_rows(
                Response,
                ["id", "survey", "customer", "submitted_at", "language", "score", "band",
                 "comment", "answers", "trigger", "owner", "team", "value_tier", "loop",
                 "loop_closed_at"],
                rows,
            )  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Customer, Response):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                    f" (SELECT max(id) FROM {table}))"
                )
            for model in (Customer, Response, SegmentMembership):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        else:
            cursor.execute("ANALYZE")


def tag_some(count: int = 20_000, seed: int = 5) -> None:
    """Tags on some commented responses, as staff put them by hand: thousands, not a
    million."""
    from django.db import connection

    from patron.core import bulk
    from patron.feedback.models import Response, VerbatimTag

    rng = random.Random(seed)
    through = Response.tags.through
    if through.objects.exists():
        return
    tags = [VerbatimTag.objects.create(name=name).pk for name in TAGS]
    ids = list(
        Response.objects.exclude(comment="")
        .order_by("-id")
        .values_list("id", flat=True)[: count * 2]
    )
    rows = [(pk, rng.choice(tags)) for pk in rng.sample(ids, min(count, len(ids)))]
    bulk.insert_rows(through, ["response", "verbatimtag"], rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {through._meta.db_table}")
        else:
            cursor.execute("ANALYZE")


def rebuild() -> float:
    from django.db import connection, transaction

    from patron.feedback.models import ResponseRollup
    from patron.feedback.results import rollup_rebuild

    start = time.perf_counter()
    with transaction.atomic():
        rows = rollup_rebuild()
    seconds = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {ResponseRollup._meta.db_table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"rollup_rebuild: {rows:,} roll-up rows in {seconds:.1f} s")
    return seconds


def requests(survey_id: int, token: str) -> list[tuple[str, str, dict]]:
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    page = f"/feedback/results/{survey_id}/"
    return [
        ("overview (4 surveys)", "/feedback/results/", {}),
        ("survey, by touchpoint (default)", page, {}),
        ("survey, by segment", f"{page}?by=segment", {}),
        ("survey, by owner, per week", f"{page}?by=owner&period=week", {}),
        ("survey, by team, 3 years", f"{page}?by=team&from=2023-01-01", {}),
        ("survey, by tier", f"{page}?by=tier", {}),
        ("all NPS surveys", "/feedback/results/kind/nps/", {}),
        ("loop card (read after the page)", f"{page}loop/", {}),
        ("tags card (read after the page)", f"{page}tags/", {}),
        ("verbatims, detractors", f"{page}verbatims/?band=unfavourable", {}),
        ("verbatims, words", f"{page}verbatims/?q=late", {}),
        ("API results, by segment", f"/api/v1/survey-results/{survey_id}?by=segment", api),
        ("API results, weekly", f"/api/v1/survey-results/{survey_id}?period=week", api),
        ("API verbatims", f"/api/v1/survey-results/{survey_id}/verbatims", api),
    ]


def measure(repeat: int) -> None:
    from django.db import connection
    from django.test import Client

    from bench.timing import HEADER, time_request
    from patron.accounts.models import User
    from patron.accounts.services import token_create
    from patron.feedback.models import Response, Survey

    survey = Survey.objects.order_by("id").first()
    print(
        f"database: {connection.vendor}, responses: {Response.objects.count():,}, "
        f"of the survey measured: {Response.objects.filter(survey=survey).count():,}"
    )
    print(HEADER)
    user = User.objects.get(email="manager@example.com")
    client = Client()
    client.force_login(user)
    token = token_create(actor=None, user=user, name="bench")[1]
    for label, path, headers in requests(survey.pk, token):
        print(time_request(client, path, headers, repeat).row(label))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--only", default="", help="only the requests whose label has this")
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

    from patron.feedback.models import Response

    call_command("migrate", verbosity=0)
    if not Response.objects.exists():
        start = time.perf_counter()
        build(args.responses, args.customers)
        print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        rebuild()
    tag_some()
    settings.ALLOWED_HOSTS.append("testserver")
    if args.only:
        global requests
        every = requests
        requests = lambda survey_id, token: [  # noqa: E731
            r for r in every(survey_id, token) if args.only in r[0]
        ]
    measure(args.repeat)


if __name__ == "__main__":
    main()
