"""Shared fixtures: two teams, a user of each role, API clients with real tokens."""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from patron.accounts.models import Role
from patron.accounts.services import token_create
from tests.factories import CustomerFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in another language leaves it active on the thread: start each test in
    the default language, whatever ran before."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def north(db):
    return TeamFactory(name="North")


@pytest.fixture
def south(db):
    return TeamFactory(name="South")


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.com", role=Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def manager(db):
    return UserFactory(email="manager@example.com", role=Role.MANAGER)


@pytest.fixture
def agent(north):
    return UserFactory(email="agent@example.com", role=Role.AGENT, teams=[north])


@pytest.fixture
def other_agent(south):
    return UserFactory(email="south.agent@example.com", role=Role.AGENT, teams=[south])


@pytest.fixture
def viewer(north):
    return UserFactory(email="viewer@example.com", role=Role.VIEWER, teams=[north])


@pytest.fixture
def north_customer(north, agent):
    return CustomerFactory(given_name="Ani", family_name="Nor", team=north, owner=agent)


@pytest.fixture
def south_customer(south, other_agent):
    return CustomerFactory(given_name="Sami", family_name="Sud", team=south, owner=other_agent)


class ApiClient:
    """A Django test client that speaks JSON with a bearer token."""

    def __init__(self, user):
        _token, self.token = token_create(actor=None, user=user, name="tests")
        self.client = Client()

    def _call(self, method, path, body=None, **headers):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        kwargs.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path, **headers):
        return self._call("get", path, **headers)

    def post(self, path, body=None, **headers):
        return self._call("post", path, body if body is not None else {}, **headers)

    def patch(self, path, body=None, **headers):
        return self._call("patch", path, body if body is not None else {}, **headers)

    def delete(self, path, **headers):
        return self._call("delete", path, **headers)


@pytest.fixture
def api_for(db):
    return ApiClient


def assert_error_shape(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "details"} <= set(body["error"])
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]
