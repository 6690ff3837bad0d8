"""The survey results in a browser, in Arabic at phone width: the charts drawn, the loop
and tag cards read after the page, a verbatim tagged inline, a promoter flagged."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patron.accounts.models import Role
from patron.feedback.models import ProgrammeMembership
from tests.e2e.conftest import shot
from tests.e2e.test_browser import sign_in
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.feedback.factories import SurveyFactory
from tests.feedback.results_helpers import make_response

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def survey():
    team = TeamFactory(name="Amman")
    agent = UserFactory(
        email="layla@example.com", full_name="Layla Haddad", role=Role.AGENT, teams=[team],
        language="ar",
    )  # fmt: skip
    customer = CustomerFactory(given_name="سارة", family_name="حداد", team=team, owner=agent)
    survey = SurveyFactory(name="بعد الدعم", languages=["en", "ar"])
    now = timezone.now()
    for i, score in enumerate((10, 9, 7, 3, 0, 10, 8)):
        make_response(
            survey, customer, score, at=now - dt.timedelta(days=i * 25), comment=f"تعليق {i}"
        )
    return survey


def test_results_in_arabic_on_a_phone(browser, live_server, survey):
    context = browser.new_context(
        base_url=live_server.url, locale="ar", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, "layla@example.com")
    page.goto(f"/feedback/results/{survey.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_test_id("headline-score")).to_have_text("14")  # 3 of 7 − 2 of 7
    expect(page.locator("canvas[data-chart=chart-trend]")).to_be_visible()
    expect(page.get_by_test_id("loop-open")).to_be_visible()  # read after the page
    row = page.get_by_test_id("verbatim").first
    row.locator("input[name=tags]").fill("التوصيل")
    row.get_by_test_id("save-tags").click()
    expect(page.get_by_test_id("verbatim").first.locator(".badge.rounded-pill")).to_have_text(
        "التوصيل"
    )
    page.get_by_test_id("flag-reference").first.click()
    expect(page.get_by_test_id("reference-flagged").first).to_be_visible()
    assert ProgrammeMembership.objects.filter(programme="reference").count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width} px)"
    shot(page, "survey-results-ar-phone")
    assert errors == []
    context.close()
