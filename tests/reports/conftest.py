"""The reports fixture: 2025 in 青山区, every figure computed by hand in ``tests/reports/
test_figures.py``'s docstring. Rows are made directly in the states the earlier steps leave
them (``tests/factories.py`` style): reports only reads."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from jiannuo.accountability.models import Case
from jiannuo.evaluation.models import (
    FULFILLED,
    NOT_FULFILLED,
    PARTLY,
    Loss,
    PostResult,
    Verdict,
    YearResult,
)
from jiannuo.organisation.models import Post
from jiannuo.pledges.models import Letter
from jiannuo.reports import selectors as rp_selectors
from jiannuo.supervision import selectors as sv_selectors
from tests.factories import make_signed_letter, signed_year

YEAR = 2025
DAY = date(2025, 5, 1)
_keys = itertools.count(1)


@pytest.fixture
def pinned(monkeypatch):
    """Supervision rates items, and the roster is read, on 2025-05-01."""
    monkeypatch.setattr(sv_selectors, "current_day", lambda: DAY)
    monkeypatch.setattr(rp_selectors, "current_day", lambda: DAY)
    return DAY


def verdicts(items, marks, by, village):
    """``marks``: one letter per item — F fulfilled, P partly, N not fulfilled, - none."""
    kinds = {"F": FULFILLED, "P": PARTLY, "N": NOT_FULFILLED}
    for item, mark in zip(items, marks, strict=True):
        if mark != "-":
            Verdict.objects.create(
                item=item, village=village, year=YEAR, verdict=kinds[mark], recorded_by=by
            )


def result(village, term, state, rows, by):
    """A year result with ``rows``: (post or None, satisfied, valid, grade, graded)."""
    yr = YearResult.objects.create(
        village=village,
        term=term,
        year=YEAR,
        state=state,
        confirmed_by=by if state == YearResult.CONFIRMED else None,
        confirmed_at=timezone.now() if state == YearResult.CONFIRMED else None,
    )
    for post, satisfied, valid, grade, graded in rows:
        PostResult.objects.create(
            result=yr,
            post=post,
            label=str(post) if post else "班子",
            satisfied=satisfied,
            valid=valid,
            grade=grade,
            graded=graded,
        )
    return yr


def case(township, village, measure, state, by, *, post=None, year=YEAR):
    now = timezone.now()
    return Case.objects.create(
        key=f"test-{next(_keys)}",
        township=township,
        village=village,
        year=year,
        subject="post" if post else "team",
        person=post.person if post else None,
        post=post,
        post_kind=post.kind if post else "",
        measure=measure,
        clause="§四",
        state=state,
        opened_by=by,
        opened_at=now,
        reply_due=now,
    )


@pytest.fixture
def data(tree, cast, system):
    by = cast.secretary_a
    a1 = signed_year(tree, cast, system, year=YEAR)
    sec_a2 = cast.branch_a2_person.posts.get(kind=Post.BRANCH_SECRETARY)
    a2_team = make_signed_letter(
        tree.a2, tree.term, Letter.TEAM, year=YEAR, items=3, responsible=sec_a2
    )
    # 河口村's secretary letter was signed, then superseded by a change not yet signed again:
    # nothing of it is in force.
    a2_old = make_signed_letter(tree.a2, tree.term, Letter.SECRETARY, sec_a2, year=YEAR, items=2)
    a2_old.superseded_at = timezone.make_aware(datetime(2025, 3, 1))
    a2_old.save(update_fields=["superseded_at"])
    b1_team = make_signed_letter(
        tree.b1, tree.term, Letter.TEAM, year=YEAR, items=1, published=False
    )
    # 2026 letters do not count in 2025.
    make_signed_letter(tree.a2, tree.term, Letter.TEAM, year=2026, items=2)

    verdicts(a1.team.items, "FPN-", by, tree.a1)
    verdicts(a1.secretary.items, "FFFF", by, tree.a1)
    verdicts(a1.director.items, "FFFP", by, tree.a1)
    verdicts(a2_team.items, "FFN", by, tree.a2)
    verdicts(a2_old.items, "F-", by, tree.a2)

    result(
        tree.a1,
        tree.term,
        YearResult.CONFIRMED,
        [
            (None, 11999, 20000, "", True),
            (a1.posts.secretary, 11999, 20000, "basically_competent", True),
            (a1.posts.director, 3, 5, "competent", True),
            (a1.posts.member, 0, 0, "", False),
        ],
        by,
    )
    result(
        tree.a2,
        tree.term,
        YearResult.CONFIRMED,
        [(None, 49, 100, "", True), (sec_a2, 2, 5, "incompetent", True)],
        by,
    )
    # A loss through the director's dereliction: it changes none of the report's figures,
    # but ``year_facts`` reads its posts (one more query, whatever the number of losses).
    loss = Loss.objects.create(
        village=tree.a1,
        year=YEAR,
        amount=Decimal("3000.00"),
        cause="dereliction",
        breach_clause="2",
        description="集体林地租金少收",
        recorded_by=by,
    )
    loss.posts.add(a1.posts.director)
    result(tree.b1, tree.term, YearResult.DRAFT, [(None, 10, 10, "", True)], cast.secretary_b)

    case(tree.a, tree.a1, "yellow_card", "decided", by, post=a1.posts.secretary)
    case(tree.a, tree.a1, "no_honours", "proposed", by, post=a1.posts.director)
    case(tree.a, tree.a1, "criticism", "carried_out", by, post=a1.posts.member)
    case(tree.a, tree.a1, "economic_penalty", "dismissed", by)
    case(tree.a, tree.a2, "resignation", "appealed", by, post=sec_a2)
    case(tree.a, tree.a2, "yellow_card", "revoked", by, post=sec_a2)
    case(tree.b, tree.b1, "discipline_referral", "replied", cast.secretary_b)
    case(tree.a, tree.a1, "yellow_card", "decided", by, post=a1.posts.secretary, year=2024)
    return SimpleNamespace(a1=a1, a2_team=a2_team, a2_old=a2_old, b1_team=b1_team)
