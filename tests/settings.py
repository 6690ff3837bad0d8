"""Test settings: the real settings, with a throwaway data dir and plain HTTP."""

import os
import tempfile

os.environ.setdefault("PATRON_DATA_DIR", tempfile.mkdtemp(prefix="patron-test-"))
os.environ["PATRON_HTTPS"] = "0"
os.environ["PATRON_MANIFEST_STATIC"] = "0"
os.environ["PATRON_JOBS_IMMEDIATE"] = "1"

from patron.settings import *  # noqa: F403

# Still argon2, with cheap parameters: the suite creates many users.
PASSWORD_HASHERS = ["tests.hashers.CheapArgon2PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
