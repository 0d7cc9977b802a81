"""Table tests for the pledge-letter rules (seed §二, §三.1–3, §五.2). No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiannuo.core.rules import BLOCK, WARN
from jiannuo.pledges import rules
from jiannuo.pledges.rules import (
    BREACH_CATEGORIES,
    CATEGORIES,
    ClauseDraft,
    ItemDraft,
    LetterDraft,
    RequiredAnswer,
    TransitionError,
    check_letter,
    coverage,
    joint_meeting_quorum,
    next_state,
)

YEAR_END = date(2025, 12, 31)

# A complete, realistic team letter for 2025 (each test breaks one thing in it).
TEAM_ITEMS = (
    ItemDraft(
        "T1", "work_goal", "年内硬化村内道路3公里", "3公里", YEAR_END, "branch_secretary", ("H1",)
    ),
    ItemDraft(
        "T2",
        "good_deed",
        "为五保户、低保户改造危房十二户",
        "12户",
        date(2025, 10, 1),
        "committee_director",
        ("K1",),
    ),
    ItemDraft(
        "T3", "integrity", "村级财务每月公开一次，违纪违规零发生", "", None, "branch_secretary"
    ),
    ItemDraft(
        "T4", "guarantee", "每季度召开一次两委联席会议研究承诺落实", "4次", YEAR_END, "member"
    ),
)
CLAUSES = (
    ClauseDraft(
        "C1",
        "unmet_goals",
        "年度工作目标未完成",
        "取消当年评先评优资格，年度考核定为不称职",
    ),
    ClauseDraft(
        "C2",
        "economic_loss",
        "因工作失职给集体造成经济损失",
        "按损失金额的30%承担赔偿",
    ),
    ClauseDraft(
        "C3",
        "low_satisfaction",
        "年度民主测评满意率低于60%",
        "扣发当年误工补贴的20%，接受黄牌警告",
        None,
    ),
)
TEAM = LetterDraft("team", TEAM_ITEMS, CLAUSES, ref="L-team", year=2025)


def member_letter(ref: str, *items: ItemDraft) -> LetterDraft:
    """A member letter with the team's clauses and one item in each category."""
    filler = (
        ItemDraft(f"{ref}-i", "integrity", "不收受群众礼品礼金，违纪零发生"),
        ItemDraft(f"{ref}-g", "guarantee", "每月走访困难户一次", "12次", YEAR_END),
        ItemDraft(f"{ref}-d", "good_deed", "年内为群众代办事项50件", "50件", YEAR_END),
    )
    return LetterDraft("member", (*items, *filler), CLAUSES, ref=ref, year=2025)


MEMBERS = (
    member_letter(
        "M1",
        ItemDraft("M1-1", "work_goal", "负责硬化村道2公里", "2公里", YEAR_END, breaks_down=("T1",)),
        ItemDraft("M1-3", "integrity", "带头执行财务公开制度，每月一次", breaks_down=("T3", "T4")),
    ),
    member_letter(
        "M2",
        ItemDraft("M2-1", "work_goal", "负责硬化村道1公里", "1公里", YEAR_END, breaks_down=("T1",)),
        ItemDraft(
            "M2-2", "good_deed", "完成危房改造十二户", "12户", YEAR_END, breaks_down=("T2", "T9")
        ),
    ),
)


def rule_ids(findings) -> list[str]:
    return [f.rule for f in findings]


def item(text: str, target: str = "", deadline: date | None = None, category="work_goal"):
    return ItemDraft("X1", category, text, target, deadline, "branch_secretary")


# --- The whole letter ----------------------------------------------------------------------


def test_complete_team_letter_passes_the_gate():
    """§五.2: a practical, specific team letter, broken down by its members, raises nothing."""
    answers = (
        RequiredAnswer("H1", "村内道路泥泞"),
        RequiredAnswer("K1", "危房改造", "township_task"),
    )
    assert check_letter(TEAM, member_letters=MEMBERS, required_answers=answers) == []


@pytest.mark.parametrize("letter", MEMBERS, ids=lambda letter: letter.ref)
def test_complete_member_letter_passes_the_gate(letter):
    """§二, §五.2: a member letter with all four categories and three clauses raises nothing."""
    assert check_letter(letter) == []


