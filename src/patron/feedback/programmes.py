"""Programmes a customer can be in: the early-adopter programme (joined and left by
staff, with a note of why), and "potential reference / advocate", flagged from a
promoter's response.

Flagging a reference also gives the customer the tag "advocate" when the value
settings' trust tags include it (they do by default), so the relationship stage sees the
customer as trusting at the next refresh: one fact, one tag, no second rule to keep in
step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.audit import audit_create, audit_delete, audit_record
from patron.core.errors import Conflict, NotFound, ValidationFailed
from patron.core.models import AuditEntry
from patron.feedback.models import Programme, ProgrammeMembership, Response

if TYPE_CHECKING:
    from patron.accounts.models import User
    from patron.customers.models import Customer

ADVOCATE_TAG = "advocate"
MAX_NOTE = 300


def _note(note: str) -> str:
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise ValidationFailed(
            _("A note has at most 300 characters."),
            details={"note": [_("At most 300 characters.")]},
        )
    return note


def _join(
    *, actor: User, customer: Customer, programme: str, note: str, response: Response | None
) -> ProgrammeMembership:
    membership = ProgrammeMembership(
        customer=customer,
        programme=programme,
        added_by=actor if actor.pk else None,
        response=response,
        note=_note(note),
        joined_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        raise Conflict(
            _("This customer is already in this programme."),
            details={"programme": [_("Already a member.")]},
        ) from exc
    audit_create(actor=actor, instance=membership)
    return membership


@transaction.atomic
def programme_join(
    *, actor: User, customer: Customer, programme: str = Programme.EARLY_ADOPTER, note: str = ""
) -> ProgrammeMembership:
    """Put a customer in a programme (agents and up, on a customer they can see)."""
    visibility.require_write(actor, customer)
    if programme not in Programme.values:
        raise ValidationFailed(
            _("Not a programme."), details={"programme": [_("Not a programme.")]}
        )
    return _join(actor=actor, customer=customer, programme=programme, note=note, response=None)


@transaction.atomic
def programme_leave(*, actor: User, customer: Customer, programme: str) -> None:
    """Take a customer out of a programme; NotFound when they were not in it."""
    visibility.require_write(actor, customer)
    membership = ProgrammeMembership.objects.filter(customer=customer, programme=programme).first()
    if membership is None:
        raise NotFound(_("This customer is not in this programme."))
    audit_delete(actor=actor, instance=membership)
    membership.delete()


def _trust_tags() -> list[str]:
    from patron.analytics.selectors import current_settings

    return [str(tag).casefold() for tag in current_settings().trust_tags or []]


@transaction.atomic
def reference_flag(*, actor: User, response: Response, note: str = "") -> ProgrammeMembership:
    """Flag the customer of a promoter response as a potential reference or advocate:
    the REFERENCE membership (with the response), the response's flag time, and the
    customer tag "advocate" if the trust stage counts it. Flagging again is a no-op."""
    from patron.customers.services import customer_update

    customer = response.customer
    visibility.require_write(actor, customer)
    if response.band != Response.Band.FAVOURABLE:
        raise ValidationFailed(
            _("Only a promoter (a favourable answer) can be flagged as a reference."),
            details={"response": [_("Not a favourable answer.")]},
        )
    existing = ProgrammeMembership.objects.filter(
        customer=customer, programme=Programme.REFERENCE
    ).first()
    membership = existing or _join(
        actor=actor,
        customer=customer,
        programme=Programme.REFERENCE,
        note=note or _("Flagged from a survey answer"),
        response=response,
    )
    if response.reference_flagged_at is None:
        response.reference_flagged_at = timezone.now()
        response.save(update_fields=["reference_flagged_at"])
        audit_record(
            actor,
            AuditEntry.Action.UPDATE,
            response,
            [{"field": "reference_flagged_at", "old": None, "new": "flagged"}],
        )
    if ADVOCATE_TAG in _trust_tags():
        names = list(customer.tags.values_list("name", flat=True))
        if ADVOCATE_TAG not in {name.casefold() for name in names}:
            customer_update(actor=actor, customer=customer, tags=[*names, ADVOCATE_TAG])
    return membership


def memberships_of(customer: Customer) -> list[ProgrammeMembership]:
    return list(ProgrammeMembership.objects.filter(customer=customer).select_related("added_by"))
