"""Service in the demo: ticket categories, a manager for every team, and about a hundred
and fifty tickets over the last 120 days in the customers' languages, of every type,
priority and status (resolved on first contact, after several replies, reopened,
waiting on the customer, breached), with replies and notes; and a complaint from a most
valuable customer, with its signal, caretaker and win-back window.

Tickets are written through the ticket services, by the customer's owner. The services
stamp replies, resolutions and closes with the current time, so each ticket's story is
then moved back to when it happened with a few UPDATEs of its timestamps (tickets,
messages, their timeline entries): the KPIs then show four months of history. Loading
again adds nothing (the demo tickets carry source "demo").
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from patron.accounts.models import Team, User
from patron.accounts.services import team_update
from patron.analytics.models import CustomerMetrics, ValueTier
from patron.customers.models import Customer
from patron.interactions.models import Interaction, Notification, Task
from patron.service import services
from patron.service.models import (
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketPriority,
    TicketStatus,
    TicketType,
    WinBackWindow,
)
from patron.service.policies import category_save

SOURCE = "demo"
TICKETS = 90
DAYS = 120
H = dt.timedelta(hours=1)

CATEGORIES = [
    ("Billing", "Invoices, payments, refunds"),
    ("Delivery", "Shipping, lateness, damaged parcels"),
    ("Product quality", "Faults, defects, wrong items"),
    ("Account", "Sign-in, personal data, preferences"),
    ("Other", "Anything else"),
]

# Per language, per category: a subject and the customer's first message.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "Billing": ("Charged twice for one order", "I see two payments for the same order."),
        "Delivery": ("Parcel arrived damaged", "The box was crushed and the item is broken."),
        "Product quality": ("The kettle stopped working", "It stopped heating after a week."),
        "Account": ("Cannot sign in", "The password reset link does not arrive."),
        "Other": ("Question about opening hours", "Are you open on public holidays?"),
    },
    "he": {
        "Billing": ("חויבתי פעמיים על הזמנה אחת", "אני רואה שני חיובים על אותה הזמנה."),
        "Delivery": ("החבילה הגיעה פגומה", "הקופסה נמעכה והמוצר שבור."),
        "Product quality": ("הקומקום הפסיק לעבוד", "הוא הפסיק לחמם אחרי שבוע."),
        "Account": ("לא מצליח להתחבר", "הקישור לאיפוס הסיסמה לא מגיע."),
        "Other": ("שאלה על שעות הפתיחה", "האם אתם פתוחים בחגים?"),
    },
    "ar": {
        "Billing": ("تم خصم المبلغ مرتين", "أرى دفعتين لنفس الطلب."),
        "Delivery": ("وصل الطرد تالفاً", "الصندوق مهشم والمنتج مكسور."),
        "Product quality": ("الغلاية توقفت عن العمل", "توقفت عن التسخين بعد أسبوع."),
        "Account": ("لا أستطيع تسجيل الدخول", "رابط إعادة تعيين كلمة المرور لا يصل."),
        "Other": ("سؤال عن ساعات العمل", "هل تفتحون في أيام العطل الرسمية؟"),
    },
    "hy": {
        "Billing": ("Մեկ պատվերի համար երկու անգամ գանձվել է", "Տեսնում եմ երկու վճարում։"),
        "Delivery": ("Ծանրոցը վնասված է հասել", "Տուփը ճզմված է, ապրանքը՝ կոտրված։"),
        "Product quality": ("Թեյնիկը դադարեց աշխատել", "Մեկ շաբաթ անց այլևս չի տաքացնում։"),
        "Account": ("Չեմ կարողանում մուտք գործել", "Գաղտնաբառի վերականգնման հղումը չի գալիս։"),
        "Other": ("Հարց աշխատանքային ժամերի մասին", "Տոն օրերին բա՞ց եք։"),
    },
    "ka": {
        "Billing": (
            "ერთ შეკვეთაზე ორჯერ ჩამომეჭრა",
            "ერთსა და იმავე შეკვეთაზე ორ გადახდას ვხედავ.",
        ),
        "Delivery": ("ამანათი დაზიანებული მოვიდა", "ყუთი გაჭყლეტილია, ნივთი გატეხილი."),
        "Product quality": ("ჩაიდანმა მუშაობა შეწყვიტა", "ერთი კვირის შემდეგ აღარ ათბობს."),
        "Account": ("ვერ შევდივარ ანგარიშზე", "პაროლის აღდგენის ბმული არ მოდის."),
        "Other": ("კითხვა სამუშაო საათებზე", "დღესასწაულებზე ღია ხართ?"),
    },
    "ms": {
        "Billing": (
            "Dicaj dua kali untuk satu pesanan",
            "Saya nampak dua bayaran untuk pesanan sama.",
        ),
        "Delivery": ("Bungkusan tiba dalam keadaan rosak", "Kotak remuk dan barang pecah."),
        "Product quality": ("Cerek berhenti berfungsi", "Ia tidak panas lagi selepas seminggu."),
        "Account": ("Tidak dapat log masuk", "Pautan set semula kata laluan tidak sampai."),
        "Other": ("Soalan tentang waktu operasi", "Adakah anda buka pada cuti umum?"),
    },
}

REPLIES = {
    "en": "Thank you for telling us. We have sorted it out: details below.",
    "he": "תודה שסיפרת לנו. טיפלנו בזה, הפרטים למטה.",
    "ar": "شكراً لإبلاغنا. لقد عالجنا الأمر، والتفاصيل أدناه.",
    "hy": "Շնորհակալություն, որ տեղեկացրիք։ Խնդիրը լուծված է, մանրամասները՝ ստորև։",
    "ka": "გმადლობთ, რომ შეგვატყობინეთ. საკითხი მოვაგვარეთ, დეტალები ქვემოთაა.",
    "ms": "Terima kasih kerana memberitahu kami. Kami telah menyelesaikannya.",
}
FOLLOW_UPS = {
    "en": "It happened again, please look once more.",
    "he": "זה קרה שוב, בבקשה תבדקו שוב.",
    "ar": "حدث ذلك مرة أخرى، أرجو المراجعة.",
    "hy": "Նորից կրկնվեց, խնդրում եմ կրկին ստուգել։",
    "ka": "ისევ განმეორდა, გთხოვთ კიდევ ერთხელ შეამოწმოთ.",
    "ms": "Ia berlaku lagi, sila semak sekali lagi.",
}
ROOT_CAUSES = {
    "Billing": "Payment retried by the gateway after a timeout",
    "Delivery": "Courier handling; parcel not padded",
    "Product quality": "Faulty batch of heating elements",
    "Account": "Reset emails filtered as spam by the provider",
    "Other": "Information missing from the website",
}


@dataclass
class ServiceReport:
    categories: int = 0
    managers: int = 0
    tickets: int = 0
    windows: int = 0


def demo_service_load(
    customers: list[Customer],
    *,
    owner_for: Callable[[Customer], User],
    manager: User,
    seed: int = 11,
) -> ServiceReport:
    """The service demo (see the module); nothing when its tickets are already there."""
    report = ServiceReport()
    if Ticket.objects.filter(source=SOURCE).exists() or not customers:
        return report
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    categories = _categories(report)
    for team in Team.objects.filter(manager__isnull=True):
        team_update(
            actor=None, team=team, name=team.name, description=team.description, manager=manager
        )
        report.managers += 1
    now = timezone.now()
    owned = [c for c in customers if c.owner_id is not None]
    for index in range(TICKETS):
        customer = rng.choice(owned)
        _story(rng, index, customer, owner_for(customer), categories, now)
        report.tickets += 1
    _valuable_complaint(customers, owner_for, categories, now)
    report.windows = WinBackWindow.objects.filter(closes_at__gt=now).count()
    # The demo's old notices are history: read already.
    Notification.objects.filter(
        kind=Notification.Kind.TICKET, read_at__isnull=True, customer__tickets__source=SOURCE
    ).update(read_at=now)
    _sla_check(now)
    return report


def _categories(report: ServiceReport) -> dict[str, TicketCategory]:
    found = {c.name: c for c in TicketCategory.objects.all()}
    for position, (name, description) in enumerate(CATEGORIES, start=1):
        if name not in found:
            found[name] = category_save(
                actor=None, name=name, description=description, position=position * 10
            )
            report.categories += 1
    return found


def _texts(customer: Customer, category: str) -> tuple[str, str]:
    language = customer.language if customer.language in TEXTS else "en"
    return TEXTS[language][category]


def _language(customer: Customer) -> str:
    return customer.language if customer.language in TEXTS else "en"


TYPES = [TicketType.QUESTION] * 9 + [TicketType.COMPLAINT] * 3 + [TicketType.REQUEST] * 5
TYPES += [TicketType.INCIDENT] * 3
PRIORITIES = [TicketPriority.LOW] * 2 + [TicketPriority.NORMAL] * 5 + [TicketPriority.HIGH] * 2
PRIORITIES += [TicketPriority.URGENT]
CHANNELS = ["phone", "chat", "web", "store", "phone", "chat"]


def _story(
    rng: random.Random,
    index: int,
    customer: Customer,
    agent: User,
    categories: dict[str, TicketCategory],
    now: dt.datetime,
) -> Ticket:
    """One ticket from its first message to where it stands today."""
    category = rng.choice(list(CATEGORIES))[0]
    subject, body = _texts(customer, category)
    kind = rng.choice(TYPES)
    age = dt.timedelta(days=DAYS) * (rng.random() ** 1.3)  # more of them recently
    created = now - age
    ticket = services.ticket_create(
        actor=agent,
        customer=customer,
        subject=subject,
        body=body,
        type=kind,
        priority=rng.choice(PRIORITIES),
        channel=rng.choice(CHANNELS),
        category=categories[category],
        source=SOURCE,
        at=created,
    )
    times: dict[int, dt.datetime] = {}  # message id -> when it happened
    language = _language(customer)
    fields: dict[str, Any] = {}
    # How the story goes, by age: recent tickets are still new, open or waiting.
    roll = rng.random()
    first = created + H * rng.choice([0.3, 1, 2, 4, 8, 20, 30, 50])
    if age < dt.timedelta(hours=6) or (age < dt.timedelta(days=3) and roll < 0.35):
        return ticket  # new, nobody answered yet
    if first >= now:
        first = created + (now - created) / 2
    reply = services.ticket_reply(actor=agent, ticket=ticket, body=REPLIES[language])
    times[reply.pk] = first
    fields["first_response_at"] = first
    ticket.refresh_from_db()
    if index % 9 == 0:
        note = services.ticket_note(
            actor=agent, ticket=ticket, body="Checked the order history before answering."
        )
        times[note.pk] = first - 0.2 * H
    if age < dt.timedelta(days=3) or roll < 0.08:
        if roll < 0.5:
            services.ticket_set_status(
                actor=agent, ticket=ticket, status=TicketStatus.WAITING, version=None
            )
            fields["waiting_since"] = first
        return _backdate(ticket, times, fields)
    resolved = first + H * rng.choice([0.5, 2, 6, 24, 48, 100])
    if roll < 0.3 and resolved + 2 * H < now:  # another round with the customer first
        message = services.ticket_customer_message(
            ticket=ticket, body=FOLLOW_UPS[language], at=first + H
        )
        times[message.pk] = first + H
        ticket.refresh_from_db()
        second = services.ticket_reply(actor=agent, ticket=ticket, body=REPLIES[language])
        times[second.pk] = first + 2 * H
        resolved = max(resolved, first + 3 * H)
        ticket.refresh_from_db()
    resolved = min(resolved, now - H)
    services.ticket_resolve(actor=agent, ticket=ticket, root_cause=ROOT_CAUSES[category])
    fields["resolved_at"] = resolved
    ticket.refresh_from_db()
    if 0.3 <= roll < 0.4 and resolved + 26 * H < now:  # reopened by the customer, resolved again
        message = services.ticket_customer_message(
            ticket=ticket, body=FOLLOW_UPS[language], at=resolved + H
        )
        times[message.pk] = resolved + H
        ticket.refresh_from_db()
        again = services.ticket_reply(actor=agent, ticket=ticket, body=REPLIES[language])
        times[again.pk] = resolved + 2 * H
        ticket.refresh_from_db()
        services.ticket_resolve(actor=agent, ticket=ticket, root_cause=ROOT_CAUSES[category])
        resolved = resolved + 24 * H
        fields["resolved_at"] = resolved
        ticket.refresh_from_db()
    if now - resolved > dt.timedelta(days=7):
        services.ticket_close(actor=agent, ticket=ticket)
        fields["closed_at"] = resolved + dt.timedelta(days=7)
    return _backdate(ticket, times, fields)


def _backdate(ticket: Ticket, times: dict[int, dt.datetime], fields: dict[str, Any]) -> Ticket:
    """The ticket's story moved back to when it happened (the services stamped it now)."""
    if fields:
        Ticket.objects.filter(pk=ticket.pk).update(**fields, updated_at=max(fields.values()))
    for message_id, moment in times.items():
        TicketMessage.objects.filter(pk=message_id).update(created_at=moment)
        # Replies "went out" back then: the mail sent after the commit skips them.
        TicketMessage.objects.filter(pk=message_id, kind=TicketMessage.Kind.REPLY).exclude(
            to_address=""
        ).update(sent_at=moment)
        interaction = TicketMessage.objects.filter(pk=message_id).values_list(
            "interaction_id", flat=True
        )
        Interaction.objects.filter(pk__in=interaction).update(occurred_at=moment)
    return ticket


