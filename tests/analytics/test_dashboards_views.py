"""The value dashboards in the web UI and the API: the overview and each chart's page
with their data (json_script), the empty state, links to the filtered customer list, the
list of customers at risk, CSV downloads, bounded query counts, and the API's shapes."""

import csv
import io
import json
import re
import typing
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from patron.analytics import api_dashboards, dashboards
from patron.analytics.models import RefreshRun
from tests.analytics.test_dashboards import figures, rfm_rows, tier_rows
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

NAMES = ["value-concentration", "tiers", "rfm-grid", "stages", "at-risk", "clv-distribution"]


@pytest.fixture
def refreshed(db):
    now = timezone.now()
    return RefreshRun.objects.create(as_of=now, status="done", started_at=now, finished_at=now)


@pytest.fixture
def base(north, south, agent, refreshed):
    """North (the agent's team): tiers, RFM scores, stages, predictions; south: one big
    customer the agent must not see."""
    rows = [
        {**rfm, **tier, "relationship_stage": stage, "clv_12m": clv, "p_alive": p}
        for tier, rfm, stage, clv, p in zip(
            tier_rows(),
            rfm_rows(),
            ["contact", "connection", "intimacy", "trust", "contact"],
            [120, 40, 3, None, 0],
            [0.9, 0.45, 0.3, None, 0.05],
            strict=True,
        )
    ]
    # Revenue 600, 200, 150, 50 and 0 (the tiers'); the first two are champions (R5 F5),
    # the third can't be lost (R1 F4), the fourth at risk (R2 F3), the fifth bought nothing.
    north_customers = figures(north, rows, owner=agent)
    south_customers = figures(
        south,
        [
            {
                "value_tier": "most_valuable",
                "abc_class": "A",
                "revenue_12m": 99999,
                "rfm_segment": "cant_lose",
                "r_score": 1,
                "f_score": 5,
                "clv_12m": 5000,
                "p_alive": 0.2,
            }
        ],
    )
    return north_customers, south_customers


def chart_data(html, element_id):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert match, element_id
    return json.loads(match.group(1))


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:2000]
    return response.content.decode()


def csv_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


# --- Pages -----------------------------------------------------------------------------------


def test_before_any_refresh_the_pages_say_how_to_get_figures(client, agent):
    client.force_login(agent)
    for url in ["/value/", "/value/tiers/", "/value/at-risk/"]:
        html = page(client, url)
        assert 'data-testid="empty-state"' in html
        assert "No figures yet" in html and "patron refresh" in html
        assert "chart.umd.min.js" not in html and "application/json" not in html


def test_overview_shows_six_cards_with_their_data(client, agent, base, refreshed):
    client.force_login(agent)
    html = page(client, "/value/")
    for name in NAMES:
        assert f'data-testid="card-{name}"' in html
        assert f'href="/value/{name}.csv"' in html
        assert f'href="/value/{name}/"' in html
    assert html.count('data-testid="table-toggle"') == 6
    assert 'data-testid="last-refresh"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "patron/js/charts.js" in html
    # The value tiers: the agent's five customers only (1,000 of revenue, not 100,999).
    tiers = chart_data(html, "chart-tiers")
    assert tiers["labels"] == ["Most valuable", "Core", "Below zero", "No purchases"]
    assert tiers["datasets"][0]["data"] == [0.2, 0.4, 0.2, 0.2]
    assert tiers["datasets"][1]["data"] == [0.6, 0.35, 0.05, 0.0]
    assert tiers["links"][0] == "/customers/?value_tier=most_valuable"
    assert tiers["links"][3] is None
    classes = chart_data(html, "chart-classes")
    assert classes["links"][:3] == [f"/customers/?abc_class={k}" for k in "ABC"]
    curve = chart_data(html, "chart-concentration")
    assert curve["kind"] == "pareto" and curve["points"][0] == [0, 0]
    assert curve["points"][1] == [0.25, 0.6]  # the best of 4 buyers: 600 of 1,000
    segments = chart_data(html, "chart-segments")
    assert segments["datasets"][0]["data"][0] == 2  # champions
    assert "/customers/?rfm_segment=cant_lose" in segments["links"]
    stages = chart_data(html, "chart-stages")
    assert stages["labels"] == ["Contact", "Connection", "Intimacy", "Trust"]
    assert stages["datasets"][0]["data"] == [2, 1, 1, 1]
    assert stages["datasets"][1]["data"] == [5, 3, 2, 1]
    assert stages["links"][3] == "/customers/?relationship_stage=trust"
    at_risk = chart_data(html, "chart-at-risk")
    assert at_risk["links"][0] == "/value/at-risk/?reason=cant_lose"
    assert at_risk["datasets"][0]["data"] == [150.0, 50.0, 0.0]  # the south 99,999 is hidden
    clv = chart_data(html, "chart-clv")
    assert sum(clv["datasets"][0]["data"]) == 4 and clv["datasets"][1]["type"] == "line"
    assert sum(chart_data(html, "chart-p-alive")["datasets"][0]["data"]) == 4
    assert "99,999" not in html


