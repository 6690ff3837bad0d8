"""Every read of the conversation with a customer that a view, the API or a job shares,
with the visibility rule applied: records follow their customer's visibility."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.errors import NotFound
from patron.core.visibility import visible_through
from patron.interactions.models import Answer, Interaction, Note, Notification, Question, Task

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.customers.models import Customer
    from patron.interactions.timeline import TimelinePage

QUESTIONS_PER_CONTACT = 2


def _get(viewer: User, queryset: models.QuerySet, pk: Any) -> Any:
    if not visibility.is_record_id(pk):
        raise NotFound(_("Not found."))
    row = queryset.filter(visible_through(viewer, "customer"), pk=pk).first()
    if row is None:
        raise NotFound(_("Not found."))
    return row


# --- Interactions and notes -----------------------------------------------------------------


def interaction_list(
    *,
    viewer: User,
    customer_id: int | None = None,
    channel: str = "",
    direction: str = "",
    user_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> models.QuerySet[Interaction]:
    rows = Interaction.objects.filter(visible_through(viewer, "customer"))
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    if channel:
        rows = rows.filter(channel=channel)
    if direction:
        rows = rows.filter(direction=direction)
    if user_id:
        rows = rows.filter(user_id=user_id)
    if since:
        rows = rows.filter(occurred_at__gte=since)
    if until:
        rows = rows.filter(occurred_at__lt=until)
    return rows.select_related("customer", "user", "organization").order_by("-occurred_at", "-id")


def interaction_get(*, viewer: User, interaction_id: Any) -> Interaction:
    return _get(
        viewer,
        Interaction.objects.select_related("customer", "user", "organization"),
        interaction_id,
    )


def note_get(*, viewer: User, note_id: Any) -> Note:
    return _get(viewer, Note.objects.select_related("customer", "author"), note_id)


# --- Tasks ---------------------------------------------------------------------------------


def _visible_tasks(viewer: User) -> models.QuerySet[Task]:
    """Tasks on customers the viewer sees, and tasks of no customer that are theirs."""
    mine = models.Q(customer__isnull=True) & (
        models.Q(assignee=viewer) | models.Q(created_by=viewer)
    )
    if visibility.sees_everything(viewer):
        return Task.objects.all()
    return Task.objects.filter(
        (models.Q(customer__isnull=False) & visible_through(viewer, "customer")) | mine
    )


TASK_VIEWS = ("open", "overdue", "today", "upcoming", "done", "all")


def task_list(
    *,
    viewer: User,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    view: str = "open",
    now: dt.datetime | None = None,
) -> models.QuerySet[Task]:
    """Tasks by view: open (all open), overdue, today (due by the end of the viewer's
    day, overdue included), upcoming (due later or undated), done, all."""
    now = now or timezone.now()
    rows = _visible_tasks(viewer)
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    end_of_day = dt.datetime.combine(
        timezone.localtime(now).date() + dt.timedelta(days=1),
        dt.time.min,
        tzinfo=timezone.get_current_timezone(),
    )
    open_tasks = models.Q(status=Task.Status.OPEN)
    if view == "open":
        rows = rows.filter(open_tasks)
    elif view == "overdue":
        rows = rows.filter(open_tasks, due_at__lt=now)
    elif view == "today":
        rows = rows.filter(open_tasks, due_at__lt=end_of_day)
    elif view == "upcoming":
        rows = rows.filter(open_tasks).filter(
            models.Q(due_at__gte=end_of_day) | models.Q(due_at__isnull=True)
        )
    elif view == "done":
        rows = rows.exclude(open_tasks)
    rows = rows.select_related("customer", "assignee")
    if view == "done":
        return rows.order_by("-completed_at", "-id")
    return rows.order_by(models.F("due_at").asc(nulls_last=True), "-priority", "id")


def task_get(*, viewer: User, task_id: Any) -> Task:
    if not visibility.is_record_id(task_id):
        raise NotFound(_("Not found."))
    task = _visible_tasks(viewer).select_related("customer", "assignee").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("Not found."))
    return task


MINE = object()  # task_counts' default: the viewer's own tasks


def task_counts(
    *, viewer: User, assignee_id: Any = MINE, now: dt.datetime | None = None
) -> dict[str, int]:
    """How many open tasks there are, and how many of them are overdue: the viewer's own
    by default, someone else's with `assignee_id`, every visible one with None."""
    now = now or timezone.now()
    rows = _visible_tasks(viewer).filter(status=Task.Status.OPEN)
    if assignee_id is MINE:
        rows = rows.filter(assignee=viewer)
    elif assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    counts = rows.aggregate(
        open=models.Count("id"), overdue=models.Count("id", filter=models.Q(due_at__lt=now))
    )
    return {"open": counts["open"] or 0, "overdue": counts["overdue"] or 0}


