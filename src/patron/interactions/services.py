"""Every write to the conversation with a customer: interactions, notes with mentions,
tasks, answers to the question bank and notifications. Validated, visibility-checked
(through the customer), in one transaction, audited on the customer."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from patron.accounts.models import User
from patron.core import visibility
from patron.core.audit import audit_create, audit_delete, audit_record, audit_update, snapshot
from patron.core.errors import Conflict, NotFound, ValidationFailed
from patron.core.models import AuditEntry
from patron.core.sanitize import clean_html
from patron.core.validation import model_validate
from patron.interactions.models import (
    Answer,
    Channel,
    Interaction,
    Note,
    Notification,
    Question,
    Task,
)

if TYPE_CHECKING:
    from patron.customers.models import Customer

INTERACTION_FIELDS = (
    "channel",
    "direction",
    "occurred_at",
    "user",
    "summary",
    "body",
    "reason",
    "device",
    "outcome",
    "sentiment",
    "organization",
)
TASK_FIELDS = ("title", "description", "due_at", "assignee", "priority", "remind_at", "customer")
QUESTION_FIELDS = (
    "key",
    "text",
    "help_text",
    "answer_type",
    "choices",
    "applies_to_kind",
    "applies_to_stages",
    "applies_to_tags",
    "priority",
    "active",
    "ask_again_after_days",
)
# Logged in the future by more than this is a typo, not a plan (plans are tasks).
FUTURE_SLACK = dt.timedelta(days=1)
MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


def _refuse_unknown(fields: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            details={name: [_("Not a field of this record.")] for name in unknown},
        )


def _audit_on_customer(actor: User | None, customer: Customer, field: str, new: Any) -> None:
    audit_record(
        actor, AuditEntry.Action.UPDATE, customer, [{"field": field, "old": None, "new": new}]
    )


# --- Interactions ---------------------------------------------------------------------------


def _check_interaction(interaction: Interaction) -> None:
    interaction.summary = (interaction.summary or "").strip()
    interaction.body = clean_html(interaction.body or "")
    errors: dict[str, list[str]] = {}
    if not interaction.summary:
        errors["summary"] = [_("Say in a few words what it was about.")]
    if interaction.occurred_at and interaction.occurred_at > timezone.now() + FUTURE_SLACK:
        errors["occurred_at"] = [
            _("This is in the future; an interaction is logged once it happened.")
        ]
    organization = interaction.organization
    if organization is not None and not organization.is_organization:
        errors["organization"] = [_("This customer is not an organization.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], details=errors)
    model_validate(interaction, exclude=["customer", "user", "organization", "external_id"])


def interaction_log(
    *, actor: User, customer: Customer, external_id: str | None = None, **fields: Any
) -> tuple[Interaction, bool]:
    """Log an interaction with `customer`; with an `external_id` already known, update that
    one instead (idempotent ingestion). Returns (interaction, created)."""
    _refuse_unknown(fields, INTERACTION_FIELDS)
    visibility.require_write(actor, customer)
    external_id = (external_id or "").strip() or None
    if external_id is not None:
        existing = Interaction.objects.filter(external_id=external_id).first()
        if existing is not None:
            if existing.customer_id != customer.pk:
                raise Conflict(
                    _("Interaction %(id)s belongs to another customer.") % {"id": external_id},
                    details={"external_id": [_("Already used for another customer.")]},
                )
            return interaction_update(actor=actor, interaction=existing, **fields), False
    fields.setdefault("user", actor if actor.pk else None)
    interaction = Interaction(customer=customer, external_id=external_id, **fields)
    _check_interaction(interaction)
    with transaction.atomic():
        try:
            with transaction.atomic():
                interaction.save()
        except IntegrityError as exc:
            raise Conflict(
                _("An interaction with this external id already exists."),
                details={"external_id": [_("Already used.")]},
            ) from exc
        _audit_on_customer(actor, customer, "interaction", interaction.summary)
    return interaction, True


def interaction_update(*, actor: User, interaction: Interaction, **fields: Any) -> Interaction:
    _refuse_unknown(fields, INTERACTION_FIELDS)
    visibility.require_write(actor, interaction.customer)
    before = snapshot(interaction)
    for name, value in fields.items():
        setattr(interaction, name, value)
    _check_interaction(interaction)
    with transaction.atomic():
        interaction.save()
        audit_update(actor=actor, instance=interaction, before=before)
    return interaction


def interaction_delete(*, actor: User, interaction: Interaction) -> None:
    visibility.require_write(actor, interaction.customer)
    with transaction.atomic():
        audit_delete(actor=actor, instance=interaction)
        interaction.delete()


# --- Notes and mentions -------------------------------------------------------------------


def mentioned_users(body: str) -> list[User]:
    """The colleagues a text mentions as @name (the part of their email before the @) or
    @email; ValidationFailed names every mention that matches nobody or several."""
    handles = list(dict.fromkeys(m.group(1).rstrip(".").lower() for m in MENTION.finditer(body)))
    if not handles:
        return []
    users = list(User.objects.filter(is_active=True))
    by_email = {u.email.lower(): u for u in users}
    found: list[User] = []
    unknown: list[str] = []
    for handle in handles:
        user = by_email.get(handle)
        if user is None:
            matches = [u for e, u in by_email.items() if e.split("@", 1)[0] == handle]
            user = matches[0] if len(matches) == 1 else None
        if user is None:
            unknown.append("@" + handle)
        elif user not in found:
            found.append(user)
    if unknown:
        message = _("No single colleague goes by %(names)s: write @ and their email.") % {
            "names": ", ".join(unknown)
        }
        raise ValidationFailed(message, details={"body": [message]})
    return found


def _notify(
    *,
    recipients: Iterable[User],
    kind: str,
    text: str,
    customer: Customer | None,
    actor: User | None,
) -> None:
    url = reverse("customers:detail", args=[customer.pk]) if customer is not None else ""
    Notification.objects.bulk_create(
        Notification(
            recipient=user, kind=kind, text=text[:300], url=url, customer=customer, actor=actor
        )
        for user in recipients
        if actor is None or user.pk != actor.pk
    )


def note_add(*, actor: User, customer: Customer, body: str) -> Note:
    visibility.require_write(actor, customer)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Write the note first."), details={"body": [_("Required.")]})
    note = Note(customer=customer, author=actor if actor.pk else None, body=body)
    model_validate(note, exclude=["customer", "author"])
    people = mentioned_users(body)
    with transaction.atomic():
        note.save()
        note.mentions.set(people)
        _audit_on_customer(actor, customer, "note", body[:200])
        _notify(
            recipients=people,
            kind=Notification.Kind.MENTION,
            text=_("%(who)s mentioned you about %(customer)s: %(text)s")
            % {"who": actor.display_name, "customer": customer.display_name, "text": body[:150]},
            customer=customer,
            actor=actor,
        )
    return note


def note_delete(*, actor: User, note: Note) -> None:
    visibility.require_write(actor, note.customer)
    if note.author_id != actor.pk and not visibility.sees_everything(actor):
        raise visibility.PermissionDenied(_("Only its author or a manager can delete a note."))
    with transaction.atomic():
        audit_delete(actor=actor, instance=note)
        note.delete()


def notifications_mark_read(*, actor: User, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them without `ids`)."""
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


