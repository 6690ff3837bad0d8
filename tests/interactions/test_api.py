"""The conversation's API: interactions (idempotent by external id, with answers), notes
and notifications, the timeline's cursor, the brief, the question bank and answers.
Visibility and validation hold on each; the busy reads keep a flat query count."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.commerce import services as commerce
from patron.customers import services as customers
from patron.customers.models import Preferences
from patron.interactions import services
from patron.interactions.api_common import ChannelName, DirectionName
from patron.interactions.models import Answer, Channel, Interaction, Note, Notification, Question
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory, UserFactory

API = "/api/v1"
NOW = timezone.now().replace(microsecond=0)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def ago(**delta):
    return NOW - dt.timedelta(**delta)


@pytest.fixture
def api(api_for, agent):
    return api_for(agent)


def log(api, customer, **body):
    return api.post(
        f"{API}/interactions",
        {"customer_id": customer.pk, "channel": "phone", "summary": "A call"} | body,
    )


def question(admin, key, **fields):
    fields.setdefault("text", f"What about {key}?")
    return services.question_save(actor=admin, key=key, **fields)


def test_the_api_names_every_channel_and_direction():
    assert set(ChannelName.__args__) == set(Channel.values)
    assert set(DirectionName.__args__) == set(Interaction.Direction.values)


# --- Interactions -----------------------------------------------------------------------------


def test_interaction_create_get_list_patch_delete(api, agent, north_customer):
    created = log(
        api,
        north_customer,
        channel="email",
        direction="outbound",
        summary="Sent the quote",
        body="<p>Hello <script>x</script></p>",
        occurred_at=iso(ago(hours=2)),
        outcome="Waiting",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["channel"], body["direction"], body["user_id"]) == ("email", "outbound", agent.pk)
    assert body["customer_name"] == "Ani Nor"
    assert "<script>" not in body["body"]
    assert body["occurred_at"] == iso(ago(hours=2))
    assert body["answers"] == []

    url = f"{API}/interactions/{body['id']}"
    assert api.get(url).json()["summary"] == "Sent the quote"
    changed = api.patch(url, {"outcome": "Accepted", "sentiment": "positive", "user_id": None})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["outcome"], changed.json()["sentiment"]) == ("Accepted", "positive")
    assert changed.json()["user_id"] is None
    assert changed.json()["summary"] == "Sent the quote"  # unsent fields stay

    listed = api.get(f"{API}/interactions").json()
    assert (listed["count"], listed["items"][0]["id"]) == (1, body["id"])
    assert api.delete(url).status_code == 204
    assert_error_shape(api.get(url), 404, "not_found")


def test_interaction_list_filters(api, agent, manager, north, north_customer):
    other = CustomerFactory(team=north)
    log(api, north_customer, channel="phone", occurred_at=iso(ago(days=3)))
    log(api, north_customer, channel="email", direction="outbound", occurred_at=iso(ago(days=1)))
    log(api, other, channel="phone", user_id=manager.pk, occurred_at=iso(ago(hours=1)))

    def summaries(query):
        response = api.get(f"{API}/interactions?{query}")
        assert response.status_code == 200, response.content
        return [(i["customer_id"], i["channel"]) for i in response.json()["items"]]

    assert summaries(f"customer_id={north_customer.pk}") == [
        (north_customer.pk, "email"),
        (north_customer.pk, "phone"),
    ]
    assert summaries("channel=phone") == [(other.pk, "phone"), (north_customer.pk, "phone")]
    assert summaries("direction=outbound") == [(north_customer.pk, "email")]
    assert summaries(f"user_id={manager.pk}") == [(other.pk, "phone")]
    since = iso(ago(days=2)).replace("+", "%2B")
    until = iso(ago(hours=2)).replace("+", "%2B")
    assert summaries(f"since={since}&until={until}") == [(north_customer.pk, "email")]
    assert_error_shape(api.get(f"{API}/interactions?channel=telepathy"), 422, "invalid_input")
    assert_error_shape(api.get(f"{API}/interactions?page_size=500"), 422)


def test_create_is_idempotent_by_external_id(api, north_customer, north):
    first = log(api, north_customer, external_id="PBX-1", summary="Missed call")
    assert first.status_code == 201, first.content
    again = log(api, north_customer, external_id="PBX-1", summary="Missed call, called back")
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["summary"] == "Missed call, called back"
    assert Interaction.objects.filter(external_id="PBX-1").count() == 1

    someone_else = CustomerFactory(team=north)
    clash = log(api, someone_else, external_id="PBX-1")
    assert "external_id" in assert_error_shape(clash, 409, "conflict")["details"]


def test_interactions_follow_their_customer_visibility(
    api_for, api, agent, viewer, other_agent, north_customer, south_customer
):
    theirs = services.interaction_log(
        actor=other_agent, customer=south_customer, channel="chat", summary="South"
    )[0]
    assert_error_shape(log(api, south_customer), 404, "not_found")
    assert_error_shape(api.get(f"{API}/interactions/{theirs.pk}"), 404)
    assert_error_shape(api.patch(f"{API}/interactions/{theirs.pk}", {"summary": "x"}), 404)
    assert_error_shape(api.delete(f"{API}/interactions/{theirs.pk}"), 404)
    assert api.get(f"{API}/interactions").json()["count"] == 0

    ours = log(api, north_customer).json()
    reader = api_for(viewer)
    assert reader.get(f"{API}/interactions/{ours['id']}").status_code == 200
    assert_error_shape(log(reader, north_customer), 403, "forbidden")
    assert_error_shape(reader.patch(f"{API}/interactions/{ours['id']}", {"summary": "x"}), 403)
    assert_error_shape(reader.delete(f"{API}/interactions/{ours['id']}"), 403)
    assert Interaction.objects.filter(pk=ours["id"], summary="A call").exists()


def test_invalid_interactions_are_422_with_the_field(api, north_customer):
    url = f"{API}/interactions"
    missing = api.post(url, {"customer_id": north_customer.pk, "channel": "phone"})
    details = assert_error_shape(missing, 422, "invalid_input")["details"]
    assert [d["field"] for d in details] == ["summary"]
    unknown = log(api, north_customer, subject="Typo")
    assert "subject" in [d["field"] for d in assert_error_shape(unknown, 422)["details"]]
    future = log(api, north_customer, occurred_at=iso(NOW + dt.timedelta(days=3)))
    assert "occurred_at" in assert_error_shape(future, 422, "validation_failed")["details"]
    naive = log(api, north_customer, occurred_at="2024-06-01T10:00:00")
    assert assert_error_shape(naive, 422)["details"][0]["field"] == "occurred_at"
    blank = log(api, north_customer, summary="   ")
    assert "summary" in assert_error_shape(blank, 422)["details"]
    nul = log(api, north_customer, summary="a\x00b")
    assert_error_shape(nul, 422, "invalid_input")
    person = log(api, north_customer, organization_id=north_customer.pk)
    assert "organization" in assert_error_shape(person, 422)["details"]
    nobody = log(api, north_customer, user_id=999_999)
    assert "user_id" in assert_error_shape(nobody, 422)["details"]
    huge = api.get(f"{API}/interactions/{2**70}")
    assert_error_shape(huge, 422)
    assert Interaction.objects.count() == 0


def test_an_interaction_with_answers_saves_all_or_nothing(api, admin, north_customer):
    size = question(admin, "team-size", answer_type="number")
    question(admin, "budget", answer_type="choice", choices=["small", "large"])
    created = log(
        api,
        north_customer,
        external_id="CALL-7",
        answers=[
            {"question": "team-size", "value": 12},
            {"question": "budget", "skipped": True},
        ],
    )
    assert created.status_code == 201, created.content
    answers = {a["question_key"]: a for a in created.json()["answers"]}
    assert (answers["team-size"]["value"], answers["team-size"]["channel"]) == ("12", "phone")
    assert answers["budget"]["skipped"] is True
    assert {a["interaction_id"] for a in answers.values()} == {created.json()["id"]}

    by_id = log(
        api, north_customer, external_id="CALL-7", answers=[{"question": size.pk, "value": 9}]
    )
    assert by_id.status_code == 200, by_id.content
    assert Interaction.objects.count() == 1

    wrong = log(api, north_customer, answers=[{"question": "budget", "value": "medium"}])
    assert "answer_budget" in assert_error_shape(wrong, 422, "validation_failed")["details"]
    unknown = log(api, north_customer, answers=[{"question": "horoscope", "value": "x"}])
    assert "answers.0.question" in assert_error_shape(unknown, 422)["details"]
    assert (Interaction.objects.count(), Answer.objects.count()) == (1, 3)


# --- Notes and notifications ------------------------------------------------------------------


def test_notes_mentions_and_notifications(api_for, api, agent, manager, north_customer):
    url = f"{API}/customers/{north_customer.pk}/notes"
    added = api.post(url, {"body": "Prefers mornings — @manager please call"})
    assert added.status_code == 201, added.content
    assert added.json()["mention_ids"] == [manager.pk]
    api.post(url, {"body": "Second note"})
    listed = api.get(f"{url}?page_size=1")
    assert (listed.json()["count"], listed.json()["has_next"]) == (2, True)
    assert listed.json()["items"][0]["body"] == "Second note"

    nobody = api.post(url, {"body": "Ask @nobody-here"})
    assert "body" in assert_error_shape(nobody, 422, "validation_failed")["details"]
    empty = api.post(url, {"body": ""})
    assert_error_shape(empty, 422, "invalid_input")
    assert Note.objects.count() == 2

    boss = api_for(manager)
    unread = boss.get(f"{API}/notifications?unread_only=true").json()
    assert unread["count"] == 1
    item = unread["items"][0]
    assert (item["kind"], item["customer_id"], item["actor_id"]) == (
        "mention",
        north_customer.pk,
        agent.pk,
    )
    assert item["read_at"] is None
    assert api.get(f"{API}/notifications").json()["count"] == 0  # one's own only
    # Someone else's ids are not marked; one's own are.
    assert api.post(f"{API}/notifications/read", {"ids": [item["id"]]}).json() == {"marked": 0}
    assert boss.post(f"{API}/notifications/read", {"ids": [item["id"]]}).json() == {"marked": 1}
    assert boss.get(f"{API}/notifications?unread_only=true").json()["count"] == 0
    assert boss.get(f"{API}/notifications").json()["count"] == 1
    assert_error_shape(boss.post(f"{API}/notifications/read", {"ids": ["x"]}), 422)


def test_mark_every_notification_read_without_a_body(api_for, agent, manager, north_customer):
    services.note_add(actor=agent, customer=north_customer, body="@manager one")
    services.note_add(actor=agent, customer=north_customer, body="@manager two")
    boss = api_for(manager)
    response = boss.client.post(
        f"{API}/notifications/read",
        data=b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {boss.token}",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"marked": 2}
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_note_delete_and_visibility(
    api_for, api, agent, manager, viewer, other_agent, north, north_customer, south_customer
):
    note = services.note_add(actor=agent, customer=north_customer, body="Mine")
    colleague = api_for(UserFactory(teams=[north]))
    assert_error_shape(colleague.delete(f"{API}/notes/{note.pk}"), 403, "forbidden")
    reader = api_for(viewer)
    notes_url = f"{API}/customers/{north_customer.pk}/notes"
    assert_error_shape(reader.post(notes_url, {"body": "x"}), 403, "forbidden")
    assert reader.get(f"{API}/notes/{note.pk}").json()["body"] == "Mine"
    assert reader.get(notes_url).json()["count"] == 1
    stranger = api_for(other_agent)
    assert_error_shape(stranger.get(f"{API}/notes/{note.pk}"), 404)
    assert_error_shape(stranger.get(f"{API}/customers/{north_customer.pk}/notes"), 404)
    assert_error_shape(api.get(f"{API}/customers/{south_customer.pk}/notes"), 404)
    assert_error_shape(api.post(f"{API}/customers/{south_customer.pk}/notes", {"body": "x"}), 404)
    assert api_for(manager).delete(f"{API}/notes/{note.pk}").status_code == 204
    assert not Note.objects.exists()


# --- The timeline -----------------------------------------------------------------------------


@pytest.fixture
def history(agent, manager, north_customer):
    """Events of five kinds at known times, two of them at the same instant."""
    c = north_customer
    call = services.interaction_log(
        actor=agent,
        customer=c,
        channel="phone",
        summary="Asked about delivery",
        occurred_at=ago(days=3),
    )[0]
    mail = services.interaction_log(
        actor=agent,
        customer=c,
        channel="email",
        summary="Sent the quote",
        occurred_at=ago(days=1),
        user=manager,
    )[0]
    order = commerce.order_save(
        actor=agent,
        customer=c,
        external_id="O-1",
        placed_at=ago(days=2),
        currency="EUR",
        channel="web",
        lines=[{"sku": "A1", "quantity": 2, "unit_price": "10.50"}],
    )[0]
    note = services.note_add(actor=agent, customer=c, body="Prefers mornings")
    Note.objects.filter(pk=note.pk).update(created_at=ago(days=1))  # the email's instant
    task = services.task_create(actor=agent, customer=c, title="Call back", due_at=ago(days=-1))
    return {"call": call, "mail": mail, "order": order, "note": note, "task": task}


def keys(page):
    return [f"{e['kind']}-{e['id']}" for e in page["events"]]


def test_the_timeline_walks_every_event_once(api, history, north_customer):
    url = f"{API}/customers/{north_customer.pk}/timeline"
    whole = api.get(url).json()
    h = history
    assert keys(whole) == [
        f"task-{h['task'].pk}",
        f"note-{h['note'].pk}",
        f"interaction-{h['mail'].pk}",
        f"order-{h['order'].pk}",
        f"interaction-{h['call'].pk}",
    ]
    assert whole["next_cursor"] is None
    order = whole["events"][3]
    assert (order["total_amount"], order["currency"], order["channel"]) == ("21.00", "EUR", "web")
    mail = whole["events"][2]
    assert (mail["direction"], mail["user"], mail["customer_id"]) == (
        "inbound",
        "manager@example.com",
        north_customer.pk,
    )
    assert whole["events"][0]["status"] == "open"

    seen, cursor, pages = [], None, 0
    while True:
        page = api.get(url + (f"?size=2&cursor={cursor}" if cursor else "?size=2")).json()
        seen += keys(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (keys(whole), 3)


def test_timeline_filters(api, agent, manager, history, north_customer):
    url = f"{API}/customers/{north_customer.pk}/timeline"
    h = history

    def read(query):
        response = api.get(f"{url}?{query}")
        assert response.status_code == 200, response.content
        return keys(response.json())

    assert read("kind=order&kind=note") == [f"note-{h['note'].pk}", f"order-{h['order'].pk}"]
    assert read("channel=phone&channel=web") == [
        f"order-{h['order'].pk}",
        f"interaction-{h['call'].pk}",
    ]
    assert read(f"user_id={manager.pk}") == [f"interaction-{h['mail'].pk}"]
    day = timezone.localdate(ago(days=2)).isoformat()
    assert read(f"since={day}&until={day}") == [f"order-{h['order'].pk}"]
    assert read("kind=interaction&size=1") == [f"interaction-{h['mail'].pk}"]


def test_timeline_refuses_bad_input(api, history, north_customer, south_customer):
    url = f"{API}/customers/{north_customer.pk}/timeline"
    bad_cursor = api.get(f"{url}?cursor=not-a-cursor")
    assert "cursor" in assert_error_shape(bad_cursor, 422, "validation_failed")["details"]
    assert_error_shape(api.get(f"{url}?kind=horoscope"), 422, "validation_failed")
    assert_error_shape(api.get(f"{url}?size=101"), 422, "invalid_input")
    assert_error_shape(api.get(f"{url}?size=0"), 422, "invalid_input")
    assert_error_shape(api.get(f"{url}?since=9999-12-31"), 422, "invalid_input")
    assert_error_shape(api.get(f"{url}?since=yesterday"), 422, "invalid_input")
    assert_error_shape(api.get(f"{API}/customers/{south_customer.pk}/timeline"), 404)


def test_forged_cursors_are_422_not_500(api, north_customer):
    """Well-formed cursors with values no database column holds."""
    import base64
    import json

    url = f"{API}/customers/{north_customer.pk}/timeline"
    for forged in (
        ["0001-01-01T00:00:00+14:00", "note", 1],
        ["2024-01-01T00:00:00+00:00", "note", 2**70],
        ["2024-01-01T00:00:00+00:00", "note", True],
        {"a": 1, "b": 2, "c": 3},
    ):
        cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
        assert_error_shape(api.get(f"{url}?cursor={cursor}"), 422, "validation_failed")


def test_the_team_timeline_shows_only_visible_customers(
    api_for, api, agent, other_agent, history, north_customer, south_customer
):
    services.interaction_log(
        actor=other_agent, customer=south_customer, channel="chat", summary="S"
    )
    page = api.get(f"{API}/timeline").json()
    assert {e["customer_id"] for e in page["events"]} == {north_customer.pk}
    assert {e["customer_name"] for e in page["events"]} == {"Ani Nor"}
    theirs = api_for(other_agent).get(f"{API}/timeline").json()
    assert keys(theirs) == [f"interaction-{Interaction.objects.get(summary='S').pk}"]


def _grow(agent, customer, admin, n):
    """n events of every kind more on `customer`."""
    for i in range(n):
        services.interaction_log(actor=agent, customer=customer, channel="phone", summary=f"C{i}")
        services.note_add(actor=agent, customer=customer, body=f"N{i}")
        services.task_create(actor=agent, customer=customer, title=f"T{i}", due_at=ago(days=i))
        commerce.order_save(
            actor=agent,
            customer=customer,
            lines=[{"sku": f"S{i}", "unit_price": "1"}],
            placed_at=ago(days=i),
        )
        q = question(admin, f"q{i}-{customer.pk}-{Question.objects.count()}")
        services.answer_record(actor=agent, customer=customer, question=q, value="x")


def _count(api, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as queries:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries)


@pytest.mark.parametrize("path", ["customers/{id}/timeline", "timeline", "customers/{id}/brief"])
def test_busy_reads_keep_a_flat_query_count(
    api, agent, admin, north_customer, django_assert_max_num_queries, path
):
    url = f"{API}/{path.format(id=north_customer.pk)}"
    _grow(agent, north_customer, admin, 1)
    api.get(url)  # the token's first use is recorded once
    few = _count(api, url, django_assert_max_num_queries, 10)
    _grow(agent, north_customer, admin, 12)
    Preferences.objects.create(customer=north_customer, preferred_channel="email")
    assert _count(api, url, django_assert_max_num_queries, few) == few


# --- The brief --------------------------------------------------------------------------------


def test_the_brief(api, admin, agent, manager, north_customer):
    c = north_customer
    c.language, c.time_zone = "hy", "Asia/Yerevan"
    c.save(update_fields=["language", "time_zone"])
    Preferences.objects.create(customer=c, preferred_channel="phone", delivery="Mornings")
    services.interaction_log(
        actor=agent, customer=c, channel="email", summary="Old", occurred_at=ago(days=9)
    )
    services.interaction_log(
        actor=agent,
        customer=c,
        channel="phone",
        direction="outbound",
        summary="Talked about renewal",
        outcome="Call back Friday",
        occurred_at=ago(days=2),
        user=manager,
    )
    for i in range(4):
        services.task_create(
            actor=agent, customer=c, title=f"Promise {i}", due_at=ago(days=1 - 2 * i)
        )
    size = question(admin, "team-size", answer_type="number", priority=90)
    question(admin, "budget", priority=80)
    question(admin, "birthday", priority=70, answer_type="date")
    question(admin, "hobby", priority=60)
    services.answer_record(actor=agent, customer=c, question=size, value="12")
    for placed, status, currency, amount in [
        (ago(days=30), "completed", "EUR", "100.10"),
        (ago(days=10), "completed", "EUR", "50.00"),
        (ago(days=5), "completed", "USD", "20"),
        (ago(days=4), "cancelled", "EUR", "999"),
        (ago(days=400), "completed", "EUR", "999"),
    ]:
        commerce.order_save(
            actor=agent,
            customer=c,
            placed_at=placed,
            status=status,
            currency=currency,
            lines=[{"sku": "X", "unit_price": amount}],
        )

    body = api.get(f"{API}/customers/{c.pk}/brief").json()
    last = body["last_interaction"]
    assert (last["summary"], last["channel"], last["direction"], last["user"]) == (
        "Talked about renewal",
        "phone",
        "outbound",
        manager.display_name,
    )
    assert last["outcome"] == "Call back Friday"
    assert [p["title"] for p in body["promises"]] == ["Promise 0", "Promise 1", "Promise 2"]
    assert [p["overdue"] for p in body["promises"]] == [True, False, False]
    assert body["more_promises"] is True
    assert body["known"] == [
        {
            "key": "team-size",
            "question": "What about team-size?",
            "value": "12",
            "answered_at": body["known"][0]["answered_at"],
        }
    ]
    prefs = body["preferences"]
    assert (prefs["preferred_channel"], prefs["delivery"], prefs["language"]) == (
        "phone",
        "Mornings",
        "hy",
    )
    assert body["value"]["orders"] == 3
    assert body["value"]["revenue"] == [
        {"currency": "EUR", "amount": "150.10"},
        {"currency": "USD", "amount": "20.00"},
    ]
    assert [q["key"] for q in body["questions"]] == ["budget", "birthday"]  # at most two

    answered = api.post(f"{API}/customers/{c.pk}/answers", {"question": "budget", "value": "Tight"})
    assert answered.status_code == 201, answered.content
    after = api.get(f"{API}/customers/{c.pk}/brief").json()
    assert [q["key"] for q in after["questions"]] == ["birthday", "hobby"]
    assert [k["key"] for k in after["known"]] == ["team-size", "budget"]


def test_an_empty_brief_and_visibility(api_for, api, viewer, north_customer, south_customer):
    body = api.get(f"{API}/customers/{north_customer.pk}/brief").json()
    assert body["last_interaction"] is None
    assert (body["promises"], body["known"], body["questions"]) == ([], [], [])
    assert body["value"] == {"orders": 0, "revenue": [], "last_order_at": None}
    assert body["preferences"]["preferred_channel"] == ""
    assert api_for(viewer).get(f"{API}/customers/{north_customer.pk}/brief").status_code == 200
    assert_error_shape(api.get(f"{API}/customers/{south_customer.pk}/brief"), 404)


# --- The question bank and answers ------------------------------------------------------------


def test_questions_are_changed_by_admins_only(api_for, api, admin, manager):
    url = f"{API}/questions"
    spec = {"key": "Budget", "text": "What is your budget?", "answer_type": "choice"}
    spec["choices"] = ["small", "large"]
    assert_error_shape(api.post(url, spec), 403, "forbidden")
    assert_error_shape(api_for(manager).post(url, spec), 403, "forbidden")
    boss = api_for(admin)
    created = boss.post(url, spec)
    assert created.status_code == 201, created.content
    q = created.json()
    assert (q["key"], q["choices"], q["active"]) == ("budget", ["small", "large"], True)
    q_url = f"{url}/{q['id']}"
    assert api.get(q_url).json()["text"] == "What is your budget?"
    assert_error_shape(api.patch(q_url, {"priority": 1}), 403)
    assert_error_shape(api.delete(q_url), 403)

    changed = boss.patch(q_url, {"priority": 99, "ask_again_after_days": 30})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["priority"], changed.json()["ask_again_after_days"]) == (99, 30)
    assert boss.patch(q_url, {"ask_again_after_days": None}).json()["ask_again_after_days"] is None

    assert "key" in assert_error_shape(boss.post(url, spec), 422)["details"]  # key taken
    one_choice = boss.post(url, spec | {"key": "other", "choices": ["only"]})
    assert "choices" in assert_error_shape(one_choice, 422)["details"]
    bad_key = boss.post(url, spec | {"key": "not a slug"})
    assert "key" in assert_error_shape(bad_key, 422)["details"]
    unknown = boss.post(url, spec | {"key": "x", "colour": "red"})
    assert_error_shape(unknown, 422, "invalid_input")
    assert_error_shape(boss.get(f"{url}/999999"), 404)

    boss.post(url, {"key": "hobby", "text": "Hobby?", "priority": 10, "active": False})
    assert [x["key"] for x in api.get(url).json()["items"]] == ["budget", "hobby"]
    assert [x["key"] for x in api.get(f"{url}?active=true").json()["items"]] == ["budget"]


def test_deleting_an_answered_question_retires_it(api_for, admin, agent, north_customer):
    boss = api_for(admin)
    asked = question(admin, "asked")
    fresh = question(admin, "fresh")
    services.answer_record(actor=agent, customer=north_customer, question=asked, value="yes")
    assert boss.delete(f"{API}/questions/{asked.pk}").status_code == 204
    assert boss.delete(f"{API}/questions/{fresh.pk}").status_code == 204
    assert Question.objects.get(pk=asked.pk).active is False
    assert not Question.objects.filter(pk=fresh.pk).exists()


def test_answers_record_and_history(api_for, api, admin, viewer, north_customer, south_customer):
    url = f"{API}/customers/{north_customer.pk}/answers"
    size = question(admin, "team-size", answer_type="number")
    question(admin, "since", answer_type="date")
    first = api.post(url, {"question": "team-size", "value": "1,5", "channel": "email"})
    assert first.status_code == 201, first.content
    assert (first.json()["value"], first.json()["channel"]) == ("1.5", "email")
    by_id = api.post(url, {"question": size.pk, "value": 3})
    assert by_id.json()["question_key"] == "team-size"
    by_digits = api.post(url, {"question": str(size.pk), "skipped": True})
    assert by_digits.status_code == 201, by_digits.content
    assert by_digits.json()["skipped"] is True

    history = api.get(f"{url}?page_size=2").json()
    assert history["count"] == 3
    assert [a["value"] for a in history["items"]] == ["", "3"]

    not_a_date = api.post(url, {"question": "since", "value": "soon"})
    assert "value" in assert_error_shape(not_a_date, 422, "validation_failed")["details"]
    no_value = api.post(url, {"question": "since"})
    assert "value" in assert_error_shape(no_value, 422)["details"]
    unknown = api.post(url, {"question": "horoscope", "value": "x"})
    assert "question" in assert_error_shape(unknown, 422)["details"]
    bad_channel = api.post(url, {"question": "since", "value": "2024-01-01", "channel": "fax"})
    assert_error_shape(bad_channel, 422, "invalid_input")
    assert_error_shape(api_for(viewer).post(url, {"question": "since", "skipped": True}), 403)
    assert api_for(viewer).get(url).json()["count"] == 3
    south = f"{API}/customers/{south_customer.pk}/answers"
    assert_error_shape(api.post(south, {"question": "since", "skipped": True}), 404)
    assert_error_shape(api.get(south), 404)
    assert Answer.objects.count() == 3


def test_an_enormous_number_answer_is_refused_not_stored(api, admin, north_customer):
    question(admin, "employees", answer_type="number")
    url = f"{API}/customers/{north_customer.pk}/answers"
    for value in ("1e999999", "9" * 499 + "e99", "1e-999999"):
        response = api.post(url, {"question": "employees", "value": value})
        assert "value" in assert_error_shape(response, 422, "validation_failed")["details"]
    assert not Answer.objects.exists()


def test_a_customer_can_be_created_for_an_organization_timeline(api, agent, north, north_customer):
    firm = customers.customer_create(
        actor=agent, kind="organization", organization_name="Firm", team=north
    )
    customers.membership_add(actor=agent, person=north_customer, organization=firm)
    services.interaction_log(actor=agent, customer=north_customer, channel="phone", summary="P")
    ok = log(api, north_customer, organization_id=firm.pk, summary="For the firm")
    assert ok.status_code == 201, ok.content
    assert ok.json()["organization_id"] == firm.pk
    page = api.get(f"{API}/customers/{firm.pk}/timeline").json()
    assert {e["title"] for e in page["events"]} == {"P", "For the firm"}
