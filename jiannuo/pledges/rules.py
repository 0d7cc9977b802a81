"""Rules for pledge letters: content, the quality gate and the drafting workflow.

Plain Python, no ORM and no settings. The seed clauses applied here:

- §二 — every letter pledges in four categories and carries breach clauses in three;
  pledges are for the term or the year.
- §三.1–2 — the villagers' hot issues and the township's tasks are the basis of the pledges;
  a two-committee joint meeting agrees the team's pledges, and every member breaks the team
  pledge down by duty into their own pledges, each approved by the joint meeting.
- §三.3 — the supervision group (or the villager representatives) comments on the drafts,
  which are then filled in and submitted to the township party committee for approval.
- §五.2 — the quality gate: pledges that are impractical, vague or set too low are redone
  from scratch (推倒重来); breach clauses that dodge responsibility are sent back to be adjusted.

``check_letter`` runs every content rule and returns the findings; each rule is its own
function with a stable rule id (see ``RULES``), so a caller can show, filter or test one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from jiannuo.core.rules import BLOCK, WARN, Finding

# --- Vocabulary -------------------------------------------------------------------------------

#: §二: the four pledge categories — work goals, good deeds for the people, integrity
#: standards, guarantee measures.
CATEGORIES = ("work_goal", "good_deed", "integrity", "guarantee")

#: §二: the three breach categories — unmet goals, economic loss through dereliction or
#: mistakes, satisfaction rate below the standard.
BREACH_CATEGORIES = ("unmet_goals", "economic_loss", "low_satisfaction")

#: §三.3–4: the team letter, the branch secretary's own letter, a member letter.
LETTER_KINDS = ("team", "secretary", "member")

#: Sources of the issues a letter must answer (§三.1).
ANSWER_SOURCES = ("hot_issue", "township_task")

#: Item texts shorter than this many characters draw a warning (a pledge too terse to check).
MIN_ITEM_TEXT_LENGTH = 6
#: Texts longer than this many characters block (they do not fit the printed letter).
MAX_TEXT_LENGTH = 2000

#: Empty words (空话): on their own they promise effort, not a result (§五.2 不具体).
VAGUE_WORDS = (
    "努力",
    "争取",
    "尽量",
    "尽力",
    "尽可能",
    "积极",
    "力争",
    "力求",
    "进一步",
    "加强",
    "大力",
    "切实",
    "不断",
    "全力",
    "着力",
    "逐步",
    "明显",
    "显著",
    "大幅",
)

#: Words that leave a breach measure to later discretion (§五.2 避重就轻、不敢承担责任).
VAGUE_MEASURE_WORDS = (
    "视情况",
    "视情节",
    "酌情",
    "适当",
    "有关规定",
    "相关规定",
    "按规定",
    "一定的",
    "相应",
    "研究决定",
    "另行",
    "接受处罚",
    "接受处理",
    "接受组织处理",
)

#: Words naming a concrete sanction; a measure containing one (or a number) is concrete.
CONCRETE_MEASURE_WORDS = (
    "扣发",
    "扣除",
    "扣减",
    "停发",
    "罚款",
    "罚金",
    "赔偿",
    "取消",
    "不称职",
    "黄牌",
    "警告",
    "通报批评",
    "引咎辞职",
    "辞职",
    "免职",
    "处分",
    "书面检查",
    "公开道歉",
)

# --- Finding numbers and quantities in Chinese text ------------------------------------------

_CN_DIGITS = "零〇一二三四五六七八九十百千万亿两"
_UNITS = (
    "万元|元|人次|户|人|名|位|公里|千米|平方米|立方米|米|亩|公顷|个|次|项|条|座|所|间|"
    "场|期|台|辆|吨|处|盏|棵|株|头|只|件|起|套|口|块|份|篇|天|日|周|月|年|季度|小时|成|倍|%|％"
)
_QUANTITY = re.compile(
    # Arabic (also full-width) numbers, with an optional unit: 3公里, 5万元, 95%, 2025年
    rf"[0-9０-９]+(?:[.．][0-9０-９]+)?\s*(?:{_UNITS})?"
    # percentages in words: 百分之九十
    rf"|百分之[{_CN_DIGITS}0-9０-９]+"
    # Chinese numerals only when a unit follows: 三公里, 两个, 一百二十户, 九成
    rf"|[{_CN_DIGITS}]+(?:{_UNITS})"
    # zero targets: 零上访, 零事故 (but not 零星, 零散, 零售 …)
    r"|零(?![星散碎售钱工件])"
    # frequencies: 每月, 每季度
    r"|每(?:年|季度|季|月|旬|周|天|日)"
)
#: Set phrases whose numerals are not quantities; removed before looking for numbers.
_SET_PHRASES = (
    "千家万户",
    "千方百计",
    "百年大计",
    "一年四季",
    "三个代表",
    "一个中心",
    "两个基本点",
    "两个维护",
    "四个意识",
    "四个自信",
    "一个新水平",
    "一个新台阶",
    "一个新高度",
)


def find_quantities(text: str) -> tuple[str, ...]:
    """The numbers, percentages and quantities in ``text``, in order of appearance.

    Arabic digits count on their own; Chinese numerals count when a unit or measure word
    follows (三公里, 两个, 九成), so 进一步, 两委 and 一定 are not numbers.
    """
    for phrase in _SET_PHRASES:
        text = text.replace(phrase, " ")
    return tuple(m.group(0).strip() for m in _QUANTITY.finditer(text))


def find_words(text: str, words: Iterable[str]) -> tuple[str, ...]:
    """The words of ``words`` that occur in ``text``, in the order of ``words``."""
    return tuple(w for w in words if w in text)


# --- Input shapes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemDraft:
    """One pledge item as drafted (§二; DOMAIN.md "A usable pledge item has …").

    ``answers`` are refs of the hot issues or township tasks the item answers (§三.1);
    ``breaks_down`` are refs of the team items a member item breaks down (§三.2).
    """

    ref: str
    category: str
    text: str
    target: str = ""
    deadline: date | None = None
    responsible_post: str | None = None
    answers: tuple[str, ...] = ()
    breaks_down: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"Unknown pledge category {self.category!r}; use {CATEGORIES}.")
        object.__setattr__(self, "answers", tuple(self.answers))
        object.__setattr__(self, "breaks_down", tuple(self.breaks_down))


@dataclass(frozen=True)
class ClauseDraft:
    """One breach clause (§二): what triggers it and the measure the cadre accepts.

    ``amount`` is the money at stake for an economic-loss clause, if stated as a sum.
    """

    ref: str
    category: str
    trigger: str
    measure: str
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        if self.category not in BREACH_CATEGORIES:
            raise ValueError(f"Unknown breach category {self.category!r}; use {BREACH_CATEGORIES}.")


@dataclass(frozen=True)
class LetterDraft:
    """A pledge letter as drafted: its kind, items and breach clauses.

    A year letter gives ``year``; a term letter gives ``term_start``/``term_end``; both may be
    given. Deadlines are checked against whichever is given.
    """

    kind: str
    items: tuple[ItemDraft, ...] = ()
    clauses: tuple[ClauseDraft, ...] = ()
    ref: str = ""
    year: int | None = None
    term_start: date | None = None
    term_end: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in LETTER_KINDS:
            raise ValueError(f"Unknown letter kind {self.kind!r}; use {LETTER_KINDS}.")
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "clauses", tuple(self.clauses))


@dataclass(frozen=True)
class RequiredAnswer:
    """An accepted hot issue or township task the letter must answer (§三.1).

    ``adopted=False`` records that the joint meeting decided not to adopt it; such an issue
    needs no item (the reason is kept elsewhere).
    """

    ref: str
    label: str
    source: str = "hot_issue"
    adopted: bool = True

    def __post_init__(self) -> None:
        if self.source not in ANSWER_SOURCES:
            raise ValueError(f"Unknown answer source {self.source!r}; use {ANSWER_SOURCES}.")


# --- Rules -----------------------------------------------------------------------------------

#: Every rule id of this module and the seed clause it applies.
RULES: Mapping[str, str] = {
    "pledges.empty_category": "§二",
    "pledges.item_text_empty": "§五.2",
    "pledges.item_text_too_short": "§五.2",
    "pledges.item_text_too_long": "§三.3",
    "pledges.item_empty_words": "§五.2",
    "pledges.item_not_measurable": "§五.2",
    "pledges.item_vague_words": "§五.2",
    "pledges.deadline_outside_period": "§二",
    "pledges.item_no_responsible_post": "§三.2",
    "pledges.missing_breach_category": "§二",
    "pledges.clause_no_concrete_measure": "§五.2",
    "pledges.clause_text_too_long": "§三.3",
    "pledges.economic_clause_no_amount": "§四.2",
    "pledges.team_item_not_broken_down": "§三.2",
    "pledges.answer_missing": "§三.1",
    "pledges.joint_meeting_no_quorum": "§三.2",
    "pledges.joint_meeting_count_invalid": "§三.2",
}


def _finding(rule: str, message, severity: str = BLOCK, **facts) -> Finding:
    return Finding(rule=rule, clause=RULES[rule], message=message, facts=facts, severity=severity)


def check_categories(letter: LetterDraft) -> list[Finding]:
    """§二: every one of the four pledge categories has at least one item."""
    present = {item.category for item in letter.items}
    return [
        _finding(
            "pledges.empty_category",
            _("The letter has no pledge in the category %(category)s."),
            category=category,
        )
        for category in CATEGORIES
        if category not in present
    ]


def check_item_text_length(item: ItemDraft) -> list[Finding]:
    """§五.2/§三.3: an item has a text; a very short one warns, one too long to print blocks."""
    length = len(item.text.strip())
    if length == 0:
        return [_finding("pledges.item_text_empty", _("Item %(ref)s has no text."), ref=item.ref)]
    if length < MIN_ITEM_TEXT_LENGTH:
        return [
            _finding(
                "pledges.item_text_too_short",
                _("Item %(ref)s is very short (%(length)s characters); is it specific enough?"),
                WARN,
                ref=item.ref,
                length=length,
                minimum=MIN_ITEM_TEXT_LENGTH,
            )
        ]
    if length > MAX_TEXT_LENGTH:
        return [
            _finding(
                "pledges.item_text_too_long",
                _("Item %(ref)s is %(length)s characters long; at most %(maximum)s fit."),
                ref=item.ref,
                length=length,
                maximum=MAX_TEXT_LENGTH,
            )
        ]
    return []


def check_item_measurable(item: ItemDraft) -> list[Finding]:
    """§五.2 (不具体): an item can be checked at year end.

    At most one finding per item:

    - empty words (努力, 争取 …) and no number or quantity in text or target → block
      ``item_empty_words`` (a deadline does not rescue "努力提高群众收入");
    - no number or quantity and no deadline → block ``item_not_measurable``;
    - empty words beside something measurable → warn ``item_vague_words``.
    """
    if not item.text.strip():
        return []  # reported by check_item_text_length
    quantities = find_quantities(item.text) + find_quantities(item.target)
    vague = find_words(item.text + " " + item.target, VAGUE_WORDS)
    if vague and not quantities:
        return [
            _finding(
                "pledges.item_empty_words",
                _("Item %(ref)s promises only effort (%(words)s): state a number or quantity."),
                ref=item.ref,
                words="、".join(vague),
            )
        ]
    if not quantities and item.deadline is None:
        return [
            _finding(
                "pledges.item_not_measurable",
                _("Item %(ref)s has nothing measurable: no number, quantity or deadline."),
                ref=item.ref,
            )
        ]
    if vague:
        return [
            _finding(
                "pledges.item_vague_words",
                _("Item %(ref)s uses vague words (%(words)s); the measurable part is checked."),
                WARN,
                ref=item.ref,
                words="、".join(vague),
                quantities="、".join(quantities),
            )
        ]
    return []


def check_item_deadline(item: ItemDraft, letter: LetterDraft) -> list[Finding]:
    """§二 (任期或年度内): a deadline lies within the letter's year and term, when given."""
    deadline = item.deadline
    if deadline is None:
        return []
    outside = []
    if letter.year is not None and deadline.year != letter.year:
        outside.append(("year", str(letter.year)))
    start, end = letter.term_start, letter.term_end
    if (start is not None and deadline < start) or (end is not None and deadline > end):
        outside.append(("term", f"{_iso(start)}–{_iso(end)}"))
    return [
        _finding(
            "pledges.deadline_outside_period",
            _("The deadline %(deadline)s of item %(ref)s lies outside the %(period)s %(span)s."),
            ref=item.ref,
            deadline=deadline.isoformat(),
            period=period,
            span=span,
        )
        for period, span in outside
    ]


