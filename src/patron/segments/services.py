"""Every write to segments: create, change and delete them (with optimistic locking on
`version`), add and remove the customers of static lists, and evaluate dynamic
segments set-based (`refresh_memberships`), keeping the history of who entered and
who left.

Who may write: admins and managers any segment; agents create segments and change or
delete those they created; viewers none. Everyone signed in reads them."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.audit import audit_create, audit_delete, audit_record, audit_update, snapshot
from patron.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from patron.core.models import AuditEntry
from patron.core.validation import model_validate
from patron.customers.models import Customer
from patron.segments.models import Segment, SegmentMembership
from patron.segments.rules import (
    RuleError,
    compile_rules,
    has_conditions,
    segment_refs,
    validate_rules,
)

if TYPE_CHECKING:
    from patron.accounts.models import User

logger = logging.getLogger("patron.segments")

SEGMENT_FIELDS = ("name", "description", "kind", "rules")
# Customers added to or removed from a static list in one call.
MAX_BATCH = 1000
# Ids kept in the audit entry of one addition or removal.
AUDITED_IDS = 100
# An evaluation that moves more stays than this brings PostgreSQL's statistics of the
# membership table up to date (see `_analyze`).
ANALYZE_AFTER = 5000

# --- Who may write ---------------------------------------------------------------------------


def can_change(actor: User, segment: Segment) -> bool:
    if not visibility.can_write_any(actor):
        return False
    return visibility.sees_everything(actor) or segment.created_by_id == actor.pk


def _require_change(actor: User, segment: Segment) -> None:
    visibility.require_create(actor)
    if not can_change(actor, segment):
        raise PermissionDenied(
            _("Only its author, a manager or an admin can change the segment “%(name)s”.")
            % {"name": segment.name}
        )


# --- Create, change, delete -----------------------------------------------------------------


def _refuse_unknown(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(SEGMENT_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            details={name: [_("Not a field of a segment.")] for name in unknown},
        )


def _check(segment: Segment, rules: Any) -> None:
    """Clean the segment's fields and rules in place, or ValidationFailed with every
    problem: field names for the fields, paths (`conditions[0].value`) for the rules."""
    segment.name = " ".join(str(segment.name or "").split())
    segment.description = str(segment.description or "").strip()
    errors: dict[str, list[str]] = {}
    if not segment.name:
        errors["name"] = [_("Give the segment a name.")]
    elif Segment.objects.filter(name__iexact=segment.name).exclude(pk=segment.pk).exists():
        errors["name"] = [
            _("Another segment is already called “%(name)s”.") % {"name": segment.name}
        ]
    if segment.kind not in Segment.Kind.values:
        errors["kind"] = [_("Choose dynamic (rules) or static (a list).")]
    try:
        normalized = validate_rules(rules, segment_id=segment.pk)
    except RuleError as exc:
        errors.update(exc.details)
        normalized = None
    if normalized is not None:
        if segment.kind == Segment.Kind.DYNAMIC and not has_conditions(normalized):
            errors["conditions"] = [_("Add at least one condition.")]
        elif segment.kind == Segment.Kind.STATIC and has_conditions(normalized):
            errors["rules"] = [_("A static list has no rules: its customers are added by hand.")]
        segment.rules = normalized if segment.kind == Segment.Kind.DYNAMIC else {}
    if errors:
        field, messages = next(iter(errors.items()))
        message = (
            messages[0]
            if field in ("name", "kind", "conditions", "rules")
            else (f"{field}: {messages[0]}")
        )
        raise ValidationFailed(message, details=errors)
    model_validate(segment, exclude=["created_by", "rules"])


def _name_taken(segment: Segment) -> ValidationFailed:
    return ValidationFailed(
        _("Another segment is already called “%(name)s”.") % {"name": segment.name},
        details={"name": [_("Already used.")]},
    )


def segment_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    kind: str = Segment.Kind.DYNAMIC,
    rules: Any = None,
    now: dt.datetime | None = None,
) -> Segment:
    """A new segment; a dynamic one is evaluated at once (its members are known when
    this returns)."""
    visibility.require_create(actor)
    segment = Segment(
        name=name, description=description, kind=kind, created_by=actor if actor.pk else None
    )
    _check(segment, rules)
    with transaction.atomic():
        try:
            with transaction.atomic():
                segment.save()
        except IntegrityError as exc:
            raise _name_taken(segment) from exc
        audit_create(actor=actor, instance=segment)
        if segment.kind == Segment.Kind.DYNAMIC:
            refresh_memberships(now=now, segment=segment)
    segment.refresh_from_db(fields=["member_count", "evaluated_at"])
    return segment


def _check_version(segment: Segment, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != segment.version:
        raise Conflict(
            _(
                "Someone changed this segment meanwhile (version %(current)d, yours "
                "%(yours)d); reload it and try again."
            )
            % {"current": segment.version, "yours": expected_version},
            details={"version": [str(segment.version)], "current_version": segment.version},
        )


def _locked(segment: Segment) -> Segment:
    """The segment as stored now, its row locked until the transaction ends."""
    current = Segment.objects.select_for_update().filter(pk=segment.pk).first()
    if current is None:
        raise NotFound(_("Not found."))
    return current


def segment_update(
    *,
    actor: User,
    segment: Segment,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    **fields: Any,
) -> Segment:
    """Change `fields` (name, description, kind, rules). With `expected_version`, a
    segment changed since it was read is refused (409). A dynamic segment is evaluated
    again; one turned static keeps its members, as a list."""
    _refuse_unknown(fields)
    _require_change(actor, segment)
    _check_version(segment, expected_version)
    before = snapshot(segment)
    for name in ("name", "description", "kind"):
        if name in fields:
            setattr(segment, name, fields[name])
    rules = fields.get("rules", segment.rules)
    if segment.kind == Segment.Kind.STATIC and "rules" not in fields:
        rules = {}
    _check(segment, rules)
    with transaction.atomic():
        current = _locked(segment)
        _check_version(
            current, expected_version if expected_version is not None else segment.version
        )
        segment.version = current.version + 1
        try:
            with transaction.atomic():
                segment.save()
        except IntegrityError as exc:
            raise _name_taken(segment) from exc
        audit_update(actor=actor, instance=segment, before=before)
        if segment.kind == Segment.Kind.DYNAMIC:
            refresh_memberships(now=now, segment=segment)
    segment.refresh_from_db(fields=["member_count", "evaluated_at"])
    return segment


def segments_using(segment: Segment) -> list[Segment]:
    """The dynamic segments whose rules name `segment` (in an `in_segment` condition)."""
    return [
        other
        for other in Segment.objects.filter(kind=Segment.Kind.DYNAMIC).exclude(pk=segment.pk)
        if segment.pk in segment_refs(other.rules)
    ]


def segment_delete(*, actor: User, segment: Segment, expected_version: int | None = None) -> None:
    """Delete a segment and its membership history; refused (409) while another
    segment's rules name it."""
    _require_change(actor, segment)
    _check_version(segment, expected_version)
    users = segments_using(segment)
    if users:
        names = ", ".join(f"“{s.name}”" for s in users)
        raise Conflict(
            _("The segments %(names)s use this one in their rules: change them first.")
            % {"names": names},
            details={"used_by": [s.pk for s in users]},
        )
    with transaction.atomic():
        audit_delete(actor=actor, instance=segment)
        segment.delete()


