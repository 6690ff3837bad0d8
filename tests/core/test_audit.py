"""Every create, update and delete through a service leaves who, when and what changed."""

from patron.core.models import AuditEntry
from patron.customers import services


def entries_for(customer_id):
    return list(
        AuditEntry.objects.filter(
            target_type="customers.customer", target_id=str(customer_id)
        ).order_by("at", "id")
    )


def test_create_update_delete_are_audited_with_fields(agent, north):
    customer = services.customer_create(actor=agent, given_name="Lusine", family_name="Hakobyan")
    services.customer_update(actor=agent, customer=customer, family_name="Sargsyan", country="am")
    services.customer_update(actor=agent, customer=customer, family_name="Sargsyan")  # no change
    customer_id = customer.pk
    services.customer_delete(actor=agent, customer=customer)

    created, updated, deleted = entries_for(customer_id)
    assert (created.action, updated.action, deleted.action) == ("create", "update", "delete")
    assert {c["field"] for c in created.changes} >= {"given_name", "family_name", "owner", "team"}
    assert sorted(updated.changes, key=lambda c: c["field"]) == [
        {"field": "country", "old": "", "new": "AM"},
        {"field": "display_name", "old": "Lusine Hakobyan", "new": "Lusine Sargsyan"},
        {"field": "family_name", "old": "Hakobyan", "new": "Sargsyan"},
    ]
    assert {"field": "given_name", "old": "Lusine", "new": None} in deleted.changes
    assert all(e.actor_id == agent.pk and e.actor_label == agent.email for e in (created, updated))


def test_audit_page_shows_the_trail_of_a_record(client, agent, north_customer):
    services.customer_update(actor=agent, customer=north_customer, source="trade fair")
    client.force_login(agent)
    response = client.get(f"/audit/customers.customer/{north_customer.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "trade fair" in page and "source" in page and agent.email in page


def test_audit_api_lists_a_records_trail(api_for, agent, north_customer):
    services.customer_update(actor=agent, customer=north_customer, source="web")
    body = api_for(agent).get(f"/api/v1/audit/customers.customer/{north_customer.pk}").json()
    assert body["count"] == 1
    assert body["items"][0]["changes"] == [{"field": "source", "old": "", "new": "web"}]


def test_user_audit_never_contains_the_password(admin):
    from patron.accounts.services import user_create, user_set_password

    user = user_create(actor=admin, email="new@example.com", password="a long passphrase 1")
    user_set_password(actor=admin, user=user, password="another passphrase 2")
    for entry in AuditEntry.objects.filter(target_type="accounts.user"):
        assert "passphrase" not in str(entry.changes)


def test_user_audit_is_for_admins_only(client, admin, agent):
    client.force_login(agent)
    assert client.get(f"/audit/accounts.user/{agent.pk}/").status_code == 404
    client.force_login(admin)
    from patron.accounts.services import user_update

    user_update(actor=admin, user=agent, full_name="Renamed")
    assert client.get(f"/audit/accounts.user/{agent.pk}/").status_code == 200


def test_audit_page_reads_like_prose(client, manager, agent, north_customer):
    services.customer_update(
        actor=manager, customer=north_customer, owner=manager, lifecycle_stage="lost"
    )
    client.force_login(manager)
    page = client.get(f"/audit/customers.customer/{north_customer.pk}/").content.decode()
    assert "Owner" in page and "Lifecycle stage" in page
    assert agent.full_name in page and manager.full_name in page  # names, not ids
    assert ">Lost<" in page.replace("<bdi>", "").replace("</bdi>", "")


def test_audit_page_query_count_is_flat(
    client, manager, north_customer, django_assert_max_num_queries
):
    client.force_login(manager)
    services.customer_update(actor=manager, customer=north_customer, source="a")
    url = f"/audit/customers.customer/{north_customer.pk}/"
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(10):
        services.customer_update(
            actor=manager, customer=north_customer, source=f"s{n}", owner=manager if n % 2 else None
        )
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        client.get(url)
