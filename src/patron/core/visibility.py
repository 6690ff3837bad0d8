"""Who may see and change which customer-facing record. The one place this rule lives.

- admins and managers see and change every record;
- agents see and change the records of their teams, and the records they own;
- viewers see what an agent of their teams would see, and change nothing;
- users, teams and settings are managed by admins (`require_admin`).

Selectors call `visible_to`; services call `require_write` / `require_create`. A record
that exists but is out of sight is reported as not found, so its existence never leaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db import connection, models
from django.db.models.lookups import Exact, In
from django.utils.translation import gettext as _

from patron.core.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from patron.accounts.models import User

M = TypeVar("M", bound=models.Model)

SEES_EVERYTHING = {"admin", "manager"}
WRITERS = {"admin", "manager", "agent"}


def _active(viewer: User | None) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_active)


def sees_everything(viewer: User) -> bool:
    return _active(viewer) and viewer.role in SEES_EVERYTHING


def can_write_any(viewer: User) -> bool:
    return _active(viewer) and viewer.role in WRITERS


def visible_to(
    viewer: User, queryset: models.QuerySet[M], *, in_list_order: bool = False
) -> models.QuerySet[M]:
    """Narrow `queryset` (of an OwnedModel) to what `viewer` may read.

    `in_list_order`: the caller reads one page of a long list in its sort order. On SQLite
    the rule is then written so that no index serves it (`owner_id + 0`): SQLite walks the
    sort's index and tests each row, stopping after a page, where it would otherwise
    gather every visible row through the owner and team indexes and sort them all (300 ms
    for an agent's team of 170,000 customers). Use it only where the caller knows the
    visible rows are many (more than a page limit): for a few, the indexes are better."""
    if not _active(viewer):
        return queryset.none()
    if sees_everything(viewer):
        return queryset
    teams = viewer.teams.all()
    if in_list_order and connection.vendor == "sqlite":
        queryset = queryset.alias(
            scan_owner=models.F("owner_id") + 0, scan_team=models.F("team_id") + 0
        )
        return queryset.filter(
            models.Q(scan_owner=viewer.pk) | models.Q(scan_team__in=teams.values("pk"))
        )
    # A subquery, not a list of ids: one round trip, and correct if teams change mid-request.
    return queryset.filter(models.Q(owner=viewer) | models.Q(team__in=teams))


def visible_through(viewer: User, path: str, *, in_list_order: bool = False) -> models.Q:
    """A filter keeping rows whose `path` (a relation to an OwnedModel, such as
    "organization" on a membership) leads to a record `viewer` may read.

    The rule of `visible_to`, written on the related row's own columns: one join per row
    filtered, instead of `path IN (every visible record)`, which a million-row table
    makes a million-row subquery. `in_list_order`: as for `visible_to`, the caller reads
    one page of a long list in its own order (a team's timeline over ten million events),
    so on SQLite the rule is written so that no index of the related table serves it."""
    if not _active(viewer):
        return models.Q(pk__in=[])
    if sees_everything(viewer):
        return models.Q()
    teams = viewer.teams.all()
    if in_list_order and connection.vendor == "sqlite":
        owner = models.F(f"{path}__owner_id") + 0
        team = models.F(f"{path}__team_id") + 0
        return models.Q(Exact(owner, viewer.pk)) | models.Q(In(team, teams.values("pk")))
    return models.Q(**{f"{path}__owner": viewer}) | models.Q(**{f"{path}__team__in": teams})


# Set on a record that a visibility-filtered query returned: the database has just said
# that this viewer may read it, so asking again (a team lookup) would be a wasted query.
# Trusted only while the record's owner and team are those it was read with.
READ_BY = "_patron_read_by"


def _sight(viewer: User, record: models.Model) -> tuple[object, ...]:
    return (viewer.pk, getattr(record, "owner_id", None), getattr(record, "team_id", None))


def can_read(viewer: User, record: models.Model) -> bool:
    if not _active(viewer):
        return False
    if sees_everything(viewer):
        return True
    if getattr(record, READ_BY, None) == _sight(viewer, record):
        return True
    if getattr(record, "owner_id", None) == viewer.pk:
        return True
    team_id = getattr(record, "team_id", None)
    return team_id is not None and viewer.teams.filter(pk=team_id).exists()


def can_write(viewer: User, record: models.Model) -> bool:
    return can_write_any(viewer) and can_read(viewer, record)


def require_admin(viewer: User | None) -> None:
    """Users, teams and settings are for admins. `None` is the system itself (CLI set-up)."""
    if viewer is not None and not (_active(viewer) and viewer.role == "admin"):
        raise PermissionDenied(_("Only an admin can manage users and teams."))


def require_create(viewer: User) -> None:
    if not can_write_any(viewer):
        raise PermissionDenied(_("Your role does not allow changes."))


def require_write(viewer: User, record: models.Model) -> None:
    if not can_read(viewer, record):
        raise NotFound(_("Not found."))
    if not can_write_any(viewer):
        raise PermissionDenied(_("Your role does not allow changes."))


MAX_ID = 2**63 - 1


def is_record_id(value: object) -> bool:
    """Whether `value` can be a primary key at all (a 64-bit positive integer)."""
    try:
        return 1 <= int(str(value)) <= MAX_ID
    except ValueError:
        return False


def get_visible(viewer: User, queryset: models.QuerySet[M], **lookup: object) -> M:
    """The record matching `lookup` if `viewer` may read it, else NotFound."""
    try:
        record = visible_to(viewer, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Not found.")) from exc
    setattr(record, READ_BY, _sight(viewer, record))
    return record
