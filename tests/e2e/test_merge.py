"""A person at a browser finds a duplicate, merges it keeping a value of the other
record, lands on the kept customer and undoes the merge."""

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
def twins():
    team = TeamFactory(name="Yerevan")
    user = UserFactory(email="ani@example.com", full_name="Ani P", role=Role.AGENT, teams=[team])
    first = services.customer_create(
        actor=user, given_name="Armen", family_name="Sargsyan", city="Yerevan"
    )
    second = services.customer_create(
        actor=user, given_name="Armen", family_name="Sarkisyan", city="Yerevan", source="fair"
    )
    for customer in (first, second):
        services.contact_point_add(
            actor=user, customer=customer, kind="email", value="armen@example.com"
        )
    services.contact_point_add(actor=user, customer=second, kind="phone", value="+37410123456")
    return user, first, second


def test_merge_a_duplicate_then_undo(page, twins):
    user, first, second = twins
    sign_in(page, user.email)
    page.goto("/customers/duplicates/")
    expect(page.get_by_role("heading", name="Likely duplicates")).to_be_visible()
    pairs = page.get_by_test_id("duplicate-pairs")
    expect(pairs).to_contain_text("Same email")
    shot(page, "duplicates-en-desktop")
    pairs.get_by_test_id("compare").first.click()

    expect(page.get_by_role("heading", name="Merge two customers")).to_be_visible()
    expect(page.get_by_test_id("moving")).to_contain_text("contact points")
    family = page.get_by_role("group", name="Family name")
    family.get_by_label("Sarkisyan").check()  # keep the other record's spelling
    shot(page, "merge-en-desktop")
    page.get_by_role("button", name="Merge", exact=True).click()

    expect(page).to_have_url(f"{page.url.split('/customers/')[0]}/customers/{first.pk}/")
    expect(page.get_by_role("alert").first).to_contain_text(
        f"is merged into Armen Sarkisyan (#{first.pk})"
    )
    survivor = Customer.objects.get(pk=first.pk)
    assert (survivor.family_name, survivor.source) == ("Sarkisyan", "fair")
    assert not Customer.objects.filter(pk=second.pk).exists()
    shot(page, "merge-done-en-desktop")

    page.get_by_test_id("message-action").click()
    expect(page.get_by_role("alert").first).to_contain_text("The merge is undone")
    expect(page).to_have_url(f"{page.url.split('/customers/')[0]}/customers/{second.pk}/")
    assert Customer.objects.get(pk=first.pk).family_name == "Sargsyan"
    assert Customer.objects.get(pk=second.pk).contact_points.count() == 2
    assert page.console_errors == []
