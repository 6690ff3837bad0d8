"""The `patron` command: in-process for the logic, as a real process for the plumbing."""

import io
import re
import sys

import pytest
from django.core.management import CommandError, call_command

from patron.accounts.models import ApiToken, User
from patron.customers.models import Customer
from tests.processes import clean_env, run_patron


def call(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        old, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        call_command(*args, stdout=out, stderr=err)
    finally:
        if stdin is not None:
            sys.stdin = old
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_createuser_prints_a_generated_password():
    out, _err = call("createuser", "Mher@Example.com", "--role", "manager", "--team", "Yerevan")
    password = re.fullmatch(r"password: (\S+)\n", out).group(1)
    user = User.objects.get(email="mher@example.com")
    assert user.role == "manager" and user.check_password(password)
    assert [t.name for t in user.teams.all()] == ["Yerevan"]


@pytest.mark.django_db
def test_createuser_reads_the_password_from_stdin():
    out, _err = call("createuser", "a@example.com", "--password-stdin", stdin="a long passphrase\n")
    assert out == ""
    assert User.objects.get(email="a@example.com").check_password("a long passphrase")


@pytest.mark.django_db
def test_createuser_refuses_bad_input_clearly():
    with pytest.raises(CommandError, match="valid email"):
        call("createuser", "not-an-email")
    call("createuser", "b@example.com")
    with pytest.raises(CommandError, match="already exists"):
        call("createuser", "B@example.com")
    with pytest.raises(CommandError, match=r"entirely numeric|too short|too common"):
        call("createuser", "c@example.com", "--password-stdin", stdin="1234\n")


def test_token_create_prints_only_the_token(agent, client):
    out, _err = call("token", "create", agent.email, "--name", "ERP")
    token = out.strip()
    assert out == token + "\n" and token.startswith("ptn_")
    assert ApiToken.objects.get(user=agent).name == "ERP"
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["email"] == agent.email
    listing, _ = call("token", "list", agent.email)
    assert "ERP" in listing and token not in listing
    with pytest.raises(CommandError, match="No user with the email"):
        call("token", "create", "nobody@example.com")


@pytest.mark.django_db
def test_demo_is_idempotent_and_multilingual():
    out, _ = call("demo", "--customers", "60", "--password", "demo passphrase 1")
    assert "60 customers added" in out
    # A few of them were entered twice on purpose, for the duplicates page.
    twice = Customer.objects.filter(identifiers__value__endswith="-dup").count()
    assert 1 <= twice <= 5
    assert Customer.objects.count() == 60 + twice
    call("demo", "--customers", "60")
    assert Customer.objects.count() == 60 + twice
    out, _ = call("demo", "--customers", "72")
    assert "12 customers added" in out
    assert Customer.objects.count() == 72 + twice
    languages = set(Customer.objects.values_list("language", flat=True))
    assert languages == {"en", "he", "ar", "hy", "ka", "ms"}
    names = " ".join(Customer.objects.values_list("display_name", flat=True))
    for script in (r"[\u0590-\u05FF]", r"[\u0600-\u06FF]", r"[\u0530-\u058F]", r"[\u10A0-\u10FF]"):
        assert re.search(script, names), script  # Hebrew, Arabic, Armenian, Georgian
    assert Customer.objects.filter(kind="organization").exists()
    assert not Customer.objects.filter(team__isnull=True).exists()
    assert User.objects.filter(role="agent").count() == 6


def test_the_real_command_end_to_end(tmp_path):
    env = clean_env(tmp_path, PATRON_HTTPS="0")
    assert "Commands:" in run_patron("--help", env=env).stdout
    unknown = run_patron("frobnicate", env=env)
    assert unknown.returncode == 2 and "unknown command" in unknown.stderr
    assert run_patron("migrate", env=env).returncode == 0
    created = run_patron("createuser", "ops@example.com", "--role", "admin", env=env)
    assert created.returncode == 0 and created.stdout.startswith("password: ")
    token = run_patron("token", "create", "ops@example.com", env=env)
    assert token.returncode == 0 and re.fullmatch(r"ptn_\S+\n", token.stdout)
    bad = run_patron("createuser", "ops@example.com", env=env)
    assert bad.returncode != 0 and "already exists" in bad.stderr
    for command in ("serve", "worker", "demo", "createuser", "token", "check", "setup"):
        help_text = run_patron(command, "--help", env=env)
        assert help_text.returncode == 0 and "usage:" in help_text.stdout, command


@pytest.mark.django_db
def test_createuser_reuses_teams_and_audits_new_ones():
    from patron.accounts.models import Team
    from patron.core.models import AuditEntry

    call("createuser", "a@example.com", "--team", "Yerevan")
    call("createuser", "b@example.com", "--team", "yerevan")
    assert list(Team.objects.values_list("name", flat=True)) == ["Yerevan"]
    assert AuditEntry.objects.filter(target_type="accounts.team", action="create").count() == 1
    assert AuditEntry.objects.filter(target_type="accounts.user", action="create").count() == 2


@pytest.mark.django_db
def test_demo_refuses_a_weak_password_clearly():
    with pytest.raises(CommandError, match=r"too short|too common|numeric"):
        call("demo", "--customers", "1", "--password", "123")
    assert not User.objects.exists()
