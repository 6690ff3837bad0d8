"""Writing one batch of parsed import rows: set-based, a handful of statements per batch
whatever its size (see importing.py for the rules)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core.bulk import insert_rows, reserve_ids, update_rows
from patron.core.models import AuditEntry
from patron.customers.models import (
    ContactPoint,
    Customer,
    ExternalIdentifier,
    Membership,
    SearchTerm,
    Tag,
)
from patron.customers.search import customer_terms, digits, fold

if TYPE_CHECKING:
    from patron.customers.importing import ImportReport, ParsedRow, _Context

TARGET = "customers.customer"
CUSTOMER_FIELDS = (
    "id",
    "kind",
    "given_name",
    "family_name",
    "organization_name",
    "display_name",
    "language",
    "country",
    "city",
    "time_zone",
    "lifecycle_stage",
    "source",
    "custom_fields",
    "owner",
    "team",
    "version",
    "created_at",
    "updated_at",
)
CONTACT_FIELDS = (
    "customer",
    "kind",
    "label",
    "value",
    "search_value",
    "city",
    "postal_code",
    "country",
    "preferred",
    "created_at",
    "updated_at",
)
AUDIT_FIELDS = (
    "at",
    "actor",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "changes",
)
# Fields an import row may change on an existing customer (an empty cell changes nothing).
UPDATABLE = (
    "source",
    "kind",
    "given_name",
    "family_name",
    "organization_name",
    "language",
    "country",
    "city",
    "lifecycle_stage",
    "owner_id",
    "team_id",
)
CHUNK = 900  # stays under every database's limit of parameters per statement


def _chunks(values: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class BatchWriter:
    def __init__(
        self, ctx: _Context, report: ImportReport, reject: Callable[[int, str, list[str]], None]
    ) -> None:
        self.ctx = ctx
        self.report = report
        self.reject = reject
        self.system = ctx.options.system
        self.source = json.dumps(ctx.actor_label, ensure_ascii=False)[1:-1]

    # -- entry point ----------------------------------------------------------------------

    def write(self, batch: list[ParsedRow]) -> None:
        from patron.customers.importing import run_in_batch_transaction

        counts = {"created": 0, "updated": 0, "unchanged": 0, "organizations_created": 0}
        rejected: list[tuple[int, str, list[str]]] = []

        def work() -> None:
            counts.update(self._write(batch, rejected))

        try:
            run_in_batch_transaction(work, dry_run=self.ctx.options.dry_run)
        except DatabaseError as exc:
            # The batch is rolled back whole; its rows are reported, none half-written.
            reason = _("the database refused this batch (lines %(first)d–%(last)d): %(error)s") % {
                "first": batch[0].line,
                "last": batch[-1].line,
                "error": (str(exc).strip().splitlines() or [""])[0][:300],
            }
            for row in batch:
                self.reject(row.line, reason, row.raw)
            return
        for line, reason, raw in rejected:
            self.reject(line, reason, raw)
        for key, value in counts.items():
            setattr(self.report, key, getattr(self.report, key) + value)

    def _write(
        self, batch: list[ParsedRow], rejected: list[tuple[int, str, list[str]]]
    ) -> dict[str, int]:
        for row in batch:
            row.customer_id = None
        self._match(batch)
        visible = self._refuse_out_of_sight(batch, rejected)
        existing = [r for r in visible if r.customer_id]
        new = [r for r in visible if not r.customer_id]
        tag_ids = self._tags(visible)
        created = self._create(new, tag_ids)
        changed = self._update(existing, tag_ids)
        organizations_created, linked = self._memberships(visible)
        changed |= linked - {r.customer_id for r in new}
        updated = sum(1 for r in existing if r.customer_id in changed)
        return {
            "created": created,
            "updated": updated,
            "unchanged": len(existing) - updated,
            "organizations_created": organizations_created,
        }

    # -- recognising known customers ------------------------------------------------------

    def _match(self, batch: list[ParsedRow]) -> None:
        by_id = [r.external_id for r in batch if r.external_id]
        known: dict[str, int] = {}
        for chunk in _chunks(by_id):
            known.update(
                ExternalIdentifier.objects.filter(system=self.system, value__in=chunk).values_list(
                    "value", "customer_id"
                )
            )
        for row in batch:
            if row.external_id:
                row.customer_id = known.get(row.external_id)
        for kind, attr in (("email", "email"), ("phone", "phone")):
            wanted = {
                (digits(getattr(r, attr)) if kind == "phone" else getattr(r, attr)): r
                for r in batch
                if not r.external_id and not r.customer_id and getattr(r, attr)
            }
            for chunk in _chunks(list(wanted)):
                rows = (
                    ContactPoint.objects.filter(kind=kind, search_value__in=chunk)
                    .order_by("customer_id")
                    .values_list("search_value", "customer_id")
                )
                for value, customer_id in rows:
                    if wanted[value].customer_id is None:
                        wanted[value].customer_id = customer_id

    def _refuse_out_of_sight(
        self, batch: list[ParsedRow], rejected: list[tuple[int, str, list[str]]]
    ) -> list[ParsedRow]:
        ctx = self.ctx
        if ctx.sees_everything:
            return batch
        ids = [r.customer_id for r in batch if r.customer_id]
        sight = {}
        for chunk in _chunks(ids):
            sight.update(
                (pk, owner == ctx.actor.pk or team in ctx.actor_team_ids)
                for pk, owner, team in Customer.objects.filter(pk__in=chunk).values_list(
                    "pk", "owner_id", "team_id"
                )
            )
        kept = []
        for row in batch:
            if row.customer_id and not sight.get(row.customer_id):
                rejected.append(
                    (
                        row.line,
                        _("external_id: this customer belongs to a team you are not in"),
                        row.raw,
                    )
                )
            else:
                kept.append(row)
        return kept

    # -- tags -------------------------------------------------------------------------------

    def _tags(self, batch: list[ParsedRow]) -> dict[str, int]:
        """folded tag name -> id, creating the tags this batch introduces."""
        names = {fold(t): t for r in batch for t in r.tags}
        if not names:
            return {}
        ids = {fold(name): pk for pk, name in Tag.objects.values_list("pk", "name")}
        for key, name in names.items():
            if key not in ids:
                ids[key] = Tag.objects.create(name=name).pk
        return ids

    # -- new customers ----------------------------------------------------------------------

    def _team_for(self, row: ParsedRow) -> int | None:
        ctx = self.ctx
        if not ctx.sees_everything:
            # An agent's import lands in their own team, so they keep it in sight.
            return row.team_id if row.team_id in ctx.actor_team_ids else ctx.actor_team
        if row.team_id:
            return row.team_id
        return ctx.first_team.get(row.owner_id) if row.owner_id else None

    def _create(self, rows: list[ParsedRow], tag_ids: dict[str, int]) -> int:
        if not rows:
            return 0
        now = timezone.now()
        for row, pk in zip(rows, reserve_ids(Customer, len(rows)), strict=True):
            row.customer_id = pk
        owner_default = self.ctx.actor.pk if self.ctx.actor is not None else None
        customers = []
        for r in rows:
            customers.append(
                (
                    r.customer_id,
                    r.kind,
                    r.given_name,
                    r.family_name,
                    r.organization_name,
                    r.display_name,
                    r.language,
                    r.country,
                    r.city,
                    "",
                    r.lifecycle_stage or Customer.Lifecycle.PROSPECT,
                    r.source,
                    r.custom,
                    r.owner_id or owner_default,
                    self._team_for(r),
                    1,
                    r.created_at or now,
                    now,
                )
            )
        insert_rows(Customer, CUSTOMER_FIELDS, customers)
        insert_rows(
            ExternalIdentifier,
            ("customer", "system", "value", "created_at"),
            [(r.customer_id, self.system, r.external_id, now) for r in rows if r.external_id],
        )
        insert_rows(ContactPoint, CONTACT_FIELDS, self._contact_rows(rows, set(), now))
        self._insert_terms(rows)
        self._insert_tags(rows, tag_ids, set())
        insert_rows(AuditEntry, AUDIT_FIELDS, [self._audit_create(r, now) for r in rows])
        return len(rows)

    def _contact_rows(
        self, rows: list[ParsedRow], have: set[tuple[int, str, str]], now: dt.datetime
    ) -> list[tuple]:
        """Contact points of `rows` that the customer lacks; the first of a kind is preferred."""
        kinds_held = {(cid, kind) for cid, kind, _value in have}
        out = []
        for r in rows:
            wanted = []
            if r.email:
                wanted.append(("email", r.email, r.email, "", ""))
            if r.phone:
                wanted.append(("phone", r.phone, digits(r.phone), "", ""))
            if r.address:
                wanted.append(("address", r.address, fold(r.address)[:255], r.city, r.country))
            for kind, value, search, city, country in wanted:
                if (r.customer_id, kind, search) in have:
                    continue
                preferred = (r.customer_id, kind) not in kinds_held
                kinds_held.add((r.customer_id, kind))
                have.add((r.customer_id, kind, search))
                out.append(
                    (r.customer_id, kind, "", value, search, city, "", country, preferred, now, now)
                )
        return out

    def _insert_terms(self, rows: list[ParsedRow]) -> None:
        insert_rows(
            SearchTerm,
            ("customer", "term"),
            [
                (r.customer_id, term)
                for r in rows
                for term in customer_terms(
                    display_name=r.display_name,
                    phones_national=[r.phone_national] if r.phone_national else (),
                    identifiers=[r.external_id] if r.external_id else (),
                )
            ],
        )

    def _insert_tags(
        self, rows: list[ParsedRow], tag_ids: dict[str, int], have: set[tuple[int, int]]
    ) -> set[int]:
        through = Customer.tags.through
        out, touched = [], set()
        for r in rows:
            for name in r.tags:
                pair = (r.customer_id, tag_ids[fold(name)])
                if pair not in have:
                    have.add(pair)
                    out.append(pair)
                    touched.add(r.customer_id)
        insert_rows(through, ("customer", "tag"), out)
        return touched

    def _audit_create(self, r: ParsedRow, now: dt.datetime) -> tuple:
        # The values are the row of the file, named here; built as text because JSON
        # encoding every created customer's fields would cost more than inserting them.
        changes = (
            f'[{{"field": "import", "old": null, "new": "{self.source} {_("line")} {r.line}"}}]'
        )
        return (
            now,
            self._actor_id(),
            self.ctx.actor_label,
            AuditEntry.Action.CREATE,
            TARGET,
            str(r.customer_id),
            r.display_name[:255],
            changes,
        )

    def _warn_once(self, message: str) -> None:
        if message not in self.report.warnings:
            self.report.warnings.append(message)

    def _actor_id(self) -> int | None:
        return self.ctx.actor.pk if self.ctx.actor is not None else None

    # -- known customers --------------------------------------------------------------------

    def _update(self, rows: list[ParsedRow], tag_ids: dict[str, int]) -> set[int]:
        """Apply the non-empty cells of `rows` to their customers; the ids that changed."""
        if not rows:
            return set()
        now = timezone.now()
        ids = [r.customer_id for r in rows]
        current: dict[int, dict[str, Any]] = {}
        have_contacts: set[tuple[int, str, str]] = set()
        have_tags: set[tuple[int, int]] = set()
        through = Customer.tags.through
        for chunk in _chunks(ids):
            for values in Customer.objects.filter(pk__in=chunk).values(
                "pk", *UPDATABLE, "custom_fields", "display_name", "version"
            ):
                current[values["pk"]] = values
            have_contacts.update(
                ContactPoint.objects.filter(customer_id__in=chunk).values_list(
                    "customer_id", "kind", "search_value"
                )
            )
            have_tags.update(
                through.objects.filter(customer_id__in=chunk).values_list("customer_id", "tag_id")
            )
        changed: set[int] = set()
        updates, audits, renamed = [], [], set()
        for r in rows:
            before = current[r.customer_id]
            after = self._merged_values(r, before)
            diff = [
                {"field": k.removesuffix("_id"), "old": before[k], "new": after[k]}
                for k in (*UPDATABLE, "custom_fields")
                if after[k] != before[k]
            ]
            if not diff:
                continue
            changed.add(r.customer_id)
            display = self._display_name(after)
            if display != before["display_name"]:
                renamed.add(r.customer_id)
            updates.append(
                (
                    r.customer_id,
                    *(after[k] for k in UPDATABLE),
                    after["custom_fields"],
                    display,
                    before["version"] + 1,
                    now,
                )
            )
            audits.append(
                (
                    now,
                    self._actor_id(),
                    self.ctx.actor_label,
                    AuditEntry.Action.UPDATE,
                    TARGET,
                    str(r.customer_id),
                    display[:255],
                    diff,
                )
            )
        update_rows(
            Customer,
            (*UPDATABLE, "custom_fields", "display_name", "version", "updated_at"),
            updates,
        )
        contacts = self._contact_rows(rows, have_contacts, now)
        insert_rows(ContactPoint, CONTACT_FIELDS, contacts)
        tagged = self._insert_tags(rows, tag_ids, have_tags)
        new_contacts = {c[0] for c in contacts}
        for cid in (new_contacts | tagged) - changed:
            audits.append(self._audit_additions(cid, rows, now))
        insert_rows(AuditEntry, AUDIT_FIELDS, audits)
        refresh = renamed | {c[0] for c in contacts if c[1] == "phone"}
        if refresh:
            from patron.customers.services import search_terms_refresh

            search_terms_refresh(refresh)
        return changed | new_contacts | tagged

    def _merged_values(self, r: ParsedRow, before: dict[str, Any]) -> dict[str, Any]:
        after = dict(before)
        incoming = {
            "source": r.source,
            "kind": r.kind if self.ctx.positions.get("kind") is not None else "",
            "given_name": r.given_name,
            "family_name": r.family_name,
            "organization_name": r.organization_name,
            "language": r.language,
            "country": r.country,
            "city": r.city,
            "lifecycle_stage": r.lifecycle_stage,
            "owner_id": r.owner_id,
            "team_id": r.team_id,
        }
        for key, value in incoming.items():
            if value:
                after[key] = value
        if r.custom:
            after["custom_fields"] = {**(before["custom_fields"] or {}), **r.custom}
        return after

    @staticmethod
    def _display_name(values: dict[str, Any]) -> str:
        if values["kind"] == Customer.Kind.ORGANIZATION:
            return values["organization_name"].strip()
        return " ".join(p for p in (values["given_name"], values["family_name"]) if p)

    def _audit_additions(self, cid: int, rows: list[ParsedRow], now: dt.datetime) -> tuple:
        row = next(r for r in rows if r.customer_id == cid)
        added = [v for v in (row.email, row.phone, row.address) if v]
        changes = [{"field": "contact_points", "old": None, "new": ", ".join(added)}]
        if row.tags:
            changes.append({"field": "tags", "old": None, "new": row.tags})
        return (
            now,
            self._actor_id(),
            self.ctx.actor_label,
            AuditEntry.Action.UPDATE,
            TARGET,
            str(cid),
            row.display_name[:255],
            changes,
        )

    # -- organizations of people ------------------------------------------------------------

    def _memberships(self, batch: list[ParsedRow]) -> tuple[int, set[int]]:
        """Link people to the organizations their rows name, creating missing ones.
        Returns (organizations created, people whose memberships changed)."""
        people = [
            r
            for r in batch
            if r.kind == "person" and (r.organization_external_id or r.organization_name)
        ]
        if not people:
            return 0, set()
        org_of: dict[int, int] = {}
        created = self._resolve_organizations(people, org_of)
        if not people:
            return created, set()
        now = timezone.now()
        existing: dict[tuple[int, int], tuple[int, str]] = {}
        person_ids = [r.customer_id for r in people]
        for chunk in _chunks(person_ids):
            for pk, person, org, title in Membership.objects.filter(
                person_id__in=chunk
            ).values_list("pk", "person_id", "organization_id", "title"):
                existing[(person, org)] = (pk, title)
        inserts, title_updates, changed = [], [], set()
        for r in people:
            pair = (r.customer_id, org_of[r.customer_id])
            if pair not in existing:
                inserts.append((*pair, r.title, now, now))
                existing[pair] = (0, r.title)
                changed.add(r.customer_id)
            elif r.title and existing[pair][1] != r.title and existing[pair][0]:
                title_updates.append((existing[pair][0], r.title, now))
                changed.add(r.customer_id)
        insert_rows(
            Membership, ("person", "organization", "title", "created_at", "updated_at"), inserts
        )
        update_rows(Membership, ("title", "updated_at"), title_updates)
        return created, changed

    def _resolve_organizations(self, people: list[ParsedRow], org_of: dict[int, int]) -> int:
        by_ext = sorted({r.organization_external_id for r in people if r.organization_external_id})
        known_ext: dict[str, int] = {}
        not_organizations: set[str] = set()
        for chunk in _chunks(by_ext):
            for value, customer_id, kind in ExternalIdentifier.objects.filter(
                system=self.system, value__in=chunk
            ).values_list("value", "customer_id", "customer__kind"):
                if kind == Customer.Kind.ORGANIZATION:
                    known_ext[value] = customer_id
                else:
                    not_organizations.add(value)
        for value in sorted(not_organizations):
            self._warn_once(
                _(
                    "organization_external_id “%(value)s” is a person, not an organization: "
                    "the people naming it are not linked to it."
                )
                % {"value": value}
            )
        people[:] = [r for r in people if r.organization_external_id not in not_organizations]
        by_name = sorted({r.organization_name for r in people if not r.organization_external_id})
        known_name: dict[str, int] = {}
        for chunk in _chunks(by_name):
            for pk, name in (
                Customer.objects.filter(kind=Customer.Kind.ORGANIZATION, display_name__in=chunk)
                .order_by("-pk")
                .values_list("pk", "display_name")
            ):
                known_name[name] = pk
        missing: dict[tuple[str, str], ParsedRow] = {}
        for r in people:
            key = (
                ("ext", r.organization_external_id)
                if r.organization_external_id
                else ("name", r.organization_name)
            )
            if (key[0] == "ext" and key[1] not in known_ext) or (
                key[0] == "name" and key[1] not in known_name
            ):
                missing.setdefault(key, r)
        created = self._create_organizations(missing)
        for (kind, value), pk in created.items():
            (known_ext if kind == "ext" else known_name)[value] = pk
        for r in people:
            org_of[r.customer_id] = (
                known_ext[r.organization_external_id]
                if r.organization_external_id
                else known_name[r.organization_name]
            )
        return len(created)

    def _create_organizations(
        self, missing: dict[tuple[str, str], ParsedRow]
    ) -> dict[tuple[str, str], int]:
        if not missing:
            return {}
        from patron.customers.importing import ParsedRow

        timezone.now()
        organizations = []
        for (kind, value), person in missing.items():
            name = person.organization_name or value
            org = ParsedRow(
                line=person.line,
                raw=person.raw,
                external_id=value if kind == "ext" else "",
                kind="organization",
                given_name="",
                family_name="",
                organization_name=name,
                organization_external_id="",
                title="",
                email="",
                phone="",
                phone_national="",
                country=person.country,
                city=person.city,
                address="",
                language="",
                owner_id=person.owner_id,
                team_id=person.team_id,
                lifecycle_stage="",
                tags=[],
                created_at=None,
                custom={},
                display_name=name,
            )
            organizations.append(((kind, value), org))
        self._create([org for _key, org in organizations], {})
        return {key: org.customer_id for key, org in organizations}