def test_a_hollow_letter_is_sent_back_with_every_reason():
    """§五.2 推倒重来: empty words, no measure and missing categories all block together."""
    letter = LetterDraft(
        "member",
        (
            ItemDraft("B1", "work_goal", "努力提高群众收入"),
            ItemDraft("B2", "good_deed", "为群众办实事"),
        ),
        (ClauseDraft("B9", "unmet_goals", "完不成目标", "视情况处理"),),
    )
    findings = check_letter(letter)
    assert rule_ids(findings) == [
        "pledges.empty_category",
        "pledges.empty_category",
        "pledges.item_empty_words",
        "pledges.item_not_measurable",
        "pledges.missing_breach_category",
        "pledges.missing_breach_category",
        "pledges.clause_no_concrete_measure",
    ]
    assert all(f.severity == BLOCK for f in findings)
    assert [f.facts["category"] for f in findings[:2]] == ["integrity", "guarantee"]
    assert all(f.clause == rules.RULES[f.rule] for f in findings)


# --- §二: four pledge categories, three breach categories -----------------------------------


@pytest.mark.parametrize("category", CATEGORIES)
def test_empty_pledge_category_blocks(category):
    """§二: a letter pledges in all four categories; an empty one blocks and is named."""
    letter = replace(TEAM, items=tuple(i for i in TEAM_ITEMS if i.category != category))
    findings = [f for f in check_letter(letter, member_letters=MEMBERS) if f.facts.get("category")]
    assert [(f.rule, f.severity, f.facts["category"]) for f in findings] == [
        ("pledges.empty_category", BLOCK, category)
    ]


@pytest.mark.parametrize("category", BREACH_CATEGORIES)
def test_missing_breach_category_blocks(category):
    """§二: a letter carries a breach clause in each of the three categories."""
    letter = replace(TEAM, clauses=tuple(c for c in CLAUSES if c.category != category))
    findings = check_letter(letter, member_letters=MEMBERS)
    assert [(f.rule, f.severity, f.facts["category"]) for f in findings] == [
        ("pledges.missing_breach_category", BLOCK, category)
    ]


@pytest.mark.parametrize(
    ("cls", "args"),
    [
        (ItemDraft, ("X", "slogan", "年内修路3公里")),
        (ClauseDraft, ("X", "dereliction", "失职", "赔偿")),
        (LetterDraft, ("committee",)),
        (RequiredAnswer, ("H1", "修路", "rumour")),
    ],
)
def test_unknown_categories_and_kinds_are_refused(cls, args):
    """§二: only the seed's four pledge and three breach categories exist."""
    with pytest.raises(ValueError):
        cls(*args)


# --- §五.2: practical and specific pledges ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "has_quantity"),
    [
        ("年内硬化村内道路3公里", True),
        ("新修水渠两千米", True),
        ("改造危房十二户", True),
        ("群众满意率达到百分之九十", True),
        ("人均纯收入增长8%", True),
        ("村集体经济收入达到10万元", True),
        ("新增就业五十人", True),
        ("流转土地300亩", True),
        ("全年召开村民代表会议4次", True),
        ("违纪违规零发生", True),
        ("每月公开一次村务", True),
        ("２０２５年底前完成", True),
        ("努力提高群众收入", False),
        ("进一步加强两委班子建设", False),
        ("服务千家万户", False),
        ("千方百计为群众办实事", False),
        ("把班子建设提高到一个新水平", False),
        ("零星开支及时入账", False),
        ("统一规划、一定做好", False),
    ],
)
def test_numbers_and_quantities_are_found_in_chinese_text(text, has_quantity):
    """§五.2 不具体: Arabic and Chinese numerals with units count; 进一步, 两委, 一定 do not."""
    assert bool(rules.find_quantities(text)) is has_quantity


@pytest.mark.parametrize(
    ("text", "target", "deadline", "expected"),
    [
        ("年内硬化村内道路3公里", "", None, []),
        ("修建村文化广场", "", date(2025, 10, 1), []),
        ("改善村容村貌", "新建垃圾收集点5处", None, []),
        ("村级财务每月公开", "", None, []),
        ("努力提高群众收入", "", None, [("pledges.item_empty_words", BLOCK)]),
        ("努力提高群众收入", "", YEAR_END, [("pledges.item_empty_words", BLOCK)]),
        ("进一步加强两委班子建设", "", None, [("pledges.item_empty_words", BLOCK)]),
        ("切实为群众办好事实事", "明显改善", None, [("pledges.item_empty_words", BLOCK)]),
        ("修建村文化广场", "", None, [("pledges.item_not_measurable", BLOCK)]),
        ("为群众办实事好事", "", None, [("pledges.item_not_measurable", BLOCK)]),
        ("服务千家万户", "", None, [("pledges.item_not_measurable", BLOCK)]),
        ("力争村集体经济收入达到10万元", "", None, [("pledges.item_vague_words", WARN)]),
        ("积极争取上级资金", "50万元", YEAR_END, [("pledges.item_vague_words", WARN)]),
    ],
)
def test_item_must_be_measurable(text, target, deadline, expected):
    """§五.2: 不实际、不具体 → 推倒重来; empty words beside a number only warn."""
    findings = rules.check_item_measurable(item(text, target, deadline))
    assert [(f.rule, f.severity) for f in findings] == expected


