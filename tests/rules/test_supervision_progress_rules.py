"""Supervision rules added for progress reports, rectifications and adjustments (§五.3)."""

from datetime import date

import pytest
from django.utils import translation

from jiannuo.supervision import rules


@pytest.mark.parametrize(
    "status, percent, stored, rule",
    [
        ("fulfilled", None, 100, None),  # §五.3 fulfilled means 100%
        ("fulfilled", 100, 100, None),
        ("fulfilled", 99, 99, "fulfilled_not_100"),
        ("not_started", None, 0, None),
        ("not_started", 5, 5, "not_started_not_0"),
        ("in_progress", 0, 0, None),
        ("in_progress", 100, 100, None),
        ("in_progress", None, 0, "percent_missing"),
        ("in_progress", -1, -1, "percent_range"),
        ("not_fulfilled", 101, 101, "percent_range"),
        ("not_fulfilled", 40, 40, None),
        ("adjusted", 40, 0, "status_unknown"),  # only the township's approval adjusts
        ("", 40, 0, "status_unknown"),
    ],
)
def test_check_progress(status, percent, stored, rule):
    value, problems = rules.check_progress(status, percent)
    assert [p.rule for p in problems] == ([rule] if rule else [])
    assert all(p.clause == "§五.3" and p.blocking for p in problems)
    if not rule:
        assert value == stored


@pytest.mark.parametrize(
    "state, action, to",
    [
        ("open", "respond", "responded"),
        ("responded", "respond", "responded"),
        ("responded", "accept", "closed"),
        ("responded", "reject", "open"),
        ("open", "accept", None),  # nothing to sign off before the village answers
        ("closed", "respond", None),
        ("noted", "respond", None),
    ],
)
def test_rectification_workflow(state, action, to):
    assert rules.rect_next(state, action) == to


@pytest.mark.parametrize(
    "state, deadline, today, overdue",
    [
        ("open", date(2026, 4, 15), date(2026, 4, 15), False),  # the deadline day counts
        ("open", date(2026, 4, 15), date(2026, 4, 16), True),
        ("responded", date(2026, 4, 15), date(2026, 4, 16), True),  # not yet signed off
        ("closed", date(2026, 4, 15), date(2026, 5, 1), False),
        ("noted", None, date(2026, 5, 1), False),
    ],
)
def test_rectification_overdue(state, deadline, today, overdue):
    assert rules.rectification_overdue(state, deadline, today) is overdue


@pytest.mark.parametrize(
    "state, action, to",
    [
        ("requested", "approve", "approved"),
        ("requested", "reject", "rejected"),
        ("approved", "approve", None),
        ("rejected", "approve", None),
    ],
)
def test_adjustment_workflow(state, action, to):
    assert rules.adj_next(state, action) == to


@pytest.mark.parametrize(
    "watch_lag, at_risk_lag, level",
    [(10, 25, rules.WATCH), (5, 15, rules.AT_RISK), (30, 40, rules.OK)],
)
def test_lag_thresholds_are_parameters(watch_lag, at_risk_lag, level):
    """A district may set its own thresholds; 20 points behind here."""
    risk = rules.rate_item(
        progress_percent=30, start=date(2025, 1, 1), deadline=date(2025, 4, 11),
        today=date(2025, 2, 20), status="in_progress",
        watch_lag=watch_lag, at_risk_lag=at_risk_lag,
    )  # fmt: skip
    assert risk.level == level


def test_rollup_explained_in_words():
    roll = rules.rate_many(["done", "overdue", "watch", "watch"])
    finding = rules.explain_rollup(roll)
    assert finding.facts["total"] == 4 and finding.severity == "warn"
    with translation.override("en"):
        assert finding.explain() == (
            "4 items: 1 overdue, 0 at risk, 2 to watch, 0 on time, 1 fulfilled."
        )
