"""The ticket pages: the queue (filters, sort, counts, countdowns, query count), a new
ticket, the ticket page and its forms (reply, note, status, resolve, edit), the customer
card, and what other agents and viewers may do."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from patron.analytics.models import CustomerMetrics
from patron.interactions.models import Channel
from patron.service import services
from patron.service.models import (
    SlaBreach,
    SlaPolicy,
    Ticket,
    TicketMessage,
    TicketStatus,
    TicketType,
)
from tests.factories import CustomerFactory
from tests.service.factories import TicketCategoryFactory, TicketFactory, add_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def _rows(html):
    return re.findall(r'data-testid="ticket-row" data-ticket="(\d+)"', html)


def test_queue_lists_filters_and_sorts(signed_in, agent, north, north_customer):
    now = timezone.now()
    late = TicketFactory(
        customer=north_customer,
        subject="Late one",
        type=TicketType.COMPLAINT,
        first_response_due_at=now - dt.timedelta(hours=2),
    )
    soon = TicketFactory(
        customer=north_customer,
        subject="Soon one",
        first_response_due_at=now + dt.timedelta(hours=1),
        created_at=now - dt.timedelta(hours=3),
    )
    undated = TicketFactory(customer=north_customer, subject="Undated")
    TicketFactory(customer=north_customer, subject="Done", status=TicketStatus.RESOLVED)
    html = signed_in.get("/service/").content.decode()
    assert _rows(html) == [str(late.pk), str(soon.pk), str(undated.pk)]
    assert "overdue" in html and "text-danger-emphasis" in html  # the late one, red
    assert "text-warning-emphasis" in html  # the soon one: a third of its time left
    html = signed_in.get("/service/?type=complaint").content.decode()
    assert _rows(html) == [str(late.pk)]
    html = signed_in.get("/service/?sla=breached").content.decode()
    assert _rows(html) == [str(late.pk)]
    html = signed_in.get("/service/?status=resolved").content.decode()
    assert len(_rows(html)) == 1
    html = signed_in.get("/service/?q=soon").content.decode()
    assert _rows(html) == [str(soon.pk)]
    html = signed_in.get("/service/?sort=newest").content.decode()
    assert _rows(html)[0] == str(undated.pk)
    html = signed_in.get("/service/?owner=unassigned").content.decode()
    assert _rows(html) == [] and 'data-testid="empty-state"' in html
    # A bad filter value is ignored, never a server error.
    assert signed_in.get("/service/?priority=zzz&sort=nope&sla=x&page=-1").status_code == 200
    # A customer id past the database's integers is ignored too (it was an OverflowError).
    response = signed_in.get("/service/?customer=99999999999999999999")
    assert response.status_code == 200 and len(_rows(response.content.decode())) == 3


def test_queue_query_count_is_bounded(signed_in, agent, north, django_assert_max_num_queries):
    category = TicketCategoryFactory(name="Billing")
    for n in range(30):
        customer = CustomerFactory(team=north, owner=agent)
        CustomerMetrics.objects.create(customer=customer, value_tier="most_valuable")
        TicketFactory(
            customer=customer,
            category=category,
            resolution_due_at=timezone.now() + dt.timedelta(hours=n),
        )
    with django_assert_max_num_queries(14):
        response = signed_in.get("/service/")
    assert len(_rows(response.content.decode())) == 25
    assert "tier-most_valuable" in response.content.decode()


def test_other_team_and_viewer(client, other_agent, viewer, north_customer):
    ticket = TicketFactory(customer=north_customer)
    client.force_login(other_agent)
    assert client.get(f"/service/{ticket.pk}/").status_code == 404
    assert _rows(client.get("/service/").content.decode()) == []
    client.force_login(viewer)
    page = client.get(f"/service/{ticket.pk}/")
    assert page.status_code == 200 and 'data-testid="reply-form"' not in page.content.decode()
    assert client.post(f"/service/{ticket.pk}/note/", {"body": "x"}).status_code == 403
    # No new-ticket form for a viewer to fill in and then be refused.
    page = client.get(f"/service/new/?customer={north_customer.pk}")
    assert page.status_code == 403 and b'data-testid="ticket-form"' not in page.content


def test_new_ticket_from_the_customer_page(signed_in, agent, north_customer):
    page = signed_in.get(f"/service/new/?customer={north_customer.pk}")
    assert page.status_code == 200 and "Ani Nor" in page.content.decode()
    search = signed_in.get("/service/new/?q=Ani").content.decode()
    assert f"?customer={north_customer.pk}" in search
    refused = signed_in.post(
        "/service/new/",
        {
            "customer": north_customer.pk,
            "subject": "",
            "type": "complaint",
            "priority": 2,
            "channel": "email",
        },
    )
    assert refused.status_code == 422
    response = signed_in.post(
        "/service/new/",
        {
            "customer": north_customer.pk,
            "subject": "Wrong size",
            "body": "Too small",
            "type": "complaint",
            "priority": 3,
            "channel": "phone",
            "category": "",
            "owner": "",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/service/{ticket.pk}/"
    assert ticket.owner == agent and ticket.type == "complaint" and ticket.channel == "phone"


def test_ticket_page_and_its_query_count(
    signed_in, agent, north_customer, django_assert_max_num_queries
):
    CustomerMetrics.objects.create(
        customer=north_customer, value_tier="most_valuable", clv_12m=1234
    )
    ticket = services.ticket_create(
        actor=agent, customer=north_customer, subject="Broken", body="Glass", channel=Channel.PHONE
    )
    for n in range(5):
        services.ticket_reply(actor=agent, ticket=ticket, body=f"Reply {n}")
        services.ticket_note(actor=agent, ticket=ticket, body=f"Note {n}")
    SlaBreach.objects.create(ticket=ticket, target="first_response", due_at=timezone.now())
    with django_assert_max_num_queries(16):
        response = signed_in.get(f"/service/{ticket.pk}/")
    html = response.content.decode()
    assert html.count('data-testid="message-note"') == 5
    assert html.count('data-testid="message-reply"') == 5
    assert 'data-testid="breach-badge"' in html and 'data-testid="tier"' in html
    assert 'data-testid="clv"' in html
    # The customer's words taken down by the agent do not read as the agent's own.
    assert f"taken down by {agent.display_name}" in html


def test_reply_wait_resolve_and_reopen_through_the_page(signed_in, agent, north_customer):
    SlaPolicy.objects.all().delete()
    ticket = services.ticket_create(
        actor=agent,
        customer=north_customer,
        subject="Late",
        body="Where?",
        type=TicketType.COMPLAINT,
        channel=Channel.PHONE,
    )
    response = signed_in.post(
        f"/service/{ticket.pk}/reply/",
        {"body": "Which order?", "wait": "on", "version": ticket.version},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING and ticket.agent_replies == 1
    stale = signed_in.post(f"/service/{ticket.pk}/reply/", {"body": "x", "version": 1})
    assert stale.status_code == 409 and "Reload" in stale.content.decode()
    refused = signed_in.post(
        f"/service/{ticket.pk}/resolve/", {"root_cause": "", "version": ticket.version}
    )
    assert refused.status_code == 422 and "caused" in refused.content.decode()
    done = signed_in.post(
        f"/service/{ticket.pk}/resolve/",
        {"root_cause": "Courier", "prevention_note": "", "version": ticket.version},
    )
    assert done.status_code == 302
    page = signed_in.get(f"/service/{ticket.pk}/").content.decode()
    assert 'data-testid="resolution"' in page and 'data-testid="fcr"' in page
    signed_in.post(f"/service/{ticket.pk}/close/")
    signed_in.post(f"/service/{ticket.pk}/reopen/")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.reopened_count == 1
    bad = signed_in.post(f"/service/{ticket.pk}/status/", {"status": "closed"})
    assert bad.status_code == 422 and 'data-testid="action-error"' in bad.content.decode()


def test_edit_and_note(signed_in, agent, north_customer):
    ticket = TicketFactory(customer=north_customer)
    category = TicketCategoryFactory(name="Delivery")
    response = signed_in.post(
        f"/service/{ticket.pk}/edit/",
        {
            "subject": "New subject",
            "type": "incident",
            "priority": 4,
            "category": category.pk,
            "owner": agent.pk,
            "team": "",
            "version": ticket.version,
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.subject == "New subject" and ticket.category == category and ticket.priority == 4
    signed_in.post(f"/service/{ticket.pk}/note/", {"body": "Internal only"})
    assert TicketMessage.objects.get(ticket=ticket).kind == TicketMessage.Kind.NOTE


def test_failed_send_shows_and_can_be_resent(
    signed_in, agent, north_customer, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    add_email(north_customer)
    ticket = services.ticket_create(actor=agent, customer=north_customer, subject="x", body="y")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/service/{ticket.pk}/reply/", {"body": "Hello"})
    message = TicketMessage.objects.get(kind="reply")
    assert message.sent_at is None and message.send_error
    html = signed_in.get(f"/service/{ticket.pk}/").content.decode()
    assert "Not sent" in html and 'data-testid="resend"' in html
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/service/{ticket.pk}/messages/{message.pk}/resend/")
    message.refresh_from_db()
    assert message.sent_at is not None and message.send_error == ""


def test_customer_card_lists_open_tickets(signed_in, north_customer, django_assert_max_num_queries):
    TicketFactory(customer=north_customer, subject="Open one")
    TicketFactory(customer=north_customer, subject="Closed one", status=TicketStatus.CLOSED)
    with django_assert_max_num_queries(6):
        html = signed_in.get(f"/service/customer/{north_customer.pk}/").content.decode()
    assert "Open one" in html and "Closed one" not in html
    assert f"/service/new/?customer={north_customer.pk}" in html
    page = signed_in.get(f"/customers/{north_customer.pk}/").content.decode()
    assert f"/service/customer/{north_customer.pk}/" in page  # loaded after the page
    assert "#" in page and "Open one" in page  # the brief's open promises


def test_the_customer_timeline_links_the_ticket(signed_in, agent, north_customer):
    ticket = services.ticket_create(
        actor=agent, customer=north_customer, subject="Broken", body="Glass"
    )
    services.ticket_note(actor=agent, ticket=ticket, body="Secret internal words")
    html = signed_in.get(f"/customers/{north_customer.pk}/timeline/").content.decode()
    assert f'href="/service/{ticket.pk}/"' in html and 'data-testid="timeline-ticket"' in html
    assert "Secret internal words" not in html  # notes stay off the timeline