def test_empty_words_are_named_in_the_facts():
    """§五.2: the finding says which empty words made the pledge hollow."""
    (finding,) = rules.check_item_measurable(item("积极争取上级资金"))
    assert finding.facts == {"ref": "X1", "words": "争取、积极"}


def test_vague_warning_names_the_measurable_part():
    """§五.2: a warned item keeps the quantity the assessment will check."""
    (finding,) = rules.check_item_measurable(item("力争村集体经济收入达到10万元"))
    assert finding.facts["quantities"] == "10万元"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [("pledges.item_text_empty", BLOCK)]),
        ("   ", [("pledges.item_text_empty", BLOCK)]),
        ("修路3公里", [("pledges.item_text_too_short", WARN)]),
        ("修村道3公里", []),
        ("修" * 2000, []),
        ("修" * 2001, [("pledges.item_text_too_long", BLOCK)]),
    ],
)
def test_item_text_length(text, expected):
    """§五.2/§三.3: a pledge under 6 characters warns; over 2000 does not fit the letter."""
    findings = rules.check_item_text_length(item(text))
    assert [(f.rule, f.severity) for f in findings] == expected


def test_too_long_clause_blocks():
    """§三.3: a clause's measure over 2000 characters does not fit the letter."""
    clause = ClauseDraft("C1", "unmet_goals", "未完成", "扣发补贴" * 501)
    findings = rules.check_clause_length(clause)
    assert [(f.rule, f.facts["part"], f.facts["length"]) for f in findings] == [
        ("pledges.clause_text_too_long", "measure", 2004)
    ]


@pytest.mark.parametrize(
    ("letter_period", "deadline", "periods"),
    [
        ({"year": 2025}, date(2025, 1, 1), []),
        ({"year": 2025}, date(2025, 12, 31), []),
        ({"year": 2025}, date(2026, 1, 1), ["year"]),
        ({"year": 2025}, date(2024, 12, 31), ["year"]),
        ({"term_start": date(2021, 1, 1), "term_end": date(2025, 12, 31)}, date(2021, 1, 1), []),
        ({"term_start": date(2021, 1, 1), "term_end": date(2025, 12, 31)}, YEAR_END, []),
        (
            {"term_start": date(2021, 1, 1), "term_end": date(2025, 12, 31)},
            date(2020, 12, 31),
            ["term"],
        ),
        (
            {"term_start": date(2021, 1, 1), "term_end": date(2025, 12, 31)},
            date(2026, 1, 1),
            ["term"],
        ),
        (
            {"year": 2025, "term_start": date(2021, 1, 1), "term_end": date(2025, 12, 31)},
            date(2026, 3, 1),
            ["year", "term"],
        ),
        ({}, date(2031, 1, 1), []),
    ],
)
def test_deadline_within_year_and_term(letter_period, deadline, periods):
    """§二 任期或年度内: a deadline outside the letter's year or term blocks."""
    letter = LetterDraft("member", **letter_period)
    findings = rules.check_item_deadline(item("修村道3公里", deadline=deadline), letter)
    assert [(f.rule, f.severity, f.facts["period"]) for f in findings] == [
        ("pledges.deadline_outside_period", BLOCK, p) for p in periods
    ]


@pytest.mark.parametrize(
    ("kind", "post", "expected"),
    [
        ("team", "branch_secretary", []),
        ("team", None, [("pledges.item_no_responsible_post", WARN)]),
        ("team", "  ", [("pledges.item_no_responsible_post", WARN)]),
        ("member", None, []),
        ("secretary", None, []),
    ],
)
def test_team_item_names_a_responsible_post(kind, post, expected):
    """§三.2 按照职责分工: a team item names who answers for it; a cadre's own letter need not."""
    it = ItemDraft("X1", "work_goal", "修村道3公里", "", None, post)
    findings = rules.check_item_responsible(it, LetterDraft(kind))
    assert [(f.rule, f.severity) for f in findings] == expected


# --- §五.2: breach clauses that do not dodge responsibility ----------------------------------


