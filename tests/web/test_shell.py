"""The shell around every page: navigation, search, dashboard, errors, security headers."""

import pytest

from tests.factories import CustomerFactory


def test_dashboard_shows_counts_and_my_customers(client, agent, north):
    CustomerFactory.create_batch(3, team=north, owner=agent, lifecycle_stage="customer")
    CustomerFactory(team=north, lifecycle_stage="prospect", given_name="Pros")
    client.force_login(agent)
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="stat-total">4<' in page
    assert page.count('href="/customers/') >= 3


def test_dashboard_query_count_is_flat(client, agent, north, django_assert_max_num_queries):
    client.force_login(agent)
    CustomerFactory.create_batch(2, team=north, owner=agent)
    with django_assert_max_num_queries(12) as few:
        client.get("/")
    CustomerFactory.create_batch(30, team=north, owner=agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/")


def test_navigation_hides_unbuilt_sections_and_admin_for_non_admins(client, agent, admin):
    client.force_login(agent)
    page = client.get("/").content.decode()
    assert 'href="/customers/"' in page
    for built in ("Service", "Feedback"):
        assert f'<span class="nav-label">{built}</span>' in page
    for unbuilt in ("Campaigns", "Analytics", "Sales"):
        assert f'<span class="nav-label">{unbuilt}</span>' not in page
    assert "/manage/users/" not in page
    assert client.get("/manage/users/").status_code == 403
    client.force_login(admin)
    assert "/manage/users/" in client.get("/").content.decode()


def test_global_search(client, agent, north):
    CustomerFactory(given_name="Tigran", family_name="Mansuryan", team=north)
    client.force_login(agent)
    page = client.get("/search/?q=mansur").content.decode()
    assert "Tigran Mansuryan" in page
    page = client.get("/search/?q=zzzz").content.decode()
    assert "Nothing found" in page


def test_global_search_counts_up_to_the_lists_bound(client, agent, north, monkeypatch):
    from patron.customers import selectors

    for n in range(22):
        CustomerFactory(given_name=f"Anush{n}", family_name="Grigoryan", team=north)
    client.force_login(agent)
    assert "See all 22 customers" in client.get("/search/?q=grigor").content.decode()
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 21)
    page = client.get("/search/?q=grigor").content.decode()
    assert "More than 21 customers" in page and page.count("Grigoryan") >= 20


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/customers/")


def test_security_headers(client, agent):
    client.force_login(agent)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    page = response.content.decode()
    # No inline script: every <script> has a src or is inert JSON data.
    import re

    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_error_pages_are_friendly(client, agent):
    client.force_login(agent)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_vendored_assets_are_served_locally(client, agent):
    client.force_login(agent)
    page = client.get("/").content.decode()
    assert "http://" not in page.split("<body")[0].replace("http://www.w3.org", "")
    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
    client.cookies["patron_language"] = "ar"
    agent.language = "ar"
    agent.save()
    assert "bootstrap.rtl.min.css" in client.get("/").content.decode()


def test_admin_pages_manage_users_and_teams(client, admin, north):
    client.force_login(admin)
    response = client.post("/manage/teams/new/", {"name": "Batumi"})
    assert response.status_code == 302
    response = client.post(
        "/manage/users/new/",
        {"email": "new@example.com", "role": "agent", "full_name": "New Person", "is_active": "on"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "can sign in with the password" in page
    response = client.post("/manage/users/new/", {"email": "new@example.com", "role": "agent"})
    assert "already exists" in response.content.decode()
    page = client.get("/manage/users/?q=new@").content.decode()
    assert "New Person" in page
