"""Reads of users, teams and tokens shared by views, API and CLI."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from patron.accounts.models import ApiToken, Team, User
from patron.core.errors import NotFound
from patron.core.text import search_text
from patron.core.visibility import require_admin


def user_list(
    *, viewer: User, query: str = "", role: str = "", team_id: int | None = None
) -> QuerySet[User]:
    """All users, for admins."""
    require_admin(viewer)
    users = User.objects.prefetch_related("teams")
    query = search_text(query)
    if query:
        users = users.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    if role:
        users = users.filter(role=role)
    if team_id:
        users = users.filter(teams__id=team_id)
    return users.order_by("full_name", "email")


def user_get(*, viewer: User, user_id: int) -> User:
    """One user: one's own account, or anyone's for an admin."""
    if viewer.pk != user_id:
        require_admin(viewer)
    user = User.objects.filter(pk=user_id).prefetch_related("teams").first()
    if user is None:
        raise NotFound(_("Not found."))
    return user


def user_by_email(*, email: str) -> User:
    """For the command line, which acts as the system."""
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise NotFound(_("No user with the email %(email)s.") % {"email": email})
    return user


def team_list() -> QuerySet[Team]:
    return Team.objects.annotate(member_count=Count("members")).order_by("name")


def team_get(*, team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("Not found."))
    return team


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")
