"""Which measures the year's facts call for (seed §四 1–4; DOMAIN.md "Measures" and defaults).

The cast, in 柳树村 (village ``v1``), term ``t1``:
- Alice holds both the branch secretary post ``sec`` and the committee director post ``dir``
  (一肩挑) unless a test gives ``dir`` to Dan;
- Bob is an ordinary team member in post ``m1``;
- Carol succeeds Bob in ``m1`` mid-year.
"""

import time
from decimal import Decimal
from fractions import Fraction as F

import pytest
from django.utils.functional import Promise
from hypothesis import given
from hypothesis import strategies as st

from jiannuo.accountability.rules import (
    BRANCH_SECRETARY,
    COMMITTEE_DIRECTOR,
    CRITICISM,
    DERELICTION,
    DISCIPLINE_REFERRAL,
    ECONOMIC_PENALTY,
    MEMBER,
    NO_HONOURS,
    OBJECTIVE,
    POOR_MANAGEMENT,
    RESIGNATION,
    SEVERITY_RANK,
    TEAM,
    YELLOW_CARD,
    Loss,
    PolicySettings,
    PostYear,
    TeamYear,
    assess,
    propose,
)
from jiannuo.core.rules import INFO, WARN

GOOD = F(9, 10)


def template(message):
    """The untranslated template of a lazy message, read without needing Django settings."""
    return message._args[0] if isinstance(message, Promise) else message


def assert_readable(item):
    """Every placeholder of the message is filled by the facts (KeyError otherwise)."""
    text = template(item.message) % dict(item.facts)
    assert "%(" not in text


def post(
    person="bob",
    post_id="m1",
    kind=MEMBER,
    *,
    village="v1",
    term="t1",
    year=2025,
    assessed=True,
    graded=True,
    goals_met=True,
    pledges_met=True,
    satisfaction=GOOD,
    **extra,
):
    return PostYear(
        person,
        post_id,
        kind,
        village,
        term,
        year,
        assessed,
        graded,
        goals_met,
        pledges_met,
        satisfaction,
        **extra,
    )


def team(*, village="v1", term="t1", year=2025, assessed=True, pledges_met=True, **extra):
    extra.setdefault("satisfaction", GOOD)
    return TeamYear(village, term, year, assessed, pledges_met, **extra)


def alice_both(year=2025, **kw):
    """一肩挑: Alice holds the branch secretary and the committee director posts."""
    return [
        post("alice", "sec", BRANCH_SECRETARY, year=year, **kw),
        post("alice", "dir", COMMITTEE_DIRECTOR, year=year, **kw),
    ]


def measures(proposals, person=None, post_id=None, subject="post"):
    return sorted(
        p.measure
        for p in proposals
        if p.subject == subject
        and (person is None or p.person_id == person)
        and (post_id is None or p.post_id == post_id)
    )


def only(proposals, measure, **where):
    found = [
        p
        for p in proposals
        if p.measure == measure and all(getattr(p, k) == v for k, v in where.items())
    ]
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("settings", "rules"),
    [
        (PolicySettings(), []),
        (PolicySettings(yellow_card_below=70, resignation_below=40, years_running=3), []),
        (PolicySettings(yellow_card_below=F(119, 2), resignation_below=F(99, 2)), []),
        (PolicySettings(yellow_card_below=101), ["threshold_out_of_range"]),
        (PolicySettings(resignation_below=-1), ["threshold_out_of_range"]),
        (PolicySettings(yellow_card_below=60.0), ["threshold_out_of_range"]),
        (PolicySettings(resignation_below=60), ["thresholds_out_of_order"]),
        (PolicySettings(resignation_below=70), ["thresholds_out_of_order"]),
        (PolicySettings(years_running=1), ["years_running_too_small"]),
        (PolicySettings(team_resignation_posts=()), ["team_resignation_posts_empty"]),
        (
            PolicySettings(penalised_loss_causes=(DERELICTION, OBJECTIVE)),
            ["penalised_cause_invalid"],
        ),
    ],
)
def test_policy_settings_validate(settings, rules):
    """§四.3: thresholds lie within 0–100, the resignation line sits below the yellow-card line,
    "two years running" means at least 2; §四.2: objective causes are never penalised."""
    findings = settings.validate()
    assert [f.rule for f in findings] == rules
    for f in findings:
        assert_readable(f)


