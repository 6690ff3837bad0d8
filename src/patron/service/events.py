"""What happens to tickets, for the other apps to act on (Django signals, sent by the
ticket services inside their transaction, so a receiver's writes commit or roll back
with the ticket's).

Every receiver gets `ticket` (the saved Ticket) and `actor` (a User, or None when the
system acted: inbound mail, a survey answer, a job) as keyword arguments.

- `ticket_created`: also `message` (the first TicketMessage, or None).
- `ticket_replied`: an agent's reply to the customer was logged (`message`); the
  feedback app closes a loop here.
- `ticket_resolved`: the ticket moved to resolved (`first_contact_resolution` is set).
- `ticket_closed`: the ticket moved to closed.
- `ticket_reopened`: a resolved or closed ticket was reopened.
- `ticket_retyped`: an agent changed the ticket's type (`previous` is the old type), e.g.
  a question recognised as a complaint: a valuable complainer is looked after then too.
"""

from __future__ import annotations

from django.dispatch import Signal

ticket_created = Signal()
ticket_replied = Signal()
ticket_resolved = Signal()
ticket_closed = Signal()
ticket_reopened = Signal()
ticket_retyped = Signal()
