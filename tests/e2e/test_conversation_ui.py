"""The conversation in a browser: open a customer, read the brief, log a call with the
answer to a proposed question (keyboard first), see it on top of the timeline; scroll to
older events; complete a task from My tasks."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patron.accounts.models import Role
from patron.customers import services as customers
from patron.interactions import services
from patron.interactions.models import Answer, Interaction, Task
from tests.e2e.conftest import shot
from tests.e2e.test_browser import sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agent():
    team = TeamFactory(name="Kuala Lumpur")
    admin = UserFactory(email="boss@example.com", role=Role.ADMIN)
    user = UserFactory(
        email="siti@example.com", full_name="Siti Rahman", role=Role.AGENT, teams=[team]
    )
    aisha = customers.customer_create(
        actor=user, given_name="Aisha", family_name="Karim", team=team, lifecycle_stage="customer"
    )
    services.question_save(
        actor=admin,
        key="contact_time",
        text="Best time to call?",
        priority=90,
        answer_type="choice",
        choices=["Morning", "Evening"],
    )
    services.question_save(actor=admin, key="hobby", text="What are her hobbies?", priority=10)
    now = timezone.now()
    for n in range(40):
        services.interaction_log(
            actor=user,
            customer=aisha,
            channel="email",
            summary=f"Newsletter reply {n}",
            occurred_at=now - dt.timedelta(days=n + 1),
        )
    services.task_create(
        actor=user,
        customer=aisha,
        title="Send the warranty card",
        due_at=now - dt.timedelta(hours=3),
    )
    return user


def test_read_the_brief_log_a_call_with_an_answer_and_see_it_on_top(page, agent):
    sign_in(page, agent.email)
    page.goto("/customers/")
    page.get_by_role("link", name="Aisha Karim").click()
    brief = page.get_by_test_id("brief")
    expect(brief.get_by_test_id("brief-last")).to_contain_text("Newsletter reply 0")
    expect(brief.get_by_test_id("brief-promises")).to_contain_text("Send the warranty card")
    expect(brief.get_by_test_id("brief-questions")).to_contain_text("Best time to call?")
    shot(page, "customer-brief-en-desktop")

    # "l" opens the log form with the cursor in it.
    page.locator("body").press("l")
    form = page.get_by_test_id("log-form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Channel")).to_be_focused()
    form.get_by_label("Summary").fill("Called about the new catalogue")
    form.get_by_label("Outcome").fill("Will order in May")
    form.get_by_label("Best time to call?").select_option("Evening")
    form.get_by_role("button", name="Log it").click()

    first = page.locator(".timeline-event").first
    expect(first).to_contain_text("Called about the new catalogue")
    expect(page.get_by_test_id("brief-last")).to_contain_text("Called about the new catalogue")
    expect(page.get_by_test_id("brief-known")).to_contain_text("Evening")
    expect(page.get_by_test_id("brief-questions")).not_to_contain_text("Best time to call?")
    call = Interaction.objects.get(summary="Called about the new catalogue")
    assert call.channel == "phone" and call.user == agent
    assert Answer.objects.get(interaction=call).value == "Evening"

    # Scrolling down reads older events until the first one.
    events = page.locator(".timeline-event")
    expect(events).to_have_count(20)
    for shown in (40, 43):
        page.locator(".timeline-more").scroll_into_view_if_needed()
        expect(events).to_have_count(shown)
    expect(page.locator(".timeline-more")).to_have_count(0)
    assert not page.console_errors, "\n".join(page.console_errors)


def test_complete_a_task_from_my_tasks(page, agent):
    sign_in(page, agent.email)
    page.goto("/tasks/?view=overdue")
    row = page.get_by_test_id("task-row").filter(has_text="Send the warranty card")
    row.get_by_test_id("task-toggle").click()
    expect(page.get_by_test_id("task-row").first).to_contain_text("Done:")
    assert Task.objects.get(title="Send the warranty card").status == "done"
    shot(page, "my-tasks-en-desktop")
