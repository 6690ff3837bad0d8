"""`patron demo`: one idempotent call that fills every app with realistic demo data.

Later capabilities add their own loader here, after the customers they build on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from patron.accounts.models import Role, User
from patron.accounts.services import generate_password, team_get_or_create, user_create
from patron.customers.demo import MARKETS, demo_customers_load

DEMO_DOMAIN = "demo.patron.example"


@dataclass
class DemoReport:
    teams_added: int = 0
    users_added: list[str] = field(default_factory=list)
    customers_added: int = 0
    password: str | None = None


def _demo_staff() -> list[tuple[str, str, str, list[str]]]:
    """(email, full name, role, team names) of the demo staff."""
    staff = [
        (f"manager@{DEMO_DOMAIN}", "Mariam Harutyunyan", Role.MANAGER, []),
        (f"viewer@{DEMO_DOMAIN}", "Nino Beridze", Role.VIEWER, ["Tbilisi"]),
    ]
    agents = {
        "London": "Oliver Bennett",
        "Tel Aviv": "Noa Levi",
        "Amman": "Layla Haddad",
        "Yerevan": "Aram Petrosyan",
        "Tbilisi": "Giorgi Kapanadze",
        "Kuala Lumpur": "Nurul Aziz",
    }
    for team, name in agents.items():
        slug = team.lower().replace(" ", "-")
        staff.append((f"agent.{slug}@{DEMO_DOMAIN}", name, Role.AGENT, [team]))
    return staff


@transaction.atomic
def demo_load(*, customers: int = 300, password: str | None = None) -> DemoReport:
    """Create the demo teams, staff and customers that are missing; never duplicates."""
    report = DemoReport()
    teams = {}
    for market in MARKETS:
        team, created = team_get_or_create(
            actor=None, name=market.team, description=f"Customers served from {market.team}"
        )
        teams[market.team] = team
        report.teams_added += int(created)
    owners: dict[str, list[User]] = {name: [] for name in teams}
    for email, full_name, role, team_names in _demo_staff():
        user = User.objects.filter(email=email).first()
        if user is None:
            report.password = report.password or password or generate_password()
            user = user_create(
                actor=None,
                email=email,
                password=report.password,
                full_name=full_name,
                role=role,
                teams=[teams[name] for name in team_names],
            )
            report.users_added.append(email)
        if role == Role.AGENT:
            for name in team_names:
                owners[name].append(user)
    report.customers_added = demo_customers_load(customers, teams=teams, owners=owners)
    return report
