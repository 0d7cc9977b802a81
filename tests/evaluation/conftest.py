"""Fixtures of the year-end step: 柳树村's signed 2025 letters (tests/factories.py), the
township's assessment group, and helpers that walk a paper or phone round through the
services (each helper uses the services only, so the states are the real ones)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jiannuo.evaluation import services
from jiannuo.evaluation.models import FULFILLED, NOT_FULFILLED, BallotCode, Round, Tally, Voter
from jiannuo.organisation.models import Post
from tests.conftest import make_person
from tests.factories import signed_year

YEAR = 2025


@pytest.fixture
def letters(tree, cast, system):
    return signed_year(tree, cast, system, year=YEAR)


@pytest.fixture
def group(tree, cast, letters):
    return services.group_create(
        actor=cast.secretary_a,
        township=tree.a,
        year=YEAR,
        name="第一考核组",
        members=[cast.assessor_a],
        villages=[tree.a1],
    )


@pytest.fixture
def voters(tree, cast, system):
    """Eight more villager representatives of 柳树村 (ten eligible voters with the cast's)."""
    return [make_person(system, tree.a1, f"代表{i}", Post.REPRESENTATIVE) for i in range(8)]


def all_items(letters):
    return [
        i
        for s in (letters.team, letters.secretary, letters.director, letters.member)
        for i in s.items
    ]


def assess(letters, assessor, verdicts=None):
    """A verdict on every item: ``verdicts`` maps item pk → verdict (default fulfilled)."""
    verdicts = verdicts or {}
    # A letter may stand for two posts (一肩挑): each item gets its verdict once.
    for item in {i.pk: i for i in all_items(letters)}.values():
        v = verdicts.get(item.pk, FULFILLED)
        services.verdict_record(
            actor=assessor,
            item=item,
            verdict=v,
            reason="" if v == FULFILLED else "dereliction",
            evidence="台账",
        )


def checkin_all(rnd, supervisor):
    for voter in Voter.objects.filter(round=rnd):
        services.voter_checkin(actor=supervisor, round=rnd, voter=voter)
    rnd.refresh_from_db()
    return rnd


def issue_codes(rnd, supervisor):
    """A phone round's code slips, issued once everyone present is checked in: ``rnd.codes``
    are the printed codes (the database keeps only their digests)."""
    codes = services.slips_issue(actor=supervisor, round=rnd)
    rnd.refresh_from_db()
    rnd.codes = codes
    return rnd


def is_spent(code) -> bool:
    return BallotCode.objects.get(digest=services.code_digest(code)).spent


def paper_round(village, cast, *, year=YEAR, counts=None):
    """A paper round held, closed and counted: ``counts`` maps a target's post id (None: team)
    to option counts; the supervisor enters and staff_a confirms each tally."""
    rnd = services.round_create(actor=cast.supervisor, village=village, year=year, method="paper")
    checkin_all(rnd, cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)
    services.round_close(actor=cast.supervisor, round=rnd)
    rnd.refresh_from_db()
    counts = counts or {}
    for target in rnd.targets.all():
        c = counts.get(target.post_id, {"satisfied": rnd.present})
        returned = sum(c.values())
        tally = services.tally_enter(
            actor=cast.supervisor,
            target=target,
            issued=rnd.present,
            returned=returned,
            spoiled=0,
            counts=c,
        )
        services.tally_confirm(actor=cast.staff_a, tally=tally)
    return rnd


@pytest.fixture
def completed(tree, cast, letters, group, voters):
    """A completed, confirmed 2025 for 柳树村: the member's work goal not met, everything
    else fulfilled; the member 4 of 10 satisfied, the others all satisfied."""
    goal = next(i for i in letters.member.items if i.category == "work_goal")
    assess(letters, cast.assessor_a, {goal.pk: NOT_FULFILLED})
    paper_round(
        tree.a1,
        cast,
        counts={letters.posts.member.pk: {"satisfied": 4, "dissatisfied": 6}},
    )
    result = services.results_confirm(actor=cast.secretary_a, village=tree.a1, year=YEAR)
    return SimpleNamespace(result=result, goal=goal)


__all__ = [
    "YEAR",
    "Round",
    "Tally",
    "all_items",
    "assess",
    "checkin_all",
    "is_spent",
    "issue_codes",
    "paper_round",
]
