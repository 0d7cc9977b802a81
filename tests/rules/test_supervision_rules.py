"""Following pledge fulfilment through the year (seed §五.3 加强督查)."""

from datetime import date, timedelta
from fractions import Fraction as F

import pytest
from django.utils.functional import Promise
from hypothesis import given
from hypothesis import strategies as st

from jiannuo.core.rules import INFO, WARN
from jiannuo.supervision.rules import (
    AT_RISK,
    DONE,
    OK,
    OVERDUE,
    WATCH,
    Item,
    elapsed_percent,
    quarterly_disclosure_due,
    rate_item,
    rate_many,
    reminders,
    rollup_progress,
)

# A 100-day item, so that the days elapsed are the percentage of time elapsed.
START = date(2025, 1, 1)
DEADLINE = START + timedelta(days=100)


def day(n):
    return START + timedelta(days=n)


def template(message):
    """The untranslated template of a lazy message, read without needing Django settings."""
    return message._args[0] if isinstance(message, Promise) else message


def assert_readable(finding):
    text = template(finding.message) % dict(finding.facts)
    assert "%(" not in text


def rate(progress, today, status="in_progress", open_findings=0, overdue_rectifications=0):
    return rate_item(
        progress_percent=progress,
        start=START,
        deadline=DEADLINE,
        today=today,
        status=status,
        open_findings=open_findings,
        overdue_rectifications=overdue_rectifications,
    )


@pytest.mark.parametrize(
    ("progress", "today", "status", "level", "rules"),
    [
        (50, day(50), "in_progress", OK, []),
        (41, day(50), "in_progress", OK, []),
        (40, day(50), "in_progress", WATCH, ["progress_lagging"]),
        (26, day(50), "in_progress", WATCH, ["progress_lagging"]),
        (25, day(50), "in_progress", AT_RISK, ["progress_lagging"]),
        (0, day(50), "in_progress", AT_RISK, ["progress_lagging"]),
        (90, day(50), "in_progress", OK, []),
        (0, day(0), "in_progress", OK, []),
        (0, START - timedelta(days=5), "in_progress", OK, []),
        (0, day(9), "in_progress", OK, []),
        (0, day(10), "in_progress", WATCH, ["progress_lagging"]),
        (100, DEADLINE, "in_progress", OK, []),
        (80, DEADLINE, "in_progress", WATCH, ["progress_lagging"]),
        (100, day(101), "in_progress", OVERDUE, ["past_deadline"]),
        (10, day(150), "not_fulfilled", OVERDUE, ["past_deadline"]),
        (100, day(150), "fulfilled", DONE, []),
        (30, day(50), "fulfilled", DONE, []),
    ],
)
def test_rate_item_compares_progress_with_time(progress, today, status, level, rules):
    """§五.3: the township follows fulfilment through the year — progress lagging elapsed time
    by ≥ 10 points → watch, ≥ 25 → at risk; past the deadline and not fulfilled → overdue;
    fulfilled → done."""
    risk = rate(progress, today, status)
    assert risk.level == level
    assert [r.rule for r in risk.reasons] == rules
    for r in risk.reasons:
        assert r.clause == "§五.3"
        assert_readable(r)


@pytest.mark.parametrize(
    ("progress", "today", "open_findings", "overdue_rect", "level"),
    [
        (50, day(50), 1, 0, WATCH),
        (40, day(50), 2, 0, AT_RISK),
        (20, day(50), 1, 0, AT_RISK),
        (50, day(50), 0, 1, AT_RISK),
        (40, day(50), 0, 1, AT_RISK),
        (50, day(50), 1, 1, AT_RISK),
        (50, day(120), 3, 2, OVERDUE),
    ],
)
def test_open_findings_and_overdue_rectifications_raise_the_level(
    progress, today, open_findings, overdue_rect, level
):
    """§五.3 (督查, 整改): open inspection findings raise the level one step; overdue
    rectifications make the item at least at risk; only the calendar makes it overdue."""
    risk = rate(progress, today, open_findings=open_findings, overdue_rectifications=overdue_rect)
    assert risk.level == level
    rules = {r.rule for r in risk.reasons}
    assert ("open_inspection_findings" in rules) is bool(open_findings)
    assert ("rectification_overdue" in rules) is bool(overdue_rect)


def test_fulfilled_item_stays_done_but_reports_open_rectifications():
    """§五.3: a fulfilled item is done; its open findings are still shown to the township."""
    risk = rate(100, day(50), "fulfilled", open_findings=1, overdue_rectifications=1)
    assert risk.level == DONE
    assert [(r.rule, r.severity) for r in risk.reasons] == [
        ("open_inspection_findings", INFO),
        ("rectification_overdue", WARN),
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"progress_percent": 101},
        {"progress_percent": -1},
        {"open_findings": -1},
        {"overdue_rectifications": -1},
        {"deadline": START - timedelta(days=1)},
    ],
)
def test_rate_item_refuses_impossible_input(kwargs):
    """§五.3: progress is a percentage and counts are never negative."""
    args = {
        "progress_percent": 50,
        "start": START,
        "deadline": DEADLINE,
        "today": day(50),
        "status": "in_progress",
        "open_findings": 0,
        "overdue_rectifications": 0,
        **kwargs,
    }
    with pytest.raises(ValueError):
        rate_item(**args)


