"""Domain errors. Each carries its machine code and HTTP status; the API, the HTMX
middleware and the CLI each render them once."""

from __future__ import annotations

from typing import Any


class PatronError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details if details is not None else {}


class ValidationFailed(PatronError):
    """Input was understood but breaks a rule; `details` maps field to messages."""

    code = "validation_failed"
    status = 422


class NotFound(PatronError):
    code = "not_found"
    status = 404


class PermissionDenied(PatronError):
    code = "forbidden"
    status = 403


class Conflict(PatronError):
    code = "conflict"
    status = 409


class Throttled(PatronError):
    code = "throttled"
    status = 429