def test_assess_refuses_invalid_settings():
    """§四.3: no proposal is made under settings that contradict the seed."""
    with pytest.raises(ValueError, match="thresholds_out_of_order"):
        assess([post()], settings=PolicySettings(resignation_below=60))


# --------------------------------------------------------------------------- §四.1


@pytest.mark.parametrize(
    ("goals_met", "expected"),
    [(False, [NO_HONOURS]), (True, []), (None, [])],
)
def test_no_honours_when_annual_goals_are_not_met(goals_met, expected):
    """§四.1: annual pledged work goals not met → graded 不称职 and no honours that year."""
    proposals = propose([post(goals_met=goals_met)])
    assert measures(proposals) == expected
    if expected:
        p = proposals[0]
        assert (p.clause, p.facts["grade"], p.facts["reasons"]) == (
            "§四.1",
            "incompetent",
            ["goals_not_met"],
        )


def test_team_no_honours_when_team_goals_are_not_met():
    """§四.1: "村班子或班子成员" — the team itself loses honours when its goals are not met."""
    proposals = propose([], [team(goals_met=False)])
    p = only(proposals, NO_HONOURS)
    assert (p.subject, p.person_id, p.post_id, p.village_id) == (TEAM, None, None, "v1")


# --------------------------------------------------------------------------- §四.2


@pytest.mark.parametrize(
    ("loss", "proposed", "flag"),
    [
        (Loss(Decimal("5000.00"), DERELICTION, "第七条"), True, None),
        (Loss(Decimal("120"), POOR_MANAGEMENT, "第七条"), True, None),
        (Loss(Decimal("80000"), OBJECTIVE, "第七条"), False, None),
        (Loss(Decimal("300"), DERELICTION, ""), True, "loss_without_breach_clause"),
        (Loss(Decimal("300"), "flood", "第七条"), False, "loss_cause_unknown"),
        (Loss(Decimal("0"), DERELICTION, "第七条"), False, "loss_amount_invalid"),
    ],
)
def test_economic_penalty_only_for_losses_through_fault(loss, proposed, flag):
    """§四.2: "因管理不善和工作失职" — a loss through poor management or dereliction calls for an
    economic penalty under the letter's clause; an objective cause does not."""
    outcome = assess([post(losses=(loss,))])
    assert measures(outcome.proposals) == ([ECONOMIC_PENALTY] if proposed else [])
    assert [f.rule for f in outcome.flags] == ([flag] if flag else [])
    if proposed:
        p = outcome.proposals[0]
        assert p.clause == "§四.2"
        assert p.facts["amount"] == str(loss.amount)
        assert p.facts["cause"] == loss.cause
        assert p.facts["breach_clause"] == (loss.breach_clause or "—")
        assert_readable(p)


def test_economic_penalty_one_per_loss_and_for_the_team():
    """§四.2: each loss is its own case, for a member or for the team."""
    losses = (
        Loss(Decimal("100"), DERELICTION, "第七条", loss_id=1),
        Loss(Decimal("200"), POOR_MANAGEMENT, "第八条", loss_id=2),
        Loss(Decimal("900"), OBJECTIVE, "第八条", loss_id=3),
    )
    proposals = propose([post(losses=losses)], [team(losses=losses[:1])])
    member = [p for p in proposals if p.subject == "post"]
    assert [p.facts["loss_id"] for p in member] == [1, 2]
    assert measures(proposals, subject=TEAM) == [ECONOMIC_PENALTY]


