"""The service KPIs page (every member of staff, viewers included), its CSV downloads,
the API, and the win-back card of the customer page."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from patron.analytics.models import CustomerMetrics
from patron.service.models import TicketStatus, TicketType, WinBackWindow
from patron.service.services import ticket_create
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory
from tests.service.factories import TicketCategoryFactory, TicketFactory

H = dt.timedelta(hours=1)


@pytest.fixture
def tickets(north, south, agent, other_agent):
    now = timezone.now()
    billing = TicketCategoryFactory(name="Billing")
    north_c = CustomerFactory(team=north, owner=agent)
    south_c = CustomerFactory(team=south, owner=other_agent)
    for customer in (north_c, south_c):
        for hours in (1, 3, 9):
            created = now - dt.timedelta(days=5)
            TicketFactory(
                customer=customer,
                category=billing,
                created_at=created,
                first_response_at=created + H,
                resolved_at=created + hours * H,
                status=TicketStatus.RESOLVED,
                first_contact_resolution=hours == 1,
            )
        TicketFactory(customer=customer, created_at=now - 2 * H, type=TicketType.COMPLAINT)
    return north_c, south_c


@pytest.mark.django_db
def test_the_page_shows_every_kpi_to_a_viewer(
    client, viewer, tickets, django_assert_max_num_queries
):
    client.force_login(viewer)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("service_kpis:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("first-response", "resolution", "first-contact", "backlog", "sla", "complaints"):
        assert f'data-testid="card-{name}"' in page
    assert 'data-testid="card-trend"' in page
    assert reverse("service:queue") in page
    # A viewer of North: three resolved North tickets, median 3 h.
    assert 'data-testid="headline-ttr">3.0 h<' in page
    assert 'data-testid="headline-fcr">33.3%<' in page
    assert 'id="chart-resolution-category"' in page  # the chart's JSON
    assert "vendor/chartjs/chart.umd.min.js" in page


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_tickets(
    client, manager, tickets, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("service_kpis:dashboard")).status_code == 200
    for _ in range(30):
        TicketFactory(customer=tickets[0], category=TicketCategoryFactory())
    with django_assert_max_num_queries(20):
        assert client.get(reverse("service_kpis:dashboard")).status_code == 200


@pytest.mark.django_db
def test_filters_are_in_the_url_and_bad_dates_say_so(client, manager, tickets, north):
    client.force_login(manager)
    url = reverse("service_kpis:dashboard")
    response = client.get(url, {"team": north.pk})
    assert 'data-testid="headline-ttr">3.0 h<' in response.content.decode()
    assert f"team={north.pk}" in response.content.decode()  # carried to the CSV links
    bad = client.get(url, {"from": "last week"})
    assert bad.status_code == 400
    assert 'data-testid="filter-error"' in bad.content.decode()


@pytest.mark.django_db
def test_csv_of_resolution_times(client, manager, tickets):
    client.force_login(manager)
    response = client.get(reverse("service_kpis:csv", args=["resolution"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][2:] == ["group", "key", "label", "tickets", "median_hours", "p90_hours"]
    overall = rows[1]
    # 1 1 3 3 9 9: median 3; p90 at 4.5: 9.
    assert overall[2:4] == ["all", ""] and overall[5:] == ["6", "3.0", "9.0"]
    assert [r[4] for r in rows if r[2] == "team"] == ["North", "South"]
    assert client.get(reverse("service_kpis:csv", args=["nothing"])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["first-response", "first-contact", "backlog", "sla", "complaints", "trend"]
)
def test_every_csv_downloads(client, viewer, tickets, name):
    client.force_login(viewer)
    response = client.get(reverse("service_kpis:csv", args=[name]))
    assert response.status_code == 200
    assert len(response.content.decode().splitlines()) >= 2


@pytest.mark.django_db
def test_api_answers_the_same_numbers(api_for, viewer, manager, tickets):
    body = api_for(viewer).get("/api/v1/service/kpis").json()
    assert body["overall"]["resolution"] == {"count": 3, "median_hours": 3.0, "p90_hours": 7.8}
    assert body["overall"]["fcr_rate"] == round(1 / 3, 6)
    assert body["buckets"] == ["lt_1d", "1_3d", "3_7d", "7_30d", "gt_30d"]
    assert body["overall"]["backlog"]["lt_1d"] == 1
    assert (
        dt.date.fromisoformat(body["period"]["to"]) - dt.date.fromisoformat(body["period"]["from"])
    ).days == 89
    everything = api_for(manager).get("/api/v1/service/kpis?type=complaint").json()
    assert everything["overall"]["complaints"] == 2
    assert [g["label"] for g in everything["by_team"]] == ["North", "South"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["from=2026-02-30", "to=tomorrow", "from=2026-06-10&to=2026-06-01", "type=x", "priority=7"],
)
def test_api_refuses_bad_filters(api_for, manager, query):
    assert_error_shape(api_for(manager).get(f"/api/v1/service/kpis?{query}"), 422)


@pytest.mark.django_db
def test_win_back_card_on_the_customer_page(client, agent, north):
    customer = CustomerFactory(team=north, owner=None, display_name="Vera Valued")
    CustomerMetrics.objects.create(customer=customer, value_tier="most_valuable")
    client.force_login(agent)
    card_url = reverse("service_kpis:win_back_card", args=[customer.pk])
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert card_url in page  # loaded once the page is shown
    assert client.get(card_url).content == b""  # no window yet

    ticket = ticket_create(
        actor=agent, customer=customer, subject="Broken on arrival", type=TicketType.COMPLAINT
    )
    card = client.get(card_url).content.decode()
    assert 'data-testid="win-back-card"' in card
    assert "30 days left" in card
    assert agent.display_name in card
    assert reverse("service:ticket", args=[ticket.pk]) in card

    WinBackWindow.objects.update(closes_at=timezone.now() - H)
    assert client.get(card_url).content == b""


@pytest.mark.django_db
def test_win_back_card_of_a_customer_out_of_sight(client, other_agent, north):
    customer = CustomerFactory(team=north, owner=None)
    client.force_login(other_agent)
    response = client.get(reverse("service_kpis:win_back_card", args=[customer.pk]))
    assert response.status_code == 404