def _iso(day: date | None) -> str:
    return day.isoformat() if day else "…"


def check_item_responsible(item: ItemDraft, letter: LetterDraft) -> list[Finding]:
    """§三.2 (按照职责分工): a team item names the post responsible for it.

    A member's or secretary's letter is the cadre's own, so it needs no post per item.
    """
    if letter.kind != "team" or (item.responsible_post or "").strip():
        return []
    return [
        _finding(
            "pledges.item_no_responsible_post",
            _("Item %(ref)s names no responsible post."),
            WARN,
            ref=item.ref,
        )
    ]


def check_breach_categories(letter: LetterDraft) -> list[Finding]:
    """§二: the letter has a breach clause in each of the three breach categories."""
    present = {clause.category for clause in letter.clauses}
    return [
        _finding(
            "pledges.missing_breach_category",
            _("The letter has no breach clause for %(category)s."),
            category=category,
        )
        for category in BREACH_CATEGORIES
        if category not in present
    ]


def check_clause_measure(clause: ClauseDraft) -> list[Finding]:
    """§五.2 (避重就轻、不敢承担责任): a breach clause states a concrete measure.

    Blocks an empty measure, and a measure with discretionary words (视情况, 酌情, 适当,
    有关规定 …) that names no concrete sanction (扣发, 赔偿, 黄牌 …) and no number.
    """
    measure = clause.measure.strip()
    if not measure:
        return [
            _finding(
                "pledges.clause_no_concrete_measure",
                _("Breach clause %(ref)s states no measure."),
                ref=clause.ref,
                words="",
            )
        ]
    vague = find_words(measure, VAGUE_MEASURE_WORDS)
    concrete = find_words(measure, CONCRETE_MEASURE_WORDS) or find_quantities(measure)
    if vague and not concrete:
        return [
            _finding(
                "pledges.clause_no_concrete_measure",
                _("Breach clause %(ref)s leaves the measure open (%(words)s): state it."),
                ref=clause.ref,
                words="、".join(vague),
            )
        ]
    return []


