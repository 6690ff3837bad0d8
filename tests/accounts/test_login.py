"""Signing in and out, throttling, passwords, per-user language."""

import pytest
from django.contrib.auth.hashers import identify_hasher

from patron.accounts.models import LoginAttempt
from tests.factories import PASSWORD


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post("/login/", {"email": email, "password": password}, **extra)


def test_sign_in_and_out(client, agent):
    response = sign_in(client, agent.email)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_email_is_case_insensitive(client, agent):
    assert sign_in(client, agent.email.upper()).status_code == 302


def test_wrong_password_says_so(client, agent):
    response = sign_in(client, agent.email, "not the password")
    assert response.status_code == 401
    assert "not correct" in response.content.decode()


def test_throttling_locks_out_after_repeated_failures(client, agent, settings):
    settings.LOGIN_THROTTLE_FAILURES = 3
    for _ in range(3):
        assert sign_in(client, agent.email, "wrong").status_code == 401
    # Even the right password is refused while the email is locked out.
    response = sign_in(client, agent.email)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert LoginAttempt.objects.filter(email=agent.email, succeeded=False).count() == 3


def test_success_clears_earlier_failures(client, agent, settings):
    settings.LOGIN_THROTTLE_FAILURES = 3
    sign_in(client, agent.email, "wrong")
    sign_in(client, agent.email, "wrong")
    assert sign_in(client, agent.email).status_code == 302
    client.post("/logout/")
    sign_in(client, agent.email, "wrong")
    sign_in(client, agent.email, "wrong")
    assert sign_in(client, agent.email).status_code == 302


def test_next_must_stay_on_site(client, agent):
    response = client.post(
        "/login/?next=https://evil.example/", {"email": agent.email, "password": PASSWORD}
    )
    assert response["Location"] == "/"
    response = client.post("/logout/")
    response = client.post(
        "/login/", {"email": agent.email, "password": PASSWORD, "next": "/customers/"}
    )
    assert response["Location"] == "/customers/"


def test_passwords_are_hashed_with_argon2(agent):
    assert identify_hasher(agent.password).algorithm == "argon2"


def test_production_hasher_is_argon2():
    import importlib

    production = importlib.import_module("patron.settings")
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_password_change(client, agent):
    client.force_login(agent)
    response = client.post(
        "/account/password/", {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "current password is not correct" in page
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "12345678901", "new_password2": "12345678901"},
    )
    assert "entirely numeric" in response.content.decode()
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new phrase",
            "new_password2": "a brand new phrase",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("a brand new phrase")
    assert client.get("/").status_code == 200  # still signed in


@pytest.mark.django_db
def test_login_page_follows_the_browser_language(client):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="he").content.decode()
    assert 'lang="he"' in page and 'dir="rtl"' in page
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ka").content.decode()
    assert 'lang="ka"' in page and 'dir="ltr"' in page


def test_language_switch_is_saved_per_user(client, agent):
    client.force_login(agent)
    response = client.post("/language/", {"language": "ar", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    agent.refresh_from_db()
    assert agent.language == "ar"
    other_browser = type(client)()
    other_browser.force_login(agent)
    page = other_browser.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="ar"' in page and 'dir="rtl"' in page


@pytest.mark.django_db
def test_language_switch_for_anonymous_sets_a_cookie(client):
    response = client.post("/language/", {"language": "hy", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert response.cookies["patron_language"].value == "hy"
    assert 'lang="hy"' in client.get("/login/").content.decode()


@pytest.mark.django_db
def test_old_login_attempts_are_pruned_daily():
    import datetime as dt

    from django.utils import timezone

    from patron.accounts.tasks import login_attempts_prune_daily

    old = LoginAttempt.objects.create(email="a@example.com")
    LoginAttempt.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=31))
    recent = LoginAttempt.objects.create(email="a@example.com")
    login_attempts_prune_daily()
    assert list(LoginAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
