"""Survey responses on the customer's timeline: the score with its band, the survey, the
reason given, and where the closed loop stands (with its follow-up ticket).

Registered when this module is imported (feedback/apps.py ready())."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from patron.feedback.models import Response
from patron.interactions.timeline import TimelineKind, register_timeline_kind


def describe_response(response: Response) -> dict[str, Any]:
    return {
        "title": response.survey.name,
        "text": response.comment,
        "survey_id": response.survey_id,
        "score": response.score,
        "band": response.band or None,
        "loop": response.loop or None,
        "follow_up_ticket_id": response.follow_up_ticket_id,
        "loop_closed_at": response.loop_closed_at.isoformat() if response.loop_closed_at else None,
        "user": response.owner.email if response.owner is not None else None,
    }


def register() -> None:
    register_timeline_kind(
        TimelineKind(
            key="survey_response",
            label=_("Survey responses"),
            model=Response,
            template="feedback/timeline/response.html",
            occurred_field="submitted_at",
            # The owner at the time of the answer: "responses to my customers".
            user_field="owner",
            select_related=("survey", "owner"),
            icon="chat-heart",
            describe=describe_response,
        )
    )


register()
