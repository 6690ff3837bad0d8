"""The invitation token: signed, tied to the row's nonce, refused once used or expired."""

import datetime as dt

import pytest
from django.core import signing
from django.urls import NoReverseMatch
from django.utils import timezone

from patron.feedback.tokens import (
    SALT,
    TokenRefused,
    answer_url,
    make_token,
    read_token,
    version_for,
)
from tests.feedback.factories import InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def refused(token, **kwargs):
    with pytest.raises(TokenRefused) as caught:
        read_token(token, **kwargs)
    assert caught.value.message
    return caught.value.code


def test_a_fresh_token_reads_back_to_its_invitation():
    invitation = InvitationFactory()
    token = make_token(invitation)
    assert read_token(token) == invitation
    # URL-safe and short enough to sit in an email link.
    assert all(c.isalnum() or c in "-_." for c in token)
    assert len(token) < 80


def test_a_tampered_token_is_forged():
    invitation = InvitationFactory()
    token = make_token(invitation)
    assert refused(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) == "forged"
    assert refused("") == "forged"
    assert refused("nonsense") == "forged"


def test_a_token_signed_with_another_salt_is_forged():
    invitation = InvitationFactory()
    other = signing.Signer(salt="something-else", sep=".").sign(
        f"{invitation.pk}.{invitation.nonce}"
    )
    assert SALT != "something-else"
    assert refused(other) == "forged"


def test_a_token_for_an_old_nonce_is_forged():
    invitation = InvitationFactory()
    token = make_token(invitation)
    invitation.nonce = "re-issued-nonce0"
    invitation.save(update_fields=["nonce"])
    assert refused(token) == "forged"


def test_a_token_of_a_deleted_invitation_is_unknown():
    invitation = InvitationFactory()
    token = make_token(invitation)
    invitation.delete()
    assert refused(token) == "unknown"


def test_an_expired_token_is_refused():
    invitation = InvitationFactory(expires_at=timezone.now() + dt.timedelta(days=1))
    token = make_token(invitation)
    assert read_token(token) == invitation
    assert refused(token, now=timezone.now() + dt.timedelta(days=2)) == "expired"


def test_a_used_token_is_refused():
    invitation = InvitationFactory(responded_at=timezone.now())
    assert refused(make_token(invitation)) == "used"


def test_answer_url_is_absolute_when_the_public_page_exists(settings):
    settings.PATRON_BASE_URL = "https://crm.example.com"
    invitation = InvitationFactory()
    try:
        url = answer_url(invitation)
    except NoReverseMatch:
        pytest.fail("survey_public:answer must resolve")
    assert url.startswith("https://crm.example.com/s/")
    assert make_token(invitation) in url


def test_version_for_picks_the_language_then_the_base_then_the_default():
    survey = SurveyFactory(languages=["en", "ar", "pt-BR"], default_language="en")
    assert version_for(survey, "ar").language == "ar"
    assert version_for(survey, "ar-EG").language == "ar"
    assert version_for(survey, "pt-br").language == "pt-BR"
    assert version_for(survey, "fr").language == "en"
    assert version_for(survey, "").language == "en"
    empty = SurveyFactory(languages=[])
    assert version_for(empty, "en") is None
