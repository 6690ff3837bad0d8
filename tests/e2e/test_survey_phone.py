"""Answering a survey on a phone (390 x 844) in Arabic, with the keyboard: the page is
right to left and in Arabic, a score is picked from the 0-10 buttons, the reason written,
the answers sent, the thank-you shown; the same link then says it was answered."""

import pytest
from playwright.sync_api import expect

from patron.feedback.models import Response
from patron.feedback.tokens import make_token
from tests.e2e.conftest import shot
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.feedback.factories import InvitationFactory, SurveyFactory, SurveyVersionFactory

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "رأيك يهمنا"
QUESTION = "ما مدى احتمال أن توصي بنا لصديق أو زميل؟"
WHY = "ما السبب الرئيسي لتقييمك؟"
THANKS = "شكرا لك على وقتك!"
REASON = "وصل الطلب متأخرا ثلاثة أيام"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="ar",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def invitation():
    team = TeamFactory(name="Riyadh")
    owner = UserFactory(email="salma@example.com", role="agent", teams=[team])
    customer = CustomerFactory(given_name="Omar", family_name="Haddad", team=team, owner=owner)
    survey = SurveyFactory(name="After delivery", languages=["en"])
    SurveyVersionFactory(
        survey=survey,
        language="ar",
        title=TITLE,
        intro="سؤال واحد فقط، ولن يستغرق أكثر من دقيقة.",
        why=WHY,
        questions={"score": {"text": QUESTION, "low": "غير محتمل إطلاقا", "high": "محتمل جدا"}},
        thank_you=THANKS,
    )
    return InvitationFactory(survey=survey, customer=customer, language="ar")


def test_answer_a_survey_on_a_phone_in_arabic_with_the_keyboard(phone, invitation):
    page = phone
    path = f"/s/{make_token(invitation)}/"
    first = page.goto(path)
    assert first.status == 200
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    scale = page.get_by_role("group", name=QUESTION)
    expect(scale).to_be_visible()
    expect(page.get_by_label(WHY)).to_be_visible()
    # Eleven buttons in one row, nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    boxes = [page.locator(f"label[for=q-score-{n}]").bounding_box() for n in (0, 10)]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2
    assert boxes[0]["x"] > boxes[1]["x"]  # right to left: 0 on the right
    assert min(box["height"] for box in boxes) >= 44

    # Sent without a score: the error is shown at the question and in a summary that
    # takes the focus.
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("form-errors")).to_be_focused()
    expect(page.locator("#q-score-error")).to_be_visible()
    expect(scale).to_have_attribute("aria-describedby", "q-score-error")
    assert not Response.objects.exists()

    # The keyboard reaches the score: Tab into the group, Space picks, arrows move.
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "q-score":
            break
    assert page.evaluate("document.activeElement.name") == "q-score"
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#q-score-3")).to_be_checked()
    expect(page.locator("#q-score-3")).to_be_focused()
    # The focus shows on the button the radio stands behind.
    outline = page.evaluate(
        "getComputedStyle(document.querySelector('label[for=q-score-3]')).outlineStyle"
    )
    assert outline == "solid"
    shot(page, "survey-phone-ar-score")

    page.keyboard.press("Tab")
    expect(page.get_by_label(WHY)).to_be_focused()
    page.keyboard.type(REASON)
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("submit")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("thanks")).to_contain_text(THANKS)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    shot(page, "survey-phone-ar-thanks")
    response = Response.objects.get(invitation=invitation)
    assert (response.score, response.comment, response.language) == (3, REASON, "ar")
    # A detractor: the owner has a follow-up ticket.
    assert response.follow_up_ticket.owner == invitation.customer.owner

    again = page.goto(path)
    assert again.status == 409
    expect(page.get_by_test_id("refused")).to_have_attribute("data-code", "used")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_test_id("survey-form")).to_have_count(0)
    shot(page, "survey-phone-ar-answered")
    # No script or style refused by the CSP, no script error (the 422 and 409 answers
    # themselves are logged as failed loads).
    assert [e for e in page.console_errors if "Failed to load resource" not in e] == []
    assert Response.objects.count() == 1
