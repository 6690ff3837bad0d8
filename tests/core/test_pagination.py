"""Pages of long lists: an exact count where it is cheap, "more than N" past a bound, and
pages that still go on; plus the select widget that lists render quickly."""

import re

import pytest
from django import forms

from patron.core.forms import QuickSelect, StyledForm
from patron.customers import selectors
from patron.customers.models import Customer
from tests.factories import CustomerFactory


def summary(response):
    page = response.content.decode()
    found = re.search(r'data-testid="page-summary">\s*(.*?)\s*</p>', page, re.S)
    return found.group(1) if found else ""


@pytest.fixture
def many(north, agent):
    CustomerFactory.create_batch(12, team=north, owner=agent, lifecycle_stage="lost")


def test_a_bounded_count_says_more_than_and_pages_go_on(client, agent, many, monkeypatch):
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 5)
    client.force_login(agent)
    first = client.get("/customers/?lifecycle_stage=lost&page_size=25")
    assert "More than 5 customers" in first.content.decode()
    assert summary(first) == "Showing 1–12 of more than 5"
    # Twelve rows fit one page of 25: no next page, though the count is only a bound.
    assert 'rel="next" href' not in first.content.decode()
    customers = selectors.customer_list(viewer=agent, lifecycle_stage="lost")
    names = list(customers.values_list("display_name", flat=True))
    assert len(names) == 12


def test_pages_of_a_bounded_list_follow_one_another(rf, agent, north, many):
    from patron.core.pagination import paginate

    CustomerFactory.create_batch(18, team=north, owner=agent)
    customers = selectors.customer_list(viewer=agent)
    every = list(customers)
    first = paginate(rf.get("/", {"page": 1}), customers, count_limit=5)
    second = paginate(rf.get("/", {"page": 2}), customers, count_limit=5)
    assert (first.count, first.count_exact, first.has_next) == (5, False, True)
    assert (second.number, second.has_next, second.start_index) == (2, False, 26)
    assert first.items + second.items == every and len(every) == 30
    exact = paginate(rf.get("/", {"page": 2}), customers, count_limit=50)
    assert (exact.count, exact.count_exact, exact.num_pages) == (30, True, 2)
    assert exact.items == every[25:]


def test_past_the_end_of_a_bounded_list_is_the_first_page(rf, agent, many):
    from patron.core.pagination import paginate

    customers = selectors.customer_list(viewer=agent)
    page = paginate(rf.get("/", {"page": 999}), customers, count_limit=5)
    assert page.number == 1 and len(page.items) == 12


def test_an_exact_count_for_the_whole_base_of_an_admin(client, admin, many):
    client.force_login(admin)
    assert summary(client.get("/customers/")) == f"Showing 1–12 of {Customer.objects.count()}"


def test_an_agents_list_is_bounded_but_exact_below_the_bound(client, agent, many):
    client.force_login(agent)
    assert summary(client.get("/customers/")) == "Showing 1–12 of 12"


class Choices(StyledForm):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "A & B"), ("b", "<b>")])
    grouped = forms.ChoiceField(choices=[("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")])


def options(html):
    return re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)


def test_quick_select_writes_what_djangos_select_writes():
    form = Choices(initial={"plain": "a", "grouped": "y"})
    assert isinstance(form.fields["plain"].widget, QuickSelect)
    for name in ("plain", "grouped"):
        quick = str(form[name])
        django = forms.Select(choices=form.fields[name].choices).render(
            name, form[name].value(), attrs={"id": f"id_{name}", "class": "form-select"}
        )
        assert options(quick) == options(django)
        assert re.findall(r"<optgroup[^>]*>", quick) == re.findall(r"<optgroup[^>]*>", django)
    assert 'value="a" selected>A &amp; B<' in str(form["plain"])
    assert "&lt;b&gt;" in str(form["plain"])
    assert 'name="plain"' in str(form["plain"]) and 'id="id_plain"' in str(form["plain"])


def test_a_filter_through_tags_lists_each_customer_once(client, agent, north):
    from patron.customers import services

    for n in range(3):
        customer = CustomerFactory(team=north, owner=agent, given_name=f"Tagged{n}")
        services.customer_update(actor=agent, customer=customer, tags=["vip", "retail", "b2b"])
    client.force_login(agent)
    page = client.get("/customers/?tag=vip").content.decode()
    rows = re.findall(r'href="/customers/(\d+)/"[^>]*><bdi>', page)
    assert "3 customers" in page
    assert len(rows) == len(set(rows)) == 3


def test_odd_page_numbers_are_the_first_page(client, agent, many):
    client.force_login(agent)
    for odd in ("²", "0", "-3", "x", "9" * 30):
        response = client.get("/customers/", {"page": odd})
        assert response.status_code == 200, odd
    assert client.get("/customers/duplicates/", {"page": "²"}).status_code == 200


def test_a_hand_built_page_knows_whether_a_next_one_exists():
    from patron.core.pagination import Page

    assert Page([1], 1, 25, 60, 3).has_next is True
    assert Page([1], 3, 25, 60, 3).has_next is False


def test_quick_select_selects_only_the_first_matching_option():
    class Twice(StyledForm):
        pick = forms.ChoiceField(choices=[("", "none"), ("a", "A"), ("a", "A again")])

    html = str(Twice(initial={"pick": "a"})["pick"])
    assert html.count(" selected") == 1 and 'value="a" selected>A<' in html


def test_the_api_says_when_its_count_is_a_bound(api_for, agent, many, monkeypatch):
    from patron.core import api_base

    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 5)
    api = api_for(agent)
    first = api.get("/api/v1/customers?page_size=5").json()
    assert (first["count"], first["count_exact"], first["has_next"]) == (5, False, True)
    last = api.get("/api/v1/customers?page_size=5&page=3").json()
    assert (len(last["items"]), last["has_next"]) == (2, False)
    names = [
        c["display_name"]
        for p in (1, 2, 3)
        for c in api.get(f"/api/v1/customers?page_size=5&page={p}").json()["items"]
    ]
    assert len(names) == len(set(names)) == 12
    monkeypatch.setattr(api_base, "MAX_BROWSED", 10)
    deep = api.get("/api/v1/customers?page_size=5&page=3")
    assert deep.status_code == 422 and "narrow it" in deep.json()["error"]["message"]
    exact = api.get("/api/v1/customers?lifecycle_stage=lost&q=zzz").json()
    assert (exact["count"], exact["count_exact"], exact["has_next"]) == (0, True, False)
