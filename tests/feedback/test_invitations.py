"""Invitations by email and by link: consent, reach, the frequency cap, quiet hours, the
cool-down and the language version — decided by `can_contact` and stored with reasons."""

import datetime as dt

import pytest
from django.utils import timezone

from patron.customers.contactability import can_contact
from patron.customers.models import Consent, Preferences
from patron.feedback.invitations import invite, sent_since
from patron.feedback.models import Invitation, Survey
from patron.feedback.sending import send_pending
from patron.feedback.tokens import make_token
from tests.feedback.factories import InvitationFactory, SurveyFactory, surveyable_customer
from tests.mail import smtp_inbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_no_opt_in_is_skipped_with_the_reason():
    survey = SurveyFactory()
    customer = surveyable_customer(consent=None)
    invitation = invite(survey=survey, customer=customer, now=NOON)
    assert invitation.status == Invitation.Status.SKIPPED
    assert "consent" in invitation.skip_reason.lower()
    assert Invitation.objects.filter(pk=invitation.pk).exists()  # stored for staff to see


def test_withdrawn_consent_is_skipped():
    survey = SurveyFactory()
    customer = surveyable_customer(consent=Consent.Status.WITHDRAWN)
    invitation = invite(survey=survey, customer=customer, now=NOON)
    assert invitation.status == Invitation.Status.SKIPPED
    assert "withdrawn" in invitation.skip_reason


def test_no_email_address_is_skipped():
    invitation = invite(survey=SurveyFactory(), customer=surveyable_customer(email=None), now=NOON)
    assert invitation.status == Invitation.Status.SKIPPED
    assert invitation.skip_reason


def test_an_inactive_survey_invites_nobody():
    survey = SurveyFactory(status=Survey.Status.DRAFT)
    invitation = invite(survey=survey, customer=surveyable_customer(), now=NOON)
    assert invitation.status == Invitation.Status.SKIPPED
    assert "not active" in invitation.skip_reason


def test_granted_consent_is_sent_by_email_with_the_link(smtp_inbox, settings):  # noqa: F811
    settings.PATRON_BASE_URL = "https://crm.example.com"
    survey = SurveyFactory()
    customer = surveyable_customer(email="ani@example.com", given_name="Ani")
    invitation = invite(survey=survey, customer=customer, now=NOON)
    assert invitation.status == Invitation.Status.PENDING
    assert send_pending(now=NOON + dt.timedelta(seconds=5)) == {"sent": 1}
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert invitation.sent_at is not None and invitation.message_id
    [message] = smtp_inbox.messages
    assert message["To"] == "ani@example.com"
    assert message["Message-ID"] == invitation.message_id
    assert message["List-Unsubscribe"].strip().startswith("<https://crm.example.com/s/")
    text = message.get_body(("plain",)).get_content()
    assert "Hello Ani" in text
    assert make_token(invitation) in text
    assert "https://crm.example.com/s/" in text
    html = message.get_body(("html",)).get_content()
    assert make_token(invitation) in html
    # Sent once: a second run finds nothing to do.
    assert send_pending(now=NOON + dt.timedelta(minutes=1)) == {}
    assert len(smtp_inbox.messages) == 1


def test_consent_withdrawn_after_inviting_is_checked_again_at_sending(smtp_inbox):  # noqa: F811
    customer = surveyable_customer()
    invitation = invite(survey=SurveyFactory(), customer=customer, now=NOON)
    Consent.objects.filter(customer=customer).update(status=Consent.Status.WITHDRAWN)
    send_pending(now=NOON)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SKIPPED
    assert smtp_inbox.messages == []


def test_the_frequency_cap_counts_survey_emails_sent(smtp_inbox):  # noqa: F811
    customer = surveyable_customer()
    Preferences.objects.create(customer=customer, max_messages_per_30_days=2)
    first, second, third = SurveyFactory(), SurveyFactory(), SurveyFactory()
    for survey in (first, second):
        invite(survey=survey, customer=customer, now=NOON)
    assert send_pending(now=NOON) == {"sent": 2}
    assert sent_since(customer.pk, NOON - dt.timedelta(days=30)) == 2
    # The counter is registered: can_contact itself now refuses.
    decision = can_contact(customer, "email", "surveys", NOON)
    assert decision.code == "frequency_cap"
    refused = invite(survey=third, customer=customer, now=NOON)
    assert refused.status == Invitation.Status.SKIPPED
    assert "cap" in refused.skip_reason.lower()
    # 31 days later the two have fallen out of the window.
    later = invite(survey=third, customer=customer, now=NOON + dt.timedelta(days=31))
    assert later.status == Invitation.Status.PENDING


def test_link_invitations_do_not_count_toward_the_cap():
    customer = surveyable_customer()
    invite(survey=SurveyFactory(), customer=customer, via="link", now=NOON)
    assert sent_since(customer.pk, NOON - dt.timedelta(days=1)) == 0


