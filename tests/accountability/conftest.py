"""Facts for the accountability tests, in the shapes of ``accountability.rules``, built on the
cast of ``tests/conftest.py`` in 柳树村 (tree.a1): 李建国 (cast.branch) is branch secretary,
王海涛 (cast.director) committee director, 张秀英 (cast.member) a committee member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from jiannuo.accountability import services
from jiannuo.accountability.facts import YearFacts
from jiannuo.accountability.rules import DERELICTION, Loss, PostYear, TeamYear
from jiannuo.organisation.models import Post

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
GOOD = Fraction(9, 10)


def days(n):
    return T0 + timedelta(days=n)


def post_of(person, kind=None):
    qs = Post.objects.filter(person=person, kind__in=Post.TEAM)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.get()


def post_year(person, *, year=2025, term=None, **kw):
    post = post_of(person)
    values = {
        "assessed": True,
        "graded": True,
        "goals_met": True,
        "pledges_met": True,
        "satisfaction": GOOD,
    }
    values.update(kw)
    return PostYear(
        person_id=person.pk,
        post_id=post.pk,
        post_kind=post.kind,
        village_id=post.village_id,
        term_id=term,
        year=year,
        **values,
    )


def team_year(village, *, year=2025, term=None, **kw):
    values = {"assessed": True, "pledges_met": True, "satisfaction": GOOD}
    values.update(kw)
    return TeamYear(village_id=village.pk, term_id=term, year=year, **values)


def make_year_facts(tree, cast):
    """2025 in 柳树村: the member misses her pledges (yellow card) and broke the integrity
    pledge (criticism); the director caused a loss through dereliction (economic penalty) and
    is below 50% (resignation demanded, with a yellow card)."""
    t = tree.term.pk
    return YearFacts(
        current=[
            post_year(cast.branch_person, term=t),
            post_year(
                cast.director_person,
                term=t,
                satisfaction=Fraction(45, 100),
                losses=(Loss(Decimal("3000"), DERELICTION, "2", "灌溉渠失修", 11),),
            ),
            post_year(
                cast.member_person, term=t, pledges_met=False, integrity_breaches=("收受礼品",)
            ),
        ],
        teams=[team_year(tree.a1, term=t)],
    )


@pytest.fixture
def year_facts(tree, cast):
    return make_year_facts(tree, cast)


@pytest.fixture
def opened(cast, tree, year_facts):
    """The 2025 cases of 石桥镇, opened by the township secretary at T0."""
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025, facts=year_facts, now=T0)
    from jiannuo.accountability.models import Case

    return {(c.person_id, c.measure): c for c in Case.objects.all()}
