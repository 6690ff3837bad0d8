"""The public survey pages' rate limit: at most `PATRON_SURVEY_RATE_LIMIT` attempts per
client address in any hour (answers and unsubscribes sent, links refused).

Counted in the `SurveyAttempt` table, not the cache: the default cache is per process, so
each worker would count alone (decision 0024, like sign-in in decision 0002).

The address is `REMOTE_ADDR`, except when the request comes from a proxy we trust
(`PATRON_TRUSTED_PROXIES`, by default this machine: `patron serve` listens on loopback
behind nginx or Caddy). Then every customer arrives from the proxy's address, and one
busy hour of answers would shut the page for all of them; the client is the address
the proxy itself appended, the last of `X-Forwarded-For`. The hops before it are
whatever the client says, and a client that is no trusted proxy is never believed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from patron.core.errors import Throttled
from patron.feedback.models import SurveyAttempt

WINDOW = dt.timedelta(hours=1)


TRUSTED_PROXIES = ("127.0.0.1", "::1")


def client_address(request: HttpRequest) -> str:
    peer = request.META.get("REMOTE_ADDR") or ""
    trusted = getattr(settings, "PATRON_TRUSTED_PROXIES", TRUSTED_PROXIES)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR") or ""
    if peer in trusted and forwarded:
        hop = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(hop))[:45]
        except ValueError:
            pass  # not an address: count the proxy's own
    return peer[:45]


def limit() -> int:
    """Attempts allowed per address and hour; 0 or less turns the limit off."""
    return int(getattr(settings, "PATRON_SURVEY_RATE_LIMIT", 30))


def attempt(client: str, *, now: dt.datetime | None = None) -> None:
    """Count one attempt from `client`, or raise Throttled (with `retry_after` seconds in
    its details) when the address has used up its hour. A refused attempt is not counted,
    so the address is free again an hour after its first counted attempt."""
    allowed = limit()
    if allowed <= 0:
        return
    now = now or timezone.now()
    since = now - WINDOW
    # Old rows are of no use to anyone: pruned here (through the index on `at`), so the
    # table stays one hour deep without a job.
    SurveyAttempt.objects.filter(at__lt=since).delete()
    recent = SurveyAttempt.objects.filter(client=client, at__gte=since)
    times = list(recent.order_by("-at").values_list("at", flat=True)[:allowed])
    if len(times) >= allowed:
        free_at = times[-1] + WINDOW
        seconds = max(1, math.ceil((free_at - now).total_seconds()))
        minutes = max(1, math.ceil(seconds / 60))
        raise Throttled(
            ngettext(
                "Too many attempts from your network. Please try again in %(n)d minute.",
                "Too many attempts from your network. Please try again in %(n)d minutes.",
                minutes,
            )
            % {"n": minutes},
            details={"retry_after": seconds},
        )
    SurveyAttempt.objects.create(client=client, at=now)