# --- Static lists ---------------------------------------------------------------------------


def _customer_ids(values: Iterable[Any]) -> list[int]:
    ids: list[int] = []
    bad = []
    for value in values:
        if isinstance(value, bool) or not visibility.is_record_id(value):
            bad.append(str(value)[:20])
        else:
            ids.append(int(str(value)))
    if bad:
        raise ValidationFailed(
            _("Not customer ids: %(values)s.") % {"values": ", ".join(bad[:10])},
            details={"customer_ids": [_("Give customer ids (whole numbers).")]},
        )
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ValidationFailed(
            _("Choose at least one customer."), details={"customer_ids": [_("Required.")]}
        )
    if len(ids) > MAX_BATCH:
        raise ValidationFailed(
            _("At most %(n)d customers at a time.") % {"n": MAX_BATCH},
            details={"customer_ids": [_("Too many.")]},
        )
    return ids


def _visible_ids(actor: User, ids: list[int]) -> list[int]:
    """`ids`, if the actor sees every one of them; else ValidationFailed naming the others
    (as ids that were not found: whether they exist is not told)."""
    seen = set(
        visibility.visible_to(actor, Customer.objects.filter(pk__in=ids)).values_list(
            "pk", flat=True
        )
    )
    missing = [pk for pk in ids if pk not in seen]
    if missing:
        shown = ", ".join(str(pk) for pk in missing[:10])
        message = _("No customer you can see has the id %(ids)s.") % {"ids": shown}
        raise ValidationFailed(message, details={"customer_ids": [message]})
    return ids


def _require_static(segment: Segment) -> None:
    if segment.kind != Segment.Kind.STATIC:
        raise ValidationFailed(
            _(
                "A dynamic segment follows its rules: customers are added by hand to "
                "static lists only."
            ),
            details={"kind": [segment.kind]},
        )


