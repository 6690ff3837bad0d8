"""Merging customers: everything moves, nothing is lost, the audit log alone can undo it;
versions, visibility and the API's error shapes."""

import datetime as dt

import pytest
from django.db import connection, models
from django.utils import timezone

from patron.core import relations
from patron.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from patron.core.models import AuditEntry
from patron.customers import services
from patron.customers.merge import (
    DERIVED,
    _unregistered_relations,
    customers_merge,
    merge_entry_get,
    merge_undo,
)
from patron.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    ExternalIdentifier,
    Membership,
    Preferences,
    SearchTerm,
)
from tests.conftest import assert_error_shape

EARLY = timezone.now() - dt.timedelta(days=30)
LATE = timezone.now() - dt.timedelta(days=1)


def person(actor, given, family, **fields):
    return services.customer_create(
        actor=actor, kind="person", given_name=given, family_name=family, **fields
    )


def organization(actor, name):
    return services.customer_create(actor=actor, kind="organization", organization_name=name)


@pytest.fixture
def pair(agent):
    """Two records of one person, with every kind of related record, some colliding."""
    acme, globex = organization(agent, "Acme"), organization(agent, "Globex")
    keep = person(agent, "Ani", "Nor", country="AM", tags=["vip"])
    gone = person(agent, "Anne", "Nor", city="Yerevan", source="import", tags=["vip", "press"])
    add = services.contact_point_add
    add(actor=agent, customer=keep, kind="email", value="ani@example.com")
    add(actor=agent, customer=gone, kind="email", value="ANI@example.com")  # same: dropped
    add(actor=agent, customer=gone, kind="email", value="anne@example.com")  # moves
    add(actor=agent, customer=gone, kind="phone", value="+37410123456")
    services.identifier_add(actor=agent, customer=gone, system="shop", value="S-1")
    services.identifier_add(actor=agent, customer=keep, system="erp", value="E-1")
    services.membership_add(actor=agent, person=keep, organization=acme, title="CEO")
    services.membership_add(actor=agent, person=gone, organization=acme, title="Boss")
    services.membership_add(actor=agent, person=gone, organization=globex, title="Advisor")
    consent = services.consent_set
    # email/marketing: the merged record's decision is newer, so it wins.
    consent(actor=agent, customer=keep, channel="email", purpose="marketing", status="granted",
            recorded_at=EARLY)  # fmt: skip
    consent(actor=agent, customer=gone, channel="email", purpose="marketing", status="withdrawn",
            recorded_at=LATE)  # fmt: skip
    # sms/service: the survivor's decision is newer, so it stays.
    consent(actor=agent, customer=keep, channel="sms", purpose="service", status="denied",
            recorded_at=LATE)  # fmt: skip
    consent(actor=agent, customer=gone, channel="sms", purpose="service", status="granted",
            recorded_at=EARLY)  # fmt: skip
    consent(actor=agent, customer=gone, channel="letter", purpose="surveys", status="granted")
    services.preferences_update(actor=agent, customer=gone, delivery="Door, not mailbox")
    return (
        Customer.objects.get(pk=keep.pk),
        Customer.objects.get(pk=gone.pk),
        Customer.objects.get(pk=acme.pk),
        Customer.objects.get(pk=globex.pk),
    )


def related_rows(*customers):
    """Every registered related row of these customers, as comparable values."""
    ids = [c.pk for c in customers]
    rows = {}
    for relation in relations.customer_relations():
        manager = relation.model._default_manager
        found = manager.filter(**{f"{relation.field}__in": ids}).order_by("pk")
        rows[relation.label] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k != "updated_at"))
            for row in found.values()
        )
    return rows


def customer_row(pk):
    return {
        k: v
        for k, v in Customer.objects.filter(pk=pk).values().get().items()
        if k not in ("version", "updated_at")
    }


