"""Reads of surveys and invitations shared by the pages, the API and the CLI.

Surveys (their settings, questions and texts) are read by everyone signed in.
Invitations follow the visibility of their customer: an agent sees the invitations of
the customers they may see."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.errors import NotFound
from patron.core.text import search_text
from patron.feedback.models import Invitation, Question, Response, Survey, SurveyVersion

if TYPE_CHECKING:
    from patron.accounts.models import User

SENT_STATUSES = (Invitation.Status.SENT, Invitation.Status.RESPONDED)


def _reader(viewer: User | None) -> None:
    if not (viewer is not None and viewer.is_authenticated and viewer.is_active):
        raise NotFound(_("Not found."))


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("survey").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(rows: QuerySet[Survey]) -> QuerySet[Survey]:
    """Each survey with `sent_count` (invitations sent or answered) and
    `response_count`; one subquery each on the survey indexes."""
    return rows.annotate(
        sent_count=_count(
            Invitation.objects.filter(survey=OuterRef("pk"), status__in=SENT_STATUSES)
        ),
        response_count=_count(Response.objects.filter(survey=OuterRef("pk"))),
    )


def response_rate(survey: Survey) -> float | None:
    """Responses per invitation sent, as a share (None before any was sent)."""
    sent = getattr(survey, "sent_count", 0)
    return (getattr(survey, "response_count", 0) / sent) if sent else None


def survey_list(
    *, viewer: User | None, query: str = "", status: str = "", kind: str = ""
) -> QuerySet[Survey]:
    _reader(viewer)
    rows = Survey.objects.all()
    query = search_text(query)
    if query:
        rows = rows.filter(name__icontains=query)
    if status in Survey.Status.values:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    return with_counts(rows).order_by("name", "id")


def survey_get(*, viewer: User | None, survey_id: Any, counts: bool = False) -> Survey:
    """The survey with its questions and versions read along."""
    _reader(viewer)
    if not visibility.is_record_id(survey_id):
        raise NotFound(_("Not found."))
    rows = Survey.objects.filter(pk=int(survey_id)).prefetch_related("questions", "versions")
    if counts:
        rows = with_counts(rows)
    survey = rows.first()
    if survey is None:
        raise NotFound(_("Not found."))
    return survey


def question_get(*, survey: Survey, question_id: Any) -> Question:
    if not visibility.is_record_id(question_id):
        raise NotFound(_("Not found."))
    question = Question.objects.filter(survey=survey, pk=int(question_id)).first()
    if question is None:
        raise NotFound(_("Not found."))
    question.survey = survey
    return question


def version_get(*, survey: Survey, language: str) -> SurveyVersion:
    version = SurveyVersion.objects.filter(survey=survey, language__iexact=language).first()
    if version is None:
        raise NotFound(_("This survey has no version in %(code)s.") % {"code": language})
    return version


def close_names(name: str, names: list[str], limit: int = 5) -> list[str]:
    """Names like `name`: those containing it first, then the similar ones."""
    lowered = name.lower()
    containing = [n for n in names if lowered and lowered in n.lower()]
    similar = difflib.get_close_matches(name, names, n=limit, cutoff=0.5)
    return list(dict.fromkeys(containing + similar))[:limit]


def survey_find(text: str) -> Survey:
    """A survey by id or exact name (any case); NotFound lists close names."""
    text = str(text or "").strip()
    survey = None
    if text.isdigit() and visibility.is_record_id(text):
        survey = Survey.objects.filter(pk=int(text)).first()
    if survey is None:
        survey = Survey.objects.filter(name__iexact=text).first()
    if survey is None:
        names = list(Survey.objects.values_list("name", flat=True)[:1000])
        close = close_names(text, names)
        message = _("No survey “%(name)s”.") % {"name": text}
        if close:
            message += " " + _("Did you mean: %(names)s?") % {"names": ", ".join(close)}
        raise NotFound(message, details={"survey": close})
    return survey


def segment_find(text: str) -> Any:
    """A segment by id or exact name (any case); NotFound lists close names."""
    from patron.segments.models import Segment

    text = str(text or "").strip()
    segment = None
    if text.isdigit() and visibility.is_record_id(text):
        segment = Segment.objects.filter(pk=int(text)).first()
    if segment is None:
        segment = Segment.objects.filter(name__iexact=text).first()
    if segment is None:
        names = list(Segment.objects.values_list("name", flat=True)[:5000])
        close = close_names(text, names)
        message = _("No segment “%(name)s”.") % {"name": text}
        if close:
            message += " " + _("Did you mean: %(names)s?") % {"names": ", ".join(close)}
        raise NotFound(message, details={"segment": close})
    return segment


def invitation_list(
    *,
    viewer: User | None,
    survey: Survey | int | None = None,
    customer: Any = None,
    status: str = "",
    via: str = "",
) -> QuerySet[Invitation]:
    """Invitations newest first, of the customers `viewer` may see."""
    _reader(viewer)
    rows = Invitation.objects.filter(visibility.visible_through(viewer, "customer"))
    if survey is not None:
        rows = rows.filter(survey=survey)
    if customer is not None:
        rows = rows.filter(customer=customer)
    if status in Invitation.Status.values:
        rows = rows.filter(status=status)
    if via in Invitation.Via.values:
        rows = rows.filter(via=via)
    return rows.select_related("customer", "survey", "about_user").order_by("-created_at", "-id")


def invitation_get(*, viewer: User | None, invitation_id: Any) -> Invitation:
    _reader(viewer)
    if not visibility.is_record_id(invitation_id):
        raise NotFound(_("Not found."))
    invitation = (
        Invitation.objects.filter(visibility.visible_through(viewer, "customer"))
        .select_related("customer", "survey", "about_user")
        .filter(pk=int(invitation_id))
        .first()
    )
    if invitation is None:
        raise NotFound(_("Not found."))
    return invitation


def status_counts(survey: Survey) -> dict[str, int]:
    """Invitations of `survey` per status (one grouped query)."""
    rows = (
        Invitation.objects.filter(survey=survey)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    counts = dict.fromkeys(Invitation.Status.values, 0)
    counts.update(dict(rows))
    return counts


def active_surveys() -> QuerySet[Survey]:
    return Survey.objects.filter(status=Survey.Status.ACTIVE).order_by("name")
