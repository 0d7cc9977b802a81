"""Following pledge fulfilment through the year (seed §五.3 加强督查).

Plain Python: no ORM, no settings. The township does not wait for the year-end assessment: it
compares each pledged item's progress with the time elapsed towards its deadline, and watches
open inspection findings and overdue rectifications.

Levels, best first: ``done`` (fulfilled), ``ok``, ``watch``, ``at_risk``, ``overdue``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from jiannuo.core.rules import INFO, WARN, Finding

CLAUSE = "§五.3"

DONE = "done"
OK = "ok"
WATCH = "watch"
AT_RISK = "at_risk"
OVERDUE = "overdue"
LEVELS = (DONE, OK, WATCH, AT_RISK, OVERDUE)  # best first

FULFILLED = "fulfilled"

# Progress lagging elapsed time by at least this many percentage points (district settings).
WATCH_LAG = 10
AT_RISK_LAG = 25


@dataclass(frozen=True)
class Risk:
    level: str
    reasons: tuple[Finding, ...] = ()


def _worse(level: str, other: str) -> str:
    return max(level, other, key=LEVELS.index)


def _raise_one(level: str) -> str:
    """One step worse, but never to ``overdue``: only the calendar makes an item overdue."""
    if level in (OK, WATCH):
        return LEVELS[LEVELS.index(level) + 1]
    return level


def elapsed_percent(start: date, deadline: date, today: date) -> Fraction:
    """Share of the time from ``start`` to ``deadline`` that has passed, 0–100, exactly."""
    if today >= deadline:
        return Fraction(100)
    if today <= start:
        return Fraction(0)
    return Fraction((today - start).days * 100, (deadline - start).days)


def rate_item(
    *,
    progress_percent: int,
    start: date,
    deadline: date,
    today: date,
    status: str,
    open_findings: int = 0,
    overdue_rectifications: int = 0,
    watch_lag: int = WATCH_LAG,
    at_risk_lag: int = AT_RISK_LAG,
) -> Risk:
    """How one pledged item stands on ``today``.

    Fulfilled → ``done``. Past the deadline (the deadline day itself still counts) and not
    fulfilled → ``overdue``. Otherwise progress lagging the elapsed time by ≥ 25 points →
    ``at_risk``, by ≥ 10 → ``watch``, else ``ok``. Open inspection findings raise the level
    one step; overdue rectifications make it at least ``at_risk``. For a fulfilled item they
    are still reported as reasons but do not change ``done``.
    """
    if not 0 <= progress_percent <= 100:
        raise ValueError(f"progress must be 0–100, not {progress_percent}")
    if open_findings < 0 or overdue_rectifications < 0:
        raise ValueError("counts cannot be negative")
    if deadline < start:
        raise ValueError("the deadline cannot precede the start")

    reasons: list[Finding] = []
    level = OK
    if status == FULFILLED:
        level = DONE
    elif today > deadline:
        level = OVERDUE
        reasons.append(
            Finding(
                "past_deadline",
                CLAUSE,
                _(
                    "The deadline %(deadline)s passed %(days)s days ago and the item is not "
                    "fulfilled (progress %(progress)s%%)."
                ),
                {
                    "deadline": deadline.isoformat(),
                    "days": (today - deadline).days,
                    "progress": progress_percent,
                },
                WARN,
            )
        )
    else:
        elapsed = elapsed_percent(start, deadline, today)
        lag = elapsed - progress_percent
        facts = {
            "progress": progress_percent,
            "elapsed": int(elapsed),
            "lag": int(lag),
            "deadline": deadline.isoformat(),
        }
        if lag >= at_risk_lag:
            level = AT_RISK
        elif lag >= watch_lag:
            level = WATCH
        if level != OK:
            reasons.append(
                Finding(
                    "progress_lagging",
                    CLAUSE,
                    _(
                        "Progress is %(progress)s%% while %(elapsed)s%% of the time to "
                        "%(deadline)s has passed, %(lag)s points behind."
                    ),
                    facts,
                    WARN if level == AT_RISK else INFO,
                )
            )
    if open_findings:
        if level != DONE:
            level = _raise_one(level)
        reasons.append(
            Finding(
                "open_inspection_findings",
                CLAUSE,
                _("%(count)s inspection findings on this item are still open."),
                {"count": open_findings},
                INFO if level == DONE else WARN,
            )
        )
    if overdue_rectifications:
        if level != DONE:
            level = _worse(level, AT_RISK)
        reasons.append(
            Finding(
                "rectification_overdue",
                CLAUSE,
                _("%(count)s rectifications on this item are past their deadline."),
                {"count": overdue_rectifications},
                WARN,
            )
        )
    return Risk(level, tuple(reasons))


@dataclass(frozen=True)
class RollUp:
    """The worst level of a cadre's or village's items, with how many items are at each."""

    level: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def rate_many(levels: Iterable[str]) -> RollUp:
    """Roll item levels up to one level: the worst. No items at all → ``ok``."""
    counts = dict.fromkeys(LEVELS, 0)
    for level in levels:
        if level not in counts:
            raise ValueError(f"unknown level: {level!r}")
        counts[level] += 1
    present = [lv for lv in LEVELS if counts[lv]]
    return RollUp(present[-1] if present else OK, counts)


def rollup_progress(member_progresses: Iterable[int]) -> int:
    """A team item's progress: the mean of the member items that break it down, rounded down.

    Rounding down keeps the team item below 100% until every member item is at 100%.
    With no member items there is nothing to compute from: ``ValueError``.
    """
    values = list(member_progresses)
    if not values:
        raise ValueError("a team item with no member items has no computed progress")
    if any(not 0 <= v <= 100 for v in values):
        raise ValueError("progress must be 0–100")
    return sum(values) // len(values)


class TrackedItem(Protocol):
    item_id: Any
    deadline: date
    progress_percent: int
    status: str


@dataclass(frozen=True)
class Item:
    """A plain pledged item for ``reminders``; any object with these attributes will do."""

    item_id: Any
    deadline: date
    progress_percent: int
    status: str = "in_progress"


OVERDUE_REMINDER = "overdue"
NEAR_DEADLINE_REMINDER = "near_deadline"


@dataclass(frozen=True)
class Reminder:
    item_id: Any
    kind: str
    deadline: date
    days: int  # days past the deadline (overdue) or left until it (near_deadline)
    progress_percent: int
    finding: Finding


def reminders(
    items: Iterable[TrackedItem],
    today: date,
    near_days: int = 14,
    little_progress_below: int = 50,
) -> list[Reminder]:
    """Items to remind about on ``today``: overdue ones first, then those due within
    ``near_days`` days with progress below ``little_progress_below`` percent; each group by
    deadline. Fulfilled items never need a reminder.
    """
    overdue: list[Reminder] = []
    near: list[Reminder] = []
    for item in items:
        if item.status == FULFILLED:
            continue
        days_left = (item.deadline - today).days
        if days_left < 0:
            facts = {
                "deadline": item.deadline.isoformat(),
                "days": -days_left,
                "progress": item.progress_percent,
            }
            overdue.append(
                Reminder(
                    item.item_id,
                    OVERDUE_REMINDER,
                    item.deadline,
                    -days_left,
                    item.progress_percent,
                    Finding(
                        "reminder_overdue",
                        CLAUSE,
                        _(
                            "Overdue by %(days)s days (deadline %(deadline)s) at "
                            "%(progress)s%% progress."
                        ),
                        facts,
                        WARN,
                    ),
                )
            )
        elif days_left <= near_days and item.progress_percent < little_progress_below:
            facts = {
                "deadline": item.deadline.isoformat(),
                "days": days_left,
                "progress": item.progress_percent,
            }
            near.append(
                Reminder(
                    item.item_id,
                    NEAR_DEADLINE_REMINDER,
                    item.deadline,
                    days_left,
                    item.progress_percent,
                    Finding(
                        "reminder_near_deadline",
                        CLAUSE,
                        _(
                            "Due in %(days)s days (deadline %(deadline)s) but only "
                            "%(progress)s%% done."
                        ),
                        facts,
                        INFO,
                    ),
                )
            )
    overdue.sort(key=lambda r: r.deadline)
    near.sort(key=lambda r: r.deadline)
    return overdue + near


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarterly_disclosure_due(last_disclosure: date | None, today: date) -> bool:
    """Whether the village still owes this calendar quarter's publication of general affairs.

    General village affairs are published at least once a quarter (村民委员会组织法 2018, Art. 30):
    due when nothing has been published since the current quarter began.
    """
    return last_disclosure is None or last_disclosure < quarter_start(today)


# --- Progress reports (§五.3 "及时了解和掌握各项承诺内容的履行情况") --------------------------------

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
NOT_FULFILLED = "not_fulfilled"
ADJUSTED = "adjusted"
#: Statuses a cadre reports; ``adjusted`` comes only from an approved adjustment (§五.3).
STATUSES = (NOT_STARTED, IN_PROGRESS, FULFILLED, NOT_FULFILLED, ADJUSTED)
REPORTABLE = (NOT_STARTED, IN_PROGRESS, FULFILLED, NOT_FULFILLED)


def check_progress(status: str, percent: int | None) -> tuple[int, list[Finding]]:
    """The percentage to store for a reported ``status``, or the findings that refuse it.

    A fulfilled item is 100% (an empty percentage means 100); a not-started one is 0%;
    otherwise the percentage must be given, 0–100.
    """
    from jiannuo.core.rules import BLOCK

    problems: list[Finding] = []
    if status not in REPORTABLE:
        problems.append(
            Finding(
                "status_unknown",
                CLAUSE,
                _("Choose one of the statuses a cadre may report."),
                {"status": status},
                BLOCK,
            )
        )
        return 0, problems
    if percent is None:
        if status == FULFILLED:
            return 100, []
        if status == NOT_STARTED:
            return 0, []
        problems.append(
            Finding("percent_missing", CLAUSE, _("Give the percentage done, 0–100."), {}, BLOCK)
        )
        return 0, problems
    if not 0 <= percent <= 100:
        problems.append(
            Finding(
                "percent_range",
                CLAUSE,
                _("The percentage must be between 0 and 100, not %(percent)s."),
                {"percent": percent},
                BLOCK,
            )
        )
    elif status == FULFILLED and percent != 100:
        problems.append(
            Finding(
                "fulfilled_not_100",
                CLAUSE,
                _("A fulfilled item is 100%% done, not %(percent)s%%."),
                {"percent": percent},
                BLOCK,
            )
        )
    elif status == NOT_STARTED and percent != 0:
        problems.append(
            Finding(
                "not_started_not_0",
                CLAUSE,
                _("An item not started is 0%% done, not %(percent)s%%."),
                {"percent": percent},
                BLOCK,
            )
        )
    return percent, problems


# --- Inspections and rectifications (督查 / 整改) ------------------------------------------------

RECT_OPEN = "open"
RECT_RESPONDED = "responded"
RECT_CLOSED = "closed"
RECT_NONE = "noted"  # a finding that asks for no rectification
RECT_STATES = (RECT_OPEN, RECT_RESPONDED, RECT_CLOSED, RECT_NONE)
#: The rectification workflow as data: (state, action) → next state.
RECT_TRANSITIONS = {
    (RECT_OPEN, "respond"): RECT_RESPONDED,
    (RECT_RESPONDED, "respond"): RECT_RESPONDED,
    (RECT_RESPONDED, "accept"): RECT_CLOSED,
    (RECT_RESPONDED, "reject"): RECT_OPEN,
}
#: Findings still "open" for the risk rating: not yet signed off by the township.
RECT_UNRESOLVED = (RECT_OPEN, RECT_RESPONDED)


def rect_next(state: str, action: str) -> str | None:
    """The next state of a rectification, or None when ``action`` is not allowed now."""
    return RECT_TRANSITIONS.get((state, action))


def rectification_overdue(state: str, deadline: date | None, today: date) -> bool:
    """A rectification not signed off whose deadline has passed (the deadline day counts)."""
    return state in RECT_UNRESOLVED and deadline is not None and today > deadline


# --- Adjustment for objective reasons (§五.3; DOMAIN.md "a change is a new version") ----------

ADJ_REQUESTED = "requested"
ADJ_APPROVED = "approved"
ADJ_REJECTED = "rejected"
ADJ_TRANSITIONS = {
    (ADJ_REQUESTED, "approve"): ADJ_APPROVED,
    (ADJ_REQUESTED, "reject"): ADJ_REJECTED,
}


def adj_next(state: str, action: str) -> str | None:
    return ADJ_TRANSITIONS.get((state, action))


# --- Roll-ups for people and places -------------------------------------------------------------


def explain_rollup(rollup: RollUp) -> Finding:
    """A cadre's or village's level in words: how many items stand at each level."""
    c = rollup.counts
    return Finding(
        "rollup",
        CLAUSE,
        _(
            "%(total)s items: %(overdue)s overdue, %(at_risk)s at risk, %(watch)s to watch, "
            "%(ok)s on time, %(done)s fulfilled."
        ),
        {
            "total": rollup.total,
            "overdue": c.get(OVERDUE, 0),
            "at_risk": c.get(AT_RISK, 0),
            "watch": c.get(WATCH, 0),
            "ok": c.get(OK, 0),
            "done": c.get(DONE, 0),
        },
        WARN if rollup.level in (AT_RISK, OVERDUE) else INFO,
    )