def test_merge_moves_everything_and_loses_nothing(pair, agent):
    keep, gone, acme, globex = pair
    before_pks = {
        r.label: set(
            r.model._default_manager.filter(**{f"{r.field}__in": [keep.pk, gone.pk]}).values_list(
                "pk", flat=True
            )
        )
        for r in relations.customer_relations()
    }
    entry = customers_merge(actor=agent, survivor=keep, merged=gone)

    assert not Customer.objects.filter(pk=gone.pk).exists()
    payload = entry.payload
    for relation in relations.customer_relations():
        manager = relation.model._default_manager
        now = set(manager.filter(**{relation.field: keep.pk}).values_list("pk", flat=True))
        dropped = {row["pk"] for row in payload["dropped"].get(relation.label, [])}
        # Every row of either record is now the survivor's, or kept whole in the payload.
        expected = before_pks[relation.label] - dropped
        if relation.model is Preferences:
            expected = {keep.pk} if expected else set()
        assert now == expected, relation.label
        assert not manager.filter(**{relation.field: gone.pk}).exists()

    emails = ContactPoint.objects.filter(customer=keep, kind="email")
    assert sorted(emails.values_list("value", flat=True)) == [
        "ani@example.com",
        "anne@example.com",
    ]
    assert list(emails.filter(preferred=True).values_list("value", flat=True)) == [
        "ani@example.com"
    ]
    dropped_emails = payload["dropped"]["customers.contactpoint.customer"]
    assert [row["fields"]["value"] for row in dropped_emails] == ["ani@example.com"]
    assert set(
        ExternalIdentifier.objects.filter(customer=keep).values_list("value", flat=True)
    ) == {
        "S-1",
        "E-1",
    }
    memberships = Membership.objects.filter(person=keep)
    assert {(m.organization_id, m.title) for m in memberships} == {
        (acme.pk, "CEO"),
        (globex.pk, "Advisor"),
    }
    consents = {(c.channel, c.purpose): c.status for c in Consent.objects.filter(customer=keep)}
    assert consents == {
        ("email", "marketing"): "withdrawn",  # newest wins: the merged record's
        ("sms", "service"): "denied",  # newest wins: the survivor's
        ("letter", "surveys"): "granted",
    }
    assert sorted(keep.tags.values_list("name", flat=True)) == ["press", "vip"]
    assert Preferences.objects.get(customer=keep).delivery == "Door, not mailbox"
    keep.refresh_from_db()
    # Gaps filled from the merged record; the survivor's own values stay.
    assert (keep.given_name, keep.city, keep.source, keep.country) == (
        "Ani",
        "Yerevan",
        "import",
        "AM",
    )
    # Found by what came with the merged record.
    terms = set(SearchTerm.objects.filter(customer=keep).values_list("term", flat=True))
    assert {"s-1", "10123456"} <= terms


def test_merging_organizations_moves_their_members(agent):
    acme, acme_inc = organization(agent, "Acme"), organization(agent, "Acme Inc")
    ani, aram = person(agent, "Ani", "Nor"), person(agent, "Aram", "Sar")
    services.membership_add(actor=agent, person=ani, organization=acme, title="CEO")
    services.membership_add(actor=agent, person=ani, organization=acme_inc, title="Owner")
    services.membership_add(actor=agent, person=aram, organization=acme_inc, title="CTO")
    entry = customers_merge(actor=agent, survivor=acme, merged=acme_inc)
    members = {(m.person_id, m.title) for m in Membership.objects.filter(organization=acme)}
    assert members == {(ani.pk, "CEO"), (aram.pk, "CTO")}
    assert len(entry.payload["dropped"]["customers.membership.organization"]) == 1


def test_undo_restores_exactly(pair, agent):
    keep, gone, *_orgs = pair
    rows_before = related_rows(keep, gone)
    keep_before, gone_before = customer_row(keep.pk), customer_row(gone.pk)
    terms_before = set(SearchTerm.objects.filter(customer__in=[keep, gone]).values_list(
        "customer_id", "term"
    ))  # fmt: skip

    entry = customers_merge(
        actor=agent, survivor=keep, merged=gone, field_choices={"given_name": "merged"}
    )
    assert Customer.objects.get(pk=keep.pk).given_name == "Anne"
    restored = merge_undo(actor=agent, entry=entry)

    assert restored.pk == gone.pk
    rows_after = related_rows(keep, gone)
    for label in rows_before:
        assert rows_after[label] == rows_before[label], label
    assert customer_row(keep.pk) == keep_before
    assert customer_row(gone.pk) == gone_before
    assert restored.version == gone.version + 1  # a tab opened before the merge is stale
    assert (
        set(SearchTerm.objects.filter(customer__in=[keep, gone]).values_list("customer_id", "term"))
        == terms_before
    )
    with pytest.raises(Conflict, match="undone already"):
        merge_undo(actor=agent, entry=entry)


