"""Survey pages for staff: the list, creating and editing a survey (settings, questions,
language versions with a preview), a survey's invitations, sending it to a segment
(dry run first, then confirm), and a link invitation for one customer. Thin: selectors
and services do the work. Everyone signed in reads; admins and managers change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.core.errors import NotFound, PatronError
from patron.core.formatting import format_percent
from patron.core.forms import apply_errors
from patron.core.pagination import paginate
from patron.core.visibility import get_visible
from patron.customers.languages import language_name
from patron.customers.models import Customer
from patron.feedback import selectors, services
from patron.feedback.forms import InviteForm, QuestionForm, SendForm, SurveyForm, VersionForm
from patron.feedback.invitations import REASONS, invite_by_staff, reason_label, send_to_segment
from patron.feedback.models import Invitation, Survey, SurveyVersion
from patron.feedback.services import fill
from patron.feedback.tokens import answer_url

PAGE_SIZE = 25
INVITATIONS_COUNTED = 1000


def results_url(survey: Survey) -> str:
    """The survey's results page (its own app); "" while that page does not exist."""
    try:
        return reverse("feedback_results:survey", args=[survey.pk])
    except NoReverseMatch:
        return ""


def _percent(value: float | None) -> str:
    return format_percent(value) if value is not None else ""


def _survey(request: HttpRequest, survey_id: int, **kwargs: Any) -> Survey:
    return selectors.survey_get(viewer=request.user, survey_id=survey_id, **kwargs)


# --- The list --------------------------------------------------------------------------------


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Survey.Status.values else ""
    rows = selectors.survey_list(viewer=request.user, status=status)
    page = paginate(request, rows, default_size=PAGE_SIZE)
    for survey in page.items:
        survey.rate = _percent(selectors.response_rate(survey))
        survey.results_url = results_url(survey)
    context = {
        "page": page,
        "status": status,
        "statuses": [("", _("Every status")), *Survey.Status.choices],
        "can_edit": services.can_edit(request.user),
    }
    return render(request, "feedback/survey_list.html", context)


# --- Create and edit -------------------------------------------------------------------------


