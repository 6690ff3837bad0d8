"""The customer list by figures (issue 6): filters by value tier, ABC class, RFM segment and
scores, relationship stage and predicted value; sorts by revenue, predicted value,
probability active and recency with the customers without the figure last; the columns;
the API's `metrics` object; the links of the value dashboards; flat query counts."""

import html
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from patron.analytics.models import CustomerMetrics, RefreshRun
from patron.core.pagination import LongList, read_page
from patron.customers import selectors
from tests.conftest import assert_error_shape
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def names_in(response):
    page = response.content.decode()
    return re.findall(r'href="/customers/\d+/"[^>]*><bdi>([^<]+)</bdi>', page)


def api_names(api, query):
    response = api.get(f"/api/v1/customers?{query}")
    assert response.status_code == 200, response.content
    return [c["display_name"] for c in response.json()["items"]]


def customer(name, team, owner=None, **figures):
    """A customer named `name`, with a row of figures unless `figures` is None."""
    found = CustomerFactory(given_name=name, family_name="", team=team, owner=owner)
    if figures.pop("none", False):
        return found
    CustomerMetrics.objects.create(customer=found, **figures)
    return found


@pytest.fixture
def base(north, agent):
    """Five customers with figures and one without (new since the last refresh)."""
    return {
        "Ada": customer(
            "Ada",
            north,
            agent,
            value_tier="most_valuable",
            abc_class="A",
            rfm_segment="champions",
            rfm_score="555",
            r_score=5,
            f_score=5,
            m_score=5,
            relationship_stage="trust",
            revenue_12m=Decimal("900.00"),
            orders_12m=9,
            clv_12m=Decimal("1200.50"),
            p_alive=0.95,
            recency_days=3,
        ),
        "Bea": customer(
            "Bea",
            north,
            agent,
            value_tier="core",
            abc_class="B",
            rfm_segment="loyal",
            rfm_score="445",
            r_score=4,
            f_score=4,
            m_score=5,
            relationship_stage="intimacy",
            revenue_12m=Decimal("300.00"),
            orders_12m=4,
            clv_12m=Decimal("400.00"),
            p_alive=0.7,
            recency_days=20,
        ),
        "Cid": customer(
            "Cid",
            north,
            agent,
            value_tier="core",
            abc_class="C",
            rfm_segment="at_risk",
            rfm_score="243",
            r_score=2,
            f_score=4,
            m_score=3,
            relationship_stage="connection",
            revenue_12m=Decimal("50.00"),
            orders_12m=1,
            clv_12m=Decimal("0.00"),
            p_alive=0.2,
            recency_days=300,
        ),
        "Dee": customer(
            "Dee",
            north,
            agent,
            value_tier="below_zero",
            abc_class="C",
            rfm_segment="hibernating",
            rfm_score="111",
            r_score=1,
            f_score=1,
            m_score=1,
            relationship_stage="contact",
            revenue_12m=Decimal("10.00"),
            orders_12m=1,
            clv_12m=Decimal("400.00"),
            p_alive=0.2,
            recency_days=600,
        ),
        # Figures, but never bought: no tier, scores nor predictions.
        "Eve": customer("Eve", north, agent, relationship_stage="contact"),
        "Fay": customer("Fay", north, agent, none=True),
    }


# --- Filters -------------------------------------------------------------------------------