def test_economic_penalty_applies_even_when_not_graded():
    """§四.2: a loss is an act — it is answered for even in a year too short to be graded."""
    loss = Loss(Decimal("100"), DERELICTION, "第七条")
    assert measures(propose([post(graded=False, losses=(loss,))])) == [ECONOMIC_PENALTY]


# --------------------------------------------------------------------------- §四.3 yellow card


@pytest.mark.parametrize(
    ("satisfaction", "expected"),
    [
        (F(5999, 10000), [YELLOW_CARD]),
        (F(6000, 10000), []),
        (F(6001, 10000), []),
        (F(5000, 10000), [YELLOW_CARD]),
        (F(4999, 10000), [RESIGNATION, YELLOW_CARD]),
        (F(0), [RESIGNATION, YELLOW_CARD]),
        (F(1), []),
    ],
)
def test_member_satisfaction_boundaries(satisfaction, expected):
    """§四.3: "满意率不足60%" → yellow card, "不足50%" → resignation; exactly 60% and exactly 50%
    are not below."""
    proposals = propose([post(satisfaction=satisfaction)])
    assert measures(proposals, "bob") == expected


@pytest.mark.parametrize(
    ("pledges_met", "satisfaction", "reasons"),
    [
        (False, GOOD, ["pledges_not_met"]),
        (True, F(5999, 10000), ["satisfaction_below_yellow_card"]),
        (False, F(5999, 10000), ["pledges_not_met", "satisfaction_below_yellow_card"]),
    ],
)
def test_one_yellow_card_per_post_year_listing_every_reason(pledges_met, satisfaction, reasons):
    """§四.3 (DOMAIN: one card per person, post and year): unmet pledges and low satisfaction in
    the same year give one yellow card that lists both reasons."""
    proposals = propose([post(pledges_met=pledges_met, satisfaction=satisfaction)])
    card = only(proposals, YELLOW_CARD)
    assert card.facts["reasons"] == reasons
    assert [r.rule for r in card.reasons] == reasons
    assert card.clause == "§四.3"
    assert card.facts["year"] == 2025
    if "satisfaction_below_yellow_card" in reasons:
        assert (card.facts["rate"], card.facts["threshold"]) == ("59.99%", "60")
    assert_readable(card)
    for reason in card.reasons:
        assert_readable(reason)


def test_yellow_card_message_reads_as_a_sentence():
    """§四.3: the message a cadre reads names the rate, the threshold and the year."""
    card = only(propose([post(satisfaction=F(5999, 10000))]), YELLOW_CARD)
    assert template(card.message) % dict(card.facts) == (
        "Satisfaction 59.99% is below 60% in the 2025 democratic evaluation: "
        "yellow-card warning from the township party committee."
    )


@pytest.mark.parametrize(
    ("pledges_met", "satisfaction", "reasons"),
    [
        (False, GOOD, ["pledges_not_met"]),
        (True, F(5999, 10000), ["satisfaction_below_yellow_card"]),
        (True, F(3, 5), None),
    ],
)
def test_team_yellow_card(pledges_met, satisfaction, reasons):
    """§四.3: "村班子…分别给予黄牌警告" — the team gets its own yellow card."""
    proposals = propose(alice_both(), [team(pledges_met=pledges_met, satisfaction=satisfaction)])
    team_cards = [p for p in proposals if p.subject == TEAM and p.measure == YELLOW_CARD]
    assert [p.facts["reasons"] for p in team_cards] == ([reasons] if reasons else [])
    # The team's yellow card is the team's: no post holder receives one for it.
    assert measures(proposals, "alice") == []


# --------------------------------------------------------------------------- §四.3 resignation


def test_resignation_does_not_erase_the_yellow_card():
    """§四.3 (DOMAIN: a resignation measure does not erase the yellow card; the heavier leads)."""
    proposals = propose([post(satisfaction=F(40, 100))])
    card = only(proposals, YELLOW_CARD, person_id="bob")
    resign = only(proposals, RESIGNATION, person_id="bob")
    assert (card.leading, resign.leading) == (False, True)
    assert resign.severity_rank > card.severity_rank
    assert resign.facts["reasons"] == ["satisfaction_below_resignation"]
    assert (resign.facts["rate"], resign.facts["resignation_threshold"]) == ("40.00%", "50")


