"""The value dashboards' selectors, on hand-made figures with hand-worked answers: the
Pareto curve and its headlines, tier and class shares, the RFM grid, the stage funnel,
the customers at risk, the spread of predicted value; and each restricted to what the
viewer may see."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from patron.analytics import dashboards
from patron.analytics.models import CustomerMetrics
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def figures(team, rows, owner=None):
    """One customer of `team` per dict of figures; returns the customers in order."""
    customers = [CustomerFactory(team=team, owner=owner) for _ in rows]
    CustomerMetrics.objects.bulk_create(
        [CustomerMetrics(customer=c, **row) for c, row in zip(customers, rows, strict=True)]
    )
    return customers


def revenue(*amounts):
    return [{"revenue_12m": Decimal(str(amount))} for amount in amounts]


# --- Value concentration ------------------------------------------------------------------


def test_pareto_curve_and_headlines_on_ten_buyers(admin, north):
    # 200 in all: the best customer brings 100 (50 %), the best two 150 (75 %).
    figures(north, revenue(100, 50, 20, 10, 5, 5, 4, 3, 2, 1, 0, 0))
    data = dashboards.value_concentration(viewer=admin)
    assert (data.buying_customers, data.customers, data.without_purchases) == (10, 12, 2)
    assert data.revenue == Decimal("200.00")
    assert data.top_10_share == 0.5
    assert data.top_20_share == 0.75
    # Ten buyers: one point per customer (percentiles 10, 20, ... 100).
    assert [(p.customers, p.customer_share, p.revenue_share) for p in data.points] == [
        (1, 0.1, 0.5),
        (2, 0.2, 0.75),
        (3, 0.3, 0.85),
        (4, 0.4, 0.9),
        (5, 0.5, 0.925),
        (6, 0.6, 0.95),
        (7, 0.7, 0.97),
        (8, 0.8, 0.985),
        (9, 0.9, 0.995),
        (10, 1.0, 1.0),
    ]
    assert data.points[1].revenue == Decimal("150.00")
    assert "50%" in data.headlines[0].text and "10%" in data.headlines[0].text


def test_pareto_headlines_interpolate_between_customers(admin, north):
    # Four buyers: the top 10 % is 0.4 of the first (60), the top 20 % 0.8 of it.
    figures(north, revenue(60, 20, 15, 5))
    data = dashboards.value_concentration(viewer=admin)
    assert data.top_10_share == pytest.approx(0.24)
    assert data.top_20_share == pytest.approx(0.48)
    # Six more make ten buyers: 60, 20, 15, 10, 5, 5, 5, 5, 0.5, 0.5 (126 in all).
    figures(north, revenue(10, 5, 5, 5, 0.5, 0.5))
    data = dashboards.value_concentration(viewer=admin)
    assert data.buying_customers == 10
    assert data.top_10_share == pytest.approx(60 / 126, abs=1e-6)
    assert data.top_20_share == pytest.approx(80 / 126, abs=1e-6)


def test_pareto_is_down_sampled_to_a_hundred_points(admin, north):
    figures(north, revenue(*range(1, 251)))  # 250 buyers, 1 to 250: 31,375 in all
    data = dashboards.value_concentration(viewer=admin)
    assert len(data.points) == 100
    assert data.points[-1].customers == 250 and data.points[-1].revenue_share == 1.0
    # The 10th percentile ends at the 25th customer: 250 + 249 + ... + 226 = 5,950.
    tenth = data.points[9]
    assert (tenth.customers, tenth.revenue) == (25, Decimal("5950.00"))
    assert tenth.revenue_share == pytest.approx(5950 / 31375, abs=1e-6)
    assert data.top_10_share == pytest.approx(5950 / 31375, abs=1e-6)
    # The 20th ends at the 50th: 250 + ... + 201 = 11,275.
    assert data.points[19].customers == 50
    assert data.top_20_share == pytest.approx(11275 / 31375, abs=1e-6)
    shares = [p.customer_share for p in data.points]
    assert shares == sorted(shares)


def test_pareto_without_revenue(admin, north):
    figures(north, revenue(0, 0))
    data = dashboards.value_concentration(viewer=admin)
    assert (data.points, data.headlines, data.buying_customers, data.customers) == ([], [], 0, 2)
    assert data.top_10_share is None and data.revenue == Decimal("0.00")


# --- Tiers and ABC classes -------------------------------------------------------------------


def tier_rows():
    return [
        {"value_tier": "most_valuable", "abc_class": "A", "revenue_12m": 600, "margin_12m": 200},
        {"value_tier": "core", "abc_class": "A", "revenue_12m": 200, "margin_12m": 50},
        {"value_tier": "core", "abc_class": "B", "revenue_12m": 150, "margin_12m": 40},
        {"value_tier": "below_zero", "abc_class": "C", "revenue_12m": 50, "margin_12m": -90},
        {"value_tier": "", "abc_class": "", "revenue_12m": 0, "margin_12m": None},
    ]


def test_tier_and_class_shares(admin, north):
    figures(north, tier_rows())
    data = dashboards.tiers(viewer=admin)
    assert (data.customers, data.revenue, data.margin) == (5, Decimal(1000), Decimal(200))
    got = {
        row.key: (row.customers, row.customer_share, row.revenue, row.revenue_share)
        for row in data.tiers
    }
    assert got == {
        "most_valuable": (1, 0.2, Decimal(600), 0.6),
        "core": (2, 0.4, Decimal(350), 0.35),
        "below_zero": (1, 0.2, Decimal(50), 0.05),
        "": (1, 0.2, Decimal(0), 0.0),
    }
    assert [row.key for row in data.tiers] == ["most_valuable", "core", "below_zero", ""]
    margins = {row.key: (row.margin, row.margin_share) for row in data.tiers}
    assert margins == {
        "most_valuable": (Decimal(200), 1.0),
        "core": (Decimal(90), 0.45),
        "below_zero": (Decimal(-90), -0.45),
        "": (None, None),
    }
    classes = {row.key: (row.customers, row.revenue_share, row.margin) for row in data.classes}
    assert classes == {
        "A": (2, 0.8, Decimal(250)),
        "B": (1, 0.15, Decimal(40)),
        "C": (1, 0.05, Decimal(-90)),
        "": (1, 0.0, None),
    }
    assert [row.label for row in data.tiers] == [
        "Most valuable",
        "Core",
        "Below zero",
        "No purchases",
    ]


def test_tiers_list_every_named_tier_even_when_empty(admin, north):
    figures(north, [{"value_tier": "core", "abc_class": "B", "revenue_12m": 10}])
    data = dashboards.tiers(viewer=admin)
    assert [(row.key, row.customers) for row in data.tiers] == [
        ("most_valuable", 0),
        ("core", 1),
        ("below_zero", 0),
    ]
    assert [row.key for row in data.classes] == ["A", "B", "C"]
    assert data.margin is None and data.tiers[1].margin_share is None


# --- The RFM grid --------------------------------------------------------------------------------


def rfm_rows():
    return [
        {"r_score": 5, "f_score": 5, "rfm_segment": "champions", "revenue_12m": 300},
        {"r_score": 5, "f_score": 5, "rfm_segment": "champions", "revenue_12m": 200},
        {"r_score": 1, "f_score": 4, "rfm_segment": "cant_lose", "revenue_12m": 100},
        {"r_score": 2, "f_score": 3, "rfm_segment": "at_risk", "revenue_12m": 50},
        {"r_score": None, "f_score": None, "rfm_segment": "", "revenue_12m": 0},
    ]


def test_rfm_grid_cells_and_segments(admin, north):
    figures(north, rfm_rows())
    data = dashboards.rfm_grid(viewer=admin)
    assert (data.customers, data.unscored, data.revenue) == (4, 1, Decimal(650))
    assert len(data.cells) == 25
    cells = {(c.r_score, c.f_score): c for c in data.cells}
    champions = cells[(5, 5)]
    assert (champions.customers, champions.share, champions.revenue) == (2, 0.5, Decimal(500))
    assert champions.revenue_share == pytest.approx(500 / 650, abs=1e-6)
    assert (cells[(1, 4)].customers, cells[(1, 4)].share) == (1, 0.25)
    assert (cells[(2, 3)].customers, cells[(2, 3)].revenue) == (1, Decimal(50))
    assert sum(c.customers for c in data.cells) == 4
    # Drawn with frequency 5 on top and recency 1 to 5 across.
    assert [(c.r_score, c.f_score) for c in data.rows[0]] == [(r, 5) for r in range(1, 6)]
    assert data.rows[4][4].f_score == 1 and data.busiest == 2
    segments = {row.key: (row.customers, row.share) for row in data.segments}
    assert segments["champions"] == (2, 0.5)
    assert segments["cant_lose"] == (1, 0.25) and segments["at_risk"] == (1, 0.25)
    assert segments["lost"] == (0, 0.0)
    assert len(data.segments) == 11 and data.segments[0].label == "Champions"


# --- Relationship stages -----------------------------------------------------------------------


def test_stage_funnel_in_order_with_shares(admin, north):
    stages = ["contact", "connection", "contact", "intimacy", "connection", "contact"]
    figures(north, [{"relationship_stage": s, "revenue_12m": 10} for s in stages])
    data = dashboards.stages(viewer=admin)
    rows = [(r.key, r.customers, r.share, r.reached, r.reached_share) for r in data.stages]
    assert rows == [
        ("contact", 3, 0.5, 6, 1.0),
        ("connection", 2, 0.333333, 3, 0.5),
        ("intimacy", 1, 0.166667, 1, 0.166667),
        ("trust", 0, 0.0, 0, 0.0),
    ]
    assert (data.customers, data.revenue) == (6, Decimal(60))
    assert data.stages[1].revenue == Decimal(20)


# --- Customers at risk -----------------------------------------------------------------------


@pytest.fixture
def risky(north, south, agent):
    now = timezone.now()
    rows = [
        {
            "rfm_segment": "cant_lose",
            "revenue_12m": 500,
            "clv_12m": 100,
            "p_alive": 0.3,
            "last_order_at": now - dt.timedelta(days=200),
            "recency_days": 200,
        },
        {"rfm_segment": "at_risk", "revenue_12m": 800, "clv_12m": 50, "p_alive": 0.6},
        {
            "value_tier": "most_valuable",
            "rfm_segment": "champions",
            "revenue_12m": 300,
            "clv_12m": 20,
            "p_alive": 0.2,
        },
        {"value_tier": "most_valuable", "rfm_segment": "loyal", "revenue_12m": 900, "p_alive": 0.7},
        {
            "value_tier": "most_valuable",
            "rfm_segment": "at_risk",
            "revenue_12m": 100,
            "p_alive": 0.1,
        },
        {"value_tier": "core", "rfm_segment": "hibernating", "revenue_12m": 5, "p_alive": 0.05},
    ]
    customers = figures(north, rows, owner=agent)
    hidden = figures(south, [{"rfm_segment": "cant_lose", "revenue_12m": 9999}])
    return customers, hidden


def test_at_risk_list_reasons_and_order(agent, risky):
    (a, b, c, _d, e, _f), _hidden = risky
    data = dashboards.at_risk(viewer=agent)
    assert [row.customer_id for row in data.rows] == [b.pk, a.pk, c.pk, e.pk]
    assert [row.reason for row in data.rows] == ["at_risk", "cant_lose", "fading", "at_risk"]
    assert (data.customers, data.revenue, data.clv) == (4, Decimal(1700), Decimal(170))
    reasons = {row.key: (row.customers, row.revenue, row.clv) for row in data.reasons}
    assert reasons == {
        "cant_lose": (1, Decimal(500), Decimal(100)),
        "at_risk": (2, Decimal(900), Decimal(50)),
        "fading": (1, Decimal(300), Decimal(20)),
    }
    first = data.rows[1]
    assert (first.name, first.owner, first.segment_label) == (
        a.display_name,
        agent.display_name,
        "Can't lose them",
    )
    assert first.recency_days == 200 and first.last_order_at is not None
    assert data.rows[2].reason_label == "Most valuable, likely inactive"


def test_at_risk_sorts_pages_and_narrows_by_reason(agent, risky):
    (a, b, c, _d, e, _f), _hidden = risky
    ids = lambda data: [row.customer_id for row in data.rows]  # noqa: E731
    assert ids(dashboards.at_risk(viewer=agent, sort="-clv")) == [a.pk, b.pk, c.pk, e.pk]
    assert ids(dashboards.at_risk(viewer=agent, sort="p_alive")) == [e.pk, c.pk, a.pk, b.pk]
    assert ids(dashboards.at_risk(viewer=agent, sort="revenue")) == [e.pk, c.pk, a.pk, b.pk]
    second = dashboards.at_risk(viewer=agent, page=2, page_size=3)
    assert ids(second) == [e.pk]
    assert (second.page.number, second.page.num_pages, second.page.has_previous) == (2, 2, True)
    # Past the end: the last page on the web, none through the API.
    assert dashboards.at_risk(viewer=agent, page=9, page_size=3).page.number == 2
    assert ids(dashboards.at_risk(viewer=agent, page=9, page_size=3, clamp=False)) == []
    narrowed = dashboards.at_risk(viewer=agent, reason="at_risk")
    assert ids(narrowed) == [b.pk, e.pk] and narrowed.customers == 2
    assert narrowed.all_customers == 4  # the reasons still count every one
    assert ids(dashboards.at_risk(viewer=agent, reason="fading")) == [c.pk]
    with pytest.raises(ValueError):
        dashboards.at_risk(viewer=agent, sort="owner")
    every = list(dashboards.at_risk_all(viewer=agent, sort="-revenue"))
    assert [row.customer_id for row in every] == [b.pk, a.pk, c.pk, e.pk]


# --- Predicted value ---------------------------------------------------------------------------


def test_clv_edges_are_round_and_log_spaced():
    assert dashboards.clv_edges(None) == [0, 1]
    assert dashboards.clv_edges(Decimal("0.5")) == [0, 1]
    assert dashboards.clv_edges(7) == [0, 1, 2, 5, 10]
    assert dashboards.clv_edges(1000) == [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]
    # At most twelve bins: the lowest then starts at 0.
    assert dashboards.clv_edges(12345) == [
        0, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000,
    ]  # fmt: skip


def test_clv_histogram_and_p_alive_deciles(admin, north):
    clv = [0, 3, 7, 12, 150, 1200, None]
    p_alive = [0.05, 0.1, 0.55, 0.95, 1.0, None, 0.3]
    figures(
        north,
        [
            {"clv_12m": value, "p_alive": p, "expected_purchases_12m": 0.5}
            for value, p in zip(clv, p_alive, strict=True)
        ],
    )
    data = dashboards.clv_distribution(viewer=admin)
    assert (data.customers, data.without_clv, data.clv) == (6, 1, Decimal(1372))
    assert data.expected_purchases == 3.5
    counts = {(row.low, row.high): (row.customers, row.clv) for row in data.bins}
    assert len(data.bins) == 11  # 0, 1, 2, 5, ... 2,000
    assert counts[(0, 1)] == (1, 0)
    assert counts[(2, 5)] == (1, Decimal(3))
    assert counts[(5, 10)] == (1, Decimal(7))
    assert counts[(10, 20)] == (1, Decimal(12))
    assert counts[(100, 200)] == (1, Decimal(150))
    assert counts[(1000, 2000)] == (1, Decimal(1200))
    assert counts[(1, 2)] == (0, 0)
    assert data.bins[-1].clv_share == pytest.approx(1200 / 1372, abs=1e-6)
    assert data.bins[3].label == "5–10" and data.bins[-1].label == "1K–2K"
    deciles = [row.customers for row in data.p_alive]
    # 0.05 | 0.1 (a tenth is the start of the second decile) | 0.3 | 0.55 | 0.95 and 1.0
    assert deciles == [1, 1, 0, 1, 0, 1, 0, 0, 0, 2]
    assert data.p_alive_customers == 6
    assert data.p_alive_mean == pytest.approx((0.05 + 0.1 + 0.55 + 0.95 + 1.0 + 0.3) / 6, abs=1e-4)
    assert data.p_alive[9].share == pytest.approx(2 / 6, abs=1e-6)
    assert data.p_alive[0].label == "0–10%"


def test_clv_without_predictions(admin, north):
    figures(north, [{"revenue_12m": 10}])
    data = dashboards.clv_distribution(viewer=admin)
    assert (data.customers, data.without_clv, data.clv, data.p_alive_mean) == (
        0,
        1,
        Decimal(0),
        None,
    )
    assert [(row.low, row.high, row.customers) for row in data.bins] == [(0, 1, 0)]


# --- Visibility and the last refresh ------------------------------------------------------------


def test_an_agent_sees_only_the_figures_of_their_teams(agent, other_agent, manager, north, south):
    figures(north, tier_rows())
    figures(
        south,
        [
            {
                "value_tier": "most_valuable",
                "abc_class": "A",
                "revenue_12m": 10000,
                "relationship_stage": "trust",
                "r_score": 5,
                "f_score": 5,
                "rfm_segment": "champions",
                "clv_12m": 5000,
                "p_alive": 0.9,
            }
        ],
    )
    mine = dashboards.tiers(viewer=agent)
    assert (mine.customers, mine.revenue) == (5, Decimal(1000))
    theirs = dashboards.tiers(viewer=other_agent)
    assert (theirs.customers, theirs.revenue) == (1, Decimal(10000))
    assert dashboards.tiers(viewer=manager).customers == 6
    assert dashboards.value_concentration(viewer=agent).revenue == Decimal(1000)
    # one buyer: the curve is the line of equal shares
    assert dashboards.value_concentration(viewer=other_agent).top_10_share == 0.1
    assert dashboards.rfm_grid(viewer=agent).customers == 0
    assert dashboards.rfm_grid(viewer=other_agent).rows[0][4].customers == 1
    assert dashboards.stages(viewer=agent).stages[3].customers == 0
    assert dashboards.stages(viewer=other_agent).stages[3].customers == 1
    assert dashboards.clv_distribution(viewer=agent).customers == 0
    assert dashboards.clv_distribution(viewer=other_agent).clv == Decimal(5000)


def test_an_agent_sees_customers_they_own_in_another_team(agent, south):
    figures(south, revenue(70), owner=agent)
    assert dashboards.value_concentration(viewer=agent).revenue == Decimal(70)


def test_each_dashboard_reads_in_one_or_two_queries(agent, risky, django_assert_max_num_queries):
    for read, most in (
        (dashboards.value_concentration, 1),
        (dashboards.tiers, 1),
        (dashboards.rfm_grid, 1),
        (dashboards.stages, 1),
        (dashboards.at_risk, 2),
        (dashboards.clv_distribution, 2),
    ):
        with django_assert_max_num_queries(most):
            read(viewer=agent)


def test_last_refresh_is_the_last_one_done(db):
    from patron.analytics.models import RefreshRun

    assert dashboards.last_refresh() is None
    now = timezone.now()
    old = RefreshRun.objects.create(
        as_of=now, status="done", finished_at=now - dt.timedelta(days=1)
    )
    RefreshRun.objects.create(as_of=now, status="failed", finished_at=now)
    RefreshRun.objects.create(as_of=now, status="running")
    assert dashboards.last_refresh() == old
