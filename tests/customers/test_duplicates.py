"""Likely duplicates: the rule (same email/phone, similar name in the same place), the
order, the bounds on the work, visibility, dismissal and the API."""

import pytest

from patron.customers import duplicates, services
from patron.customers.duplicates import duplicate_pairs, duplicates_of, name_similarity
from patron.customers.merge import duplicate_dismiss
from patron.customers.models import Customer
from tests.conftest import assert_error_shape


def person(actor, given, family, **fields):
    return services.customer_create(
        actor=actor, kind="person", given_name=given, family_name=family, **fields
    )


def email(actor, customer, value):
    services.contact_point_add(actor=actor, customer=customer, kind="email", value=value)


def pairs_of(viewer, **kwargs):
    result = duplicate_pairs(viewer=viewer, **kwargs)
    return {(p.first.pk, p.second.pk): p for p in result.pairs}


def test_same_email_pairs_with_a_high_score(agent):
    ani = person(agent, "Ani", "Nor")
    other = person(agent, "Ani", "Norr")
    stranger = person(agent, "Karen", "Poghosyan")
    email(agent, ani, "ani@example.com")
    email(agent, other, "ANI@Example.com")
    email(agent, stranger, "karen@example.com")
    found = pairs_of(agent)
    assert set(found) == {(ani.pk, other.pk)}
    pair = found[(ani.pk, other.pk)]
    assert pair.reasons == ["same_email", "similar_name"]
    assert pair.reason_labels == ["Same email", "Similar name"]
    assert 90 <= pair.score <= 100


def test_same_phone_counts_less_than_same_email(agent):
    a, b = person(agent, "Ani", "Nor"), person(agent, "Armen", "Sar")
    c, d = person(agent, "Lilit", "Hak"), person(agent, "Gor", "Mel")
    for customer in (a, b):
        services.contact_point_add(
            actor=agent, customer=customer, kind="phone", value="+374 10 123456"
        )
    email(agent, c, "shared@example.com")
    email(agent, d, "shared@example.com")
    result = duplicate_pairs(viewer=agent)
    assert [(p.first.pk, p.second.pk) for p in result.pairs] == [(c.pk, d.pk), (a.pk, b.pk)]
    assert result.pairs[1].reasons == ["same_phone"]
    assert result.pairs[0].score > result.pairs[1].score


def test_similar_name_needs_the_same_city_or_organization(agent):
    a = person(agent, "Anna", "Petrosyan", city="Yerevan")
    b = person(agent, "Ana", "Petrosyan", city="yerevan")  # the case of a city is no matter
    c = person(agent, "Anna", "Petrosyan", city="Gyumri")  # same name too: paired anyway
    d = person(agent, "Anna", "Petrossian", city="Vanadzor")  # similar, elsewhere: not
    e = person(agent, "Hanna", "Petrossian")
    acme = services.customer_create(actor=agent, kind="organization", organization_name="Acme")
    services.membership_add(actor=agent, person=d, organization=acme)
    services.membership_add(actor=agent, person=e, organization=acme)
    found = pairs_of(agent)
    assert found[(a.pk, b.pk)].reasons == ["similar_name", "same_city"]
    assert found[(a.pk, c.pk)].reasons == ["same_name"]
    assert found[(d.pk, e.pk)].reasons == ["similar_name", "same_organization"]
    assert (b.pk, c.pk) not in found
    assert (a.pk, d.pk) not in found
    assert found[(a.pk, c.pk)].score == 90


def test_an_address_city_counts_as_the_city(agent):
    a = person(agent, "Tigran", "Mkrtchyan")
    b = person(agent, "Tigran", "Mkrtchian")
    for customer in (a, b):
        services.contact_point_add(
            actor=agent, customer=customer, kind="address", value="1 Abovyan St", city="Yerevan"
        )
    assert pairs_of(agent)[(a.pk, b.pk)].reasons == ["similar_name", "same_city"]


def test_names_are_compared_without_case_accents_or_word_order(agent):
    assert name_similarity("José Ortega", "ortega jose") == 100
    a = person(agent, "José", "Ortega", city="Madrid")
    b = person(agent, "Jose", "Ortega", city="Madrid")
    assert pairs_of(agent)[(a.pk, b.pk)].reasons == ["same_name", "same_city"]


def test_a_person_and_an_organization_are_never_paired(agent):
    ani = person(agent, "Ani", "Nor")
    org = services.customer_create(actor=agent, kind="organization", organization_name="Ani Nor")
    email(agent, ani, "hello@ani.am")
    email(agent, org, "hello@ani.am")
    assert pairs_of(agent) == {}


def test_pairs_come_best_first_and_paginate(agent):
    names = ["Ani Nor", "Zara Kim", "Lilit Hak", "Gor Mel", "Aram Sar", "Tatev Ohan"]
    customers = [person(agent, *name.split()) for name in names]
    for n in range(0, 6, 2):
        email(agent, customers[n], f"p{n}@example.com")
        email(agent, customers[n + 1], f"p{n}@example.com")
    services.contact_point_add(
        actor=agent, customer=customers[4], kind="phone", value="+37410123456"
    )
    services.contact_point_add(
        actor=agent, customer=customers[5], kind="phone", value="+37410123456"
    )
    everything = duplicate_pairs(viewer=agent)
    assert everything.count == 3
    scores = [p.score for p in everything.pairs]
    assert scores == sorted(scores, reverse=True)
    assert (everything.pairs[0].first, everything.pairs[0].second) == tuple(customers[4:6])
    page = duplicate_pairs(viewer=agent, limit=2, offset=2)
    assert page.count == 3
    assert [(p.first, p.second) for p in page.pairs] == [
        (everything.pairs[2].first, everything.pairs[2].second)
    ]
    assert duplicate_pairs(viewer=agent, min_score=99).count == 0


