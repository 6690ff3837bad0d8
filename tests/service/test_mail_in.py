"""Inbound mail: parsing (charsets, HTML, quotes, attachments), what is skipped, sender
matching and prospects, threading by headers and by subject token, and duplicates."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from patron.core.models import AuditEntry
from patron.customers.models import ContactPoint, Customer, SearchTerm
from patron.service import services
from patron.service.mail_in import (
    MailRejected,
    customers_with_address,
    ingest_bytes,
    parse_message,
    stable_message_id,
)
from patron.service.mail_text import html_to_text, strip_reply
from patron.service.models import Ticket, TicketMessage, TicketStatus, TicketType
from tests.factories import CustomerFactory
from tests.service.factories import add_email

DATA = Path(__file__).parent / "data" / "mail"


def raw(name: str, **replace: str) -> bytes:
    data = (DATA / name).read_bytes()
    for old, new in replace.items():
        data = data.replace(old.encode(), new.encode())
    return data


def message(headers: str, body: str = "Hello.") -> bytes:
    text = headers.strip() + "\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
    return (text + body).replace("\n", "\r\n").encode()


# --- Parsing (no database) -----------------------------------------------------------------


def test_plain_message_with_signature():
    mail = parse_message(raw("plain.eml"))
    assert mail.message_id == "<CAplain.0001@mail.example.com>"
    assert (mail.from_name, mail.from_address) == ("Ani Nor", "ani@example.com")
    assert mail.to_address == "support@patron.localhost"
    assert mail.subject == "My order has not arrived"
    assert mail.at == dt.datetime(2025, 12, 1, 8, 15, tzinfo=dt.UTC)
    assert mail.body.startswith("Hello,\n\nI ordered a kettle")
    assert mail.body.endswith("Thanks,\nAni")
    assert "+374" not in mail.body  # the signature
    assert mail.skip_reason == ""


def test_multipart_alternative_prefers_plain_and_cuts_gmail_quote():
    mail = parse_message(raw("alternative.eml"))
    assert mail.body == (
        "Hi,\n\nThe blender I bought stopped working after two days.\n"
        "Can I get a replacement?\n\nSami"
    )
    assert "thank you for your order" in mail.full_text


def test_html_only_becomes_safe_text_without_outlook_history():
    mail = parse_message(raw("html_only.eml"))
    body = mail.body
    assert "<" not in body.replace("<support", "") and "alert" not in body
    assert "ignored title" not in body and "color:red" not in body
    assert "number 77 (https://shop.example.com/invoices/77)" in body
    assert "charges me twice & I want a refund of €49." in body
    assert "- first charge: 1 Dec\n- second charge: 2 Dec" in body
    assert body.endswith("Kind regards,\nLena Berg")
    assert "Here is your invoice" not in body


@pytest.mark.parametrize(
    ("name", "subject", "sender", "text"),
    [
        (
            "windows1252.eml",
            "Réclamation – colis abîmé",
            "Renée Dupré",
            "Le colis est arrivé abîmé – la boîte était “wrecked”. Prix payé : 59 €.",
        ),
        (
            "latin1_mislabeled.eml",
            "Facture",
            "Marc Olivier",
            "Merci pour la facture de 30 €, mais le mot “gratuit” était sur le site.",
        ),
        ("arabic.eml", "شكوى: المنتج وصل مكسوراً", "سامي العلي", "وصلني المنتج مكسوراً."),
        ("broken_charset.eml", "Broken éncoding in subject", "Kim Lee", "The café order"),
    ],
)
def test_charsets_and_encoded_words(name, subject, sender, text):
    mail = parse_message(raw(name))
    assert mail.subject == subject
    assert mail.from_name == sender
    assert text in mail.body


def test_quoted_history_cut_in_french_and_arabic():
    assert "Votre commande" not in parse_message(raw("windows1252.eml")).body
    arabic = parse_message(raw("arabic.eml")).body
    assert arabic.endswith("شكراً\nسامي") and "شكراً لطلبك" not in arabic


def test_attachments_are_listed_not_stored():
    mail = parse_message(raw("attachment.eml"))
    assert mail.attachments == [("receipt.pdf", 3016), ("صورة.png", 2048)]
    assert mail.body.startswith("See the attached photo and receipt.\n\n[Attachments")
    assert "receipt.pdf (3 KB), صورة.png (2 KB)" in mail.body


def test_forwarded_message_is_kept_whole():
    body = parse_message(raw("forwarded.eml")).body
    assert "---------- Forwarded message ---------" in body
    assert body.endswith("We could not deliver parcel 99812 because nobody was at home.")


def test_a_reply_that_is_only_quote_keeps_everything():
    body = parse_message(raw("only_quote.eml")).body
    assert body == "> Your parcel is on its way.\n> Patron Support"


def test_threading_headers():
    mail = parse_message(raw("reply_in_reply_to.eml"))
    assert mail.in_reply_to == "<ticket-41-97.k3j5q@patron.localhost>"
    assert mail.references == [
        "<CAplain.0001@mail.example.com>",
        "<ticket-41-97.k3j5q@patron.localhost>",
    ]
    assert mail.thread_ids[0] == mail.in_reply_to
    assert mail.body == "It has arrived now, thank you!"


def test_missing_message_id_is_stable_whatever_the_line_endings():
    crlf = raw("no_message_id.eml")
    lf = crlf.replace(b"\r\n", b"\n")
    first, second = parse_message(crlf), parse_message(lf)
    assert first.message_id == second.message_id == stable_message_id(crlf)
    assert first.message_id.startswith("<sha256-")
    other = parse_message(crlf.replace(b"KT-200", b"KT-300"))
    assert other.message_id != first.message_id


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply.eml", "Auto-Submitted"),
        ("bounce.eml", "Auto-Submitted"),
        ("precedence_bulk.eml", "Precedence: bulk"),
    ],
)
def test_automatic_messages_are_marked(name, reason):
    assert reason in parse_message(raw(name)).skip_reason


def test_bounces_without_auto_submitted_are_marked():
    report = raw("bounce.eml").replace(b"Auto-Submitted: auto-replied\r\n", b"")
    assert "bounce" in parse_message(report).skip_reason
    daemon = message("From: MAILER-DAEMON@example.com\nSubject: failure\nMessage-ID: <d@x>")
    assert "bounce" in parse_message(daemon).skip_reason
    assert (
        "return path"
        in parse_message(
            message("From: a@example.com\nReturn-Path: <>\nSubject: x\nMessage-ID: <e@x>")
        ).skip_reason
    )
    assert parse_message(message("From: a@example.com\nAuto-Submitted: no")).skip_reason == ""


def test_own_support_address_is_a_loop(settings):
    settings.PATRON_SUPPORT_EMAIL = "Patron Support <support@patron.localhost>"
    assert "loop" in parse_message(raw("own_address.eml")).skip_reason
    settings.PATRON_SUPPORT_EMAIL = "help@patron.localhost"
    assert parse_message(raw("own_address.eml")).skip_reason == ""


def test_dates(settings):
    now = timezone.now()
    future = message("From: a@example.com\nDate: Fri, 01 Jan 2100 10:00:00 +0000")
    assert parse_message(future, now=now).at == now
    assert parse_message(message("From: a@example.com"), now=now).at == now
    assert parse_message(message("From: a@example.com\nDate: garbage"), now=now).at == now
    naive = message("From: a@example.com\nDate: Mon, 01 Dec 2025 10:00:00 -0000")
    assert parse_message(naive).at == dt.datetime(2025, 12, 1, 10, tzinfo=dt.UTC)


def test_rejections(settings):
    with pytest.raises(MailRejected, match="empty"):
        parse_message(b"  \r\n")
    with pytest.raises(MailRejected, match="no headers"):
        parse_message(b"\r\n\r\njust a body")
    with pytest.raises(MailRejected, match="no sender"):
        parse_message(message("To: support@patron.localhost\nSubject: who am I"))
    with pytest.raises(MailRejected, match="not valid"):
        parse_message(message("From: Someone <someone@example..com>"))
    settings.PATRON_MAIL_MAX_MB = 1
    big = message("From: a@example.com", "x" * (1024 * 1024 + 1))
    with pytest.raises(MailRejected, match="too large"):
        parse_message(big)


def test_long_body_is_cut_with_a_note():
    mail = parse_message(message("From: a@example.com", "word " * 40_000))
    assert len(mail.body) < 100_000 and mail.body.endswith(
        "[The rest of this long message was cut.]"
    )


# --- Quote and signature stripping across mail clients -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # Gmail, wrapped attribution
        "Thanks!\n\nOn Mon, Dec 1, 2025 at 10:00 AM Patron Support <\nsupport@x.com> wrote:\n\n"
        "> old\n> text",
        # Apple Mail
        "Thanks!\n\nOn 1 Dec 2025, at 10:00, Patron Support <support@x.com> wrote:\n\n> old",
        # Yahoo
        "Thanks!\n\nOn Monday, December 1, 2025, 10:00:00 AM GMT+1, Support <s@x.com> wrote:"
        "\n\n\nold text without markers",
        # Thunderbird German
        "Thanks!\n\nAm 01.12.25 um 10:00 schrieb Patron Support:\n> old",
        # Spanish
        "Thanks!\n\nEl lun, 1 dic 2025 a las 10:00, Soporte (<s@x.com>) escribió:\n> old",
        # Portuguese
        "Thanks!\n\nEm seg., 1 de dez. de 2025 às 10:00, Suporte <s@x.com> escreveu:\n> old",
        # Hebrew
        "Thanks!\n\nב-1 בדצמ׳ 2025, 10:00, מאת Support <s@x.com> כתב:\n> old",
        # Outlook: the header block without quote markers
        "Thanks!\n\nFrom: Patron Support <support@x.com>\nSent: Monday, December 1, 2025 "
        "10:00\nTo: Ani <ani@example.com>\nSubject: Re: parcel\n\nold text",
        # Outlook, German
        "Thanks!\n\nVon: Patron Support <support@x.com>\nGesendet: Montag, 1. Dezember 2025\n"
        "An: Ani\nBetreff: Paket\n\nold",
        # Old Outlook / Lotus
        "Thanks!\n\n-----Original Message-----\nFrom: Support\nold",
        # Outlook's rule
        "Thanks!\n\n________________________________\nFrom: Support\nold",
        # Bidi marks in an Arabic Gmail attribution
        "Thanks!\n\n\u200fفي الاثنين، 1 ديسمبر 2025 كتب \u202aSupport\u202c <\u202as@x.com"
        "\u202c>:\u200f\n> old",
        # Only "> " lines (bottom of a reply, no attribution)
        "Thanks!\n> old\n> text",
        # Signature and a phone's footer
        "Thanks!\n\n-- \nAni Nor\nAcme Ltd",
        "Thanks!\n\nSent from my iPhone",
    ],
)
def test_strip_reply_for_other_clients(text):
    assert strip_reply(text) == "Thanks!"


def test_strip_reply_keeps_what_only_looks_like_a_quote():
    text = "On Monday my brother wrote: the parcel is at the post office.\nPlease check."
    assert strip_reply(text) == text
    sentence = "Hi,\nOn Monday my brother wrote:\nthe kettle leaks.\nAni"
    assert strip_reply(sentence) == sentence
    inline = "My answer below.\n> your question?\nYes, it is the blue one."
    assert strip_reply(inline) == "My answer below.\nYes, it is the blue one."
    assert strip_reply("-- \nonly a signature") == "--\nonly a signature"


def test_html_to_text():
    html = (
        "<p>One &amp; two</p><p>Three<br>four</p><blockquote>quoted</blockquote>"
        "<table><tr><td>a</td><td>b</td></tr></table><pre>  x\n  y</pre>"
        '<a href="https://a.example/">https://a.example/</a><script>bad()</script>'
        '<a href="javascript:alert(1)">click</a>'
    )
    assert html_to_text(html) == (
        "One & two\n\nThree\nfour\n\n> quoted\n\na\tb\n\n  x\n  y\n\nhttps://a.example/click"
    )
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"
    assert html_to_text("") == ""


# --- Import: matching, prospects, threading, duplicates ------------------------------------


@pytest.fixture
def ani(north_customer):
    add_email(north_customer, "ani@example.com")
    return north_customer


@pytest.mark.django_db
def test_known_sender_opens_a_ticket(ani, agent):
    result = ingest_bytes(raw("plain.eml"))
    assert result.status == "created", result
    assert result.customer_id == ani.pk and not result.created_customer
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert ticket.customer == ani and ticket.subject == "My order has not arrived"
    assert ticket.reply_to == "ani@example.com" and ticket.source == "email"
    assert ticket.channel == "email" and ticket.type == TicketType.QUESTION
    assert ticket.owner == agent  # the customer's owner, as the ticket services decide
    (first,) = ticket.messages.all()
    assert first.kind == TicketMessage.Kind.CUSTOMER
    assert first.message_id == "<CAplain.0001@mail.example.com>"
    assert first.from_address == "ani@example.com"
    assert first.created_at == dt.datetime(2025, 12, 1, 8, 15, tzinfo=dt.UTC)
    assert first.body.startswith("Hello,")


@pytest.mark.django_db
def test_same_file_twice_is_one_ticket(ani):
    first = ingest_bytes(raw("plain.eml"))
    second = ingest_bytes(raw("plain.eml"))
    third = ingest_bytes(raw("plain.eml").replace(b"\r\n", b"\n"))
    assert first.status == "created"
    assert second.status == third.status == "duplicate"
    assert second.ticket_id == first.ticket_id and "already imported" in second.reason
    assert Ticket.objects.count() == 1 and TicketMessage.objects.count() == 1


@pytest.mark.django_db
def test_no_message_id_twice_is_one_ticket():
    first = ingest_bytes(raw("no_message_id.eml"))
    second = ingest_bytes(raw("no_message_id.eml"))
    assert (first.status, second.status) == ("created", "duplicate")
    assert Ticket.objects.count() == 1 and Customer.objects.count() == 1


@pytest.mark.django_db
def test_unknown_sender_becomes_a_prospect():
    result = ingest_bytes(raw("complaint_unknown_sender.eml"))
    assert result.status == "created" and result.created_customer
    customer = Customer.objects.get(pk=result.customer_id)
    assert customer.lifecycle_stage == Customer.Lifecycle.PROSPECT
    assert customer.kind == Customer.Kind.PERSON and customer.source == "email"
    assert (customer.given_name, customer.family_name) == ("José", "da Silva")
    assert customer.display_name == "José da Silva"
    assert customer.owner is None and customer.team is None
    (point,) = customer.contact_points.all()
    assert (point.kind, point.value, point.preferred) == (
        "email",
        "jose.silva+shop@example.org",
        True,
    )
    assert (
        AuditEntry.objects.filter(
            target_type="customers.customer", target_id=str(customer.pk), actor=None
        ).count()
        == 2
    )
    assert SearchTerm.objects.filter(customer=customer).exists()  # findable by name
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert ticket.type == TicketType.COMPLAINT
    assert ticket.messages.get().body.endswith("I want this looked into.")  # no phone footer
    # The same sender writes again: the prospect is found, not created twice.
    again = ingest_bytes(
        message("From: Jose.Silva+shop@example.org\nSubject: Any news?\nMessage-ID: <again@x.org>")
    )
    assert again.status == "created" and again.customer_id == customer.pk
    assert not again.created_customer and Customer.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sender", "given", "family"),
    [
        ("ani.nor@example.com", "Ani", "Nor"),
        ("Ani Nor <ani.nor@example.com>", "Ani", "Nor"),
        ('"ani.nor@example.com" <ani.nor@example.com>', "Ani", "Nor"),
        ("k2000@example.com", "K2000", ""),
        ("=?UTF-8?B?2LPYp9mF2Yo=?= <s@example.sa>", "سامي", ""),
    ],
)
def test_prospect_names(sender, given, family):
    result = ingest_bytes(message(f"From: {sender}\nSubject: hi\nMessage-ID: <{given}@x>"))
    customer = Customer.objects.get(pk=result.customer_id)
    assert (customer.given_name, customer.family_name) == (given, family)


@pytest.mark.django_db
def test_address_shared_by_several_customers_picks_the_latest_person(north):
    org = CustomerFactory(kind="organization", organization_name="Acme", given_name="")
    older = CustomerFactory(given_name="Old")
    newer = CustomerFactory(given_name="New")
    for customer in (org, older, newer):
        add_email(customer, "shared@example.com")
    now = timezone.now()
    Customer.objects.filter(pk=org.pk).update(updated_at=now)
    Customer.objects.filter(pk=older.pk).update(updated_at=now - dt.timedelta(days=2))
    Customer.objects.filter(pk=newer.pk).update(updated_at=now - dt.timedelta(days=1))
    assert customers_with_address("SHARED@example.com") == [newer.pk, older.pk, org.pk]
    result = ingest_bytes(message("From: Shared@Example.com\nSubject: hi\nMessage-ID: <s@x>"))
    assert result.customer_id == newer.pk


@pytest.mark.django_db
def test_reply_threads_by_in_reply_to(ani):
    ticket = services.ticket_create(actor=None, customer=ani, subject="My order", body="Where?")
    TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.REPLY,
        body="On its way.",
        message_id="<ticket-41-97.k3j5q@patron.localhost>",
    )
    result = ingest_bytes(raw("reply_in_reply_to.eml"))
    assert result.status == "appended" and result.ticket_id == ticket.pk
    last = ticket.messages.order_by("-id").first()
    assert last.body == "It has arrived now, thank you!"
    assert last.in_reply_to == "<ticket-41-97.k3j5q@patron.localhost>"
    assert "<CAplain.0001@mail.example.com>" in last.references
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_reply_threads_by_references_from_any_address(ani):
    created = ingest_bytes(raw("plain.eml"))
    # A colleague copied in answers the customer's first message: the thread decides.
    reply = message(
        "From: colleague@elsewhere.example\nSubject: Re: order\nMessage-ID: <c@x>\n"
        "References: <unrelated@x> <CAplain.0001@mail.example.com>",
        "Adding me to this.",
    )
    result = ingest_bytes(reply)
    assert result.status == "appended" and result.ticket_id == created.ticket_id
    assert result.customer_id == ani.pk and not result.created_customer
    assert not Customer.objects.filter(source="email").exists()


@pytest.mark.django_db
def test_reply_to_a_resolved_ticket_reopens_it(ani, agent):
    created = ingest_bytes(raw("plain.eml"))
    ticket = Ticket.objects.get(pk=created.ticket_id)
    services.ticket_resolve(actor=agent, ticket=ticket, root_cause="")
    reply = message(
        "From: ani@example.com\nSubject: Re: x\nMessage-ID: <r@x>\n"
        "In-Reply-To: <CAplain.0001@mail.example.com>",
        "Still nothing.",
    )
    assert ingest_bytes(reply).status == "appended"
    ticket.refresh_from_db()
    assert ticket.status != TicketStatus.RESOLVED and ticket.reopened_count == 1


@pytest.mark.django_db
def test_subject_token_threads_for_the_tickets_customer(ani):
    ticket = services.ticket_create(actor=None, customer=ani, subject="My order", body="?")
    result = ingest_bytes(raw("reply_subject_token.eml", TICKET=str(ticket.pk)))
    assert result.status == "appended" and result.ticket_id == ticket.pk
    body = ticket.messages.order_by("-id").first().body
    assert body == "One more thing: please leave it with my neighbour."


@pytest.mark.django_db
def test_subject_token_of_another_customers_ticket_is_refused(ani, south_customer):
    theirs = services.ticket_create(
        actor=None, customer=south_customer, subject="Private", body="Mine."
    )
    result = ingest_bytes(raw("reply_subject_token.eml", TICKET=str(theirs.pk)))
    assert result.status == "created" and result.ticket_id != theirs.pk
    assert (
        result.reason
        == f"the subject's [#{theirs.pk}] is not a ticket of this sender: a new ticket"
    )
    assert result.customer_id == ani.pk
    assert theirs.messages.count() == 1
    # An unknown sender naming a ticket gets a prospect and a ticket of their own.
    stranger = message(f"From: x@stranger.example\nSubject: Re: [#{theirs.pk}]\nMessage-ID: <z@x>")
    result = ingest_bytes(stranger)
    assert result.status == "created" and result.created_customer
    assert theirs.messages.count() == 1


@pytest.mark.django_db
def test_our_message_id_threads_only_for_the_tickets_customer(ani, south_customer, settings):
    ticket = services.ticket_create(actor=None, customer=ani, subject="My order", body="?")
    ours = f"<ticket-{ticket.pk}-999.abc@{settings.PATRON_MAIL_DOMAIN}>"
    reply = message(f"From: ani@example.com\nSubject: Re\nMessage-ID: <m1@x>\nIn-Reply-To: {ours}")
    assert ingest_bytes(reply).ticket_id == ticket.pk
    add_email(south_customer, "sami@example.com")
    forged = message(
        f"From: sami@example.com\nSubject: Re\nMessage-ID: <m2@x>\nIn-Reply-To: {ours}"
    )
    result = ingest_bytes(forged)
    assert result.status == "created" and result.ticket_id != ticket.pk
    other_domain = ours.replace(settings.PATRON_MAIL_DOMAIN, "evil.example")
    mail = message(
        f"From: ani@example.com\nSubject: Re\nMessage-ID: <m3@x>\nIn-Reply-To: {other_domain}"
    )
    assert ingest_bytes(mail).status == "created"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["auto_reply.eml", "bounce.eml", "precedence_bulk.eml", "own_address.eml"]
)
def test_skipped_messages_store_nothing(name, ani, settings):
    settings.PATRON_SUPPORT_EMAIL = "support@patron.localhost"
    result = ingest_bytes(raw(name))
    assert result.status == "skipped" and result.reason
    assert result.ticket_id is None
    assert not Ticket.objects.exists() and Customer.objects.count() == 1


@pytest.mark.django_db
def test_rejected_and_odd_messages_are_results_not_errors(settings):
    assert ingest_bytes(b"").status == "rejected"
    assert ingest_bytes(b"\x00\xff garbage").status == "rejected"
    settings.PATRON_MAIL_MAX_MB = 1
    big = ingest_bytes(message("From: a@example.com", "x" * (2 * 1024 * 1024)))
    assert big.status == "rejected" and "too large" in big.reason
    # A null character (which PostgreSQL refuses) is dropped from the text.
    nul = ingest_bytes(message("From: n@example.com\nMessage-ID: <nul@x>", "a\x00b"))
    assert nul.status == "created"
    assert TicketMessage.objects.get(ticket_id=nul.ticket_id).body == "ab"


@pytest.mark.django_db
def test_html_and_charset_bodies_stored_as_text(ani):
    for name in ("html_only.eml", "windows1252.eml", "arabic.eml", "attachment.eml"):
        assert ingest_bytes(raw(name)).status == "created", name
    bodies = " ".join(TicketMessage.objects.values_list("body", flat=True))
    assert "<script" not in bodies and "alert(" not in bodies
    assert "59 €" in bodies and "وصلني المنتج" in bodies and "receipt.pdf" in bodies
    arabic = Ticket.objects.get(subject="شكوى: المنتج وصل مكسوراً")
    assert arabic.type == TicketType.COMPLAINT
    french = Ticket.objects.get(subject__startswith="Réclamation")
    assert french.type == TicketType.COMPLAINT
    assert ContactPoint.objects.filter(value="sami.ali@example.sa").exists()


@pytest.mark.django_db
def test_queries_per_message(ani, django_assert_max_num_queries):
    first = raw("plain.eml")
    # Most are the ticket services' (SLA policy, audit, timeline, the owner's notification).
    with django_assert_max_num_queries(25):
        assert ingest_bytes(first).status == "created"
    reply = message(
        "From: ani@example.com\nSubject: Re\nMessage-ID: <q@x>\n"
        "In-Reply-To: <CAplain.0001@mail.example.com>"
    )
    with django_assert_max_num_queries(20):
        assert ingest_bytes(reply).status == "appended"
    with django_assert_max_num_queries(1):  # a duplicate costs one lookup, writes nothing
        assert ingest_bytes(first).status == "duplicate"


def _encoded(charset: str, text: str, codec: str, extra: str = "") -> bytes:
    head = (
        f"From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: text/plain; charset="{charset}"{extra}\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + text.encode(codec)


@pytest.mark.parametrize(
    ("charset", "codec", "text"),
    [
        ("gb2312", "gbk", "您好，镕的订单"),  # 镕 is GBK, not GB2312: mailers send GBK anyway
        ("iso-8859-8-i", "iso-8859-8", "שלום, ההזמנה שלי לא הגיעה"),
        ("ks_c_5601-1987", "cp949", "안녕하세요 주문이 늦어요"),
        ("shift_jis", "cp932", "注文が届きません①"),  # ① is Windows' extension
        ("koi8-r", "koi8-r", "Здравствуйте, заказ не пришёл"),
        ("windows-874", "cp874", "สวัสดีครับ"),
        ("utf8", "utf-8", "Grüße aus Köln"),
        ("x-unknown", "utf-8", "Grüße aus Köln"),
        ("x-unknown", "cp1252", "Grüße aus Köln"),
    ],
)
def test_more_charsets(charset, codec, text):
    assert parse_message(_encoded(charset, text, codec)).body == text


def test_format_flowed_is_unwrapped():
    flowed = "This line goes on \r\nin the next one.\r\n\r\n-- \r\nAni\r\n"
    mail = parse_message(_encoded("utf-8", flowed, "utf-8", "; format=flowed"))
    assert mail.body == "This line goes on in the next one."
    delsp = "Long wo\r\nrd here.\r\n"
    mail = parse_message(
        _encoded("utf-8", delsp.replace("wo\r", "wo \r"), "utf-8", "; format=flowed; delsp=yes")
    )
    assert mail.body == "Long word here."


@pytest.mark.parametrize(
    "html",
    [
        # Gmail
        '<div dir="ltr">Thanks!</div><br><div class="gmail_quote"><div dir="ltr" '
        'class="gmail_attr">On Mon, Dec 1, 2025 at 10:00 AM Support &lt;<a href="mailto:s@x.com">'
        's@x.com</a>&gt; wrote:<br></div><blockquote class="gmail_quote">'
        "<div>Do you want a refund?</div></blockquote></div>",
        # Apple Mail
        '<html><body dir="auto">Thanks!<br><br><div dir="ltr">On 1 Dec 2025, at 10:00, Support'
        ' &lt;s@x.com&gt; wrote:<br><br></div><blockquote type="cite"><div dir="ltr">Shall we'
        " send another?</div></blockquote></body></html>",
        # Outlook on the web
        '<div>Thanks!</div><div id="appendonsend"></div><hr tabindex="-1"><div id="divRplyFwdMsg"'
        ' dir="ltr"><font face="Calibri"><b>From:</b> Support &lt;s@x.com&gt;<br><b>Sent:</b> '
        "Monday, December 1, 2025 10:00<br><b>To:</b> Ani<br><b>Subject:</b> Parcel</font>"
        "<div>&nbsp;</div></div><div>Your parcel left.</div>",
        # Thunderbird
        '<p>Thanks!<br></p><div class="moz-cite-prefix">On 01/12/2025 10:00, Support wrote:<br>'
        '</div><blockquote type="cite" cite="mid:x@y">Your parcel left.</blockquote>',
    ],
)
def test_html_replies_of_other_clients(html):
    assert strip_reply(html_to_text(html)) == "Thanks!"


@pytest.mark.django_db
def test_reply_to_header_is_where_answers_go(ani):
    mail = message(
        "From: Ani Nor <ani@example.com>\nReply-To: Ani at home <Ani.Home@Example.net>\n"
        "Subject: Please answer at home\nMessage-ID: <rt@x>"
    )
    result = ingest_bytes(mail)
    assert result.customer_id == ani.pk  # matched on From
    assert Ticket.objects.get(pk=result.ticket_id).reply_to == "ani.home@example.net"
    broken = message("From: ani@example.com\nReply-To: not an address\nMessage-ID: <rt2@x>")
    assert Ticket.objects.get(pk=ingest_bytes(broken).ticket_id).reply_to == "ani@example.com"


def test_message_id_without_angle_brackets():
    mail = parse_message(message("From: a@example.com\nMessage-ID: abc.123@host.example"))
    assert mail.message_id == "<abc.123@host.example>"


@pytest.mark.django_db
def test_an_answer_dated_before_its_ticket_is_not_put_before_it(ani):
    created = ingest_bytes(raw("plain.eml"))  # dated 1 Dec 2025 08:15 UTC
    early = message(
        "From: ani@example.com\nSubject: Re\nMessage-ID: <early@x>\n"
        "Date: Sun, 30 Nov 2025 10:00:00 +0000\nIn-Reply-To: <CAplain.0001@mail.example.com>"
    )
    assert ingest_bytes(early).status == "appended"
    first, answer = Ticket.objects.get(pk=created.ticket_id).messages.order_by("id")
    assert answer.created_at >= first.created_at
