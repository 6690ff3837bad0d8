"""The customer list and the customer page in a browser: search, open, edit in place,
save; a stale edit is refused with a message; bulk ticks; joining an organization."""

import pytest
from playwright.sync_api import expect

from patron.accounts.models import Role
from patron.customers import services
from patron.customers.models import Customer
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
    armen = services.customer_create(
        actor=user, given_name="Armen", family_name="Sargsyan", country="AM", team=team
    )
    services.contact_point_add(
        actor=user, customer=armen, kind="email", value="armen.sargsyan@example.com"
    )
    services.contact_point_add(actor=user, customer=armen, kind="phone", value="+37491234567")
    services.customer_create(actor=user, given_name="Lilit", family_name="Hakobyan", team=team)
    services.customer_create(
        actor=user, kind="organization", organization_name="Ararat Trading", team=team
    )
    return user


def script_errors(page):
    """Console errors other than the browser's own note of a refused save (409, 422),
    which the page answers on purpose."""
    return [e for e in page.console_errors if "status of 409" not in e and "of 422" not in e]


def open_armen(page):
    page.goto("/customers/")
    page.get_by_test_id("list-search").fill("armen.sarg")
    results = page.locator("#customer-results")
    expect(results).not_to_contain_text("Lilit", timeout=5000)
    expect(results).to_contain_text("armen.sargsyan@example.com")
    page.get_by_role("link", name="Armen Sargsyan").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("Armen Sargsyan")


def essentials(page):
    return page.locator("#section-essentials")


def test_search_open_edit_save_and_a_stale_edit_is_refused(page, agent):
    sign_in(page, agent.email)
    open_armen(page)
    shot(page, "customer-360-en-desktop")
    essentials(page).get_by_role("link", name="Edit").click()
    form = page.get_by_test_id("essentials-form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Kind")).to_be_focused()  # the keyboard lands in the form
    form.get_by_label("Family name").fill("Sargsyan-Petrosyan")
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()
    expect(essentials(page)).to_contain_text("Sargsyan-Petrosyan")
    # The header follows the change without a reload.
    expect(page.get_by_test_id("customer-name")).to_have_text("Armen Sargsyan-Petrosyan")
    expect(page.locator("#breadcrumb-name")).to_have_text("Armen Sargsyan-Petrosyan")
    armen = Customer.objects.get(given_name="Armen")
    assert armen.family_name == "Sargsyan-Petrosyan"

    # Open the form again; meanwhile someone else saves the customer.
    essentials(page).get_by_role("link", name="Edit").click()
    form = page.get_by_test_id("essentials-form")
    form.get_by_label("City").fill("Gyumri")
    services.customer_update(actor=agent, customer=armen, city="Vanadzor")
    form.get_by_role("button", name="Save").click()
    conflict = page.get_by_test_id("conflict")
    expect(conflict).to_contain_text("Someone else changed this customer")
    expect(form.get_by_label("City")).to_have_value("Gyumri")  # nothing typed is lost
    shot(page, "customer-360-conflict-en-desktop")
    armen.refresh_from_db()
    assert armen.city == "Vanadzor"  # never silently overwritten
    conflict.get_by_role("link", name="Show the current version").click()
    expect(essentials(page)).to_contain_text("Vanadzor")
    assert script_errors(page) == []


def test_contact_point_and_organization_in_place(page, agent):
    sign_in(page, agent.email)
    open_armen(page)
    points = page.locator("#section-contact-points")
    points.get_by_role("link", name="Add").click()
    form = page.get_by_test_id("contact-point-form")
    expect(form.locator("select[name=kind]")).to_be_focused()
    form.locator("select[name=kind]").select_option("email")
    form.get_by_label("Value").fill("not an email")
    form.get_by_role("button", name="Add").click()
    expect(form).to_contain_text("is not a valid email address")
    form.get_by_label("Value").fill("Armen@Work.example.com")
    form.get_by_role("button", name="Add").click()
    expect(points).to_contain_text("armen@work.example.com")
    expect(page.get_by_test_id("contact-point")).to_have_count(3)

    organizations = page.locator("#section-memberships")
    organizations.get_by_role("link", name="Add").click()
    membership = page.get_by_test_id("membership-form")
    # Focused once HTMX has settled the form (and wired its suggestions).
    expect(membership.get_by_label("Organization")).to_be_focused()
    membership.get_by_label("Organization").fill("arar")
    expect(page.get_by_test_id("organization-suggestions")).to_contain_text("Ararat Trading")
    membership.get_by_label("Ararat Trading").check()
    membership.get_by_label("Title or role").fill("Buyer")
    membership.get_by_role("button", name="Add").click()
    expect(organizations.get_by_role("link", name="Ararat Trading")).to_be_visible()
    expect(page.locator("#customer-identity")).to_contain_text("Ararat Trading")
    assert script_errors(page) == []


def test_bulk_tick_all_and_assign_a_tag(page, agent):
    sign_in(page, agent.email)
    page.goto("/customers/")
    bar = page.locator(".bulk-bar")
    expect(bar).to_be_hidden()  # shown once something is ticked
    page.get_by_label("Tick every customer of this page").check()
    expect(bar).to_be_visible()
    expect(page.locator("[data-selected-count]")).to_have_text("3")
    page.get_by_label("Tick Lilit Hakobyan").uncheck()
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    bar.get_by_label("Add tag").fill("vip")
    page.get_by_test_id("bulk-apply").click()
    expect(page.locator(".app-messages")).to_contain_text("2 customers changed.")
    tagged = set(Customer.objects.filter(tags__name="vip").values_list("display_name", flat=True))
    assert tagged == {"Armen Sargsyan", "Ararat Trading"}


@pytest.mark.parametrize("width", [390, 1280])
def test_customer_pages_in_arabic(browser, live_server, agent, width):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 844}, locale="ar"
    )
    page = context.new_page()
    sign_in(page, agent.email)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    size = "phone" if width < 600 else "desktop"
    page.goto("/customers/")
    shot(page, f"customers-ar-{size}")
    page.locator("#customer-results a", has_text="Armen Sargsyan").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("Armen Sargsyan")
    shot(page, f"customer-360-ar-{size}")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, "the page scrolls sideways"
    context.close()
