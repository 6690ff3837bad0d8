"""Feedback in the demo: three surveys (NPS after a resolved ticket, CSAT after delivery,
CES after the first purchase) in English, Arabic and the other languages the demo
customers speak; about three thousand answers over the last 18 months; a few recent
detractors answered through the real public-page service, so their loops open follow-up
tickets, one of them closed by the owner's reply; tagged verbatims; ideas with votes,
requesters and statuses; early adopters and references.

The history is written set-based (bulk inserts of invitations and responses, then
`rollup_rebuild`), so loading stays a matter of seconds. Loading again adds nothing:
the demo surveys are found by name.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.test.utils import override_settings
from django.utils import timezone

from patron.accounts.models import User
from patron.analytics.models import CustomerMetrics
from patron.customers.models import Customer
from patron.feedback.models import (
    Invitation,
    Programme,
    ProgrammeMembership,
    Response,
    Survey,
    SurveyKind,
    Trigger,
    VerbatimTag,
)
from patron.feedback.results import band_for, rollup_rebuild

NPS_NAME = "After a support ticket (NPS)"
CSAT_NAME = "After delivery (CSAT)"
CES_NAME = "Ordering for the first time (CES)"
HISTORY = 3000
DAYS = 540

# The distribution of scores of each kind: (score, weight).
SCORES = {
    SurveyKind.NPS: [
        (0, 2),
        (2, 2),
        (3, 2),
        (4, 3),
        (5, 4),
        (6, 6),
        (7, 10),
        (8, 17),
        (9, 26),
        (10, 28),
    ],
    SurveyKind.CSAT: [(1, 5), (2, 6), (3, 13), (4, 34), (5, 42)],
    SurveyKind.CES: [(1, 30), (2, 27), (3, 15), (4, 11), (5, 8), (6, 5), (7, 4)],
}

# (tag, band, comment per language): what customers write, and the theme staff tag it with.
COMMENTS: list[tuple[str, str, dict[str, str]]] = [
    ("delivery", "unfavourable", {
        "en": "The parcel arrived three days late.",
        "ar": "وصل الطرد متأخراً ثلاثة أيام.",
        "he": "החבילה הגיעה באיחור של שלושה ימים.",
    }),
    ("support", "favourable", {
        "en": "Support answered within the hour, thank you!",
        "ar": "رد فريق الدعم خلال ساعة، شكراً لكم!",
        "he": "התמיכה ענתה תוך שעה, תודה!",
    }),
    ("price", "unfavourable", {
        "en": "Too expensive compared with other shops.",
        "ar": "السعر مرتفع مقارنة بالمتاجر الأخرى.",
        "he": "יקר מדי בהשוואה לחנויות אחרות.",
    }),
    ("product", "favourable", {
        "en": "Lovely quality, the tea smells wonderful.",
        "ar": "جودة رائعة، ورائحة الشاي جميلة.",
        "he": "איכות נהדרת, התה מריח נפלא.",
    }),
    ("website", "neutral", {
        "en": "Hard to find the order status on the website.",
        "ar": "من الصعب العثور على حالة الطلب في الموقع.",
        "he": "קשה למצוא את מצב ההזמנה באתר.",
    }),
    ("packaging", "favourable", {
        "en": "Beautiful packaging, perfect as a gift.",
        "ar": "تغليف جميل، مثالي كهدية.",
        "he": "אריזה יפה, מושלמת למתנה.",
    }),
]  # fmt: skip

IDEAS = [
    ("Gift wrapping at checkout", "done", ["packaging"], 6),
    ("Show the delivery status in the customer's language", "planned", ["website"], 4),
    ("Refill packs for loose tea", "planned", ["product"], 5),
    ("Weekend delivery", "new", ["delivery"], 3),
    ("A loyalty discount for long-standing customers", "declined", ["price"], 2),
    ("Live chat in Arabic", "new", ["support"], 3),
]


@dataclass
class FeedbackReport:
    surveys: int = 0
    responses: int = 0
    loops: int = 0
    ideas: int = 0
    programme_members: int = 0


def _languages(customers: list[Customer]) -> list[str]:
    known = [code for code, _name in settings.LANGUAGES]
    spoken = {c.language.split("-")[0] for c in customers if c.language}
    return [code for code in known if code in spoken | {"en", "ar"}]


def _surveys(manager: User, languages: list[str]) -> list[Survey]:
    from patron.feedback.services import survey_create, survey_set_status

    made = []
    for name, kind, trigger, days in (
        (NPS_NAME, SurveyKind.NPS, Trigger.TICKET_RESOLVED, None),
        (CSAT_NAME, SurveyKind.CSAT, Trigger.ORDER_DELIVERED, None),
        (CES_NAME, SurveyKind.CES, Trigger.AFTER_FIRST_PURCHASE, 14),
    ):
        survey = survey_create(
            actor=manager,
            name=name,
            kind=kind,
            languages=languages,
            trigger=trigger,
            trigger_days=days,
            cooldown_days=60,
        )
        made.append(survey_set_status(actor=manager, survey=survey, status="active"))
    return made


def _history(
    surveys: list[Survey], customers: list[Customer], rng: random.Random, now: dt.datetime
) -> list[Response]:
    """Invitations and their answers over the last 18 months, inserted in bulk."""
    from patron.feedback.tokens import new_nonce

    tiers = dict(
        CustomerMetrics.objects.filter(customer__in=customers).values_list(
            "customer_id", "value_tier"
        )
    )
    by_band: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for tag, band, texts in COMMENTS:
        by_band.setdefault(band, []).append((tag, texts))
    invitations, answers = [], []
    for n in range(HISTORY):
        survey = surveys[n % len(surveys)]
        customer = customers[rng.randrange(len(customers))]
        # Later months get more answers (the programme grew), and the NPS improves.
        age = DAYS * (1 - rng.random() ** 0.8)
        at = now - dt.timedelta(days=age, hours=rng.randint(0, 23))
        score = rng.choices(*zip(*SCORES[survey.kind], strict=True))[0]
        if survey.kind == SurveyKind.NPS and age < 180 and score < 7 and rng.random() < 0.3:
            score = 9
        band = band_for(survey.kind, score)
        language = customer.language.split("-")[0] if customer.language else "en"
        comment, tag = "", ""
        if rng.random() < 0.35 and by_band.get(band):
            tag, texts = rng.choice(by_band[band])
            comment = texts.get(language, texts["en"])
        invitation = Invitation(
            survey=survey,
            customer=customer,
            via=Invitation.Via.EMAIL,
            status=Invitation.Status.RESPONDED,
            language=language,
            nonce=new_nonce(),
            trigger=survey.trigger,
            about_user=customer.owner,
            created_at=at - dt.timedelta(hours=6),
            sent_at=at - dt.timedelta(hours=6),
            expires_at=at + dt.timedelta(days=survey.valid_days),
            opened_at=at - dt.timedelta(minutes=5),
            responded_at=at,
        )
        invitations.append(invitation)
        unfavourable = band == Response.Band.UNFAVOURABLE
        answers.append(
            (
                invitation,
                Response(
                    survey=survey,
                    customer=customer,
                    submitted_at=at,
                    language=language,
                    score=score,
                    band=band,
                    comment=comment,
                    answers={"score": score},
                    trigger=survey.trigger,
                    owner_id=customer.owner_id,
                    team_id=customer.team_id,
                    value_tier=tiers.get(customer.pk, ""),
                    # History before the demo: its low scores were followed up then.
                    loop=Response.Loop.CLOSED if unfavourable else Response.Loop.NONE,
                    loop_closed_at=at + dt.timedelta(hours=rng.randint(2, 40))
                    if unfavourable
                    else None,
                ),
                tag,
            )
        )
    Invitation.objects.bulk_create(invitations, batch_size=500)
    for invitation, response, _tag in answers:
        response.invitation = invitation
    Response.objects.bulk_create([r for _i, r, _t in answers], batch_size=500)
    tags = {name: VerbatimTag.objects.get_or_create(name=name)[0] for name, _b, _t in COMMENTS}
    through = Response.tags.through
    through.objects.bulk_create(
        [
            through(response_id=r.pk, verbatimtag_id=tags[tag].pk)
            for _i, r, tag in answers
            if tag and rng.random() < 0.7
        ],
        ignore_conflicts=True,
    )
    return [r for _i, r, _t in answers]


def _live_detractors(
    survey: Survey,
    customers: list[Customer],
    owner_for: Callable[[Customer], User],
    now: dt.datetime,
) -> int:
    """Four recent detractors answering through the public page's service: each opens a
    follow-up ticket for the owner; the owner answers the first, which closes its loop."""
    from patron.feedback.invitations import invite
    from patron.feedback.responding import submit_response
    from patron.service.services import ticket_reply

    words = {
        "en": "Nobody called me back about my broken kettle.",
        "ar": "لم يتصل بي أحد بخصوص الغلاية المعطلة.",
    }
    opened = 0
    for n, customer in enumerate(customers[:4]):
        invitation = invite(
            survey=survey,
            customer=customer,
            via=Invitation.Via.LINK,
            trigger=survey.trigger,
            now=now - dt.timedelta(hours=30 - n * 6),
        )
        if invitation.status != Invitation.Status.SENT:
            continue
        language = invitation.language if invitation.language in words else "en"
        response = submit_response(
            invitation=invitation,
            answers={"score": [2, 4, 5, 6][n]},
            comment=words[language],
            now=now - dt.timedelta(hours=29 - n * 6),
        )
        opened += 1
        if n == 0 and response.follow_up_ticket is not None:
            ticket_reply(
                actor=owner_for(customer),
                ticket=response.follow_up_ticket,
                body="I am sorry about the kettle: a new one is on its way today.",
            )
    return opened


def _ideas(
    manager: User,
    staff: list[User],
    customers: list[Customer],
    promoters: list[Response],
    rng: random.Random,
) -> int:
    from patron.feedback import ideas

    made = 0
    for title, status, tags, asked in IDEAS:
        idea = ideas.idea_create(actor=manager, title=title, tags=tags)
        for customer in rng.sample(customers, min(asked, len(customers))):
            ideas.requester_add(actor=manager, idea=idea, customer_id=customer.pk)
        for user in rng.sample(staff, min(len(staff), rng.randint(1, 6))):
            ideas.idea_vote(actor=user, idea=idea)
        if status != "new":
            idea = ideas.idea_update(actor=manager, idea=idea, status=status)
        if status == "done":
            ideas.idea_tell(actor=manager, idea=idea)  # "you said, we did"
        made += 1
    # One idea from a customer's own words.
    with_comment = next((r for r in promoters if r.comment), None)
    if with_comment is not None:
        ideas.idea_create(actor=manager, response=with_comment, title="Gift boxes all year")
        made += 1
    return made


def _programmes(manager: User, customers: list[Customer], promoters: list[Response]) -> int:
    from patron.feedback.programmes import programme_join, reference_flag

    count = 0
    for customer in customers[10:18]:
        programme_join(
            actor=manager,
            customer=customer,
            programme=Programme.EARLY_ADOPTER,
            note="Asked to try new blends first",
        )
        count += 1
    seen: set[int] = set()
    for response in promoters:
        if response.customer_id in seen or len(seen) >= 3:
            continue
        seen.add(response.customer_id)
        reference_flag(actor=manager, response=response, note="Happy to talk to prospects")
        count += 1
    return count


def demo_feedback_load(
    customers: list[Customer],
    *,
    owner_for: Callable[[Customer], User],
    manager: User,
    seed: int = 17,
) -> FeedbackReport:
    """The demo's surveys, answers, loops, ideas and programmes (once)."""
    report = FeedbackReport()
    buyers = [c for c in customers if c.lifecycle_stage == Customer.Lifecycle.CUSTOMER]
    if not buyers or Survey.objects.filter(name=NPS_NAME).exists():
        return report
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    now = timezone.now()
    surveys = _surveys(manager, _languages(buyers))
    report.surveys = len(surveys)
    history = _history(surveys, buyers, rng, now)
    report.responses = len(history)
    rollup_rebuild()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        fresh = [c for c in buyers[-40:] if c.owner_id]
        report.loops = _live_detractors(surveys[0], fresh, owner_for, now)
        promoters = [
            r for r in history if r.band == Response.Band.FAVOURABLE and r.customer.owner_id
        ]
        promoters.sort(key=lambda r: r.submitted_at, reverse=True)
        staff = list(User.objects.filter(is_active=True))
        report.ideas = _ideas(manager, staff, buyers[:200], promoters, rng)
        report.programme_members = _programmes(manager, buyers, promoters[:20])
    report.programme_members = ProgrammeMembership.objects.count()
    return report
