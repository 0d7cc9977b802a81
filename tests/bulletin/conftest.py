"""Fixtures for the bulletin board (seed §三.4): a village with signed, published letters.

Rows are made directly (the board only reads them); the pledge and signing workflows are
tested in their own apps.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone

from jiannuo.opinions.models import HotIssue, Opinion, TaskAssignment, TownshipTask
from jiannuo.organisation.models import Post
from jiannuo.pledges import rules as pledge_rules
from jiannuo.pledges.models import CATEGORY_LABELS, Letter, LetterVersion, PledgeItem
from jiannuo.pledges.selectors import content_hash, snapshot
from jiannuo.signing.models import SignedLetter

YEAR = 2026
CATEGORIES = list(CATEGORY_LABELS)
_codes = iter(range(1, 10**6))


def make_letter(village, term, kind, post=None, year=YEAR, state=pledge_rules.APPROVED):
    return Letter.objects.create(
        village=village, term=term, year=year, kind=kind, post=post, state=state
    )


def make_version(letter, number=1, items=4, state=pledge_rules.APPROVED, text="承诺事项"):
    version = LetterVersion.objects.create(
        letter=letter, number=number, state=state, content_hash=f"{letter.pk:060d}{number:04d}"
    )
    letter.current_number = number
    letter.save(update_fields=["current_number"])
    today = timezone.localdate()
    PledgeItem.objects.bulk_create(
        PledgeItem(
            letter_version=version,
            code=f"X{n}",
            position=n,
            category=CATEGORIES[n % 4],
            text=f"{text}{n}",
            target=f"目标{n}",
            deadline=today + timedelta(days=(30 if n % 2 else -30)),
        )
        for n in range(items)
    )
    # The frozen snapshot and its hash, as the pledge workflow leaves them (the board checks
    # the rows against them: signing.integrity).
    version.snapshot = snapshot(version)
    version.content_hash = content_hash(version.snapshot)
    version.save(update_fields=["snapshot", "content_hash"])
    return version


def sign(version, *, published=True, superseded=False):
    now = timezone.now()
    return SignedLetter.objects.create(
        version=version,
        letter=version.letter,
        verify_code=f"V{next(_codes):08d}",
        content_hash=version.content_hash,
        signed_at=now,
        published_at=now if published else None,
        superseded_at=now if superseded else None,
    )


@pytest.fixture(autouse=True)
def _clear_board_cache():
    """The rendered board is cached (keyed by content); start every test empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def village(tree, cast, system):
    """柳树村 with: the team letter signed and published (v1 superseded by v2), the member's
    letter signed but NOT published, the director's letter still a draft; a hot issue answered,
    one not adopted with a reason, a township task not adopted, and opinions with givers."""
    v = tree.a1
    team = make_letter(v, tree.term, Letter.TEAM)
    v1 = make_version(team, 1, text="旧版承诺")
    sign(v1, superseded=True)
    v2 = make_version(team, 2, text="新版承诺")
    team_signed = sign(v2)
    member_post = cast.member_person.posts.get(kind=Post.COMMITTEE_MEMBER)
    member = make_letter(v, tree.term, Letter.MEMBER, member_post)
    sign(make_version(member, 1, text="未公布承诺"), published=False)
    director_post = cast.director_person.posts.get(kind=Post.COMMITTEE_DIRECTOR)
    draft = make_letter(v, tree.term, Letter.MEMBER, director_post, state=pledge_rules.DRAFT)
    make_version(draft, 1, state=pledge_rules.DRAFT, text="草稿承诺")

    answered = HotIssue.objects.create(
        village=v, term=tree.term, year=YEAR, label="村道坑洼难行", status=HotIssue.ACCEPTED
    )
    PledgeItem.objects.filter(letter_version=v2, position=0).first().answers_hot_issues.add(
        answered
    )
    refused = HotIssue.objects.create(
        village=v,
        term=tree.term,
        year=YEAR,
        label="修建村文化广场",
        status=HotIssue.ACCEPTED,
        not_adopted_reason="村集体资金不足，列入下届规划",
    )
    Opinion.objects.create(
        village=v,
        term=tree.term,
        year=YEAR,
        text="村口的路太烂了",
        source=Opinion.SOURCES[0][0],
        giver_name="钱小花",
        giver_phone="13712345678",
        hot_issue=answered,
    )
    task = TownshipTask.objects.create(
        township=tree.a,
        year=YEAR,
        title="建设村级光伏电站",
        target="1座",
        deadline=date(YEAR, 12, 31),
        issued_by=system,
    )
    TaskAssignment.objects.create(task=task, village=v, not_adopted_reason="村内无合适场地")
    return SimpleNamespace(
        village=v, team=team, team_signed=team_signed, answered=answered, refused=refused
    )
