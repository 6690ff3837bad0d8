"""`patron demo` gives the demo customers a realistic history: a catalogue, three years of
seasonal, long-tailed orders, a conversation on every channel in the customer's language,
notes with mentions, tasks and answers to the question bank; loaded once."""

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from patron.accounts.models import User
from patron.commerce.demo import CATALOGUE, demo_orders_plan
from patron.commerce.models import Order, OrderLine, Product
from patron.customers.models import Customer
from patron.demo import demo_load
from patron.feedback.models import IdeaRequester
from patron.interactions.demo import KINDS, LANGUAGES
from patron.interactions.models import (
    Answer,
    Channel,
    Interaction,
    Note,
    Notification,
    Question,
    Task,
)
from patron.interactions.selectors import applies_to, task_list

CUSTOMERS = 120
SCRIPTS = {
    "he": r"[\u0590-\u05FF]",
    "ar": r"[\u0600-\u06FF]",
    "hy": r"[\u0530-\u058F]",
    "ka": r"[\u10A0-\u10FF]",
}


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module (a few seconds) and rolled back after it; each
    test runs in a savepoint inside, so what one test adds the next does not see."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(customers=CUSTOMERS, password="demo passphrase 1")
        transaction.set_rollback(True)


@pytest.fixture
def demo(loaded, db):
    return loaded


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Product, Order, OrderLine, Interaction, Note, Task, Answer, Question)
    } | {"Notification": Notification.objects.count()}


