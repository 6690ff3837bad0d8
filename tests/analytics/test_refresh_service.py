"""The refresh counts each customer's open tickets and complaints, and an open complaint
keeps a customer out of the trust stage."""

import datetime as dt

import pytest

from patron.analytics import refresh as refreshing
from patron.analytics.models import CustomerMetrics, ValueSettings
from patron.commerce.models import Order
from patron.customers.models import Tag
from patron.service.models import TicketStatus, TicketType
from tests.factories import CustomerFactory
from tests.service.factories import TicketFactory

AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def figures(customer) -> CustomerMetrics:
    return CustomerMetrics.objects.get(customer=customer)


def trusted_customer():
    customer = CustomerFactory()
    Order.objects.create(
        customer=customer, placed_at=AS_OF - dt.timedelta(days=800), currency="USD"
    )
    customer.tags.add(Tag.objects.get_or_create(name="advocate")[0])
    return customer


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("complaint_status", [TicketStatus.OPEN, TicketStatus.RESOLVED])
def test_open_tickets_and_complaints_counted_and_trust_needs_no_open_complaint(
    complaint_status,
):
    ValueSettings.objects.create(pk=1, trust_tags=["advocate"], trust_tenure_days=365)
    busy = CustomerFactory()
    for status in (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING):
        TicketFactory(customer=busy, status=status)
    TicketFactory(customer=busy, status=TicketStatus.NEW, type=TicketType.COMPLAINT)
    TicketFactory(customer=busy, status=TicketStatus.RESOLVED, type=TicketType.COMPLAINT)
    TicketFactory(customer=busy, status=TicketStatus.CLOSED)
    quiet = CustomerFactory()
    TicketFactory(customer=quiet, status=TicketStatus.CLOSED, type=TicketType.COMPLAINT)
    trusted = trusted_customer()
    TicketFactory(customer=trusted, status=complaint_status, type=TicketType.COMPLAINT)

    run = refreshing.refresh(as_of=AS_OF)

    assert (figures(busy).open_tickets, figures(busy).open_complaints) == (4, 1)
    assert (figures(quiet).open_tickets, figures(quiet).open_complaints) == (0, 0)
    assert run.stats["with_open_tickets"] == (2 if complaint_status == TicketStatus.OPEN else 1)
    assert "service" in run.steps
    expected = "trust" if complaint_status == TicketStatus.RESOLVED else "contact"
    assert figures(trusted).relationship_stage == expected
