"""Thresholds at their boundaries, for any district setting (seed §四.3: "满意率不足60%" /
"不足50%"; DOMAIN.md: compare exactly — exactly 60% is not "below 60%"), and the case
workflow as data (DOMAIN.md "Due process")."""

from fractions import Fraction as F

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jiannuo.accountability import rules
from jiannuo.accountability.rules import (
    COMMITTEE_DIRECTOR,
    RESIGNATION,
    YELLOW_CARD,
    PolicySettings,
    PostYear,
    TeamYear,
    assess,
)

thresholds = st.one_of(
    st.integers(1, 100), st.fractions(1, 100, max_denominator=4).filter(lambda f: f > 0)
)


def member(satisfaction):
    return PostYear("bob", "m1", "member", "v1", "t1", 2025, True, True, True, True, satisfaction)


def got(outcome, measure, subject="post"):
    return any(p.measure == measure and p.subject == subject for p in outcome.proposals)


@given(
    yellow=thresholds,
    gap=st.fractions(F(1, 4), 60, max_denominator=4),
    valid=st.integers(1, 2000),
    data=st.data(),
)
def test_member_thresholds_are_exact_at_the_boundary(yellow, gap, valid, data):
    """§四.3: with any thresholds the district sets and any number of valid ballots, a yellow
    card comes exactly when satisfied × 100 < threshold × valid, a resignation demand exactly
    when below the lower line; a rate equal to a threshold is not below it."""
    resign = yellow - gap
    assume(resign >= 0)
    settings = PolicySettings(yellow_card_below=yellow, resignation_below=resign)
    # Pick satisfied counts at, just below and just above each boundary, and anywhere.
    edges = []
    for t in (yellow, resign):
        exact = t * valid / 100
        edges += [int(exact) - 1, int(exact), int(exact) + 1]
    satisfied = data.draw(
        st.one_of(st.sampled_from([e for e in edges if 0 <= e <= valid]), st.integers(0, valid))
    )
    rate = F(satisfied, valid)
    outcome = assess([member(rate)], settings=settings)
    assert got(outcome, YELLOW_CARD) == (satisfied * 100 < yellow * valid)
    assert got(outcome, RESIGNATION) == (satisfied * 100 < resign * valid)


@given(tens=st.integers(1, 200))
def test_exactly_sixty_and_fifty_percent_are_not_below(tens):
    """§四.3 defaults: 60% exactly → no yellow card; 50% exactly → no resignation."""
    valid = tens * 10
    sixty = assess([member(F(6 * valid // 10, valid))])
    fifty = assess([member(F(5 * valid // 10, valid))])
    assert not got(sixty, YELLOW_CARD)
    assert got(fifty, YELLOW_CARD) and not got(fifty, RESIGNATION)
    assert got(assess([member(F(5 * valid // 10 - 1, valid))]), RESIGNATION)


@given(threshold=thresholds, valid=st.integers(1, 1000), satisfied=st.integers(0, 1000))
def test_team_resignation_threshold_is_exact(threshold, valid, satisfied):
    """§四.3: "村班子…年度民主测评中群众满意率不足50%的,党支部书记和村委会主任要引咎辞职"."""
    assume(satisfied <= valid)
    settings = PolicySettings(yellow_card_below=100, resignation_below=min(threshold, F(199, 2)))
    rate = F(satisfied, valid)
    director = PostYear(
        "d", "dir", COMMITTEE_DIRECTOR, "v1", "t1", 2025, True, True, True, True, F(1)
    )
    team = TeamYear("v1", "t1", 2025, True, True, rate)
    outcome = assess([director], [team], settings=settings)
    expected = satisfied * 100 < settings.resignation_below * valid
    assert got(outcome, RESIGNATION) == expected


# --------------------------------------------------------------------------- the workflow


def reachable(start=rules.PROPOSED):
    seen, todo = {start}, [start]
    while todo:
        s = todo.pop()
        for (a, _action), b in rules.TRANSITIONS.items():
            if a == s and b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


def test_every_state_is_reachable_and_closed_states_are_final():
    assert reachable() == set(rules.CASE_STATES)
    for state in rules.CLOSED:
        assert not [k for k in rules.TRANSITIONS if k[0] == state]


def test_the_measure_stays_in_force_while_an_appeal_is_pending():
    """DOMAIN: "the measure stays in force while the appeal is pending"."""
    assert rules.next_state(rules.DECIDED, "appeal") == rules.APPEALED
    assert rules.APPEALED in rules.IN_FORCE
    assert rules.REVOKED not in rules.IN_FORCE


@pytest.mark.parametrize("measure", list(rules.CLAUSES))
def test_only_a_resignation_demand_needs_a_second_approver(measure):
    """DOMAIN: forced resignation needs two approvers."""
    assert rules.needs_second_approval(measure) is (measure == RESIGNATION)
    state = rules.next_state(rules.PROPOSED, rules.decide_action(measure))
    assert state == (rules.AWAITING_APPROVAL if measure == RESIGNATION else rules.DECIDED)


@pytest.mark.parametrize(
    ("post_kind", "allowed", "refused"),
    [
        ("committee_director", rules.RECALLED, rules.PARTY_PROCEDURE),
        ("committee_member", rules.TERMINATED_TWO_INCOMPETENT, rules.PARTY_PROCEDURE),
        ("branch_secretary", rules.PARTY_PROCEDURE, rules.RECALLED),
        ("branch_committee_member", rules.PARTY_PROCEDURE, rules.TERMINATED_TWO_INCOMPETENT),
    ],
)
def test_committee_posts_follow_the_legal_path_party_posts_party_procedure(
    post_kind, allowed, refused
):
    """组织法 Art. 11 (DOMAIN.md "The law limits removal"): no organisation removes an elected
    committee member; a resignation demand ends by accepted resignation, recall or two
    consecutive 不称职; a party post follows party procedure."""
    outcomes = rules.carry_out_outcomes(RESIGNATION, post_kind)
    assert allowed in outcomes and refused not in outcomes
    assert rules.RESIGNATION_ACCEPTED in outcomes


def test_one_case_key_per_person_post_year_and_measure():
    """DOMAIN: one card per person, post and year — a re-run finds the same key; a second loss
    of the same post-year is its own economic-penalty case."""
    from decimal import Decimal

    from jiannuo.accountability.rules import DERELICTION, Loss

    p = PostYear(
        "bob",
        "m1",
        "member",
        "v1",
        "t1",
        2025,
        True,
        True,
        True,
        False,
        F(40, 100),
        losses=(Loss(Decimal(5), DERELICTION, "2", loss_id=1), Loss(Decimal(6), DERELICTION, "2")),
    )
    first = rules.keyed(assess([p]).proposals)
    second = rules.keyed(assess([p]).proposals)
    assert list(first) == list(second)
    assert len(first) == len(set(first)) == 4
    assert "post:bob:m1:2025:economic_penalty:loss1" in first
    assert "post:bob:m1:2025:yellow_card" in first
