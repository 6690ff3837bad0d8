"""Signals: rules over the refreshed figures that tell the customer's owner to act, each
raised once per episode with a task that carries the reason and a due date.

An episode of a kind stays open while its condition holds; the first refresh in which it
no longer holds clears it, and the same kind is not raised again for the customer within
the cool-down. Detection and clearing are single statements over the metrics table;
only the new signals of a run (few, after the first) are turned into tasks row by row,
so that each task is worded in its assignee's language.

Later apps add kinds (complaints, detractors) through `register_signal_rule`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from patron.analytics import sql
from patron.analytics.models import (
    AbcClass,
    CustomerMetrics,
    RefreshRun,
    RfmSegment,
    Signal,
    ValueSettings,
    ValueTier,
)
from patron.analytics.shown import day as _date
from patron.analytics.shown import money as _money
from patron.analytics.shown import percent
from patron.interactions.models import Notification, Task

MONTH = dt.timedelta(days=30.44)


@dataclass(frozen=True)
class SignalRule:
    kind: str
    # SQL over the metrics row `m` (and the customer `cu`): the condition holds.
    holds: str
    # Extra SQL for raising it (a change such as "moved into"), on top of `holds`.
    raises: str = "1 = 1"
    # Figures kept with the signal: name -> SQL expression.
    details: dict[str, str] = field(default_factory=dict)
    due_days: int = 7
    priority: int = Task.Priority.NORMAL


RuleFactory = Callable[[ValueSettings, dict[str, Any], "Context"], SignalRule]
_FACTORIES: list[RuleFactory] = []


def register_signal_rule(factory: RuleFactory) -> None:
    """Add a kind of signal: `factory(settings, run stats, context)` returns its rule."""
    _FACTORIES.append(factory)


@dataclass(frozen=True)
class Context:
    as_of: dt.datetime
    params: list[Any] = field(default_factory=list)

    def value(self, value: Any) -> str:
        """A literal for the rule's SQL, passed as a parameter."""
        self.params.append(value)
        return "%s"


def _valuable(threshold: float | None) -> str:
    """Valuable: most valuable now, or A class, or spending at the A-class level in the
    12 months before or in a usual year."""
    if threshold is None:
        return "(m.value_tier = 'most_valuable' OR m.abc_class = 'A')"
    return (
        "(m.value_tier = 'most_valuable' OR m.abc_class = 'A'"
        f" OR m.revenue_prev_12m >= {threshold!r} OR m.usual_revenue >= {threshold!r})"
    )


def _a_threshold(stats: dict[str, Any]) -> float | None:
    low = stats.get("abc", {}).get("A", {}).get("lowest_revenue_12m")
    return float(low) if low is not None else None


@register_signal_rule
def _buying_less(vs: ValueSettings, stats: dict[str, Any], _c: Context) -> SignalRule:
    return SignalRule(
        Signal.Kind.BUYING_LESS,
        holds=f"{_valuable(_a_threshold(stats))} AND m.trend IS NOT NULL"
        f" AND m.trend < {float(vs.trend_below)!r}",
        details={
            "revenue_12m": "m.revenue_12m",
            "usual_revenue": "m.usual_revenue",
            "trend": "m.trend",
            "threshold": repr(float(vs.trend_below)),
        },
        due_days=7,
        priority=Task.Priority.HIGH,
    )


@register_signal_rule
def _win_back(vs: ValueSettings, stats: dict[str, Any], c: Context) -> SignalRule:
    since = c.as_of - vs.win_back_months * MONTH
    threshold = _a_threshold(stats)
    if threshold is None:
        valuable = "(m.abc_class = 'A')"
    else:
        valuable = f"(m.revenue_prev_12m >= {threshold!r} OR m.usual_revenue >= {threshold!r})"
    return SignalRule(
        Signal.Kind.WIN_BACK,
        holds=f"m.orders_12m = 0 AND m.last_order_at >= {c.value(sql.timestamp(since))}"
        f" AND {valuable}",
        details={
            "last_order_at": "m.last_order_at",
            "revenue_prev_12m": "m.revenue_prev_12m",
            "months": str(int(vs.win_back_months)),
        },
        due_days=14,
        priority=Task.Priority.HIGH,
    )