@pytest.mark.parametrize(
    "team_facts",
    [
        {"satisfaction": F(4999, 10000)},
        {"satisfaction": F(0)},
    ],
)
def test_team_below_50_percent_demands_both_leaders_resign(team_facts):
    """§四.3: team satisfaction below 50% → the branch secretary and the committee director
    resign; an ordinary member is not asked."""
    current = [
        post("alice", "sec", BRANCH_SECRETARY),
        post("dan", "dir", COMMITTEE_DIRECTOR),
        post("bob", "m1", MEMBER),
    ]
    proposals = propose(current, [team(**team_facts)])
    assert measures(proposals, "alice") == [RESIGNATION]
    assert measures(proposals, "dan") == [RESIGNATION]
    assert measures(proposals, "bob") == []
    p = only(proposals, RESIGNATION, person_id="dan")
    assert p.facts["reasons"] == ["team_satisfaction_below_resignation"]
    assert_readable(p)


@pytest.mark.parametrize(("satisfaction", "resign"), [(F(1, 2), False), (F(4999, 10000), True)])
def test_team_resignation_boundary_at_exactly_50_percent(satisfaction, resign):
    """§四.3: "满意率不足50%" — exactly 50% team satisfaction is not below 50%."""
    proposals = propose([post("alice", "sec", BRANCH_SECRETARY)], [team(satisfaction=satisfaction)])
    assert (RESIGNATION in measures(proposals, "alice")) is resign
    # Below 60% either way: the team's own yellow card.
    assert measures(proposals, subject=TEAM) == [YELLOW_CARD]


def test_dual_post_holder_receives_one_demand_naming_both_posts():
    """§四.3 "村党支部书记和村委会主任引咎辞职" (DOMAIN: under 一肩挑 one person receives both
    team resignation demands): one demand, on the secretary's post, naming both posts — no
    duplicate for the director's post and no post flagged vacant (issue #14)."""
    outcome = assess(alice_both(), [team(satisfaction=F(40, 100))])
    demands = [p for p in outcome.proposals if p.measure == RESIGNATION]
    assert [(p.person_id, p.post_id, p.post_kind) for p in demands] == [
        ("alice", "sec", BRANCH_SECRETARY)
    ]
    assert demands[0].facts["posts"] == [BRANCH_SECRETARY, COMMITTEE_DIRECTOR]
    assert demands[0].leading
    assert outcome.flags == []
    assert_readable(demands[0])


def test_secretary_letter_covering_the_director_post_answers_for_both():
    """§四.3 with 一肩挑 as the letters have it: the secretary's own letter covers the
    director's post (``also_holds``), so there are facts for one post only; the demand still
    names both posts and the director's post is not flagged vacant."""
    sec = post("alice", "sec", BRANCH_SECRETARY, also_holds=(COMMITTEE_DIRECTOR,))
    outcome = assess([sec], [team(satisfaction=F(40, 100))])
    demand = only(outcome.proposals, RESIGNATION, person_id="alice")
    assert (demand.post_id, demand.facts["posts"]) == (
        "sec",
        [BRANCH_SECRETARY, COMMITTEE_DIRECTOR],
    )
    assert [f.rule for f in outcome.flags] == []


def test_separate_secretary_and_director_each_receive_a_demand_naming_their_post():
    """§四.3: two people in the two posts — one demand each, naming their own post."""
    current = [post("alice", "sec", BRANCH_SECRETARY), post("dan", "dir", COMMITTEE_DIRECTOR)]
    proposals = propose(current, [team(satisfaction=F(40, 100))])
    demands = sorted((p.person_id, p.facts["posts"]) for p in proposals if p.measure == RESIGNATION)
    assert demands == [("alice", [BRANCH_SECRETARY]), ("dan", [COMMITTEE_DIRECTOR])]


