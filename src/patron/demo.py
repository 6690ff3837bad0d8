"""`patron demo`: one idempotent call that fills every app with realistic demo data.

Later capabilities add their own loader here, after the customers they build on: the
catalogue and orders (commerce), then the conversation around them (interactions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from patron.accounts.models import Role, User
from patron.accounts.services import generate_password, team_get_or_create, user_create
from patron.analytics.demo import ValueReport, demo_value_load
from patron.commerce.demo import demo_catalogue_load, demo_orders_load
from patron.customers.demo import DEMO_SYSTEM, MARKETS, demo_customers_load
from patron.customers.models import Customer, ExternalIdentifier
from patron.feedback.demo import demo_feedback_load
from patron.interactions.demo import HistoryReport, demo_history_load
from patron.service.demo import demo_service_load

DEMO_DOMAIN = "demo.patron.example"


@dataclass
class DemoReport:
    teams_added: int = 0
    users_added: list[str] = field(default_factory=list)
    customers_added: int = 0
    password: str | None = None
    products_added: int = 0
    orders_added: int = 0
    history: HistoryReport = field(default_factory=HistoryReport)
    value: ValueReport = field(default_factory=ValueReport)


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
    _history_load(report)
    return report


WRITERS = (Role.ADMIN, Role.MANAGER, Role.AGENT)
# Orders and conversations are written one by one through the services (a few ms per
# customer): a demo base of a hundred thousand customers gets a history for its first
# thousand only, so that loading it stays a matter of seconds.
HISTORY_CUSTOMERS = 1000


def _demo_customers() -> list[tuple[str, Customer]]:
    """Every demo customer with its demo id ("demo-000123"), in the order they were made
    (the deliberate duplicates, "-dup", get no history of their own)."""
    rows = (
        ExternalIdentifier.objects.filter(system=DEMO_SYSTEM, value__startswith="demo-")
        .exclude(value__endswith="-dup")
        .select_related("customer", "customer__owner")
        .order_by("value")
    )
    return [(row.value, row.customer) for row in rows[:HISTORY_CUSTOMERS]]


def _cast(customers: list[tuple[str, Customer]]) -> tuple[frozenset[int], frozenset[int]]:
    """Who plays which part, chosen by rank among all the demo customers (a top-up adds
    customers after them, so it never recasts one already loaded): the two with a rich
    history, hundreds of events each (the first customer organization and the first
    customer person in another language that are over three years old), and the two
    people whose discounts and returns put their margin below zero."""
    now = timezone.now()
    old = [c for _k, c in customers if c.lifecycle_stage == Customer.Lifecycle.CUSTOMER]
    veterans = [c for c in old if c.created_at <= now - dt.timedelta(days=3 * 365)]
    organization = next((c for c in veterans if c.is_organization), None)
    person = next(
        (
            c
            for c in veterans
            if not c.is_organization
            and (organization is None or c.language != organization.language)
        ),
        None,
    )
    rich = frozenset(c.pk for c in (organization, person) if c is not None)
    people = [
        c
        for c in old
        if not c.is_organization
        and c.pk not in rich
        and c.created_at <= now - dt.timedelta(days=365)
    ]
    discounted = frozenset(c.pk for c in people[1:5:3])
    return rich, discounted


def _history_load(report: DemoReport) -> None:
    """The catalogue, then the orders and the conversation of each demo customer that has
    none yet, by its owner (or the demo manager when its owner cannot write any more)."""
    report.products_added = demo_catalogue_load()
    manager = User.objects.filter(email=f"manager@{DEMO_DOMAIN}", is_active=True).first()
    if manager is None or manager.role not in WRITERS:
        return  # an admin retired the demo staff: leave the demo as it is
    customers = _demo_customers()
    rich, discounted = _cast(customers)

    def owner_for(customer: Customer) -> User:
        owner = customer.owner
        if owner is not None and owner.is_active and owner.role in WRITERS:
            return owner
        return manager

    report.orders_added = demo_orders_load(
        customers, actor_for=owner_for, rich=rich, discounted=discounted
    )
    report.history = demo_history_load(
        customers,
        owner_for=owner_for,
        manager=manager,
        colleagues=list(User.objects.filter(is_active=True)),
        rich=rich,
    )
    changed = bool(report.customers_added or report.orders_added or report.products_added)
    report.value = demo_value_load([c for _key, c in customers], changed=changed)
    demo_service_load([c for _key, c in customers], owner_for=owner_for, manager=manager)
    demo_feedback_load([c for _key, c in customers], owner_for=owner_for, manager=manager)
