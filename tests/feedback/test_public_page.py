"""The public answer page: no sign-in, the invitation's language (right-to-left too),
refused tokens explained with the right status, errors tied to their fields, one answer
per invitation, and the unsubscribe link."""

import datetime as dt
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patron.customers.contactability import can_contact
from patron.customers.models import Consent
from patron.feedback.models import Invitation, Question, Response
from patron.feedback.tokens import SALT, make_token
from tests.feedback.factories import (
    InvitationFactory,
    QuestionFactory,
    SurveyFactory,
    SurveyVersionFactory,
    surveyable_customer,
)

pytestmark = pytest.mark.django_db

ARABIC_TITLE = "استطلاع رضا العملاء"
ARABIC_QUESTION = "ما مدى احتمال أن توصي بنا لصديق؟"
ARABIC_WHY = "ما السبب الرئيسي لتقييمك؟"


def answer_path(invitation):
    return reverse("survey_public:answer", args=[make_token(invitation)])


@pytest.fixture
def client():
    # CSRF is checked as in production: the page's form carries the token.
    return Client(enforce_csrf_checks=True)


def csrf_of(response):
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
    assert match, "the form carries a CSRF token"
    return match.group(1).decode()


def post_answer(client, path, data):
    page = client.get(path)
    return client.post(path, {"csrfmiddlewaretoken": csrf_of(page), **data})


@pytest.fixture
def arabic_invitation(north_customer):
    survey = SurveyFactory(name="After delivery", languages=["en"])
    SurveyVersionFactory(
        survey=survey,
        language="ar",
        title=ARABIC_TITLE,
        why=ARABIC_WHY,
        questions={"score": {"text": ARABIC_QUESTION}},
        thank_you="شكرا لك!",
    )
    return InvitationFactory(survey=survey, customer=north_customer, language="ar")


def test_the_page_opens_without_signing_in_and_records_the_opening(client, north_customer):
    invitation = InvitationFactory(customer=north_customer)
    response = client.get(answer_path(invitation))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'dir="ltr"' in html
    assert "How likely are you to recommend us to a friend?" in html
    # A 0–10 radio group in a fieldset with a legend; every radio has its label.
    assert html.count('name="q-score"') == 11
    for n in range(11):
        assert f'for="q-score-{n}"' in html
    assert "<legend" in html and "<fieldset" in html
    assert 'for="comment"' in html
    # No staff navigation on the public page.
    assert "navbar-nav" not in html and "global-search" not in html
    # The token stays out of caches and referrers.
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    invitation.refresh_from_db()
    first = invitation.opened_at
    assert first is not None
    client.get(answer_path(invitation))
    invitation.refresh_from_db()
    assert invitation.opened_at == first  # set once


def test_a_head_request_is_not_an_opening_and_the_page_reads_few_queries(
    client, north_customer, django_assert_max_num_queries
):
    invitation = InvitationFactory(customer=north_customer)
    client.head(answer_path(invitation))
    invitation.refresh_from_db()
    assert invitation.opened_at is None
    with django_assert_max_num_queries(8):
        assert client.get(answer_path(invitation)).status_code == 200