def check_clause_amount(clause: ClauseDraft) -> list[Finding]:
    """§四.2: an economic-loss clause states an amount or a proportion of the loss."""
    if clause.category != "economic_loss" or clause.amount is not None:
        return []
    if find_quantities(clause.measure):
        return []  # e.g. 按损失的30%赔偿, 赔偿500元
    return [
        _finding(
            "pledges.economic_clause_no_amount",
            _("Economic-loss clause %(ref)s states no amount or proportion."),
            WARN,
            ref=clause.ref,
        )
    ]


def check_clause_length(clause: ClauseDraft) -> list[Finding]:
    """§三.3: a clause's trigger and measure each fit the printed letter."""
    return [
        _finding(
            "pledges.clause_text_too_long",
            _("The %(part)s of clause %(ref)s is %(length)s characters; at most %(maximum)s fit."),
            ref=clause.ref,
            part=part,
            length=len(text.strip()),
            maximum=MAX_TEXT_LENGTH,
        )
        for part, text in (("trigger", clause.trigger), ("measure", clause.measure))
        if len(text.strip()) > MAX_TEXT_LENGTH
    ]


def coverage(
    team_items: Sequence[ItemDraft], member_letters: Sequence[LetterDraft]
) -> dict[str, tuple[str, ...]]:
    """§三.2: for each team item, the refs of the member items that break it down.

    Member items are taken from the member and secretary letters in the order given; item
    refs are expected to be unique across those letters. Refs to unknown team items are
    ignored. A team item no one breaks down maps to ``()``.
    """
    result: dict[str, list[str]] = {item.ref: [] for item in team_items}
    for letter in member_letters:
        if letter.kind == "team":
            continue
        for item in letter.items:
            for team_ref in item.breaks_down:
                if team_ref in result and item.ref not in result[team_ref]:
                    result[team_ref].append(item.ref)
    return {ref: tuple(refs) for ref, refs in result.items()}


