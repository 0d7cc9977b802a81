""" "Two years running" across a change of term, end to end (issue #14; DOMAIN.md: the chain
restarts with a new term, a district setting).

柳树村's committee member fails a work goal in 2026, the last year of the 2021–2026 term, and
again in 2027, the first year of the 2027–2031 term. Everything goes through the services and
the API: the district opens the new term (API), the township carries the roster over (API),
the letters of each year are signed, assessed, evaluated and confirmed (evaluation services),
and the township previews the year's measures (API). Under the default (the chain restarts
with the term) 2027 brings a yellow card but no resignation demand (§四.3); with the setting
turned off the same facts demand her resignation."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.test import Client

from jiannuo.accountability import services as accountability
from jiannuo.evaluation import services as evaluation
from jiannuo.evaluation.models import NOT_FULFILLED
from jiannuo.organisation.models import Post, Term
from jiannuo.organisation.policy import policy_for, set_policy
from jiannuo.pledges.models import Letter
from tests.conftest import make_person
from tests.evaluation.conftest import assess, paper_round
from tests.factories import make_signed_letter, signed_year


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _letters_of(tree, cast, term, year):
    """The four signed letters of 柳树村 for ``year`` in ``term`` (shape of ``signed_year``)."""
    secretary = cast.branch_person.posts.get(kind=Post.BRANCH_SECRETARY)
    director = cast.director_person.posts.get(kind=Post.COMMITTEE_DIRECTOR)
    member = cast.member_person.posts.get(kind=Post.COMMITTEE_MEMBER)
    team = make_signed_letter(
        tree.a1, term, Letter.TEAM, year=year, responsible=secretary, text="班子承诺"
    )
    return SimpleNamespace(
        team=team,
        secretary=make_signed_letter(tree.a1, term, Letter.SECRETARY, secretary, year=year),
        director=make_signed_letter(tree.a1, term, Letter.MEMBER, director, year=year),
        member=make_signed_letter(tree.a1, term, Letter.MEMBER, member, year=year),
        posts=SimpleNamespace(secretary=secretary, director=director, member=member),
    )


def _member_fails(tree, cast, letters, year):
    """Assessment (the member's first work goal not fulfilled), a paper round, confirmation."""
    evaluation.group_create(
        actor=cast.secretary_a, township=tree.a, year=year, name=f"{year}年考核组",
        members=[cast.assessor_a], villages=[tree.a1],
    )  # fmt: skip
    goal = next(i for i in letters.member.items if i.category == "work_goal")
    assess(letters, cast.assessor_a, {goal.pk: NOT_FULFILLED})
    paper_round(tree.a1, cast, year=year)
    return evaluation.results_confirm(actor=cast.secretary_a, village=tree.a1, year=year)


def _member_measures(proposals, member_post) -> set[str]:
    return {p["measure"] for p in proposals if p["post_id"] == member_post.pk}


@pytest.fixture
def two_terms(tree, cast, system):
    for i in range(8):
        make_person(system, tree.a1, f"代表{i}", Post.REPRESENTATIVE)
    last = signed_year(tree, cast, system, year=2026)
    _member_fails(tree, cast, last, 2026)

    # The district opens the new term and the township carries the roster over (API).
    response = _client(cast.district).post(
        "/api/v1/terms",
        {"district_id": tree.district.pk, "name": "2027—2031年届", "start": "2027-01-01",
         "end": "2031-12-31"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201
    term = Term.objects.get(pk=response.json()["id"])
    for village in (tree.a1, tree.a2):
        response = _client(cast.staff_a).post(
            f"/api/v1/units/{village.pk}/terms/{term.pk}/carry-over",
            {"leaving": [], "new": []},
            content_type="application/json",
        )
        assert response.status_code == 201
    # The member goes on into the new term in the same post.
    member_post = cast.member_person.posts.get(kind=Post.COMMITTEE_MEMBER)
    assert member_post.end is None and member_post.active_on(date(2027, 6, 1))

    first = _letters_of(tree, cast, term, 2027)
    result = _member_fails(tree, cast, first, 2027)
    assert result.term == term
    return SimpleNamespace(term=term, member_post=member_post)


def test_no_resignation_demand_across_the_change_of_term_by_default(tree, cast, two_terms):
    assert policy_for(tree.district, 2027).accountability.chain_restarts_with_term is True
    response = _client(cast.secretary_a).get(
        f"/api/v1/accountability/townships/{tree.a.pk}/2027/preview"
    )
    assert response.status_code == 200
    measures = _member_measures(response.json()["proposals"], two_terms.member_post)
    assert "yellow_card" in measures  # §四.3: pledges not met this year
    assert "resignation" not in measures  # two years, but not in the same term
    # The services say the same, and the cases opened through the API follow.
    pv = accountability.preview(actor=cast.secretary_a, township=tree.a, year=2027)
    assert not any(
        r.proposal.measure == "resignation" and r.proposal.post_id == two_terms.member_post.pk
        for r in pv.rows
    )
    response = _client(cast.secretary_a).post(
        f"/api/v1/accountability/townships/{tree.a.pk}/2027/run"
    )
    assert response.status_code == 201
    cases = _client(cast.secretary_a).get("/api/v1/accountability/cases?year=2027").json()["items"]
    member_cases = {c["measure"] for c in cases if c["post_id"] == two_terms.member_post.pk}
    assert "yellow_card" in member_cases and "resignation" not in member_cases


def test_with_the_chain_running_across_terms_the_same_facts_demand_resignation(
    tree, cast, two_terms
):
    data = policy_for(tree.district, 2027).to_json()
    data["accountability"]["chain_restarts_with_term"] = False
    set_policy(
        actor=cast.district, district=tree.district, year_from=2027, data=data, note="跨届连续计算"
    )
    response = _client(cast.secretary_a).get(
        f"/api/v1/accountability/townships/{tree.a.pk}/2027/preview"
    )
    measures = _member_measures(response.json()["proposals"], two_terms.member_post)
    assert {"yellow_card", "resignation"} <= measures
