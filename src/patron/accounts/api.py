"""REST endpoints for the signed-in user, users, teams and API tokens."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from patron.accounts import selectors, services
from patron.accounts.models import Team
from patron.core.api_base import ERRORS, WRITE_ERRORS, InputSchema, PagePagination, RecordId
from patron.core.errors import ValidationFailed

router = Router(tags=["users and teams"])

RoleName = Literal["admin", "manager", "agent", "viewer"]


class TeamOut(Schema):
    id: int
    name: str
    description: str


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: RoleName
    language: str
    time_zone: str
    is_active: bool
    teams: list[TeamOut]

    @staticmethod
    def resolve_teams(obj: Any) -> list[Any]:
        return list(obj.teams.all())


class MePatch(InputSchema):
    full_name: str | None = Field(None, max_length=200)
    language: Literal["", "en", "he", "ar", "hy", "ka", "ms"] | None = None
    time_zone: str | None = Field(None, max_length=64)


class UserIn(InputSchema):
    email: str = Field(..., max_length=254)
    password: str = Field(..., min_length=1)
    role: RoleName = "agent"
    full_name: str = Field("", max_length=200)
    team_ids: list[RecordId] = []


class UserPatch(InputSchema):
    full_name: str | None = Field(None, max_length=200)
    role: RoleName | None = None
    is_active: bool | None = None
    team_ids: list[RecordId] | None = None


class TeamIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=500)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(InputSchema):
    name: str = Field("", max_length=100)


class TokenCreated(TokenOut):
    token: str = Field(..., description="The secret, shown only in this answer")


def _teams(ids: list[int]) -> list[Team]:
    teams = list(Team.objects.filter(pk__in=ids))
    missing = sorted(set(ids) - {t.pk for t in teams})
    if missing:
        message = _("No team with id %(ids)s.") % {"ids": ", ".join(map(str, missing))}
        raise ValidationFailed(message, details={"team_ids": [message]})
    return teams


@router.get("/me", response=UserOut, summary="The signed-in user")
def me(request: HttpRequest) -> Any:
    return selectors.user_get(viewer=request.user, user_id=request.user.pk)


@router.patch("/me", response={200: UserOut, **WRITE_ERRORS}, summary="Change my profile")
def me_update(request: HttpRequest, payload: MePatch) -> Any:
    fields = payload.model_dump(exclude_unset=True, exclude_none=True)
    services.user_update(actor=request.user, user=request.user, **fields)
    return selectors.user_get(viewer=request.user, user_id=request.user.pk)


class PasswordIn(InputSchema):
    current_password: str
    new_password: str = Field(..., min_length=1)


@router.post("/me/password", response={204: None, **WRITE_ERRORS}, summary="Change my password")
def me_password(request: HttpRequest, payload: PasswordIn) -> Any:
    services.user_set_password(
        actor=request.user,
        user=request.user,
        password=payload.new_password,
        current_password=payload.current_password,
    )
    return Status(204, None)


@router.get("/users", response={200: list[UserOut], **ERRORS}, summary="List users (admins)")
@paginate(PagePagination)
def user_list(request: HttpRequest, q: str = "", role: RoleName | None = None) -> Any:
    return selectors.user_list(viewer=request.user, query=q, role=role or "")


@router.post("/users", response={201: UserOut, **WRITE_ERRORS}, summary="Create a user (admins)")
def user_create(request: HttpRequest, payload: UserIn) -> Any:
    user = services.user_create(
        actor=request.user,
        email=payload.email,
        password=payload.password,
        role=payload.role,
        full_name=payload.full_name,
        teams=_teams(payload.team_ids),
    )
    return Status(201, selectors.user_get(viewer=request.user, user_id=user.pk))


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="Get a user (admins)")
def user_get(request: HttpRequest, user_id: RecordId) -> Any:
    return selectors.user_get(viewer=request.user, user_id=user_id)


@router.patch(
    "/users/{user_id}", response={200: UserOut, **WRITE_ERRORS}, summary="Change a user (admins)"
)
def user_update(request: HttpRequest, user_id: RecordId, payload: UserPatch) -> Any:
    user = selectors.user_get(viewer=request.user, user_id=user_id)
    fields = payload.model_dump(exclude_unset=True, exclude_none=True)
    team_ids = fields.pop("team_ids", None)
    teams = _teams(team_ids) if team_ids is not None else None
    services.user_update(actor=request.user, user=user, teams=teams, **fields)
    return selectors.user_get(viewer=request.user, user_id=user_id)


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, summary="List teams")
@paginate(PagePagination)
def team_list(request: HttpRequest) -> Any:
    return selectors.team_list()


@router.post("/teams", response={201: TeamOut, **WRITE_ERRORS}, summary="Create a team (admins)")
def team_create(request: HttpRequest, payload: TeamIn) -> Any:
    team = services.team_create(
        actor=request.user, name=payload.name, description=payload.description
    )
    return Status(201, team)


@router.patch(
    "/teams/{team_id}", response={200: TeamOut, **WRITE_ERRORS}, summary="Change a team (admins)"
)
def team_update(request: HttpRequest, team_id: RecordId, payload: TeamIn) -> Any:
    team = selectors.team_get(team_id=team_id)
    return services.team_update(
        actor=request.user, team=team, name=payload.name, description=payload.description
    )


@router.delete("/teams/{team_id}", response={204: None, **ERRORS}, summary="Delete a team (admins)")
def team_delete(request: HttpRequest, team_id: RecordId) -> Any:
    services.team_delete(actor=request.user, team=selectors.team_get(team_id=team_id))
    return Status(204, None)


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="My API tokens")
def token_list(request: HttpRequest) -> Any:
    return selectors.token_list(user=request.user)


@router.post("/tokens", response={201: TokenCreated, **WRITE_ERRORS}, summary="Create an API token")
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    token, raw = services.token_create(actor=request.user, user=request.user, name=payload.name)
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS}, summary="Revoke an API token")
def token_revoke(request: HttpRequest, token_id: RecordId) -> Any:
    services.token_revoke(actor=request.user, token_id=token_id)
    return Status(204, None)