def test_merge_and_undo_are_audited(pair, agent):
    keep, gone, *_orgs = pair
    entry = customers_merge(actor=agent, survivor=keep, merged=gone)
    assert (entry.action, entry.target_id, entry.actor) == ("merge", str(keep.pk), agent)
    assert {"field": "merged record", "old": None, "new": f"Anne Nor (#{gone.pk})"} in entry.changes
    assert {"field": "city", "old": "", "new": "Yerevan"} in entry.changes
    trace = AuditEntry.objects.get(target_type="customers.customer", target_id=str(gone.pk),
                                   action="merge")  # fmt: skip
    assert trace.changes == [{"field": "merged into", "old": None, "new": f"Ani Nor (#{keep.pk})"}]
    assert merge_entry_get(trace.pk) == entry  # the merged record's history leads to the undo
    merge_undo(actor=agent, entry=trace)
    unmerges = AuditEntry.objects.filter(action="unmerge", payload__merge_entry_id=entry.pk)
    assert sorted(unmerges.values_list("target_id", flat=True)) == sorted(
        [str(keep.pk), str(gone.pk)]
    )


def test_undo_keeps_what_changed_since_and_refuses_when_moved_rows_are_gone(pair, agent):
    keep, gone, *_orgs = pair
    entry = customers_merge(actor=agent, survivor=keep, merged=gone)
    survivor = Customer.objects.get(pk=keep.pk)
    services.customer_update(actor=agent, customer=survivor, city="Gyumri")
    moved_phone = ContactPoint.objects.get(customer=keep, kind="phone")
    services.contact_point_delete(actor=agent, point=moved_phone)
    with pytest.raises(Conflict, match="since deleted or moved"):
        merge_undo(actor=agent, entry=entry)
    assert not Customer.objects.filter(pk=gone.pk).exists()  # nothing half-done

    second = person(agent, "Zara", "Sar")
    third = person(agent, "Zara", "Sarr", city="Ashtarak")
    entry = customers_merge(actor=agent, survivor=second, merged=third)
    services.customer_update(
        actor=agent, customer=Customer.objects.get(pk=second.pk), city="Gyumri"
    )
    merge_undo(actor=agent, entry=entry)
    # The city filled by the merge was changed since: that later change stays.
    assert Customer.objects.get(pk=second.pk).city == "Gyumri"


def test_stale_versions_are_refused(pair, agent):
    keep, gone, *_orgs = pair
    with pytest.raises(Conflict) as caught:
        customers_merge(
            actor=agent, survivor=keep, merged=gone, expected_versions=(keep.version - 1, None)
        )
    assert caught.value.details == {"version": keep.version}
    with pytest.raises(Conflict):
        customers_merge(
            actor=agent, survivor=keep, merged=gone, expected_versions=(None, gone.version + 5)
        )
    customers_merge(
        actor=agent, survivor=keep, merged=gone, expected_versions=(keep.version, gone.version)
    )


def test_merge_refuses_self_kinds_and_unknown_fields(pair, agent):
    keep, gone, acme, _globex = pair
    with pytest.raises(ValidationFailed, match="itself"):
        customers_merge(actor=agent, survivor=keep, merged=keep)
    with pytest.raises(ValidationFailed, match="organization"):
        customers_merge(actor=agent, survivor=keep, merged=acme)
    with pytest.raises(ValidationFailed) as caught:
        customers_merge(actor=agent, survivor=keep, merged=gone, field_choices={"email": "merged"})
    assert "field_choices" in caught.value.details
    with pytest.raises(ValidationFailed):
        customers_merge(actor=agent, survivor=keep, merged=gone, field_choices={"city": "both"})
    assert Customer.objects.filter(pk=gone.pk).exists()


def test_agent_cannot_merge_or_undo_another_teams_customers(
    pair, agent, other_agent, viewer, south_customer, manager
):
    keep, gone, *_orgs = pair
    with pytest.raises(NotFound):
        customers_merge(actor=agent, survivor=keep, merged=south_customer)
    with pytest.raises(NotFound):
        customers_merge(actor=other_agent, survivor=south_customer, merged=keep)
    with pytest.raises(PermissionDenied):
        customers_merge(actor=viewer, survivor=keep, merged=gone)
    entry = customers_merge(actor=agent, survivor=keep, merged=gone)
    with pytest.raises(NotFound):
        merge_undo(actor=other_agent, entry=entry)
    with pytest.raises(PermissionDenied):
        merge_undo(actor=viewer, entry=entry)
    merge_undo(actor=manager, entry=entry)


