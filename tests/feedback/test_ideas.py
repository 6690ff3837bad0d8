"""Ideas: created from answers, tickets or by staff; votes once per user; status changes;
requesters; telling customers by real SMTP, with consent refusals reported."""

import pytest

from patron.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from patron.customers.models import Channel, Consent, ContactPoint, Purpose
from patron.feedback import ideas
from patron.feedback.models import Idea, IdeaRequester
from patron.interactions.models import Interaction
from tests.factories import CustomerFactory
from tests.feedback.factories import SurveyFactory
from tests.feedback.results_helpers import make_response
from tests.mail import smtp_inbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _customer(team, owner, *, email="ani@example.com", language="", consent=None, **kw):
    customer = CustomerFactory(team=team, owner=owner, language=language, **kw)
    if email:
        ContactPoint.objects.create(
            customer=customer, kind=ContactPoint.Kind.EMAIL, value=email, search_value=email
        )
    if consent:
        Consent.objects.create(
            customer=customer, channel=Channel.EMAIL, purpose=Purpose.SERVICE, status=consent
        )
    return customer


def test_idea_from_a_survey_answer(agent, north_customer):
    response = make_response(SurveyFactory(), north_customer, 6, comment="Please add gift wrap")
    idea = ideas.idea_create(actor=agent, response=response, tags=["Packaging"])
    assert idea.source == Idea.Source.SURVEY and idea.response == response
    assert idea.title == "Please add gift wrap" and idea.body == "Please add gift wrap"
    assert list(idea.requesters.values_list("customer_id", flat=True)) == [north_customer.pk]
    assert [t.name for t in idea.tags.all()] == ["Packaging"]


def test_idea_by_staff_is_validated(agent, viewer):
    with pytest.raises(ValidationFailed) as error:
        ideas.idea_create(actor=agent, title="   ")
    assert "title" in error.value.details
    with pytest.raises(PermissionDenied):
        ideas.idea_create(actor=viewer, title="A viewer's idea")


def test_idea_from_someone_elses_answer_is_not_found(agent, south_customer):
    response = make_response(SurveyFactory(), south_customer, 6, comment="x")
    with pytest.raises(NotFound):
        ideas.idea_create(actor=agent, response=response)


def test_votes_once_per_user_and_toggle(agent, manager, viewer):
    idea = ideas.idea_create(actor=agent, title="Dark mode")
    idea, voted = ideas.idea_vote(actor=agent, idea=idea)
    assert voted and idea.votes == 1
    idea, voted = ideas.idea_vote(actor=agent, idea=idea)
    assert not voted and idea.votes == 1  # a second vote counts nothing
    idea, _voted = ideas.idea_vote(actor=viewer, idea=idea)  # any staff member may vote
    assert idea.votes == 2
    idea, now_voting = ideas.idea_vote_toggle(actor=agent, idea=idea)
    assert now_voting is False and idea.votes == 1
    idea, now_voting = ideas.idea_vote_toggle(actor=manager, idea=idea)
    assert now_voting is True and idea.votes == 2
    assert idea.vote_set.count() == 2
    idea, removed = ideas.idea_unvote(actor=agent, idea=idea)
    assert not removed and idea.votes == 2


def test_status_change_stamps_and_versions(agent):
    idea = ideas.idea_create(actor=agent, title="Refill packs")
    assert idea.status_changed_at is None
    changed = ideas.idea_update(actor=agent, idea=idea, status="planned", expected_version=1)
    assert changed.status == "planned" and changed.status_changed_at is not None
    assert changed.version == 2
    with pytest.raises(Conflict):
        ideas.idea_update(actor=agent, idea=changed, title="Stale", expected_version=1)
    with pytest.raises(ValidationFailed):
        ideas.idea_update(actor=agent, idea=changed, status="someday")