def _audit_members(actor: User, segment: Segment, field: str, ids: list[int], n: int) -> None:
    audit_record(
        actor,
        AuditEntry.Action.UPDATE,
        segment,
        [{"field": field, "old": None, "new": {"count": n, "ids": ids[:AUDITED_IDS]}}],
    )


def segment_members_add(
    *, actor: User, segment: Segment, customer_ids: Iterable[Any], now: dt.datetime | None = None
) -> int:
    """Add customers (ids the actor can see) to a static list; those already in it stay
    as they are. Returns how many entered."""
    _require_change(actor, segment)
    _require_static(segment)
    ids = _visible_ids(actor, _customer_ids(customer_ids))
    now = now or timezone.now()
    with transaction.atomic():
        _locked(segment)
        entered = _enter(segment.pk, Customer.objects.filter(pk__in=ids), now, added_by=actor)
        _recount(segment.pk)
        if entered:
            _audit_members(actor, segment, "members_added", ids, entered)
    segment.refresh_from_db(fields=["member_count"])
    return entered


def segment_members_remove(
    *, actor: User, segment: Segment, customer_ids: Iterable[Any], now: dt.datetime | None = None
) -> int:
    """Take customers out of a static list (their stay ends now; the history keeps it).
    Returns how many left."""
    _require_change(actor, segment)
    _require_static(segment)
    ids = _visible_ids(actor, _customer_ids(customer_ids))
    now = now or timezone.now()
    with transaction.atomic():
        _locked(segment)
        left = SegmentMembership.objects.filter(
            segment=segment, customer_id__in=ids, left_at__isnull=True
        ).update(left_at=now)
        _recount(segment.pk)
        if left:
            _audit_members(actor, segment, "members_removed", ids, left)
    segment.refresh_from_db(fields=["member_count"])
    return left


# --- Evaluation -----------------------------------------------------------------------------


def _current(segment_id: int) -> QuerySet[SegmentMembership]:
    return SegmentMembership.objects.filter(segment_id=segment_id, left_at__isnull=True)


def _enter(
    segment_id: int,
    customers: QuerySet[Customer],
    now: dt.datetime,
    *,
    added_by: User | None = None,
) -> int:
    """INSERT … SELECT a stay for each of `customers` who is not a member now: one
    statement whatever their number. Returns how many entered.

    Current members are skipped by the unique index of current stays (ON CONFLICT DO
    NOTHING: one index probe per customer), not by a NOT EXISTS: that anti-join reads
    the table the statement is filling, and PostgreSQL, planning with the statistics of
    an empty table, scans it again for every customer (40 s for 80,000 newcomers, where
    the index takes a second)."""
    from django.core.exceptions import EmptyResultSet

    chosen = customers.order_by().annotate(newcomer=F("pk")).values("newcomer")
    try:
        select, params = chosen.query.sql_with_params()
    except EmptyResultSet:
        return 0
    qn = connection.ops.quote_name
    table = qn(SegmentMembership._meta.db_table)
    columns = ", ".join(qn(c) for c in ("segment_id", "customer_id", "entered_at", "added_by_id"))
    # "WHERE 1 = 1" lets SQLite read ON CONFLICT as the upsert clause, not as a join's ON.
    # Names of our own table and Django's compiled SELECT; every value is a parameter.
    statement = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT %s, matching.{qn('newcomer')}, %s, %s FROM ({select}) matching WHERE 1 = 1 "
        "ON CONFLICT DO NOTHING"
    )
    moment = connection.ops.adapt_datetimefield_value(now)
    added_by_id = added_by.pk if added_by is not None and added_by.pk else None
    with connection.cursor() as cursor:
        cursor.execute(statement, [segment_id, moment, added_by_id, *params])
        return max(cursor.rowcount, 0)


def _leave(segment_id: int, matching: QuerySet[Customer], now: dt.datetime) -> int:
    """End the stay of every member no longer in `matching`: one UPDATE."""
    still = matching.filter(pk=OuterRef("customer_id"))
    return _current(segment_id).filter(~Exists(still)).update(left_at=now)


def _recount(segment_id: int, evaluated_at: dt.datetime | None = None) -> int:
    count = _current(segment_id).count()
    changes: dict[str, Any] = {"member_count": count}
    if evaluated_at is not None:
        changes["evaluated_at"] = evaluated_at
    Segment.objects.filter(pk=segment_id).update(**changes)
    return count


