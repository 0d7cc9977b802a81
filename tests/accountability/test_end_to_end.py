"""From the evaluation step's real confirmed year to accountability cases (seed §三.6 → §四):
the facts come through ``accountability.facts.collect`` → ``evaluation.facts.year_facts``."""

import pytest

from jiannuo.accountability import rules, services
from jiannuo.accountability.models import Case
from tests.evaluation.conftest import completed, group, letters, voters  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("completed")
def test_a_confirmed_year_opens_the_measures_it_calls_for(cast, tree):
    """柳树村 2025, confirmed by the township: the member's work goal was not met (§四.1: no
    honours), her pledges not fulfilled and 4 of 10 satisfied (§四.3: yellow card, and below
    50% resignation demanded); nobody else is touched."""
    pv = services.preview(actor=cast.secretary_a, township=tree.a, year=2025)
    assert pv.has_facts
    assert {(r.proposal.person_id, r.proposal.measure) for r in pv.rows} == {
        (cast.member_person.pk, rules.NO_HONOURS),
        (cast.member_person.pk, rules.YELLOW_CARD),
        (cast.member_person.pk, rules.RESIGNATION),
    }
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025)
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025)
    assert Case.objects.count() == 3
    demand = Case.objects.get(measure=rules.RESIGNATION)
    assert demand.facts["rate"] == "40.00%"
    assert demand.post.kind == "committee_member"


def test_an_unconfirmed_year_opens_nothing(cast, tree):
    from jiannuo.core.errors import ServiceError

    with pytest.raises(ServiceError) as exc:
        services.run_open(actor=cast.secretary_a, township=tree.a, year=2025)
    assert exc.value.code == "no_facts"


@pytest.fixture
def dual_post_year(tree, cast, system, voters):  # noqa: F811
    """柳树村 2025 under 一肩挑: 王海涛 left the director's post at the end of 2024 and the
    branch secretary 李建国 took it over. The secretary's own letter covers both posts (no
    director letter, as the pledges step makes them); the team's satisfaction is 4 of 10."""
    from datetime import date

    from jiannuo.evaluation import services as ev
    from jiannuo.organisation import services as org
    from jiannuo.organisation.models import Post
    from jiannuo.pledges.models import Letter
    from tests.evaluation.conftest import assess, paper_round
    from tests.factories import make_signed_letter

    org.post_end(
        actor=system,
        post=cast.director_person.posts.get(kind=Post.COMMITTEE_DIRECTOR),
        end=date(2024, 12, 31),
    )
    org.post_assign(
        actor=system,
        person=cast.branch_person,
        kind=Post.COMMITTEE_DIRECTOR,
        start=date(2025, 1, 1),
    )
    secretary_post = cast.branch_person.posts.get(kind=Post.BRANCH_SECRETARY)
    member_post = cast.member_person.posts.get(kind=Post.COMMITTEE_MEMBER)
    team = make_signed_letter(
        tree.a1, tree.term, Letter.TEAM, year=2025, responsible=secretary_post
    )
    sec = make_signed_letter(
        tree.a1, tree.term, Letter.SECRETARY, secretary_post, year=2025, breaks_down=team.items
    )
    member = make_signed_letter(
        tree.a1, tree.term, Letter.MEMBER, member_post, year=2025, breaks_down=team.items
    )
    year_letters = type(
        "L", (), {"team": team, "secretary": sec, "director": member, "member": member}
    )
    ev.group_create(
        actor=cast.secretary_a,
        township=tree.a,
        year=2025,
        name="第一考核组",
        members=[cast.assessor_a],
        villages=[tree.a1],
    )
    assess(year_letters, cast.assessor_a)
    paper_round(tree.a1, cast, counts={None: {"satisfied": 4, "dissatisfied": 6}})
    ev.results_confirm(actor=cast.secretary_a, village=tree.a1, year=2025)
    return secretary_post


def test_dual_post_secretary_director_gets_one_case_naming_both_posts(cast, tree, dual_post_year):
    """§四.3 "村党支部书记和村委会主任引咎辞职" under 一肩挑 (issue #14): team satisfaction 40%
    reaches the one person for both posts — one case naming both, no duplicate, no "post
    vacant" flag (before: only the secretary's post, and the director's flagged vacant)."""
    pv = services.preview(actor=cast.secretary_a, township=tree.a, year=2025)
    assert [f.rule for f in pv.flags] == []
    run = services.run_open(actor=cast.secretary_a, township=tree.a, year=2025)
    assert run.flags == []
    demands = list(Case.objects.filter(measure=rules.RESIGNATION))
    assert len(demands) == 1
    demand = demands[0]
    assert (demand.person_id, demand.post_id) == (cast.branch_person.pk, dual_post_year.pk)
    assert demand.post_kinds == ["branch_secretary", "committee_director"]
    assert demand.post_label == "党支部书记、村委会主任"
    # Carrying it out offers the committee post's legal path as well as party procedure.
    assert set(rules.carry_out_outcomes_for(demand.measure, demand.post_kinds)) >= {
        rules.RECALLED,
        rules.PARTY_PROCEDURE,
    }


def test_api_run_opens_one_case_for_the_secretary_director(client, cast, tree, dual_post_year):
    client.force_login(cast.secretary_a)
    r = client.post(f"/api/v1/accountability/townships/{tree.a.pk}/2025/run")
    assert r.status_code == 201, r.content
    assert r.json()["summary"]["flags"] == 0
    r = client.get("/api/v1/accountability/cases?measure=resignation")
    assert r.status_code == 200
    demands = [c for c in r.json()["items"] if c["measure"] == rules.RESIGNATION]
    assert [(c["person_id"], c["post_kinds"]) for c in demands] == [
        (cast.branch_person.pk, ["branch_secretary", "committee_director"])
    ]
