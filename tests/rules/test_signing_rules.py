"""Table tests for the signing and custody rules (seed §三.4–5). No database.

The cast: Deng, the township's deputy secretary (Party A of the team letter); Zhang, branch
secretary; Wang, committee director; Li, under 一肩挑 both secretary and director of another
village; Zhao, a team member; Qian and Sun, party-member representatives; Zhou and Wu,
villager representatives; Mallory, who holds no role and must be refused.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiannuo.core.rules import BLOCK, INFO
from jiannuo.signing import rules
from jiannuo.signing.rules import (
    Signatory,
    Signature,
    check_vote,
    copies,
    copy_label,
    is_archived,
    may_sign,
    missing_signatures,
    required_signatories,
    vote_passes,
)

TEAM = required_signatories(
    "team", township_deputy_secretary="deng", branch_secretary="zhang", committee_director="wang"
)
TEAM_DUAL = required_signatories(
    "team", township_deputy_secretary="deng", branch_secretary="li", committee_director="li"
)
MEMBER = required_signatories("member", cadre="zhao", party_rep_count=2, villager_rep_count=1)
SECRETARY = required_signatories("secretary", branch_secretary="zhang")


# --- §三.4: who signs -----------------------------------------------------------------------


def test_team_letter_signed_by_deputy_secretary_secretary_and_director():
    """§三.4: 镇党委副书记代表甲方, 村党支部书记和村委会主任代表乙方签字."""
    assert TEAM == (
        Signatory("A", "township_deputy_secretary", "deng"),
        Signatory("B", "branch_secretary", "zhang"),
        Signatory("B", "committee_director", "wang"),
    )


def test_dual_post_signs_the_team_letter_once_in_both_roles():
    """§三.4 with 一肩挑: one person holding both posts signs Party B once, for both."""
    assert TEAM_DUAL == (
        Signatory("A", "township_deputy_secretary", "deng"),
        Signatory("B", "branch_secretary", "li", ("committee_director",)),
    )
    assert TEAM_DUAL[1].roles == ("branch_secretary", "committee_director")


@pytest.mark.parametrize(
    ("kind", "people", "party_b"),
    [
        ("secretary", {"branch_secretary": "zhang"}, Signatory("B", "branch_secretary", "zhang")),
        ("secretary", {"cadre": "zhang"}, Signatory("B", "branch_secretary", "zhang")),
        ("member", {"cadre": "zhao"}, Signatory("B", "member", "zhao")),
    ],
)
def test_own_letters_signed_by_representatives_and_the_cadre(kind, people, party_b):
    """§三.4: 党员的代表和村民代表作为甲方签字, 本人作为乙方签字."""
    signatories = required_signatories(kind, party_rep_count=2, villager_rep_count=3, **people)
    assert [(s.party, s.role, s.person_id) for s in signatories[:-1]] == [
        ("A", "party_member_rep", None),
        ("A", "party_member_rep", None),
        ("A", "villager_rep", None),
        ("A", "villager_rep", None),
        ("A", "villager_rep", None),
    ]
    assert signatories[-1] == party_b


@pytest.mark.parametrize(
    ("kind", "people"),
    [
        ("team", {"branch_secretary": "zhang", "committee_director": "wang"}),
        ("team", {"township_deputy_secretary": "deng", "committee_director": "wang"}),
        ("team", {"township_deputy_secretary": "deng", "branch_secretary": "zhang"}),
        ("member", {}),
        ("secretary", {}),
        ("secretary", {"branch_secretary": "zhang", "cadre": "zhao"}),
        ("member", {"cadre": "zhao", "party_rep_count": 0}),
        ("member", {"cadre": "zhao", "villager_rep_count": 0}),
        ("committee", {"cadre": "zhao"}),
    ],
)
def test_incomplete_signatory_list_is_refused(kind, people):
    """§三.4: every party named by the seed must be present before a letter can be signed."""
    with pytest.raises(ValueError):
        required_signatories(kind, **people)


@pytest.mark.parametrize(
    ("required", "given", "missing"),
    [
        (TEAM, [("deng", "township_deputy_secretary"), ("zhang", "branch_secretary")], ["wang"]),
        (
            TEAM,
            [
                ("deng", "township_deputy_secretary"),
                ("zhang", "branch_secretary"),
                ("wang", "committee_director"),
            ],
            [],
        ),
        (
            TEAM,
            [("zhang", "committee_director"), ("wang", "branch_secretary")],
            ["deng", "zhang", "wang"],
        ),
        (TEAM_DUAL, [("deng", "township_deputy_secretary"), ("li", "branch_secretary")], []),
        (TEAM_DUAL, [("deng", "township_deputy_secretary"), ("li", "committee_director")], []),
        (TEAM_DUAL, [("li", "branch_secretary")], ["deng"]),
        (MEMBER, [], [None, None, None, "zhao"]),
        (
            MEMBER,
            [Signature("qian", "party_member_rep"), Signature("zhou", "villager_rep")],
            [None, "zhao"],
        ),
        (
            MEMBER,
            [
                ("qian", "party_member_rep"),
                ("qian", "party_member_rep"),
                ("zhou", "villager_rep"),
                ("zhao", "member"),
            ],
            [None],
        ),
        (
            MEMBER,
            [
                ("qian", "party_member_rep"),
                ("zhao", "party_member_rep"),
                ("zhou", "villager_rep"),
                ("zhao", "member"),
            ],
            [None],
        ),
        (
            MEMBER,
            [
                ("qian", "party_member_rep"),
                ("sun", "party_member_rep"),
                ("zhou", "villager_rep"),
                ("zhao", "member"),
            ],
            [],
        ),
    ],
)
def test_missing_signatures(required, given, missing):
    """§三.4 当场签订: the letter is signed when every party has signed in its role."""
    assert [s.person_id for s in missing_signatures(required, given)] == missing


def test_missing_representative_slot_names_its_role():
    """§三.4 分别签字: party-member and villager representatives are counted apart."""
    result = missing_signatures(MEMBER, [("qian", "party_member_rep"), ("sun", "party_member_rep")])
    assert [(s.party, s.role) for s in result] == [("A", "villager_rep"), ("B", "member")]


@pytest.mark.parametrize(
    ("required", "person", "role", "given", "rule"),
    [
        (TEAM, "deng", "township_deputy_secretary", [], None),
        (TEAM, "zhang", "branch_secretary", [], None),
        (TEAM, "mallory", "township_deputy_secretary", [], "signing.wrong_person"),
        (TEAM, "wang", "branch_secretary", [], "signing.wrong_person"),
        (TEAM, "qian", "party_member_rep", [], "signing.role_not_on_letter"),
        (TEAM, "zhao", "member", [], "signing.role_not_on_letter"),
        (TEAM_DUAL, "li", "committee_director", [], None),
        (
            TEAM_DUAL,
            "li",
            "committee_director",
            [("li", "branch_secretary")],
            "signing.already_signed",
        ),
        (MEMBER, "zhao", "member", [], None),
        (MEMBER, "qian", "party_member_rep", [], None),
        (MEMBER, "zhou", "villager_rep", [("qian", "party_member_rep")], None),
        (MEMBER, "mallory", "member", [], "signing.wrong_person"),
        (MEMBER, "zhao", "villager_rep", [], "signing.party_conflict"),
        (MEMBER, "qian", "villager_rep", [("qian", "party_member_rep")], "signing.already_signed"),
        (MEMBER, "wu", "villager_rep", [("zhou", "villager_rep")], "signing.no_open_slot"),
        (MEMBER, "deng", "township_deputy_secretary", [], "signing.role_not_on_letter"),
        (SECRETARY, "zhang", "branch_secretary", [], None),
        (SECRETARY, "zhang", "party_member_rep", [], "signing.party_conflict"),
    ],
)
def test_only_the_right_person_may_sign(required, person, role, given, rule):
    """§三.4: each party signs in its own role; anyone else is refused."""
    finding = may_sign(required, person, role, given=given)
    assert (finding.rule if finding else None) == rule
    if finding:
        assert finding.severity == BLOCK
        assert finding.clause == "§三.4"
        assert finding.facts["person_id"] == person


# --- §三.5: originals and custody -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "custodians"),
    [
        ("team", ("township", "branch")),
        ("secretary", ("township", "branch", "cadre")),
        ("member", ("township", "branch", "cadre")),
    ],
)
def test_number_of_originals_and_their_custodians(kind, custodians):
    """§三.5: 《村班子任职承诺书》一式两份; 《村班子成员任职承诺书》一式三份."""
    assert copies(kind) == custodians


def test_unknown_letter_has_no_copies():
    """§三.5: only the seed's letters are printed."""
    with pytest.raises(ValueError):
        copies("committee")


