"""Consent, the can-contact decision and preferences through the API."""

from urllib.parse import quote

import pytest

from patron.core.models import AuditEntry
from tests.conftest import assert_error_shape

URL = "/api/v1/customers"


@pytest.fixture
def api(api_for, agent):
    return api_for(agent)


@pytest.fixture
def reachable(api, north_customer):
    """Ani in Yerevan (UTC+4 all year), with an email address and no phone."""
    url = f"{URL}/{north_customer.pk}"
    api.patch(url, {"time_zone": "Asia/Yerevan"})
    api.post(f"{url}/contact-points", {"kind": "email", "value": "ani@example.com"})
    return url


def _decision(api, url, channel, purpose, at=None):
    query = f"channel={channel}&purpose={purpose}"
    if at:
        query += f"&at={quote(at)}"
    response = api.get(f"{url}/can-contact?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _consent(api, url, purpose, status, channel="email"):
    body = {"channel": channel, "purpose": purpose, "status": status, "source": "web form"}
    response = api.post(f"{url}/consents", {**body, "evidence": "Ticked the box"})
    assert response.status_code == 200, response.content
    return response.json()


def test_consent_matrix_lists_every_channel_and_purpose(api, reachable):
    matrix = api.get(f"{reachable}/consents").json()
    assert len(matrix) == 15
    assert all(cell["status"] is None for cell in matrix)
    recorded = _consent(api, reachable, "marketing", "granted")
    assert (recorded["status"], recorded["source"], recorded["evidence"]) == (
        "granted",
        "web form",
        "Ticked the box",
    )
    assert recorded["channel_label"] == "Email" and recorded["recorded_at"]
    cells = {
        (c["channel"], c["purpose"]): c["status"] for c in api.get(f"{reachable}/consents").json()
    }
    assert cells[("email", "marketing")] == "granted"
    assert cells[("sms", "marketing")] is None


def test_without_consent_marketing_is_refused_and_service_allowed(api, reachable):
    refused = _decision(api, reachable, "email", "marketing")
    assert (refused["allowed"], refused["code"]) == (False, "no_consent")
    assert _decision(api, reachable, "email", "surveys")["allowed"] is False
    assert _decision(api, reachable, "email", "service") == {
        "allowed": True,
        "code": "ok",
        "reason": "Allowed.",
        "next_allowed_at": None,
    }


def test_granted_then_withdrawn(api, reachable):
    _consent(api, reachable, "marketing", "granted")
    assert _decision(api, reachable, "email", "marketing")["allowed"] is True
    _consent(api, reachable, "marketing", "withdrawn")
    withdrawn = _decision(api, reachable, "email", "marketing")
    assert (withdrawn["allowed"], withdrawn["code"]) == (False, "no_consent")
    assert "withdrawn" in withdrawn["reason"]
    # A denial for service wins over the default.
    _consent(api, reachable, "service", "denied")
    assert _decision(api, reachable, "email", "service")["allowed"] is False
    history = AuditEntry.objects.filter(changes__0__field="consent email/marketing")
    assert [e.changes[0]["new"] for e in history.order_by("id")] == ["granted", "withdrawn"]


def test_unreachable_without_a_contact_point_for_the_channel(api, reachable):
    sms = _decision(api, reachable, "sms", "service")
    assert (sms["allowed"], sms["code"]) == (False, "unreachable")
    assert _decision(api, reachable, "in_person", "service")["allowed"] is True


def test_quiet_hours_across_midnight_in_the_customers_time_zone(api, reachable):
    changed = api.patch(
        f"{reachable}/preferences", {"quiet_hours_start": "21:00", "quiet_hours_end": "08:00"}
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["quiet_hours_start"], changed.json()["quiet_hours_end"]) == (
        "21:00:00",
        "08:00:00",
    )
    # 18:30 UTC is 22:30 in Yerevan: quiet until 08:00 there, 04:00 UTC.
    late = _decision(api, reachable, "email", "service", "2024-06-01T18:30:00+00:00")
    assert (late["allowed"], late["code"]) == (False, "quiet_hours")
    assert late["next_allowed_at"].startswith("2024-06-02T04:00:00")
    # 03:30 UTC is 07:30 there: still quiet; 04:30 UTC is 08:30: allowed.
    early = _decision(api, reachable, "email", "service", "2024-06-02T03:30:00Z")
    assert early["code"] == "quiet_hours"
    assert _decision(api, reachable, "email", "service", "2024-06-02T04:30:00Z")["allowed"]
    # 16:30 UTC is 20:30 there, before the quiet hours begin.
    assert _decision(api, reachable, "email", "service", "2024-06-01T16:30:00Z")["allowed"]
    # In the customer's zone, not the server's: the same instant in UTC+4 notation.
    same = _decision(api, reachable, "email", "service", "2024-06-01T22:30:00+04:00")
    assert same["code"] == "quiet_hours"


def test_can_contact_refuses_bad_input(api, reachable):
    assert_error_shape(api.get(f"{reachable}/can-contact?channel=fax&purpose=service"), 422)
    assert_error_shape(api.get(f"{reachable}/can-contact?channel=email"), 422)
    naive = api.get(f"{reachable}/can-contact?channel=email&purpose=service&at=2024-06-01T10:00")
    assert_error_shape(naive, 422, "invalid_input")
    far = api.get(f"{reachable}/can-contact?channel=email&purpose=service&at=0001-01-01T00:00Z")
    assert_error_shape(far, 422, "invalid_input")


def test_consent_input_is_checked(api, reachable):
    bad = api.post(
        f"{reachable}/consents", {"channel": "email", "purpose": "spam", "status": "granted"}
    )
    error = assert_error_shape(bad, 422, "invalid_input")
    assert error["details"][0]["field"] == "purpose"
    naive = api.post(
        f"{reachable}/consents",
        {
            "channel": "email",
            "purpose": "service",
            "status": "granted",
            "recorded_at": "2024-01-01T10:00",
        },
    )
    assert_error_shape(naive, 422)
    dated = api.post(
        f"{reachable}/consents",
        {
            "channel": "letter",
            "purpose": "surveys",
            "status": "granted",
            "recorded_at": "2024-01-01T10:00:00Z",
        },
    )
    assert dated.json()["recorded_at"].startswith("2024-01-01T10:00:00")


def test_preferences(api, reachable):
    empty = api.get(f"{reachable}/preferences").json()
    assert empty["preferred_channel"] == "" and empty["updated_at"] is None
    changed = api.patch(
        f"{reachable}/preferences",
        {"preferred_channel": "sms", "max_messages_per_30_days": 4, "vip_handling": "Call first"},
    )
    assert changed.status_code == 200, changed.content
    assert api.get(f"{reachable}/preferences").json()["vip_handling"] == "Call first"
    cleared = api.patch(
        f"{reachable}/preferences", {"preferred_channel": None, "max_messages_per_30_days": None}
    )
    assert (cleared.json()["preferred_channel"], cleared.json()["max_messages_per_30_days"]) == (
        "",
        None,
    )
    assert cleared.json()["vip_handling"] == "Call first"

    one_end = api.patch(f"{reachable}/preferences", {"quiet_hours_start": "22:00"})
    assert "quiet_hours_end" in assert_error_shape(one_end, 422)["details"]
    for body in (
        {"max_messages_per_30_days": 5000},
        {"preferred_channel": "pigeon"},
        {"quiet_hours_start": "22:00+02:00", "quiet_hours_end": "07:00"},
        {"colour": "blue"},
    ):
        assert_error_shape(api.patch(f"{reachable}/preferences", body), 422, "invalid_input")
