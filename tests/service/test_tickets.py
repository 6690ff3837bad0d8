"""Ticket services: creation, the status flow and its refusals, first-contact resolution,
the customer's messages (reopening), visibility, optimistic locking, events, audit."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from patron.core.models import AuditEntry
from patron.interactions.models import Channel, Interaction, Notification
from patron.service import events, services
from patron.service.models import (
    SlaPolicy,
    Ticket,
    TicketMessage,
    TicketPriority,
    TicketStatus,
    TicketType,
)
from patron.service.services import DuplicateMessage
from tests.factories import UserFactory
from tests.service.factories import TicketCategoryFactory, TicketFactory, add_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """The events sent, as (name, kwargs)."""
    got = []
    handlers = {}
    for name in (
        "ticket_created",
        "ticket_replied",
        "ticket_resolved",
        "ticket_closed",
        "ticket_reopened",
    ):

        def handler(sender, _name=name, **kwargs):
            got.append((_name, kwargs))

        handlers[name] = handler
        getattr(events, name).connect(handler, sender=Ticket, weak=False)
    yield got
    for name, handler in handlers.items():
        getattr(events, name).disconnect(handler, sender=Ticket)


@pytest.fixture
def policy(db):
    """One around-the-clock policy instead of the defaults: due times easy to check."""
    SlaPolicy.objects.all().delete()
    return SlaPolicy.objects.create(
        name="Everything",
        first_response_minutes=60,
        resolution_minutes=480,
        business_hours=False,
    )


def _phone_ticket(agent, customer, **extra):
    # A phone ticket: replies are logged, not emailed, when there is no address.
    fields = {"subject": "Invoice wrong", "body": "Charged twice", "channel": Channel.PHONE}
    return services.ticket_create(actor=agent, customer=customer, **(fields | extra))


def test_create_sets_defaults_message_timeline_sla_and_event(
    agent, north, north_customer, policy, received
):
    at = timezone.now() - dt.timedelta(minutes=5)
    ticket = services.ticket_create(
        actor=agent,
        customer=north_customer,
        subject="  Parcel   broken ",
        body="Glass.",
        type=TicketType.COMPLAINT,
        at=at,
    )
    assert ticket.subject == "Parcel broken"
    assert ticket.owner == agent and ticket.team == north and ticket.created_by == agent
    assert ticket.status == TicketStatus.NEW
    assert ticket.first_response_due_at == at + dt.timedelta(minutes=60)
    assert ticket.resolution_due_at == at + dt.timedelta(minutes=480)
    message = ticket.messages.get()
    assert message.kind == TicketMessage.Kind.CUSTOMER and message.body == "Glass."
    interaction = Interaction.objects.get(ticket=ticket)
    assert interaction.direction == Interaction.Direction.INBOUND
    assert interaction.customer == north_customer and message.interaction == interaction
    assert AuditEntry.objects.filter(
        target_type="service.ticket", target_id=str(ticket.pk)
    ).exists()
    assert [name for name, _ in received] == ["ticket_created"]
    assert received[0][1]["message"] == message and received[0][1]["actor"] == agent


def test_system_ticket_defaults_to_the_customers_owner(agent, north_customer):
    ticket = services.ticket_create(
        actor=None, customer=north_customer, subject="Hello", body="From mail", source="email"
    )
    assert ticket.owner == agent and ticket.created_by is None
    assert Notification.objects.filter(recipient=agent, kind=Notification.Kind.TICKET).exists()


def test_create_refuses_bad_input(agent, north_customer):
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_create(actor=agent, customer=north_customer, subject="  ")
    assert "subject" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_create(actor=agent, customer=north_customer, subject="x" * 256)
    assert "subject" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_create(
            actor=agent,
            customer=north_customer,
            subject="x",
            type="rant",
            priority=9,
            channel="pigeon",
        )
    assert {"type", "priority", "channel"} <= set(exc.value.details)
    old = TicketCategoryFactory(name="Old", active=False)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_create(actor=agent, customer=north_customer, subject="x", category=old)
    assert "category" in exc.value.details
    assert not Ticket.objects.exists()


def test_visibility_of_writes(other_agent, viewer, north_customer):
    with pytest.raises(NotFound):
        services.ticket_create(actor=other_agent, customer=north_customer, subject="x")
    with pytest.raises(PermissionDenied):
        services.ticket_create(actor=viewer, customer=north_customer, subject="x")
    ticket = TicketFactory(customer=north_customer)
    with pytest.raises(NotFound):
        services.ticket_note(actor=other_agent, ticket=ticket, body="x")
    with pytest.raises(PermissionDenied):
        services.ticket_note(actor=viewer, ticket=ticket, body="x")


def test_duplicate_inbound_message_is_refused(north_customer):
    email = {
        "message_id": "<one@example.com>",
        "from_address": "ani@example.com",
        "subject": "Help",
    }
    ticket = services.ticket_create(
        actor=None, customer=north_customer, subject="Help", body="Hi", email=email
    )
    with pytest.raises(DuplicateMessage) as exc:
        services.ticket_create(
            actor=None, customer=north_customer, subject="Help", body="Hi", email=email
        )
    assert isinstance(exc.value, Conflict) and exc.value.existing.ticket_id == ticket.pk
    with pytest.raises(DuplicateMessage):
        services.ticket_customer_message(ticket=ticket, body="Hi", email=email)
    assert Ticket.objects.count() == 1 and TicketMessage.objects.count() == 1


def test_status_flow_and_refusals(agent, north_customer, policy):
    ticket = _phone_ticket(agent, north_customer)
    with pytest.raises(ValidationFailed, match="root cause"):
        services.ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.RESOLVED)
    with pytest.raises(ValidationFailed):
        services.ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.CLOSED)
    with pytest.raises(ValidationFailed):
        services.ticket_set_status(actor=agent, ticket=ticket, status="lost")
    with pytest.raises(ValidationFailed):
        services.ticket_close(actor=agent, ticket=ticket)
    with pytest.raises(ValidationFailed):
        services.ticket_reopen(actor=agent, ticket=ticket)
    services.ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.OPEN)
    with pytest.raises(ValidationFailed, match="back to"):
        services.ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.NEW)
    due = ticket.resolution_due_at
    services.ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.WAITING)
    assert ticket.waiting_since is not None
    services.ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.OPEN)
    assert ticket.waiting_since is None and ticket.resolution_due_at >= due
    services.ticket_resolve(actor=agent, ticket=ticket, root_cause="")  # a question: optional
    with pytest.raises(ValidationFailed):
        services.ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.OPEN)
    with pytest.raises(ValidationFailed):
        services.ticket_resolve(actor=agent, ticket=ticket, root_cause="x")
    services.ticket_close(actor=agent, ticket=ticket)
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None


def test_complaints_need_a_root_cause(agent, north_customer, received):
    ticket = _phone_ticket(agent, north_customer, type=TicketType.COMPLAINT)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_resolve(actor=agent, ticket=ticket, root_cause="   ")
    assert "root_cause" in exc.value.details
    services.ticket_resolve(
        actor=agent, ticket=ticket, root_cause="Courier dropped it", prevention_note="Better boxes"
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolved_at is not None
    assert ticket.root_cause == "Courier dropped it" and ticket.prevention_note == "Better boxes"
    assert "ticket_resolved" in [name for name, _ in received]


def test_first_contact_resolution(agent, north_customer):
    one = _phone_ticket(agent, north_customer)
    services.ticket_reply(actor=agent, ticket=one, body="Refunded.")
    services.ticket_resolve(actor=agent, ticket=one, root_cause="")
    assert one.first_contact_resolution is True and one.agent_replies == 1

    two = _phone_ticket(agent, north_customer)
    services.ticket_reply(actor=agent, ticket=two, body="Looking.")
    services.ticket_reply(actor=agent, ticket=two, body="Refunded.")
    services.ticket_resolve(actor=agent, ticket=two, root_cause="")
    assert two.first_contact_resolution is False

    again = _phone_ticket(agent, north_customer)
    services.ticket_reply(actor=agent, ticket=again, body="Refunded.")
    services.ticket_resolve(actor=agent, ticket=again, root_cause="")
    services.ticket_reopen(actor=agent, ticket=again)
    assert again.first_contact_resolution is None and again.reopened_count == 1
    assert again.resolved_at is None and again.status == TicketStatus.OPEN
    services.ticket_resolve(actor=agent, ticket=again, root_cause="")
    assert again.first_contact_resolution is False


def test_reply_counts_opens_and_can_wait(agent, north_customer, received, policy):
    ticket = _phone_ticket(agent, north_customer)
    message = services.ticket_reply(actor=agent, ticket=ticket, body="On it.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.first_response_at is not None
    assert ticket.agent_replies == 1
    assert message.kind == TicketMessage.Kind.REPLY and message.to_address == ""
    assert Interaction.objects.filter(ticket=ticket, direction="outbound").count() == 1
    first = ticket.first_response_at
    services.ticket_reply(
        actor=agent, ticket=ticket, body="Need your order number.", status=TicketStatus.WAITING
    )
    assert ticket.status == TicketStatus.WAITING and ticket.waiting_since is not None
    assert ticket.first_response_at == first and ticket.agent_replies == 2
    replied = [kw for name, kw in received if name == "ticket_replied"]
    assert len(replied) == 2 and replied[0]["message"] == message
    with pytest.raises(ValidationFailed):
        services.ticket_reply(actor=agent, ticket=ticket, body="x", status=TicketStatus.RESOLVED)
    with pytest.raises(ValidationFailed):
        services.ticket_reply(actor=agent, ticket=ticket, body="   ")


def test_customer_message_resumes_and_reopens(agent, north_customer, received, policy):
    ticket = _phone_ticket(agent, north_customer)
    services.ticket_reply(
        actor=agent, ticket=ticket, body="Which order?", status=TicketStatus.WAITING
    )
    due = ticket.resolution_due_at
    later = timezone.now() + dt.timedelta(minutes=30)
    services.ticket_customer_message(ticket=ticket, body="Order 42", at=later)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.waiting_since is None
    assert ticket.resolution_due_at > due  # the clock stood still while waiting
    assert ticket.last_customer_message_at == later
    services.ticket_resolve(actor=agent, ticket=ticket, root_cause="")
    # The customer writes again to a resolved ticket: it opens again.
    services.ticket_customer_message(
        ticket=ticket, body="Still broken", email={"message_id": "<again@example.com>"}
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.reopened_count == 1
    assert ticket.resolved_at is None and ticket.first_contact_resolution is None
    assert "ticket_reopened" in [name for name, _ in received]
    assert Interaction.objects.filter(ticket=ticket, direction="inbound").count() == 3


def test_optimistic_locking(agent, manager, north_customer):
    ticket = _phone_ticket(agent, north_customer)
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_update(
        actor=manager, ticket=ticket, version=ticket.version, priority=TicketPriority.URGENT
    )
    with pytest.raises(Conflict):
        services.ticket_update(actor=agent, ticket=stale, version=stale.version, subject="Other")
    with pytest.raises(Conflict):
        services.ticket_reply(actor=agent, ticket=stale, body="x", version=stale.version)
    # Without a version, a stale copy is reloaded first: the manager's change stays.
    services.ticket_update(actor=agent, ticket=stale, subject="Other")
    stale.refresh_from_db()
    assert stale.priority == TicketPriority.URGENT and stale.subject == "Other"


def test_update_reapplies_policy_and_notifies_the_new_owner(agent, manager, north_customer, policy):
    SlaPolicy.objects.create(
        name="Urgent",
        priority=TicketPriority.URGENT,
        first_response_minutes=30,
        resolution_minutes=120,
        business_hours=False,
        position=1,
    )
    ticket = _phone_ticket(agent, north_customer)
    colleague = UserFactory(email="col@example.com", teams=list(agent.teams.all()))
    services.ticket_update(
        actor=manager, ticket=ticket, priority=TicketPriority.URGENT, owner=colleague
    )
    assert ticket.first_response_due_at == ticket.created_at + dt.timedelta(minutes=30)
    assert Notification.objects.filter(
        recipient=colleague, kind=Notification.Kind.TICKET, url=f"/service/{ticket.pk}/"
    ).exists()
    with pytest.raises(ValidationFailed):
        services.ticket_update(actor=manager, ticket=ticket, status=TicketStatus.CLOSED)


def test_notes_stay_internal_and_notify_mentions(agent, north_customer):
    colleague = UserFactory(email="nora@example.com")
    ticket = _phone_ticket(agent, north_customer)
    before = Interaction.objects.count()
    note = services.ticket_note(actor=agent, ticket=ticket, body="Ask @nora about stock")
    assert note.kind == TicketMessage.Kind.NOTE and note.interaction is None
    assert Interaction.objects.count() == before
    assert Notification.objects.filter(recipient=colleague, kind=Notification.Kind.MENTION).exists()
    with pytest.raises(ValidationFailed):
        services.ticket_note(actor=agent, ticket=ticket, body="Ask @nobody")


def test_email_ticket_reply_needs_an_address(agent, north_customer):
    ticket = services.ticket_create(actor=agent, customer=north_customer, subject="x", body="y")
    with pytest.raises(ValidationFailed, match="no email"):
        services.ticket_reply(actor=agent, ticket=ticket, body="Hello")
    add_email(north_customer)
    message = services.ticket_reply(actor=agent, ticket=ticket, body="Hello")
    assert message.to_address == "ani@example.com" and message.message_id


def test_the_deadline_that_matters_is_kept_for_the_queue(agent, north_customer, policy):
    ticket = _phone_ticket(agent, north_customer)
    assert ticket.next_due_at == ticket.first_response_due_at
    services.ticket_reply(actor=agent, ticket=ticket, body="On it.")
    assert Ticket.objects.get(pk=ticket.pk).next_due_at == ticket.resolution_due_at
    services.ticket_resolve(actor=agent, ticket=ticket, root_cause="")
    assert Ticket.objects.get(pk=ticket.pk).next_due_at is None
    services.ticket_reopen(actor=agent, ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).next_due_at == ticket.resolution_due_at


def test_counts_and_a_customers_tickets_follow_visibility(agent, other_agent, north_customer):
    from patron.service import selectors

    now = timezone.now()
    TicketFactory(customer=north_customer, first_response_due_at=now - dt.timedelta(hours=1))
    TicketFactory(customer=north_customer, owner=None)
    TicketFactory(customer=north_customer, status=TicketStatus.CLOSED)
    counts = selectors.open_ticket_counts(viewer=agent, now=now)
    assert counts == {"active": 2, "mine": 1, "unassigned": 1, "breached": 1}
    assert selectors.open_ticket_counts(viewer=other_agent)["active"] == 0
    assert len(selectors.tickets_of(north_customer, agent)) == 2
    assert len(selectors.tickets_of(north_customer, agent, active_only=False)) == 3
    assert selectors.tickets_of(north_customer, other_agent) == []


def test_a_system_ticket_skips_an_owner_who_left(north_customer, agent):
    """Inbound mail or a survey answer for a customer whose owner was deactivated: the
    ticket goes to the team unassigned (it used to be refused: "This user is deactivated")."""
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    ticket = services.ticket_create(
        actor=None, customer=north_customer, subject="Where is my order?", body="Still waiting."
    )
    assert ticket.owner is None and ticket.team == north_customer.team