@pytest.mark.parametrize(
    ("i", "n", "label"),
    [(1, 2, "第 1 份 / 共 2 份"), (2, 2, "第 2 份 / 共 2 份"), (3, 3, "第 3 份 / 共 3 份")],
)
def test_copy_label(i, n, label):
    """§三.5: each original is numbered "第 i 份 / 共 n 份"."""
    assert copy_label(i, n) == label


@pytest.mark.parametrize(("i", "n"), [(0, 2), (3, 2), (-1, 3)])
def test_copy_label_out_of_range(i, n):
    """§三.5: there is no original outside 1..n."""
    with pytest.raises(ValueError):
        copy_label(i, n)


@pytest.mark.parametrize(
    ("total", "receipts", "archived"),
    [
        (2, [1, 2], True),
        (2, [2, 1], True),
        (2, [1], False),
        (2, [], False),
        (3, [1, 2], False),
        (3, [1, 1, 2], False),
        (3, [3, 2, 1], True),
    ],
)
def test_archived_once_every_original_has_a_receipt(total, receipts, archived):
    """§三.5 妥善保管: archived only when every original is receipted by its custodian."""
    assert is_archived(total, receipts) is archived


@pytest.mark.parametrize(("total", "receipts"), [(2, [1, 3]), (3, [0]), (0, [])])
def test_receipt_for_a_copy_that_does_not_exist(total, receipts):
    """§三.5: a receipt must name one of the letter's originals."""
    with pytest.raises(ValueError):
        is_archived(total, receipts)


