"""User and team services: validation and audit, whoever calls them."""

import pytest

from patron.accounts.services import team_create, user_create, user_update
from patron.core.errors import ValidationFailed
from patron.core.models import AuditEntry


def test_field_rules_hold_for_every_caller(admin):
    with pytest.raises(ValidationFailed) as caught:
        user_create(
            actor=admin,
            email="long@example.com",
            password="a long passphrase 1",
            full_name="x" * 201,
        )
    assert "full_name" in caught.value.details
    with pytest.raises(ValidationFailed) as caught:
        team_create(actor=admin, name="Team", description="y" * 501)
    assert "description" in caught.value.details


def test_team_change_is_one_audit_entry(admin, agent, north, south):
    user_update(actor=admin, user=agent, teams=[north, south], full_name="Renamed")
    entries = AuditEntry.objects.filter(target_type="accounts.user", target_id=str(agent.pk))
    assert entries.count() == 1
    changes = {c["field"]: c for c in entries.get().changes}
    assert changes["teams"] == {"field": "teams", "old": ["North"], "new": ["North", "South"]}
    assert changes["full_name"]["new"] == "Renamed"