def check_coverage(letter: LetterDraft, member_letters: Sequence[LetterDraft]) -> list[Finding]:
    """§三.2: every item of a team letter is broken down by at least one member item.

    Applies to team letters only. With no member letters every team item is uncovered: this is
    a gate for submission, after the members have drafted their letters.
    """
    if letter.kind != "team":
        return []
    return [
        _finding(
            "pledges.team_item_not_broken_down",
            _("Team item %(ref)s is broken down by no member's pledge."),
            ref=ref,
        )
        for ref, refs in coverage(letter.items, member_letters).items()
        if not refs
    ]


def check_required_answers(
    letter: LetterDraft, required_answers: Sequence[RequiredAnswer]
) -> list[Finding]:
    """§三.1: every adopted hot issue or township task is answered by an item of the letter."""
    answered = {ref for item in letter.items for ref in item.answers}
    return [
        _finding(
            "pledges.answer_missing",
            _("%(label)s (%(ref)s) is answered by no pledge and was not marked as not adopted."),
            ref=required.ref,
            label=required.label,
            source=required.source,
        )
        for required in required_answers
        if required.adopted and required.ref not in answered
    ]


def check_letter(
    letter: LetterDraft,
    *,
    member_letters: Sequence[LetterDraft] = (),
    required_answers: Sequence[RequiredAnswer] = (),
) -> list[Finding]:
    """§五.2 严把承诺内容关: every content rule on one letter, in a fixed order.

    Letter-level findings come first, then each item's, then each clause's, then coverage
    (team letters) and the issues to answer. Any blocking finding sends the letter back.
    """
    findings = check_categories(letter)
    for item in letter.items:
        findings += check_item_text_length(item)
        findings += check_item_measurable(item)
        findings += check_item_deadline(item, letter)
        findings += check_item_responsible(item, letter)
    findings += check_breach_categories(letter)
    for clause in letter.clauses:
        findings += check_clause_measure(clause)
        findings += check_clause_amount(clause)
        findings += check_clause_length(clause)
    findings += check_coverage(letter, member_letters)
    findings += check_required_answers(letter, required_answers)
    return findings