def test_quiet_hours_delay_the_email_then_it_is_sent(smtp_inbox):  # noqa: F811
    customer = surveyable_customer(time_zone="UTC")
    Preferences.objects.create(
        customer=customer, quiet_hours_start=dt.time(11, 0), quiet_hours_end=dt.time(14, 0)
    )
    invitation = invite(survey=SurveyFactory(), customer=customer, now=NOON)
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.send_after == NOON.replace(hour=14)
    assert send_pending(now=NOON + dt.timedelta(hours=1)) == {}
    assert smtp_inbox.messages == []
    assert send_pending(now=NOON.replace(hour=14, minute=1)) == {"sent": 1}
    assert len(smtp_inbox.messages) == 1


def test_the_cooldown_stops_a_second_invitation():
    survey = SurveyFactory(cooldown_days=30)
    customer = surveyable_customer()
    assert invite(survey=survey, customer=customer, now=NOON).status == "pending"
    again = invite(survey=survey, customer=customer, now=NOON + dt.timedelta(days=10))
    assert again.status == Invitation.Status.SKIPPED
    assert "30 days" in again.skip_reason
    after = invite(survey=survey, customer=customer, now=NOON + dt.timedelta(days=31))
    assert after.status == Invitation.Status.PENDING


def test_a_skipped_invitation_does_not_start_a_cooldown():
    survey = SurveyFactory(cooldown_days=30)
    customer = surveyable_customer(consent=None)
    assert invite(survey=survey, customer=customer, now=NOON).status == "skipped"
    Consent.objects.create(customer=customer, channel="email", purpose="surveys", status="granted")
    assert invite(survey=survey, customer=customer, now=NOON).status == "pending"


@pytest.mark.parametrize(
    ("customer_language", "expected"),
    [("ar", "ar"), ("ar-EG", "ar"), ("he", "en"), ("", "en"), ("fr-CA", "fr")],
)
def test_the_language_version_follows_the_customer(customer_language, expected):
    survey = SurveyFactory(languages=["en", "ar", "fr"])
    customer = surveyable_customer(language=customer_language)
    invitation = invite(survey=survey, customer=customer, now=NOON)
    assert invitation.language == expected


def test_arabic_invitation_email_uses_the_arabic_version(smtp_inbox):  # noqa: F811
    survey = SurveyFactory(languages=["en", "ar"])
    survey.versions.filter(language="ar").update(
        email_subject="سؤال سريع", email_body="مرحبا {name}\n\n{link}"
    )
    customer = surveyable_customer(language="ar-EG", given_name="ليلى")
    invite(survey=survey, customer=customer, now=NOON)
    send_pending(now=NOON)
    [message] = smtp_inbox.messages
    assert message["Subject"] == "سؤال سريع"
    assert "مرحبا ليلى" in message.get_body(("plain",)).get_content()
    assert 'dir="rtl"' in message.get_body(("html",)).get_content()


def test_a_link_invitation_returns_its_url_at_once():
    invitation = invite(
        survey=SurveyFactory(), customer=surveyable_customer(consent=None), via="link"
    )
    assert invitation.status == Invitation.Status.SENT
    assert make_token(invitation) in invitation.url


def test_failed_mail_is_recorded(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    invitation = invite(survey=SurveyFactory(), customer=surveyable_customer(), now=NOON)
    assert send_pending(now=NOON) == {"unreachable": 1}
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING  # tried again next run


def test_an_expired_pending_invitation_is_not_sent(smtp_inbox):  # noqa: F811
    invitation = InvitationFactory(
        via="email",
        status="pending",
        sent_at=None,
        send_after=NOON,
        expires_at=NOON + dt.timedelta(hours=1),
        customer=surveyable_customer(),
    )
    send_pending(now=NOON + dt.timedelta(hours=2))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SKIPPED
    assert smtp_inbox.messages == []
    assert timezone.now()


@pytest.fixture
def campaign_counter():
    """Another sending feature's counter (outbound emails logged as interactions), as a
    campaign module would register it; removed afterwards."""
    from patron.customers import contactability
    from patron.interactions.models import Interaction

    def counter(customer_id, since):
        return Interaction.objects.filter(
            customer_id=customer_id, direction="outbound", channel="email", occurred_at__gte=since
        ).count()

    contactability.register_contact_counter(counter)
    yield
    contactability._COUNTERS.remove(counter)


@pytest.mark.usefixtures("campaign_counter")
def test_the_cap_adds_survey_emails_to_the_other_features_messages(smtp_inbox):  # noqa: F811
    from patron.interactions.models import Interaction

    customer = surveyable_customer()
    Preferences.objects.create(customer=customer, max_messages_per_30_days=2)
    Interaction.objects.create(
        customer=customer,
        channel="email",
        direction="outbound",
        summary="Spring offer",
        occurred_at=NOON - dt.timedelta(days=3),
    )
    invite(survey=SurveyFactory(), customer=customer, now=NOON)
    assert send_pending(now=NOON) == {"sent": 1}
    # One campaign email + one survey email = the cap of 2.
    refused = invite(survey=SurveyFactory(), customer=customer, now=NOON)
    assert refused.status == Invitation.Status.SKIPPED
    assert "2 of 2" in refused.skip_reason