@register_signal_rule
def _silent(vs: ValueSettings, _stats: dict[str, Any], _c: Context) -> SignalRule:
    days = int(vs.silence_days)
    return SignalRule(
        Signal.Kind.SILENT,
        holds="m.value_tier = 'most_valuable'"
        f" AND (m.days_since_interaction IS NULL OR m.days_since_interaction > {days})",
        details={"days_since_interaction": "m.days_since_interaction", "days": str(days)},
        due_days=7,
    )


def _moved_into(kind: str, segment: str, due_days: int, priority: int) -> RuleFactory:
    def factory(_vs: ValueSettings, _stats: dict[str, Any], _c: Context) -> SignalRule:
        return SignalRule(
            kind,
            holds=f"m.rfm_segment = '{segment}'",
            # Only a move seen between two refreshes: the first refresh has no "before".
            raises=f"m.previous_rfm_segment <> '' AND m.previous_rfm_segment <> '{segment}'",
            details={"from": "m.previous_rfm_segment", "r": "m.r_score", "f": "m.f_score"},
            due_days=due_days,
            priority=priority,
        )

    return factory


register_signal_rule(_moved_into(Signal.Kind.AT_RISK, RfmSegment.AT_RISK, 3, Task.Priority.HIGH))
register_signal_rule(
    _moved_into(Signal.Kind.CANT_LOSE, RfmSegment.CANT_LOSE, 2, Task.Priority.URGENT)
)


def _json_object(details: dict[str, str]) -> str:
    pairs = ", ".join(f"'{name}', {expression}" for name, expression in details.items())
    if sql.is_postgres():
        return f"jsonb_build_object({pairs})"
    return f"json_object({pairs})"


def run_signals(run: RefreshRun, value_settings: ValueSettings, now: dt.datetime) -> dict:
    """Clear the episodes that ended, raise the new ones, give each new one a task."""
    metrics = CustomerMetrics._meta.db_table
    signals = Signal._meta.db_table
    cooldown = now - dt.timedelta(days=value_settings.signal_cooldown_days)
    counts: dict[str, dict[str, int]] = {}
    rules = []
    for factory in _FACTORIES:
        context = Context(as_of=run.as_of)
        rules.append((factory(value_settings, run.stats, context), context.params))
    with connection.cursor() as cursor:
        for rule, params in rules:
            cursor.execute(
                f"""UPDATE {signals} SET cleared_at = %s
                    WHERE kind = %s AND cleared_at IS NULL AND NOT EXISTS (
                        SELECT 1 FROM {metrics} m
                        WHERE m.customer_id = {signals}.customer_id AND {rule.holds})""",  # noqa: S608
                [sql.timestamp(now), rule.kind, *params],
            )
            cleared = cursor.rowcount
            cursor.execute(
                f"""INSERT INTO {signals} (customer_id, kind, raised_at, details, run_id)
                    SELECT m.customer_id, %s, %s, {_json_object(rule.details)}, %s
                    FROM {metrics} m
                    WHERE {rule.holds} AND {rule.raises}
                      AND NOT EXISTS (
                        SELECT 1 FROM {signals} s WHERE s.customer_id = m.customer_id
                        AND s.kind = %s AND (s.cleared_at IS NULL OR s.raised_at >= %s))
                """,  # noqa: S608
                [
                    rule.kind,
                    sql.timestamp(now),
                    run.pk,
                    *params,
                    rule.kind,
                    sql.timestamp(cooldown),
                ],
            )
            counts[rule.kind] = {"raised": cursor.rowcount, "cleared": cleared}
        if sum(c["raised"] for c in counts.values()) > 10_000:
            sql.analyze(signals)  # the task statements below plan on fresh statistics
    tasks = _tasks_for_new_signals(run, {rule.kind: rule for rule, _ in rules}, now)
    return {"kinds": counts, "tasks": tasks}


