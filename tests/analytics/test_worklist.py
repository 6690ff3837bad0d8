"""My day: the tasks due today and overdue, the new signals on my customers (with their
explanation and task), a manager's unassigned signal tasks; most valuable customers
first; complete, snooze and assign inline; empty state, pages, flat query counts. And the
signals page: filters, cursor pages, visibility."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from patron.accounts.models import Role
from patron.analytics import refresh as refreshing
from patron.analytics import worklist
from patron.analytics.models import CustomerMetrics, Signal
from patron.commerce.models import Order
from patron.interactions.models import Interaction, Task
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NOW = timezone.now()


def ago(days=0, hours=0):
    return NOW - dt.timedelta(days=days, hours=hours)


def task(title, *, customer=None, assignee=None, due=None, status="open", source="manual"):
    return Task.objects.create(
        title=title,
        customer=customer,
        assignee=assignee,
        due_at=due,
        status=status,
        source=source,
        created_by=assignee,
    )


def signal(
    customer,
    *,
    kind="buying_less",
    raised=None,
    cleared=None,
    task_status="open",
    assignee="owner",
    details=None,
):
    """A signal with its task, as the refresh makes them (the task is the owner's)."""
    raised = raised or ago(1)
    owner = customer.owner if assignee == "owner" else assignee
    made = Task.objects.create(
        title=f"Signal on {customer.display_name}",
        customer=customer,
        assignee=owner,
        due_at=raised + dt.timedelta(days=7),
        status=task_status,
        source="signal",
    )
    found = Signal.objects.create(
        customer=customer,
        kind=kind,
        raised_at=raised,
        cleared_at=cleared,
        task=made,
        details=details
        if details is not None
        else {"revenue_12m": 300, "usual_revenue": 4000, "trend": 0.075, "threshold": 0.4},
    )
    return found


def figures(customer, clv=None, revenue=0):
    CustomerMetrics.objects.create(
        customer=customer,
        clv_12m=None if clv is None else Decimal(clv),
        revenue_12m=Decimal(revenue),
        value_tier="most_valuable" if (clv or 0) > 500 else "core",
    )
    return customer


def rows(response):
    """The task titles of a My day page, in order."""
    assert response.status_code == 200, response.content[:3000]
    page = response.content.decode()
    return re.findall(r'class="fw-semibold[^"]*"><bdi>([^<]+)</bdi>', page)


# --- What is on it ------------------------------------------------------------------------


def test_my_day_has_my_tasks_due_today_and_overdue_not_later_nor_others(
    client, agent, other_agent, north_customer
):
    now = timezone.now()
    later_today = now + (worklist.end_of_day(now) - now) / 2  # not yet due, but today
    task("Call back today", customer=north_customer, assignee=agent, due=later_today)
    task("Send the offer", customer=north_customer, assignee=agent, due=ago(3))
    task("Next week", customer=north_customer, assignee=agent, due=NOW + dt.timedelta(days=7))
    task("Undated", customer=north_customer, assignee=agent)
    task("Done already", customer=north_customer, assignee=agent, due=ago(1), status="done")
    task("Not mine", customer=north_customer, assignee=other_agent, due=ago(1))
    task("My own reminder", assignee=agent, due=ago(0, 1))  # of nobody's customer
    client.force_login(agent)
    titles = rows(client.get("/my-day/"))
    assert set(titles) == {"Call back today", "Send the offer", "My own reminder"}
    page = client.get("/my-day/").content.decode()
    assert page.count('data-reason="overdue"') == 2 and 'data-reason="today"' in page


def test_new_signals_on_my_customers_with_their_explanation_and_task(
    client, agent, north, north_customer, other_agent, south_customer
):
    new = signal(north_customer, raised=ago(2))
    # Raised three weeks ago: no longer new, but its task is overdue, so it is on the day.
    old = signal(CustomerFactory(owner=agent, team=north), raised=ago(20))
    signal(CustomerFactory(owner=agent, team=north), raised=ago(3), cleared=ago(1))  # over
    signal(CustomerFactory(owner=agent, team=north), raised=ago(3), task_status="done")
    signal(south_customer, raised=ago(1))  # another owner's customer
    client.force_login(agent)
    page = client.get("/my-day/").content.decode()
    assert set(rows(client.get("/my-day/"))) == {new.task.title, old.task.title}
    assert re.search(rf'id="my-day-{new.task_id}"[^>]*data-reason="signal"', page)
    assert re.search(rf'id="my-day-{old.task_id}"[^>]*data-reason="overdue"', page)
    assert "Buying less than usual" in page
    assert "Bought $300.00 in the last 12 months against $4,000.00 in a usual year" in page
    assert f"/customers/{north_customer.pk}/timeline/?kind=task#event-task-{new.task_id}" in page


def test_the_explanation_is_in_the_viewers_language(client, agent, north_customer):
    signal(north_customer)
    agent.language = "hy"
    agent.save()
    client.force_login(agent)
    page = client.get("/my-day/").content.decode().replace("\xa0", " ").replace("\u202f", " ")
    assert "4 000,00 $" in page  # Armenian conventions, whatever the task's own text says


def test_a_snoozed_or_reassigned_signal_task_leaves_my_day_until_it_falls_due(
    client, agent, north, north_customer
):
    first = signal(north_customer)
    second = signal(CustomerFactory(owner=agent, team=north, given_name="Bo"))
    client.force_login(agent)
    assert len(rows(client.get("/my-day/"))) == 2
    client.post(f"/my-day/tasks/{first.task_id}/snooze/", {"until": "tomorrow"}, **HTMX)
    assert rows(client.get("/my-day/")) == [second.task.title]
    # Once its (new) due date comes, it is back as a task of the day.
    Task.objects.filter(pk=first.task_id).update(due_at=ago(0, 1))
    assert set(rows(client.get("/my-day/"))) == {first.task.title, second.task.title}


def test_a_manager_sees_the_teams_unassigned_signal_tasks(client, manager, agent, north, south):
    manager.teams.set([north])
    ours = CustomerFactory(team=north, owner=None, given_name="Nobody")
    theirs = CustomerFactory(team=south, owner=None, given_name="Far")
    unassigned = signal(ours, assignee=None)
    signal(theirs, assignee=None)
    task("Unassigned but manual", customer=ours, due=ago(1))
    client.force_login(manager)
    page = client.get("/my-day/").content.decode()
    assert rows(client.get("/my-day/")) == [unassigned.task.title]
    assert 'data-reason="unassigned"' in page and 'data-testid="my-day-assign"' in page
    # An agent does not get them.
    client.force_login(agent)
    assert rows(client.get("/my-day/")) == []


def test_most_valuable_customers_first_then_revenue_then_due_date(client, agent, north):
    def mine(name, **kw):
        return figures(CustomerFactory(owner=agent, team=north, given_name=name), **kw)

    big, mid, rich, plain = (
        mine("Big", clv=900),
        mine("Mid", clv=100),
        mine("Rich", revenue=50),
        mine("Plain"),
    )
    none = CustomerFactory(owner=agent, team=north, given_name="Unknown")
    task("Plain later", customer=plain, assignee=agent, due=ago(0, 1))
    task("Plain sooner", customer=plain, assignee=agent, due=ago(2))
    task("Unknown", customer=none, assignee=agent, due=ago(5))
    task("Rich", customer=rich, assignee=agent, due=ago(1))
    signal(mid)
    task("Big", customer=big, assignee=agent, due=ago(0, 2))
    client.force_login(agent)
    assert rows(client.get("/my-day/")) == [
        "Big",
        "Signal on Mid Family",
        "Rich",
        "Plain sooner",
        "Plain later",
        "Unknown",
    ]
    page = client.get("/my-day/").content.decode()
    assert "$900.00" in page and "Most valuable" in page


def test_empty_state(client, agent):
    client.force_login(agent)
    page = client.get("/my-day/").content.decode()
    assert "Nothing due today" in page and 'data-testid="empty-state"' in page


def test_pages(client, agent, north_customer):
    for n in range(30):
        task(f"T{n:02}", customer=north_customer, assignee=agent, due=ago(0, n + 1))
    client.force_login(agent)
    first, second = rows(client.get("/my-day/")), rows(client.get("/my-day/?page=2"))
    assert (len(first), len(second)) == (25, 5)
    assert not set(first) & set(second)
    assert "30 things to do" in client.get("/my-day/").content.decode()
    # Past the end: the last page.
    assert rows(client.get("/my-day/?page=9")) == second


def test_the_nav_has_my_day_first_after_the_dashboard(client, agent):
    client.force_login(agent)
    page = client.get("/my-day/").content.decode()
    nav = page.split('aria-label="Main"')[1].split("</ul>")[0]
    labels = re.findall(r'<span class="nav-label">([^<]+)</span></a>', nav)
    assert labels[:3] == ["Dashboard", "My day", "Customers"]
    assert 'href="/my-day/" title="My day" aria-current="page"' in nav


def test_my_day_needs_a_sign_in(client):
    assert client.get("/my-day/").status_code == 302


def test_query_count_stays_flat(client, agent, manager, north, django_assert_max_num_queries):
    manager.teams.set([north])

    def make(n):
        for _ in range(n):
            customer = figures(CustomerFactory(owner=agent, team=north), clv=10)
            task("Due", customer=customer, assignee=agent, due=ago(1))
            signal(customer)
            signal(CustomerFactory(owner=None, team=north), assignee=None)

    make(1)
    for user in (agent, manager):
        client.force_login(user)
        with django_assert_max_num_queries(12) as few:
            client.get("/my-day/")
        make(12)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(rows(client.get("/my-day/"))) == 25


# --- Acting on it ----------------------------------------------------------------------------


def test_complete_inline_with_htmx_then_reopen(client, agent, north_customer):
    done = task("Call", customer=north_customer, assignee=agent, due=ago(1))
    client.force_login(agent)
    response = client.post(f"/my-day/tasks/{done.pk}/complete/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<li class="list-group-item my-day-item"')
    assert "Done: Call" in html and "/reopen/" in html
    done.refresh_from_db()
    assert done.status == "done" and done.completed_by == agent
    assert rows(client.get("/my-day/")) == []
    client.post(f"/my-day/tasks/{done.pk}/reopen/", **HTMX)
    done.refresh_from_db()
    assert done.status == "open"


def test_snooze_inline_and_without_javascript(client, agent, north_customer):
    later = task("Call", customer=north_customer, assignee=agent, due=ago(1))
    client.force_login(agent)
    response = client.post(f"/my-day/tasks/{later.pk}/snooze/", {"until": "week"})
    assert response.status_code == 302 and response["Location"] == "/my-day/"
    later.refresh_from_db()
    assert later.due_at >= worklist.end_of_day(timezone.now())  # next Monday morning
    assert rows(client.get("/my-day/")) == []


def test_a_refused_move_answers_422_with_the_row_and_its_message(client, agent, north_customer):
    open_task = task("Call", customer=north_customer, assignee=agent, due=ago(1))
    client.force_login(agent)
    response = client.post(f"/my-day/tasks/{open_task.pk}/snooze/", {"until": "never"}, **HTMX)
    assert response.status_code == 422
    assert "Choose how long to snooze." in response.content.decode()
    response = client.post(f"/my-day/tasks/{open_task.pk}/explode/", **HTMX)
    assert response.status_code == 422 and "Unknown action." in response.content.decode()


def test_a_manager_assigns_an_unassigned_signal_task(client, manager, agent, north):
    manager.teams.set([north])
    nobody = signal(CustomerFactory(team=north, owner=None), assignee=None)
    client.force_login(manager)
    response = client.post(
        f"/my-day/tasks/{nobody.task_id}/assign/", {"assignee": agent.pk}, **HTMX
    )
    assert response.status_code == 200, response.content
    assert "is now with" in response.content.decode()
    nobody.task.refresh_from_db()
    assert nobody.task.assignee == agent
    assert rows(client.get("/my-day/")) == []


def test_tasks_out_of_sight_are_not_found(client, agent, other_agent, south_customer):
    theirs = task("Theirs", customer=south_customer, assignee=other_agent, due=ago(1))
    client.force_login(agent)
    assert client.post(f"/my-day/tasks/{theirs.pk}/complete/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_a_viewer_cannot_act(client, viewer, north_customer):
    mine = task("Look", customer=north_customer, assignee=viewer, due=ago(1))
    client.force_login(viewer)
    assert "Look" in rows(client.get("/my-day/"))
    response = client.post(f"/my-day/tasks/{mine.pk}/complete/", **HTMX)
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.status == "open"


# --- From a real refresh ------------------------------------------------------------------


def test_a_refresh_puts_its_signals_on_the_owners_day(client, agent, north):
    as_of = NOW

    def order(customer, days, amount):
        Order.objects.create(
            customer=customer,
            placed_at=as_of - dt.timedelta(days=days),
            currency="USD",
            total_amount=Decimal(amount),
            total_cost=Decimal(0),
        )

    for _ in range(20):
        steady = CustomerFactory(owner=agent, team=north)
        for d in (20, 200, 400, 600):
            order(steady, d, 50)
        Interaction.objects.create(
            customer=steady, channel="phone", summary="x", occurred_at=as_of - dt.timedelta(days=5)
        )
    falling = CustomerFactory(owner=agent, team=north, given_name="Falling")
    for d in (400, 450, 500, 550, 700):
        order(falling, d, 1000)
    order(falling, 30, 300)
    refreshing.refresh(as_of=as_of)
    raised = Signal.objects.get(customer=falling, kind="buying_less")
    client.force_login(agent)
    page = client.get("/my-day/").content.decode()
    assert raised.task.title in page and "Buying less than usual" in page
    assert worklist.explanation(raised) in page


# --- The signals page -------------------------------------------------------------------


def signal_rows(response):
    assert response.status_code == 200, response.content[:2000]
    return re.findall(r'data-testid="signal-row" data-kind="([a-z_]+)"', response.content.decode())


def test_signals_page_lists_open_ones_newest_first_with_explanation_and_task(
    client, agent, north, north_customer, south_customer
):
    signal(
        north_customer,
        kind="silent",
        raised=ago(5),
        details={"days_since_interaction": 80, "days": 60},
    )
    signal(north_customer, kind="buying_less", raised=ago(1))
    signal(north_customer, kind="win_back", raised=ago(3), cleared=ago(2))
    signal(south_customer, kind="at_risk")
    client.force_login(agent)
    response = client.get("/signals/")
    assert signal_rows(response) == ["buying_less", "silent"]
    page = response.content.decode()
    assert "A most valuable customer with no interaction for 80 days" in page
    assert "Buying less than usual" in page and "Still open" in page
    assert ">Open</span>" in page  # the task's status


def test_signals_page_filters_by_kind_status_and_owner(
    client, manager, agent, north, north_customer
):
    mine = CustomerFactory(owner=manager, team=north)
    signal(north_customer, kind="silent", raised=ago(5))
    signal(north_customer, kind="win_back", raised=ago(3), cleared=ago(2))
    signal(mine, kind="at_risk", raised=ago(1))
    client.force_login(manager)
    assert signal_rows(client.get("/signals/?kind=silent")) == ["silent"]
    assert signal_rows(client.get("/signals/?status=cleared")) == ["win_back"]
    assert signal_rows(client.get("/signals/?status=all")) == ["at_risk", "win_back", "silent"]
    assert signal_rows(client.get("/signals/?owner=me")) == ["at_risk"]
    assert signal_rows(client.get(f"/signals/?owner={agent.pk}&status=all")) == [
        "win_back",
        "silent",
    ]
    # A bad value drops that filter only.
    assert signal_rows(client.get("/signals/?kind=nonsense&status=cleared")) == ["win_back"]
    page = client.get("/signals/?kind=cant_lose").content.decode()
    assert "No signal matches these filters" in page


def test_signals_page_walks_its_pages_with_a_cursor(client, admin, north):
    made = [
        signal(
            CustomerFactory(team=north),
            kind="silent",
            raised=ago(0, n),
            cleared=ago(0) if n % 2 else None,
        )
        for n in range(30)
    ]
    made += [signal(CustomerFactory(team=north), kind="win_back", raised=ago(0, 5))]  # a tie
    client.force_login(admin)
    page = client.get("/signals/?status=all").content.decode()
    seen = re.findall(r'id="signal-(\d+)"', page)
    assert len(seen) == 25 and "Older signals" in page
    while True:
        cursor = re.search(r'href="/signals/\?([^"]*cursor=[^"]+)"', page)
        if not cursor:
            break
        page = client.get(f"/signals/?{cursor.group(1).replace('&amp;', '&')}", **HTMX)
        page = page.content.decode()
        assert "<html" not in page
        seen += re.findall(r'id="signal-(\d+)"', page)
    assert sorted(map(int, seen)) == sorted(s.pk for s in made)
    assert len(seen) == len(set(seen))


def test_a_forged_cursor_says_so(client, agent):
    client.force_login(agent)
    response = client.get("/signals/?cursor=not-a-cursor")
    assert response.status_code == 422
    assert "start from the first page" in response.content.decode()


def test_signals_page_query_count_stays_flat(client, agent, north, django_assert_max_num_queries):
    def make(n):
        for _ in range(n):
            signal(CustomerFactory(owner=agent, team=north))

    make(1)
    client.force_login(agent)
    with django_assert_max_num_queries(10) as few:
        client.get("/signals/")
    make(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(signal_rows(client.get("/signals/"))) == 25


def test_signals_of_a_lead_in_many_teams_keep_to_what_they_see(client, north, south):
    lead = UserFactory(role=Role.AGENT, teams=[north])
    signal(CustomerFactory(team=north, owner=None), kind="silent")
    signal(CustomerFactory(team=south, owner=None), kind="at_risk")
    client.force_login(lead)
    assert signal_rows(client.get("/signals/")) == ["silent"]