def test_orders_are_seasonal_long_tailed_and_priced(demo):
    assert demo.orders_added == Order.objects.count() > CUSTOMERS
    assert Product.objects.count() == len(CATALOGUE) >= 40
    assert Product.objects.values("category").distinct().count() == 6
    placed = list(Order.objects.values_list("placed_at", flat=True))
    assert max(placed) - min(placed) >= dt.timedelta(days=2 * 365)
    assert max(placed) <= timezone.now()
    by_month = Counter(moment.month for moment in placed)
    assert by_month[12] > statistics.median(by_month[m] for m in range(1, 13))
    assert by_month[12] > by_month[7] * 1.5 and by_month[12] > by_month[8] * 1.5  # summer dip
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert statuses["cancelled"] and statuses["returned"]
    assert statuses["completed"] > 0.85 * len(placed)
    assert set(Order.objects.values_list("currency", flat=True)) == {
        settings.PATRON_DEFAULT_CURRENCY
    }
    lines = Counter(Order.objects.values_list("line_count", flat=True))
    assert set(lines) <= {1, 2, 3, 4, 5} and len(lines) == 5
    assert OrderLine.objects.count() == sum(n * k for n, k in lines.items())
    # Only customers (and some lost customers, long ago) buy.
    stages = set(Order.objects.values_list("customer__lifecycle_stage", flat=True))
    assert stages == {"customer", "lost"}
    last_lost = Order.objects.filter(customer__lifecycle_stage="lost").order_by("-placed_at")
    assert last_lost.first().placed_at < timezone.now() - dt.timedelta(days=365)

    revenue, margin = defaultdict(Decimal), defaultdict(Decimal)
    for customer, amount, cost in Order.objects.filter(status="completed").values_list(
        "customer_id", "total_amount", "total_cost"
    ):
        revenue[customer] += amount
        margin[customer] += amount - cost
    ranked = sorted(revenue.values(), reverse=True)
    top = ranked[: max(1, len(ranked) // 10)]
    assert sum(top) > Decimal("0.3") * sum(ranked)
    orders_per_customer = Counter(Order.objects.values_list("customer_id", flat=True))
    assert statistics.median(orders_per_customer.values()) <= 3
    assert max(orders_per_customer.values()) >= 40
    assert 1 <= sum(1 for m in margin.values() if m < 0) <= 5
    # Some products sell at a thin margin.
    thin = [p for p in CATALOGUE if p.cost / p.price > Decimal("0.85")]
    assert len(thin) >= 3


def test_interactions_cover_every_channel_in_the_customers_languages(demo):
    # The history's own; tickets' messages and ideas told to their requesters are the rest.
    interactions = Interaction.objects.select_related("customer", "user").filter(
        external_id__startswith="demo-"
    )
    assert demo.history.interactions_added == interactions.count()
    told = IdeaRequester.objects.filter(told_at__isnull=False).count()
    of_tickets = Interaction.objects.filter(ticket__isnull=False).count()
    assert Interaction.objects.count() == interactions.count() + of_tickets + told
    assert set(interactions.values_list("channel", flat=True)) == set(Channel.values)
    directions = Counter(interactions.values_list("direction", flat=True))
    assert directions["inbound"] > 0.3 * interactions.count()
    assert directions["outbound"] > 0.3 * interactions.count()
    assert not interactions.filter(occurred_at__gt=timezone.now()).exists()
    assert not interactions.filter(user__isnull=True).exists()
    assert set(interactions.values_list("user__email", flat=True)) <= set(
        User.objects.filter(email__endswith="@demo.patron.example").values_list("email", flat=True)
    )
    assert interactions.exclude(outcome="").count() == interactions.count()
    assert interactions.exclude(sentiment="").exists()
    assert interactions.filter(organization__isnull=False).exists()
    summaries = {lang: {k.summary[lang] for k in KINDS.values()} for lang in LANGUAGES}
    seen = set()
    for language, summary in interactions.values_list("customer__language", "summary"):
        assert summary in summaries[language]
        seen.add(language)
    assert seen == set(LANGUAGES)
    for language, script in SCRIPTS.items():
        sample = interactions.filter(customer__language=language).first()
        assert re.search(script, sample.summary + sample.reason + sample.outcome), language
    # Every demo customer has a history; a couple have hundreds of events, so the
    # timeline scrolls.
    demo_customers = Customer.objects.filter(identifiers__system="demo").exclude(
        identifiers__value__endswith="-dup"
    )
    assert not demo_customers.filter(interactions__isnull=True).exists()
    busiest = (
        Customer.objects.annotate(n=Count("interactions")).order_by("-n").values_list("pk", "n")[:2]
    )
    for pk, interactions_count in busiest:
        events = interactions_count + sum(
            model.objects.filter(customer_id=pk).count() for model in (Order, Note, Task, Answer)
        )
        assert events >= 200


def test_questions_answers_notes_and_tasks(demo):
    questions = {q.key: q for q in Question.objects.all()}
    assert len(questions) >= 8
    assert {q.answer_type for q in questions.values()} == {"choice", "text", "number", "date"}
    assert any(q.applies_to_kind == "organization" for q in questions.values())
    assert any(q.applies_to_stages for q in questions.values())
    assert len({q.priority for q in questions.values()}) == len(questions)
    answers = Answer.objects.select_related("question", "customer")
    assert answers.count() == demo.history.answers_added > 30
    assert answers.filter(skipped=True).exists() and answers.filter(skipped=False).exists()
    assert answers.filter(interaction__isnull=False).exists()
    for answer in answers:
        assert applies_to(answer.question, answer.customer, set())
        assert answer.answered_at <= timezone.now()
    assert Customer.objects.filter(answers__isnull=True).exists()  # not everyone answered

    mention = Notification.objects.filter(kind="mention").select_related("recipient").first()
    assert mention is not None
    handle = "@" + mention.recipient.email.split("@")[0]
    note = Note.objects.filter(mentions=mention.recipient, body__contains=handle).first()
    assert note is not None and note.customer_id == mention.customer_id
    notes = list(Note.objects.values_list("created_at", flat=True))
    assert min(notes) < timezone.now() - dt.timedelta(days=60)  # not all written today

    manager = User.objects.get(email="manager@demo.patron.example")
    views = {v: task_list(viewer=manager, view=v).count() for v in ("overdue", "today", "upcoming")}
    views["done"] = task_list(viewer=manager, view="done").count()
    assert views["overdue"] and views["today"] > views["overdue"] and views["upcoming"]
    assert views["done"]
    for agent in User.objects.filter(role="agent"):
        for view in ("overdue", "today", "upcoming"):
            assert task_list(viewer=agent, assignee_id=agent.pk, view=view).exists(), view
    now = timezone.now()
    open_tasks = Task.objects.filter(status="open")
    assert not open_tasks.filter(remind_at__isnull=True).exists()
    assert open_tasks.filter(remind_at__lt=F("due_at")).exists()  # a day or hours ahead
    # Reminders that came due before the demo existed count as sent; later ones will go.
    assert not open_tasks.filter(remind_at__lte=now, reminded_at__isnull=True).exists()
    assert open_tasks.filter(remind_at__gt=now, reminded_at__isnull=True).exists()
    done = Task.objects.filter(status="done")
    assert not done.filter(completed_at__isnull=True).exists()
    assert done.filter(completed_at__lt=now - dt.timedelta(days=30)).exists()
    assert Notification.objects.filter(kind="task_assigned").exists()


def test_loading_again_adds_nothing_and_a_top_up_only_the_new(demo):
    before = _counts()
    again = demo_load(customers=CUSTOMERS)
    assert _counts() == before
    assert again.orders_added == again.history.interactions_added == 0
    assert again.history.tasks_added == again.history.notes_added == 0

    old = dict(Customer.objects.annotate(n=Count("interactions")).values_list("pk", "n"))
    more = demo_load(customers=CUSTOMERS + 12)
    assert more.customers_added == 12 and more.history.interactions_added > 12
    now = dict(Customer.objects.annotate(n=Count("interactions")).values_list("pk", "n"))
    assert {pk: now[pk] for pk in old} == old
    new = set(now) - set(old)
    assert len(new) == 12 and all(now[pk] for pk in new)


def test_a_customers_orders_do_not_depend_on_the_run(demo):
    customer = Order.objects.order_by("pk").first().customer
    key = customer.identifiers.get(system="demo").value
    moment = timezone.now()
    first = demo_orders_plan(customer, key, now=moment)
    assert first and first == demo_orders_plan(customer, key, now=moment)
    assert demo_orders_plan(customer, key, now=moment, seed=8) != first
