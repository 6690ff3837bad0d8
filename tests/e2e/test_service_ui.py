"""An agent resolves a complaint from the queue, in a browser: filter the queue to
complaints, open the ticket, reply (the email arrives at a real SMTP server), resolve
with the root cause, and see it resolved, on first contact."""

import re

import pytest
from playwright.sync_api import expect

from patron.accounts.models import Role
from patron.customers.models import ContactPoint
from patron.interactions.models import Channel
from patron.service import services
from patron.service.models import SlaPolicy, Ticket, TicketStatus, TicketType
from tests.e2e.conftest import shot
from tests.e2e.test_browser import sign_in
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.mail import smtp_inbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk():
    # The default policies come from a data migration, which an earlier transactional
    # test's flush removes (it did on PostgreSQL): the countdown needs one of its own.
    SlaPolicy.objects.get_or_create(
        name="Browser test: every ticket",
        defaults={"first_response_minutes": 24 * 60, "resolution_minutes": 5 * 24 * 60},
    )
    team = TeamFactory(name="Care")
    agent = UserFactory(
        email="ani@example.com", full_name="Ani Petrosyan", role=Role.AGENT, teams=[team]
    )
    customer = CustomerFactory(given_name="Marie", family_name="Curie", team=team, owner=agent)
    ContactPoint.objects.create(
        customer=customer,
        kind=ContactPoint.Kind.EMAIL,
        value="marie@example.com",
        search_value="marie@example.com",
        preferred=True,
    )
    complaint = services.ticket_create(
        actor=None,
        customer=customer,
        subject="The lamp arrived broken",
        body="The glass was in pieces.",
        type=TicketType.COMPLAINT,
        reply_to="marie@example.com",
        email={"message_id": "<lamp@mail.example>", "from_address": "marie@example.com"},
    )
    services.ticket_create(
        actor=agent,
        customer=customer,
        subject="Do you ship to Cyprus?",
        body="Asking for a friend",
        channel=Channel.PHONE,
    )
    return agent, complaint


def test_an_agent_resolves_a_complaint_from_the_queue(page, desk, smtp_inbox):  # noqa: F811
    agent, complaint = desk
    sign_in(page, agent.email)
    page.goto("/service/")
    rows = page.get_by_test_id("ticket-row")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("sla-countdown").first).to_contain_text("left")

    # The countdown keeps time in the browser: a deadline that passes turns it red.
    page.evaluate(
        """() => {
          const el = document.querySelector("time.sla-countdown");
          el.setAttribute("datetime", new Date(Date.now() - 2 * 3600e3).toISOString());
          const detail = { target: document.body, elt: document.body };
          document.dispatchEvent(new CustomEvent("htmx:afterSettle", { detail }));
        }"""
    )
    late = page.get_by_test_id("sla-countdown").first
    expect(late).to_contain_text("2 h 0 min overdue")
    expect(late).to_have_attribute("data-state", "breached")
    expect(late).to_have_class(re.compile("text-danger-emphasis"))

    page.locator("#id_type").select_option("complaint")  # the queue follows the filter
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("The lamp arrived broken")
    expect(page).to_have_url(re.compile(r"type=complaint"))
    shot(page, "service-queue-complaints")

    rows.first.get_by_role("link", name="The lamp arrived broken").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("The lamp arrived broken")
    expect(page.get_by_test_id("message-customer")).to_contain_text("The glass was in pieces.")

    page.get_by_label("Reply to the customer").fill("We are sending a new lamp today.")
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_text("Reply sent to marie@example.com.")).to_be_visible()
    expect(page.get_by_test_id("message-reply")).to_contain_text("We are sending a new lamp")
    expect(page.get_by_test_id("ticket-status")).to_have_text("Open")

    # A complaint is resolved only with its cause.
    page.get_by_test_id("resolve").click()
    expect(page.get_by_test_id("resolve-form")).to_contain_text("Say what caused this complaint")
    page.get_by_label("Root cause").fill("Packed without padding")
    page.get_by_label("How we prevent it").fill("Padding for glass items")
    page.get_by_test_id("resolve").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("Resolved")
    expect(page.get_by_test_id("resolution")).to_contain_text("Packed without padding")
    expect(page.get_by_test_id("fcr")).to_be_visible()
    shot(page, "service-ticket-resolved")
    # The refused resolve answered 422 on purpose (the form came back with its error).
    assert [e for e in page.console_errors if "status of 422" not in e] == []

    complaint.refresh_from_db()
    assert complaint.status == TicketStatus.RESOLVED and complaint.first_contact_resolution
    assert len(smtp_inbox.messages) == 1
    mail = smtp_inbox.messages[0]
    assert mail["To"] == "marie@example.com"
    assert mail["Subject"] == f"Re: The lamp arrived broken [#{complaint.pk}]"
    assert mail["In-Reply-To"] == "<lamp@mail.example>"
    assert Ticket.objects.filter(status=TicketStatus.NEW).count() == 1  # the question


def test_the_queue_on_a_phone_in_arabic(browser, live_server, desk):
    agent, _complaint = desk
    agent.language = "ar"
    agent.save()
    context = browser.new_context(
        base_url=live_server.url, locale="ar", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    sign_in(page, agent.email)
    page.goto("/service/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_test_id("ticket-row")).to_have_count(2)
    # Nothing wider than the phone: the table scrolls within its own box.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(page, "service-queue-ar-phone")
    context.close()
