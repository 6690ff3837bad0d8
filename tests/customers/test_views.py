"""The customer pages: the list (search, filters, stale data, bulk actions, saved views),
the customer page (360) with its sections edited in place, and the custom fields admin."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone

from patron.accounts.models import Role
from patron.core.models import AuditEntry
from patron.customers import services
from patron.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomField,
    ExternalIdentifier,
    Membership,
    Preferences,
    SavedView,
)
from tests.factories import CustomerFactory, TeamFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
LONG_AGO = timezone.now() - dt.timedelta(days=800)


def names_in(response):
    """The customer names linked from a list page, in order."""
    page = response.content.decode()
    return re.findall(r'href="/customers/\d+/"[^>]*><bdi>([^<]+)</bdi>', page)


def rich_person(actor, team, *, points=6, organizations=4, name="Ani"):
    """A person with contact points, identifiers, organizations, consent, preferences, tags
    and custom field values: everything the customer page shows."""
    person = services.customer_create(
        actor=actor, given_name=name, family_name="Nor", country="AM", team=team
    )
    for n in range(points):
        services.contact_point_add(
            actor=actor, customer=person, kind="email", value=f"{name.lower()}{n}@example.com"
        )
    services.contact_point_add(actor=actor, customer=person, kind="phone", value="+37491234567")
    services.identifier_add(actor=actor, customer=person, system="erp", value=f"{name}-1")
    services.identifier_add(actor=actor, customer=person, system="shop", value=f"{name}-2")
    for n in range(organizations):
        organization = services.customer_create(
            actor=actor, kind="organization", organization_name=f"Org {name} {n}", team=team
        )
        services.membership_add(
            actor=actor, person=person, organization=organization, title=f"Title {n}"
        )
    for channel in ("email", "sms", "phone"):
        for purpose in ("marketing", "surveys"):
            services.consent_set(
                actor=actor,
                customer=person,
                channel=channel,
                purpose=purpose,
                status="granted",
                source="web form",
            )
    services.preferences_update(
        actor=actor,
        customer=person,
        payment_method="Bank transfer",
        vip_handling="Call before delivery",
        quiet_hours_start=dt.time(21),
        quiet_hours_end=dt.time(8),
    )
    person.refresh_from_db()
    return services.customer_update(
        actor=actor, customer=person, tags=["vip", "wholesale", "newsletter", "retail"]
    )


@pytest.fixture
def fields(admin):
    services.custom_field_save(
        actor=admin, key="loyalty", label="Loyalty number", field_type="text", position=1
    )
    services.custom_field_save(
        actor=admin, key="visits", label="Visits", field_type="number", position=2
    )
    services.custom_field_save(
        actor=admin, key="vip_since", label="VIP since", field_type="date", position=3
    )
    services.custom_field_save(
        actor=admin, key="segment", label="Segment", field_type="choice", choices=["A", "B"]
    )


# --- The list ---------------------------------------------------------------------------


def test_each_filter_narrows_the_list(client, manager, agent, north, south):
    services.customer_create(
        actor=manager,
        kind="organization",
        organization_name="Ararat Trading",
        country="AM",
        lifecycle_stage="partner",
        team=north,
        owner=agent,
        tags=["wholesale"],
    )
    services.customer_create(
        actor=manager,
        given_name="Siti",
        family_name="Aminah",
        country="MY",
        lifecycle_stage="customer",
        team=south,
        owner=manager,
    )
    client.force_login(manager)
    everyone = {"Ararat Trading", "Siti Aminah"}
    assert set(names_in(client.get("/customers/"))) == everyone
    for query, expected in [
        ("kind=organization", {"Ararat Trading"}),
        ("kind=person", {"Siti Aminah"}),
        ("lifecycle_stage=partner", {"Ararat Trading"}),
        (f"owner={agent.pk}", {"Ararat Trading"}),
        (f"team={south.pk}", {"Siti Aminah"}),
        ("tag=wholesale", {"Ararat Trading"}),
        ("country=MY", {"Siti Aminah"}),
        (f"country=AM&team={south.pk}", set()),
    ]:
        assert set(names_in(client.get(f"/customers/?{query}"))) == expected, query
    assert names_in(client.get("/customers/?sort=-name")) == ["Siti Aminah", "Ararat Trading"]


@pytest.mark.parametrize(
    "query",
    ["ani.nor@exa", "ANI.NOR@EXAMPLE.COM", "+37491", "091 23", "erp-77", "ERP-7731", "nor", "Ánî"],
)
def test_search_finds_by_name_email_phone_and_external_id(client, agent, north, query):
    ani = services.customer_create(actor=agent, given_name="Ani", family_name="Nor", team=north)
    services.contact_point_add(actor=agent, customer=ani, kind="email", value="ani.nor@example.com")
    services.contact_point_add(actor=agent, customer=ani, kind="phone", value="+37491234567")
    services.identifier_add(actor=agent, customer=ani, system="erp", value="ERP-7731")
    services.customer_create(actor=agent, given_name="Other", family_name="Person", team=north)
    client.force_login(agent)
    response = client.get("/customers/", {"q": query})
    assert names_in(response) == ["Ani Nor"], query


def test_search_works_in_any_script(client, agent, north):
    services.customer_create(actor=agent, given_name="مُحَمَّد", family_name="علي", team=north)
    services.customer_create(actor=agent, given_name="Արամ", family_name="Խաչատրյան", team=north)
    client.force_login(agent)
    assert names_in(client.get("/customers/", {"q": "محمد"})) == ["مُحَمَّد علي"]
    assert names_in(client.get("/customers/", {"q": "արա"})) == ["Արամ Խաչատրյան"]


def test_list_shows_the_preferred_email_and_phone(client, agent, north):
    ani = services.customer_create(actor=agent, given_name="Ani", team=north, country="AM")
    services.contact_point_add(actor=agent, customer=ani, kind="email", value="first@example.com")
    services.contact_point_add(
        actor=agent, customer=ani, kind="email", value="best@example.com", preferred=True
    )
    services.contact_point_add(actor=agent, customer=ani, kind="phone", value="+37491234567")
    client.force_login(agent)
    page = client.get("/customers/").content.decode()
    assert "best@example.com" in page and "first@example.com" not in page
    assert "091 234567" in page  # the national format


def test_export_links_carry_the_current_filters(client, agent, north_customer):
    client.force_login(agent)
    page = client.get("/customers/?kind=person&q=ani&page=1").content.decode()
    assert 'href="/customers/export.csv?kind=person&amp;q=ani"' in page
    assert 'href="/customers/export.vcf?kind=person&amp;q=ani"' in page
    assert 'href="/customers/import/"' in page


def test_stale_filter_lists_customers_and_contact_points_not_confirmed(client, agent, north):
    old = services.customer_create(actor=agent, given_name="Old", family_name="Record", team=north)
    services.customer_create(actor=agent, given_name="Fresh", family_name="One", team=north)
    with_old_point = services.customer_create(
        actor=agent, given_name="Stale", family_name="Phone", team=north
    )
    point = services.contact_point_add(
        actor=agent, customer=with_old_point, kind="phone", value="+37491234567"
    )
    Customer.objects.filter(pk=old.pk).update(created_at=LONG_AGO)
    ContactPoint.objects.filter(pk=point.pk).update(created_at=LONG_AGO)
    client.force_login(agent)
    stale = set(names_in(client.get("/customers/?stale=on")))
    assert stale == {"Old Record", "Stale Phone"}
    assert "Fresh One" in names_in(client.get("/customers/"))
    # Confirming takes them off the list.
    client.post(f"/customers/{old.pk}/confirm/")
    client.post(f"/customers/{with_old_point.pk}/contact-points/{point.pk}/confirm/")
    assert names_in(client.get("/customers/?stale=on")) == []


def test_bulk_assign_owner_team_and_tag(client, manager, agent, north, south):
    one = CustomerFactory(given_name="One", team=north)
    two = CustomerFactory(given_name="Two", team=north)
    untouched = CustomerFactory(given_name="Three", team=north)
    client.force_login(manager)
    response = client.post(
        "/customers/bulk/",
        {"ids": [one.pk, two.pk], "owner": agent.pk, "team": south.pk, "query": "kind=person"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/customers/?kind=person"
    assert "2 customers changed." in response.content.decode()
    for customer in (one, two):
        customer.refresh_from_db()
        assert (customer.owner, customer.team) == (agent, south)
    response = client.post("/customers/bulk/", {"ids": [one.pk], "tag": "gold"}, follow=True)
    assert "1 customer changed." in response.content.decode()
    assert list(one.tags.values_list("name", flat=True)) == ["gold"]
    untouched.refresh_from_db()
    assert untouched.owner is None and not untouched.tags.exists()
    assert AuditEntry.objects.filter(target_id=str(one.pk), action="update").count() == 2


def test_bulk_needs_a_tick_and_an_action(client, manager, north):
    one = CustomerFactory(given_name="One", team=north)
    client.force_login(manager)
    page = client.post("/customers/bulk/", {"tag": "x"}, follow=True).content.decode()
    assert "Tick at least one customer first." in page
    page = client.post("/customers/bulk/", {"ids": [one.pk]}, follow=True).content.decode()
    assert "Choose an owner, a team or a tag to apply." in page


def test_bulk_changes_only_customers_the_agent_may_change(
    client, agent, north, south_customer, north_customer
):
    client.force_login(agent)
    client.post("/customers/bulk/", {"ids": [north_customer.pk, south_customer.pk], "tag": "x"})
    assert north_customer.tags.filter(name="x").exists()
    assert not south_customer.tags.exists()


def test_viewer_sees_no_bulk_actions_and_cannot_post_them(client, viewer, north_customer):
    client.force_login(viewer)
    page = client.get("/customers/").content.decode()
    assert "Ani Nor" in page and 'name="ids"' not in page
    response = client.post("/customers/bulk/", {"ids": [north_customer.pk], "tag": "x"})
    assert response.status_code == 403
    assert not north_customer.tags.exists()


def test_saved_views_per_user(client, agent, other_agent, north):
    CustomerFactory(given_name="Zed", team=north, lifecycle_stage="lost")
    client.force_login(agent)
    response = client.post(
        "/customers/views/save/",
        {"name": "Lost ones", "query": "lifecycle_stage=lost&page=3"},
        follow=True,
    )
    # The page number is not part of a view.
    assert response.redirect_chain[-1][0] == "/customers/?lifecycle_stage=lost"
    page = response.content.decode()
    assert "Lost ones" in page and 'aria-current="true"' in page
    view = SavedView.objects.get(user=agent)
    assert view.query == "lifecycle_stage=lost"
    assert 'href="/customers/?lifecycle_stage=lost"' in client.get("/customers/").content.decode()
    # Someone else neither sees nor deletes it.
    client.force_login(other_agent)
    assert "Lost ones" not in client.get("/customers/").content.decode()
    assert client.post(f"/customers/views/{view.pk}/delete/").status_code == 404
    client.force_login(agent)
    client.post(f"/customers/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_a_saved_view_needs_a_name(client, agent):
    client.force_login(agent)
    page = client.post("/customers/views/save/", {"name": " "}, follow=True).content.decode()
    assert "Give the view a name." in page
    assert not SavedView.objects.exists()


def test_list_query_count_stays_flat_with_filters_and_search(
    client, manager, north, django_assert_max_num_queries
):
    def make(n):
        for i in range(n):
            customer = services.customer_create(
                actor=manager, given_name=f"Anna{i}", family_name="Berg", team=north, tags=["t"]
            )
            services.contact_point_add(
                actor=manager, customer=customer, kind="email", value=f"anna{i}@example.com"
            )

    client.force_login(manager)
    url = f"/customers/?q=anna&team={north.pk}&tag=t&stale=&sort=-created"
    make(2)
    with django_assert_max_num_queries(12) as few:
        assert len(names_in(client.get(url))) == 2
    make(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(names_in(client.get(url))) == 25
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url + "&stale=on", **HTMX)


# --- The customer page ------------------------------------------------------------------


def test_customer_page_shows_the_essentials_at_a_glance(client, agent, north, fields):
    person = rich_person(agent, north)
    services.customer_update(
        actor=agent, customer=person, custom_fields={"loyalty": "L-77", "visits": 12}
    )
    client.force_login(agent)
    page = client.get(f"/customers/{person.pk}/").content.decode()
    for expected in (
        "Ani Nor",
        "Org Ani 0",  # an organization of the person, in the header
        "Title 0",
        "Value tier: not computed yet",
        "Bank transfer",  # service preferences in the header
        "Call before delivery",
        "ani0@example.com",
        "091 234567",
        "erp",
        "Ani-1",
        "Granted",
        "21:00–08:00",
        "wholesale",
        "Loyalty number",
        "L-77",
        "Timeline",
        "Orders",
        "Tickets",
        "Feedback",
        "Nothing on the timeline yet",
        "Allowed",  # email marketing, at a glance
    ):
        assert expected in page, expected


@pytest.mark.parametrize("inside", [True, False])
def test_glance_tells_quiet_hours_apart_from_a_refusal(client, agent, north, inside):
    person = rich_person(agent, north, points=1, organizations=0)
    # Quiet hours around (or away from) this very minute, in the customer's time zone.
    now = timezone.now().astimezone(zoneinfo.ZoneInfo(person.time_zone or settings.TIME_ZONE))
    start = now - dt.timedelta(hours=1) if inside else now + dt.timedelta(hours=2)
    end = now + dt.timedelta(hours=1) if inside else now + dt.timedelta(hours=3)
    services.preferences_update(
        actor=agent,
        customer=person,
        quiet_hours_start=start.time().replace(second=0, microsecond=0),
        quiet_hours_end=end.time().replace(second=0, microsecond=0),
    )
    client.force_login(agent)
    page = client.get(f"/customers/{person.pk}/").content.decode()
    glance = page.split('data-testid="email-marketing"')[1].split("</div>\n</div>")[0]
    assert ("Allowed from" in glance) is inside
    assert ("quiet hours" in glance) is inside
    assert "Not allowed" not in glance


def test_organization_page_lists_its_people_with_a_count_and_pages(client, agent, north):
    organization = services.customer_create(
        actor=agent, kind="organization", organization_name="Big Co", team=north
    )
    for n in range(23):
        person = services.customer_create(
            actor=agent, given_name=f"P{n:02}", family_name="Member", team=north
        )
        services.membership_add(actor=agent, person=person, organization=organization)
    client.force_login(agent)
    page = client.get(f"/customers/{organization.pk}/").content.decode()
    assert re.search(r'data-testid="member-count">23<', page)
    assert "P00 Member" in page and "P19 Member" in page and "P20 Member" not in page
    second = client.get(
        f"/customers/{organization.pk}/section/memberships/?members_page=2", **HTMX
    ).content.decode()
    assert "P20 Member" in second and "P00 Member" not in second and "<html" not in second


def test_stale_customer_and_contact_point_are_flagged_with_confirm_actions(
    client, agent, north_customer
):
    point = services.contact_point_add(
        actor=agent, customer=north_customer, kind="email", value="old@example.com"
    )
    Customer.objects.filter(pk=north_customer.pk).update(created_at=LONG_AGO)
    ContactPoint.objects.filter(pk=point.pk).update(created_at=LONG_AGO)
    client.force_login(agent)
    page = client.get(f"/customers/{north_customer.pk}/").content.decode()
    assert 'data-testid="customer-stale"' in page and 'data-testid="stale-point"' in page
    response = client.post(
        f"/customers/{north_customer.pk}/contact-points/{point.pk}/confirm/", **HTMX
    )
    assert response.status_code == 200
    assert 'data-testid="stale-point"' not in response.content.decode()
    response = client.post(f"/customers/{north_customer.pk}/confirm/", **HTMX)
    assert 'data-testid="customer-stale"' not in response.content.decode()
    north_customer.refresh_from_db()
    assert north_customer.last_confirmed_at is not None


def test_inline_edit_of_the_essentials_and_a_stale_edit_is_refused(client, agent, north_customer):
    client.force_login(agent)
    url = f"/customers/{north_customer.pk}/section/essentials/edit/"
    form_page = client.get(url, **HTMX).content.decode()
    assert "<html" not in form_page and 'name="version"' in form_page
    version = north_customer.version
    data = {
        "kind": "person",
        "given_name": "Anahit",
        "family_name": "Nor",
        "lifecycle_stage": "customer",
        "language": "hy",
        "country": "AM",
        "city": "Yerevan",
        "time_zone": "Asia/Yerevan",
        "owner": agent.pk,
        "team": north_customer.team_id,
        "version": version,
    }
    response = client.post(url, data, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Anahit Nor" in body and 'hx-swap-oob="true"' in body  # the header follows
    north_customer.refresh_from_db()
    assert (north_customer.display_name, north_customer.city) == ("Anahit Nor", "Yerevan")
    # Someone else's form, opened before that save, still carries the old version.
    data.update(given_name="Overwrite")
    response = client.post(url, data, **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this customer" in body and 'data-testid="conflict"' in body
    assert 'value="Overwrite"' in body  # the typed values are kept, not lost
    north_customer.refresh_from_db()
    assert north_customer.given_name == "Anahit"


def test_inline_forms_work_without_javascript(client, agent, north_customer):
    client.force_login(agent)
    url = f"/customers/{north_customer.pk}/section/essentials/edit/"
    page = client.get(url).content.decode()
    assert "<html" in page and 'name="given_name"' in page
    data = {
        "kind": "person",
        "given_name": "Ani",
        "family_name": "Changed",
        "lifecycle_stage": "customer",
        "owner": agent.pk,
        "team": north_customer.team_id,
        "version": north_customer.version,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{north_customer.pk}/#section-essentials"
    data.update(country="XX", version=north_customer.version + 1)
    response = client.post(url, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "<html" in page and "two-letter ISO country code" in page
    data.update(country="", version=north_customer.version)  # now stale
    assert client.post(url, data).status_code == 409


def test_field_errors_answer_422_with_the_form(client, agent, north_customer):
    client.force_login(agent)
    url = f"/customers/{north_customer.pk}/section/essentials/edit/"
    data = {"kind": "person", "lifecycle_stage": "customer", "version": north_customer.version}
    response = client.post(url, data, **HTMX)
    assert response.status_code == 422
    assert "A person needs a given or a family name." in response.content.decode()


def test_contact_points_add_edit_delete(client, agent, north_customer):
    client.force_login(agent)
    base = f"/customers/{north_customer.pk}"
    response = client.post(
        f"{base}/section/contact-points/edit/",
        {"kind": "phone", "value": "091 234567", "country": "AM", "label": "mobile"},
        **HTMX,
    )
    assert response.status_code == 200
    point = ContactPoint.objects.get(customer=north_customer)
    assert (point.value, point.preferred) == ("+37491234567", True)
    assert "091 234567" in response.content.decode()
    bad = client.post(
        f"{base}/section/contact-points/edit/", {"kind": "email", "value": "not-mail"}, **HTMX
    )
    assert bad.status_code == 422 and "not a valid email address" in bad.content.decode()
    form = client.get(f"{base}/contact-points/{point.pk}/edit/", **HTMX).content.decode()
    assert 'value="+37491234567"' in form and 'name="kind"' not in form
    response = client.post(
        f"{base}/contact-points/{point.pk}/edit/",
        {"value": "+37410123456", "label": "office", "preferred": "on"},
        **HTMX,
    )
    assert response.status_code == 200
    point.refresh_from_db()
    assert (point.value, point.label) == ("+37410123456", "office")
    client.post(f"{base}/contact-points/{point.pk}/delete/", **HTMX)
    assert not ContactPoint.objects.exists()


def test_identifiers_add_refuse_a_taken_one_and_delete(client, agent, north_customer):
    other = CustomerFactory(team=north_customer.team)
    services.identifier_add(actor=agent, customer=other, system="erp", value="E-1")
    client.force_login(agent)
    base = f"/customers/{north_customer.pk}"
    url = f"{base}/section/identifiers/edit/"
    assert client.post(url, {"system": "ERP", "value": "E-2"}, **HTMX).status_code == 200
    taken = client.post(url, {"system": "erp", "value": "E-1"}, **HTMX)
    assert taken.status_code == 409
    assert "already belongs to another customer" in taken.content.decode()
    identifier = ExternalIdentifier.objects.get(customer=north_customer)
    assert (identifier.system, identifier.value) == ("erp", "E-2")
    client.post(f"{base}/identifiers/{identifier.pk}/delete/", **HTMX)
    assert not ExternalIdentifier.objects.filter(customer=north_customer).exists()


def test_person_joins_an_organization_found_by_name(client, agent, north, north_customer):
    ararat = services.customer_create(
        actor=agent, kind="organization", organization_name="Ararat Trading", team=north
    )
    services.customer_create(
        actor=agent, kind="organization", organization_name="Araks Bank", team=north
    )
    client.force_login(agent)
    base = f"/customers/{north_customer.pk}"
    suggestions = client.get(
        f"{base}/organizations/suggest/", {"organization_query": "ara"}
    ).content.decode()
    assert "Ararat Trading" in suggestions and "Araks Bank" in suggestions
    assert "Ani Nor" not in suggestions  # people are not organizations
    url = f"{base}/section/memberships/edit/"
    # Several match: the form asks to choose (without JavaScript too).
    response = client.post(url, {"organization_query": "ara", "title": "CFO"}, **HTMX)
    assert response.status_code == 422
    assert "Several organizations match" in response.content.decode()
    assert f'value="{ararat.pk}"' in response.content.decode()
    response = client.post(
        url, {"organization_query": "ara", "organization": ararat.pk, "title": "CFO"}, **HTMX
    )
    assert response.status_code == 200
    membership = Membership.objects.get(person=north_customer)
    assert (membership.organization, membership.title) == (ararat, "CFO")
    # Typing the whole name is enough when only one matches.
    client.post(url, {"organization_query": "Araks", "title": ""}, **HTMX)
    assert Membership.objects.filter(person=north_customer).count() == 2
    client.post(f"{base}/memberships/{membership.pk}/delete/", **HTMX)
    assert list(north_customer.memberships.values_list("organization__display_name", flat=True))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_consent_and_preferences_are_edited_in_place(client, agent, north_customer):
    client.force_login(agent)
    base = f"/customers/{north_customer.pk}/section"
    form = client.get(
        f"{base}/consent/edit/?channel=sms&purpose=marketing", **HTMX
    ).content.decode()
    assert 'value="sms" selected' in form and 'value="marketing" selected' in form
    response = client.post(
        f"{base}/consent/edit/",
        {
            "channel": "email",
            "purpose": "marketing",
            "status": "granted",
            "source": "web form",
            "evidence": "ticked the box",
        },
        **HTMX,
    )
    assert response.status_code == 200
    consent = Consent.objects.get(customer=north_customer)
    assert (consent.status, consent.source) == ("granted", "web form")
    assert "Granted" in response.content.decode()
    response = client.post(
        f"{base}/contact-preferences/edit/",
        {"preferred_channel": "sms", "max_messages_per_30_days": 3, "quiet_hours_start": "22:00"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "Give both ends of the quiet hours" in response.content.decode()
    client.post(
        f"{base}/contact-preferences/edit/",
        {"preferred_channel": "sms", "quiet_hours_start": "22:00", "quiet_hours_end": "07:30"},
        **HTMX,
    )
    client.post(
        f"{base}/service/edit/", {"payment_method": "Cash", "vip_handling": "Gift wrap"}, **HTMX
    )
    preferences = Preferences.objects.get(customer=north_customer)
    assert (preferences.preferred_channel, preferences.quiet_hours_end) == ("sms", dt.time(7, 30))
    assert (preferences.payment_method, preferences.vip_handling) == ("Cash", "Gift wrap")


def test_custom_fields_and_tags_are_edited_with_the_version(client, agent, north_customer, fields):
    client.force_login(agent)
    base = f"/customers/{north_customer.pk}/section"
    version = north_customer.version
    bad_date = client.post(
        f"{base}/custom-fields/edit/", {"cf_vip_since": "2024-02-30", "version": version}, **HTMX
    )
    assert bad_date.status_code == 422 and "Enter a valid date." in bad_date.content.decode()
    bad = client.post(
        f"{base}/custom-fields/edit/", {"cf_visits": "many", "version": version}, **HTMX
    )
    # The service's per-field message lands on its field.
    assert bad.status_code == 422
    message = 'id="custom_cf_visits_help">Visits: “many” is not a number'
    assert message in bad.content.decode()
    response = client.post(
        f"{base}/custom-fields/edit/",
        {"cf_loyalty": "L-1", "cf_visits": "7", "cf_segment": "B", "version": version},
        **HTMX,
    )
    assert response.status_code == 200
    north_customer.refresh_from_db()
    assert north_customer.custom_fields == {"loyalty": "L-1", "visits": 7, "segment": "B"}
    # Emptying a field removes its value.
    client.post(
        f"{base}/custom-fields/edit/",
        {"cf_loyalty": "", "cf_visits": "7", "cf_segment": "B", "version": version + 1},
        **HTMX,
    )
    north_customer.refresh_from_db()
    assert north_customer.custom_fields == {"visits": 7, "segment": "B"}
    version = north_customer.version
    response = client.post(
        f"{base}/tags/edit/", {"tags": "vip, Gold , vip", "version": version}, **HTMX
    )
    assert response.status_code == 200
    assert sorted(north_customer.tags.values_list("name", flat=True)) == ["Gold", "vip"]
    stale = client.post(f"{base}/tags/edit/", {"tags": "lost", "version": version}, **HTMX)
    assert stale.status_code == 409
    assert sorted(north_customer.tags.values_list("name", flat=True)) == ["Gold", "vip"]


def test_customer_page_runs_at_most_22_queries(
    client, agent, north, django_assert_max_num_queries, fields
):
    person = rich_person(agent, north, points=12, organizations=8)
    # A teammate, not the owner: the page also checks the team to offer editing.
    teammate = UserFactory(role=Role.AGENT, teams=[north])
    client.force_login(teammate)
    # The budget of the whole page: header, sections, the brief (one query per kind of
    # promise: tasks, tickets) and the first page of the timeline (one per kind of event).
    with django_assert_max_num_queries(22):
        response = client.get(f"/customers/{person.pk}/")
    page = response.content.decode()
    assert page.count('data-testid="contact-point"') == 13
    assert f"/customers/{person.pk}/section/essentials/edit/" in page  # may edit
    organization = Membership.objects.filter(person=person).first().organization
    for n in range(30):
        member = CustomerFactory(given_name=f"M{n}", team=north)
        Membership.objects.create(person=member, organization=organization)
    with django_assert_max_num_queries(22):
        response = client.get(f"/customers/{organization.pk}/")
    assert "M1 Family" in response.content.decode()


def test_query_count_of_the_customer_page_does_not_grow_with_its_records(
    client, manager, north, django_assert_max_num_queries
):
    small = rich_person(manager, north, points=1, organizations=1, name="Small")
    big = rich_person(manager, north, points=25, organizations=15, name="Big")
    client.force_login(manager)
    with django_assert_max_num_queries(22) as counted:
        client.get(f"/customers/{small.pk}/")
    with django_assert_max_num_queries(len(counted.captured_queries)):
        client.get(f"/customers/{big.pk}/")


# --- Visibility -------------------------------------------------------------------------


def test_agent_of_north_cannot_open_souths_pages_or_forms(client, agent, south_customer):
    point = services.contact_point_add(
        actor=south_customer.owner, customer=south_customer, kind="email", value="s@example.com"
    )
    identifier = services.identifier_add(
        actor=south_customer.owner, customer=south_customer, system="erp", value="S-1"
    )
    client.force_login(agent)
    base = f"/customers/{south_customer.pk}"
    for url in (
        f"{base}/",
        f"{base}/section/essentials/",
        f"{base}/section/essentials/edit/",
        f"{base}/section/contact-points/edit/",
        f"{base}/contact-points/{point.pk}/edit/",
        f"{base}/organizations/suggest/?organization_query=a",
    ):
        assert client.get(url).status_code == 404, url
        assert client.get(url, **HTMX).status_code == 404, url
    for url in (
        f"{base}/section/essentials/edit/",
        f"{base}/section/tags/edit/",
        f"{base}/contact-points/{point.pk}/delete/",
        f"{base}/contact-points/{point.pk}/confirm/",
        f"{base}/identifiers/{identifier.pk}/delete/",
        f"{base}/confirm/",
    ):
        assert client.post(url, {"tags": "x", "given_name": "X"}).status_code == 404, url
    assert ContactPoint.objects.filter(pk=point.pk).exists()
    assert ExternalIdentifier.objects.filter(pk=identifier.pk).exists()
    assert not south_customer.tags.exists()
    assert "Sami Sud" not in client.get("/customers/?q=sami").content.decode()


def test_a_record_of_another_customer_is_not_found_through_this_one(
    client, agent, north, north_customer, south_customer
):
    theirs = services.contact_point_add(
        actor=south_customer.owner, customer=south_customer, kind="email", value="s@example.com"
    )
    client.force_login(agent)
    url = f"/customers/{north_customer.pk}/contact-points/{theirs.pk}/delete/"
    assert client.post(url).status_code == 404
    assert ContactPoint.objects.filter(pk=theirs.pk).exists()


def test_organizations_out_of_sight_are_not_suggested(client, agent, north_customer, south):
    owner = UserFactory(role=Role.AGENT, teams=[south])
    services.customer_create(
        actor=owner, kind="organization", organization_name="Secret Holdings", team=south
    )
    client.force_login(agent)
    page = client.get(
        f"/customers/{north_customer.pk}/organizations/suggest/",
        {"organization_query": "secret"},
    ).content.decode()
    assert "Secret Holdings" not in page and "No organization matches" in page


def test_viewer_reads_the_page_without_edit_actions_and_cannot_post(client, viewer, north_customer):
    client.force_login(viewer)
    page = client.get(f"/customers/{north_customer.pk}/").content.decode()
    assert "Ani Nor" in page
    assert "/section/essentials/edit/" not in page and "Confirm details" not in page
    url = f"/customers/{north_customer.pk}/section/essentials/edit/"
    assert client.get(url).status_code == 403
    assert client.post(f"/customers/{north_customer.pk}/confirm/").status_code == 403


def test_odd_numbers_in_forms_and_links_are_not_server_errors(
    client, manager, north, north_customer
):
    huge = "9" * 30
    organization = services.customer_create(
        actor=manager, kind="organization", organization_name="Org", team=north
    )
    client.force_login(manager)
    response = client.post("/customers/bulk/", {"ids": [huge, north_customer.pk], "tag": "x"})
    assert response.status_code == 302 and north_customer.tags.filter(name="x").exists()
    response = client.get(f"/customers/{organization.pk}/?members_page={huge}")
    assert response.status_code == 200
    response = client.post(
        f"/customers/{north_customer.pk}/section/memberships/edit/",
        {"organization_query": "Org", "organization": huge},
        **HTMX,
    )
    assert response.status_code == 422
    assert client.get(f"/customers/{huge}/section/essentials/").status_code == 404


def test_unknown_section_is_not_found(client, agent, north_customer):
    client.force_login(agent)
    assert client.get(f"/customers/{north_customer.pk}/section/nope/").status_code == 404


# --- Custom fields admin ----------------------------------------------------------------


def test_admin_defines_edits_and_deletes_custom_fields(client, admin):
    client.force_login(admin)
    page = client.get("/manage/custom-fields/").content.decode()
    assert "No custom fields yet" in page and "Custom fields" in page
    response = client.post(
        "/manage/custom-fields/new/",
        {"label": "Segment", "key": "segment", "field_type": "choice", "position": 1},
    )
    assert "A choice field needs at least one choice." in response.content.decode()
    response = client.post(
        "/manage/custom-fields/new/",
        {
            "label": "Segment",
            "key": "segment",
            "field_type": "choice",
            "choices": "Retail\n\nWholesale\n",
            "position": 1,
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.get()
    assert field.choices == ["Retail", "Wholesale"]
    page = client.get("/manage/custom-fields/").content.decode()
    assert "Segment" in page and "Retail, Wholesale" in page
    response = client.post(
        f"/manage/custom-fields/{field.pk}/",
        {
            "label": "Market segment",
            "key": "changed",
            "field_type": "choice",
            "choices": "Retail",
            "position": 2,
        },
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.label, field.key, field.choices) == ("Market segment", "segment", ["Retail"])
    duplicate = client.post(
        "/manage/custom-fields/new/",
        {"label": "Again", "key": "segment", "field_type": "text", "position": 0},
    )
    assert "A custom field with this key exists." in duplicate.content.decode()
    client.post(f"/manage/custom-fields/{field.pk}/delete/")
    assert not CustomField.objects.exists()
    assert AuditEntry.objects.filter(target_type="customers.customfield").count() == 3


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_only_admins_manage_custom_fields(client, role, fields):
    user = UserFactory(role=role, teams=[TeamFactory(name="North")])
    field = CustomField.objects.first()
    client.force_login(user)
    assert client.get("/manage/custom-fields/").status_code == 403
    assert client.post("/manage/custom-fields/new/", {"label": "X", "key": "x"}).status_code == 403
    assert client.post(f"/manage/custom-fields/{field.pk}/delete/").status_code == 403
    assert CustomField.objects.count() == 4


def test_admin_navigation_has_a_custom_fields_tab(client, admin):
    client.force_login(admin)
    page = client.get("/manage/users/").content.decode()
    assert 'href="/manage/custom-fields/"' in page
