"""`patron surveys send SURVEY --segment SEGMENT [--dry-run] [--json]` and `surveys list`."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from patron.customers.models import Preferences
from patron.feedback.invitations import invite, send_to_segment
from patron.feedback.models import Invitation
from patron.feedback.sending import send_pending
from tests.feedback.factories import SurveyFactory, static_segment, surveyable_customer
from tests.mail import smtp_inbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def population():
    """Two customers who may be asked, one without consent, one without an email, one
    invited lately, one at the cap, one in quiet hours now."""
    survey = SurveyFactory(name="Spring NPS", cooldown_days=30)
    ok = [surveyable_customer(email=f"ok{i}@example.com") for i in range(2)]
    no_consent = surveyable_customer(email="nc@example.com", consent=None)
    no_email = surveyable_customer(email=None)
    cooled = surveyable_customer(email="cool@example.com")
    invite(survey=survey, customer=cooled, via="link")
    capped = surveyable_customer(email="cap@example.com")
    Preferences.objects.create(customer=capped, max_messages_per_30_days=0)
    quiet = surveyable_customer(email="quiet@example.com", time_zone="UTC")
    hour = timezone.now().astimezone(dt.UTC).time().replace(minute=0, second=0, microsecond=0)
    end = (dt.datetime.combine(dt.date.today(), hour) + dt.timedelta(hours=2)).time()
    Preferences.objects.create(customer=quiet, quiet_hours_start=hour, quiet_hours_end=end)
    members = [*ok, no_consent, no_email, cooled, capped, quiet]
    segment = static_segment("Loyal", members)
    return survey, segment


def run(*args):
    out = io.StringIO()
    call_command("surveys", *args, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("population")
def test_dry_run_counts_every_reason_and_invites_nobody():
    before = Invitation.objects.count()
    report = json.loads(run("send", "Spring NPS", "--segment", "Loyal", "--dry-run", "--json"))
    assert report["dry_run"] is True
    assert report["members"] == 7
    assert report["would_invite"] == 2
    assert report["delayed_quiet_hours"] == 1
    assert report["skipped"] == {
        "no_consent": 1,
        "no_email": 1,
        "cooldown": 1,
        "frequency_cap": 1,
        "other": 0,
    }
    assert len(report["sample"]) == 7
    assert Invitation.objects.count() == before


def test_the_text_report_names_the_reasons(population):
    survey, segment = population
    text = run("send", str(survey.pk), "--segment", str(segment.pk), "--dry-run")
    assert "Dry run" in text
    assert "would invite: 2" in text
    assert "No consent to surveys by email: 1" in text


def test_a_real_send_creates_invitations_and_the_job_mails_them(population, smtp_inbox):  # noqa: F811
    survey, segment = population
    report = json.loads(run("send", "spring nps", "--segment", "loyal", "--json"))
    assert report["created"] == 7
    rows = Invitation.objects.filter(survey=survey, trigger="manual", via="email")
    assert rows.filter(status="pending").count() == 3
    assert rows.filter(status="skipped").count() == 4
    assert all(r.skip_reason for r in rows.filter(status="skipped"))
    send_pending()
    assert sorted(m["To"] for m in smtp_inbox.messages) == ["ok0@example.com", "ok1@example.com"]
    # Sending again: everyone asked is now in the cool-down.
    again = send_to_segment(survey=survey, segment=segment, actor=None, dry_run=True)
    assert again.invite == 0
    assert again.skipped["cooldown"] == 4


def test_unknown_names_are_refused_with_close_names(population):
    with pytest.raises(CommandError, match="Did you mean: Spring NPS"):
        run("send", "Spring", "--segment", "Loyal", "--dry-run")
    with pytest.raises(CommandError, match=r"No segment “Loyl”\. Did you mean: Loyal"):
        run("send", "Spring NPS", "--segment", "Loyl")


def test_an_inactive_survey_is_refused(population):
    survey, _segment = population
    survey.status = "draft"
    survey.save()
    with pytest.raises(CommandError, match="Activate the survey"):
        run("send", "Spring NPS", "--segment", "Loyal")


def test_list_shows_the_surveys(population):
    rows = json.loads(run("list", "--json"))
    assert [r["name"] for r in rows] == ["Spring NPS"]
    assert rows[0]["sent"] == 1  # the link handed out
    assert "Spring NPS" in run("list")


def test_the_segment_report_counts_survey_emails_toward_the_cap(django_assert_max_num_queries):
    other = SurveyFactory(name="Earlier survey")
    capped = [surveyable_customer(email=f"cap{i}@example.com") for i in range(3)]
    for customer in capped:
        Preferences.objects.create(customer=customer, max_messages_per_30_days=1)
    # The first two got a survey email last week; the third did not.
    for customer in capped[:2]:
        invite(survey=other, customer=customer, now=timezone.now() - dt.timedelta(days=7))
    Invitation.objects.filter(survey=other).update(
        status="sent", sent_at=timezone.now() - dt.timedelta(days=7)
    )
    survey = SurveyFactory(name="Now")
    segment = static_segment("Capped", capped)
    # One grouped count for the batch, not one count per customer: two reads of the
    # members, the three customers with their consents and contact points, the count.
    with django_assert_max_num_queries(6):
        report = send_to_segment(survey=survey, segment=segment, actor=None, dry_run=True)
    assert report.skipped["frequency_cap"] == 2
    assert report.invite == 1
