"""Model field rules (lengths, choices, validators) reported as a domain error."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _

from patron.core.errors import ValidationFailed
from patron.core.text import NUL


def model_validate(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Run the model's own field validation; every caller (UI, API, CLI, import) gets the
    same per-field messages instead of a database error."""
    nul_fields = {
        field.name: [_("Remove the null character (\\x00) from this text.")]
        for field in instance._meta.concrete_fields
        if isinstance(getattr(instance, field.attname, None), str)
        and NUL in getattr(instance, field.attname)
    }
    if nul_fields:
        # Checked first: PostgreSQL refuses such text outright, even in a lookup.
        raise ValidationFailed(next(iter(nul_fields.values()))[0], details=nul_fields)
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False)
    except DjangoValidationError as exc:
        details = {
            ("" if field == NON_FIELD_ERRORS else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
        field, messages = next(iter(details.items()))
        raise ValidationFailed(
            f"{field}: {messages[0]}" if field else messages[0], details=details
        ) from exc
