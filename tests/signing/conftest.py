"""Fixtures for the signing step (§三.4–5): approved 2026 letters of 柳树村 (tree.a1) and a
ceremony with attendance. Letters are set up directly in their approved state (the pledges
workflow is tested in tests/pledges); their snapshot and hash are made as pledges makes them.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from jiannuo.organisation.models import Post
from jiannuo.pledges.models import Letter, LetterVersion, PledgeItem
from jiannuo.pledges.selectors import snapshot
from jiannuo.signing import selectors, services
from tests.conftest import make_person

YEAR = 2026
WHEN = timezone.make_aware(datetime(2026, 2, 20, 9, 0))


def make_letter(tree, kind, post=None, state="approved", text="年内硬化村内道路3公里"):
    letter = Letter.objects.create(
        village=tree.a1, term=tree.term, year=YEAR, kind=kind, post=post, state=state
    )
    version = LetterVersion.objects.create(letter=letter, number=1, state=state)
    PledgeItem.objects.create(letter_version=version, code="1", category="work_goal", text=text)
    version.snapshot = snapshot(version)
    version.content_hash = selectors.content_hash(version.snapshot)
    version.save(update_fields=["snapshot", "content_hash"])
    return letter


def current(letter):
    letter.refresh_from_db()
    return LetterVersion.objects.get(letter=letter, number=letter.current_number)


@pytest.fixture
def letters(cast, tree, system):
    member_post = cast.member_person.posts.get(kind=Post.COMMITTEE_MEMBER)
    secretary_post = cast.branch_person.posts.get(kind=Post.BRANCH_SECRETARY)
    party = make_person(system, tree.a1, "周小红", Post.PARTY_MEMBER)
    rep2 = make_person(system, tree.a1, "孙大山", Post.REPRESENTATIVE)
    return SimpleNamespace(
        team=make_letter(tree, "team"),
        secretary=make_letter(tree, "secretary", secretary_post),
        member=make_letter(tree, "member", member_post),
        party=party,
        rep2=rep2,
    )


@pytest.fixture
def ceremony(letters, cast, tree):
    """A held ceremony with 周小红, 孙大山 and 陈玉梅 (the voter) present."""
    c = services.ceremony_schedule(
        actor=cast.branch,
        village=tree.a1,
        term=tree.term,
        year=YEAR,
        scheduled_at=WHEN,
        place="村委会议室",
    )
    c = services.ceremony_hold(actor=cast.branch, ceremony=c)
    for p in (letters.party, letters.rep2, cast.voter_person):
        services.attendance_checkin(actor=cast.branch, ceremony=c, person=p)
    return c


def pass_vote(ceremony, letter, actor):
    return services.vote_record(
        actor=actor, ceremony=ceremony, letter=letter, for_=3, against=0, abstain=0
    )
