"""The admin pages of the service settings: admins only, forms that validate, a team
manager on the team form."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from patron.accounts.models import Team
from patron.service.models import Holiday, ServiceHours, SlaPolicy, TicketCategory


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


PAGES = [
    ("service_admin:categories", {}),
    ("service_admin:category_create", {}),
    ("service_admin:policies", {}),
    ("service_admin:policy_create", {}),
    ("service_admin:hours", {}),
    ("service_admin:hours_create", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_the_pages_are_for_admins(client, agent, manager, admin_client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    assert client.get(url).status_code == 302  # to the sign-in page
    for user in (agent, manager):
        client.force_login(user)
        assert client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def test_the_policy_list_in_precedence_order_with_readable_targets(
    admin_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        page = admin_client.get(reverse("service_admin:policies"))
    html = page.content.decode()
    assert html.index("Most valuable complaints") < html.index("Urgent") < html.index(">Low<")
    # complaints: 24 h and 5 days around the clock; normal: 40 business hours
    assert "24 h" in html and "5 days" in html and "40 h" in html
    assert 'href="/manage/service/policies/"' in html  # the admin tab


def test_create_a_policy_in_hours_and_days(admin_client):
    response = admin_client.post(
        reverse("service_admin:policy_create"),
        {
            "name": "Incidents",
            "ticket_type": "incident",
            "customer_tier": "",
            "priority": "",
            "first_response": "2",
            "first_response_unit": "hours",
            "resolution": "3",
            "resolution_unit": "days",
            "business_hours": "on",
            "position": "15",
            "active": "on",
        },
    )
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="Incidents")
    assert (policy.first_response_minutes, policy.resolution_minutes) == (120, 3 * 24 * 60)
    assert policy.priority is None and policy.business_hours
    edit = admin_client.get(reverse("service_admin:policy_edit", args=[policy.pk]))
    assert 'value="3"' in edit.content.decode()  # shown back in days


def test_the_policy_form_says_what_a_day_is_in_business_hours(admin_client):
    # "2 days" in business hours is 48 open hours (six working days), not two working days.
    page = admin_client.get(reverse("service_admin:policy_create")).content.decode()
    assert "two days of 09:00-17:00 are 16 hours" in page


def test_policy_form_errors_are_shown(admin_client):
    response = admin_client.post(
        reverse("service_admin:policy_create"),
        {
            "name": "Backwards",
            "first_response": "2",
            "first_response_unit": "days",
            "resolution": "1",
            "resolution_unit": "hours",
            "position": "1",
        },
    )
    assert response.status_code == 200
    assert "cannot be shorter than the first response" in response.content.decode()
    assert not SlaPolicy.objects.filter(name="Backwards").exists()


def test_delete_a_policy(admin_client):
    policy = SlaPolicy.objects.get(name="Low")
    response = admin_client.post(reverse("service_admin:policy_delete", args=[policy.pk]))
    assert response.status_code == 302
    assert not SlaPolicy.objects.filter(pk=policy.pk).exists()


def test_categories_add_edit_deactivate(admin_client):
    admin_client.post(
        reverse("service_admin:category_create"),
        {"name": "Delivery", "description": "Late parcels", "position": "10", "active": "on"},
    )
    category = TicketCategory.objects.get(name="Delivery")
    admin_client.post(
        reverse("service_admin:category_edit", args=[category.pk]),
        {"name": "Delivery", "description": "", "position": "10"},
    )
    category.refresh_from_db()
    assert category.active is False
    page = admin_client.get(reverse("service_admin:categories")).content.decode()
    assert "Delivery" in page and "Inactive" in page
    again = admin_client.post(
        reverse("service_admin:category_create"), {"name": "delivery", "position": "1"}
    )
    assert "A category with this name exists" in again.content.decode()


def test_service_hours_for_a_team_with_holidays(admin_client, north):
    response = admin_client.post(
        reverse("service_admin:hours_create"),
        {
            "team": str(north.pk),
            "time_zone": "Europe/Paris",
            "day_0": "08:00-12:00, 13:00-17:30",
            "day_1": "8:00–16:00",
            "day_2": "09:00-17:00",
            "day_3": "09:00-17:00",
            "day_4": "09:00-15:00",
            "day_5": "",
            "day_6": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hours = ServiceHours.objects.get(team=north)
    assert hours.week[0] == [["08:00", "12:00"], ["13:00", "17:30"]]
    assert hours.week[1] == [["08:00", "16:00"]] and hours.week[5] == []
    add = reverse("service_admin:holiday_add", args=[hours.pk])
    admin_client.post(add, {"date": "2026-07-14", "name": "Fête nationale"})
    holiday = Holiday.objects.get(hours=hours)
    assert holiday.date == dt.date(2026, 7, 14)
    page = admin_client.get(reverse("service_admin:hours_edit", args=[hours.pk])).content.decode()
    assert "2026-07-14" in page and "Fête nationale" in page
    admin_client.post(reverse("service_admin:holiday_remove", args=[hours.pk, holiday.pk]))
    assert not Holiday.objects.filter(hours=hours).exists()
    listing = admin_client.get(reverse("service_admin:hours")).content.decode()
    assert "North" in listing and "Europe/Paris" in listing


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("17:00-09:00", "cannot cross midnight"),
        ("09:00-12:00, 11:00-13:00", "overlap"),
        ("nine to five", "Write intervals as"),
    ],
)
def test_service_hours_errors_are_clear(admin_client, day, message):
    default = ServiceHours.objects.get(team__isnull=True)
    data = {"time_zone": "UTC"} | {f"day_{i}": "" for i in range(7)} | {"day_0": day}
    response = admin_client.post(reverse("service_admin:hours_edit", args=[default.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    default.refresh_from_db()
    assert default.week[0] == [["09:00", "17:00"]]


def test_the_team_form_sets_a_manager(admin_client, north, manager):
    response = admin_client.post(
        reverse("accounts:team_edit", args=[north.pk]),
        {"name": "North", "description": "", "manager": str(manager.pk)},
    )
    assert response.status_code == 302
    assert Team.objects.get(pk=north.pk).manager == manager
    page = admin_client.get(reverse("accounts:team_edit", args=[north.pk])).content.decode()
    assert "Manager" in page


def test_the_hours_list_reads_in_a_few_queries(admin_client, django_assert_max_num_queries):
    from tests.factories import TeamFactory

    for n in range(6):
        hours = ServiceHours.objects.create(team=TeamFactory(name=f"Team {n}"))
        Holiday.objects.create(hours=hours, date=dt.date(2026, 12, 25))
    with django_assert_max_num_queries(8):
        page = admin_client.get(reverse("service_admin:hours"))
    assert page.content.decode().count("1 holiday") == 6
