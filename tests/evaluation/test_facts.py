"""``year_facts``: the confirmed year-end facts the accountability step reads (§三.6, §四)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from jiannuo.accountability.rules import Loss as LossFact
from jiannuo.accountability.rules import PostYear, TeamYear
from jiannuo.evaluation import services
from jiannuo.evaluation.facts import year_facts
from jiannuo.evaluation.models import PostResult, YearResult
from jiannuo.evaluation.rules import is_below
from jiannuo.organisation.models import Post

from .conftest import YEAR, assess, paper_round

pytestmark = pytest.mark.django_db


def by_post(posts):
    return {p.post_id: p for p in posts}


def test_unconfirmed_year_produces_no_facts(tree, cast, letters, group, voters):
    """§三.6: only years the township confirmed count; an unassessed year breaks a chain."""
    assess(letters, cast.assessor_a)
    paper_round(tree.a1, cast)
    assert year_facts([tree.a1], [YEAR]) == ([], [])
    assert year_facts([tree.a1.pk], [YEAR - 1, YEAR + 1]) == ([], [])


def test_confirmed_year_gives_one_post_year_per_post_and_the_team(tree, cast, letters, completed):
    posts, teams = year_facts([tree.a1], [YEAR])
    assert {p.post_id for p in posts} == {
        letters.posts.secretary.pk,
        letters.posts.director.pk,
        letters.posts.member.pk,
    }
    assert all(isinstance(p, PostYear) and p.assessed and p.graded for p in posts)
    member = by_post(posts)[letters.posts.member.pk]
    assert member.post_kind == Post.COMMITTEE_MEMBER
    assert member.person_id == cast.member_person.pk
    assert member.village_id == tree.a1.pk and member.term_id == tree.term.pk
    assert member.year == YEAR
    assert member.goals_met is False  # §四.1: the work goal was not fulfilled
    assert member.pledges_met is False
    assert member.satisfaction == Fraction(4, 10)
    secretary = by_post(posts)[letters.posts.secretary.pk]
    assert secretary.post_kind == Post.BRANCH_SECRETARY
    assert (secretary.goals_met, secretary.pledges_met) == (True, True)
    assert secretary.satisfaction == Fraction(1)
    (team,) = teams
    assert isinstance(team, TeamYear)
    assert (team.village_id, team.year, team.assessed) == (tree.a1.pk, YEAR, True)
    assert team.pledges_met is True and team.satisfaction == Fraction(1)


def test_partly_fulfilled_counts_as_not_met(tree, cast, letters, group, voters):
    """§四.3: "partly" is not fulfilled."""
    item = next(i for i in letters.director.items if i.category == "good_deed")
    assess(letters, cast.assessor_a, {item.pk: "partly"})
    paper_round(tree.a1, cast)
    services.results_confirm(actor=cast.secretary_a, village=tree.a1, year=YEAR)
    director = by_post(year_facts([tree.a1], [YEAR])[0])[letters.posts.director.pk]
    assert director.goals_met is True and director.pledges_met is False


def test_losses_and_breaches_reach_the_posts_and_the_team(tree, cast, letters, group, voters):
    """§四.2 / §四.4: losses with the letter's breach clause, integrity and discipline."""
    loss = services.loss_record(
        actor=cast.assessor_a,
        village=tree.a1,
        year=YEAR,
        amount="12000.50",
        cause="dereliction",
        breach_clause="2",
        description="工程款未经审核拨付",
        posts=[letters.posts.director],
        team=True,
    )
    services.breach_record(
        actor=cast.assessor_a,
        village=tree.a1,
        year=YEAR,
        kind="integrity",
        post=letters.posts.secretary,
        description="违规接受宴请",
    )
    services.breach_record(
        actor=cast.assessor_a,
        village=tree.a1,
        year=YEAR,
        kind="discipline",
        post=letters.posts.member,
        description="违反财经纪律",
        referred_to="镇纪委",
    )
    assess(letters, cast.assessor_a)
    paper_round(tree.a1, cast)
    services.results_confirm(actor=cast.secretary_a, village=tree.a1, year=YEAR)
    posts, (team,) = year_facts([tree.a1], [YEAR])
    p = by_post(posts)
    fact = LossFact(
        amount=Decimal("12000.50"),
        cause="dereliction",
        breach_clause="2",
        description="工程款未经审核拨付",
        loss_id=loss.pk,
        # §四.2: the clause chosen from the director's signed letter, as data.
        clause_share=Decimal("10.00"),
        clause_measure="按损失额的10%承担赔偿责任",
    )
    assert loss.clause.letter_version_id == letters.director.version.pk
    assert p[letters.posts.director.pk].losses == (fact,)
    assert team.losses == (fact,)
    assert p[letters.posts.secretary.pk].losses == ()
    assert p[letters.posts.secretary.pk].integrity_breaches == ("违规接受宴请",)
    assert p[letters.posts.member.pk].discipline_violations == ("违反财经纪律",)
    assert team.integrity_breaches == ()


