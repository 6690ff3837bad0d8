"""The import wizard in a browser: upload a CSV, map its columns, preview, check the whole
file (dry run), import, download the rejected rows, and find the imported customer."""

import pytest
from playwright.sync_api import expect

from patron.accounts.models import Role
from patron.customers.models import Customer
from tests.e2e.conftest import shot
from tests.e2e.test_browser import sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Semicolons, a BOM, header names of another system, one good row and one bad email.
CSV = (
    "\ufeffKundennummer;Vorname;Nachname;E-mail;Telefon;Land\n"
    "k1;Anahit;Nor;anahit@example.am;091 234567;AM\n"
    "k2;Bad;Mail;not-an-address;;AM\n"
)


@pytest.fixture
def agent():
    team = TeamFactory(name="Yerevan")
    return UserFactory(email="ani@example.com", role=Role.AGENT, teams=[team])


def test_upload_map_preview_check_import_and_download_rejects(page, agent, tmp_path):
    source = tmp_path / "kunden.csv"
    source.write_text(CSV, encoding="utf-8")
    sign_in(page, agent.email)
    page.goto("/customers/import/")
    page.locator("input[type=file][name=file]").set_input_files(str(source))
    page.get_by_role("button", name="Upload and map columns").click()

    # The mapping page shows each column with its first values; E-mail is recognised.
    expect(page.locator("main")).to_contain_text("anahit@example.am")
    expect(page.get_by_label("E-mail")).to_have_value("email")
    page.get_by_label("Kundennummer").select_option("external_id")
    page.get_by_label("Vorname").select_option("first_name")
    page.get_by_label("Nachname").select_option("last_name")
    page.get_by_label("Telefon").select_option("phone")
    page.get_by_label("Land").select_option("country")
    shot(page, "import-mapping-en-desktop")
    page.get_by_role("button", name="Save and preview").click()

    preview = page.get_by_test_id("import-preview")
    expect(preview).to_contain_text("Anahit Nor")
    expect(preview).to_contain_text("“not-an-address” is not a valid email address")

    page.get_by_role("button", name="Check the whole file (dry run)").click()
    counts = page.get_by_test_id("import-counts")
    expect(counts).to_contain_text("Created")
    expect(page.locator("main")).to_contain_text("nothing was saved")
    assert not Customer.objects.exists()

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("import-status")).to_have_text("Done", timeout=10000)
    expect(page.locator("main")).to_contain_text("Line 3")
    shot(page, "import-done-en-desktop")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download rejected rows").click()
    rejects = download.value.path().read_text(encoding="utf-8")
    assert "3,email:" in rejects and "not-an-address" in rejects and "Anahit" not in rejects

    page.get_by_role("link", name="See the customers").click()
    expect(page.locator("#customer-results")).to_contain_text("Anahit Nor")
    anahit = Customer.objects.get()
    assert anahit.identifiers.get().value == "k1"
    assert anahit.contact_points.get(kind="phone").value == "+37491234567"
    assert not page.console_errors
