"""The interactions app's own kinds of timeline event."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from patron.interactions.models import Answer, Interaction, Note, Task
from patron.interactions.timeline import TimelineKind, register_timeline_kind


def _user(user: Any) -> str | None:
    return user.email if user is not None else None


def describe_interaction(obj: Interaction) -> dict[str, Any]:
    return {
        "title": obj.summary,
        "text": obj.body,
        "channel": obj.channel,
        "direction": obj.direction,
        "user": _user(obj.user),
        "outcome": obj.outcome,
        "reason": obj.reason,
    }


def describe_note(obj: Note) -> dict[str, Any]:
    return {"title": obj.body[:120], "text": obj.body, "user": _user(obj.author)}


def describe_task(obj: Task) -> dict[str, Any]:
    return {
        "title": obj.title,
        "text": obj.description,
        "user": _user(obj.assignee),
        "status": obj.status,
        "due_at": obj.due_at.isoformat() if obj.due_at else None,
    }


def describe_answer(obj: Answer) -> dict[str, Any]:
    return {
        "title": obj.question.text,
        "text": "" if obj.skipped else obj.value,
        "skipped": obj.skipped,
        "channel": obj.channel or None,
        "user": _user(obj.answered_by),
    }


def register() -> None:
    for kind in (
        TimelineKind(
            key="interaction",
            label=_("Interactions"),
            model=Interaction,
            template="interactions/timeline/interaction.html",
            channel_field="channel",
            user_field="user",
            select_related=("user",),
            icon="chat-left-text",
            describe=describe_interaction,
        ),
        TimelineKind(
            key="note",
            label=_("Notes"),
            model=Note,
            template="interactions/timeline/note.html",
            occurred_field="created_at",
            user_field="author",
            select_related=("author",),
            icon="sticky",
            describe=describe_note,
        ),
        TimelineKind(
            key="task",
            label=_("Tasks"),
            model=Task,
            template="interactions/timeline/task.html",
            occurred_field="created_at",
            user_field="assignee",
            select_related=("assignee",),
            icon="check2-square",
            describe=describe_task,
        ),
        TimelineKind(
            key="answer",
            label=_("Answers"),
            model=Answer,
            template="interactions/timeline/answer.html",
            occurred_field="answered_at",
            channel_field="channel",
            user_field="answered_by",
            select_related=("question", "answered_by"),
            icon="patch-question",
            describe=describe_answer,
        ),
    ):
        register_timeline_kind(kind)
