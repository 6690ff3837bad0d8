"""The conversation in the web UI: the brief, the quick forms, the timeline, tasks,
notifications and the question bank."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from patron.accounts.models import Role
from patron.commerce import services as commerce
from patron.interactions import services
from patron.interactions.models import Answer, Interaction, Notification, Question, Task
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def questions(admin):
    def make(key, text, priority, **extra):
        return services.question_save(actor=admin, key=key, text=text, priority=priority, **extra)

    return {
        "time": make(
            "contact_time",
            "Best time to call?",
            90,
            answer_type="choice",
            choices=["Morning", "Evening"],
        ),
        "pets": make("pets", "Any pets?", 50),
        "kids": make("kids", "Children?", 40),
        "staff": make(
            "staff", "How many employees?", 95, answer_type="number", applies_to_kind="organization"
        ),
    }


def page_of(client, customer):
    response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def brief_part(html, line):
    match = re.search(rf'data-testid="brief-{line}">(.*?)</li>', html, re.S)
    assert match, line
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_the_brief_answers_the_five_questions(client, agent, north_customer, questions):
    c = north_customer
    services.interaction_log(
        actor=agent,
        customer=c,
        channel="phone",
        summary="Asked about the invoice",
        outcome="Sent a copy",
        occurred_at=timezone.now() - dt.timedelta(days=2),
    )
    services.task_create(
        actor=agent,
        customer=c,
        title="Call back about delivery",
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    services.answer_record(actor=agent, customer=c, question=questions["time"], value="evening")
    commerce.order_save(
        actor=agent,
        customer=c,
        currency="EUR",
        external_id="B-1",
        lines=[{"sku": "X", "quantity": 3, "unit_price": "20"}],
    )
    client.force_login(agent)
    html = page_of(client, c)
    assert "Asked about the invoice" in brief_part(html, "last")
    assert "by Phone" in brief_part(html, "last") and "Sent a copy" in brief_part(html, "last")
    promises = brief_part(html, "promises")
    assert "Call back about delivery" in promises and "overdue" in promises
    assert "Best time to call? Evening" in brief_part(html, "known")
    assert "1 order" in brief_part(html, "value") and "€60.00" in brief_part(html, "value")
    asked = brief_part(html, "questions")
    # Answered and organization-only questions are never proposed; at most two are.
    assert "Best time to call?" not in asked and "employees" not in asked
    assert "Any pets?" in asked and "Children?" in asked


def test_logging_a_call_with_an_answer_puts_it_on_top(client, agent, north_customer, questions):
    client.force_login(agent)
    html = page_of(client, north_customer)
    assert 'name="answer_contact_time"' in html and 'name="answer_pets"' in html
    response = client.post(
        f"/customers/{north_customer.pk}/log/",
        {
            "channel": "phone",
            "direction": "outbound",
            "summary": "Checked in after delivery",
            "answer_contact_time": "Morning",
            "skip_pets": "on",
        },
        **HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    first = re.search(r'<li class="timeline-event timeline-(\w+)"', body).group(1)
    assert first in {"interaction", "answer"}  # same instant: both at the top
    assert "Checked in after delivery" in body and "Nothing on the timeline" not in body
    assert 'id="brief"' in body and 'hx-swap-oob="true"' in body  # the brief follows
    interaction = Interaction.objects.get(summary="Checked in after delivery")
    answers = {a.question.key: a for a in Answer.objects.filter(interaction=interaction)}
    assert answers["contact_time"].value == "Morning" and answers["contact_time"].channel == "phone"
    assert answers["pets"].skipped
    # Answered and skipped questions make way for the next one.
    asked = brief_part(page_of(client, north_customer), "questions")
    assert "Children?" in asked and "Any pets?" not in asked and "Best time" not in asked


def test_a_refused_log_keeps_what_was_typed(client, agent, north_customer, questions):
    client.force_login(agent)
    response = client.post(
        f"/customers/{north_customer.pk}/log/",
        {"channel": "phone", "direction": "inbound", "summary": "", "outcome": "Keep me"},
        **HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "is-invalid" in body and 'value="Keep me"' in body
    assert not Interaction.objects.exists()


def test_a_note_mentions_a_colleague(client, agent, north, north_customer):
    colleague = UserFactory(email="ana.p@example.com", role=Role.AGENT, teams=[north])
    client.force_login(agent)
    response = client.post(
        f"/customers/{north_customer.pk}/notes/", {"body": "@ana.p can you call her?"}, **HTMX
    )
    assert response.status_code == 200
    assert "can you call her?" in response.content.decode()
    (notification,) = Notification.objects.filter(recipient=colleague)
    assert notification.kind == "mention" and north_customer.display_name in notification.text
    client.force_login(colleague)
    assert "notification-count" in client.get("/customers/").content.decode()
    assert "can you call her?" in client.get("/notifications/").content.decode()
    assert "notification-count" not in client.get("/customers/").content.decode()


def test_an_unknown_mention_is_refused_with_its_name(client, agent, north_customer):
    client.force_login(agent)
    response = client.post(
        f"/customers/{north_customer.pk}/notes/", {"body": "ask @nobody"}, **HTMX
    )
    assert response.status_code == 422
    assert "@nobody" in response.content.decode()


def test_tasks_from_the_customer_page_to_my_tasks(client, agent, north_customer):
    client.force_login(agent)
    due = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/customers/{north_customer.pk}/tasks/",
        {"title": "Send the brochure", "due_at": due, "priority": "3"},
        **HTMX,
    )
    assert response.status_code == 200
    task = Task.objects.get(title="Send the brochure")
    assert task.assignee == agent and task.remind_at == task.due_at
    tasks = client.get("/tasks/?view=overdue").content.decode()
    assert "Send the brochure" in tasks and "task-overdue" in tasks
    row = client.post(f"/tasks/{task.pk}/snooze/", {"until": "tomorrow"}, **HTMX)
    assert row.status_code == 200 and "Snoozed" in row.content.decode()
    task.refresh_from_db()
    assert task.due_at > timezone.now() and task.version == 2
    client.post(f"/tasks/{task.pk}/complete/", **HTMX)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_by == agent
    assert "Send the brochure" in client.get("/tasks/?view=done").content.decode()
    assert "Send the brochure" not in client.get("/tasks/?view=open").content.decode()


def test_reassigning_needs_someone_who_sees_the_customer(
    client, agent, other_agent, north_customer
):
    task = services.task_create(actor=agent, customer=north_customer, title="Quote")
    client.force_login(agent)
    refused = client.post(f"/tasks/{task.pk}/reassign/", {"assignee": other_agent.pk}, **HTMX)
    assert refused.status_code == 422 and "cannot see this customer" in refused.content.decode()
    task.refresh_from_db()
    assert task.assignee == agent


def test_the_timeline_scrolls_and_filters(client, agent, north_customer):
    now = timezone.now()
    for n in range(30):
        services.interaction_log(
            actor=agent,
            customer=north_customer,
            channel="email",
            summary=f"Mail {n:02}",
            occurred_at=now - dt.timedelta(hours=n),
        )
    services.interaction_log(
        actor=agent,
        customer=north_customer,
        channel="sms",
        summary="Text message",
        occurred_at=now - dt.timedelta(days=5),
    )
    client.force_login(agent)
    html = page_of(client, north_customer)
    assert html.count('class="timeline-event') == 20
    more = re.search(r'hx-get="([^"]+cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    rest = client.get(more, **HTMX).content.decode()
    assert rest.count('class="timeline-event') == 11 and "Text message" in rest
    assert "cursor=" not in rest  # the end
    url = f"/customers/{north_customer.pk}/timeline/"
    only_sms = client.get(url + "?channel=sms", **HTMX).content.decode()
    assert only_sms.count('class="timeline-event') == 1
    assert client.get(url + "?cursor=forged", **HTMX).status_code == 422
    page = client.get(url)  # without JavaScript: a page of its own
    assert page.status_code == 200 and "<html" in page.content.decode()


def test_customer_page_query_count_stays_flat_as_the_timeline_grows(
    client, agent, north, north_customer, questions, django_assert_max_num_queries
):
    def grow(n):
        for i in range(n):
            services.interaction_log(
                actor=agent, customer=north_customer, channel="chat", summary=f"Chat {i}"
            )
            services.note_add(actor=agent, customer=north_customer, body=f"Note {i}")
            services.task_create(actor=agent, customer=north_customer, title=f"Task {i}")
            commerce.order_save(
                actor=agent, customer=north_customer, lines=[{"sku": f"S{i}", "unit_price": "5"}]
            )
            services.answer_record(
                actor=agent, customer=north_customer, question=questions["kids"], value=str(i)
            )

    teammate = UserFactory(role=Role.AGENT, teams=[north])
    client.force_login(teammate)
    grow(2)
    # One query per timeline kind and per promise reader (tickets, survey responses).
    with django_assert_max_num_queries(22) as few:
        client.get(f"/customers/{north_customer.pk}/")
    grow(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = page_of(client, north_customer)
    assert html.count('class="timeline-event') == 20


def test_team_timeline_shows_only_what_the_user_may_see(
    client, agent, other_agent, north_customer, south_customer
):
    services.interaction_log(
        actor=agent, customer=north_customer, channel="web", summary="North visit"
    )
    services.interaction_log(
        actor=other_agent, customer=south_customer, channel="web", summary="South visit"
    )
    client.force_login(agent)
    html = client.get("/timeline/").content.decode()
    assert "North visit" in html and "South visit" not in html
    assert north_customer.display_name in html


def test_a_viewer_reads_but_cannot_log(client, viewer, agent, north_customer):
    client.force_login(viewer)
    html = page_of(client, north_customer)
    assert 'data-testid="log-form"' not in html
    response = client.post(
        f"/customers/{north_customer.pk}/log/",
        {"channel": "phone", "direction": "inbound", "summary": "Sneaky"},
        **HTMX,
    )
    assert response.status_code == 403
    assert not Interaction.objects.exists()


def test_another_teams_customer_is_not_found(client, agent, south_customer):
    client.force_login(agent)
    assert client.get(f"/customers/{south_customer.pk}/timeline/").status_code == 404
    assert client.post(f"/customers/{south_customer.pk}/notes/", {"body": "x"}).status_code == 404


def test_the_question_bank_is_for_admins(client, admin, agent):
    client.force_login(agent)
    assert client.get("/manage/questions/").status_code == 403
    client.force_login(admin)
    assert "No questions yet" in client.get("/manage/questions/").content.decode()
    refused = client.post(
        "/manage/questions/new/",
        {
            "text": "Favourite colour?",
            "key": "colour",
            "answer_type": "choice",
            "choices": "Red",
            "priority": 10,
        },
    )
    assert refused.status_code == 200 and "at least two choices" in refused.content.decode()
    response = client.post(
        "/manage/questions/new/",
        {
            "text": "Favourite colour?",
            "key": "colour",
            "answer_type": "choice",
            "choices": "Red\nBlue",
            "priority": 10,
            "applies_to_stages": ["customer"],
            "active": "on",
        },
    )
    assert response.status_code == 302
    question = Question.objects.get(key="colour")
    assert question.choices == ["Red", "Blue"] and question.applies_to_stages == ["customer"]
    assert "Favourite colour?" in client.get("/manage/questions/").content.decode()


def test_my_tasks_counts_follow_the_list_shown(client, agent, manager, north_customer):
    services.task_create(
        actor=agent,
        customer=north_customer,
        title="Mine",
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    services.task_create(actor=manager, customer=north_customer, title="Managers")
    client.force_login(manager)

    def counts(query):
        html = client.get("/tasks/" + query).content.decode()
        return re.sub(
            r"\s+", " ", re.search(r'data-testid="task-counts">(.*?)</p>', html, re.S).group(1)
        )

    assert counts("?view=open").strip() == "1 open task"
    assert "2 open tasks" in counts("?view=open&assignee=anyone")
    agents = counts(f"?view=open&assignee={agent.pk}")
    assert agents.strip().startswith("1 open task") and "1 overdue" in agents