@login_required
def survey_create(request: HttpRequest) -> HttpResponse:
    services.require_edit(request.user)
    form = SurveyForm(
        request.POST or None,
        initial={"default_language": settings.LANGUAGE_CODE, "cooldown_days": 90, "valid_days": 30},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                survey = services.survey_create(actor=request.user, **form.service_fields())
            except PatronError as exc:
                apply_errors(form, exc.details, exc.message)
                status = 422
            else:
                messages.success(
                    request,
                    _(
                        "The survey “%(name)s” is created as a draft: check its texts, "
                        "then activate it."
                    )
                    % {"name": survey.name},
                )
                return redirect("feedback:edit", survey_id=survey.pk)
        else:
            status = 422
    return render(
        request, "feedback/survey_form.html", {"form": form, "creating": True}, status=status
    )


def _preview(version: SurveyVersion, survey: Survey) -> dict[str, Any]:
    link = settings.PATRON_BASE_URL + "/s/…/"
    values = {"name": _("Ani"), "link": link, "survey": version.title}
    return {
        "subject": fill(version.email_subject, **values),
        "body": fill(version.email_body, **values),
        "questions": [
            {
                "question": q,
                "text": (version.questions.get(q.key) or {}).get("text") or q.key,
                "choices": list(
                    ((version.questions.get(q.key) or {}).get("choices") or {}).values()
                ),
                "range": _scale(q),
            }
            for q in survey.questions.all()
        ],
    }


def _labels(version: SurveyVersion, key: str) -> list[str]:
    entry = version.questions.get(key) or {}
    return list((entry.get("choices") or {}).values())


def _rtl(language: str) -> bool:
    return language.split("-")[0] in settings.LANGUAGES_BIDI


def _scale(question: Any) -> list[int]:
    bounds = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    low, high = bounds.get(question.kind, (question.scale_min, question.scale_max))
    if low is None or high is None:
        return []
    return list(range(low, high + 1))


def _edit_context(
    request: HttpRequest,
    survey: Survey,
    *,
    form: SurveyForm | None = None,
    question_form: QuestionForm | None = None,
    version_forms: dict[str, VersionForm] | None = None,
    active: str = "",
) -> dict[str, Any]:
    questions = list(survey.questions.all())
    # The default language's tab first, the others by name.
    versions = sorted(
        survey.versions.all(),
        key=lambda v: (v.language != survey.default_language, language_name(v.language)),
    )
    tabs = []
    for version in versions:
        rtl = _rtl(version.language)
        version_form = (version_forms or {}).get(version.language) or VersionForm(
            initial=VersionForm.initial_for(version),
            questions=questions,
            language=version.language,
            rtl=rtl,
        )
        tabs.append(
            {
                "version": version,
                "name": language_name(version.language),
                "form": version_form,
                "preview": _preview(version, survey),
                "rtl": rtl,
            }
        )
    languages = [tab["version"].language for tab in tabs]
    wanted = active or request.GET.get("tab", "")
    active = wanted if wanted in languages else (languages[0] if languages else "")
    return {
        "survey": survey,
        "form": form or SurveyForm(initial=SurveyForm.initial_for(survey)),
        "question_form": question_form or QuestionForm(),
        "questions": questions,
        "tabs": tabs,
        "active": active,
        "missing_languages": [
            (code, name)
            for code, name in settings.LANGUAGES
            if code not in {v.language for v in versions}
        ],
        "creating": False,
        "results_url": results_url(survey),
    }


@login_required
def survey_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    services.require_edit(request.user)
    form = SurveyForm(request.POST or None, initial=SurveyForm.initial_for(survey))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.survey_update(actor=request.user, survey=survey, **form.service_fields())
            except PatronError as exc:
                apply_errors(form, exc.details, exc.message)
                status = 422
            else:
                messages.success(request, _("The survey's settings are saved."))
                return redirect("feedback:edit", survey_id=survey.pk)
        else:
            status = 422
        survey = _survey(request, survey_id)
    context = _edit_context(request, survey, form=form)
    return render(request, "feedback/survey_form.html", context, status=status)


@login_required
@require_POST
def question_add(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    services.require_edit(request.user)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(actor=request.user, survey=survey, **form.service_fields())
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("The question is added: write its text in each language."))
            return redirect(reverse("feedback:edit", args=[survey.pk]) + "#questions")
    context = _edit_context(request, _survey(request, survey_id), question_form=form)
    return render(request, "feedback/survey_form.html", context, status=422)


@login_required
@require_POST
def question_delete(request: HttpRequest, survey_id: int, question_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    question = selectors.question_get(survey=survey, question_id=question_id)
    try:
        services.question_delete(actor=request.user, question=question)
    except PatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The question “%(key)s” is removed.") % {"key": question.key})
    return redirect(reverse("feedback:edit", args=[survey.pk]) + "#questions")


def _tab(survey: Survey, language: str) -> str:
    return reverse("feedback:edit", args=[survey.pk]) + f"?tab={language}#versions"


@login_required
@require_POST
def version_save(request: HttpRequest, survey_id: int, language: str) -> HttpResponse:
    survey = _survey(request, survey_id)
    services.require_edit(request.user)
    questions = list(survey.questions.all())
    existing = next((v for v in survey.versions.all() if v.language == language), None)
    if existing is None or request.POST.get("add") == "1":
        # "Add a language": a new version with that language's default texts.
        try:
            version = services.version_put(actor=request.user, survey=survey, language=language)
        except PatronError as exc:
            messages.error(request, exc.message)
            return redirect("feedback:edit", survey_id=survey.pk)
        messages.success(
            request,
            _("A version in %(language)s is added with the default texts.")
            % {"language": language_name(version.language)},
        )
        return redirect(_tab(survey, version.language))
    form = VersionForm(request.POST, questions=questions, language=language, rtl=_rtl(language))
    if form.is_valid():
        try:
            services.version_put(
                actor=request.user, survey=survey, language=language, **form.service_fields()
            )
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(
                request,
                _("The %(language)s version is saved.") % {"language": language_name(language)},
            )
            return redirect(_tab(survey, language))
    context = _edit_context(
        request, _survey(request, survey_id), version_forms={language: form}, active=language
    )
    return render(request, "feedback/survey_form.html", context, status=422)


@login_required
@require_POST
def version_add(request: HttpRequest, survey_id: int) -> HttpResponse:
    """ "Add a language": any language code, such as fr or pt-BR."""
    return version_save(request, survey_id, request.POST.get("language", "").strip()[:16])


@login_required
@require_POST
def version_delete(request: HttpRequest, survey_id: int, language: str) -> HttpResponse:
    survey = _survey(request, survey_id)
    try:
        services.version_delete(actor=request.user, survey=survey, language=language)
    except PatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The version is removed."))
    return redirect(reverse("feedback:edit", args=[survey.pk]) + "#versions")


# --- One survey ------------------------------------------------------------------------------


@login_required
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id, counts=True)
    status = request.GET.get("status", "")
    status = status if status in Invitation.Status.values else ""
    via = request.GET.get("via", "")
    via = via if via in Invitation.Via.values else ""
    rows = selectors.invitation_list(viewer=request.user, survey=survey, status=status, via=via)
    # A survey sent to big segments has hundreds of thousands: counted up to a bound.
    page = paginate(request, rows, default_size=PAGE_SIZE, count_limit=INVITATIONS_COUNTED)
    context = {
        "survey": survey,
        "page": page,
        "status": status,
        "via": via,
        "statuses": [("", _("Every status")), *Invitation.Status.choices],
        "vias": [("", _("Email and link")), *Invitation.Via.choices],
        "counts": selectors.status_counts(survey),
        "rate": _percent(selectors.response_rate(survey)),
        "can_edit": services.can_edit(request.user),
        "results_url": results_url(survey),
        "filtered": bool(status or via),
    }
    return render(request, "feedback/survey_detail.html", context)


@login_required
@require_POST
def survey_status(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    target = request.POST.get("status", "")
    try:
        services.survey_set_status(actor=request.user, survey=survey, status=target)
    except PatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The survey is now %(status)s.") % {"status": survey.get_status_display().lower()},
        )
    return redirect("feedback:detail", survey_id=survey.pk)


# --- Sending ---------------------------------------------------------------------------------


@login_required
def survey_send(request: HttpRequest, survey_id: int) -> HttpResponse:
    """GET: choose a segment. POST: a dry run (the report, with a confirm button); POST
    with `confirm`: invite for real."""
    survey = _survey(request, survey_id)
    services.require_edit(request.user)
    form = SendForm(request.POST or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            segment = form.cleaned_data["segment"]
            confirm = request.POST.get("confirm") == "1"
            try:
                report = send_to_segment(
                    survey=survey, segment=segment, actor=request.user, dry_run=not confirm
                )
            except PatronError as exc:
                apply_errors(form, exc.details, exc.message)
                status = 422
            else:
                if confirm:
                    messages.success(
                        request,
                        _(
                            "%(invited)s customers of “%(segment)s” are invited: the emails "
                            "go out within minutes. %(skipped)s were not asked (see the "
                            "reasons below)."
                        )
                        % {
                            "invited": report.invite + report.delayed,
                            "segment": segment.name,
                            "skipped": report.skipped_total,
                        },
                    )
                    return redirect("feedback:detail", survey_id=survey.pk)
        else:
            status = 422
    context = {
        "survey": survey,
        "form": form,
        "report": report,
        "reasons": [(code, reason_label(code), report.skipped[code]) for code in REASONS]
        if report
        else [],
    }
    return render(request, "feedback/survey_send.html", context, status=status)


# --- A link invitation for one customer ------------------------------------------------------


@login_required
def invitation_create(request: HttpRequest) -> HttpResponse:
    """From the customer page (`?customer=ID`): a link to hand to the customer now, or an
    email invitation."""
    raw = request.POST.get("customer") or request.GET.get("customer")
    try:
        customer = get_visible(request.user, Customer.objects.all(), pk=raw)
    except NotFound as exc:
        raise NotFound(_("Choose a customer you can see.")) from exc
    form = InviteForm(request.POST or None)
    invitation = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = invite_by_staff(
                    actor=request.user,
                    survey=form.cleaned_data["survey"],
                    customer=customer,
                    via=form.cleaned_data["via"],
                )
            except PatronError as exc:
                apply_errors(form, exc.details, exc.message)
                status = 422
        else:
            status = 422
    context = {
        "customer": customer,
        "form": form,
        "invitation": invitation,
        "url": answer_url(invitation)
        if invitation is not None
        and invitation.via == Invitation.Via.LINK
        and invitation.status == Invitation.Status.SENT
        else "",
        "has_surveys": form.fields["survey"].queryset.exists(),
    }
    return render(request, "feedback/survey_invite.html", context, status=status)