def test_grid_cells_tiers_and_stages_link_to_the_filtered_customer_list(client, agent, base):
    client.force_login(agent)
    html = page(client, "/value/")
    cell = re.search(r'<a [^>]*href="([^"]+)" data-testid="cell-55"[^>]*>(\d+)</a>', html)
    assert cell and cell.groups() == ("/customers/?r_score=5&amp;f_score=5", "2")
    assert 'data-testid="cell-11"' in html and "bg-body-tertiary" in html
    assert 'href="/customers/?value_tier=core"' in html
    assert 'href="/customers/?abc_class=B"' in html
    assert 'href="/customers/?rfm_segment=champions"' in html
    assert 'href="/customers/?relationship_stage=intimacy"' in html


def test_each_dashboard_has_its_own_page_with_its_table_open(client, agent, base):
    client.force_login(agent)
    for name in NAMES:
        html = page(client, f"/value/{name}/")
        assert f'data-testid="card-{name}"' in html
        assert f'id="{name}-table"' in html and f'class="collapse show" id="{name}-table"' in html
        assert 'aria-current="page"' in html and "breadcrumb" in html
    html = page(client, "/value/value-concentration/")
    assert html.count("<tr>") >= 5  # every point of the curve in the table
    assert client.get("/value/nothing/").status_code == 404
    assert client.get("/value/nothing.csv").status_code == 404


def test_pages_need_a_sign_in(client, base):
    response = client.get("/value/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/value/tiers.csv").status_code == 302


def test_the_navigation_has_a_value_item(client, agent):
    client.force_login(agent)
    html = page(client, "/")
    assert 'href="/value/"' in html and '<span class="nav-label">Value</span>' in html
    assert 'aria-current="page"' in page(client, "/value/").split("</nav>")[0]


