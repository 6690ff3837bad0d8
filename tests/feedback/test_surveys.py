"""Survey services: creation with the score question and language versions, questions,
versions (placeholders, {link}), activation, permissions."""

import pytest
from django.utils import translation

from patron.core.errors import PermissionDenied, ValidationFailed
from patron.core.models import AuditEntry
from patron.feedback import services
from patron.feedback.models import Question, Survey
from patron.feedback.services import default_texts, fill
from tests.feedback.factories import InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def details(call, *args, **kwargs):
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    return caught.value.details


@pytest.mark.parametrize("kind", ["nps", "csat", "ces"])
def test_a_scored_survey_gets_its_score_question_first(manager, kind):
    survey = services.survey_create(actor=manager, name=f"S {kind}", kind=kind)
    [question] = survey.questions.all()
    assert (question.key, question.kind, question.required, question.position) == (
        "score",
        kind,
        True,
        0,
    )
    assert survey.status == Survey.Status.DRAFT
    assert AuditEntry.objects.filter(target_type="feedback.survey", action="create").exists()


def test_a_custom_survey_has_no_score_question(manager):
    survey = services.survey_create(actor=manager, name="Custom", kind="custom", languages=["en"])
    assert not survey.questions.exists()
    assert survey.versions.get().questions == {}


def test_versions_are_made_in_the_business_languages_with_translated_texts(manager):
    survey = services.survey_create(actor=manager, name="Many", kind="nps")
    languages = set(survey.versions.values_list("language", flat=True))
    assert languages == {"en", "he", "ar", "hy", "ka", "ms"}
    arabic = survey.versions.get(language="ar")
    with translation.override("ar"):
        assert arabic.title == translation.gettext("Your opinion matters to us")
    assert "{link}" in arabic.email_body
    assert arabic.questions["score"]["text"]


def test_default_texts_follow_the_kind():
    assert "recommend" in default_texts("nps", "en")["questions"]["score"]["text"]
    assert "satisfied" in default_texts("csat", "en")["questions"]["score"]["text"]
    assert "easy" in default_texts("ces", "en")["questions"]["score"]["text"]
    assert default_texts("custom", "en")["why"] == ""


def test_survey_validation_reports_each_field(manager):
    SurveyFactory(name="Taken")
    found = details(
        services.survey_create,
        actor=manager,
        name="  taken ",
        kind="nps",
        default_language="not a language",
        valid_days=0,
    )
    assert {"name", "default_language", "valid_days"} <= set(found)
    assert "trigger" in details(
        services.survey_create, actor=manager, name="New", kind="nps", trigger="weekly"
    )
    assert "cooldown_days" in details(
        services.survey_create, actor=manager, name="N4", kind="nps", cooldown_days=-1
    )
    assert "colour" in details(
        services.survey_create, actor=manager, name="N5", kind="nps", colour="red"
    )


def test_agents_and_viewers_cannot_change_surveys(agent, viewer):
    survey = SurveyFactory()
    for user in (agent, viewer):
        with pytest.raises(PermissionDenied):
            services.survey_create(actor=user, name="Nope", kind="nps")
        with pytest.raises(PermissionDenied):
            services.survey_update(actor=user, survey=survey, name="Renamed")
        with pytest.raises(PermissionDenied):
            services.survey_set_status(actor=user, survey=survey, status="archived")


def test_questions_choice_scale_text(admin):
    survey = SurveyFactory()
    choice = services.question_add(
        actor=admin, survey=survey, key="Topic", kind="choice", choices=["Billing", "delivery"]
    )
    assert (choice.key, choice.choices, choice.position) == ("topic", ["billing", "delivery"], 1)
    scale = services.question_add(
        actor=admin, survey=survey, key="effort", kind="scale", scale_min=1, scale_max=5
    )
    assert scale.position == 2
    assert "scale_max" in details(
        services.question_add,
        actor=admin,
        survey=survey,
        key="bad",
        kind="scale",
        scale_min=5,
        scale_max=1,
    )
    assert "choices" in details(
        services.question_add, actor=admin, survey=survey, key="c2", kind="choice", choices=[]
    )
    assert "choices" in details(
        services.question_add,
        actor=admin,
        survey=survey,
        key="c3",
        kind="choice",
        choices=["a", "a"],
    )
    assert "key" in details(
        services.question_add, actor=admin, survey=survey, key="topic", kind="text"
    )
    assert "key" in details(
        services.question_add, actor=admin, survey=survey, key="score", kind="text"
    )
    assert "kind" in details(services.question_add, actor=admin, survey=survey, key="x", kind="nps")
    score = survey.questions.get(key="score")
    with pytest.raises(ValidationFailed):
        services.question_delete(actor=admin, question=score)
    services.question_delete(actor=admin, question=scale)
    assert not Question.objects.filter(pk=scale.pk).exists()


def test_versions_need_link_and_known_placeholders(admin):
    survey = SurveyFactory(languages=["en"])
    services.question_add(actor=admin, survey=survey, key="topic", kind="choice", choices=["a"])
    assert "email_body" in details(
        services.version_put, actor=admin, survey=survey, language="en", email_body="no link"
    )
    assert "email_subject" in details(
        services.version_put,
        actor=admin,
        survey=survey,
        language="en",
        email_subject="Hi {firstname}",
    )
    assert "questions.nope" in details(
        services.version_put,
        actor=admin,
        survey=survey,
        language="en",
        questions={"nope": {"text": "?"}},
    )
    version = services.version_put(
        actor=admin,
        survey=survey,
        language="en",
        questions={"topic": {"text": "About?", "choices": {"a": "Option A", "zzz": "dropped"}}},
    )
    assert version.questions["topic"] == {"text": "About?", "choices": {"a": "Option A"}}
    new = services.version_put(actor=admin, survey=survey, language="pt_br")
    assert new.language == "pt-BR"
    assert "{link}" in new.email_body
    with pytest.raises(ValidationFailed):
        services.version_delete(actor=admin, survey=survey, language="en")
    services.version_delete(actor=admin, survey=survey, language="pt-BR")
    assert not survey.versions.filter(language="pt-BR").exists()


def test_fill_replaces_known_placeholders_only():
    assert fill("Hi {name}, {link} {other}", name="Ani", link="L") == "Hi Ani, L {other}"


def test_activation_needs_the_default_version(admin):
    survey = SurveyFactory(status="draft", languages=["ar"], default_language="en")
    assert "versions" in details(
        services.survey_set_status, actor=admin, survey=survey, status="active"
    )
    services.version_put(actor=admin, survey=survey, language="en")
    services.survey_set_status(actor=admin, survey=survey, status="active")
    assert survey.status == "active"


def test_the_kind_is_fixed_once_sent(admin):
    draft = SurveyFactory(status="draft")
    services.survey_update(actor=admin, survey=draft, kind="csat")
    assert draft.questions.get(key="score").kind == "csat"
    sent = SurveyFactory()
    InvitationFactory(survey=sent)
    assert "kind" in details(services.survey_update, actor=admin, survey=sent, kind="ces")
    with pytest.raises(ValidationFailed):
        services.survey_set_status(actor=admin, survey=sent, status="draft")


def test_null_characters_in_question_texts_are_refused(admin):
    survey = SurveyFactory(languages=["en"])
    assert "questions" in details(
        services.version_put,
        actor=admin,
        survey=survey,
        language="en",
        questions={"score": {"text": "bad\x00text"}},
    )