def test_team_failing_pledges_two_years_running_demands_resignation():
    """§四.3: "村班子连续两年不能完成任职承诺" → branch secretary and committee director resign."""
    history = [team(year=2024, pledges_met=False)]
    proposals = propose(alice_both(), [team(pledges_met=False)], history)
    demands = [p for p in proposals if p.measure == RESIGNATION]
    assert [p.post_id for p in demands] == ["sec"]
    assert demands[0].facts["posts"] == [BRANCH_SECRETARY, COMMITTEE_DIRECTOR]
    assert demands[0].facts["team_chain_years"] == "2024, 2025"
    assert demands[0].facts["reasons"] == ["team_pledges_not_met_years_running"]
    assert_readable(demands[0])


@pytest.mark.parametrize(
    ("history", "settings", "resign"),
    [
        ([team(year=2024, pledges_met=False)], PolicySettings(), True),
        ([team(year=2024, pledges_met=True)], PolicySettings(), False),
        ([], PolicySettings(), False),
        ([team(year=2023, pledges_met=False)], PolicySettings(), False),
        (
            [
                team(year=2024, assessed=False, pledges_met=False),
                team(year=2023, pledges_met=False),
            ],
            PolicySettings(),
            False,
        ),
        ([team(year=2024, term="t0", pledges_met=False)], PolicySettings(), False),
        (
            [team(year=2024, term="t0", pledges_met=False)],
            PolicySettings(chain_restarts_with_term=False),
            True,
        ),
        ([team(year=2024, village="v2", pledges_met=False)], PolicySettings(), False),
        ([team(year=2024, pledges_met=False)], PolicySettings(years_running=3), False),
        (
            [team(year=2024, pledges_met=False), team(year=2023, pledges_met=False)],
            PolicySettings(years_running=3),
            True,
        ),
    ],
)
def test_team_chain(history, settings, resign):
    """§四.3 (DOMAIN: "two years running" = adjacent assessed years; a year without assessment
    breaks the chain; a new term restarts it when the setting says so)."""
    proposals = propose(
        [post("alice", "sec", BRANCH_SECRETARY)], [team(pledges_met=False)], history, settings
    )
    assert (RESIGNATION in measures(proposals, "alice")) is resign


@pytest.mark.parametrize(
    ("history", "settings", "resign"),
    [
        ([post(year=2024, pledges_met=False)], PolicySettings(), True),
        ([post(year=2024, pledges_met=True)], PolicySettings(), False),
        ([], PolicySettings(), False),
        ([post(year=2023, pledges_met=False)], PolicySettings(), False),
        (
            [
                post(year=2024, assessed=False, pledges_met=False),
                post(year=2023, pledges_met=False),
            ],
            PolicySettings(),
            False,
        ),
        ([post(year=2024, graded=False, pledges_met=False)], PolicySettings(), False),
        ([post(year=2024, term="t0", pledges_met=False)], PolicySettings(), False),
        (
            [post(year=2024, term="t0", pledges_met=False)],
            PolicySettings(chain_restarts_with_term=False),
            True,
        ),
        ([post(year=2024, post_id="m2", pledges_met=False)], PolicySettings(), False),
        ([post("carol", year=2024, pledges_met=False)], PolicySettings(), False),
        ([post(year=2024, pledges_met=False)], PolicySettings(years_running=3), False),
        (
            [post(year=2024, pledges_met=False), post(year=2023, pledges_met=False)],
            PolicySettings(years_running=3),
            True,
        ),
    ],
)
def test_member_chain(history, settings, resign):
    """§四.3: "村班子成员连续两年不能完成任职承诺…要引咎辞职" — two adjacent assessed years in the
    same post held by the same person; a gap year, a new term (setting) or a different post or
    holder breaks the chain."""
    proposals = propose([post(pledges_met=False)], [], history, settings)
    assert measures(proposals, "bob") == ([RESIGNATION, YELLOW_CARD] if resign else [YELLOW_CARD])
    if resign:
        demand = only(proposals, RESIGNATION)
        assert demand.facts["reasons"] == ["pledges_not_met_years_running"]
        assert demand.facts["years_running"] == settings.years_running
        assert_readable(demand)