def test_an_agent_keeps_the_merged_record_in_sight(agent, manager, north, south):
    keep = person(agent, "Ani", "Nor", owner=manager, team=north)  # seen through the team
    gone = person(agent, "Ani", "Nor", owner=agent, team=north)
    Customer.objects.filter(pk=gone.pk).update(team=south)  # seen as its owner
    gone.refresh_from_db()
    with pytest.raises(ValidationFailed, match="lose access"):
        customers_merge(actor=agent, survivor=keep, merged=gone, field_choices={"team": "merged"})
    entry = customers_merge(
        actor=agent, survivor=keep, merged=gone, field_choices={"team": "merged", "owner": "merged"}
    )
    assert (entry.payload["survivor_after"]["owner"], entry.payload["survivor_after"]["team"]) == (
        agent.pk,
        south.pk,
    )


def test_every_relation_to_a_customer_is_registered_for_merging():
    # A table that points at a customer but is not registered would lose its rows when
    # a merge deletes the merged customer: later apps must register theirs.
    assert _unregistered_relations() == []
    assert SearchTerm in DERIVED


@pytest.fixture
def timeline_model(transactional_db):
    """A later app's table (a timeline), created for this test only."""

    class Note(models.Model):
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
        text = models.CharField(max_length=100)

        class Meta:
            app_label = "customers"
            db_table = "test_merge_note"

        def __str__(self) -> str:
            return self.text

    with connection.schema_editor() as editor:
        editor.create_model(Note)
    yield Note
    relations._RELATIONS.pop("customers.note.customer", None)
    with connection.schema_editor() as editor:
        editor.delete_model(Note)
    from django.apps import apps

    del apps.all_models["customers"]["note"]
    apps.clear_cache()


def test_a_relation_registered_by_a_later_app_moves_too(timeline_model, agent):
    keep, gone = person(agent, "Ani", "Nor"), person(agent, "Ani", "Nor")
    timeline_model.objects.create(customer=gone, text="Called")
    # Not registered: a merge would lose the note, so it is refused.
    with pytest.raises(Conflict, match="cannot be merged yet"):
        customers_merge(actor=agent, survivor=keep, merged=gone)
    relations.register_customer_relation(timeline_model, "customer")
    entry = customers_merge(actor=agent, survivor=keep, merged=gone)
    assert timeline_model.objects.get().customer_id == keep.pk
    assert len(entry.payload["moved"]["customers.note.customer"]) == 1
    merge_undo(actor=agent, entry=entry)
    assert timeline_model.objects.get().customer_id == gone.pk


# --- API --------------------------------------------------------------------------------


