"""A CX manager creates an NPS survey, writes its Arabic version in its tab, activates
it and sends it to a segment after a preview: in a browser, at desktop width."""

import pytest
from playwright.sync_api import expect

from patron.accounts.models import Role
from patron.feedback.models import Invitation, Survey
from tests.e2e.conftest import shot
from tests.e2e.test_browser import sign_in
from tests.factories import UserFactory
from tests.feedback.factories import static_segment, surveyable_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager():
    return UserFactory(email="cx@example.com", full_name="Carla Manager", role=Role.MANAGER)


def test_create_write_arabic_activate_and_send(page, manager):
    static_segment(
        "Loyal",
        [
            surveyable_customer(email="one@example.com", language="ar"),
            surveyable_customer(email="two@example.com", consent=None),
        ],
    )
    sign_in(page, manager.email)
    page.goto("/feedback/")
    expect(page.get_by_test_id("empty-state")).to_contain_text("Create your first survey")
    page.get_by_test_id("new-survey").click()
    page.get_by_label("Name").fill("Spring NPS")
    page.get_by_label("Kind").select_option("nps")
    page.get_by_role("button", name="Create the survey").click()
    expect(page.get_by_role("heading", name="Spring NPS")).to_be_visible()

    page.get_by_role("tab", name="Arabic").click()
    form = page.get_by_test_id("version-form-ar")
    expect(form).to_be_visible()
    title = form.get_by_label("Title")
    expect(title).to_have_attribute("dir", "rtl")
    title.fill("رأيك يهمنا")
    form.get_by_role("button", name="Save the Arabic version").click()
    expect(page.get_by_role("tab", name="Arabic")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("version-form-ar").get_by_label("Title")).to_have_value("رأيك يهمنا")
    expect(page.locator("[data-testid=survey-preview]:visible")).to_contain_text("رأيك يهمنا")

    page.get_by_role("link", name="Back to the survey").click()
    page.get_by_test_id("activate").click()
    page.get_by_test_id("send-link").click()
    page.get_by_label("Segment").select_option(label="Loyal")
    page.get_by_test_id("dry-run").click()
    report = page.get_by_test_id("send-report")
    expect(report).to_contain_text("2 members")
    expect(page.get_by_test_id("would-invite")).to_have_text("1")
    shot(page, "survey-send-preview")
    assert not Invitation.objects.exists()
    page.get_by_test_id("confirm-send").click()
    expect(page.get_by_test_id("invitation-list")).to_contain_text("No consent")
    survey = Survey.objects.get(name="Spring NPS")
    assert Invitation.objects.filter(survey=survey, status="pending", language="ar").count() == 1
