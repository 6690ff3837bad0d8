"""Factories for surveys, questions, language versions and invitations (shared by the
survey, public page and results tests).

`SurveyFactory()` builds an ACTIVE NPS survey with its score question and an English
version; pass `score_question=False` or `languages=[...]` to change that, e.g.
`SurveyFactory(kind="csat", languages=["en", "ar"])`.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from patron.feedback.models import Invitation, Question, Survey, SurveyKind, SurveyVersion, Trigger
from patron.feedback.tokens import new_nonce
from tests.factories import CustomerFactory

SCORE_KINDS = {SurveyKind.NPS: "nps", SurveyKind.CSAT: "csat", SurveyKind.CES: "ces"}


class SurveyFactory(DjangoModelFactory):
    class Meta:
        model = Survey
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Survey {n}")
    kind = SurveyKind.NPS
    status = Survey.Status.ACTIVE
    default_language = "en"
    trigger = Trigger.MANUAL
    cooldown_days = 90
    valid_days = 30

    @factory.post_generation
    def score_question(self, create, extracted, **kwargs):
        if create and extracted is not False and self.kind in SCORE_KINDS:
            Question.objects.create(
                survey=self, key="score", kind=SCORE_KINDS[self.kind], position=0, required=True
            )

    @factory.post_generation
    def languages(self, create, extracted, **kwargs):
        if not create:
            return
        for code in extracted if extracted is not None else ["en"]:
            SurveyVersionFactory(survey=self, language=code)


class QuestionFactory(DjangoModelFactory):
    class Meta:
        model = Question

    survey = factory.SubFactory(SurveyFactory)
    key = factory.Sequence(lambda n: f"q{n}")
    kind = Question.Kind.TEXT
    position = factory.Sequence(lambda n: n + 1)
    required = False


class SurveyVersionFactory(DjangoModelFactory):
    class Meta:
        model = SurveyVersion
        django_get_or_create = ("survey", "language")

    survey = factory.SubFactory(SurveyFactory, languages=[])
    language = "en"
    title = factory.LazyAttribute(lambda o: f"{o.survey.name} ({o.language})")
    intro = "Tell us how we did."
    why = "What is the main reason for your score?"
    questions = factory.LazyFunction(
        lambda: {"score": {"text": "How likely are you to recommend us to a friend?"}}
    )
    thank_you = "Thank you!"
    email_subject = factory.LazyAttribute(lambda o: f"[{o.language}] A quick question")
    email_body = "Hello {name},\n\nPlease answer: {link}\n"


class InvitationFactory(DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    customer = factory.SubFactory(CustomerFactory)
    via = Invitation.Via.LINK
    status = Invitation.Status.SENT
    language = "en"
    nonce = factory.LazyFunction(new_nonce)
    trigger = Trigger.MANUAL
    created_at = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


def surveyable_customer(
    *,
    email: str | None = "ani@example.com",
    consent: str | None = "granted",
    language: str = "",
    **fields,
):
    """A customer with an email address and (by default) a granted consent to surveys
    by email: the one an email invitation may reach."""
    from patron.customers.models import Channel, Consent, ContactPoint, Purpose

    customer = CustomerFactory(language=language, **fields)
    if email:
        ContactPoint.objects.create(
            customer=customer, kind=ContactPoint.Kind.EMAIL, value=email, search_value=email
        )
    if consent:
        Consent.objects.create(
            customer=customer, channel=Channel.EMAIL, purpose=Purpose.SURVEYS, status=consent
        )
    return customer


def static_segment(name: str, customers) -> object:
    """A static segment whose current members are `customers`."""
    from patron.segments.models import Segment, SegmentMembership

    segment = Segment.objects.create(name=name, kind=Segment.Kind.STATIC)
    SegmentMembership.objects.bulk_create(
        SegmentMembership(segment=segment, customer=c) for c in customers
    )
    Segment.objects.filter(pk=segment.pk).update(member_count=len(customers))
    return segment
