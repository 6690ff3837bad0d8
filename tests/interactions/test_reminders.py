"""Task reminders go out by real SMTP, once, in the assignee's language."""

import datetime as dt

from django.utils import timezone

from patron.interactions import services
from patron.interactions.reminders import send_task_reminders
from tests.mail import smtp_inbox  # noqa: F401 - fixture


def test_a_due_reminder_is_mailed_once_to_the_assignee(smtp_inbox, agent, north_customer):  # noqa: F811
    now = timezone.now()
    due = services.task_create(
        actor=agent, customer=north_customer, title="Send the catalogue", due_at=now
    )
    later = services.task_create(
        actor=agent, customer=north_customer, title="Renewal", due_at=now + dt.timedelta(days=3)
    )
    done = services.task_create(actor=agent, customer=north_customer, title="Old", due_at=now)
    services.task_complete(actor=agent, task=done)

    assert send_task_reminders(now=now + dt.timedelta(seconds=1)) == 1
    assert send_task_reminders(now=now + dt.timedelta(seconds=2)) == 0
    (message,) = smtp_inbox.messages
    assert message["To"] == agent.email
    assert "Send the catalogue" in message["Subject"]
    body = message.get_content()
    assert north_customer.display_name in body
    assert f"/customers/{north_customer.pk}/" in body
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.reminded_at is not None and later.reminded_at is None


def test_snoozing_earns_a_new_reminder(smtp_inbox, agent, north_customer):  # noqa: F811
    now = timezone.now()
    task = services.task_create(actor=agent, customer=north_customer, title="Ring", due_at=now)
    send_task_reminders(now=now + dt.timedelta(seconds=1))
    task = services.task_snooze(actor=agent, task=task, until=now + dt.timedelta(hours=2))
    assert send_task_reminders(now=now + dt.timedelta(hours=1)) == 0
    assert send_task_reminders(now=now + dt.timedelta(hours=3)) == 1
    assert len(smtp_inbox.messages) == 2


def test_reminder_speaks_the_assignees_language(smtp_inbox, agent, north_customer):  # noqa: F811
    agent.language = "ar"
    agent.save(update_fields=["language"])
    now = timezone.now()
    services.task_create(actor=agent, customer=north_customer, title="اتصل", due_at=now)
    send_task_reminders(now=now + dt.timedelta(seconds=1))
    (message,) = smtp_inbox.messages
    assert "Reminder" not in message["Subject"]