@pytest.mark.parametrize(
    ("measure", "blocked"),
    [
        ("", True),
        ("  ", True),
        ("视情况处理", True),
        ("按有关规定处理", True),
        ("适当给予处罚", True),
        ("酌情处理", True),
        ("接受组织处理", True),
        ("进行一定的经济处罚", True),
        ("取消当年评先评优资格，年度考核定为不称职", False),
        ("扣发当年误工补贴的20%", False),
        ("接受黄牌警告", False),
        ("连续两年未完成的，引咎辞职", False),
        ("按有关规定赔偿损失", False),
        ("适当扣发误工补贴2000元", False),
    ],
)
def test_breach_clause_states_a_concrete_measure(measure, blocked):
    """§五.2 避重就轻、不敢承担责任: a measure left to discretion blocks."""
    findings = rules.check_clause_measure(ClauseDraft("C1", "unmet_goals", "未完成目标", measure))
    assert [(f.rule, f.severity) for f in findings] == (
        [("pledges.clause_no_concrete_measure", BLOCK)] if blocked else []
    )


@pytest.mark.parametrize(
    ("category", "measure", "amount", "warned"),
    [
        ("economic_loss", "赔偿全部损失", None, True),
        ("economic_loss", "按有关规定赔偿", None, True),
        ("economic_loss", "赔偿全部损失", Decimal("5000"), False),
        ("economic_loss", "赔偿全部损失", Decimal("0"), False),
        ("economic_loss", "按损失金额的30%承担赔偿", None, False),
        ("economic_loss", "个人赔偿五千元", None, False),
        ("unmet_goals", "年度考核定为不称职", None, False),
    ],
)
def test_economic_loss_clause_states_amount_or_proportion(category, measure, amount, warned):
    """§四.2: an economic-loss clause without an amount or proportion warns."""
    findings = rules.check_clause_amount(ClauseDraft("C2", category, "造成损失", measure, amount))
    assert [(f.rule, f.severity) for f in findings] == (
        [("pledges.economic_clause_no_amount", WARN)] if warned else []
    )


# --- §三.2: members break the team pledge down ----------------------------------------------


def test_coverage_maps_team_items_to_member_items():
    """§三.2: each team item lists the member items that break it down; unknown refs ignored."""
    assert coverage(TEAM_ITEMS, MEMBERS) == {
        "T1": ("M1-1", "M2-1"),
        "T2": ("M2-2",),
        "T3": ("M1-3",),
        "T4": ("M1-3",),
    }


@pytest.mark.parametrize(
    ("members", "uncovered"),
    [
        (MEMBERS, []),
        (MEMBERS[:1], ["T2"]),
        (MEMBERS[1:], ["T3", "T4"]),
        ((), ["T1", "T2", "T3", "T4"]),
        ((TEAM,), ["T1", "T2", "T3", "T4"]),
    ],
)
def test_team_item_no_member_breaks_down_blocks(members, uncovered):
    """§三.2: 每名班子成员…将班子集体承诺内容进行分解 — an uncovered team item blocks."""
    findings = rules.check_coverage(TEAM, members)
    assert [(f.rule, f.severity, f.facts["ref"]) for f in findings] == [
        ("pledges.team_item_not_broken_down", BLOCK, ref) for ref in uncovered
    ]


def test_coverage_is_not_checked_on_member_letters():
    """§三.2: the breakdown is a property of the team letter only."""
    assert rules.check_coverage(MEMBERS[0], ()) == []


# --- §三.1: the letter answers the villagers' issues and the township's tasks ----------------


@pytest.mark.parametrize(
    ("required", "missing"),
    [
        ((RequiredAnswer("H1", "村内道路泥泞"),), []),
        ((RequiredAnswer("H2", "饮水不安全"),), ["H2"]),
        ((RequiredAnswer("K2", "秸秆禁烧", "township_task"),), ["K2"]),
        ((RequiredAnswer("H2", "饮水不安全", adopted=False),), []),
        (
            (
                RequiredAnswer("H1", "道路"),
                RequiredAnswer("H3", "路灯"),
                RequiredAnswer("K1", "危房"),
            ),
            ["H3"],
        ),
    ],
)
def test_adopted_issue_answered_by_no_item_blocks(required, missing):
    """§三.1 把村民的意见和党委的要求有机结合起来: an adopted issue with no pledge blocks."""
    findings = rules.check_required_answers(TEAM, required)
    assert [(f.rule, f.severity, f.facts["ref"]) for f in findings] == [
        ("pledges.answer_missing", BLOCK, ref) for ref in missing
    ]


def test_missing_answer_names_the_issue():
    """§三.1: the finding carries the issue's label and source for the reader."""
    (finding,) = rules.check_required_answers(
        TEAM, [RequiredAnswer("K2", "秸秆禁烧", "township_task")]
    )
    assert finding.facts == {"ref": "K2", "label": "秸秆禁烧", "source": "township_task"}


