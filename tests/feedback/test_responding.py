"""Taking answers: validation per question, score and band, the snapshot of owner, team
and tier, the answered invitation, the roll-up, the employee told, one answer only."""

import datetime as dt

import pytest
from django.db import connection  # noqa: F401 - read by the skipif below
from django.utils import timezone

from patron.analytics.models import CustomerMetrics
from patron.core.errors import NotFound, PermissionDenied, ValidationFailed
from patron.feedback.models import Invitation, Question, Response, ResponseRollup, Trigger
from patron.feedback.responding import (
    AlreadyAnswered,
    LinkExpired,
    band_for,
    response_enter,
    submit_response,
)
from patron.interactions.models import Notification
from tests.factories import UserFactory
from tests.feedback.factories import InvitationFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

FAV, NEU, UNF = "favourable", "neutral", "unfavourable"


@pytest.mark.parametrize(
    ("kind", "bands"),
    [
        ("nps", {0: UNF, 6: UNF, 7: NEU, 8: NEU, 9: FAV, 10: FAV}),
        ("csat", {1: UNF, 2: UNF, 3: NEU, 4: FAV, 5: FAV}),
        ("ces", {1: FAV, 2: FAV, 3: NEU, 5: NEU, 6: UNF, 7: UNF}),
    ],
)
def test_bands(kind, bands):
    for score, band in bands.items():
        assert band_for(kind, score) == band, (kind, score)
    assert band_for(kind, None) == ""


@pytest.fixture
def rich_survey():
    survey = SurveyFactory(kind="csat")
    QuestionFactory(survey=survey, key="where", kind=Question.Kind.CHOICE, choices=["web", "store"])
    QuestionFactory(survey=survey, key="ease", kind=Question.Kind.SCALE, scale_min=1, scale_max=4)
    QuestionFactory(survey=survey, key="idea", kind=Question.Kind.TEXT, required=True)
    return survey


def errors_of(invitation, answers, comment=""):
    with pytest.raises(ValidationFailed) as caught:
        submit_response(invitation=invitation, answers=answers, comment=comment)
    return caught.value.details


def test_each_question_is_checked_and_errors_are_keyed_by_question(rich_survey, north_customer):
    invitation = InvitationFactory(survey=rich_survey, customer=north_customer)
    details = errors_of(
        invitation,
        {"score": "6", "where": "phone", "ease": "5", "idea": "", "nope": "1"},
        comment="x" * 2001,
    )
    assert set(details) == {"score", "where", "ease", "idea", "nope", "comment"}
    assert "1 to 5" in details["score"][0]
    assert "1 to 4" in details["ease"][0]
    assert details["idea"] == ["Please answer this question."]
    assert "2000" in details["comment"][0]
    # Nothing was kept, the invitation is still open.
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.responded_at is None


@pytest.mark.parametrize("bad", ["abc", "7.5", True, 3.0, "", None, [5], "99999999999999"])
def test_a_score_must_be_a_whole_number_in_range(bad, north_customer):
    invitation = InvitationFactory(customer=north_customer)
    assert "score" in errors_of(invitation, {"score": bad})


def test_ces_and_text_limits(north_customer):
    survey = SurveyFactory(kind="ces")
    QuestionFactory(survey=survey, key="more", kind=Question.Kind.TEXT)
    invitation = InvitationFactory(survey=survey, customer=north_customer)
    assert set(errors_of(invitation, {"score": 8, "more": "y" * 2001})) == {"score", "more"}
    assert set(errors_of(invitation, {"score": 0})) == {"score"}
    assert set(errors_of(invitation, {"score": 4, "more": "a\x00b"})) == {"more"}