FILTERS = [
    ("value_tier=most_valuable", {"Ada"}),
    ("value_tier=core", {"Bea", "Cid"}),
    ("value_tier=below_zero", {"Dee"}),
    ("abc_class=A", {"Ada"}),
    ("abc_class=C", {"Cid", "Dee"}),
    ("rfm_segment=champions", {"Ada"}),
    ("rfm_segment=at_risk", {"Cid"}),
    ("relationship_stage=contact", {"Dee", "Eve"}),
    ("relationship_stage=trust", {"Ada"}),
    ("r_score=4", {"Bea"}),
    ("f_score=4", {"Bea", "Cid"}),
    ("r_score=2&f_score=4", {"Cid"}),
    ("clv_min=400", {"Ada", "Bea", "Dee"}),
    ("clv_min=0", {"Ada", "Bea", "Cid", "Dee"}),  # 0 is a bound: Eve and Fay have no value
    ("clv_max=400", {"Bea", "Cid", "Dee"}),
    ("clv_min=100&clv_max=500.5", {"Bea", "Dee"}),
    ("clv_max=0", {"Cid"}),
    ("value_tier=core&rfm_segment=loyal", {"Bea"}),
    ("value_tier=core&abc_class=A", set()),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_each_figure_filter_narrows_the_list(client, agent, base, query, expected):
    client.force_login(agent)
    assert set(names_in(client.get(f"/customers/?{query}"))) == expected


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_each_figure_filter_narrows_the_api_list(api_for, agent, base, query, expected):
    assert set(api_names(api_for(agent), query)) == expected


def test_figure_filters_keep_to_what_the_viewer_sees(client, other_agent, base, south):
    customer("Gus", south, other_agent, value_tier="most_valuable", clv_12m=Decimal(5))
    client.force_login(other_agent)
    assert names_in(client.get("/customers/?value_tier=most_valuable")) == ["Gus"]


def test_a_bad_figure_filter_is_dropped_in_the_ui(client, agent, base):
    client.force_login(agent)
    for query in ("value_tier=gold", "r_score=9", "f_score=x", "clv_min=abc", "abc_class=D"):
        names = names_in(client.get(f"/customers/?{query}"))
        assert set(names) == set(base), query


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("value_tier=gold", "value_tier"),
        ("abc_class=D", "abc_class"),
        ("rfm_segment=vip", "rfm_segment"),
        ("relationship_stage=love", "relationship_stage"),
        ("r_score=0", "r_score"),
        ("f_score=6", "f_score"),
        ("clv_min=-1", "clv_min"),
        ("clv_max=1.001", "clv_max"),
        ("clv_min=abc", "clv_min"),
        ("sort=-name2", "sort"),
    ],
)
def test_the_api_refuses_bad_figure_filters_naming_the_field(api_for, agent, query, field):
    error = assert_error_shape(api_for(agent).get(f"/api/v1/customers?{query}"), 422)
    assert field in error["message"]


def test_the_api_refuses_a_value_range_that_is_upside_down(api_for, agent):
    response = api_for(agent).get("/api/v1/customers?clv_min=500&clv_max=100")
    error = assert_error_shape(response, 422, "validation_failed")
    assert "clv_max" in error["details"]


def test_the_figure_filters_are_kept_by_a_saved_view_and_the_export(client, agent, base):
    client.force_login(agent)
    client.post("/customers/views/save/", {"name": "Best", "query": "value_tier=most_valuable"})
    page = client.get("/customers/").content.decode()
    assert 'href="/customers/?value_tier=most_valuable"' in page
    exported = b"".join(
        client.get("/customers/export.csv?rfm_segment=at_risk").streaming_content
    ).decode()
    assert "Cid" in exported and "Ada" not in exported


# --- Sorts ---------------------------------------------------------------------------------


SORTS = [
    # Customers without the figure come last, either way, newest id first or last as
    # the tie-break of the direction; Fay has no row of figures at all.
    ("-clv_12m", ["Ada", "Bea", "Dee", "Cid", "Eve", "Fay"]),
    ("clv_12m", ["Cid", "Dee", "Bea", "Ada", "Fay", "Eve"]),
    ("-revenue_12m", ["Ada", "Bea", "Cid", "Dee", "Eve", "Fay"]),
    ("revenue_12m", ["Eve", "Dee", "Cid", "Bea", "Ada", "Fay"]),
    ("-p_alive", ["Ada", "Bea", "Cid", "Dee", "Eve", "Fay"]),
    ("p_alive", ["Dee", "Cid", "Bea", "Ada", "Fay", "Eve"]),
    ("recency_days", ["Ada", "Bea", "Cid", "Dee", "Fay", "Eve"]),
    ("-recency_days", ["Dee", "Cid", "Bea", "Ada", "Eve", "Fay"]),
]