def joint_meeting_quorum(members_total: int, present: int) -> Finding | None:
    """§三.2 (DOMAIN.md step 2): the joint meeting needs more than half of its members present.

    Exactly half is not enough. Compared in integers: ``2 * present > members_total``.
    Impossible counts (no members, negative, more present than members) are findings too.
    """
    if members_total <= 0 or present < 0 or present > members_total:
        return _finding(
            "pledges.joint_meeting_count_invalid",
            _("Attendance %(present)s of %(members_total)s members is not possible."),
            members_total=members_total,
            present=present,
        )
    if 2 * present > members_total:
        return None
    return _finding(
        "pledges.joint_meeting_no_quorum",
        _("Only %(present)s of %(members_total)s members present; more than half are needed."),
        members_total=members_total,
        present=present,
        needed=members_total // 2 + 1,
    )


# --- Workflow --------------------------------------------------------------------------------

DRAFT = "draft"
TABLED = "tabled"
JOINT_MEETING = "joint_meeting"
CONSULTED = "consulted"
SUBMITTED = "submitted"
APPROVED = "approved"
RETURNED = "returned"
REDO = "redo"

STATES = (DRAFT, TABLED, JOINT_MEETING, CONSULTED, SUBMITTED, APPROVED, RETURNED, REDO)