def test_a_response_keeps_its_score_band_and_the_moment(rich_survey, north, agent, north_customer):
    CustomerMetrics.objects.create(customer=north_customer, value_tier="core")
    colleague = UserFactory(email="colleague@example.com", teams=[north])
    invitation = InvitationFactory(
        survey=rich_survey,
        customer=north_customer,
        language="ar",
        trigger=Trigger.TICKET_RESOLVED,
        about_user=colleague,
    )
    at = timezone.now().replace(microsecond=0)
    response = submit_response(
        invitation=invitation,
        answers={"score": "4", "where": "store", "ease": 2, "idea": "  Open on Sundays  "},
        comment="  Friendly staff.\r\n",
        client="203.0.113.9",
        now=at,
    )
    assert (response.score, response.band) == (4, FAV)
    assert response.answers == {"score": 4, "where": "store", "ease": 2, "idea": "Open on Sundays"}
    assert response.comment == "Friendly staff."
    assert (response.owner, response.team, response.value_tier) == (agent, north, "core")
    assert (response.trigger, response.language, response.submitted_at) == (
        Trigger.TICKET_RESOLVED,
        "ar",
        at,
    )
    assert response.loop == "" and response.follow_up_ticket is None
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.RESPONDED
    assert invitation.responded_at == at and invitation.opened_at == at
    # Counted in the results' roll-ups in the same transaction.
    everyone = ResponseRollup.objects.get(survey=rich_survey, dimension="all")
    assert (everyone.responses, everyone.score_sum, everyone.favourable) == (1, 4, 1)
    # The employee the feedback was about sees it.
    (note,) = Notification.objects.filter(recipient=colleague)
    assert note.kind == Notification.Kind.FEEDBACK
    assert "4" in note.text and "Friendly staff." in note.text
    assert note.customer == north_customer


def test_an_invitation_is_answered_once(north_customer):
    invitation = InvitationFactory(customer=north_customer)
    submit_response(invitation=invitation, answers={"score": 9})
    with pytest.raises(AlreadyAnswered):
        submit_response(invitation=invitation, answers={"score": 1})
    # Even from a stale copy read before the first answer.
    assert Response.objects.count() == 1


def test_a_stale_copy_of_an_answered_invitation_is_refused(north_customer):
    invitation = InvitationFactory(customer=north_customer)
    stale = Invitation.objects.get(pk=invitation.pk)
    submit_response(invitation=invitation, answers={"score": 9})
    with pytest.raises(AlreadyAnswered):
        submit_response(invitation=stale, answers={"score": 2})
    assert Response.objects.count() == 1
    assert ResponseRollup.objects.get(dimension="all").responses == 1


def test_an_expired_invitation_is_refused_to_the_customer(north_customer):
    invitation = InvitationFactory(
        customer=north_customer, expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(LinkExpired):
        submit_response(invitation=invitation, answers={"score": 9})


def test_staff_enter_a_paper_response_even_after_expiry(agent, north_customer):
    invitation = InvitationFactory(
        customer=north_customer, expires_at=timezone.now() - dt.timedelta(days=2)
    )
    response = response_enter(actor=agent, invitation=invitation, answers={"score": 10})
    assert response.invitation == invitation and response.band == FAV


def test_staff_enter_a_response_for_a_customer_without_invitation(agent, north_customer):
    survey = SurveyFactory()
    response = response_enter(
        actor=agent, survey=survey, customer=north_customer, answers={"score": "8"}
    )
    assert response.invitation is None and response.trigger == Trigger.MANUAL
    assert response.band == NEU
    with pytest.raises(ValidationFailed):
        response_enter(actor=agent, survey=survey, customer=north_customer, answers={})


def test_staff_need_to_be_able_to_change_the_customer(viewer, other_agent, north_customer):
    survey = SurveyFactory()
    with pytest.raises(PermissionDenied):
        response_enter(actor=viewer, survey=survey, customer=north_customer, answers={"score": 5})
    with pytest.raises((PermissionDenied, NotFound)):
        response_enter(
            actor=other_agent, survey=survey, customer=north_customer, answers={"score": 5}
        )
    assert not Response.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="SQLite serialises writers itself; the row lock is PostgreSQL's to prove",
)
def test_two_simultaneous_answers_record_one(north_customer):
    import threading

    from django.db import connection as thread_connection

    invitation = InvitationFactory(customer=north_customer)
    barrier = threading.Barrier(2)
    outcomes = []

    def send(score):
        try:
            barrier.wait()
            submit_response(
                invitation=Invitation.objects.get(pk=invitation.pk), answers={"score": score}
            )
            outcomes.append("recorded")
        except AlreadyAnswered:
            outcomes.append("already")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=send, args=(s,)) for s in (2, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already", "recorded"]
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert ResponseRollup.objects.get(dimension="all").responses == 1
