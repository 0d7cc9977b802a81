"""§四.2 "对因管理不善、工作失职给集体和群众造成经济损失的，按承诺书约定给予经济处罚和赔偿":
the sum the letter's own breach clause calls for, computed from the clause's data (issue #14).

A rule table, no database: ``penalty_amount`` and the economic-penalty proposal of ``assess``.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from jiannuo.accountability.rules import (
    DERELICTION,
    ECONOMIC_PENALTY,
    OBJECTIVE,
    POOR_MANAGEMENT,
    Loss,
    PostYear,
    assess,
    penalty_amount,
)


@pytest.mark.parametrize(
    ("loss", "share", "fixed", "expected"),
    [
        (D("20000"), D("10"), None, D("2000.00")),  # the example: 10% of 20,000
        (D("18600"), D("10"), None, D("1860.00")),
        (D("12345.67"), D("10"), None, D("1234.57")),  # rounded to the fen, half up
        (D("0.05"), D("10"), None, D("0.01")),
        (D("20000"), D("100"), None, D("20000.00")),
        (D("20000"), D("12.5"), None, D("2500.00")),
        (D("20000"), None, D("500"), D("500.00")),  # a fixed sum, whatever the loss
        (D("100"), None, D("500"), D("500.00")),
        (D("20000"), D("10"), D("500"), D("2000.00")),  # a share, if stated, decides
        (D("20000"), None, None, None),  # the clause states no sum: a person sets it
    ],
)
def test_penalty_is_the_clause_share_of_the_loss_or_its_fixed_sum(loss, share, fixed, expected):
    """§四.2: "按承诺书约定" — the letter's clause decides the sum."""
    assert penalty_amount(loss, share, fixed) == expected


def _post(*losses):
    return PostYear(
        "dan",
        "dir",
        "committee_director",
        "v1",
        "t1",
        2025,
        True,
        True,
        True,
        True,
        None,
        losses=tuple(losses),
    )


@pytest.mark.parametrize(
    ("loss", "proposed", "cited"),
    [
        (
            Loss(
                D("20000"), DERELICTION, "2", "失职", 1, D("10"), None, "按损失额的10%承担赔偿责任"
            ),
            "2000.00",
            "10",
        ),
        (
            Loss(D("20000"), POOR_MANAGEMENT, "C2", "管理不善", 2, None, D("800"), "赔偿800元"),
            "800.00",
            None,
        ),
        (Loss(D("20000"), DERELICTION, "2", "失职", 3), None, None),
    ],
)
def test_economic_penalty_proposes_the_computed_sum_citing_the_clause(loss, proposed, cited):
    """§四.2: the proposal carries the sum and the clause it comes from."""
    outcome = assess([_post(loss)])
    (p,) = [p for p in outcome.proposals if p.measure == ECONOMIC_PENALTY]
    assert p.clause == "§四.2"
    assert p.facts.get("proposed_amount") == proposed
    assert p.facts.get("clause_share") == cited
    text = p.reasons[0].explain()
    assert "%(" not in text
    if proposed:
        assert proposed in text and loss.breach_clause in text and loss.clause_measure in text


def test_objective_loss_proposes_nothing_whatever_the_clause():
    """§四.2 needs fault: a loss from an objective cause calls for no penalty."""
    loss = Loss(D("20000"), OBJECTIVE, "2", "暴雨", 4, D("10"), None, "按损失额的10%承担赔偿责任")
    assert assess([_post(loss)]).proposals == []
