"""The IMAP poller against a real IMAP server process (tests/imap_server.py): unseen
messages imported and marked \\Seen, duplicates harmless, failures logged, never raised."""

import logging
from pathlib import Path

import pytest

from patron.service import mail_poll
from patron.service.mail_poll import poll_mailbox
from patron.service.models import Ticket, TicketMessage
from tests.imap_server import StoredMessage, imap_server, imap_tls_server  # noqa: F401
from tests.service.factories import add_email

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data" / "mail"


def raw(name):
    return (DATA / name).read_bytes()


@pytest.fixture
def ani(north_customer):
    add_email(north_customer, "ani@example.com")
    return north_customer


def test_unseen_messages_become_tickets_and_are_marked_seen(imap_server, ani):  # noqa: F811
    box = imap_server.mailbox
    plain = box.add(raw("plain.eml"))
    read_before = box.add(raw("alternative.eml"), flags={"\\Seen"})
    auto = box.add(raw("auto_reply.eml"))
    copy = box.add(raw("plain.eml"))  # the same message delivered twice
    broken = box.add(b"\r\n\r\nnot a message")
    results = poll_mailbox()
    assert [r.status for r in results] == ["created", "skipped", "duplicate", "rejected"]
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().customer == ani
    for uid in (plain, auto, copy):
        assert box.flags_of(uid) == {"\\Seen"}
    assert box.flags_of(broken) == {"\\Seen", "\\Flagged"}  # left for a person to look at
    assert box.flags_of(read_before) == {"\\Seen"}
    fetched = [c for c in box.commands if c.startswith("UID FETCH")]
    assert f"UID FETCH {plain} (BODY.PEEK[])" in fetched
    assert not any(str(read_before) == c.split()[2] for c in fetched)
    assert "LOGIN support s3cret pass" in box.commands and box.commands[-1] == "LOGOUT"
    # Nothing new: nothing fetched, nothing imported.
    assert poll_mailbox() == []
    # The customer answers our reply: the answer threads onto the ticket.
    ticket = Ticket.objects.get()
    TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.REPLY,
        body="On its way.",
        message_id="<ticket-41-97.k3j5q@patron.localhost>",
    )
    box.add(raw("reply_in_reply_to.eml"))
    (reply,) = poll_mailbox()
    assert reply.status == "appended" and reply.ticket_id == ticket.pk


def test_a_lost_connection_before_marking_imports_nothing_twice(imap_server, ani):  # noqa: F811
    box = imap_server.mailbox
    uid = box.add(raw("plain.eml"))
    box.hang_up_on = "UID STORE"
    (first,) = poll_mailbox()
    assert first.status == "created" and box.flags_of(uid) == set()
    box.hang_up_on = None
    (second,) = poll_mailbox()
    assert second.status == "duplicate" and box.flags_of(uid) == {"\\Seen"}
    assert Ticket.objects.count() == 1


def test_a_message_the_server_refuses_to_send_does_not_stop_the_others(imap_server, ani):  # noqa: F811
    box = imap_server.mailbox
    box.add(raw("plain.eml"))
    box.add(raw("forwarded.eml"))
    # The first UID is found by SEARCH but gone when fetched (deleted by another client).
    box.folders["INBOX"].insert(0, StoredMessage(uid=99, raw=b""))
    box.refuse_fetch = {99}
    results = poll_mailbox()
    assert [r.status for r in results] == ["created", "created"]


def test_too_large_messages_are_not_downloaded(imap_server, settings):  # noqa: F811
    settings.PATRON_MAIL_MAX_MB = 1
    box = imap_server.mailbox
    uid = box.add(b"From: a@example.com\r\nSubject: big\r\n\r\n" + b"x" * (2 * 1024 * 1024))
    (result,) = poll_mailbox()
    assert result.status == "rejected" and "too large" in result.reason
    assert f"UID FETCH {uid} (BODY.PEEK[])" not in box.commands
    assert box.flags_of(uid) == {"\\Seen", "\\Flagged"}


