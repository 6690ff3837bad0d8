"""Factories for tickets, their categories and messages (through the real models)."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from patron.customers.models import ContactPoint
from patron.service.models import (
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketPriority,
    TicketStatus,
    TicketType,
)
from tests.factories import CustomerFactory


class TicketCategoryFactory(DjangoModelFactory):
    class Meta:
        model = TicketCategory
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class TicketFactory(DjangoModelFactory):
    """A ticket written straight to the table (no SLA, no events): for reads and for
    tests that then act through the services."""

    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Ticket subject {n}")
    type = TicketType.QUESTION
    priority = TicketPriority.NORMAL
    status = TicketStatus.OPEN
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    team = factory.LazyAttribute(lambda o: o.customer.team)
    created_at = factory.LazyFunction(timezone.now)


class TicketMessageFactory(DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    kind = TicketMessage.Kind.CUSTOMER
    body = factory.Sequence(lambda n: f"Message {n}")


def add_email(customer, value="ani@example.com", preferred=True):
    """A (preferred) email contact point, as the customer services would store it."""
    return ContactPoint.objects.create(
        customer=customer,
        kind=ContactPoint.Kind.EMAIL,
        value=value,
        search_value=value,
        preferred=preferred,
    )