def _dependency_order(segments: list[Segment]) -> list[Segment]:
    """Segments whose rules name others (`in_segment`) after those others, so each reads
    memberships already brought up to date in this refresh. A loop (refused on save, but
    possible in old data) falls back to id order for the segments in it."""
    by_id = {s.pk: s for s in segments}
    waiting = {s.pk: segment_refs(s.rules) & set(by_id) - {s.pk} for s in segments}
    ordered: list[Segment] = []
    while waiting:
        ready = sorted(pk for pk, needs in waiting.items() if not needs)
        if not ready:
            ready = [min(waiting)]
        for pk in ready:
            ordered.append(by_id[pk])
            del waiting[pk]
        for needs in waiting.values():
            needs.difference_update(ready)
    return ordered


def _analyze() -> None:
    """ANALYZE the membership table (PostgreSQL). Its statistics are what the next
    evaluation plans with: a table that grew from nothing to 80,000 stays in one
    statement, still counted as empty, gets a nested-loop anti-join that compares every
    matching customer with every stay (two minutes at a million customers, against a
    second with a hash join). Autovacuum would come to it, but not between two
    evaluations of one refresh. It samples at most 30,000 rows, and blocks no reads or
    writes."""
    if connection.vendor != "postgresql":
        return  # SQLite plans these statements well without statistics
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(SegmentMembership._meta.db_table)}")


def _evaluate(segment: Segment, now: dt.datetime) -> dict[str, Any]:
    matching = Customer.objects.filter(compile_rules(segment.rules, now=now))
    with transaction.atomic():
        # Two refreshes of one segment at once take turns (PostgreSQL; SQLite writes
        # one transaction at a time anyway).
        if not Segment.objects.select_for_update().filter(pk=segment.pk).exists():
            return {"id": segment.pk, "name": segment.name, "entered": 0, "left": 0, "members": 0}
        left = _leave(segment.pk, matching, now)
        entered = _enter(segment.pk, matching, now)
        members = _recount(segment.pk, evaluated_at=now)
    if entered + left > ANALYZE_AFTER:
        _analyze()
    return {
        "id": segment.pk,
        "name": segment.name,
        "entered": entered,
        "left": left,
        "members": members,
    }


def refresh_memberships(
    *, now: dt.datetime | None = None, segment: Segment | None = None
) -> dict[str, Any]:
    """Evaluate every dynamic segment (or only `segment`) set-based: one INSERT … SELECT
    of the customers who entered, one UPDATE of the stays that ended, and the member
    count and evaluation time written, per segment, whatever the number of customers.
    Static lists (when evaluating all) only have their member counts brought up to date.

    Returns {"evaluated", "entered", "left", "failed", "seconds", "segments": [{"id",
    "name", "entered", "left", "members"} or {"id", "name", "error"}]}. A segment whose
    stored rules no longer compile is reported and skipped; the others go on."""
    started = time.monotonic()
    now = now or timezone.now()
    if segment is not None:
        targets = [segment] if segment.kind == Segment.Kind.DYNAMIC else []
    else:
        targets = list(Segment.objects.filter(kind=Segment.Kind.DYNAMIC).order_by("pk"))
    results: list[dict[str, Any]] = []
    for target in _dependency_order(targets):
        try:
            results.append(_evaluate(target, now))
        except RuleError as exc:
            logger.warning("Segment %s not evaluated: %s", target.pk, exc.message)
            results.append({"id": target.pk, "name": target.name, "error": exc.message})
    if segment is None:
        counts = (
            SegmentMembership.objects.filter(segment_id=OuterRef("pk"), left_at__isnull=True)
            .order_by()
            .values("segment_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        Segment.objects.filter(kind=Segment.Kind.STATIC).update(
            member_count=Coalesce(Subquery(counts), 0)
        )
    elif segment.kind == Segment.Kind.STATIC:
        _recount(segment.pk)
    done = [r for r in results if "error" not in r]
    return {
        "evaluated": len(done),
        "entered": sum(r["entered"] for r in done),
        "left": sum(r["left"] for r in done),
        "failed": len(results) - len(done),
        "seconds": round(time.monotonic() - started, 3),
        "segments": results,
    }


def segment_evaluate(
    *, actor: User, segment: Segment, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Evaluate one dynamic segment now, on someone's request (the refresh does it for
    all of them on its schedule)."""
    visibility.require_create(actor)
    if segment.kind != Segment.Kind.DYNAMIC:
        raise ValidationFailed(
            _("A static list has no rules to evaluate."), details={"kind": [segment.kind]}
        )
    return refresh_memberships(now=now, segment=segment)