def _valuable_complaint(
    customers: list[Customer],
    owner_for: Callable[[Customer], User],
    categories: dict[str, TicketCategory],
    now: dt.datetime,
) -> None:
    """A complaint, two days ago, from the most valuable customer of the demo: the
    complaint receiver raises the signal and opens the win-back window."""
    ids = [c.pk for c in customers]
    best = (
        CustomerMetrics.objects.filter(customer_id__in=ids, value_tier=ValueTier.MOST_VALUABLE)
        .exclude(customer__win_back_windows__closes_at__gt=now)
        .order_by("-revenue_12m", "customer_id")
        .values_list("customer_id", flat=True)
        .first()
    )
    if best is None:
        return
    customer = Customer.objects.select_related("owner").get(pk=best)
    subject, body = _texts(customer, "Delivery")
    services.ticket_create(
        actor=owner_for(customer),
        customer=customer,
        subject=subject,
        body=body,
        type=TicketType.COMPLAINT,
        priority=TicketPriority.HIGH,
        channel="phone",
        category=categories["Delivery"],
        source=SOURCE,
        at=now - dt.timedelta(days=2),
    )
    # Its signal's task fell due yesterday: its reminder is history, not mail to send now.
    Task.objects.filter(
        customer=customer, source=Task.Source.SIGNAL, reminded_at__isnull=True, remind_at__lte=now
    ).update(reminded_at=F("remind_at"))


def _sla_check(now: dt.datetime) -> None:
    """Run the SLA job once, so that the missed deadlines of the demo's history are
    recorded as breaches. Its escalation email is not sent: the breaches are history and
    the demo managers' addresses are not real."""
    from patron.service.sla_job import run_sla_check

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        run_sla_check(now=now)
