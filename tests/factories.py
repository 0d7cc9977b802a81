"""Signed, published letters for the steps after signing (supervision, evaluation,
accountability). Rows are made directly in the state the signing step leaves them — the
pledge and signing workflows are tested in their own apps — with snapshots and hashes made
exactly as pledges makes them, so verification and "version in force" reads work.

``signed_year(tree, cast, system)`` gives 柳树村 (tree.a1) a team letter and one letter per
cadre (secretary, director, member) for ``year``, each signed and published, with items in
all four categories, deadlines through the year, responsible posts, and members' items that
break down the team's items.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from jiannuo.organisation.models import Post
from jiannuo.pledges import rules as pledge_rules
from jiannuo.pledges.models import BreachClause, Letter, LetterVersion, PledgeItem
from jiannuo.pledges.selectors import content_hash, snapshot
from jiannuo.signing.models import SignedLetter

CATEGORIES = ("work_goal", "good_deed", "integrity", "guarantee")
_codes = itertools.count(1)


def _deadlines(year: int) -> list[date]:
    return [date(year, 3, 31), date(year, 6, 30), date(year, 9, 30), date(year, 12, 31)]


def make_signed_letter(
    village,
    term,
    kind,
    post=None,
    *,
    year,
    items=4,
    responsible=None,
    breaks_down=(),
    published=True,
    signed_on=None,
    text="承诺事项",
):
    """One letter, version 1 approved, signed and (by default) published, with ``items`` items
    (categories in turn, deadlines each quarter) and the three kinds of breach clause."""
    letter = Letter.objects.create(
        village=village,
        term=term,
        year=year,
        kind=kind,
        post=post,
        state=pledge_rules.APPROVED,
        approved_at=timezone.now(),
    )
    version = LetterVersion.objects.create(letter=letter, number=1, state=pledge_rules.APPROVED)
    deadlines = _deadlines(year)
    made = PledgeItem.objects.bulk_create(
        PledgeItem(
            letter_version=version,
            code=str(n + 1),
            position=n,
            category=CATEGORIES[n % 4],
            text=f"{text}{n + 1}",
            target=f"完成{(n + 1) * 10}%",
            deadline=deadlines[n % 4],
            responsible_post=responsible or post,
        )
        for n in range(items)
    )
    for item, team_item in zip(made, breaks_down, strict=False):
        item.breaks_down.add(team_item)
    BreachClause.objects.bulk_create(
        [
            BreachClause(
                letter_version=version,
                code="1",
                position=0,
                category="unmet_goals",
                trigger="年度承诺目标未完成",
                measure="年度考核定为不称职，取消评先评优资格",
            ),
            BreachClause(
                letter_version=version,
                code="2",
                position=1,
                category="economic_loss",
                trigger="因失职造成集体经济损失",
                measure="按损失额的10%承担赔偿责任",
                share_percent=Decimal("10"),
            ),
            BreachClause(
                letter_version=version,
                code="3",
                position=2,
                category="low_satisfaction",
                trigger="民主测评满意率低于60%",
                measure="给予黄牌警告",
            ),
        ]
    )
    snap = snapshot(version)
    version.snapshot = snap
    version.content_hash = content_hash(snap)
    version.save(update_fields=["snapshot", "content_hash"])
    when = timezone.make_aware(
        datetime.combine(signed_on or date(year, 2, 20), datetime.min.time())
    )
    signed = SignedLetter.objects.create(
        version=version,
        letter=letter,
        verify_code=f"F{next(_codes):08d}",
        content_hash=version.content_hash,
        signed_at=when,
        published_at=when if published else None,
    )
    signed.items = list(version.items.order_by("position"))
    return signed


def signed_year(tree, cast, system, *, year=2026, village=None, items=4, published=True):
    """柳树村's team letter and the secretary's, director's and member's letters for ``year``,
    all signed and published. Returns a namespace of SignedLetters (each with ``.items``)."""
    village = village or tree.a1
    secretary_post = cast.branch_person.posts.get(kind=Post.BRANCH_SECRETARY)
    director_post = cast.director_person.posts.get(kind=Post.COMMITTEE_DIRECTOR)
    member_post = cast.member_person.posts.get(kind=Post.COMMITTEE_MEMBER)
    team = make_signed_letter(
        village,
        tree.term,
        Letter.TEAM,
        year=year,
        items=items,
        responsible=secretary_post,
        published=published,
        text="村两委班子承诺",
    )
    secretary = make_signed_letter(
        village,
        tree.term,
        Letter.SECRETARY,
        secretary_post,
        year=year,
        items=items,
        breaks_down=team.items,
        published=published,
        text="书记承诺",
    )
    director = make_signed_letter(
        village,
        tree.term,
        Letter.MEMBER,
        director_post,
        year=year,
        items=items,
        breaks_down=team.items,
        published=published,
        text="主任承诺",
    )
    member = make_signed_letter(
        village,
        tree.term,
        Letter.MEMBER,
        member_post,
        year=year,
        items=items,
        breaks_down=team.items[1:],
        published=published,
        text="委员承诺",
    )
    return SimpleNamespace(
        team=team,
        secretary=secretary,
        director=director,
        member=member,
        posts=SimpleNamespace(secretary=secretary_post, director=director_post, member=member_post),
    )