@pytest.mark.parametrize(("sort", "expected"), SORTS)
def test_each_figure_sort_orders_the_list(client, agent, base, sort, expected):
    client.force_login(agent)
    assert names_in(client.get(f"/customers/?sort={sort}")) == expected


@pytest.mark.parametrize(("sort", "expected"), SORTS)
def test_each_figure_sort_orders_the_api_list(api_for, agent, base, sort, expected):
    assert api_names(api_for(agent), f"sort={sort}") == expected


@pytest.mark.parametrize(("sort", "expected"), SORTS)
def test_a_long_list_reads_the_same_order_a_page_at_a_time(
    admin, agent, base, monkeypatch, sort, expected
):
    """Past the count limit a list is read in its order's own plan (the customers with
    the figure, then those without): page after page gives the order of the short list,
    across the point where the figure runs out."""
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 2)
    for viewer in (admin, agent):
        rows = selectors.customer_list_rows(viewer=viewer, sort=sort)
        assert isinstance(rows, LongList if viewer is agent else selectors.FiguresFirst)
        seen = []
        for number in (1, 2, 3):
            page, _source = read_page(rows, number=number, size=2)
            seen += [c.display_name for c in page.items]
            assert page.has_next == (number < 3)
        assert seen == expected, viewer


def test_a_long_list_by_a_figure_counts_every_customer_for_an_admin(admin, base):
    rows = selectors.customer_list_rows(viewer=admin, sort="-clv_12m")
    page, _source = read_page(rows, number=2, size=4)
    assert (page.count, page.count_exact, page.num_pages) == (6, True, 2)
    assert [c.display_name for c in page.items] == ["Eve", "Fay"]


def test_a_figure_sort_with_a_filter_long_or_short(agent, base, monkeypatch):
    arguments = {"value_tier": "core", "sort": "-clv_12m"}
    short = selectors.customer_list_rows(viewer=agent, **arguments)
    assert [c.display_name for c in read_page(short, number=1, size=5)[0].items] == [
        "Bea",
        "Cid",
    ]
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 1)
    long = selectors.customer_list_rows(viewer=agent, **arguments)
    page, _source = read_page(long, number=1, size=5)
    assert ([c.display_name for c in page.items], page.count_exact) == (["Bea", "Cid"], False)


# --- The columns ---------------------------------------------------------------------------


def test_the_list_shows_tier_rfm_stage_clv_and_revenue(client, agent, base):
    client.force_login(agent)
    page = client.get("/customers/?sort=-clv_12m").content.decode()
    for header in ("Tier", "RFM", "Stage", "CLV 12m", "Revenue 12m"):
        assert f">{header}<" in page, header
    rows = page.split("<tbody>")[1].split("</tr>")
    ada, fay = rows[0], rows[5]
    assert "Most valuable" in ada and "Champions" in ada and "555" in ada
    assert "Trust" in ada and "$1,200.50" in ada and "$900.00" in ada
    # Without figures: a dash in each figure's cell.
    for cell in ("tier", "rfm", "stage", "clv", "revenue"):
        assert re.search(rf'data-testid="{cell}">\s*<span class="text-body-secondary">—', fay)


def test_the_figure_filters_have_translated_labels_and_open_when_used(client, agent, base):
    client.force_login(agent)
    page = client.get("/customers/").content.decode()
    assert 'id="figure-filters"' in page and 'class="collapse" id="figure-filters"' in page
    for label in ("Value tier", "ABC class", "RFM segment", "Relationship stage"):
        assert f">{label}</label>" in page
    assert '<option value="cant_lose">Can&#x27;t lose them</option>' in page
    opened = client.get("/customers/?rfm_segment=loyal").content.decode()
    assert 'class="collapse show" id="figure-filters"' in opened
    assert '<option value="loyal" selected>' in opened
    agent.language = "ar"
    agent.save()
    arabic = client.get("/customers/").content.decode()
    assert 'dir="rtl"' in arabic and 'id="figure-filters"' in arabic