def test_secretarys_own_and_team_reasons_make_one_demand_per_post():
    """§四.3 (DOMAIN: one measure per person, post and year): a secretary below 50% in a team
    below 50% gets one resignation demand listing both reasons."""
    current = [post("alice", "sec", BRANCH_SECRETARY, satisfaction=F(30, 100))]
    proposals = propose(current, [team(satisfaction=F(40, 100))])
    demand = only(proposals, RESIGNATION, person_id="alice")
    assert demand.facts["reasons"] == [
        "satisfaction_below_resignation",
        "team_satisfaction_below_resignation",
    ]
    assert (demand.facts["rate"], demand.facts["team_rate"]) == ("30.00%", "40.00%")
    assert measures(proposals, "alice") == [RESIGNATION, YELLOW_CARD]


def test_vacant_leader_post_is_flagged_for_a_team_resignation():
    """§四.3: the team's resignation falls on posts; when a post has no holder that year a person
    must decide."""
    outcome = assess([post("alice", "sec", BRANCH_SECRETARY)], [team(satisfaction=F(40, 100))])
    assert measures(outcome.proposals, "alice") == [RESIGNATION]
    assert [(f.rule, f.facts["post_kind"]) for f in outcome.flags] == [
        ("team_post_vacant", COMMITTEE_DIRECTOR)
    ]
    assert_readable(outcome.flags[0])


# --------------------------------------------------------------------------- §四.4


def test_criticism_for_a_broken_integrity_pledge():
    """§四.4: "违反廉政建设有关承诺的,镇党委要进行通报批评"."""
    proposals = propose([post(integrity_breaches=("收受礼金", "公款吃喝"))])
    p = only(proposals, CRITICISM)
    assert (p.clause, p.facts["breach_list"]) == ("§四.4", ["收受礼金", "公款吃喝"])
    assert_readable(p)


def test_team_criticism_for_a_broken_integrity_pledge():
    """§四.4: "对班子或成员" — the team itself can be criticised."""
    proposals = propose([], [team(integrity_breaches=("账目未公开",))])
    assert measures(proposals, subject=TEAM) == [CRITICISM]


def test_discipline_referral_for_a_violation():
    """§四.4: "对违纪、政纪的,要给予相应的纪律处分" — referred to the competent body."""
    proposals = propose([post(discipline_violations=("违规发放补贴",))])
    p = only(proposals, DISCIPLINE_REFERRAL)
    assert (p.clause, p.facts["violation_list"]) == ("§四.4", ["违规发放补贴"])
    assert p.leading
    assert_readable(p)


def test_acts_are_answered_for_in_a_year_without_assessment():
    """§四.4: criticism and referral answer for acts, whether or not the year was assessed."""
    current = [post(assessed=False, integrity_breaches=("x",), discipline_violations=("y",))]
    assert measures(propose(current)) == [CRITICISM, DISCIPLINE_REFERRAL]


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    ("pledges_met", "expected"),
    [(True, []), (False, [YELLOW_CARD])],
)
def test_no_valid_ballots_gives_no_satisfaction_measure_but_a_flag(pledges_met, expected):
    """§四.3 (DOMAIN: no valid ballot → no rate, no automatic measure: flag it)."""
    outcome = assess([post(satisfaction=None, pledges_met=pledges_met)])
    assert measures(outcome.proposals) == expected
    if expected:
        assert outcome.proposals[0].facts["reasons"] == ["pledges_not_met"]
    assert [(f.rule, f.severity, f.facts["post_id"]) for f in outcome.flags] == [
        ("no_valid_ballots", WARN, "m1")
    ]
    assert_readable(outcome.flags[0])