def _tasks_for_new_signals(run: RefreshRun, rules: dict[str, SignalRule], now: dt.datetime) -> int:
    """One INSERT ... SELECT per kind and owner language (a first refresh may raise a
    hundred thousand): the title and the rule in the owner's language; the customer's own
    figures are in the signal, shown with the task on the customer page."""
    signals, tasks = Signal._meta.db_table, Task._meta.db_table
    users, customers = "accounts_user", "customers_customer"
    as_text = "varchar" if sql.is_postgres() else "TEXT"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT DISTINCT s.kind, COALESCE(u.language, '') FROM {signals} s
                JOIN {customers} cu ON cu.id = s.customer_id
                LEFT JOIN {users} u ON u.id = cu.owner_id
                WHERE s.run_id = %s AND s.task_id IS NULL""",  # noqa: S608
            [run.pk],
        )
        groups = cursor.fetchall()
        created = 0
        for kind, language in groups:
            rule = rules.get(kind)
            due = now + dt.timedelta(days=rule.due_days if rule else 7)
            with translation.override(language or None):
                title, description = task_title(kind)[:200], task_description(kind)
            cursor.execute(
                f"""INSERT INTO {tasks} (title, description, customer_id, due_at, assignee_id,
                        priority, status, source, source_key, remind_at, version,
                        created_at, updated_at)
                    SELECT %s, %s, s.customer_id, %s, cu.owner_id, %s, %s, %s,
                           'signal:' || CAST(s.id AS {as_text}), %s, 1, %s, %s
                    FROM {signals} s
                    JOIN {customers} cu ON cu.id = s.customer_id
                    LEFT JOIN {users} u ON u.id = cu.owner_id
                    WHERE s.run_id = %s AND s.task_id IS NULL AND s.kind = %s
                      AND COALESCE(u.language, '') = %s""",  # noqa: S608
                [
                    title,
                    description,
                    sql.timestamp(due),
                    rule.priority if rule else Task.Priority.NORMAL,
                    Task.Status.OPEN,
                    Task.Source.SIGNAL,
                    sql.timestamp(due),
                    sql.timestamp(now),
                    sql.timestamp(now),
                    run.pk,
                    kind,
                    language,
                ],
            )
            created += cursor.rowcount
        if not created:
            return 0
        cursor.execute(
            f"""UPDATE {signals} SET task_id = (
                    SELECT t.id FROM {tasks} t
                    WHERE t.source_key = 'signal:' || CAST({signals}.id AS {as_text}))
                WHERE run_id = %s AND task_id IS NULL""",  # noqa: S608
            [run.pk],
        )
        cursor.execute(
            f"""SELECT cu.owner_id, COALESCE(u.language, ''), COUNT(*) FROM {signals} s
                JOIN {customers} cu ON cu.id = s.customer_id
                JOIN {users} u ON u.id = cu.owner_id
                WHERE s.run_id = %s GROUP BY cu.owner_id, u.language""",  # noqa: S608
            [run.pk],
        )
        per_owner = cursor.fetchall()
    notices = []
    my_day = reverse("worklist:my_day")
    for owner_id, language, count in per_owner:
        with translation.override(language or None):
            text = ngettext(
                "%(count)d new signal on your customers",
                "%(count)d new signals on your customers",
                count,
            ) % {"count": count}
        notices.append(
            Notification(
                recipient_id=owner_id, kind=Notification.Kind.SIGNALS, text=text, url=my_day
            )
        )
    Notification.objects.bulk_create(notices, batch_size=1000)
    return created


def task_description(kind: str) -> str:
    """The rule that raised a signal of `kind`, for its task (active language)."""
    texts = {
        Signal.Kind.BUYING_LESS: _(
            "A valuable customer bought much less in the last 12 months than in a usual "
            "year. Ask what changed; the figures are with the signal on the customer page."
        ),
        Signal.Kind.WIN_BACK: _(
            "A customer who bought like an A-class customer has not ordered for a year. "
            "Find out why and make them an offer worth coming back for."
        ),
        Signal.Kind.SILENT: _(
            "One of our most valuable customers has not heard from us for a long time. "
            "Call or meet them: ask how they are, not only what they need."
        ),
        Signal.Kind.AT_RISK: _(
            "A customer who used to buy often has not bought lately (RFM: At risk). "
            "Reach out before they drift away."
        ),
        Signal.Kind.CANT_LOSE: _(
            "One of our most frequent buyers has stopped buying (RFM: Can't lose them). "
            "Act now, personally."
        ),
        Signal.Kind.COMPLAINT: _(
            "One of our most valuable customers complained. You are their caretaker: call "
            "them today, make sure the complaint is resolved well, and keep in touch during "
            "the 30-day win-back window shown on the customer page."
        ),
        Signal.Kind.DETRACTOR: _(
            "This customer gave us a low score. Read what they said, call or write to them "
            "personally, and log your reply: the feedback loop closes only when they have "
            "been answered."
        ),
    }
    return str(texts.get(kind, ""))


def task_title(kind: str) -> str:
    titles = {
        Signal.Kind.BUYING_LESS: _("Find out why this valuable customer buys less"),
        Signal.Kind.WIN_BACK: _("Win back this valuable customer"),
        Signal.Kind.SILENT: _("Get in touch: a most valuable customer we have not spoken to"),
        Signal.Kind.AT_RISK: _("Reach out: this customer moved into At risk"),
        Signal.Kind.CANT_LOSE: _("Act now: a customer we can't lose is slipping away"),
        Signal.Kind.COMPLAINT: _("Call today: a most valuable customer complained"),
        Signal.Kind.DETRACTOR: _("Answer a customer who gave a low score"),
    }
    return str(titles.get(kind, _("Follow up on a signal")))


def explain(kind: str, details: dict[str, Any]) -> str:
    """Why the signal was raised, in the active language, from the figures it kept."""
    d = details
    if kind == Signal.Kind.BUYING_LESS:
        return _(
            "Bought %(revenue)s in the last 12 months against %(usual)s in a usual year "
            "(%(ratio)s of usual; the signal fires below %(threshold)s)."
        ) % {
            "revenue": _money(d.get("revenue_12m")),
            "usual": _money(d.get("usual_revenue")),
            "ratio": percent(d.get("trend"), places=2),
            "threshold": percent(d.get("threshold"), places=2),
        }
    if kind == Signal.Kind.WIN_BACK:
        return _(
            "No order in the last 12 months; the last was on %(date)s. They bought "
            "%(revenue)s in the 12 months before, as much as an A-class customer."
        ) % {
            "date": _date(d.get("last_order_at")),
            "revenue": _money(d.get("revenue_prev_12m")),
        }
    if kind == Signal.Kind.SILENT:
        if d.get("days_since_interaction") is None:
            return _("A most valuable customer with no interaction on record.")
        return _(
            "A most valuable customer with no interaction for %(days)s days "
            "(the signal fires after %(limit)s)."
        ) % {"days": d.get("days_since_interaction"), "limit": d.get("days")}
    if kind in (Signal.Kind.AT_RISK, Signal.Kind.CANT_LOSE):
        before = RfmSegment(d["from"]).label if d.get("from") in RfmSegment.values else "—"
        return _(
            "Moved from %(before)s into %(after)s: recency score %(r)s, frequency score %(f)s."
        ) % {
            "before": before,
            "after": RfmSegment.AT_RISK.label
            if kind == Signal.Kind.AT_RISK
            else RfmSegment.CANT_LOSE.label,
            "r": d.get("r"),
            "f": d.get("f"),
        }
    if kind == Signal.Kind.COMPLAINT:
        return _complaint_reason(d)
    if kind == Signal.Kind.DETRACTOR:
        return _detractor_reason(d)
    return ""


def _complaint_reason(d: dict[str, Any]) -> str:
    tier = d.get("tier")
    if tier == ValueTier.MOST_VALUABLE:
        who = _("A most valuable customer")
    elif d.get("abc") == AbcClass.A:
        who = _("An A-class customer")
    else:
        who = _("A valuable customer")
    text = _("%(who)s (%(revenue)s in the last 12 months) complained: “%(subject)s”.") % {
        "who": who,
        "revenue": _money(d.get("revenue_12m")),
        "subject": d.get("subject") or "—",
    }
    if d.get("caretaker"):
        text += " " + _("Caretaker: %(name)s.") % {"name": d["caretaker"]}
    return text


def _detractor_reason(d: dict[str, Any]) -> str:
    score, survey = d.get("score"), d.get("survey")
    if score is None:
        return _("Gave a low score in a survey.")
    if survey:
        return _("Gave a score of %(score)s in the survey “%(survey)s”.") % {
            "score": score,
            "survey": survey,
        }
    return _("Gave a score of %(score)s in a survey.") % {"score": score}