def test_the_overview_reads_a_bounded_number_of_queries(
    client, agent, north, base, django_assert_max_num_queries
):
    client.force_login(agent)
    with django_assert_max_num_queries(13) as few:
        page(client, "/value/")
    figures(
        north,
        [
            {"revenue_12m": n, "rfm_segment": "at_risk", "r_score": 2, "f_score": n % 5 + 1}
            for n in range(1, 60)
        ],
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page(client, "/value/")
    with django_assert_max_num_queries(len(few.captured_queries) - 6):
        page(client, "/value/at-risk/")


def test_at_risk_list_sorts_pages_and_links_to_customers(client, agent, north, base):
    customers = figures(
        north,
        [{"rfm_segment": "at_risk", "revenue_12m": n, "p_alive": n / 100} for n in range(1, 31)],
    )
    client.force_login(agent)
    html = page(client, "/value/at-risk/")
    # 30 more, and the two of the base: 32, by revenue, 25 a page.
    assert html.count('data-testid="at-risk-row"') == 25
    assert "Showing 1–25 of 32" in html
    assert html.index(f'href="/customers/{customers[29].pk}/"') < html.index(
        f'href="/customers/{customers[28].pk}/"'
    )
    assert 'aria-sort="descending"' in html and 'href="?sort=revenue"' in html
    second = page(client, "/value/at-risk/?page=2")
    assert second.count('data-testid="at-risk-row"') == 7
    cheapest = page(client, "/value/at-risk/?sort=revenue")
    first_row = cheapest.split('data-testid="at-risk-row"')[1]
    assert f'href="/customers/{customers[0].pk}/"' in first_row
    assert 'aria-sort="ascending"' in cheapest and 'href="?sort=-revenue"' in cheapest
    # The reasons narrow the list; a bad sort or reason falls back to the defaults.
    narrowed = page(client, "/value/at-risk/?reason=cant_lose")
    assert narrowed.count('data-testid="at-risk-row"') == 1
    assert 'href="/value/at-risk.csv?sort=-revenue&amp;reason=cant_lose"' in narrowed
    assert page(client, "/value/at-risk/?sort=owner&reason=x&page=zz").count("at-risk-row") > 1
    # The overview's card shows the first five and links to them all.
    overview = page(client, "/value/")
    card = overview.split('data-testid="card-at-risk"')[1].split("</section>")[0]
    assert card.count('data-testid="at-risk-row"') == 5
    assert "See all 32 customers at risk" in card


def test_the_at_risk_card_says_so_when_nobody_is_at_risk(client, manager, refreshed, north):
    figures(north, [{"revenue_12m": 10, "rfm_segment": "champions"}])
    client.force_login(manager)
    html = page(client, "/value/at-risk/")
    assert "No customer is at risk" in html and 'id="chart-at-risk"' not in html


def test_pages_render_right_to_left_in_arabic(client, agent, base):
    agent.language = "ar"
    agent.save(update_fields=["language"])
    client.force_login(agent)
    html = page(client, "/value/")
    assert 'dir="rtl"' in html and "bootstrap.rtl.min.css" in html
    tiers = chart_data(html, "chart-tiers")
    with translation.override("ar"):
        assert tiers["labels"][0] == str(dashboards.ValueTier.MOST_VALUABLE.label)
    assert page(client, "/value/at-risk/")


# --- CSV -------------------------------------------------------------------------------------


def test_csv_of_each_dashboard(client, agent, base):
    client.force_login(agent)
    tiers = csv_of(client.get("/value/tiers.csv"))
    assert tiers[0][:4] == ["group", "key", "label", "customers"]
    first = ["value_tier", "most_valuable", "Most valuable", "1", "0.2", "600.00", "0.6"]
    assert tiers[1][:7] == first
    assert ["abc_class", "A", "A", "2", "0.4", "800.00", "0.8", "250.00", "1.25"] in tiers
    grid = csv_of(client.get("/value/rfm-grid.csv"))
    assert ["cell", "55", "", "5", "5", "2", "0.5", "800.00", "0.8"] in grid
    assert len([row for row in grid if row[0] == "cell"]) == 25
    assert len([row for row in grid if row[0] == "rfm_segment"]) == 11
    stages = csv_of(client.get("/value/stages.csv"))
    assert stages[1] == ["contact", "Contact", "2", "0.4", "5", "1.0", "600.00"]
    curve = csv_of(client.get("/value/value-concentration.csv"))
    assert curve[0] == ["customers", "customer_share", "revenue", "revenue_share"]
    assert curve[1] == ["1", "0.25", "600.00", "0.6"] and curve[-1][-1] == "1.0"
    spread = csv_of(client.get("/value/clv-distribution.csv"))
    assert {row[0] for row in spread[1:]} == {"clv_12m", "p_alive"}
    assert sum(int(row[4]) for row in spread if row[0] == "p_alive") == 4


def test_at_risk_csv_has_the_whole_list_visible_to_the_viewer(client, agent, north, base):
    figures(north, [{"rfm_segment": "at_risk", "revenue_12m": n} for n in range(1, 41)])
    figures(north, [{"rfm_segment": "cant_lose", "revenue_12m": 7}])
    client.force_login(agent)
    rows = csv_of(client.get("/value/at-risk.csv"))
    assert rows[0][:4] == ["customer_id", "name", "owner", "reason"]
    assert len(rows) == 1 + 43  # every one, not a page: 40 + 1 + the base's 2
    assert "99999.00" not in {row[6] for row in rows}  # the south customer is not visible
    assert rows[1][6] == "150.00"  # by revenue, highest first
    narrowed = csv_of(client.get("/value/at-risk.csv?reason=cant_lose&sort=revenue"))
    assert [row[6] for row in narrowed[1:]] == ["7.00", "150.00"]


def test_csv_cells_cannot_run_as_formulas(client, admin, north, refreshed):
    (customer,) = figures(north, [{"rfm_segment": "at_risk", "revenue_12m": 5}])
    customer.display_name = "=HYPERLINK(1)"
    customer.save(update_fields=["display_name"])
    client.force_login(admin)
    rows = csv_of(client.get("/value/at-risk.csv"))
    assert rows[1][1] == "'=HYPERLINK(1)"


# --- API -------------------------------------------------------------------------------------


def test_api_lists_the_dashboards(api_for, agent):
    response = api_for(agent).get("/api/v1/dashboards")
    assert response.status_code == 200
    body = response.json()
    assert [item["name"] for item in body] == NAMES
    assert body[0]["url"] == "/api/v1/dashboards/value-concentration"
    assert body[4]["page"] == "/value/at-risk/"
    assert all(item["title"] and item["description"] for item in body)


def test_api_answers_each_dashboards_data(api_for, agent, base, refreshed):
    api = api_for(agent)
    answers = {name: api.get(f"/api/v1/dashboards/{name}") for name in NAMES}
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.content)
        body = response.json()
        assert set(body) == {"name", "title", "refreshed_at", "as_of", "currency", "data"}
        assert body["name"] == name and body["currency"] == "USD"
        assert body["refreshed_at"] is not None
    tiers = answers["tiers"].json()["data"]
    assert tiers["revenue"] == "1000.00" and tiers["customers"] == 5
    assert tiers["tiers"][0] == {
        "key": "most_valuable",
        "label": "Most valuable",
        "customers": 1,
        "customer_share": 0.2,
        "revenue": "600.00",
        "revenue_share": 0.6,
        "margin": "200.00",
        "margin_share": 1.0,
    }
    curve = answers["value-concentration"].json()["data"]
    assert (curve["buying_customers"], curve["customers"]) == (4, 5)
    assert curve["top_10_share"] == pytest.approx(0.24)  # 0.4 of the best of four: 600 of 1,000
    grid = answers["rfm-grid"].json()["data"]
    assert len(grid["cells"]) == 25 and grid["cells"][4]["customers"] == 2
    stages = answers["stages"].json()["data"]["stages"]
    assert [s["key"] for s in stages] == ["contact", "connection", "intimacy", "trust"]
    spread = answers["clv-distribution"].json()["data"]
    assert spread["clv"] == "163.00" and spread["customers"] == 4
    at_risk = answers["at-risk"].json()["data"]
    assert at_risk["count"] == 2 and at_risk["items"][0]["revenue_12m"] == "150.00"
    assert at_risk["items"][0]["reason"] == "cant_lose"