# --- §三.2: the joint meeting's quorum ------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "present", "rule"),
    [
        (5, 3, None),
        (5, 2, "pledges.joint_meeting_no_quorum"),
        (6, 3, "pledges.joint_meeting_no_quorum"),
        (6, 4, None),
        (7, 4, None),
        (7, 3, "pledges.joint_meeting_no_quorum"),
        (2, 1, "pledges.joint_meeting_no_quorum"),
        (1, 1, None),
        (9, 0, "pledges.joint_meeting_no_quorum"),
        (0, 0, "pledges.joint_meeting_count_invalid"),
        (5, 6, "pledges.joint_meeting_count_invalid"),
        (5, -1, "pledges.joint_meeting_count_invalid"),
    ],
)
def test_joint_meeting_needs_more_than_half_present(total, present, rule):
    """§三.2 (DOMAIN step 2): more than half present; exactly half is not enough."""
    finding = joint_meeting_quorum(total, present)
    assert (finding.rule if finding else None) == rule
    if finding:
        assert finding.severity == BLOCK
        assert finding.facts["present"] == present


def test_quorum_finding_says_how_many_are_needed():
    """§三.2: with 6 members, 3 present is half; 4 are needed."""
    finding = joint_meeting_quorum(6, 3)
    assert finding.facts == {"members_total": 6, "present": 3, "needed": 4}


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_quorum_agrees_with_exact_fractions(case):
    """§三.2: the integer comparison equals present/total > 1/2 for every attendance."""
    total, present = case
    assert (joint_meeting_quorum(total, present) is None) == (Fraction(present, total) > 0.5)


# --- §三.2–3, §五.2: the drafting workflow ---------------------------------------------------

HAPPY_PATH = [
    ("draft", "submit_to_joint_meeting", "tabled"),
    ("tabled", "joint_meeting_approve", "joint_meeting"),
    ("joint_meeting", "consult", "consulted"),
    ("consulted", "submit", "submitted"),
    ("submitted", "approve", "approved"),
]


@pytest.mark.parametrize(("state", "action", "new"), HAPPY_PATH)
def test_letter_moves_through_the_steps_in_order(state, action, new):
    """§三.2–3: joint meeting, consultation, submission, township approval, in that order."""
    assert next_state(state, action) == new


@pytest.mark.parametrize(
    ("state", "action", "new"),
    [
        ("tabled", "joint_meeting_return", "draft"),
        ("submitted", "return", "returned"),
        ("returned", "submit_to_joint_meeting", "tabled"),
        ("submitted", "redo", "redo"),
    ],
)
def test_returned_and_redone_letters(state, action, new):
    """§五.2: returned for adjustment keeps the content; 推倒重来 closes the version."""
    assert next_state(state, action) == new


def test_redo_starts_a_new_version_in_draft():
    """§五.2 推倒重来: the redone version is final; the new version starts as a draft."""
    assert rules.allowed_actions("redo") == ()
    assert rules.NEW_VERSION_STATE == "draft"
    assert "redo" in rules.FINAL_STATES
    assert rules.EDITABLE_STATES == {"draft", "returned"}


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("draft", "submit"),
        ("draft", "approve"),
        ("draft", "consult"),
        ("tabled", "consult"),
        ("joint_meeting", "submit"),
        ("consulted", "approve"),
        ("returned", "submit"),
        ("approved", "return"),
        ("approved", "redo"),
        ("redo", "submit_to_joint_meeting"),
        ("draft", "publish"),
        ("signed", "approve"),
    ],
)
def test_step_out_of_order_is_refused(state, action):
    """§三.2–3: no submission before the joint meeting and consultation, no change once final."""
    with pytest.raises(TransitionError) as caught:
        next_state(state, action)
    assert isinstance(caught.value, ValueError)
    assert (caught.value.state, caught.value.action) == (state, action)
    assert action in str(caught.value)


def test_refusal_lists_the_allowed_actions():
    """§三.2: the message tells the user what the letter is waiting for."""
    with pytest.raises(TransitionError, match="allowed: consult"):
        next_state("joint_meeting", "submit")


def test_transition_table_is_closed_and_every_state_is_reachable():
    """§三.2–3: the table uses only known states and actions and reaches every state."""
    assert {s for s, _ in rules.TRANSITIONS} | set(rules.TRANSITIONS.values()) == set(rules.STATES)
    assert {a for _, a in rules.TRANSITIONS} == set(rules.ACTIONS)
    non_final = set(rules.STATES) - rules.FINAL_STATES
    assert all(rules.allowed_actions(s) for s in non_final)
