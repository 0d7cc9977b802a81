"""What each quality-gate rule of ``rules.RULES`` checks, in words for the people who draft.

Shown on the "quality checks explained" page and next to every finding.
"""

from django.utils.translation import gettext_lazy as _

from . import rules

#: rule id → (short title, explanation). Every id of ``rules.RULES`` has an entry.
RULE_TEXT = {
    "pledges.empty_category": (
        _("All four kinds of pledge"),
        _(
            "Every letter pledges work goals, practical deeds for the people, integrity "
            "standards and the measures that guarantee them. A kind with no pledge blocks."
        ),
    ),
    "pledges.item_text_empty": (
        _("A pledge has words"),
        _("An item without text cannot be checked or signed. It blocks."),
    ),
    "pledges.item_text_too_short": (
        _("A pledge is not too terse"),
        _(
            "A very short pledge is usually too vague to check at year end. It warns: "
            "keep it only if it is specific."
        ),
    ),
    "pledges.item_text_too_long": (
        _("A pledge fits the printed letter"),
        _("Texts longer than the printed letter can hold block; split them into items."),
    ),
    "pledges.item_empty_words": (
        _("No empty promises"),
        _(
            "Words such as 努力, 争取 or 进一步 promise effort, not a result. Without any number "
            "or quantity the pledge is vague and must be redone (推倒重来). It blocks."
        ),
    ),
    "pledges.item_not_measurable": (
        _("Every pledge can be measured"),
        _(
            "An item needs a number, a quantity or at least a deadline, so the assessment "
            "group can say at year end whether it was kept. It blocks."
        ),
    ),
    "pledges.item_vague_words": (
        _("Vague words beside a measurable target"),
        _(
            "The item is measurable, but vague words weaken it; only the measurable part will "
            "be assessed. It warns."
        ),
    ),
    "pledges.deadline_outside_period": (
        _("Deadlines within the year or term"),
        _(
            "A year letter's deadlines lie in that year; a term letter's within the term. It blocks."
        ),
    ),
    "pledges.item_no_responsible_post": (
        _("A responsible post for each team pledge"),
        _(
            "Members break the team's pledges down by their duties; a team item should name "
            "the post responsible for it. It warns."
        ),
    ),
    "pledges.missing_breach_category": (
        _("All three breach clauses"),
        _(
            "Every letter says what happens when goals are not met, when dereliction or "
            "mistakes cause economic loss, and when the satisfaction rate falls below the "
            "standard. A missing clause blocks."
        ),
    ),
    "pledges.clause_no_concrete_measure": (
        _("Breach clauses that take responsibility"),
        _(
            "A measure such as 视情况处理 or 按有关规定 dodges responsibility; name the sanction "
            "(扣发, 赔偿, 黄牌警告, 引咎辞职 …) or a number. It blocks."
        ),
    ),
    "pledges.clause_text_too_long": (
        _("A clause fits the printed letter"),
        _("A trigger or a measure too long for the printed letter blocks."),
    ),
    "pledges.economic_clause_no_amount": (
        _("An amount for economic loss"),
        _(
            "The economic-loss clause should state a sum or a share of the loss (e.g. 按损失的"
            "30%赔偿). It warns."
        ),
    ),
    "pledges.team_item_not_broken_down": (
        _("Members own every team pledge"),
        _(
            "Each team item is broken down by at least one member's or the secretary's pledge. "
            "A team item nobody owns blocks."
        ),
    ),
    "pledges.answer_missing": (
        _("Villagers' issues and township tasks answered"),
        _(
            "Every accepted hot issue and every township task is answered by a pledge of the "
            "team letter, unless the joint meeting recorded why it is not adopted. It blocks."
        ),
    ),
    "pledges.joint_meeting_no_quorum": (
        _("Joint meeting quorum"),
        _(
            "More than half of the two committees' members attend the joint meeting; exactly "
            "half is not enough."
        ),
    ),
    "pledges.joint_meeting_count_invalid": (
        _("Possible attendance"),
        _("The attendance must be a possible number of the committees' members."),
    ),
}

#: Rules applied to a letter's content (the others belong to the joint meeting).
LETTER_RULES = [r for r in rules.RULES if not r.startswith("pledges.joint_meeting")]


def rule_rows():
    """(rule id, seed clause, title, explanation) for every rule, in the rules' order."""
    return [(rule, clause, *RULE_TEXT[rule]) for rule, clause in rules.RULES.items()]