def test_team_without_valid_ballots_is_flagged_not_punished():
    """§四.3 (DOMAIN: no valid ballot → flag): no team measure follows from a missing rate."""
    outcome = assess(alice_both(), [team(satisfaction=None)])
    assert outcome.proposals == []
    assert [(f.rule, f.facts["subject"]) for f in outcome.flags] == [("no_valid_ballots", TEAM)]


def test_mid_term_successor_with_under_six_months_gets_no_grade_based_measure():
    """§四.1/§四.3 (DOMAIN: less than 6 months served → not graded that year): Carol took over
    in the autumn; nothing judging the year's assessment is proposed, a person is told."""
    carol = post("carol", goals_met=False, pledges_met=False, satisfaction=F(30, 100), graded=False)
    outcome = assess([carol])
    assert outcome.proposals == []
    assert [(f.rule, f.severity) for f in outcome.flags] == [("not_graded_measure_skipped", INFO)]
    assert outcome.flags[0].facts["measures"] == "no_honours, yellow_card, resignation"
    assert_readable(outcome.flags[0])


def test_ungraded_leader_is_not_handed_the_teams_resignation():
    """§四.3 (DOMAIN: mid-term replacement): a director who served under 6 months is not asked to
    resign for the team's year; a person is told instead."""
    current = [
        post("alice", "sec", BRANCH_SECRETARY),
        post("dan", "dir", COMMITTEE_DIRECTOR, graded=False),
    ]
    outcome = assess(current, [team(satisfaction=F(40, 100))])
    assert measures(outcome.proposals, "alice") == [RESIGNATION]
    assert measures(outcome.proposals, "dan") == []
    assert [f.rule for f in outcome.flags] == ["not_graded_measure_skipped"]


def test_year_without_assessment_proposes_nothing_from_assessment():
    """§三.6: measures of §四.1 and §四.3 follow the year-end assessment; none without it."""
    current = [post(assessed=False, goals_met=False, pledges_met=False, satisfaction=F(0))]
    outcome = assess(current, [team(assessed=False, pledges_met=False, satisfaction=F(0))])
    assert (outcome.proposals, outcome.flags) == ([], [])


def test_missing_pledge_verdict_is_flagged():
    """§三.6: the assessment group checks every pledged item; a missing verdict needs a person."""
    outcome = assess([post(pledges_met=None)])
    assert outcome.proposals == []
    assert [(f.rule, f.clause) for f in outcome.flags] == [("pledges_not_assessed", "§三.6")]


def test_all_measures_at_once_lead_with_the_heaviest():
    """§四 1–4: every measure that fires is proposed; the heaviest one leads its post-year."""
    current = [
        post(
            goals_met=False,
            pledges_met=False,
            satisfaction=F(45, 100),
            losses=(Loss(Decimal("10"), DERELICTION, "第七条"),),
            integrity_breaches=("x",),
            discipline_violations=("y",),
        )
    ]
    proposals = propose(current)
    assert measures(proposals) == sorted(
        [CRITICISM, DISCIPLINE_REFERRAL, ECONOMIC_PENALTY, NO_HONOURS, RESIGNATION, YELLOW_CARD]
    )
    assert [p.measure for p in proposals if p.leading] == [RESIGNATION]
    for p in proposals:
        assert p.severity_rank == SEVERITY_RANK[p.measure]
        assert_readable(p)


# --------------------------------------------------------------------------- properties

post_years = st.builds(
    lambda person, post_id, kind, assessed, graded, goals, pledges, sat: post(
        person,
        post_id,
        kind,
        assessed=assessed,
        graded=graded,
        goals_met=goals,
        pledges_met=pledges,
        satisfaction=sat,
    ),
    st.sampled_from(["alice", "bob", "carol"]),
    st.sampled_from(["sec", "dir", "m1"]),
    st.sampled_from([BRANCH_SECRETARY, COMMITTEE_DIRECTOR, MEMBER]),
    st.booleans(),
    st.booleans(),
    st.sampled_from([True, False, None]),
    st.sampled_from([True, False, None]),
    st.one_of(st.none(), st.fractions(0, 1, max_denominator=10_000)),
)