ACTIONS = (
    "submit_to_joint_meeting",
    "joint_meeting_approve",
    "joint_meeting_return",
    "consult",
    "submit",
    "approve",
    "return",
    "redo",
)

#: The drafting workflow of one version of a letter (§三.2–3, §五.2), as data.
#:
#: - ``draft`` — being written; ``submit_to_joint_meeting`` lays it before the joint meeting
#:   (``tabled``).
#: - ``tabled`` — the joint meeting approves it (``joint_meeting``: approved by the joint
#:   meeting) or returns it to ``draft`` with its content.
#: - ``joint_meeting`` — the supervision group (or the representatives) comments: ``consulted``.
#: - ``consulted`` — ``submit`` to the township party committee: ``submitted``.
#: - ``submitted`` — the township ``approve``s (``approved``, ready for signing), ``return``s it
#:   for adjustment (``returned``) or orders it redone (``redo``, §五.2 推倒重来).
#: - ``returned`` — editable like ``draft``, content kept; it goes back through the joint
#:   meeting, since the joint meeting agreed the content (§三.2). (The pledges services keep
#:   every round: the returned version is frozen and a new ``returned`` version carries the
#:   content on.)
#: - ``redo`` — final for this version; drafting starts again on a new version in
#:   ``NEW_VERSION_STATE`` (``draft``), empty or with the old content as the township decides.
#: - ``approved`` — final for drafting; signing is the signing app's workflow.
TRANSITIONS: Mapping[tuple[str, str], str] = {
    (DRAFT, "submit_to_joint_meeting"): TABLED,
    (RETURNED, "submit_to_joint_meeting"): TABLED,
    (TABLED, "joint_meeting_approve"): JOINT_MEETING,
    (TABLED, "joint_meeting_return"): DRAFT,
    (JOINT_MEETING, "consult"): CONSULTED,
    (CONSULTED, "submit"): SUBMITTED,
    (SUBMITTED, "approve"): APPROVED,
    (SUBMITTED, "return"): RETURNED,
    (SUBMITTED, "redo"): REDO,
}

#: States whose content may be edited.
EDITABLE_STATES = frozenset({DRAFT, RETURNED})
#: States no action leaves; ``redo`` continues on a new version.
FINAL_STATES = frozenset({APPROVED, REDO})
#: The state of the new version that ``redo`` opens.
NEW_VERSION_STATE = DRAFT


class TransitionError(ValueError):
    """An action that the letter's current state does not allow."""

    def __init__(self, state: str, action: str, message: str) -> None:
        super().__init__(message)
        self.state = state
        self.action = action


def allowed_actions(state: str) -> tuple[str, ...]:
    """The actions allowed in ``state``, in workflow order."""
    return tuple(action for (from_, action) in TRANSITIONS if from_ == state)


def next_state(state: str, action: str) -> str:
    """The state of the same letter version after ``action``; raises ``TransitionError``.

    After ``redo`` this version stays in ``redo`` and the caller opens a new version in
    ``NEW_VERSION_STATE``; after ``return`` the letter is editable again (``returned``).
    """
    if state not in STATES:
        raise TransitionError(state, action, f"Cannot {action}: unknown letter state {state!r}.")
    if action not in ACTIONS:
        raise TransitionError(
            state, action, f"Unknown letter action {action!r}; use one of {ACTIONS}."
        )
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        allowed = ", ".join(allowed_actions(state)) or "none (final state)"
        raise TransitionError(
            state,
            action,
            f"Cannot {action} a letter in state {state!r}; allowed: {allowed}.",
        ) from None
