"""Production settings pass Django's deployment checks; rich text is sanitised."""

from patron.core.sanitize import clean_html
from tests.processes import clean_env, run_patron


def production_env(tmp_path):
    # Its own SQLite file: the checks are about settings, and the test stays hermetic.
    return clean_env(tmp_path, PATRON_ALLOWED_HOSTS="crm.example.com")


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    migrate = run_patron("migrate", env=production_env(tmp_path))
    assert migrate.returncode == 0
    assert "W001" not in migrate.stdout + migrate.stderr  # no warning about its own work
    result = run_patron(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_check_reports_pending_migrations(tmp_path):
    result = run_patron("check", env=production_env(tmp_path))
    assert "patron.W001" in result.stderr + result.stdout
    assert "patron migrate" in result.stderr + result.stdout


def test_check_deploy_warns_when_https_is_off(tmp_path):
    env = production_env(tmp_path) | {"PATRON_HTTPS": "0"}
    result = run_patron("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stderr + result.stdout


def test_secret_key_is_generated_once_and_kept(tmp_path):
    env = production_env(tmp_path)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_patron("manage", "shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
    second = run_patron("manage", "shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
    assert first and first == second and len(first) >= 50
    env["PATRON_SECRET_KEY"] = "from-the-environment-" + "x" * 40
    assert (
        run_patron("manage", "shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
        == env["PATRON_SECRET_KEY"]
    )


def test_sqlite_runs_in_wal_mode(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 20000


def test_wal_mode_on_the_file_database(tmp_path):
    env = production_env(tmp_path)
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    assert (
        run_patron("manage", "shell", "-c", code, env=env).stdout.strip().splitlines()[-1] == "wal"
    )


def test_rich_text_is_sanitised():
    dirty = '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">l</a></p>'
    clean = clean_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
    assert clean.startswith("<p>Hi")
