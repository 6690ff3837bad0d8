"""Running the real `patron` command in a child process with a clean environment."""

import os
import subprocess
import sys


def clean_env(data_dir, **extra):
    """The current environment without Patron's, Django's or the database settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATRON_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    return env | {"PATRON_DATA_DIR": str(data_dir)} | extra


def run_patron(*args, env, stdin=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "patron", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