@given(
    current=st.lists(post_years, max_size=6, unique_by=lambda p: (p.person_id, p.post_id)),
    history=st.lists(
        post_years.map(
            lambda p: post(
                p.person_id, p.post_id, p.post_kind, year=2024, pledges_met=p.pledges_met
            )
        ),
        max_size=6,
    ),
    team_sat=st.one_of(st.none(), st.fractions(0, 1, max_denominator=10_000)),
    team_pledges=st.sampled_from([True, False, None]),
)
def test_proposals_follow_the_rules_for_any_facts(current, history, team_sat, team_pledges):
    """§四.3 (DOMAIN): for any facts — at most one yellow card and one resignation per person,
    post and year; exactly one leading proposal per post-year; a yellow card exactly when an
    assessed, graded post misses its pledges or is below 60%; nothing from a missing rate."""
    outcome = assess(current, [team(pledges_met=team_pledges, satisfaction=team_sat)], history)
    by_post: dict = {}
    for p in outcome.proposals:
        by_post.setdefault((p.subject, p.person_id, p.post_id), []).append(p)
    for group in by_post.values():
        kinds = [p.measure for p in group]
        assert kinds.count(YELLOW_CARD) <= 1
        assert kinds.count(RESIGNATION) <= 1
        assert sum(p.leading for p in group) == 1
        lead = next(p for p in group if p.leading)
        assert lead.severity_rank == max(p.severity_rank for p in group)
    for py in current:
        got = YELLOW_CARD in measures(outcome.proposals, py.person_id, py.post_id)
        low = py.satisfaction is not None and py.satisfaction * 100 < 60
        assert got == (py.assessed and py.graded and (py.pledges_met is False or low))
    for p in outcome.proposals:
        for reason in p.reasons:
            if "satisfaction" in reason.rule:
                assert p.facts.get("rate") or p.facts.get("team_rate")
        assert_readable(p)
    for f in outcome.flags:
        assert_readable(f)


def test_province_scale_runs_in_one_pass():
    """DOMAIN (scale): a province has about 150,000 posts a year; proposals come from dictionary
    look-ups, not nested scans, so a year with its history is assessed in seconds."""
    kinds = [BRANCH_SECRETARY, COMMITTEE_DIRECTOR, MEMBER, MEMBER, MEMBER]
    n = 150_000

    def year_of(year):
        # One post in 20 misses its pledges; satisfaction spreads over 45%–100%.
        return [
            PostYear(
                i,
                i,
                kinds[i % 5],
                i // 5,
                "t1",
                year,
                True,
                True,
                True,
                i % 20 != 0,
                F(45 + i % 56, 100),
            )
            for i in range(n)
        ]

    def teams_of(year):
        return [TeamYear(v, "t1", year, True, v % 20 != 0, GOOD) for v in range(n // 5)]

    current, history = year_of(2025), [*year_of(2024), *teams_of(2024)]
    started = time.process_time()
    outcome = assess(current, teams_of(2025), history)
    elapsed = time.process_time() - started
    # A quadratic scan would take hours here; one pass takes a few seconds.
    assert elapsed < 60
    # Post 0 missed its pledges in 2024 and 2025 at 45%: yellow card and resignation.
    assert measures(outcome.proposals, 0) == [RESIGNATION, YELLOW_CARD]
    # Village 0's team failed two years running: both leaders are asked to resign.
    village0 = {
        p.post_kind
        for p in outcome.proposals
        if p.village_id == 0
        and p.measure == RESIGNATION
        and "team_pledges_not_met_years_running" in p.facts["reasons"]
    }
    assert village0 == {BRANCH_SECRETARY, COMMITTEE_DIRECTOR}
