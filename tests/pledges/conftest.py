"""Fixtures for the pledges step: the letters of 柳树村 (tree.a1) for 2026, and helpers that
fill them with content that passes the quality gate and walk them through the workflow."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from jiannuo.organisation.models import Post
from jiannuo.pledges import services
from jiannuo.pledges.models import Letter

YEAR = 2026
MEETING_DAY = date(2026, 3, 10)

TEAM_ITEMS = [
    ("work_goal", "年内硬化村内道路3公里", "3公里", date(2026, 10, 31)),
    ("good_deed", "为村内60岁以上老人免费体检一次", "覆盖率100%", date(2026, 9, 30)),
    ("integrity", "村级财务每月公开一次，违纪违规零发生", "12次", date(2026, 12, 31)),
    ("guarantee", "每季度召开一次两委联席会议研究承诺落实", "4次", date(2026, 12, 31)),
]
CLAUSES = [
    ("unmet_goals", "年度工作目标未完成", "取消当年评先评优资格，年度考核定为不称职", None),
    ("economic_loss", "因工作失职给集体造成经济损失", "按损失金额的30%承担赔偿", None),
    ("low_satisfaction", "年度民主测评满意率低于60%", "扣发当年误工补贴的20%，接受黄牌警告", None),
]


def reload(letter: Letter) -> Letter:
    return Letter.objects.select_related("village", "term", "post__person").get(pk=letter.pk)


def add_clauses(letter, actor):
    for category, trigger, measure, amount in CLAUSES:
        letter = reload(letter)
        services.clause_add(
            actor=actor,
            letter=letter,
            version=letter.version,
            category=category,
            trigger=trigger,
            measure=measure,
            amount=amount,
        )
    return reload(letter)


def fill_team(letter, actor, post):
    for category, text, target, deadline in TEAM_ITEMS:
        letter = reload(letter)
        services.item_add(
            actor=actor,
            letter=letter,
            version=letter.version,
            category=category,
            text=text,
            target=target,
            deadline=deadline,
            responsible_post_id=post.pk,
        )
    return add_clauses(letter, actor)


def fill_member(letter, actor, team_letter):
    """Four categories; the work-goal item breaks down every team item (§三.2)."""
    team_items = list(
        team_letter.versions.get(number=reload(team_letter).current_number).items.all()
    )
    for n, (category, text, target, deadline) in enumerate(TEAM_ITEMS):
        letter = reload(letter)
        services.item_add(
            actor=actor,
            letter=letter,
            version=letter.version,
            category=category,
            text=f"负责{text}",
            target=target,
            deadline=deadline,
            breaks_down_ids=[team_items[n].pk] if n < len(team_items) else [],
        )
    return add_clauses(letter, actor)


@pytest.fixture
def letters(cast, tree):
    """The 2026 letters of 柳树村: team, the secretary's own, the director's, the member's."""
    services.letters_prepare(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    by_post = {
        x.post.kind if x.post_id else "team": x
        for x in Letter.objects.filter(village=tree.a1, year=YEAR).select_related("post")
    }
    return SimpleNamespace(
        team=by_post["team"],
        secretary=by_post[Post.BRANCH_SECRETARY],
        director=by_post[Post.COMMITTEE_DIRECTOR],
        member=by_post[Post.COMMITTEE_MEMBER],
        all=list(by_post.values()),
    )


@pytest.fixture
def complete(letters, cast):
    """Every letter filled with content that passes the quality gate."""
    secretary_post = cast.branch_person.posts.get(kind=Post.BRANCH_SECRETARY)
    fill_team(letters.team, cast.branch, secretary_post)
    for letter in (letters.secretary, letters.director, letters.member):
        fill_member(letter, cast.branch, letters.team)
    for name in ("team", "secretary", "director", "member"):
        setattr(letters, name, reload(getattr(letters, name)))
    letters.all = [letters.team, letters.secretary, letters.director, letters.member]
    return letters


def team_post_ids(village):
    return list(
        Post.objects.filter(village=village, kind__in=Post.TEAM, end__isnull=True).values_list(
            "pk", flat=True
        )
    )


def table_all(letters, actor):
    for letter in letters:
        services.letter_submit_to_joint_meeting(actor=actor, letter=reload(letter))


def hold_joint_meeting(village, term, letters, actor, decision="approved"):
    return services.joint_meeting_record(
        actor=actor,
        village=village,
        term=term,
        year=YEAR,
        date=MEETING_DAY,
        attendance=team_post_ids(village),
        decisions={x.pk: (decision, "") for x in letters},
    )


def consult(village, term, letters, actor):
    return services.consultation_record(
        actor=actor,
        village=village,
        term=term,
        year=YEAR,
        date=MEETING_DAY,
        comments={x.pk: "同意" for x in letters},
    )


def to_submitted(letters, cast, tree):
    """Walk every letter to the township: tabled, agreed, consulted, submitted."""
    table_all(letters, cast.branch)
    hold_joint_meeting(tree.a1, tree.term, letters, cast.branch)
    consult(tree.a1, tree.term, letters, cast.branch)
    services.period_submit(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    return [reload(x) for x in letters]
