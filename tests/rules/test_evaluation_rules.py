"""The democratic evaluation and the annual grade (seed §三.6, §四.1, §四.3; DOMAIN.md defaults)."""

from decimal import Decimal
from fractions import Fraction as F

import pytest
from django.utils.functional import Promise
from hypothesis import given
from hypothesis import strategies as st

from jiannuo.core.rules import INFO, WARN
from jiannuo.evaluation.rules import (
    ABSTAIN,
    BASICALLY_COMPETENT,
    BASICALLY_SATISFIED,
    COMPETENT,
    DISSATISFIED,
    EXCELLENT,
    INCOMPETENT,
    REPRESENTATIVES_MEETING,
    SATISFIED,
    VILLAGERS_MEETING,
    GradeScheme,
    SatisfactionSettings,
    check_tally,
    format_percent,
    format_threshold,
    grade,
    is_below,
    quorum,
    satisfaction_rate,
)


def template(message):
    """The untranslated template of a lazy message, read without needing Django settings."""
    return message._args[0] if isinstance(message, Promise) else message


def assert_readable(finding_or_decision):
    """Every placeholder of the message is filled by the facts (KeyError otherwise)."""
    text = template(finding_or_decision.message) % dict(finding_or_decision.facts)
    assert "%(" not in text


def counts(sat=0, basic=0, dis=0, abstain=0):
    return {SATISFIED: sat, BASICALLY_SATISFIED: basic, DISSATISFIED: dis, ABSTAIN: abstain}


EXCLUDE_ABSTAIN = SatisfactionSettings(denominator=(SATISFIED, BASICALLY_SATISFIED, DISSATISFIED))
ONLY_SATISFIED = SatisfactionSettings(numerator=(SATISFIED,))


# --------------------------------------------------------------------------- satisfaction rate


@pytest.mark.parametrize(
    ("ballots", "settings", "expected"),
    [
        (counts(sat=5999, dis=4001), SatisfactionSettings(), F(5999, 10000)),
        (counts(sat=3, basic=3, dis=2, abstain=2), SatisfactionSettings(), F(6, 10)),
        (counts(sat=3, basic=3, dis=2, abstain=2), EXCLUDE_ABSTAIN, F(6, 8)),
        (counts(sat=3, basic=3, dis=2, abstain=2), ONLY_SATISFIED, F(3, 10)),
        (counts(abstain=5), SatisfactionSettings(), F(0)),
        ({SATISFIED: 7}, SatisfactionSettings(), F(1)),
        (counts(), SatisfactionSettings(), None),
        ({}, SatisfactionSettings(), None),
        (counts(abstain=4), EXCLUDE_ABSTAIN, None),
    ],
)
def test_satisfaction_rate_is_satisfied_over_valid_ballots(ballots, settings, expected):
    """§四.3 / DOMAIN default: rate = (满意 + 基本满意) / valid ballots; abstentions are valid;
    no valid ballot → no rate (None)."""
    assert satisfaction_rate(ballots, settings) == expected


@pytest.mark.parametrize("ballots", [{"spoiled": 1}, {SATISFIED: -1}])
def test_satisfaction_rate_refuses_a_broken_tally(ballots):
    """§四.3: spoiled ballots are no option and counts cannot be negative."""
    with pytest.raises(ValueError):
        satisfaction_rate(ballots)


@pytest.mark.parametrize(
    ("rate", "threshold", "below"),
    [
        (F(5999, 10000), 60, True),
        (F(6000, 10000), 60, False),
        (F(3, 5), 60, False),
        (F(6001, 10000), 60, False),
        (F(4999, 10000), 50, True),
        (F(5000, 10000), 50, False),
        (F(1, 2), 50, False),
        (F(599999, 1000000), 60, True),
        (F(119, 200), F(119, 2), False),
        (F(118, 200), F(119, 2), True),
        (F(3, 5), Decimal("60.00"), False),
        (F(0), 0, False),
        (F(1), 100, False),
        (F(0), 1, True),
    ],
)
def test_is_below_compares_exactly(rate, threshold, below):
    """§四.3: "满意率不足60%" — 59.99% is below 60%, exactly 60% is not; 49.99% is below 50%,
    exactly 50% is not."""
    assert is_below(rate, threshold) is below


