"""Bearer tokens, the error shape and the OpenAPI document."""

import hashlib

import pytest
from django.test import Client
from openapi_spec_validator import validate

from patron.accounts.models import ApiToken
from patron.accounts.services import token_revoke
from tests.conftest import assert_error_shape
from tests.factories import PASSWORD


@pytest.mark.django_db
def test_api_requires_a_token(client):
    error = assert_error_shape(client.get("/api/v1/customers"), 401, "unauthenticated")
    assert "Bearer" in error["message"]
    response = client.get("/api/v1/customers", HTTP_AUTHORIZATION="Bearer ptn_not-a-real-token")
    assert_error_shape(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_is_hashed_at_rest_and_works(api_for, agent):
    api = api_for(agent)
    stored = ApiToken.objects.get(user=agent)
    assert api.token not in {stored.token_hash, stored.prefix}
    assert stored.token_hash == hashlib.sha256(api.token.encode()).hexdigest()
    me = api.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["email"] == agent.email
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_revoked_token_and_deactivated_user_are_refused(api_for, agent):
    api = api_for(agent)
    token = ApiToken.objects.get(user=agent)
    token_revoke(actor=agent, token_id=token.pk)
    assert_error_shape(api.get("/api/v1/me"), 401)
    api = api_for(agent)
    agent.is_active = False
    agent.save()
    assert_error_shape(api.get("/api/v1/me"), 401)


def test_viewer_writing_gets_403(api_for, viewer):
    api = api_for(viewer)
    assert_error_shape(api.post("/api/v1/customers", {"given_name": "Vera"}), 403, "forbidden")


def test_non_admin_cannot_manage_users_or_teams(api_for, manager):
    api = api_for(manager)
    assert_error_shape(api.get("/api/v1/users"), 403, "forbidden")
    assert_error_shape(api.post("/api/v1/teams", {"name": "Nope"}), 403)
    body = {"email": "x@example.com", "password": "a long passphrase 1"}
    assert_error_shape(api.post("/api/v1/users", body), 403)


def test_admin_manages_users_and_teams(api_for, admin):
    api = api_for(admin)
    team = api.post("/api/v1/teams", {"name": "Gyumri", "description": "north"})
    assert team.status_code == 201
    user = api.post(
        "/api/v1/users",
        {
            "email": "Lilit@Example.com",
            "password": "a long passphrase 1",
            "role": "agent",
            "team_ids": [team.json()["id"]],
        },
    )
    assert user.status_code == 201, user.content
    assert user.json()["email"] == "lilit@example.com"
    assert [t["name"] for t in user.json()["teams"]] == ["Gyumri"]
    duplicate = api.post(
        "/api/v1/users", {"email": "lilit@example.com", "password": "a long passphrase 1"}
    )
    error = assert_error_shape(duplicate, 422, "validation_failed")
    assert "email" in error["details"]
    weak = api.post("/api/v1/users", {"email": "weak@example.com", "password": "123"})
    assert "password" in assert_error_shape(weak, 422)["details"]
    unknown_team = api.patch(f"/api/v1/users/{user.json()['id']}", {"team_ids": [999]})
    assert "team_ids" in assert_error_shape(unknown_team, 422)["details"]


def test_error_shape_for_bad_input(api_for, agent):
    api = api_for(agent)
    wrong_type = api.post("/api/v1/customers", {"kind": "spaceship"})
    error = assert_error_shape(wrong_type, 422, "invalid_input")
    assert error["details"][0]["field"] == "kind"
    broken = api.client.post(
        "/api/v1/customers",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert_error_shape(broken, 400)
    assert_error_shape(api.get("/api/v1/customers/not-a-number"), 422)
    assert_error_shape(api.get("/api/v1/no-such-endpoint"), 404)
    assert_error_shape(api.get("/api/v1/customers?page=0"), 422)
    wrong_method = api.client.put("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    error = assert_error_shape(wrong_method, 405, "method_not_allowed")
    assert sorted(error["details"]["allowed_methods"]) == ["GET", "POST"]


def test_session_writes_without_csrf_get_the_error_shape(agent):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    response = browser.post("/api/v1/customers", data="{}", content_type="application/json")
    assert_error_shape(response, 403)


def test_session_users_can_call_the_api_from_the_docs_page(client, agent):
    client.force_login(agent)
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_openapi_document_is_valid():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    paths = document["paths"]
    assert "/api/v1/customers" in paths and "/api/v1/customers/{customer_id}" in paths
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


@pytest.mark.django_db
def test_interactive_docs_load_without_a_cdn():
    page = Client().get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn." not in page


def test_pagination_shape(api_for, agent, north):
    from tests.factories import CustomerFactory

    CustomerFactory.create_batch(5, team=north)
    body = api_for(agent).get("/api/v1/customers?page=2&page_size=2").json()
    assert (body["count"], body["page"], body["page_size"], body["pages"]) == (5, 2, 2, 3)
    assert len(body["items"]) == 2


def test_profile_fields_are_validated(api_for, agent):
    api = api_for(agent)
    error = assert_error_shape(api.patch("/api/v1/me", {"time_zone": "Mars/Olympus"}), 422)
    assert "time_zone" in error["details"] and "Mars/Olympus" in error["message"]
    ok = api.patch("/api/v1/me", {"time_zone": "Asia/Tbilisi", "language": "ka"})
    assert ok.status_code == 200 and ok.json()["time_zone"] == "Asia/Tbilisi"


def test_a_user_reads_only_their_own_account(api_for, agent, manager):
    api = api_for(agent)
    assert api.get(f"/api/v1/users/{agent.pk}").status_code == 200
    assert_error_shape(api.get(f"/api/v1/users/{manager.pk}"), 403)


def test_out_of_range_ids_pages_and_unknown_fields_are_422(api_for, admin, agent):
    api = api_for(admin)
    huge = 2**70
    error = assert_error_shape(api.patch(f"/api/v1/users/{agent.pk}", {"team_ids": [huge]}), 422)
    assert error["details"][0]["field"].startswith("team_ids")
    assert_error_shape(api.get(f"/api/v1/users/{huge}"), 422)
    assert_error_shape(api.get("/api/v1/teams?page=99999999999999"), 422)
    typo = api.post("/api/v1/customers", {"given_name": "Ani", "famly_name": "Nor"})
    error = assert_error_shape(typo, 422, "invalid_input")
    assert error["details"][0]["field"] == "famly_name"


def test_password_change_through_the_api_needs_the_current_one(api_for, agent):
    api = api_for(agent)
    wrong = api.post(
        "/api/v1/me/password", {"current_password": "nope", "new_password": "a fresh passphrase 7"}
    )
    assert "current_password" in assert_error_shape(wrong, 422)["details"]
    weak = api.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": "123"})
    assert "password" in assert_error_shape(weak, 422)["details"]
    ok = api.post(
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": "a fresh passphrase 7"},
    )
    assert ok.status_code == 204
    agent.refresh_from_db()
    assert agent.check_password("a fresh passphrase 7")
