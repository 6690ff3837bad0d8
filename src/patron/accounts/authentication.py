"""Signing in: password check with throttling, and API bearer tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.accounts.models import ApiToken, LoginAttempt, User
from patron.accounts.services import hash_token
from patron.core.errors import Throttled


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is set by clients too, and would let them dodge the limit.
    return request.META.get("REMOTE_ADDR") or None


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def login_throttle_check(*, email: str, ip_address: str | None) -> None:
    """Refuse a sign-in when too many recent attempts for this email (or address) failed."""
    limit = settings.LOGIN_THROTTLE_FAILURES
    recent = LoginAttempt.objects.filter(at__gte=_window_start(), succeeded=False)
    too_many = recent.filter(email=email.lower()).count() >= limit
    if not too_many and ip_address:
        too_many = recent.filter(ip_address=ip_address).count() >= limit * 10
    if too_many:
        minutes = max(1, settings.LOGIN_THROTTLE_WINDOW_SECONDS // 60)
        raise Throttled(
            _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.")
            % {"minutes": minutes}
        )


def login_attempt(request: HttpRequest, *, email: str, password: str) -> User | None:
    """Check the password, recording the attempt; raises Throttled when locked out."""
    email = (email or "").strip().lower()
    ip_address = client_ip(request)
    login_throttle_check(email=email, ip_address=ip_address)
    user = authenticate(request, username=email, password=password)
    LoginAttempt.objects.create(email=email, ip_address=ip_address, succeeded=user is not None)
    if user is not None:
        # A success forgives earlier mistakes for this email.
        LoginAttempt.objects.filter(email=email, succeeded=False, at__gte=_window_start()).delete()
    return user


def user_for_token(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None for an unknown or revoked token."""
    if not raw:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw.strip()), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Write at most once a minute per token: reads should not turn into writes.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