def test_api_pages_through_the_customers_at_risk(api_for, agent, north, base):
    figures(north, [{"rfm_segment": "at_risk", "revenue_12m": n} for n in range(1, 11)])
    api = api_for(agent)
    body = api.get("/api/v1/dashboards/at-risk?page=2&page_size=5&sort=revenue").json()["data"]
    assert (body["count"], body["pages"], body["page"], body["has_next"]) == (12, 3, 2, True)
    assert [item["revenue_12m"] for item in body["items"]] == [
        "6.00",
        "7.00",
        "8.00",
        "9.00",
        "10.00",
    ]
    past = api.get("/api/v1/dashboards/at-risk?page=9&page_size=5").json()["data"]
    assert past["items"] == [] and past["has_next"] is False
    narrowed = api.get("/api/v1/dashboards/at-risk?reason=cant_lose").json()["data"]
    assert narrowed["count"] == 1 and narrowed["reason"] == "cant_lose"
    assert sum(r["customers"] for r in narrowed["reasons"]) == 12
    for bad in ("sort=owner", "reason=bored", "page=0", "page_size=101"):
        assert_error_shape(api.get(f"/api/v1/dashboards/at-risk?{bad}"), 422, "invalid_input")


def test_api_unknown_dashboard_is_404_with_the_names(api_for, agent):
    body = assert_error_shape(api_for(agent).get("/api/v1/dashboards/pie"), 404, "not_found")
    assert body["details"]["names"] == NAMES
    assert "pie" in body["message"]


def test_api_keeps_to_what_the_caller_may_see(api_for, agent, other_agent, base):
    mine = api_for(agent).get("/api/v1/dashboards/tiers").json()["data"]
    theirs = api_for(other_agent).get("/api/v1/dashboards/tiers").json()["data"]
    assert (mine["customers"], theirs["customers"]) == (5, 1)
    assert theirs["revenue"] == "99999.00"


def test_api_needs_a_token(client):
    assert_error_shape(client.get("/api/v1/dashboards/tiers"), 401, "unauthenticated")


def test_api_before_any_refresh(api_for, agent):
    body = api_for(agent).get("/api/v1/dashboards/stages").json()
    assert body["refreshed_at"] is None and body["data"]["customers"] == 0


def test_api_sorts_and_names_follow_the_selectors():
    assert list(typing.get_args(api_dashboards.AtRiskSort)) == dashboards.at_risk_sorts()
    assert list(typing.get_args(api_dashboards.Name)) == dashboards.dashboard_names()
    assert list(typing.get_args(api_dashboards.Reason)) == list(dashboards.REASONS)


def test_money_in_the_api_is_a_decimal_string(api_for, admin, north, refreshed):
    figures(north, [{"revenue_12m": Decimal("1234.5"), "rfm_segment": "cant_lose"}])
    body = api_for(admin).get("/api/v1/dashboards/at-risk").json()["data"]
    assert body["revenue"] == "1234.50" and body["items"][0]["clv_12m"] is None