def test_is_below_refuses_floats():
    """§四.3 (DOMAIN: compare exactly): a float cannot hold 59.99 exactly, so it is refused."""
    with pytest.raises(TypeError):
        is_below(F(3, 5), 60.0)


@given(
    sat=st.integers(0, 10_000),
    basic=st.integers(0, 10_000),
    dis=st.integers(0, 10_000),
    abstain=st.integers(0, 10_000),
    threshold=st.integers(0, 100),
)
def test_is_below_matches_integer_comparison(sat, basic, dis, abstain, threshold):
    """§四.3 (DOMAIN: compare exactly): is_below(rate, t) == (satisfied * 100 < t * valid)."""
    rate = satisfaction_rate(counts(sat, basic, dis, abstain))
    valid = sat + basic + dis + abstain
    if valid == 0:
        assert rate is None
    else:
        assert is_below(rate, threshold) == ((sat + basic) * 100 < threshold * valid)


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        (F(5999, 10000), "59.99%"),
        (F(599999, 1000000), "59.99%"),
        (F(4999, 10000), "49.99%"),
        (F(3, 5), "60.00%"),
        (F(2, 3), "66.66%"),
        (F(1), "100.00%"),
        (F(0), "0.00%"),
        (None, "—"),
    ],
)
def test_format_percent_shows_two_decimals_without_crossing_a_threshold(rate, shown):
    """§四.3 (DOMAIN: rounding is for display only): a rate below 60% never shows as 60.00%."""
    assert format_percent(rate) == shown


@pytest.mark.parametrize(
    ("threshold", "shown"), [(60, "60"), (F(119, 2), "59.5"), (Decimal("50.00"), "50")]
)
def test_format_threshold(threshold, shown):
    """§四.3: thresholds appear in messages as plain percentages."""
    assert format_threshold(threshold) == shown


@given(
    sat=st.integers(0, 1000),
    dis=st.integers(0, 1000),
)
def test_format_percent_never_shows_more_than_the_exact_rate(sat, dis):
    """§四.3 (DOMAIN: rounding is for display only): the shown figure never exceeds the rate."""
    rate = satisfaction_rate(counts(sat=sat, dis=dis))
    if rate is not None:
        shown = Decimal(format_percent(rate).rstrip("%"))
        assert F(shown) <= rate * 100 < F(shown) + F(1, 100)


@pytest.mark.parametrize(
    ("settings", "rules"),
    [
        (SatisfactionSettings(), []),
        (EXCLUDE_ABSTAIN, []),
        (
            SatisfactionSettings(numerator=("delighted",)),
            ["satisfaction_option_unknown", "satisfaction_numerator_invalid"],
        ),
        (
            SatisfactionSettings(denominator=(SATISFIED, BASICALLY_SATISFIED, "blank")),
            ["satisfaction_option_unknown"],
        ),
        (
            SatisfactionSettings(denominator=(DISSATISFIED, ABSTAIN)),
            ["satisfaction_numerator_invalid"],
        ),
        (SatisfactionSettings(numerator=()), ["satisfaction_numerator_invalid"]),
        (
            SatisfactionSettings(options=(SATISFIED, SATISFIED), numerator=(SATISFIED,)),
            ["satisfaction_options_invalid"],
        ),
    ],
)
def test_satisfaction_settings_validate(settings, rules):
    """§四.3 (DOMAIN: numerator, denominator and options are settings): a setting that cannot
    give a rate is refused."""
    assert [f.rule for f in settings.validate()] == rules


# --------------------------------------------------------------------------- the tally


@pytest.mark.parametrize(
    ("issued", "returned", "spoiled", "ballots", "rules"),
    [
        (100, 100, 0, counts(60, 20, 15, 5), []),
        (100, 90, 3, counts(60, 20, 5, 2), []),
        (100, 101, 0, counts(60, 20, 15, 6), ["tally_returned_exceeds_issued"]),
        (100, 90, 0, counts(60, 20, 5, 2), ["tally_options_mismatch"]),
        (100, 90, 3, counts(60, 20, 5, 3), ["tally_options_mismatch"]),
        (100, 90, 91, counts(), ["tally_spoiled_exceeds_returned", "tally_options_mismatch"]),
        (100, 90, 0, {**counts(60, 20, 5, 2), "blank": 3}, ["tally_unknown_option"]),
        (-1, 0, 0, counts(), ["tally_negative"]),
        (10, 5, 0, counts(sat=6, dis=-1), ["tally_negative"]),
    ],
)
def test_check_tally_blocks_inconsistent_counts(issued, returned, spoiled, ballots, rules):
    """§四.3 (DOMAIN: who votes): more ballots returned than issued voids the round; the options
    must add up to returned minus spoiled; no negative numbers."""
    findings = check_tally(issued, returned, spoiled, ballots)
    assert [f.rule for f in findings] == rules
    assert all(f.blocking for f in findings)
    for f in findings:
        assert_readable(f)