# --- Tasks ----------------------------------------------------------------------------------


def _check_task(actor: User, task: Task) -> None:
    task.title = (task.title or "").strip()
    errors: dict[str, list[str]] = {}
    if not task.title:
        errors["title"] = [_("Give the task a title.")]
    assignee = task.assignee
    if assignee is not None and not assignee.is_active:
        errors["assignee"] = [_("This user is deactivated.")]
    elif (
        assignee is not None
        and task.customer is not None
        and not visibility.can_read(assignee, task.customer)
    ):
        errors["assignee"] = [
            _("%(user)s cannot see this customer; choose someone of its team.")
            % {"user": assignee.display_name}
        ]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], details=errors)
    model_validate(
        task, exclude=["customer", "assignee", "created_by", "completed_by", "source_key"]
    )


def _require_task_write(actor: User, task: Task) -> None:
    """A task on a customer follows the customer's rule; a task of nobody's customer is
    its creator's and its assignee's (and a manager's)."""
    if task.customer_id is not None:
        visibility.require_write(actor, task.customer)
        return
    if not visibility.can_write_any(actor):
        raise visibility.PermissionDenied(_("Your role does not allow changes."))
    if actor.pk not in (task.assignee_id, task.created_by_id) and not visibility.sees_everything(
        actor
    ):
        raise NotFound(_("Not found."))


def task_create(
    *,
    actor: User | None,
    title: str,
    customer: Customer | None = None,
    source: str = Task.Source.MANUAL,
    source_key: str | None = None,
    **fields: Any,
) -> Task:
    """A new task; by default for the actor, reminded when it falls due. With a
    `source_key` already used, the existing task is returned (a signal raises it once)."""
    _refuse_unknown(fields, TASK_FIELDS)
    if actor is not None:
        if customer is not None:
            visibility.require_write(actor, customer)
        else:
            visibility.require_create(actor)
    if source_key:
        existing = Task.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    fields.setdefault("assignee", actor)
    task = Task(
        title=title,
        customer=customer,
        created_by=actor,
        source=source,
        source_key=source_key or None,
        **fields,
    )
    if task.remind_at is None and task.due_at is not None:
        task.remind_at = task.due_at
    _check_task(actor, task)
    with transaction.atomic():
        task.save()
        if customer is not None:
            _audit_on_customer(actor, customer, "task", task.title)
        else:
            audit_create(actor=actor, instance=task)
        if task.assignee is not None:
            _notify(
                recipients=[task.assignee],
                kind=Notification.Kind.TASK_ASSIGNED,
                text=_("New task for you: %(title)s") % {"title": task.title},
                customer=customer,
                actor=actor,
            )
    return task