def test_the_page_is_in_arabic_right_to_left(client, arabic_invitation):
    response = client.get(answer_path(arabic_invitation), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "bootstrap.rtl.min.css" in html
    assert ARABIC_TITLE in html and ARABIC_QUESTION in html and ARABIC_WHY in html


def test_a_forged_token_is_refused_with_404_in_the_browsers_language(client, arabic_invitation):
    token = make_token(arabic_invitation)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.get(reverse("survey_public:answer", args=[forged]), HTTP_ACCEPT_LANGUAGE="he")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-code="forged"' in html
    assert 'lang="he"' in html and 'dir="rtl"' in html  # nothing names the invitation
    assert "Traceback" not in html
    # Garbage too.
    assert client.get("/s/not-a-token/").status_code == 404


def test_an_unknown_invitation_is_refused_with_404(client):
    token = signing.Signer(salt=SALT, sep=".").sign("999999.abc")
    response = client.get(reverse("survey_public:answer", args=[token]))
    assert response.status_code == 404
    assert b'data-code="unknown"' in response.content


def test_an_expired_link_is_refused_with_410_in_the_customers_language(client, arabic_invitation):
    Invitation.objects.filter(pk=arabic_invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = client.get(answer_path(arabic_invitation))
    assert response.status_code == 410
    html = response.content.decode()
    assert 'data-code="expired"' in html and 'dir="rtl"' in html
    # Posting to it does not record anything either.
    page = client.get(reverse("survey_public:unsubscribe", args=[make_token(arabic_invitation)]))
    gone = client.post(
        answer_path(arabic_invitation), {"csrfmiddlewaretoken": csrf_of(page), "q-score": "9"}
    )
    assert gone.status_code == 410
    assert not Response.objects.exists()


def test_answering_records_the_response_and_thanks(client, north_customer):
    invitation = InvitationFactory(customer=north_customer)
    path = answer_path(invitation)
    response = post_answer(client, path, {"q-score": "9", "comment": "Quick and kind."})
    thanks = reverse("survey_public:thanks", args=[make_token(invitation)])
    assert response.status_code == 302 and response["Location"] == thanks
    page = client.get(thanks)
    assert page.status_code == 200 and b"Thank you!" in page.content
    saved = Response.objects.get()
    assert (saved.score, saved.band, saved.comment) == (9, "favourable", "Quick and kind.")
    assert saved.invitation == invitation


def test_a_used_link_says_already_answered(client, north_customer):
    invitation = InvitationFactory(customer=north_customer)
    path = answer_path(invitation)
    post_answer(client, path, {"q-score": "10"})
    again = client.get(path)
    assert again.status_code == 409
    assert b'data-code="used"' in again.content
    assert b"Already answered" in again.content


def test_two_submissions_record_one_response(client, north_customer):
    invitation = InvitationFactory(customer=north_customer)
    path = answer_path(invitation)
    page = client.get(path)
    token = csrf_of(page)
    first = client.post(path, {"csrfmiddlewaretoken": token, "q-score": "3"})
    second = client.post(path, {"csrfmiddlewaretoken": token, "q-score": "10"})
    assert first.status_code == 302
    assert second.status_code == 409 and b"Already answered" in second.content
    assert Response.objects.get().score == 3


def test_a_post_from_the_page_itself_passes_the_origin_check(client, north_customer, settings):
    # What a browser sends under the page's referrer policy: its own origin.
    invitation = InvitationFactory(customer=north_customer)
    path = answer_path(invitation)
    page = client.get(path)
    token = csrf_of(page)
    other = client.post(
        path, {"csrfmiddlewaretoken": token, "q-score": "9"}, HTTP_ORIGIN="null", secure=True
    )
    assert other.status_code == 403  # what "no-referrer" would have made every answer
    sent = client.post(
        path,
        {"csrfmiddlewaretoken": token, "q-score": "9"},
        HTTP_ORIGIN="https://testserver",
        secure=True,
    )
    assert sent.status_code == 302


def test_a_post_without_the_csrf_token_is_refused(client, north_customer):
    invitation = InvitationFactory(customer=north_customer)
    response = client.post(answer_path(invitation), {"q-score": "9"})
    assert response.status_code == 403
    assert not Response.objects.exists()


def test_errors_are_shown_next_to_their_fields(client, north_customer):
    survey = SurveyFactory()
    QuestionFactory(
        survey=survey,
        key="channel",
        kind=Question.Kind.CHOICE,
        choices=["web", "store"],
        required=True,
    )
    invitation = InvitationFactory(survey=survey, customer=north_customer)
    response = post_answer(client, answer_path(invitation), {"q-score": "11", "q-channel": "x"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-describedby="q-score-error"' in html
    assert 'id="q-score-error"' in html and "from 0 to 10" in html
    assert 'id="q-channel-error"' in html
    assert 'href="#q-score"' in html  # the summary links to the field
    assert 'tabindex="-1" autofocus' in html  # and takes the focus, so it is read first
    # What was typed is kept; nothing is recorded.
    assert 'value="11"' not in html  # no such option exists to be checked
    assert not Response.objects.exists()
    blank = post_answer(client, answer_path(invitation), {"q-channel": "web"})
    assert blank.status_code == 422
    assert "Please answer this question." in blank.content.decode()
    assert 'value="web" checked' in blank.content.decode()


def test_unsubscribe_withdraws_survey_consent_even_from_a_used_link(client, north, agent):
    north_customer = surveyable_customer(team=north, owner=agent)
    assert can_contact(north_customer, "email", "surveys")
    invitation = InvitationFactory(customer=north_customer, responded_at=timezone.now())
    path = reverse("survey_public:unsubscribe", args=[make_token(invitation)])
    page = client.get(path)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    done = client.post(path, {"csrfmiddlewaretoken": csrf_of(page)})
    assert done.status_code == 200 and b"unsubscribed" in done.content
    consent = Consent.objects.get(customer=north_customer, purpose="surveys")
    assert consent.status == Consent.Status.WITHDRAWN
    assert consent.source == "survey unsubscribe link"
    assert str(invitation.pk) in consent.evidence
    decision = can_contact(north_customer, "email", "surveys")
    assert not decision and decision.code == "no_consent"
    # Idempotent: a second click changes nothing.
    recorded = consent.recorded_at
    client.post(path, {"csrfmiddlewaretoken": csrf_of(page)})
    consent.refresh_from_db()
    assert (consent.status, consent.recorded_at) == (Consent.Status.WITHDRAWN, recorded)
    # Marketing is not touched.
    assert not Consent.objects.filter(customer=north_customer, purpose="marketing").exists()


def test_unsubscribe_works_for_an_expired_link_and_refuses_a_forged_one(client, north_customer):
    invitation = InvitationFactory(
        customer=north_customer, expires_at=timezone.now() - dt.timedelta(days=3)
    )
    path = reverse("survey_public:unsubscribe", args=[make_token(invitation)])
    page = client.get(path)
    client.post(path, {"csrfmiddlewaretoken": csrf_of(page)})
    consent = Consent.objects.get(customer=north_customer, purpose="surveys")
    assert consent.status == Consent.Status.DENIED  # none was given: the refusal is recorded
    assert client.get("/s/forged.token.here/unsubscribe/").status_code == 404


def test_an_expired_link_says_its_last_day_in_the_customers_time_zone(client, north_customer):
    """Expired at 20:00 UTC two days ago: in Kiritimati (UTC+14) that was the next day."""
    from django.utils import formats

    north_customer.time_zone = "Pacific/Kiritimati"
    north_customer.save(update_fields=["time_zone"])
    expired = (timezone.now() - dt.timedelta(days=2)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    invitation = InvitationFactory(customer=north_customer, language="en", expires_at=expired)
    html = client.get(answer_path(invitation)).content.decode()
    theirs = formats.date_format((expired + dt.timedelta(days=1)).date(), "DATE_FORMAT")
    ours = formats.date_format(expired.date(), "DATE_FORMAT")
    assert f"until {theirs}" in html and f"until {ours}" not in html