def test_check_tally_flags_a_round_without_valid_ballots():
    """§四.3 (DOMAIN: no valid ballot → no rate, no automatic measure: flag it)."""
    findings = check_tally(20, 4, 4, counts())
    assert [(f.rule, f.severity, f.blocking) for f in findings] == [
        ("no_valid_ballots", WARN, False)
    ]
    assert_readable(findings[0])


def test_check_tally_counts_abstentions_as_valid():
    """§四.3 (DOMAIN: abstentions are valid ballots): a round of abstentions is not flagged."""
    assert check_tally(10, 10, 0, counts(abstain=10)) == []


# --------------------------------------------------------------------------- quorum


@pytest.mark.parametrize(
    ("kind", "eligible", "present", "rule"),
    [
        (REPRESENTATIVES_MEETING, 30, 20, None),
        (REPRESENTATIVES_MEETING, 30, 19, "quorum_not_met"),
        (REPRESENTATIVES_MEETING, 31, 21, None),
        (REPRESENTATIVES_MEETING, 31, 20, "quorum_not_met"),
        (REPRESENTATIVES_MEETING, 3, 2, None),
        (REPRESENTATIVES_MEETING, 30, 30, None),
        (VILLAGERS_MEETING, 100, 51, None),
        (VILLAGERS_MEETING, 100, 50, "quorum_not_met"),
        (VILLAGERS_MEETING, 101, 51, None),
        (VILLAGERS_MEETING, 101, 50, "quorum_not_met"),
        (VILLAGERS_MEETING, 0, 0, "attendance_invalid"),
        (VILLAGERS_MEETING, 10, 11, "attendance_invalid"),
        (REPRESENTATIVES_MEETING, 10, -1, "attendance_invalid"),
    ],
)
def test_quorum(kind, eligible, present, rule):
    """DOMAIN (who votes): a representatives' meeting needs at least 2/3 present, a villagers'
    meeting more than half."""
    finding = quorum(kind, eligible, present)
    assert (finding.rule if finding else None) == rule
    if finding:
        assert finding.blocking
        assert finding.facts == {"kind": kind, "eligible": eligible, "present": present}
        assert_readable(finding)


@given(eligible=st.integers(1, 5000), data=st.data())
def test_quorum_matches_fractions(eligible, data):
    """DOMAIN (who votes): the quorum is exactly ≥ 2/3 and > 1/2 of those eligible."""
    present = data.draw(st.integers(0, eligible))
    share = F(present, eligible)
    assert (quorum(REPRESENTATIVES_MEETING, eligible, present) is None) == (share >= F(2, 3))
    assert (quorum(VILLAGERS_MEETING, eligible, present) is None) == (share > F(1, 2))


def test_quorum_refuses_an_unknown_meeting():
    """DOMAIN (who votes): only the two meetings the law knows have a quorum rule."""
    with pytest.raises(ValueError):
        quorum("joint_meeting", 10, 10)


# --------------------------------------------------------------------------- the annual grade


