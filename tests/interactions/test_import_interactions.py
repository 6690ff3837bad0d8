"""The interaction import: real files through the real engine, command, API and database."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import path
from ninja import NinjaAPI

from patron.core.api_base import AUTH, install_error_handlers
from patron.core.models import AuditEntry
from patron.interactions.api_import import router as interactions_import_router
from patron.interactions.importing import import_interactions
from patron.interactions.models import Interaction
from tests.conftest import assert_error_shape
from tests.imports import run_import, two_customers

# The endpoint as another module mounts it: /api/v1/interactions/import.
api = NinjaAPI(auth=AUTH, urls_namespace="test-interactions-import")
install_error_handlers(api)
api.add_router("/interactions", interactions_import_router)
urlpatterns = [path("api/v1/", api.urls)]

HEADER = (
    "external_id,customer_external_id,occurred_at,channel,direction,user_email,summary,"
    "reason,outcome,body,device,sentiment"
)


@pytest.fixture
def people(db):
    return two_customers()


def run(text, **options):
    return run_import(import_interactions, text, **options)


def state():
    return sorted(
        Interaction.objects.values_list(
            "id",
            "external_id",
            "customer_id",
            "channel",
            "direction",
            "occurred_at",
            "user_id",
            "summary",
            "body",
            "reason",
            "device",
            "outcome",
            "sentiment",
            "updated_at",
        )
    )


GOOD = f"""{HEADER}
i1,c1,2024-03-01T10:00:00Z,Phone,inbound,agent@example.com,Call about delivery,delivery,resolved,,,
i2,c2,2024-03-02 09:30,email,outbound,,Offer sent,recommendation,,"<p>Hello <script>x</script>\
there</p>",,positive
i3,c1,2024-03-03,chat,,AGENT@example.com,Chat: return,return,follow-up,,iPhone,
"""


@pytest.mark.django_db
def test_interactions_with_their_customer_and_colleague(people, agent):
    report, rejects = run(GOOD)
    assert (report.rows, report.created, report.updated, report.rejected) == (3, 3, 0, 0)
    assert len(rejects) == 1
    call = Interaction.objects.get(external_id="i1")
    assert (call.customer, call.channel, call.direction, call.user) == (
        people["c1"],
        "phone",
        "inbound",
        agent,
    )
    assert (call.summary, call.reason, call.outcome) == (
        "Call about delivery",
        "delivery",
        "resolved",
    )
    assert call.occurred_at.isoformat() == "2024-03-01T10:00:00+00:00"
    mail = Interaction.objects.get(external_id="i2")
    assert mail.body == "<p>Hello there</p>"  # sanitised as in the service
    assert (mail.user, mail.sentiment, mail.direction) == (None, "positive", "outbound")
    chat = Interaction.objects.get(external_id="i3")
    assert (chat.direction, chat.device, chat.user) == ("inbound", "iPhone", agent)
    entry = AuditEntry.objects.get(target_type="interactions.interaction")
    assert entry.changes[0]["new"]["created"] == 3


BAD = f"""{HEADER}
i1,nobody,2024-03-01,phone,,,Call,,,,,
i2,c1,yesterday,phone,,,Call,,,,,
i3,c1,2024-03-01,pigeon,,,Call,,,,,
i4,c1,2024-03-01,phone,sideways,,Call,,,,,
i5,c1,2024-03-01,phone,,ghost@example.com,Call,,,,,
i6,c1,2024-03-01,phone,,,,,,,,
,c1,2024-03-01,phone,,,Call,,,,,
i8,c1,2024-03-01,phone,,,Call,,,,,thrilled
i9,c1,2999-03-01,phone,,,Call,,,,,
i10,c1,2024-03-01,phone,,,Call,,,,,
i10,c2,2024-03-02,phone,,,Call again,,,,,
"""


@pytest.mark.django_db
def test_every_kind_of_reject_names_its_line_and_column(people, agent):
    report, rejects = run(BAD)
    assert (report.rows, report.created, report.rejected) == (11, 1, 10)
    reasons = {r.line: r.reason for r in report.rejects}
    expected = {
        2: "customer_external_id: no customer has the id “nobody”",
        3: "occurred_at: “yesterday” is not a date",
        4: "channel: “pigeon” is not one of email, phone",
        5: "direction: “sideways” is neither inbound nor outbound",
        6: "user_email: no active user “ghost@example.com”",
        7: "summary: say in a few words what it was about",
        8: "external_id: each interaction needs one",
        9: "sentiment: “thrilled” is not one of positive, neutral, negative",
        10: "occurred_at: “2999-03-01” is in the future",
        12: "external_id: “i10” already appeared on line 11",
    }
    assert sorted(reasons) == sorted(expected)
    for line, start in expected.items():
        assert reasons[line].startswith(start), (line, reasons[line])
    assert [int(r[0]) for r in rejects[1:]] == sorted(expected)
    assert rejects[1][2:] == BAD.splitlines()[1].split(",")
    assert list(Interaction.objects.values_list("external_id", flat=True)) == ["i10"]


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(people, agent):
    run(GOOD)
    before = state()
    report, _rejects = run(GOOD)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert state() == before


@pytest.mark.django_db
def test_a_changed_row_updates_its_interaction(people, agent):
    run(GOOD)
    changed = GOOD.replace(
        "Call about delivery,delivery,resolved", "Call about delivery,delivery,escalated"
    )
    report, _rejects = run(changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert Interaction.objects.get(external_id="i1").outcome == "escalated"
    assert Interaction.objects.count() == 3
    other = f"{HEADER}\ni1,c2,2024-03-01T10:00:00Z,phone,,,Call,,,,,\n"
    report, _rejects = run(other)
    assert report.rejects[0].reason == "external_id: interaction i1 belongs to another customer"


@pytest.mark.django_db
def test_batches_and_a_dry_run(people, agent):
    report, _rejects = run(GOOD, dry_run=True)
    assert (report.created, report.dry_run) == (3, True)
    assert not Interaction.objects.exists()
    report, _rejects = run(GOOD + BAD.split("\n", 1)[1], batch_size=2)
    assert (report.rows, report.created, report.rejected) == (14, 4, 10)
    assert AuditEntry.objects.filter(target_type="interactions.interaction").count() == 3


@pytest.mark.django_db
def test_list_indexes_built_at_the_end_of_an_initial_load(people, agent):
    report, _rejects = run(GOOD, defer_indexes=True)
    assert report.created == 3
    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, Interaction._meta.db_table))
    assert {
        "interactions_customer_v2",
        "interactions_occurred",
        "interactions_organization",
    } <= names


@pytest.mark.django_db
def test_the_command_end_to_end(people, agent, tmp_path, capsys):
    source = tmp_path / "calls.csv"
    source.write_text(GOOD + "i9,nobody,2024-01-01,phone,,,Call,,,,,\n", encoding="utf-8")
    call_command("importdata", "interactions", str(source), "--quiet", "--workers", "1")
    out = capsys.readouterr().out
    assert "4 rows" in out and "created 3" in out and "rejected 1" in out
    assert "line 5: customer_external_id: no customer" in out
    rejects = (tmp_path / "calls.csv.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[1].startswith("5,")
    assert Interaction.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_api_endpoint(people, agent, manager, api_for):
    client = api_for(manager)
    upload = io.BytesIO(GOOD.encode())
    upload.name = "calls.csv"
    response = client.client.post(
        "/api/v1/interactions/import",
        {"file": upload, "dry_run": "true"},
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], body["created"], body["rejected"], body["dry_run"]) == (3, 3, 0, True)
    assert not Interaction.objects.exists()
    upload = io.BytesIO(b"external_id,summary\ni1,x\n")
    upload.name = "calls.csv"
    response = client.client.post(
        "/api/v1/interactions/import", {"file": upload}, HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )
    error = assert_error_shape(response, 422, "validation_failed")
    assert "customer_external_id" in error["message"]
