"""The public pages' rate limit: per client address and hour, counted in the database."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patron.core.errors import Throttled
from patron.feedback import ratelimit
from patron.feedback.models import Response, SurveyAttempt
from patron.feedback.tokens import make_token
from tests.feedback.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_of_three(settings):
    settings.PATRON_SURVEY_RATE_LIMIT = 3


def test_an_address_is_turned_away_after_its_limit_and_others_are_not(limit_of_three):
    now = timezone.now()
    for _ in range(3):
        ratelimit.attempt("198.51.100.7", now=now)
    with pytest.raises(Throttled) as caught:
        ratelimit.attempt("198.51.100.7", now=now + dt.timedelta(minutes=10))
    assert caught.value.status == 429
    assert caught.value.details["retry_after"] == 50 * 60
    ratelimit.attempt("198.51.100.8", now=now)  # another address is free
    # An hour after the first attempts, the address may try again; old rows are pruned.
    ratelimit.attempt("198.51.100.7", now=now + dt.timedelta(hours=1, seconds=1))
    assert SurveyAttempt.objects.filter(at__lt=now + dt.timedelta(seconds=1)).count() == 0


def test_zero_turns_the_limit_off(settings):
    settings.PATRON_SURVEY_RATE_LIMIT = 0
    for _ in range(5):
        ratelimit.attempt("198.51.100.7")
    assert not SurveyAttempt.objects.exists()


def test_behind_a_proxy_each_customer_counts_alone(limit_of_three, north_customer):
    """`patron serve` on loopback behind nginx: every request comes from 127.0.0.1."""

    def answer(client: Client) -> int:
        invitation = InvitationFactory(customer=north_customer)
        path = reverse("survey_public:answer", args=[make_token(invitation)])
        return client.post(path, {"q-score": "9"}).status_code

    customers = [
        Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(5)
    ]
    assert [answer(client) for client in customers] == [302] * 5
    one = customers[0]
    assert [answer(one) for _ in range(3)] == [302, 302, 429]
    # What the client put before the proxy's own hop does not change its address.
    spoofing = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.0")
    assert answer(spoofing) == 429
    # From a client that is no trusted proxy, X-Forwarded-For is not believed.
    direct = Client(REMOTE_ADDR="192.0.2.9")
    assert [answer(direct) for _ in range(3)] == [302, 302, 302]
    lying = Client(REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert answer(lying) == 429


def test_the_page_answers_429_with_retry_after(limit_of_three, north_customer):
    client = Client(REMOTE_ADDR="203.0.113.50")
    invitations = [InvitationFactory(customer=north_customer) for _ in range(4)]
    statuses = []
    for invitation in invitations:
        path = reverse("survey_public:answer", args=[make_token(invitation)])
        statuses.append(client.post(path, {"q-score": "9"}).status_code)
    # CSRF-free test client: three answers recorded, the fourth turned away.
    assert statuses == [302, 302, 302, 429]
    assert Response.objects.count() == 3
    throttled = client.post(
        reverse("survey_public:answer", args=[make_token(invitations[3])]), {"q-score": "9"}
    )
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert b'data-testid="throttled"' in throttled.content
    # Opening a good link is not an attempt: the customer still sees the page.
    fresh = InvitationFactory(customer=north_customer)
    assert client.get(reverse("survey_public:answer", args=[make_token(fresh)])).status_code == 200


def test_guessing_tokens_counts_against_the_limit(limit_of_three):
    client = Client(REMOTE_ADDR="203.0.113.51")
    statuses = [client.get(f"/s/guess{n}.x.y/").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert client.get("/s/guess9.x.y/unsubscribe/").status_code == 429
    # Another address is not affected.
    assert Client(REMOTE_ADDR="203.0.113.52").get("/s/guess1.x.y/").status_code == 404