def test_the_list_query_count_stays_flat_with_figures(
    client, agent, north, django_assert_max_num_queries
):
    def make(n, start):
        for i in range(start, start + n):
            customer(
                f"Cu{i:03}",
                north,
                agent,
                value_tier="core",
                rfm_segment="loyal",
                clv_12m=Decimal(i),
                revenue_12m=Decimal(i),
            )

    client.force_login(agent)
    make(2, 0)
    url = "/customers/?value_tier=core&sort=-clv_12m"
    with django_assert_max_num_queries(12) as few:
        assert len(names_in(client.get(url))) == 2
    make(40, 2)
    for query in (url, "/customers/", "/customers/?sort=recency_days"):
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(names_in(client.get(query))) == 25
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url + "&page=2", **HTMX)


# --- The API's metrics -------------------------------------------------------------------


def test_each_api_item_has_its_figures_or_null(api_for, agent, base):
    items = api_for(agent).get("/api/v1/customers?sort=-clv_12m").json()["items"]
    ada = items[0]["metrics"]
    assert ada == {
        "value_tier": "most_valuable",
        "abc_class": "A",
        "rfm_score": "555",
        "rfm_segment": "champions",
        "relationship_stage": "trust",
        "revenue_12m": "900.00",
        "orders_12m": 9,
        "clv_12m": "1200.50",
        "p_alive": 0.95,
    }
    eve, fay = items[4], items[5]
    assert eve["metrics"]["value_tier"] is None and eve["metrics"]["clv_12m"] is None
    assert eve["metrics"]["rfm_segment"] is None and eve["metrics"]["revenue_12m"] == "0.00"
    assert fay["display_name"] == "Fay" and fay["metrics"] is None


def test_the_api_list_reads_a_flat_number_of_queries(
    api_for, agent, north, django_assert_max_num_queries
):
    api = api_for(agent)
    customer("One", north, agent, value_tier="core", clv_12m=Decimal(1))
    with django_assert_max_num_queries(10) as few:
        api.get("/api/v1/customers?sort=-clv_12m")
    for i in range(30):
        customer(f"Many{i}", north, agent, value_tier="core", clv_12m=Decimal(i))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/v1/customers?sort=-clv_12m").json()["items"]) == 31


def test_the_openapi_document_describes_the_filters_and_metrics(client):
    document = client.get("/api/v1/openapi.json").json()
    parameters = {p["name"] for p in document["paths"]["/api/v1/customers"]["get"]["parameters"]}
    assert {"value_tier", "abc_class", "rfm_segment", "relationship_stage"} <= parameters
    assert {"r_score", "f_score", "clv_min", "clv_max", "sort"} <= parameters
    assert "metrics" in document["components"]["schemas"]["CustomerListItem"]["properties"]


# --- The value dashboards link here ------------------------------------------------------


def test_every_link_of_the_value_dashboards_opens_a_list_of_what_it_counts(client, agent, base):
    now = timezone.now()
    RefreshRun.objects.create(as_of=now, status="done", started_at=now, finished_at=now)
    client.force_login(agent)
    overview = client.get("/value/").content.decode()
    pages = overview + "".join(
        client.get(f"/value/{name}/").content.decode() for name in ("rfm-grid", "tiers", "stages")
    )
    text = html.unescape(pages).replace("\\u0026", "&")
    links = set(re.findall(r'/customers/\?[^"\s<>]+', text))
    assert {
        "/customers/?value_tier=most_valuable",
        "/customers/?abc_class=A",
        "/customers/?rfm_segment=champions",
        "/customers/?relationship_stage=trust",
        "/customers/?r_score=5&f_score=5",
    } <= links
    for link in links:
        listed = set(names_in(client.get(link)))
        params = dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&"))
        expected = {
            name
            for name, c in base.items()
            if (m := CustomerMetrics.objects.filter(customer=c).first()) is not None
            and all(str(getattr(m, k)) == v for k, v in params.items())
        }
        assert listed == expected, link
