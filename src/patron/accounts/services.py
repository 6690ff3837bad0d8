"""Every write to users, teams and API tokens: validated, in one transaction, audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.accounts.models import ApiToken, Role, Team, User
from patron.core.audit import audit_create, audit_delete, audit_record, audit_update, snapshot
from patron.core.errors import NotFound, ValidationFailed
from patron.core.validation import model_validate
from patron.core.visibility import require_admin

TOKEN_PREFIX = "ptn_"  # noqa: S105 - a label, not a secret
USER_RULES_NOT_HERE = ("password", "last_login")  # checked by their own validators


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            _("Enter a valid email address."),
            details={"email": [_("Enter a valid email address.")]},
        ) from exc
    return email


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), details={"password": exc.messages}) from exc


def _check_role(role: str) -> None:
    if role not in Role.values:
        choices = ", ".join(Role.values)
        message = _("Unknown role “%(role)s”; choose one of %(choices)s.") % {
            "role": role,
            "choices": choices,
        }
        raise ValidationFailed(message, details={"role": [message]})


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    password: str,
    role: str = Role.AGENT,
    full_name: str = "",
    teams: Iterable[Team] = (),
    language: str = "",
    time_zone: str = "UTC",
) -> User:
    require_admin(actor)
    email = _clean_email(email)
    _check_role(role)
    if User.objects.filter(email__iexact=email).exists():
        message = _("A user with the email %(email)s already exists.") % {"email": email}
        raise ValidationFailed(message, details={"email": [message]})
    user = User(email=email, role=role, full_name=full_name.strip(), language=language)
    user.time_zone = time_zone or "UTC"
    model_validate(user, exclude=USER_RULES_NOT_HERE)
    _check_password(password, user)
    user.set_password(password)
    user.save()
    user.teams.set(teams)
    audit_create(actor=actor, instance=user)
    return user


@transaction.atomic
def user_update(
    *, actor: User, user: User, teams: Iterable[Team] | None = None, **fields: object
) -> User:
    """Change a user's profile, role, status or teams. A user may edit their own
    name, language and time zone; everything else needs an admin."""
    self_service = {"full_name", "language", "time_zone"}
    if not (actor.pk == user.pk and set(fields) <= self_service and teams is None):
        require_admin(actor)
    if "role" in fields:
        _check_role(str(fields["role"]))
    if "email" in fields:
        fields["email"] = _clean_email(str(fields["email"]))
        if User.objects.filter(email__iexact=fields["email"]).exclude(pk=user.pk).exists():
            message = _("A user with the email %(email)s already exists.") % {
                "email": fields["email"]
            }
            raise ValidationFailed(message, details={"email": [message]})
    if actor.pk == user.pk and (fields.get("role", user.role) != Role.ADMIN and user.is_admin):
        raise ValidationFailed(_("You cannot remove your own admin role."))
    if actor.pk == user.pk and fields.get("is_active") is False:
        raise ValidationFailed(_("You cannot deactivate your own account."))
    before = snapshot(user)
    for name, value in fields.items():
        setattr(user, name, value)
    model_validate(user, exclude=USER_RULES_NOT_HERE)
    user.save()
    team_change = []
    if teams is not None:
        before_teams = sorted(user.teams.values_list("name", flat=True))
        user.teams.set(teams)
        after_teams = sorted(team.name for team in teams)
        if after_teams != before_teams:
            team_change = [{"field": "teams", "old": before_teams, "new": after_teams}]
    audit_update(actor=actor, instance=user, before=before, extra_changes=team_change)
    return user


@transaction.atomic
def user_set_password(
    *, actor: User | None, user: User, password: str, current_password: str = ""
) -> User:
    """Set a password: one's own only with the current one; anyone's as an admin."""
    if actor is not None and actor.pk == user.pk:
        current_password_check(user=user, current_password=current_password)
    elif actor is not None:
        require_admin(actor)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_update_password(actor=actor, user=user)
    return user


def current_password_check(*, user: User, current_password: str) -> None:
    if not user.check_password(current_password):
        message = _("Your current password is not correct.")
        raise ValidationFailed(message, details={"current_password": [message]})


def audit_update_password(*, actor: User | None, user: User) -> None:
    # The log says the password changed, never what it is.
    audit_record(actor, "update", user, [{"field": "password", "old": "•••", "new": "•••"}])


@transaction.atomic
def team_create(
    *, actor: User | None, name: str, description: str = "", manager: User | None = None
) -> Team:
    require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A team needs a name."), details={"name": [_("Required.")]})
    _check_manager(manager)
    team = Team(name=name, description=description.strip(), manager=manager)
    model_validate(team)
    if Team.objects.filter(name__iexact=name).exists():
        message = _("A team named %(name)s already exists.") % {"name": name}
        raise ValidationFailed(message, details={"name": [message]})
    team.save()
    audit_create(actor=actor, instance=team)
    return team


def team_get_or_create(
    *, actor: User | None, name: str, description: str = ""
) -> tuple[Team, bool]:
    """The team called `name` (whatever its letter case), made if missing."""
    existing = Team.objects.filter(name__iexact=(name or "").strip()).first()
    if existing is not None:
        return existing, False
    return team_create(actor=actor, name=name, description=description), True


def _check_manager(manager: User | None) -> None:
    if manager is not None and not manager.is_active:
        message = _("The manager must be an active user.")
        raise ValidationFailed(message, details={"manager": [message]})


# `team_update(manager=KEEP_MANAGER)`: callers that do not edit the manager keep it.
KEEP_MANAGER: Any = object()


@transaction.atomic
def team_update(
    *, actor: User, team: Team, name: str, description: str = "", manager: Any = KEEP_MANAGER
) -> Team:
    require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A team needs a name."), details={"name": [_("Required.")]})
    before = snapshot(team)
    team.name, team.description = name, description.strip()
    if manager is not KEEP_MANAGER:
        _check_manager(manager)
        team.manager = manager
    model_validate(team)
    if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
        message = _("A team named %(name)s already exists.") % {"name": name}
        raise ValidationFailed(message, details={"name": [message]})
    team.save()
    audit_update(actor=actor, instance=team, before=before)
    return team


@transaction.atomic
def team_delete(*, actor: User, team: Team) -> None:
    require_admin(actor)
    audit_delete(actor=actor, instance=team)
    team.delete()


def hash_token(raw: str) -> str:
    # Tokens are 256-bit random secrets, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Make a token for `user`; returns it with its secret, which is shown only now."""
    if actor is not None and actor.pk != user.pk:
        require_admin(actor)
    if not user.is_active:
        raise ValidationFailed(_("This user is deactivated."))
    name = (name or "").strip() or _("API token")
    secret = secrets.token_urlsafe(32)
    raw = f"{TOKEN_PREFIX}{secret}"
    token = ApiToken(user=user, name=name, prefix=raw[:12], token_hash=hash_token(raw))
    model_validate(token)
    token.save()
    audit_create(actor=actor, instance=token)
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None or (token.user_id != actor.pk and actor.role != Role.ADMIN):
        raise NotFound(_("Not found."))
    if token.revoked_at is None:
        before = snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_update(actor=actor, instance=token, before=before)
    return token