def reminders_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[Task]:
    now = now or timezone.now()
    return list(
        Task.objects.filter(
            status=Task.Status.OPEN,
            reminded_at__isnull=True,
            remind_at__lte=now,
            assignee__isnull=False,
            assignee__is_active=True,
        )
        .select_related("assignee", "customer")
        .order_by("remind_at", "id")[:limit]
    )


# --- Notifications ------------------------------------------------------------------------


def notification_list(*, viewer: User, unread_only: bool = False) -> models.QuerySet:
    rows = Notification.objects.filter(recipient=viewer).select_related("actor", "customer")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def unread_notification_count(*, viewer: User) -> int:
    return Notification.objects.filter(recipient=viewer, read_at__isnull=True).count()


# --- The question bank and answers ----------------------------------------------------------


def question_list(*, active_only: bool = False) -> models.QuerySet[Question]:
    rows = Question.objects.all()
    if active_only:
        rows = rows.filter(active=True)
    return rows.order_by("-priority", "id")


def question_get(*, question_id: Any = None, key: str = "") -> Question:
    rows = Question.objects.all()
    if key:
        question = rows.filter(key=key).first()
    elif visibility.is_record_id(question_id):
        question = rows.filter(pk=question_id).first()
    else:
        question = None
    if question is None:
        raise NotFound(_("Not found."))
    return question


def answer_history(*, customer: Customer) -> models.QuerySet[Answer]:
    return (
        Answer.objects.filter(customer=customer)
        .select_related("question", "answered_by")
        .order_by("-answered_at", "-id")
    )


def latest_answers(customer: Customer) -> dict[int, Answer]:
    """The newest answer (or skip) of `customer` to each question, by question id."""
    latest: dict[int, Answer] = {}
    for answer in answer_history(customer=customer):
        latest.setdefault(answer.question_id, answer)
    return latest


def applies_to(question: Question, customer: Customer, tags: set[str]) -> bool:
    if question.applies_to_kind and question.applies_to_kind != customer.kind:
        return False
    if question.applies_to_stages and customer.lifecycle_stage not in question.applies_to_stages:
        return False
    wanted = {t.casefold() for t in question.applies_to_tags}
    return not wanted or bool(wanted & {t.casefold() for t in tags})


def is_settled(question: Question, answer: Answer | None, now: dt.datetime) -> bool:
    """Whether asking `question` again now would be asking what we already know (or what
    the customer told us recently they would rather not say)."""
    if answer is None:
        return False
    age = now - answer.answered_at
    if answer.skipped:
        return age < dt.timedelta(days=settings.PATRON_QUESTION_SKIP_DAYS)
    if question.ask_again_after_days is None:
        return True
    return age < dt.timedelta(days=question.ask_again_after_days)


def questions_to_ask(
    customer: Customer,
    *,
    latest: dict[int, Answer] | None = None,
    tags: set[str] | None = None,
    limit: int = QUESTIONS_PER_CONTACT,
    now: dt.datetime | None = None,
) -> list[Question]:
    """The highest-priority questions worth asking `customer` at the next contact: never
    one answered (unless its answer has aged out) or skipped recently; at most `limit`."""
    now = now or timezone.now()
    latest = latest_answers(customer) if latest is None else latest
    tags = {t.name for t in customer.tags.all()} if tags is None else tags
    proposed = []
    for question in question_list(active_only=True):
        if not applies_to(question, customer, tags):
            continue
        if is_settled(question, latest.get(question.pk), now):
            continue
        proposed.append(question)
        if len(proposed) >= limit:
            break
    return proposed


