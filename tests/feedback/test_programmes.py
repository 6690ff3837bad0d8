"""Programmes: early adopters join and leave; a promoter flagged as a reference gets the
membership and, when the trust stage counts it, the "advocate" tag; the customer card."""

import pytest
from django.urls import reverse

from patron.analytics.selectors import current_settings
from patron.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from patron.feedback import ideas, programmes
from patron.feedback.models import ProgrammeMembership
from tests.feedback.factories import SurveyFactory
from tests.feedback.results_helpers import make_response

pytestmark = pytest.mark.django_db


def test_early_adopter_join_and_leave(agent, viewer, north_customer):
    membership = programmes.programme_join(
        actor=agent, customer=north_customer, note="Asked for beta access"
    )
    assert membership.programme == "early_adopter" and membership.added_by == agent
    with pytest.raises(Conflict):
        programmes.programme_join(actor=agent, customer=north_customer)
    with pytest.raises(PermissionDenied):
        programmes.programme_leave(actor=viewer, customer=north_customer, programme="early_adopter")
    programmes.programme_leave(actor=agent, customer=north_customer, programme="early_adopter")
    assert not ProgrammeMembership.objects.exists()
    with pytest.raises(NotFound):
        programmes.programme_leave(actor=agent, customer=north_customer, programme="early_adopter")
    with pytest.raises(ValidationFailed):
        programmes.programme_join(actor=agent, customer=north_customer, programme="vip")


def test_someone_elses_customer_is_not_found(agent, south_customer):
    with pytest.raises(NotFound):
        programmes.programme_join(actor=agent, customer=south_customer)


def test_reference_from_a_promoter_adds_the_advocate_tag(agent, north_customer):
    promoter = make_response(SurveyFactory(), north_customer, 10, comment="Love it")
    membership = programmes.reference_flag(actor=agent, response=promoter)
    assert membership.programme == "reference" and membership.response == promoter
    promoter.refresh_from_db()
    assert promoter.reference_flagged_at is not None
    assert list(north_customer.tags.values_list("name", flat=True)) == ["advocate"]
    # Again: nothing new.
    programmes.reference_flag(actor=agent, response=promoter)
    assert ProgrammeMembership.objects.filter(programme="reference").count() == 1
    assert north_customer.tags.count() == 1


def test_no_advocate_tag_when_trust_does_not_count_it(agent, north_customer):
    settings = current_settings()
    settings.trust_tags = ["referral"]
    settings.save()
    promoter = make_response(SurveyFactory(), north_customer, 9)
    programmes.reference_flag(actor=agent, response=promoter)
    assert not north_customer.tags.exists()


def test_only_a_promoter_can_be_a_reference(agent, north_customer):
    passive = make_response(SurveyFactory(), north_customer, 8)
    with pytest.raises(ValidationFailed):
        programmes.reference_flag(actor=agent, response=passive)


def test_customer_card_lazy_and_join(client, agent, north_customer, south_customer):
    make_response(SurveyFactory(name="After support"), north_customer, 3, comment="Too slow")
    idea = ideas.idea_create(actor=agent, title="Faster replies")
    ideas.requester_add(actor=agent, idea=idea, customer_id=north_customer.pk)
    client.force_login(agent)
    page = client.get(reverse("customers:detail", args=[north_customer.pk]))
    assert reverse("ideas:customer_card", args=[north_customer.pk]) in page.content.decode()
    card = client.get(reverse("ideas:customer_card", args=[north_customer.pk]))
    body = card.content.decode()
    assert card.status_code == 200
    assert "After support" in body and "Too slow" in body and "Faster replies" in body
    # Survey name and date isolated: in RTL "1/12/2026" would be torn apart by the "·".
    assert "<bdi>After support</bdi>" in body
    assert 'dir="auto">“Too slow”' in body
    assert 'data-testid="join-early-adopter"' in body
    joined = client.post(
        reverse("ideas:customer_programme", args=[north_customer.pk]),
        {"action": "join"},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-testid="badge-early-adopter"' in joined.content.decode()
    assert client.get(reverse("ideas:customer_card", args=[south_customer.pk])).status_code == 404