def test_requesters_add_and_remove(agent, north_customer, south_customer):
    idea = ideas.idea_create(actor=agent, title="Tea subscriptions")
    _row, added = ideas.requester_add(actor=agent, idea=idea, customer_id=north_customer.pk)
    assert added
    _row, added = ideas.requester_add(actor=agent, idea=idea, customer_id=north_customer.pk)
    assert not added
    with pytest.raises(NotFound):
        ideas.requester_add(actor=agent, idea=idea, customer_id=south_customer.pk)
    ideas.requester_remove(actor=agent, idea=idea, customer_id=north_customer.pk)
    assert not idea.requesters.exists()
    with pytest.raises(NotFound):
        ideas.requester_remove(actor=agent, idea=idea, customer_id=north_customer.pk)


def test_tell_the_customers(smtp_inbox, north, agent):  # noqa: F811
    english = _customer(north, agent, email="ani@example.com", given_name="Ani")
    arabic = _customer(north, agent, email="sara@example.com", language="ar", given_name="Sara")
    refused = _customer(north, agent, email="no@example.com", consent=Consent.Status.WITHDRAWN)
    no_email = _customer(north, agent, email=None)
    idea = ideas.idea_create(actor=agent, title="Gift wrap")
    for customer in (english, arabic, refused, no_email):
        ideas.requester_add(actor=agent, idea=idea, customer_id=customer.pk)
    with pytest.raises(ValidationFailed):
        ideas.idea_tell(actor=agent, idea=idea)  # still new: nothing to tell
    idea = ideas.idea_update(actor=agent, idea=idea, status="done")
    report = ideas.idea_tell(actor=agent, idea=idea)
    assert (report.sent, report.skipped) == (2, 2)
    reasons = {o.customer_id: o.code for o in report.outcomes if not o.sent}
    assert reasons == {refused.pk: "no_consent", no_email.pk: "unreachable"}
    by_address = {m["To"]: m for m in smtp_inbox.messages}
    assert set(by_address) == {"ani@example.com", "sara@example.com"}
    assert "Gift wrap" in by_address["ani@example.com"]["Subject"]
    assert "Hello Ani" in by_address["ani@example.com"].get_content()
    assert "Done" in by_address["ani@example.com"]["Subject"]
    assert "Gift wrap" in by_address["sara@example.com"].get_content()
    told = IdeaRequester.objects.get(idea=idea, customer=english)
    assert told.told_status == "done" and told.told_at is not None
    logged = Interaction.objects.get(customer=english)
    assert logged.direction == "outbound" and logged.channel == "email"
    # Telling again sends nothing new to those already told of this status.
    again = ideas.idea_tell(actor=agent, idea=idea)
    assert again.sent == 0 and len(smtp_inbox.messages) == 2


def test_tell_reports_a_mail_server_failure(settings, north, agent):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    customer = _customer(north, agent)
    idea = ideas.idea_create(actor=agent, title="Faster delivery")
    ideas.requester_add(actor=agent, idea=idea, customer_id=customer.pk)
    idea = ideas.idea_update(actor=agent, idea=idea, status="planned")
    report = ideas.idea_tell(actor=agent, idea=idea)
    assert report.sent == 0 and report.outcomes[0].code == "failed"
    row = IdeaRequester.objects.get(idea=idea)
    assert row.told_status == "" and not Interaction.objects.filter(customer=customer).exists()


def test_list_filters_and_sorts(agent, manager):
    a = ideas.idea_create(actor=agent, title="A", tags=["app"])
    b = ideas.idea_create(actor=agent, title="B")
    ideas.idea_vote(actor=agent, idea=b)
    assert [i.title for i in ideas.idea_list(sort="votes")] == ["B", "A"]
    assert [i.title for i in ideas.idea_list(sort="newest")] == ["B", "A"]
    assert [i.title for i in ideas.idea_list(tag="app")] == ["A"]
    ideas.idea_update(actor=agent, idea=a, status="planned")
    assert [i.title for i in ideas.idea_list(status="planned")] == ["A"]
    with pytest.raises(ValidationFailed):
        list(ideas.idea_list(sort="colour"))


def test_idea_from_a_ticket(agent, north_customer):
    from patron.service.services import ticket_create

    ticket = ticket_create(
        actor=agent, customer=north_customer, subject="Please sell refills", body="Refills?"
    )
    idea = ideas.idea_create(actor=agent, ticket=ticket)
    assert idea.source == Idea.Source.TICKET and idea.title == "Please sell refills"
    assert idea.requesters.get().customer == north_customer
