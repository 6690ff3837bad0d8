"""The survey pages: list, create, edit (questions, languages), detail with invitations,
send to a segment (preview, confirm), link invitation from the customer page."""

import pytest
from django.test import Client
from django.urls import reverse

from patron.feedback.models import Invitation, Question, Survey, SurveyVersion
from patron.feedback.tokens import make_token
from tests.feedback.factories import (
    InvitationFactory,
    SurveyFactory,
    static_segment,
    surveyable_customer,
)

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_empty_list_invites_to_create_the_first_survey(manager):
    response = client_for(manager).get(reverse("feedback:surveys"))
    assert response.status_code == 200
    assert "Create your first survey" in response.content.decode()


def test_the_list_shows_counts_and_rate(manager, django_assert_max_num_queries):
    for i in range(5):
        survey = SurveyFactory(name=f"Survey {i}")
        InvitationFactory.create_batch(2, survey=survey)
    client = client_for(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("feedback:surveys"))
    page = response.content.decode()
    assert page.count('data-testid="survey-row"') == 5
    assert "0%" in page  # two sent, none answered


def test_create_then_edit_a_survey(manager):
    client = client_for(manager)
    response = client.post(
        reverse("feedback:create"),
        {
            "name": "After support",
            "kind": "ces",
            "default_language": "en",
            "trigger": "ticket_resolved",
            "cooldown_days": 30,
            "valid_days": 14,
        },
    )
    survey = Survey.objects.get(name="After support")
    assert response.status_code == 302
    assert survey.questions.get().kind == "ces"
    assert set(survey.versions.values_list("language", flat=True)) >= {"en", "ar", "he"}
    edit = client.get(reverse("feedback:edit", args=[survey.pk]))
    assert edit.status_code == 200
    page = edit.content.decode()
    assert 'data-testid="version-form-ar"' in page and 'dir="rtl"' in page
    assert 'id="id_v-ar-title"' in page and 'id="id_v-en-title"' in page
    assert 'data-testid="survey-preview"' in page
    # Each preview in its version's direction, also an English one in an Arabic interface.
    assert 'lang="en" dir="ltr" data-testid="survey-preview"' in page
    assert 'lang="ar" dir="rtl" data-testid="survey-preview"' in page
    added = client.post(
        reverse("feedback:question_add", args=[survey.pk]),
        {"key": "topic", "kind": "choice", "choices": "billing, delivery"},
    )
    assert added.status_code == 302
    assert Question.objects.get(survey=survey, key="topic").choices == ["billing", "delivery"]
    saved = client.post(
        reverse("feedback:version", args=[survey.pk, "en"]),
        {
            "v-en-title": "How easy was it?",
            "v-en-email_subject": "Quick question",
            "v-en-email_body": "Hi {name}: {link}",
            "v-en-q__score": "How easy was it?",
            "v-en-q__topic": "What was it about?",
            "v-en-c__topic__billing": "Billing",
            "v-en-c__topic__delivery": "Delivery",
        },
    )
    assert saved.status_code == 302
    version = SurveyVersion.objects.get(survey=survey, language="en")
    assert version.questions["topic"]["choices"] == {"billing": "Billing", "delivery": "Delivery"}
    refused = client.post(
        reverse("feedback:version", args=[survey.pk, "en"]),
        {"v-en-title": "T", "v-en-email_subject": "S", "v-en-email_body": "no link here"},
    )
    assert refused.status_code == 422
    assert "{link}" in refused.content.decode()
    added_language = client.post(
        reverse("feedback:version_add", args=[survey.pk]), {"language": "fr", "add": "1"}
    )
    assert added_language.status_code == 302
    assert survey.versions.filter(language="fr").exists()
    activated = client.post(reverse("feedback:status", args=[survey.pk]), {"status": "active"})
    assert activated.status_code == 302
    survey.refresh_from_db()
    assert survey.status == "active"


def test_a_bad_survey_form_shows_the_field_errors(manager):
    SurveyFactory(name="Taken")
    response = client_for(manager).post(
        reverse("feedback:create"),
        {
            "name": "taken",
            "kind": "nps",
            "default_language": "zz-nope-x",
            "trigger": "manual",
            "cooldown_days": 1,
            "valid_days": 1,
        },
    )
    assert response.status_code == 422
    assert "is-invalid" in response.content.decode()


