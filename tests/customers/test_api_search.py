"""Search through the API: name, email, phone and external id, by prefix, in any case,
with or without accents, in any script, and never beyond what the searcher may see."""

from urllib.parse import quote

import pytest

from tests.factories import CustomerFactory

URL = "/api/v1/customers"


def _found(api, query):
    response = api.get(f"{URL}?q={quote(query)}")
    assert response.status_code == 200, response.content
    return sorted(c["display_name"] for c in response.json()["items"])


@pytest.fixture
def people(api_for, manager, north):
    api = api_for(manager)

    def create(**body):
        response = api.post(URL, {"team_id": north.pk, **body})
        assert response.status_code == 201, response.content

    create(
        given_name="Ani",
        family_name="Nor",
        emails=["ani.nor@example.com"],
        phones=["+374 91 234567"],
        identifiers=[{"system": "erp", "value": "CUST-1001"}],
    )
    create(given_name="José", family_name="Álvarez", emails=["jose@example.es"])
    create(given_name="محمد", family_name="عبد الله")
    create(given_name="שָׁלוֹם", family_name="כהן")
    create(kind="organization", organization_name="Ani's Bakery", phones=["+1 212 555 0100"])
    return api


def test_by_email_prefix_in_any_case(people):
    assert _found(people, "ani.nor@") == ["Ani Nor"]
    assert _found(people, "ANI.NOR@EXAMPLE.COM") == ["Ani Nor"]
    assert _found(people, "jose@ex") == ["José Álvarez"]


@pytest.mark.parametrize(
    "query",
    ["+374 91 234567", "+37491234567", "091 234567", "091-23-45-67", "91234567", "+3749123"],
)
def test_by_phone_in_national_and_international_formats(people, query):
    assert _found(people, query) == ["Ani Nor"]


def test_us_number_by_national_format(people):
    assert _found(people, "(212) 555-0100") == ["Ani's Bakery"]


def test_by_external_id(people):
    assert _found(people, "CUST-1001") == ["Ani Nor"]
    assert _found(people, "cust-10") == ["Ani Nor"]


def test_by_name_prefix_and_several_words(people):
    assert _found(people, "ani") == ["Ani Nor", "Ani's Bakery"]
    assert _found(people, "ani no") == ["Ani Nor"]
    assert _found(people, "nobody") == []


def test_accents_do_not_matter(people):
    assert _found(people, "jose") == ["José Álvarez"]
    assert _found(people, "ALVAREZ") == ["José Álvarez"]
    assert _found(people, "josé álv") == ["José Álvarez"]


def test_arabic_and_hebrew_names(people):
    assert _found(people, "محمد") == ["محمد عبد الله"]
    assert _found(people, "مُحَمَّد") == ["محمد عبد الله"]  # with harakat
    assert _found(people, "عبد") == ["محمد عبد الله"]
    assert _found(people, "שלום") == ["שָׁלוֹם כהן"]  # without niqqud
    assert _found(people, "כה") == ["שָׁלוֹם כהן"]


def test_search_never_finds_another_teams_customer(api_for, agent, manager, south, other_agent):
    south_api = api_for(other_agent)
    created = south_api.post(
        URL,
        {
            "given_name": "Sami",
            "family_name": "Sud",
            "emails": ["sami@south.example"],
            "phones": ["+995 599 123456"],
            "identifiers": [{"system": "erp", "value": "SOUTH-7"}],
        },
    )
    assert created.status_code == 201, created.content
    CustomerFactory(given_name="Sami", family_name="North", team=agent.teams.first())
    north_api, manager_api = api_for(agent), api_for(manager)
    for query in ("sami@south", "+995 599 123456", "599123456", "SOUTH-7", "sud", "sami sud"):
        assert _found(north_api, query) == [], query
        assert _found(manager_api, query) == ["Sami Sud"], query
    assert _found(north_api, "sami") == ["Sami North"]