def test_dual_post_holder_has_one_post_year_per_post(tree, cast, system, letters, completed):
    """DOMAIN.md posts, not people: under 一肩挑 one person, two PostYears."""
    result = completed.result
    director_row = PostResult.objects.get(result=result, post=letters.posts.director)
    director_row.person = cast.branch_person
    director_row.save()
    posts, _teams = year_facts([tree.a1], [YEAR])
    mine = [p for p in posts if p.person_id == cast.branch_person.pk]
    assert {p.post_kind for p in mine} == {Post.BRANCH_SECRETARY, Post.COMMITTEE_DIRECTOR}


@pytest.mark.parametrize(
    ("satisfied", "valid", "below_60", "below_50"),
    [
        (5999, 10000, True, False),
        (6000, 10000, False, False),
        (4999, 10000, True, True),
        (5000, 10000, True, False),
        (0, 0, None, None),
    ],
)
def test_satisfaction_boundaries_pass_through_exactly(
    tree, cast, letters, completed, satisfied, valid, below_60, below_50
):
    """§四.3: 59.99% is below 60%, 60% is not; 49.99% is below 50%, 50% is not; no valid
    ballot → no rate. The fact carries the exact fraction."""
    PostResult.objects.filter(result=completed.result, post=letters.posts.member).update(
        satisfied=satisfied, valid=valid
    )
    member = by_post(year_facts([tree.a1], [YEAR])[0])[letters.posts.member.pk]
    if valid == 0:
        assert member.satisfaction is None
        return
    assert member.satisfaction == Fraction(satisfied, valid)
    assert is_below(member.satisfaction, 60) is below_60
    assert is_below(member.satisfaction, 50) is below_50


def test_short_service_is_not_graded(tree, cast, letters, completed):
    PostResult.objects.filter(result=completed.result, post=letters.posts.member).update(
        graded=False, months_served=4
    )
    member = by_post(year_facts([tree.a1], [YEAR])[0])[letters.posts.member.pk]
    assert member.graded is False


def test_fixed_number_of_queries(tree, cast, letters, completed, django_assert_num_queries):
    from jiannuo.evaluation.models import Loss

    for n in range(3):
        loss = Loss.objects.create(
            village=tree.a1,
            year=YEAR,
            amount=1,
            cause="objective",
            description=str(n),
            recorded_by=cast.assessor_a,
        )
        loss.posts.set([letters.posts.member, letters.posts.director])
    with django_assert_num_queries(6):  # one more: the posts a 一肩挑 letter also covers
        year_facts([tree.a1, tree.a2], [YEAR - 1, YEAR])


def test_other_villages_and_years_are_not_mixed_in(tree, cast, letters, completed):
    assert year_facts([tree.a2], [YEAR]) == ([], [])
    assert year_facts([], [YEAR]) == ([], [])
    assert YearResult.objects.count() == 1