def test_the_edit_page_shows_the_settings_form_and_its_errors(manager):
    # The language tabs' forms once took the settings form's name: the card was empty.
    survey = SurveyFactory(name="After delivery")
    client = client_for(manager)
    page = client.get(reverse("feedback:edit", args=[survey.pk])).content.decode()
    assert 'id="id_name"' in page and 'value="After delivery"' in page
    assert 'id="id_cooldown_days"' in page
    bad = client.post(
        reverse("feedback:edit", args=[survey.pk]),
        {"name": "", "kind": survey.kind, "default_language": "en", "trigger": "manual",
         "cooldown_days": 1, "valid_days": 1},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'id="id_name"' in bad.content.decode() and "is-invalid" in bad.content.decode()


def test_agents_read_but_cannot_edit(agent):
    survey = SurveyFactory()
    client = client_for(agent)
    assert client.get(reverse("feedback:surveys")).status_code == 200
    detail = client.get(reverse("feedback:detail", args=[survey.pk]))
    assert detail.status_code == 200
    assert reverse("feedback:edit", args=[survey.pk]) not in detail.content.decode()
    assert client.get(reverse("feedback:edit", args=[survey.pk])).status_code == 403
    assert client.get(reverse("feedback:create")).status_code == 403
    assert client.get(reverse("feedback:send", args=[survey.pk])).status_code == 403
    assert client.post(reverse("feedback:status", args=[survey.pk]), {"status": "archived"})
    survey.refresh_from_db()
    assert survey.status == "active"


def test_the_detail_lists_invitations_with_reasons(manager, django_assert_max_num_queries):
    survey = SurveyFactory()
    InvitationFactory.create_batch(10, survey=survey)
    InvitationFactory(survey=survey, status="skipped", skip_reason="No consent recorded.")
    client = client_for(manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("feedback:detail", args=[survey.pk]))
    page = response.content.decode()
    assert page.count('data-testid="invitation-row"') == 11
    assert "No consent recorded." in page
    assert 'data-testid="results-link"' in page
    skipped = client.get(reverse("feedback:detail", args=[survey.pk]) + "?status=skipped")
    assert skipped.content.decode().count('data-testid="invitation-row"') == 1


def test_send_to_a_segment_previews_then_confirms(manager):
    survey = SurveyFactory()
    segment = static_segment("Regulars", [surveyable_customer(), surveyable_customer(consent=None)])
    client = client_for(manager)
    assert client.get(reverse("feedback:send", args=[survey.pk])).status_code == 200
    preview = client.post(reverse("feedback:send", args=[survey.pk]), {"segment": segment.pk})
    page = preview.content.decode()
    assert 'data-testid="send-report"' in page
    assert 'data-testid="would-invite">1<' in page
    # Nobody is invited by a preview: the sample says who would be.
    assert "— To be invited" in page and "— Invited<" not in page
    assert not Invitation.objects.exists()
    confirmed = client.post(
        reverse("feedback:send", args=[survey.pk]), {"segment": segment.pk, "confirm": "1"}
    )
    assert confirmed.status_code == 302
    assert Invitation.objects.filter(status="pending").count() == 1
    assert Invitation.objects.filter(status="skipped").count() == 1


def test_a_link_invitation_from_the_customer_page(agent, north_customer, south_customer):
    survey = SurveyFactory(name="Shop visit")
    client = client_for(agent)
    url = reverse("feedback:invite") + f"?customer={north_customer.pk}"
    form = client.get(url).content.decode()
    assert "Shop visit" in form
    # The two ways as form-checks: bare radios overlapped their labels and the help text.
    assert form.count('class="form-check form-check-inline"') == 2
    made = client.post(
        reverse("feedback:invite"),
        {"customer": north_customer.pk, "survey": survey.pk, "via": "link"},
    )
    invitation = Invitation.objects.get()
    assert made.status_code == 200
    assert make_token(invitation) in made.content.decode()
    assert invitation.created_by_id == agent.pk
    hidden = client.get(reverse("feedback:invite") + f"?customer={south_customer.pk}")
    assert hidden.status_code == 404


def test_pages_render_in_arabic(manager):
    survey = SurveyFactory(languages=["en", "ar"])
    client = client_for(manager)
    manager.language = "ar"
    manager.save()
    for name in ("feedback:detail", "feedback:edit", "feedback:send"):
        response = client.get(reverse(name, args=[survey.pk]))
        assert response.status_code == 200, name
        assert 'dir="rtl"' in response.content.decode()