# --- The pre-contact brief -----------------------------------------------------------------


@dataclass
class Promise:
    """Something we owe the customer: an open task, later an open ticket."""

    kind: str
    title: str
    due_at: dt.datetime | None
    url: str = ""
    overdue: bool = False


# Apps that owe customers things (tickets, later) add a reader here:
#   register_promises(lambda customer, now: [Promise(...), ...])
_PROMISE_READERS: list[Callable[[Customer, dt.datetime], list[Promise]]] = []
PROMISES_SHOWN = 3


def register_promises(reader: Callable[[Customer, dt.datetime], list[Promise]]) -> None:
    _PROMISE_READERS.append(reader)


def _open_tasks(customer: Customer, now: dt.datetime) -> list[Promise]:
    tasks = Task.objects.filter(customer=customer, status=Task.Status.OPEN).order_by(
        models.F("due_at").asc(nulls_last=True), "-priority", "id"
    )[: PROMISES_SHOWN + 1]
    return [
        Promise("task", task.title, task.due_at, overdue=task.is_overdue(now)) for task in tasks
    ]


@dataclass
class Value:
    orders: int = 0
    # [(currency, revenue)] largest first; most bases have one currency.
    revenue: list[tuple[str, Any]] = field(default_factory=list)
    last_order_at: dt.datetime | None = None


@dataclass
class Brief:
    customer: Customer
    last_interaction: Interaction | None
    promises: list[Promise]
    more_promises: bool
    known: list[Answer]
    value: Value
    questions: list[Question]


def customer_value(customer: Customer, now: dt.datetime) -> Value:
    """Orders and revenue in the last 12 months (completed orders), in one query."""
    from patron.commerce.selectors import value_last_12_months

    return Value(**value_last_12_months(customer, now))


def _last_interaction(customer: Customer, timeline: TimelinePage | None) -> Interaction | None:
    """The newest interaction: read off the first page of the unfiltered timeline when the
    caller has it (the customer page does), else one query. For an organization that is
    the last contact with it or any of its people, as on its timeline."""
    if timeline is not None:
        for event in timeline.events:
            if event.kind.key == "interaction":
                return event.object
        if timeline.next_cursor is None:
            return None
    scope = models.Q(customer=customer)
    if customer.is_organization:
        from patron.customers.models import Membership

        people = Membership.objects.filter(organization=customer).values("person_id")
        scope |= models.Q(customer_id__in=people)
    return (
        Interaction.objects.filter(scope)
        .select_related("user")
        .order_by("-occurred_at", "-id")
        .first()
    )


def brief(
    *, customer: Customer, now: dt.datetime | None = None, timeline: TimelinePage | None = None
) -> Brief:
    """The five lines to read before contacting `customer` (who the caller may see): when
    and how we last spoke, what we owe them, what we know, what they are worth, and what
    to ask next. `timeline`: the first page of the customer's unfiltered timeline, if the
    caller has read it."""
    now = now or timezone.now()
    last = _last_interaction(customer, timeline)
    promises = _open_tasks(customer, now)
    for reader in _PROMISE_READERS:
        promises.extend(reader(customer, now))
    promises.sort(key=lambda p: (p.due_at is None, p.due_at or now))
    latest = latest_answers(customer)
    known = sorted(
        (a for a in latest.values() if not a.skipped and a.question.active),
        key=lambda a: (-a.question.priority, a.question_id),
    )
    return Brief(
        customer=customer,
        last_interaction=last,
        promises=promises[:PROMISES_SHOWN],
        more_promises=len(promises) > PROMISES_SHOWN,
        known=known,
        value=customer_value(customer, now),
        questions=questions_to_ask(customer, latest=latest, now=now),
    )