# --- §三.4: the ceremony vote ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("for_", "against", "abstain", "present", "rule", "passes"),
    [
        (5, 4, 1, 10, "more_than_half_present", False),
        (6, 3, 1, 10, "more_than_half_present", True),
        (5, 4, 0, 9, "more_than_half_present", True),
        (4, 5, 0, 9, "more_than_half_present", False),
        (5, 0, 0, 10, "more_than_half_present", False),
        (4, 3, 0, 10, "more_than_half_votes_cast", True),
        (4, 4, 0, 10, "more_than_half_votes_cast", False),
        (4, 3, 1, 10, "more_than_half_votes_cast", False),
        (0, 0, 0, 10, "more_than_half_votes_cast", False),
        (6, 3, 0, 9, "two_thirds_present", True),
        (5, 4, 0, 9, "two_thirds_present", False),
        (7, 3, 0, 10, "two_thirds_present", True),
        (6, 4, 0, 10, "two_thirds_present", False),
        (2, 1, 0, 3, "two_thirds_present", True),
    ],
)
def test_vote_passes(for_, against, abstain, present, rule, passes):
    """§三.4 表决通过: exact integer thresholds; exactly half is not more than half."""
    assert vote_passes(for_, against, abstain, present, rule=rule) is passes


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_default_vote_rule_agrees_with_exact_fractions(case):
    """§三.4: more than half of those present, for every possible attendance."""
    for_, present = case
    assert vote_passes(for_, present - for_, 0, present) == (Fraction(for_, present) > 0.5)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((3, 2, 0, 5), []),
        ((3, 1, 0, 5), [("signing.vote_not_all_cast", INFO)]),
        ((3, 2, 1, 5), [("signing.vote_exceeds_present", BLOCK)]),
        ((0, 0, 0, 0), [("signing.vote_no_attendees", BLOCK)]),
        ((-1, 0, 0, 5), [("signing.vote_negative", BLOCK)]),
        ((1, -1, -2, 5), [("signing.vote_negative", BLOCK), ("signing.vote_negative", BLOCK)]),
        ((0, 0, 0, -3), [("signing.vote_negative", BLOCK)]),
    ],
)
def test_check_vote(counts, expected):
    """§三.4: more votes than attendees, or a negative count, is an error."""
    assert [(f.rule, f.severity) for f in check_vote(*counts)] == expected


def test_vote_count_error_names_the_numbers():
    """§三.4: the finding says how many votes and attendees there were."""
    (finding,) = check_vote(6, 0, 0, 5)
    assert (finding.facts["cast"], finding.facts["present"]) == (6, 5)
    (negative,) = check_vote(3, -1, 0, 5)
    assert (negative.facts["field"], negative.facts["value"]) == ("against", -1)


@pytest.mark.parametrize(
    ("counts", "rule"),
    [
        ((6, 0, 0, 5), "more_than_half_present"),
        ((-1, 0, 0, 5), "more_than_half_present"),
        ((0, 0, 0, 0), "two_thirds_present"),
        ((3, 0, 0, 5), "unanimous"),
    ],
)
def test_impossible_vote_cannot_pass(counts, rule):
    """§三.4: a tally that check_vote blocks, or an unknown rule, decides nothing."""
    with pytest.raises(ValueError):
        vote_passes(*counts, rule=rule)


def test_every_rule_id_has_a_clause():
    """§三.4–5: each finding names the seed clause it applies."""
    assert set(rules.RULES.values()) == {"§三.4"}
