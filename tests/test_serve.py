"""`patron setup` then `patron serve`: a complete system from one command, as `make run` does."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.processes import clean_env


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, response.read().decode()


@pytest.fixture
def served(tmp_path):
    env = clean_env(
        tmp_path,
        PATRON_HTTPS="0",
        PATRON_ADMIN_EMAIL="boss@example.com",
        PATRON_ADMIN_PASSWORD="a long passphrase 9",
    )
    setup = subprocess.run(
        [sys.executable, "-m", "patron", "setup", "--customers", "40"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "patron", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        yield base, setup.stdout, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


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
    again = subprocess.run(
        [sys.executable, "-m", "patron", "setup"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0 and "password" not in again.stdout


def test_serve_without_setup_gathers_static_files_itself(tmp_path):
    env = clean_env(tmp_path, PATRON_HTTPS="0")
    migrate = subprocess.run(
        [sys.executable, "-m", "patron", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "patron",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-jobs",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: get(f"{base}/login/")[0] == 200, 30)
        assert (tmp_path / "static" / "staticfiles.json").exists()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