def test_wrong_password_or_folder_is_logged_not_raised(imap_server, settings, caplog):  # noqa: F811
    imap_server.mailbox.add(raw("plain.eml"))
    settings.PATRON_IMAP_PASSWORD = "wrong"
    with caplog.at_level(logging.ERROR, logger="patron.mail"):
        assert poll_mailbox() == []
    assert "Polling the mailbox support@127.0.0.1 failed" in caplog.text
    assert "wrong" not in caplog.text
    settings.PATRON_IMAP_PASSWORD = imap_server.mailbox.password
    settings.PATRON_IMAP_FOLDER = "Support Inbox"
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="patron.mail"):
        assert poll_mailbox() == []
    assert "SELECT refused" in caplog.text
    assert 'SELECT "Support Inbox"' not in imap_server.mailbox.commands  # sent quoted
    assert "SELECT Support Inbox" in imap_server.mailbox.commands
    imap_server.mailbox.folders["Support Inbox"] = []
    imap_server.mailbox.add(raw("forwarded.eml"), folder="Support Inbox")
    assert [r.status for r in poll_mailbox()] == ["created"]
    assert not Ticket.objects.filter(subject="My order has not arrived").exists()


def test_unreachable_server_and_no_configuration(settings, caplog):
    settings.PATRON_IMAP_HOST = ""
    assert poll_mailbox() == []
    settings.PATRON_IMAP_HOST = "127.0.0.1"
    settings.PATRON_IMAP_PORT = 9  # discard: nobody listens there
    settings.PATRON_IMAP_SSL = False
    with caplog.at_level(logging.ERROR, logger="patron.mail"):
        assert poll_mailbox() == []
    assert "Polling the mailbox" in caplog.text


def test_the_periodic_job_polls(imap_server, ani):  # noqa: F811
    imap_server.mailbox.add(raw("plain.eml"))
    mail_poll.mail_poll.call_local()
    assert Ticket.objects.count() == 1
    assert imap_server.mailbox.commands.count("LOGOUT") == 1


def test_over_tls(imap_tls_server, ani):  # noqa: F811
    box = imap_tls_server.mailbox
    uid = box.add(raw("plain.eml"))
    (result,) = poll_mailbox()
    assert result.status == "created" and box.flags_of(uid) == {"\\Seen"}
    assert box.tls_sessions == 1
    if "STARTTLS" in box.commands:  # the password went only over the encrypted channel
        assert box.commands.index("STARTTLS") < box.commands.index("LOGIN support s3cret pass")


def test_an_untrusted_certificate_is_refused(imap_tls_server, monkeypatch, caplog):  # noqa: F811
    monkeypatch.delenv("SSL_CERT_FILE")
    imap_tls_server.mailbox.add(raw("plain.eml"))
    with caplog.at_level(logging.ERROR, logger="patron.mail"):
        assert poll_mailbox() == []
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert not any(c.startswith("LOGIN") for c in imap_tls_server.mailbox.commands)


def test_the_job_is_registered_on_its_schedule(settings):
    import datetime as dt

    from huey.contrib.djhuey import HUEY

    assert mail_poll.mail_poll.task_class in HUEY._registry._periodic_tasks
    settings.PATRON_IMAP_EVERY_MINUTES = 5
    every_five = mail_poll._schedule()
    at = dt.datetime(2026, 12, 2, 10, 0)
    assert [every_five(at.replace(minute=m)) for m in (0, 1, 5, 7, 55)] == [
        True,
        False,
        True,
        False,
        True,
    ]
    settings.PATRON_IMAP_EVERY_MINUTES = 120
    two_hours = mail_poll._schedule()
    assert (
        two_hours(at) and not two_hours(at.replace(hour=11)) and not two_hours(at.replace(minute=5))
    )


def test_folder_names_in_modified_utf7(imap_server, settings):  # noqa: F811
    # The example of RFC 3501, section 5.1.3.
    assert mail_poll.imap_utf7("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
    assert mail_poll.imap_utf7("Tom & Jerry") == "Tom &- Jerry"
    settings.PATRON_IMAP_FOLDER = "Входящие"
    imap_server.mailbox.folders[mail_poll.imap_utf7("Входящие")] = []
    imap_server.mailbox.add(raw("plain.eml"), folder=mail_poll.imap_utf7("Входящие"))
    assert [r.status for r in poll_mailbox()] == ["created"]
