"""Rules of admin-defined custom fields: a definition is valid, and a value fits its type."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from patron.core.errors import ValidationFailed
from patron.customers.models import CustomField

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
TRUE = {"1", "true", "yes", "y", "on"}
FALSE = {"0", "false", "no", "n", "off"}


def definitions() -> dict[str, CustomField]:
    return {field.key: field for field in CustomField.objects.all()}


def clean_definition(field: CustomField) -> None:
    errors: dict[str, list[str]] = {}
    field.key = (field.key or "").strip().lower()
    field.label = (field.label or "").strip()
    if not _KEY.match(field.key):
        errors["key"] = [_("Use lower-case letters, digits and _, starting with a letter.")]
    if not field.label:
        errors["label"] = [_("Give the field a label.")]
    if field.field_type not in CustomField.Type.values:
        errors["field_type"] = [_("Choose text, number, date, boolean or choice.")]
    choices = [str(c).strip() for c in (field.choices or []) if str(c).strip()]
    if field.field_type == CustomField.Type.CHOICE and not choices:
        errors["choices"] = [_("A choice field needs at least one choice.")]
    field.choices = choices if field.field_type == CustomField.Type.CHOICE else []
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], details=errors)


def clean_value(field: CustomField, value: Any) -> Any:
    """The stored (JSON) form of `value` for `field`, or ValueError saying why not."""
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        return None
    kind = field.field_type
    if kind == CustomField.Type.TEXT:
        text = str(value)
        if len(text) > 1000:
            raise ValueError(_("At most 1000 characters."))
        return text
    if kind == CustomField.Type.NUMBER:
        try:
            number = Decimal(str(value).replace(",", "."))
        except InvalidOperation as exc:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from exc
        if not number.is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomField.Type.DATE:
        try:
            return dt.date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError as exc:
            raise ValueError(_("Write the date as YYYY-MM-DD.")) from exc
    if kind == CustomField.Type.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in TRUE or text in FALSE:
            return text in TRUE
        raise ValueError(_("Answer yes or no."))
    text = str(value)
    if text not in field.choices:
        raise ValueError(
            _("“%(value)s” is not one of: %(choices)s")
            % {"value": text, "choices": ", ".join(field.choices)}
        )
    return text


def clean_values(
    values: dict[str, Any], fields: dict[str, CustomField] | None = None
) -> dict[str, Any]:
    if not values:
        return {}
    if not isinstance(values, dict):
        raise ValidationFailed(
            _("Custom fields are an object of key: value."), details={"custom_fields": ["object"]}
        )
    fields = definitions() if fields is None else fields
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            errors[f"custom_fields.{key}"] = [_("No custom field “%(key)s”.") % {"key": key}]
            continue
        try:
            stored = clean_value(field, value)
        except ValueError as exc:
            errors[f"custom_fields.{key}"] = [f"{field.label}: {exc}"]
            continue
        if stored is not None:
            cleaned[key] = stored
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], details=errors)
    return cleaned