def _check_version(task: Task, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != task.version:
        raise Conflict(
            _("Someone changed this task meanwhile; reload it and try again."),
            details={"version": [str(task.version)]},
        )


def task_update(
    *, actor: User, task: Task, expected_version: int | None = None, **fields: Any
) -> Task:
    _refuse_unknown(fields, (*TASK_FIELDS, "status"))
    _require_task_write(actor, task)
    _check_version(task, expected_version)
    before = snapshot(task)
    assignee_before = task.assignee_id
    for name, value in fields.items():
        setattr(task, name, value)
    if "due_at" in fields and "remind_at" not in fields:
        task.remind_at = task.due_at
    if "due_at" in fields or "remind_at" in fields:
        task.reminded_at = None  # a new date earns a new reminder
    if "status" in fields:
        if task.status == Task.Status.OPEN:
            task.completed_at = task.completed_by = None
        elif before["status"] == Task.Status.OPEN:
            task.completed_at, task.completed_by = timezone.now(), actor
    _check_task(actor, task)
    with transaction.atomic():
        task.version += 1
        task.save()
        audit_update(actor=actor, instance=task, before=before)
        if task.assignee is not None and task.assignee_id != assignee_before:
            _notify(
                recipients=[task.assignee],
                kind=Notification.Kind.TASK_ASSIGNED,
                text=_("%(who)s gave you a task: %(title)s")
                % {"who": actor.display_name, "title": task.title},
                customer=task.customer,
                actor=actor,
            )
    return task


def task_complete(*, actor: User, task: Task) -> Task:
    return task_update(actor=actor, task=task, status=Task.Status.DONE)


def task_reopen(*, actor: User, task: Task) -> Task:
    return task_update(actor=actor, task=task, status=Task.Status.OPEN)


def task_snooze(*, actor: User, task: Task, until: dt.datetime) -> Task:
    """Put an open task off to `until` (its due time and its reminder move together)."""
    if not task.is_open:
        raise ValidationFailed(
            _("Only an open task can be snoozed."), details={"status": [task.status]}
        )
    if until <= timezone.now():
        raise ValidationFailed(
            _("Snooze to a time in the future."), details={"until": [_("In the past.")]}
        )
    return task_update(actor=actor, task=task, due_at=until, remind_at=until)


def task_reassign(*, actor: User, task: Task, assignee: User | None) -> Task:
    return task_update(actor=actor, task=task, assignee=assignee)


def task_delete(*, actor: User, task: Task) -> None:
    _require_task_write(actor, task)
    with transaction.atomic():
        audit_delete(actor=actor, instance=task)
        task.delete()


def tasks_mark_reminded(task_ids: Iterable[int], at: dt.datetime) -> int:
    return Task.objects.filter(pk__in=list(task_ids), reminded_at__isnull=True).update(
        reminded_at=at
    )


# --- The question bank ----------------------------------------------------------------------


def _check_question(question: Question) -> None:
    question.text = (question.text or "").strip()
    question.key = (question.key or "").strip().lower()
    question.choices = [str(c).strip() for c in (question.choices or []) if str(c).strip()]
    question.applies_to_stages = sorted(set(question.applies_to_stages or []))
    question.applies_to_tags = sorted({str(t).strip() for t in question.applies_to_tags or []})
    errors: dict[str, list[str]] = {}
    if question.answer_type == Question.AnswerType.CHOICE and len(question.choices) < 2:
        errors["choices"] = [_("A choice question needs at least two choices.")]
    if question.answer_type != Question.AnswerType.CHOICE and question.choices:
        question.choices = []
    if len(set(question.choices)) != len(question.choices):
        errors["choices"] = [_("Each choice can appear only once.")]
    from patron.customers.models import Customer

    unknown = set(question.applies_to_stages) - set(Customer.Lifecycle.values)
    if unknown:
        errors["applies_to_stages"] = [
            _("Unknown lifecycle stage: %(stages)s.") % {"stages": ", ".join(sorted(unknown))}
        ]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], details=errors)
    model_validate(question)
    clash = Question.objects.filter(key=question.key).exclude(pk=question.pk).exists()
    if clash:
        raise ValidationFailed(
            _("Another question already uses the key “%(key)s”.") % {"key": question.key},
            details={"key": [_("Already used.")]},
        )