def test_api_merge_and_undo(pair, agent, api_for):
    keep, gone, *_orgs = pair
    api = api_for(agent)
    response = api.post(
        f"/api/v1/customers/{keep.pk}/merge",
        {
            "merged_id": gone.pk,
            "field_choices": {"given_name": "merged"},
            "version": keep.version,
            "merged_version": gone.version,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["survivor"]["id"] == keep.pk
    assert body["survivor"]["given_name"] == "Anne"
    assert body["moved"]["customers.contactpoint.customer"] == 2
    assert body["dropped"]["customers.contactpoint.customer"] == 1
    assert api.get(f"/api/v1/customers/{gone.pk}").status_code == 404

    response = api.post(f"/api/v1/customers/merges/{body['audit_entry_id']}/undo")
    assert response.status_code == 200, response.content
    assert response.json()["customer"]["id"] == gone.pk
    assert response.json()["survivor"]["given_name"] == "Ani"
    again = api.post(f"/api/v1/customers/merges/{body['audit_entry_id']}/undo")
    assert_error_shape(again, 409, "conflict")


def test_api_merge_errors(pair, agent, other_agent, south_customer, api_for):
    keep, gone, acme, _globex = pair
    api = api_for(agent)
    url = f"/api/v1/customers/{keep.pk}/merge"
    stale = api.post(url, {"merged_id": gone.pk, "version": keep.version + 1})
    assert assert_error_shape(stale, 409, "conflict")["details"] == {"version": keep.version}
    assert_error_shape(api.post(url, {"merged_id": keep.pk}), 422, "validation_failed")
    assert_error_shape(api.post(url, {"merged_id": acme.pk}), 422, "validation_failed")
    assert_error_shape(api.post(url, {"merged_id": south_customer.pk}), 404, "not_found")
    assert_error_shape(
        api.post(url, {"merged_id": gone.pk, "field_choices": {"city": "both"}}),
        422,
        "invalid_input",
    )
    assert_error_shape(api.post(url, {"merged_id": gone.pk, "extra": 1}), 422, "invalid_input")
    assert_error_shape(
        api.post(url, {"merged_id": gone.pk, "field_choices": {"nope": "merged"}}),
        422,
        "validation_failed",
    )
    assert_error_shape(api_for(other_agent).post(url, {"merged_id": gone.pk}), 404, "not_found")
    assert_error_shape(api.post("/api/v1/customers/merges/999999/undo"), 404, "not_found")
    assert Customer.objects.filter(pk=gone.pk).exists()


def test_api_undo_of_another_teams_merge_is_not_found(pair, agent, other_agent, api_for):
    keep, gone, *_orgs = pair
    entry = customers_merge(actor=agent, survivor=keep, merged=gone)
    response = api_for(other_agent).post(f"/api/v1/customers/merges/{entry.pk}/undo")
    assert_error_shape(response, 404, "not_found")
    assert not Customer.objects.filter(pk=gone.pk).exists()


# --- Web UI -----------------------------------------------------------------------------


def test_merge_screen_merges_with_the_chosen_values_and_offers_undo(pair, agent, client):
    keep, gone, *_orgs = pair
    client.force_login(agent)
    url = f"/customers/{keep.pk}/merge/{gone.pk}/"
    page = client.get(url).content.decode()
    assert 'name="choice_given_name"' in page
    assert 'name="choice_family_name"' not in page  # the same in both: nothing to choose
    assert 'id="choice_city_merged" value="merged" checked' in page  # fills the gap
    assert "contact points" in page

    response = client.post(
        url,
        {"choice_given_name": "merged", "version": keep.version, "merged_version": gone.version},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{keep.pk}/"
    assert Customer.objects.get(pk=keep.pk).given_name == "Anne"
    entry = AuditEntry.objects.get(action="merge", target_id=str(keep.pk))
    # The flash message (shown by whichever page comes next) carries the Undo button.
    next_page = client.get("/customers/duplicates/").content.decode()
    assert f"Anne Nor (#{gone.pk}) is merged into Anne Nor (#{keep.pk})." in next_page
    assert f'action="/customers/merges/{entry.pk}/undo/"' in next_page

    # The survivor's history offers the undo too.
    history = client.get(f"/audit/customers.customer/{keep.pk}/").content.decode()
    assert f'action="/customers/merges/{entry.pk}/undo/"' in history
    assert "Merged record" in history

    response = client.post(f"/customers/merges/{entry.pk}/undo/")
    assert response["Location"] == f"/customers/{gone.pk}/"
    assert Customer.objects.get(pk=keep.pk).given_name == "Ani"
    again = client.post(f"/customers/merges/{entry.pk}/undo/")
    assert again["Location"] == f"/customers/{keep.pk}/"
    assert "undone already" in client.get("/customers/duplicates/").content.decode()


def test_merge_screen_reports_a_stale_version(pair, agent, client):
    keep, gone, *_orgs = pair
    client.force_login(agent)
    response = client.post(
        f"/customers/{keep.pk}/merge/{gone.pk}/",
        {"choice_city": "merged", "version": keep.version - 1, "merged_version": gone.version},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed by someone else" in page
    assert 'id="choice_city_merged" value="merged" checked' in page
    assert Customer.objects.filter(pk=gone.pk).exists()


def test_merge_screen_is_not_found_for_another_team(pair, agent, other_agent, viewer, client):
    keep, gone, *_orgs = pair
    client.force_login(viewer)
    assert client.get(f"/customers/{keep.pk}/merge/{gone.pk}/").status_code == 403
    client.force_login(other_agent)
    assert client.get(f"/customers/{keep.pk}/merge/{gone.pk}/").status_code == 404
    entry = customers_merge(actor=agent, survivor=keep, merged=gone)
    assert client.post(f"/customers/merges/{entry.pk}/undo/").status_code == 404
    assert client.get(f"/customers/merges/{entry.pk}/undo/").status_code == 405
    assert not Customer.objects.filter(pk=gone.pk).exists()
