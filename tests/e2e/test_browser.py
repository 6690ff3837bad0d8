"""A person at a browser: sign in, see the dashboard, sign out; errors; right-to-left."""

import pytest
from playwright.sync_api import expect

from patron.accounts.models import Role
from tests.e2e.conftest import shot
from tests.factories import PASSWORD, CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff():
    team = TeamFactory(name="Yerevan")
    user = UserFactory(
        email="ani@example.com", full_name="Ani Petrosyan", role=Role.AGENT, teams=[team]
    )
    CustomerFactory(given_name="Armen", family_name="Sargsyan", team=team, owner=user)
    CustomerFactory(
        given_name="Lilit",
        family_name="Hakobyan",
        team=team,
        owner=user,
        lifecycle_stage="prospect",
    )
    return user


def sign_in(page, email, password=PASSWORD):
    page.goto("/login/")
    # By name, not label: the same helper signs in whatever the page's language.
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()


def test_sign_in_see_dashboard_sign_out(page, staff):
    sign_in(page, staff.email)
    expect(page).to_have_url(page.url.split("/login")[0].rstrip("/") + "/")
    expect(page.get_by_role("heading", name="Welcome, Ani Petrosyan")).to_be_visible()
    expect(page.get_by_test_id("stat-total")).to_have_text("2")
    expect(page.get_by_role("link", name="Armen Sargsyan")).to_be_visible()
    expect(page.locator("#stage-chart")).to_be_visible()
    shot(page, "dashboard-en-desktop")
    page.locator("#user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page.get_by_role("heading", name="Sign in to Patron")).to_be_visible()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto("/")
    assert "/login/" in page.url
    assert page.console_errors == []


def test_form_labels_name_the_fields(page, staff):
    page.goto("/login/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").press("Enter")
    expect(page.get_by_role("heading", name="Welcome, Ani Petrosyan")).to_be_visible()


def test_wrong_password_shows_an_error(page, staff):
    sign_in(page, staff.email, "not my password")
    expect(page.get_by_test_id("form-error")).to_contain_text(
        "The email or the password is not correct."
    )
    assert "/login/" in page.url


def test_layout_flips_to_right_to_left_in_hebrew(page, staff):
    sign_in(page, staff.email)
    page.locator("#language-menu").click()
    page.get_by_test_id("language-he").click()
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "he")
    # The brand sits at the right edge and the user menu at the left: the layout mirrored.
    brand = page.locator(".navbar-brand").bounding_box()
    menu = page.locator("#user-menu").bounding_box()
    assert brand["x"] > menu["x"]
    shot(page, "dashboard-he-desktop")
    staff.refresh_from_db()
    assert staff.language == "he"


def test_phone_width_has_a_collapsed_menu(browser, live_server, staff):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="ar"
    )
    page = context.new_page()
    sign_in(page, staff.email)
    # Arabic from the browser: the page follows it, right to left.
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    shot(page, "dashboard-ar-phone")
    expect(page.locator("#global-search")).to_be_hidden()
    toggler.click()
    expect(page.locator("#global-search")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    context.close()


def test_customer_list_filters_with_htmx_and_keyboard_search(page, staff):
    sign_in(page, staff.email)
    expect(page.get_by_test_id("stat-total")).to_be_visible()
    page.keyboard.press("/")
    expect(page.locator("#global-search")).to_be_focused()
    page.goto("/customers/")
    page.get_by_label("Search", exact=True).last.fill("Lilit")
    expect(page.locator("#customer-results")).not_to_contain_text("Armen", timeout=5000)
    expect(page.locator("#customer-results")).to_contain_text("Lilit Hakobyan")
    assert "q=Lilit" in page.url  # the filter is in the address: shareable, back-button safe
    shot(page, "customers-en-desktop")
    assert page.console_errors == []