def question_save(*, actor: User, question: Question | None = None, **fields: Any) -> Question:
    """Create (no `question`) or change a question of the bank; admins only."""
    visibility.require_admin(actor)
    _refuse_unknown(fields, QUESTION_FIELDS)
    creating = question is None
    question = question or Question()
    before = {} if creating else snapshot(question)
    for name, value in fields.items():
        setattr(question, name, value)
    _check_question(question)
    with transaction.atomic():
        question.save()
        if creating:
            audit_create(actor=actor, instance=question)
        else:
            audit_update(actor=actor, instance=question, before=before)
    return question


def question_delete(*, actor: User, question: Question) -> None:
    """Questions with answers are retired (inactive), so the answers keep their meaning."""
    visibility.require_admin(actor)
    with transaction.atomic():
        if question.answers.exists():
            before = snapshot(question)
            question.active = False
            question.save()
            audit_update(actor=actor, instance=question, before=before)
        else:
            audit_delete(actor=actor, instance=question)
            question.delete()


def answer_value_clean(question: Question, value: Any) -> str:
    """The answer in its stored form, or ValidationFailed saying what the question expects."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValidationFailed(
            _("Give an answer, or record that the customer would rather not say."),
            details={"value": [_("Required.")]},
        )
    kind = question.answer_type
    if kind == Question.AnswerType.CHOICE:
        match = next((c for c in question.choices if c.casefold() == text.casefold()), None)
        if match is None:
            raise ValidationFailed(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(question.choices)},
                details={"value": [_("Not one of the choices.")]},
            )
        return match
    if kind == Question.AnswerType.NUMBER:
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation as exc:
            raise ValidationFailed(
                _("Write a number, such as 12 or 3.5."), details={"value": [_("Not a number.")]}
            ) from exc
        if not number.is_finite():
            raise ValidationFailed(_("Write a number."), details={"value": [_("Not a number.")]})
        # Bounded before it is written out: "1e999999" would be a million digits, more
        # than the answer's column holds.
        written = format(number.normalize(), "f") if abs(number.adjusted()) <= 60 else ""
        if not written or len(written) > 100:
            raise ValidationFailed(
                _("This number is too large or too precise."),
                details={"value": [_("Out of range.")]},
            )
        return written
    if kind == Question.AnswerType.DATE:
        day = parse_date(text) if len(text) == 10 else None
        if day is None:
            raise ValidationFailed(
                _("Write a date as YYYY-MM-DD."), details={"value": [_("Not a date.")]}
            )
        return day.isoformat()
    if len(text) > 500:
        raise ValidationFailed(_("At most 500 characters."), details={"value": [_("Too long.")]})
    return text


def answer_record(
    *,
    actor: User,
    customer: Customer,
    question: Question,
    value: Any = None,
    skipped: bool = False,
    channel: str = "",
    interaction: Interaction | None = None,
    answered_at: dt.datetime | None = None,
) -> Answer:
    """Record what the customer answered (or that they would rather not say: `skipped`)."""
    visibility.require_write(actor, customer)
    if channel and channel not in Channel.values:
        raise ValidationFailed(
            _("Unknown channel “%(channel)s”.") % {"channel": channel},
            details={"channel": [_("Choose among: %(c)s.") % {"c": ", ".join(Channel.values)}]},
        )
    stored = "" if skipped else answer_value_clean(question, value)
    answer = Answer(
        customer=customer,
        question=question,
        value=stored,
        skipped=skipped,
        channel=channel or (interaction.channel if interaction else ""),
        interaction=interaction,
        answered_by=actor if actor.pk else None,
        answered_at=answered_at or timezone.now(),
    )
    with transaction.atomic():
        answer.save()
        _audit_on_customer(actor, customer, f"answer:{question.key}", None if skipped else stored)
    return answer


def interaction_with_answers(
    *,
    actor: User,
    customer: Customer,
    answers: Iterable[tuple[Question, Any, bool]] = (),
    **fields: Any,
) -> Interaction:
    """Log an interaction and the answers heard during it, all or nothing."""
    with transaction.atomic():
        interaction, _created = interaction_log(actor=actor, customer=customer, **fields)
        for question, value, skipped in answers:
            try:
                answer_record(
                    actor=actor,
                    customer=customer,
                    question=question,
                    value=value,
                    skipped=skipped,
                    interaction=interaction,
                    answered_at=interaction.occurred_at,
                )
            except ValidationFailed as exc:
                # Said per question, so the form shows it under the right one.
                raise ValidationFailed(
                    f"{question.text}: {exc.message}",
                    details={f"answer_{question.key}": [exc.message]},
                ) from exc
    return interaction
