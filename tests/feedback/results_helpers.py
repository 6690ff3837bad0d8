"""Responses made for the results, ideas and programme tests: saved as the public page
saves them (score, band, the owner/team/tier of the moment) and counted in the
roll-ups with the real `rollup_add`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from patron.feedback.models import Response, Survey, Trigger
from patron.feedback.results import band_for, rollup_add


def make_response(
    survey: Survey,
    customer,
    score: int | None,
    *,
    at: dt.datetime | None = None,
    comment: str = "",
    trigger: str = Trigger.MANUAL,
    value_tier: str = "",
    rollup: bool = True,
) -> Response:
    with transaction.atomic():
        response = Response.objects.create(
            survey=survey,
            customer=customer,
            submitted_at=at or timezone.now(),
            language="en",
            score=score,
            band=band_for(survey.kind, score),
            comment=comment,
            answers={"score": score} if score is not None else {},
            trigger=trigger,
            owner_id=customer.owner_id,
            team_id=customer.team_id,
            value_tier=value_tier,
        )
        if rollup:
            rollup_add(response)
    return response