@pytest.mark.parametrize(
    ("start", "deadline", "today", "expected"),
    [
        (START, DEADLINE, day(50), F(50)),
        (START, DEADLINE, day(-1), F(0)),
        (START, DEADLINE, day(200), F(100)),
        (START, START + timedelta(days=3), day(1), F(100, 3)),
        (START, START, START, F(100)),
    ],
)
def test_elapsed_percent(start, deadline, today, expected):
    """§五.3: time elapsed is measured exactly from the start to the deadline."""
    assert elapsed_percent(start, deadline, today) == expected


@pytest.mark.parametrize(
    ("levels", "level", "total"),
    [
        ([], OK, 0),
        ([DONE, DONE], DONE, 2),
        ([DONE, OK], OK, 2),
        ([OK, AT_RISK, WATCH], AT_RISK, 3),
        ([DONE, OVERDUE, AT_RISK, WATCH, OK], OVERDUE, 5),
    ],
)
def test_rate_many_takes_the_worst_level(levels, level, total):
    """§五.3: a cadre's or village's standing is its worst item, with counts per level."""
    rollup = rate_many(levels)
    assert (rollup.level, rollup.total) == (level, total)
    for lv in (DONE, OK, WATCH, AT_RISK, OVERDUE):
        assert rollup.counts[lv] == levels.count(lv)


def test_rate_many_refuses_an_unknown_level():
    """§五.3: levels are a fixed scale."""
    with pytest.raises(ValueError):
        rate_many([OK, "red"])


@pytest.mark.parametrize(
    ("progresses", "expected"),
    [
        ([100, 100], 100),
        ([100, 99], 99),
        ([0, 50, 100], 50),
        ([33, 33, 34], 33),
        ([0], 0),
        ([70], 70),
    ],
)
def test_rollup_progress_is_the_mean_of_member_items(progresses, expected):
    """§三.2: each member breaks the team pledge down; the team item's progress is the mean of
    its member items (rounded down)."""
    assert rollup_progress(progresses) == expected


@pytest.mark.parametrize("progresses", [[], [101], [-1, 50]])
def test_rollup_progress_refuses_nothing_or_impossible_values(progresses):
    """§三.2: a team item needs member items to roll up, each a percentage."""
    with pytest.raises(ValueError):
        rollup_progress(progresses)


@given(st.lists(st.integers(0, 100), min_size=1, max_size=30))
def test_rollup_progress_stays_within_its_members(progresses):
    """§三.2: the team's progress lies between its members' and is 100 only when all are."""
    result = rollup_progress(progresses)
    assert min(progresses) <= result <= max(progresses)
    assert (result == 100) == all(p == 100 for p in progresses)


TODAY = date(2025, 6, 15)


def test_reminders_list_overdue_then_near_deadline_with_little_progress():
    """§五.3: remind the village of items overdue and of items due soon with little done."""
    items = [
        Item("far-low", TODAY + timedelta(days=60), 0),
        Item("near-low", TODAY + timedelta(days=10), 20),
        Item("near-high", TODAY + timedelta(days=10), 80),
        Item("edge", TODAY + timedelta(days=14), 49),
        Item("past-edge", TODAY + timedelta(days=15), 0),
        Item("today", TODAY, 10),
        Item("late-2", TODAY - timedelta(days=2), 90),
        Item("late-30", TODAY - timedelta(days=30), 10),
        Item("done-late", TODAY - timedelta(days=30), 100, "fulfilled"),
        Item("at-50", TODAY + timedelta(days=3), 50),
    ]
    found = reminders(items, TODAY)
    assert [(r.item_id, r.kind, r.days) for r in found] == [
        ("late-30", "overdue", 30),
        ("late-2", "overdue", 2),
        ("today", "near_deadline", 0),
        ("near-low", "near_deadline", 10),
        ("edge", "near_deadline", 14),
    ]
    for r in found:
        assert r.finding.clause == "§五.3"
        assert_readable(r.finding)


def test_reminders_window_and_threshold_are_parameters():
    """§五.3: how early and at what progress to remind is the township's choice."""
    items = [Item("a", TODAY + timedelta(days=20), 70)]
    assert reminders(items, TODAY) == []
    assert [r.item_id for r in reminders(items, TODAY, near_days=30, little_progress_below=80)] == [
        "a"
    ]


@pytest.mark.parametrize(
    ("last", "today", "due"),
    [
        (None, date(2025, 5, 1), True),
        (date(2025, 4, 1), date(2025, 6, 30), False),
        (date(2025, 3, 31), date(2025, 4, 1), True),
        (date(2025, 1, 15), date(2025, 3, 31), False),
        (date(2024, 11, 1), date(2025, 1, 2), True),
        (date(2024, 12, 31), date(2025, 1, 1), True),
        (date(2025, 10, 1), date(2025, 12, 31), False),
        (date(2025, 7, 1), date(2025, 10, 1), True),
    ],
)
def test_quarterly_disclosure_due(last, today, due):
    """§三.4/§五.3 (村务公开): general village affairs are published at least once a quarter;
    a village owes this quarter's publication until it is made."""
    assert quarterly_disclosure_due(last, today) is due
