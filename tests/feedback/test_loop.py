"""The closed loop: a low score opens a follow-up ticket for the owner due within 24 h;
the loop closes only when an agent's reply reaches the customer; its time to close is
measured."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.analytics.models import Signal
from patron.feedback.loop import loop_summary, open_loops
from patron.feedback.models import Response
from patron.feedback.responding import submit_response
from patron.interactions.models import Task
from patron.service.models import Ticket, TicketPriority, TicketType
from patron.service.services import ticket_note, ticket_reply, ticket_resolve
from tests.feedback.factories import InvitationFactory, SurveyFactory, surveyable_customer
from tests.mail import smtp_inbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(north, agent):
    return surveyable_customer(
        email="ani@example.com", team=north, owner=agent, given_name="Ani", family_name="Nor"
    )


def answer(customer, kind, score, comment="", **invitation):
    survey = SurveyFactory(kind=kind, name=f"After delivery {kind} {score}")
    return submit_response(
        invitation=InvitationFactory(survey=survey, customer=customer, **invitation),
        answers={"score": score},
        comment=comment,
    )


def test_a_detractor_opens_a_ticket_for_the_owner_due_within_a_day(customer, agent):
    response = answer(customer, "nps", 3, comment="The parcel came broken.")
    assert response.loop == Response.Loop.OPEN
    ticket = response.follow_up_ticket
    assert ticket is not None
    assert ticket.owner == agent and ticket.team == customer.team
    assert ticket.customer == customer
    assert (ticket.type, ticket.priority, ticket.channel, ticket.source) == (
        TicketType.COMPLAINT,
        TicketPriority.NORMAL,
        "web",
        "survey",
    )
    assert ticket.subject == "Follow up: NPS 3 from After delivery nps 3"
    first = ticket.messages.get()
    assert "Score: 3 (NPS, 0 to 10)" in first.body and "The parcel came broken." in first.body
    # Due within 24 hours of the answer, around the clock.
    assert ticket.first_response_due_at is not None
    assert ticket.first_response_due_at <= response.submitted_at + dt.timedelta(hours=24)
    # A detractor signal with a task for the owner.
    signal = Signal.objects.get(customer=customer, kind=Signal.Kind.DETRACTOR)
    assert signal.details["score"] == 3 and signal.details["response_id"] == response.pk
    assert signal.task.assignee == agent and signal.task.status == Task.Status.OPEN


@pytest.mark.parametrize(
    ("kind", "score", "opens"),
    [
        ("nps", 6, True),
        ("nps", 7, False),
        ("csat", 2, True),
        ("csat", 3, False),
        ("ces", 6, True),
        ("ces", 5, False),
    ],
)
def test_which_scores_open_a_loop(customer, kind, score, opens):
    response = answer(customer, kind, score)
    assert (response.loop == Response.Loop.OPEN) is opens
    assert (response.follow_up_ticket_id is not None) is opens
    assert Ticket.objects.filter(customer=customer).exists() is opens
    # Only NPS detractors raise the detractor signal.
    raised = Signal.objects.filter(customer=customer, kind=Signal.Kind.DETRACTOR).exists()
    assert raised is (opens and kind == "nps")


def test_the_loop_closes_when_the_agent_answers_the_customer(
    customer,
    agent,
    smtp_inbox,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    response = answer(customer, "nps", 2, comment="Nobody called back.")
    ticket = Ticket.objects.get(pk=response.follow_up_ticket_id)
    # A note to colleagues or a resolution without a word does not close it.
    ticket_note(actor=agent, ticket=ticket, body="Calling her this afternoon.")
    response.refresh_from_db()
    assert response.loop == Response.Loop.OPEN
    with django_capture_on_commit_callbacks(execute=True):  # the reply is mailed on commit
        ticket_reply(actor=agent, ticket=ticket, body="I am sorry: a new parcel leaves today.")
    response.refresh_from_db()
    assert response.loop == Response.Loop.CLOSED
    assert response.loop_closed_at is not None
    time_to_close = response.loop_closed_at - response.submitted_at
    assert dt.timedelta(0) <= time_to_close < dt.timedelta(minutes=5)
    # The customer really was answered, by email.
    (mail,) = smtp_inbox.messages
    assert mail["To"] == "ani@example.com"
    assert "a new parcel leaves today" in mail.get_body().get_content()
    # The detractor episode ends with it.
    signal = Signal.objects.get(customer=customer, kind=Signal.Kind.DETRACTOR)
    assert signal.cleared_at is not None
    summary = loop_summary(survey=response.survey)
    assert (summary.opened, summary.open, summary.closed) == (1, 0, 1)
    assert abs(summary.median_time_to_close - time_to_close) < dt.timedelta(milliseconds=5)


def test_resolving_without_a_reply_leaves_the_loop_open(customer, agent):
    response = answer(customer, "csat", 1)
    ticket = Ticket.objects.get(pk=response.follow_up_ticket_id)
    ticket_resolve(
        actor=agent, ticket=ticket, root_cause="Late courier", prevention_note="Other courier"
    )
    response.refresh_from_db()
    assert response.loop == Response.Loop.OPEN


def test_loop_summary_counts_open_overdue_closed_and_times_to_close(customer, agent, south):
    now = timezone.now()
    survey = SurveyFactory(kind="nps")

    def loop(hours_ago, closed_after_hours=None):
        response = submit_response(
            invitation=InvitationFactory(survey=survey, customer=customer),
            answers={"score": 1},
            now=now - dt.timedelta(hours=hours_ago),
        )
        if closed_after_hours is not None:
            Response.objects.filter(pk=response.pk).update(
                loop=Response.Loop.CLOSED,
                loop_closed_at=response.submitted_at + dt.timedelta(hours=closed_after_hours),
            )
        return response

    loop(30)  # open, overdue
    loop(2)  # open, in time
    loop(50, closed_after_hours=1)
    loop(40, closed_after_hours=5)
    loop(48, closed_after_hours=30)
    submit_response(  # no loop: a promoter
        invitation=InvitationFactory(survey=survey, customer=customer), answers={"score": 10}
    )
    summary = loop_summary(survey=survey, now=now)
    assert (summary.opened, summary.open, summary.overdue, summary.closed) == (5, 2, 1, 3)
    assert summary.median_time_to_close == dt.timedelta(hours=5)
    assert summary.p90_time_to_close == dt.timedelta(hours=30)
    assert summary.closed_share == pytest.approx(0.6)
    # Since: only the recent ones.
    recent = loop_summary(survey=survey, since=now - dt.timedelta(hours=45), now=now)
    assert (recent.opened, recent.open, recent.closed) == (3, 2, 1)
    # Several surveys at once.
    other = SurveyFactory(kind="csat")
    submit_response(
        invitation=InvitationFactory(survey=other, customer=customer), answers={"score": 1}
    )
    assert loop_summary(survey=[survey, other.pk], now=now).opened == 6
    assert loop_summary(survey=[other], now=now).opened == 1
    # Nothing: no median.
    assert loop_summary(survey=SurveyFactory(), now=now).median_time_to_close is None
    # The open loops an agent sees, oldest first; none for another team's agent.
    assert [r.submitted_at for r in open_loops(viewer=agent)] == sorted(
        r.submitted_at for r in open_loops(viewer=agent)
    )
    assert len(open_loops(viewer=agent, overdue_only=True, now=now)) == 1
    from tests.factories import UserFactory

    stranger = UserFactory(email="s@example.com", role="agent", teams=[south])
    assert loop_summary(viewer=stranger, now=now).opened == 0


def test_the_response_is_on_the_customer_timeline(client, customer, agent):
    from django.urls import reverse

    from patron.interactions.timeline import customer_timeline, filters_from

    response = answer(customer, "nps", 4, comment="Too slow.")
    page = customer_timeline(customer, filters=filters_from(kinds=["survey_response"]))
    assert [event.object for event in page.events] == [response]
    event = page.events[0]
    assert event.kind.describe(event.object)["loop"] == "open"
    client.force_login(agent)
    html = client.get(
        reverse("interactions:customer_timeline", args=[customer.pk]) + "?kind=survey_response"
    ).content.decode()
    assert "After delivery nps 4" in html and "Too slow." in html
    assert 'data-band="unfavourable"' in html
    assert reverse("service:ticket", args=[response.follow_up_ticket_id]) in html
    assert "Follow-up open" in html


def test_a_customer_without_owner_still_gets_a_follow_up_for_the_team(north):
    nobody = surveyable_customer(email="x@example.com", team=north, owner=None)
    response = answer(nobody, "ces", 7)
    ticket = response.follow_up_ticket
    assert response.loop == Response.Loop.OPEN
    assert ticket.owner is None and ticket.team == north


@pytest.mark.parametrize("leaver", ["deactivated", "viewer"])
def test_an_owner_who_cannot_answer_tickets_does_not_refuse_the_customer(north, agent, leaver):
    """The owner left (deactivated) or only reads: the answer is still recorded and the
    follow-up goes to the team, unassigned (the ticket services refuse such an owner)."""
    if leaver == "deactivated":
        agent.is_active = False
        agent.save(update_fields=["is_active"])
    else:
        agent.role = "viewer"
        agent.save(update_fields=["role"])
    customer = surveyable_customer(email="left@example.com", team=north, owner=agent)
    response = answer(customer, "nps", 2)
    ticket = response.follow_up_ticket
    assert response.loop == Response.Loop.OPEN
    assert ticket.owner is None and ticket.team == north


def test_the_follow_up_says_when_in_the_owners_time_zone(customer, agent):
    import zoneinfo

    from django.utils import formats

    agent.time_zone = "Asia/Tokyo"
    agent.save(update_fields=["time_zone"])
    customer.refresh_from_db()
    response = answer(customer, "nps", 1)
    body = response.follow_up_ticket.messages.get().body

    def shown(zone: str) -> str:
        when = timezone.localtime(response.submitted_at, zoneinfo.ZoneInfo(zone))
        return formats.date_format(when, "DATETIME_FORMAT")

    assert shown("Asia/Tokyo") in body and shown("UTC") not in body
