"""Configuration read from the environment, in one place.

Settings, the CLI and `patron check` all read the same values from here so that a
variable means the same thing everywhere.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in TRUE_WORDS


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    return items or default


def env_rates(name: str) -> dict[str, Decimal]:
    """Exchange rates as "EUR=1.08,GBP=1.27"; a malformed entry stops the start with a
    message naming it."""
    rates: dict[str, Decimal] = {}
    for item in env_list(name, []):
        code, _, rate = item.partition("=")
        code = code.strip().upper()
        try:
            value = Decimal(rate.strip())
        except InvalidOperation:
            value = Decimal(0)
        if len(code) != 3 or not code.isalpha() or value <= 0:
            raise ValueError(f"{name}: “{item}” is not CODE=RATE with a positive rate")
        rates[code] = value
    return rates


def data_dir() -> Path:
    path = Path(os.environ.get("PATRON_DATA_DIR", "./var")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """The key from PATRON_SECRET_KEY, else one generated once and kept in the data dir."""
    from_env = os.environ.get("PATRON_SECRET_KEY", "").strip()
    if from_env:
        return from_env
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting together must not write two different keys.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
