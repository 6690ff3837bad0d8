"""Every write to surveys: create, change, activate and archive them, their questions and
their language versions.

Who may write: admins and managers (the CX managers); agents and viewers read surveys
only. A survey of kind NPS, CSAT or CES always has its score question first (key
"score", required); custom questions follow. Each language version holds the texts the
customer reads on the page and in the invitation email, whose body must carry `{link}`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from patron.core import visibility
from patron.core.audit import audit_create, audit_delete, audit_update, snapshot
from patron.core.errors import PermissionDenied, ValidationFailed
from patron.core.text import NUL
from patron.core.validation import model_validate
from patron.customers.languages import normalize_language
from patron.feedback.models import Question, Survey, SurveyKind, SurveyVersion, Trigger

if TYPE_CHECKING:
    from patron.accounts.models import User

SURVEY_FIELDS = (
    "name",
    "kind",
    "default_language",
    "trigger",
    "trigger_days",
    "cooldown_days",
    "valid_days",
)
QUESTION_FIELDS = ("key", "kind", "required", "scale_min", "scale_max", "choices", "position")
VERSION_FIELDS = (
    "title",
    "intro",
    "why",
    "questions",
    "thank_you",
    "email_subject",
    "email_body",
)
SCORE_KIND = {SurveyKind.NPS: "nps", SurveyKind.CSAT: "csat", SurveyKind.CES: "ces"}
CUSTOM_KINDS = (Question.Kind.CHOICE, Question.Kind.TEXT, Question.Kind.SCALE)
MAX_QUESTIONS = 30
MAX_CHOICES = 30
# Placeholders an email subject or body may use; {link} is required in the body.
PLACEHOLDERS = {"name", "link", "survey"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_DAYS = 3650

# --- Who may write ---------------------------------------------------------------------------


def can_edit(actor: User | None) -> bool:
    """Admins and managers (CX managers) edit surveys; agents and viewers read them."""
    return visibility.sees_everything(actor)


def require_edit(actor: User | None) -> None:
    """`None` is the system itself (the CLI, a job)."""
    if actor is not None and not can_edit(actor):
        raise PermissionDenied(_("Only an admin or a manager can change surveys."))


def business_languages(default: str) -> list[str]:
    """The languages a new survey gets versions in: its default language, then the
    languages of the interface (those whose default texts are translated)."""
    codes = [default] + [code for code, _name in settings.LANGUAGES]
    return list(dict.fromkeys(c for c in codes if c))


# --- Default texts ---------------------------------------------------------------------------


def _score_text(kind: str) -> str:
    if kind == SurveyKind.NPS:
        return _("How likely are you to recommend us to a friend or colleague?")
    if kind == SurveyKind.CSAT:
        return _("How satisfied are you with our service?")
    if kind == SurveyKind.CES:
        return _("How easy was it to get what you needed from us?")
    return ""


def default_texts(kind: str, language: str) -> dict[str, Any]:
    """The texts of a new version of a survey of `kind`, in `language` (as far as the
    interface is translated into it)."""
    with translation.override(language):
        texts: dict[str, Any] = {
            "title": _("Your opinion matters to us"),
            "intro": _("It takes less than a minute. Thank you for helping us improve."),
            "why": _("What is the main reason for your answer?")
            if kind != SurveyKind.CUSTOM
            else "",
            "questions": {"score": {"text": _score_text(kind)}} if kind in SCORE_KIND else {},
            "thank_you": _("Thank you for your feedback!"),
            "email_subject": _("A quick question about your experience"),
            "email_body": _(
                "Hello {name},\n\nWe would love to hear how we did. Answering takes less "
                "than a minute:\n\n{link}\n\nThank you!"
            ),
        }
    return texts


# --- Checks ----------------------------------------------------------------------------------


def _refuse_unknown(fields: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            details={name: [_("Not a field of %(what)s.") % {"what": what}] for name in unknown},
        )


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{field}: {messages[0]}", details=errors)


def _language(value: Any, field: str, errors: dict[str, list[str]]) -> str:
    code = normalize_language(str(value or ""))
    if code is None:
        errors[field] = [_("Not a language code (such as “en”, “ar” or “pt-BR”).")]
        return str(value or "")
    return code


def _check_survey(survey: Survey) -> None:
    survey.name = " ".join(str(survey.name or "").split())
    errors: dict[str, list[str]] = {}
    if not survey.name:
        errors["name"] = [_("Give the survey a name.")]
    elif Survey.objects.filter(name__iexact=survey.name).exclude(pk=survey.pk).exists():
        errors["name"] = [_("Another survey is already called “%(name)s”.") % {"name": survey.name}]
    if survey.kind not in SurveyKind.values:
        errors["kind"] = [_("Choose NPS, CSAT, CES or custom.")]
    if survey.trigger not in Trigger.values:
        errors["trigger"] = [_("Choose when the survey is sent.")]
    survey.default_language = _language(survey.default_language, "default_language", errors)
    for name in ("cooldown_days", "valid_days", "trigger_days"):
        value = getattr(survey, name)
        if value is None and name == "trigger_days":
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DAYS:
            errors[name] = [_("A whole number of days from 0 to %(max)d.") % {"max": MAX_DAYS}]
    if survey.valid_days == 0:
        errors["valid_days"] = [_("A link must stay valid for at least one day.")]
    _raise(errors)
    model_validate(survey, exclude=["created_by"])


def _check_placeholders(text: str, field: str, errors: dict[str, list[str]]) -> None:
    unknown = sorted({m for m in _PLACEHOLDER.findall(text) if m not in PLACEHOLDERS})
    if unknown:
        errors[field] = [
            _("Unknown placeholder %(names)s: use {name}, {link} or {survey}.")
            % {"names": ", ".join("{" + u + "}" for u in unknown)}
        ]


def fill(text: str, **values: str) -> str:
    """`text` with its known placeholders replaced (unknown braces left as they are)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _check_question(survey: Survey, question: Question) -> None:
    errors: dict[str, list[str]] = {}
    question.key = str(question.key or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,59}", question.key):
        errors["key"] = [_("Letters, digits, - and _ (such as “delivery_speed”).")]
    elif question.key in ("score", "why", "comment") and question.kind in CUSTOM_KINDS:
        errors["key"] = [_("“%(key)s” is reserved.") % {"key": question.key}]
    elif Question.objects.filter(survey=survey, key=question.key).exclude(pk=question.pk).exists():
        errors["key"] = [_("Another question of this survey has this key.")]
    if question.kind not in CUSTOM_KINDS:
        errors["kind"] = [_("Choose choice, text or scale.")]
    if question.kind == Question.Kind.SCALE:
        low, high = question.scale_min, question.scale_max
        if not isinstance(low, int) or not isinstance(high, int) or not -100 <= low < high <= 100:
            errors["scale_max"] = [_("Give a lower and a higher bound between -100 and 100.")]
    else:
        question.scale_min = question.scale_max = None
    if question.kind == Question.Kind.CHOICE:
        choices = question.choices if isinstance(question.choices, list) else None
        keys = [str(c).strip().lower() for c in choices or []]
        if not keys or len(keys) > MAX_CHOICES:
            errors["choices"] = [_("Give from 1 to %(max)d choice keys.") % {"max": MAX_CHOICES}]
        elif any(not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", k) for k in keys):
            errors["choices"] = [_("Choice keys are letters, digits, - and _.")]
        elif len(set(keys)) != len(keys):
            errors["choices"] = [_("Each choice key once.")]
        else:
            question.choices = keys
    else:
        question.choices = []
    if not isinstance(question.required, bool):
        errors["required"] = [_("true or false.")]
    _raise(errors)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _check_version(survey: Survey, version: SurveyVersion) -> None:
    errors: dict[str, list[str]] = {}
    version.language = _language(version.language, "language", errors)
    version.title = " ".join(str(version.title or "").split())
    if not version.title:
        errors["title"] = [_("Give the survey a title in this language.")]
    version.email_subject = " ".join(str(version.email_subject or "").split())
    if not version.email_subject:
        errors["email_subject"] = [_("Give the invitation email a subject.")]
    body = str(version.email_body or "")
    if "{link}" not in body:
        errors["email_body"] = [_("The email text must contain {link}, where the link goes.")]
    _check_placeholders(version.email_subject, "email_subject", errors)
    if "email_body" not in errors:
        _check_placeholders(body, "email_body", errors)
    questions = version.questions if isinstance(version.questions, dict) else None
    if questions is not None and _has_nul(questions):
        # PostgreSQL refuses NUL in JSON: refused here as input, not a server error.
        errors["questions"] = [_("Remove the null character (\\x00) from the texts.")]
        questions = None
    elif questions is None:
        errors["questions"] = [_("An object of question key → {text, help, choices}.")]
    if questions is not None:
        known = {q.key: q for q in survey.questions.all()}
        cleaned: dict[str, Any] = {}
        for key, entry in questions.items():
            if key not in known:
                errors[f"questions.{key}"] = [_("No question with this key.")]
                continue
            entry = entry if isinstance(entry, dict) else {"text": entry}
            item = {"text": str(entry.get("text") or "").strip()}
            if entry.get("help"):
                item["help"] = str(entry["help"]).strip()
            if known[key].kind == Question.Kind.CHOICE:
                labels = entry.get("choices") if isinstance(entry.get("choices"), dict) else {}
                item["choices"] = {
                    k: str(labels.get(k) or "").strip() or k for k in known[key].choices
                }
            cleaned[key] = item
        version.questions = cleaned
    _raise(errors)
    model_validate(version, exclude=["survey"])


# --- Surveys ---------------------------------------------------------------------------------


def _score_question(survey: Survey) -> None:
    kind = SCORE_KIND.get(survey.kind)
    if kind is None:
        return
    Question.objects.update_or_create(
        survey=survey,
        key="score",
        defaults={"kind": kind, "position": 0, "required": True},
    )


def survey_create(
    *,
    actor: User | None,
    name: str,
    kind: str,
    languages: list[str] | None = None,
    **fields: Any,
) -> Survey:
    """A new survey in draft, with its score question and a version in each of
    `languages` (default: the business languages) filled with the default texts."""
    require_edit(actor)
    _refuse_unknown(fields, SURVEY_FIELDS, _("a survey"))
    survey = Survey(name=name, kind=kind, created_by=actor if actor and actor.pk else None)
    for key, value in fields.items():
        if value is not None or key == "trigger_days":
            setattr(survey, key, value)
    _check_survey(survey)
    errors: dict[str, list[str]] = {}
    codes = [
        _language(code, "languages", errors)
        for code in (languages or business_languages(survey.default_language))
    ]
    _raise(errors)
    if survey.default_language not in codes:
        codes.insert(0, survey.default_language)
    with transaction.atomic():
        try:
            with transaction.atomic():
                survey.save()
        except IntegrityError as exc:
            raise ValidationFailed(
                _("Another survey is already called “%(name)s”.") % {"name": survey.name},
                details={"name": [_("Already used.")]},
            ) from exc
        _score_question(survey)
        SurveyVersion.objects.bulk_create(
            SurveyVersion(survey=survey, language=code, **default_texts(survey.kind, code))
            for code in dict.fromkeys(codes)
        )
        audit_create(actor=actor, instance=survey)
    return survey


def survey_update(*, actor: User | None, survey: Survey, **fields: Any) -> Survey:
    """Change the survey's settings. Its kind changes only while it is a draft with no
    invitation (answers already given would no longer match)."""
    require_edit(actor)
    _refuse_unknown(fields, SURVEY_FIELDS, _("a survey"))
    before = snapshot(survey)
    kind_changes = "kind" in fields and fields["kind"] != survey.kind
    if kind_changes and (survey.status != Survey.Status.DRAFT or survey.invitations.exists()):
        raise ValidationFailed(
            _("The kind of a survey that was sent cannot change: create a new survey."),
            details={"kind": [_("Fixed once sent.")]},
        )
    for key, value in fields.items():
        setattr(survey, key, value)
    _check_survey(survey)
    with transaction.atomic():
        survey.save()
        if "kind" in fields and before["kind"] != survey.kind:
            Question.objects.filter(survey=survey, key="score").delete()
            _score_question(survey)
        audit_update(actor=actor, instance=survey, before=before)
    return survey


def survey_set_status(*, actor: User | None, survey: Survey, status: str) -> Survey:
    """Activate (it needs a version in its default language), archive, or go back to
    draft (only if nothing was sent)."""
    require_edit(actor)
    if status not in Survey.Status.values:
        raise ValidationFailed(
            _("Choose draft, active or archived."), details={"status": [_("Unknown status.")]}
        )
    if status == Survey.Status.ACTIVE:
        if not survey.versions.filter(language=survey.default_language).exists():
            raise ValidationFailed(
                _("Add a version in the default language (%(code)s) before activating.")
                % {"code": survey.default_language},
                details={"versions": [_("Missing the default language.")]},
            )
        if not survey.questions.exists():
            raise ValidationFailed(
                _("Add at least one question before activating."),
                details={"questions": [_("No question.")]},
            )
    if status == Survey.Status.DRAFT and survey.invitations.exists():
        raise ValidationFailed(
            _("A survey that was sent cannot go back to draft: archive it instead."),
            details={"status": [_("Already sent.")]},
        )
    if status == survey.status:
        return survey
    before = snapshot(survey, ["status"])
    survey.status = status
    with transaction.atomic():
        survey.save(update_fields=["status", "updated_at"])
        audit_update(actor=actor, instance=survey, before=before)
    return survey


# --- Questions -------------------------------------------------------------------------------


def question_add(*, actor: User | None, survey: Survey, **fields: Any) -> Question:
    """A custom question (choice, text or scale) after the others."""
    require_edit(actor)
    _refuse_unknown(fields, QUESTION_FIELDS, _("a question"))
    if survey.questions.count() >= MAX_QUESTIONS:
        raise ValidationFailed(
            _("A survey has at most %(max)d questions.") % {"max": MAX_QUESTIONS},
            details={"questions": [_("Too many.")]},
        )
    position = fields.pop("position", None)
    question = Question(survey=survey, **{"required": False, **fields})
    _check_question(survey, question)
    if position is None:
        last = survey.questions.aggregate(last=Max("position"))["last"]
        position = (last or 0) + 1
    question.position = max(1, int(position))
    with transaction.atomic():
        question.save()
        audit_create(actor=actor, instance=question)
    return question


def question_update(*, actor: User | None, question: Question, **fields: Any) -> Question:
    require_edit(actor)
    _refuse_unknown(fields, QUESTION_FIELDS, _("a question"))
    if question.kind not in CUSTOM_KINDS:
        raise ValidationFailed(
            _("The score question follows the survey's kind; change the survey instead."),
            details={"key": [_("The score question.")]},
        )
    before = snapshot(question)
    old_key = question.key
    for key, value in fields.items():
        setattr(question, key, value)
    _check_question(question.survey, question)
    question.position = max(1, int(question.position or 1))
    with transaction.atomic():
        question.save()
        if question.key != old_key:
            # The versions' texts follow the question's new key.
            for version in question.survey.versions.all():
                if old_key in version.questions:
                    version.questions[question.key] = version.questions.pop(old_key)
                    version.save(update_fields=["questions"])
        audit_update(actor=actor, instance=question, before=before)
    return question


def question_delete(*, actor: User | None, question: Question) -> None:
    require_edit(actor)
    if question.kind not in CUSTOM_KINDS:
        raise ValidationFailed(
            _("The score question cannot be removed: it is what the survey measures."),
            details={"key": [_("The score question.")]},
        )
    with transaction.atomic():
        for version in question.survey.versions.all():
            if version.questions.pop(question.key, None) is not None:
                version.save(update_fields=["questions"])
        audit_delete(actor=actor, instance=question)
        question.delete()


# --- Language versions -----------------------------------------------------------------------


def version_put(
    *, actor: User | None, survey: Survey, language: str, **fields: Any
) -> SurveyVersion:
    """Create or replace the version of `survey` in `language`; fields not given keep
    their value (a new version starts from the default texts of that language)."""
    require_edit(actor)
    _refuse_unknown(fields, VERSION_FIELDS, _("a language version"))
    errors: dict[str, list[str]] = {}
    code = _language(language, "language", errors)
    _raise(errors)
    version = SurveyVersion.objects.filter(survey=survey, language__iexact=code).first()
    created = version is None
    if version is None:
        version = SurveyVersion(survey=survey, language=code, **default_texts(survey.kind, code))
    before = snapshot(version)
    for key, value in fields.items():
        if value is not None:
            setattr(version, key, value)
    _check_version(survey, version)
    with transaction.atomic():
        version.save()
        if created:
            audit_create(actor=actor, instance=version)
        else:
            audit_update(actor=actor, instance=version, before=before)
    return version


def version_delete(*, actor: User | None, survey: Survey, language: str) -> None:
    """Remove a language version (not the default language's)."""
    require_edit(actor)
    version = SurveyVersion.objects.filter(survey=survey, language__iexact=language).first()
    if version is None:
        raise ValidationFailed(
            _("This survey has no version in %(code)s.") % {"code": language},
            details={"language": [_("No such version.")]},
        )
    if version.language == survey.default_language:
        raise ValidationFailed(
            _("The default language's version cannot be removed."),
            details={"language": [_("The default language.")]},
        )
    with transaction.atomic():
        audit_delete(actor=actor, instance=version)
        version.delete()