def test_an_agent_sees_no_pair_with_another_teams_customer(
    agent, other_agent, north_customer, south_customer, manager
):
    email(agent, north_customer, "same@example.com")
    email(other_agent, south_customer, "same@example.com")
    services.customer_update(actor=agent, customer=north_customer, given_name="Sami")
    services.customer_update(actor=other_agent, customer=south_customer, family_name="Nor")
    assert pairs_of(agent) == {}
    assert pairs_of(other_agent) == {}
    assert duplicates_of(viewer=agent, customer=north_customer) == []
    assert set(pairs_of(manager)) == {(north_customer.pk, south_customer.pk)}
    assert [p.second for p in duplicates_of(viewer=manager, customer=north_customer)] == [
        south_customer
    ]


def test_duplicates_of_one_customer(agent):
    ani = person(agent, "Ani", "Nor", city="Yerevan")
    twin = person(agent, "Ani", "Norr", city="Yerevan")
    namesake = person(agent, "ani", "nor")
    by_mail = person(agent, "A.", "N.")
    person(agent, "Ani", "Petrosyan", city="Yerevan")
    email(agent, ani, "ani@example.com")
    email(agent, by_mail, "ani@example.com")
    found = {
        (p.second if p.first == ani else p.first): p
        for p in duplicates_of(viewer=agent, customer=ani)
    }
    assert set(found) == {twin, namesake, by_mail}
    assert found[twin].reasons == ["similar_name", "same_city"]
    assert found[namesake].reasons == ["same_name"]
    assert found[by_mail].reasons == ["same_email"]


def test_a_dismissed_pair_is_no_longer_proposed(agent):
    a, b = person(agent, "Ani", "Nor"), person(agent, "Ani", "Nor")
    assert (a.pk, b.pk) in pairs_of(agent)
    duplicate_dismiss(actor=agent, first=b, second=a)
    duplicate_dismiss(actor=agent, first=a, second=b)  # twice is once
    assert pairs_of(agent) == {}
    assert duplicates_of(viewer=agent, customer=a) == []


def test_blocks_too_common_to_tell_are_skipped(agent, monkeypatch):
    monkeypatch.setattr(duplicates, "MAX_BLOCK", 3)
    for _n in range(4):
        person(agent, "Aram", "Sargsyan")
    assert pairs_of(agent) == {}
    monkeypatch.setattr(duplicates, "MAX_BLOCK", 4)
    assert len(pairs_of(agent)) == 6


def test_the_work_is_a_fixed_number_of_queries(agent, django_assert_max_num_queries):
    for n in range(30):
        a = person(agent, "Ani", f"Nor{n}", city="Yerevan")
        b = person(agent, "Ani", f"Nor{n}", city="Yerevan")
        email(agent, a, f"ani{n}@example.com")
        email(agent, b, f"ani{n}@example.com")
    Customer.objects.update(owner=None)  # visible through the team: the costlier filter
    with django_assert_max_num_queries(12):
        result = duplicate_pairs(viewer=agent, limit=50)
    assert result.count == 30


# --- API --------------------------------------------------------------------------------


def test_api_lists_duplicates(agent, other_agent, api_for):
    a, b = person(agent, "Ani", "Nor"), person(agent, "Ani", "Nor")
    response = api_for(agent).get("/api/v1/customers/duplicates?page_size=10")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (1, 1, 1)
    item = body["items"][0]
    assert (item["first"]["id"], item["second"]["id"]) == (a.pk, b.pk)
    assert item["reasons"] == ["same_name"]
    assert item["score"] == 90
    assert api_for(other_agent).get("/api/v1/customers/duplicates").json()["count"] == 0
    bad = api_for(agent).get("/api/v1/customers/duplicates?min_score=101")
    assert_error_shape(bad, 422, "invalid_input")


@pytest.mark.parametrize("path", ["/customers/duplicates", "/customers/merges/1/undo"])
def test_api_needs_authentication(client, db, path):
    method = client.get if path.endswith("duplicates") else client.post
    assert_error_shape(method(f"/api/v1{path}"), 401, "unauthenticated")


# --- Web UI -----------------------------------------------------------------------------


def test_duplicates_page_lists_pairs_and_dismisses_one(agent, client):
    a, b = person(agent, "Ani", "Nor"), person(agent, "Ani", "Nor")
    client.force_login(agent)
    page = client.get("/customers/duplicates/").content.decode()
    assert f'href="/customers/{a.pk}/merge/{b.pk}/"' in page
    assert "Same name" in page
    response = client.post(f"/customers/{a.pk}/not-duplicate/{b.pk}/")
    assert response["Location"] == "/customers/duplicates/"
    page = client.get("/customers/duplicates/").content.decode()
    assert "No likely duplicates" in page


def test_duplicates_page_for_a_viewer_has_no_actions(viewer, agent, client):
    person(agent, "Ani", "Nor"), person(agent, "Ani", "Nor")
    client.force_login(viewer)
    page = client.get("/customers/duplicates/?page=7", follow=True).content.decode()
    assert "Compare and merge" not in page
    assert "Ani Nor" in page
