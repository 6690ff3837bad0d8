"""`patron setup` then `patron serve`: a complete system from one command, as `make run` does."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.processes import clean_env, run_patron


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, response.read().decode()


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


@contextlib.contextmanager
def serving(env, *options):
    """`patron serve` on a free loopback port; stopped, with its job consumer, afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "patron", "serve", "--port", str(port), "--workers", "1", *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


@pytest.fixture
def served(tmp_path):
    env = clean_env(
        tmp_path,
        PATRON_HTTPS="0",
        PATRON_ADMIN_EMAIL="boss@example.com",
        PATRON_ADMIN_PASSWORD="a long passphrase 9",
    )
    setup = run_patron("setup", "--customers", "40", env=env)
    assert setup.returncode == 0, setup.stderr
    with serving(env) as base:
        yield base, setup.stdout, env


def test_one_command_serves_the_app_and_runs_jobs(served):
    base, setup_output, env = served
    assert "boss@example.com" in setup_output and "Loaded demo data: 40 customers" in setup_output
    assert wait_for(lambda: get(f"{base}/healthz")[0] == 200, 30), "server did not start"
    # The consumer started beside the web server runs the periodic heartbeat.
    assert wait_for(lambda: json.loads(get(f"{base}/healthz")[1])["jobs"]["status"] == "ok", 45)
    status, page = get(f"{base}/login/")
    assert status == 200 and "Sign in to Patron" in page
    css = page.split('href="/static/patron/css/')[1].split('"')[0]
    assert get(f"{base}/static/patron/css/{css}")[0] == 200  # static files, hashed names
    # A second setup is a no-op: no second admin, no second demo load.
    again = run_patron("setup", env=env, timeout=120)
    assert again.returncode == 0 and "password" not in again.stdout


def test_serve_without_setup_gathers_static_files_itself(tmp_path):
    env = clean_env(tmp_path, PATRON_HTTPS="0")
    migrate = run_patron("migrate", env=env, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    with serving(env, "--no-jobs") as base:
        assert wait_for(lambda: get(f"{base}/login/")[0] == 200, 30)
        assert (tmp_path / "static" / "staticfiles.json").exists()
