"""The ideas pages: list with filters and empty state, create from an answer, detail,
vote (HTMX), status change and telling the customers."""

import pytest
from django.urls import reverse

from patron.customers.models import ContactPoint
from patron.feedback import ideas
from patron.feedback.models import Idea
from tests.feedback.factories import SurveyFactory
from tests.feedback.results_helpers import make_response
from tests.mail import smtp_inbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_empty_list(client, agent):
    client.force_login(agent)
    page = client.get(reverse("ideas:list"))
    assert page.status_code == 200 and 'data-testid="empty-state"' in page.content.decode()


def test_list_filters(client, agent):
    ideas.idea_create(actor=agent, title="Gift wrap", tags=["packaging"])
    planned = ideas.idea_create(actor=agent, title="Refills")
    ideas.idea_update(actor=agent, idea=planned, status="planned")
    client.force_login(agent)
    body = client.get(reverse("ideas:list"), {"status": "planned"}).content.decode()
    assert "Refills" in body and "Gift wrap" not in body
    body = client.get(reverse("ideas:list"), {"tag": "packaging"}).content.decode()
    assert "Gift wrap" in body and "Refills" not in body


def test_turn_an_answer_into_an_idea(client, agent, north_customer):
    response = make_response(SurveyFactory(), north_customer, 5, comment="Offer oat milk")
    client.force_login(agent)
    form = client.get(reverse("ideas:create"), {"response": response.pk})
    assert "Offer oat milk" in form.content.decode()
    # The title is required, and marked so like every other form's required fields.
    assert 'Title <span class="text-danger" aria-hidden="true">*</span>' in form.content.decode()
    saved = client.post(
        reverse("ideas:create"),
        {"response": response.pk, "title": "Oat milk", "body": "", "tags": "menu"},
    )
    idea = Idea.objects.get()
    assert saved.status_code == 302 and saved["Location"] == reverse("ideas:detail", args=[idea.pk])
    assert idea.source == "survey" and idea.requesters.get().customer == north_customer
    detail = client.get(saved["Location"]).content.decode()
    assert north_customer.display_name in detail


def test_vote_by_htmx(client, agent):
    idea = ideas.idea_create(actor=agent, title="Dark mode")
    client.force_login(agent)
    button = client.post(reverse("ideas:vote", args=[idea.pk]), HTTP_HX_REQUEST="true")
    assert 'aria-pressed="true"' in button.content.decode()
    button = client.post(reverse("ideas:vote", args=[idea.pk]), HTTP_HX_REQUEST="true")
    assert 'aria-pressed="false"' in button.content.decode()
    idea.refresh_from_db()
    assert idea.votes == 0


def test_status_change_then_tell(client, smtp_inbox, agent, north_customer):  # noqa: F811
    ContactPoint.objects.create(
        customer=north_customer,
        kind="email",
        value="ani@example.com",
        search_value="ani@example.com",
    )
    idea = ideas.idea_create(actor=agent, title="Weekend delivery")
    ideas.requester_add(actor=agent, idea=idea, customer_id=north_customer.pk)
    client.force_login(agent)
    client.post(
        reverse("ideas:update", args=[idea.pk]),
        {"title": idea.title, "body": "", "status": "done", "tags": "", "version": idea.version},
    )
    detail = client.get(reverse("ideas:detail", args=[idea.pk])).content.decode()
    assert 'data-testid="tell"' in detail
    told = client.post(reverse("ideas:tell", args=[idea.pk]))
    assert 'data-testid="tell-report"' in told.content.decode()
    assert [m["To"] for m in smtp_inbox.messages] == ["ani@example.com"]


def test_viewer_cannot_create(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("ideas:create")).status_code == 403