@pytest.mark.parametrize(
    ("goals_met", "satisfaction", "months", "expected_grade", "rule", "clause"),
    [
        (False, F(95, 100), 12, INCOMPETENT, "goals_not_met", "§四.1"),
        (False, None, 12, INCOMPETENT, "goals_not_met", "§四.1"),
        (True, F(9, 10), 12, EXCELLENT, "graded", "§三.6"),
        (True, F(8999, 10000), 12, COMPETENT, "graded", "§三.6"),
        (True, F(7, 10), 12, COMPETENT, "graded", "§三.6"),
        (True, F(6999, 10000), 12, BASICALLY_COMPETENT, "graded", "§三.6"),
        (True, F(6, 10), 12, BASICALLY_COMPETENT, "graded", "§三.6"),
        (True, F(5999, 10000), 12, INCOMPETENT, "graded", "§三.6"),
        (True, F(0), 12, INCOMPETENT, "graded", "§三.6"),
        (True, F(9, 10), 6, EXCELLENT, "graded", "§三.6"),
        (True, F(9, 10), 5, None, "served_too_short", "§三.6"),
        (False, F(3, 10), 5, None, "served_too_short", "§三.6"),
        (None, F(9, 10), 12, None, "goals_not_assessed", "§三.6"),
        (True, None, 12, None, "no_valid_ballots", "§四.3"),
    ],
)
def test_grade(goals_met, satisfaction, months, expected_grade, rule, clause):
    """§四.1: annual pledged goals not met → 不称职; DOMAIN: fewer than 6 months served → not
    graded; otherwise the district's satisfaction bands (≥90% 优秀, ≥70% 称职, ≥60% 基本称职)."""
    decision = grade(goals_met=goals_met, satisfaction=satisfaction, months_served=months)
    assert (decision.grade, decision.rule, decision.clause) == (expected_grade, rule, clause)
    assert decision.graded is (expected_grade is not None)
    assert decision.facts["months_served"] == months
    assert_readable(decision)


@pytest.mark.parametrize(
    ("grade_", "eligible"),
    [(EXCELLENT, True), (BASICALLY_COMPETENT, True), (INCOMPETENT, False), (None, False)],
)
def test_honours_eligibility_follows_the_grade(grade_, eligible):
    """§四.1: an incompetent grade withdraws honours eligibility (评先评优资格) for the year."""
    goals, sat = {
        EXCELLENT: (True, F(1)),
        BASICALLY_COMPETENT: (True, F(65, 100)),
        INCOMPETENT: (False, F(1)),
        None: (None, F(1)),
    }[grade_]
    decision = grade(goals_met=goals, satisfaction=sat, months_served=12)
    assert decision.grade == grade_
    assert decision.honours_eligible is eligible
    assert decision.as_finding().severity == (INFO if eligible else WARN)


SCORE_SCHEME = GradeScheme(
    score_bands=((85, EXCELLENT), (70, COMPETENT), (60, BASICALLY_COMPETENT))
)


@pytest.mark.parametrize(
    ("satisfaction", "score", "expected"),
    [
        (F(95, 100), 90, EXCELLENT),
        (F(95, 100), 65, BASICALLY_COMPETENT),
        (F(65, 100), 95, BASICALLY_COMPETENT),
        (F(95, 100), 59, INCOMPETENT),
        (F(95, 100), None, EXCELLENT),
    ],
)
def test_grade_with_score_bands_takes_the_lower_grade(satisfaction, score, expected):
    """§三.6: when the district also grades by the assessment group's score, neither the score
    nor the satisfaction rate can lift the grade above what the other supports."""
    decision = grade(
        goals_met=True,
        satisfaction=satisfaction,
        assessment_score=score,
        months_served=12,
        scheme=SCORE_SCHEME,
    )
    assert decision.grade == expected


def test_grade_uses_the_districts_min_months():
    """DOMAIN (mid-term replacement): the 6 months are a district setting."""
    scheme = GradeScheme(min_months_served=3)
    assert grade(goals_met=True, satisfaction=F(1), months_served=3, scheme=scheme).graded
    assert not grade(goals_met=True, satisfaction=F(1), months_served=2, scheme=scheme).graded


@pytest.mark.parametrize(
    ("scheme", "rules"),
    [
        (GradeScheme(), []),
        (SCORE_SCHEME, []),
        (GradeScheme(satisfaction_bands=((80, EXCELLENT), (60, COMPETENT))), []),
        (
            GradeScheme(satisfaction_bands=((60, BASICALLY_COMPETENT), (90, EXCELLENT))),
            ["grade_bands_invalid"],
        ),
        (GradeScheme(satisfaction_bands=((101, EXCELLENT),)), ["grade_bands_invalid"]),
        (GradeScheme(satisfaction_bands=((50, INCOMPETENT),)), ["grade_bands_invalid"]),
        (GradeScheme(satisfaction_bands=()), ["grade_bands_invalid"]),
        (GradeScheme(min_months_served=13), ["min_months_invalid"]),
    ],
)
def test_grade_scheme_validate(scheme, rules):
    """§三.6: grade bands must lie within 0–100, best first, strictly descending."""
    findings = scheme.validate()
    assert [f.rule for f in findings] == rules
    for f in findings:
        assert_readable(f)
