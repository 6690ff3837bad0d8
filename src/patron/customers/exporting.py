"""Exports of a customer list: CSV in the import's own columns (so an export imports
again unchanged) and vCard for people. Both stream: chunks of customers with their
contact points, identifiers, tags and organizations fetched per chunk (a few queries per
thousand customers), so a list of any length exports in flat memory.

With metrics, the CSV has the customer's figures of the last refresh after the import
columns (`METRIC_COLUMNS`, read from `CustomerMetrics` in the same query as the customer;
empty cells for a customer without figures). The import ignores them, with a warning."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import vobject
from django.db.models import QuerySet

from patron.customers.importing import COLUMNS
from patron.customers.models import (
    ContactPoint,
    Customer,
    CustomField,
    ExternalIdentifier,
    Membership,
)

CHUNK = 1000
EXPORT_COLUMNS = COLUMNS
# Fields of analytics.CustomerMetrics, in this order, after the import columns.
METRIC_COLUMNS = (
    "revenue_12m",
    "orders_12m",
    "recency_days",
    "frequency",
    "value_tier",
    "abc_class",
    "rfm_score",
    "rfm_segment",
    "relationship_stage",
    "p_alive",
    "expected_purchases_12m",
    "clv_12m",
)


def _chunks(customers: QuerySet[Customer], *, metrics: bool = False) -> Iterator[list[Customer]]:
    related = ("owner", "team", "metrics") if metrics else ("owner", "team")
    chunk: list[Customer] = []
    for customer in customers.select_related(*related).iterator(chunk_size=CHUNK):
        chunk.append(customer)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _details(chunk: list[Customer], system: str) -> dict[int, dict[str, Any]]:
    """Per customer of the chunk: preferred contact points, identifier, tags, organization."""
    ids = [c.pk for c in chunk]
    details: dict[int, dict[str, Any]] = {pk: {"tags": []} for pk in ids}
    points = ContactPoint.objects.filter(customer_id__in=ids).order_by(
        "customer_id", "kind", "-preferred", "id"
    )
    for point in points:
        slot = details[point.customer_id]
        slot.setdefault(point.kind, point)
    identifiers = ExternalIdentifier.objects.filter(customer_id__in=ids).order_by("id")
    for identifier in identifiers:
        # The id in the export's own system wins; else the customer's first id.
        slot = details[identifier.customer_id]
        held = slot.get("identifier")
        if held is None or (identifier.system == system and held.system != system):
            slot["identifier"] = identifier
    through = Customer.tags.through
    for customer_id, name in (
        through.objects.filter(customer_id__in=ids)
        .order_by("tag__name")
        .values_list("customer_id", "tag__name")
    ):
        details[customer_id]["tags"].append(name)
    memberships = (
        Membership.objects.filter(person_id__in=ids)
        .select_related("organization")
        .order_by("person_id", "id")
    )
    for membership in memberships:
        details[membership.person_id].setdefault("membership", membership)
    if any(details[pk].get("membership") for pk in ids):
        org_ids = [d["membership"].organization_id for d in details.values() if d.get("membership")]
        org_ext = dict(
            ExternalIdentifier.objects.filter(customer_id__in=org_ids, system=system).values_list(
                "customer_id", "value"
            )
        )
        for slot in details.values():
            if slot.get("membership"):
                slot["organization_external_id"] = org_ext.get(
                    slot["membership"].organization_id, ""
                )
    return details


def _csv_row(customer: Customer, d: dict[str, Any], custom_keys: list[str]) -> list[Any]:
    identifier = d.get("identifier")
    membership = d.get("membership")
    address = d.get("address")
    values = {
        "external_id": identifier.value if identifier else "",
        "kind": customer.kind,
        "first_name": customer.given_name,
        "last_name": customer.family_name,
        "organization_name": (
            membership.organization.display_name if membership else customer.organization_name
        ),
        "organization_external_id": d.get("organization_external_id", ""),
        "title": membership.title if membership else "",
        "email": d["email"].value if d.get("email") else "",
        "phone": d["phone"].value if d.get("phone") else "",
        "country": customer.country,
        "city": customer.city or (address.city if address else ""),
        "address": address.value if address else "",
        "language": customer.language,
        "owner_email": customer.owner.email if customer.owner else "",
        "team": customer.team.name if customer.team else "",
        "lifecycle_stage": customer.lifecycle_stage,
        "tags": "|".join(d["tags"]),
        "created_at": customer.created_at.isoformat(timespec="seconds"),
        "source": customer.source,
    }
    row = [values[c] for c in EXPORT_COLUMNS]
    row += [(customer.custom_fields or {}).get(key, "") for key in custom_keys]
    return row


def _metric_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(value, ".6g")  # probabilities and rates: six significant digits
    return value


def _metric_cells(customer: Customer) -> list[Any]:
    # Joined by select_related: no query, and None (not an error) without a row.
    metrics = getattr(customer, "metrics", None)
    if metrics is None:
        return [""] * len(METRIC_COLUMNS)
    return [_metric_cell(getattr(metrics, column)) for column in METRIC_COLUMNS]


def _spreadsheet_safe(value: Any) -> Any:
    """A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection);
    a leading apostrophe keeps it text. Phone numbers (+374…) stay as they are."""
    if not isinstance(value, str) or not value:
        return value
    risky = value[0] in ("=", "@", "\t", "\r") or (
        value[0] in ("+", "-") and not value[1:2].isdigit()
    )
    return "'" + value if risky else value


def customers_csv(
    customers: QuerySet[Customer], *, system: str = "import", with_metrics: bool = False
) -> Iterator[str]:
    """The CSV text of `customers`, in pieces (for a streaming response or a file).
    `with_metrics`: the figures of `METRIC_COLUMNS` after the import columns."""
    custom_keys = list(CustomField.objects.values_list("key", flat=True))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*EXPORT_COLUMNS, *custom_keys, *(METRIC_COLUMNS if with_metrics else ())])
    for chunk in _chunks(customers, metrics=with_metrics):
        details = _details(chunk, system)
        for customer in chunk:
            row = _csv_row(customer, details[customer.pk], custom_keys)
            if with_metrics:
                row += _metric_cells(customer)
            writer.writerow([_spreadsheet_safe(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _vcard(customer: Customer, d: dict[str, Any]) -> str:
    card = vobject.vCard()
    card.add("fn").value = customer.display_name
    card.add("n").value = vobject.vcard.Name(family=customer.family_name, given=customer.given_name)
    membership = d.get("membership")
    if membership:
        card.add("org").value = [membership.organization.display_name]
        if membership.title:
            card.add("title").value = membership.title
    for kind, slot in (("email", "email"), ("tel", "phone")):
        point = d.get(slot)
        if point is not None:
            line = card.add(kind)
            line.value = point.value
            line.type_param = "INTERNET" if kind == "email" else "VOICE"
    address = d.get("address")
    if address is not None:
        card.add("adr").value = vobject.vcard.Address(
            street=address.value,
            city=address.city,
            code=address.postal_code,
            country=address.country,
        )
    if d["tags"]:
        card.add("categories").value = d["tags"]
    card.add("uid").value = f"patron-customer-{customer.pk}"
    if customer.language:
        card.add("x-patron-language").value = customer.language
    return card.serialize()


def people_vcards(customers: QuerySet[Customer]) -> Iterator[str]:
    """vCards (3.0) of the people among `customers`."""
    people = customers.filter(kind=Customer.Kind.PERSON)
    for chunk in _chunks(people):
        details = _details(chunk, "import")
        yield "".join(_vcard(customer, details[customer.pk]) for customer in chunk)


def write_all(pieces: Iterable[str], out: Any) -> int:
    written = 0
    for piece in pieces:
        out.write(piece)
        written += len(piece)
    return written
