"""The segment builder in a browser, keyboard first: two conditions, the live count
following each change, a problem shown next to its condition, save, and the members."""

import json

import pytest
from playwright.sync_api import expect

from patron.accounts.models import Role
from patron.customers import services as customers
from patron.customers.models import Tag
from patron.segments.models import Segment
from tests.e2e.conftest import shot
from tests.e2e.test_browser import sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agent():
    team = TeamFactory(name="Yerevan")
    user = UserFactory(
        email="ani@example.com", full_name="Ani Petrosyan", role=Role.AGENT, teams=[team]
    )
    for given, country, stage in (
        ("Armen", "AM", "customer"),
        ("Lilit", "AM", "customer"),
        ("Narek", "AM", "prospect"),
        ("Marie", "FR", "customer"),
    ):
        customers.customer_create(
            actor=user,
            given_name=given,
            family_name="Test",
            country=country,
            lifecycle_stage=stage,
            team=team,
        )
    Tag.objects.create(name="vip")
    return user


def test_build_a_segment_with_two_conditions_and_see_the_live_count(page, agent):
    sign_in(page, agent.email)
    page.goto("/segments/")
    page.get_by_test_id("new-segment").click()
    page.get_by_label("Name").fill("Armenian customers")
    count = page.get_by_test_id("live-count")
    expect(count).to_contain_text("4 customers you can see match")  # no condition yet

    # First condition, with the keyboard: the field select gets the focus.
    page.get_by_test_id("add-condition").press("Enter")
    field = page.get_by_test_id("rule-field").nth(0)
    expect(field).to_be_focused()
    field.select_option("country")
    condition = page.get_by_test_id("rule-condition").nth(0)
    expect(condition.get_by_test_id("rule-op")).to_have_value("eq")
    condition.get_by_test_id("rule-value").select_option("AM")
    expect(count).to_contain_text("3 customers you can see match")

    # Second condition: the operator and value inputs follow the field.
    page.get_by_test_id("add-condition").click()
    second = page.get_by_test_id("rule-condition").nth(1)
    second.get_by_test_id("rule-field").select_option("revenue_12m")
    expect(second.get_by_test_id("rule-value")).to_have_attribute("type", "number")
    second.get_by_test_id("rule-field").select_option("lifecycle_stage")
    second.get_by_test_id("rule-value").select_option("customer")
    expect(count).to_contain_text("2 customers you can see match")

    # A problem comes back next to its condition.
    second.get_by_test_id("rule-field").select_option("created_at")
    second.get_by_test_id("rule-op").select_option("within_last_days")
    days = second.get_by_test_id("rule-value")
    days.fill("0")
    expect(second.locator(".invalid-feedback")).to_contain_text("number of days")
    expect(count).to_contain_text("needs a change")
    days.fill("30")
    expect(count).to_contain_text("3 customers you can see match")
    expect(second.locator(".invalid-feedback")).to_have_text("")
    second.get_by_test_id("rule-field").select_option("lifecycle_stage")
    second.get_by_test_id("rule-value").select_option("customer")
    expect(count).to_contain_text("2 customers you can see match")

    # The JSON follows the builder.
    page.locator("details.rules-json summary").click()
    expected = {
        "match": "all",
        "conditions": [
            {"field": "country", "op": "eq", "value": "AM"},
            {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
        ],
    }
    expect(page.get_by_label("Rules as JSON")).to_have_value(json.dumps(expected, indent=2))
    shot(page, "segment-builder-en-desktop")
    page.get_by_test_id("segment-save").click()

    expect(page.get_by_test_id("member-count")).to_have_text("2 members")
    expect(page.get_by_test_id("segment-members")).to_contain_text("Armen Test")
    expect(page.get_by_test_id("segment-members")).to_contain_text("Lilit Test")
    segment = Segment.objects.get(name="Armenian customers")
    assert segment.member_count == 2 and len(segment.rules["conditions"]) == 2
    shot(page, "segment-detail-en-desktop")

    page.get_by_role("link", name="History").click()
    expect(page.get_by_test_id("segment-history")).to_contain_text("Armen Test")
    expect(page.get_by_role("link", name="History")).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?tab=history")
    assert not page.console_errors, "\n".join(page.console_errors)
