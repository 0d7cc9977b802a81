"""Services of the year-end step: the assessment group and its verdicts (§三.6), paper tallies
with a second person's confirmation, grades and the township's confirmation (§四)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiannuo.core.errors import ConflictError, ServiceError
from jiannuo.core.models import AuditEntry, Transition
from jiannuo.evaluation import services
from jiannuo.evaluation.models import (
    NOT_FULFILLED,
    AssessmentGroup,
    Loss,
    PostResult,
    Round,
    Tally,
    Verdict,
    YearResult,
)
from jiannuo.evaluation.rules import COMPETENT, EXCELLENT, INCOMPETENT
from tests.conftest import make_person

from .conftest import YEAR, all_items, assess, checkin_all, paper_round

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- the group


def test_township_forms_the_group_with_assessors_and_its_villages(tree, cast, group):
    assert list(group.members.all()) == [cast.assessor_a]
    assert list(group.villages.all()) == [tree.a1]
    assert AuditEntry.objects.filter(action="assessment_group.create").count() == 1


@pytest.mark.parametrize(
    ("who", "members", "villages", "error"),
    [
        ("secretary_b", ["assessor_a"], ["a1"], PermissionDenied),  # other township
        ("assessor_a", ["assessor_a"], ["a1"], PermissionDenied),  # assessors don't form it
        ("secretary_a", ["branch"], ["a1"], ServiceError),  # a village cadre cannot assess
        ("secretary_a", ["assessor_a"], ["b1"], ServiceError),  # village of another township
        ("secretary_a", [], ["a1"], ServiceError),
    ],
)
def test_group_refusals_save_nothing(tree, cast, who, members, villages, error):
    with pytest.raises(error):
        services.group_create(
            actor=getattr(cast, who),
            township=tree.a,
            year=YEAR,
            name="第二组",
            members=[getattr(cast, m) for m in members],
            villages=[getattr(tree, v) for v in villages],
        )
    assert not AssessmentGroup.objects.exists()


# --------------------------------------------------------------------------- verdicts


def test_a_group_member_records_verdicts_with_reason_and_evidence(tree, cast, letters, group):
    item = letters.member.items[0]
    v = services.verdict_record(
        actor=cast.assessor_a,
        item=item,
        verdict=NOT_FULFILLED,
        reason="dereliction",
        evidence="未按期完成",
    )
    assert (v.village, v.year, v.verdict, v.reason) == (tree.a1, YEAR, NOT_FULFILLED, "dereliction")
    again = services.verdict_record(
        actor=cast.assessor_a, item=item, verdict="fulfilled", version=v.version
    )
    assert again.version == 2 and again.reason == ""
    with pytest.raises(ConflictError):
        services.verdict_record(
            actor=cast.assessor_a, item=item, verdict="partly", reason="objective", version=1
        )
    assert AuditEntry.objects.filter(action="verdict.record").count() == 2


def test_an_assessor_outside_the_group_is_refused(tree, cast, letters, group, system):
    """Bad input: an assessor outside the group; a village not assigned to the group."""
    from django.contrib.auth.models import User

    from jiannuo.core import roles
    from tests.conftest import make_official

    other = User.objects.create_user("assessor2", password="x-pw-12345")
    make_official(other, roles.ASSESSOR, tree.a)
    for user in (other, cast.secretary_b, cast.branch, cast.outsider, cast.staff_a):
        with pytest.raises(PermissionDenied):
            services.verdict_record(actor=user, item=letters.team.items[0], verdict="fulfilled")
    assert not Verdict.objects.exists()


def test_a_verdict_other_than_fulfilled_needs_a_reason(cast, letters, group):
    with pytest.raises(ServiceError) as exc:
        services.verdict_record(actor=cast.assessor_a, item=letters.team.items[0], verdict="partly")
    assert exc.value.code == "reason_required"
    with pytest.raises(ServiceError):
        services.verdict_record(actor=cast.assessor_a, item=letters.team.items[0], verdict="maybe")
    assert not Verdict.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.234", "NaN"])
def test_a_loss_needs_a_positive_amount(tree, cast, letters, group, amount):
    with pytest.raises(ServiceError):
        services.loss_record(
            actor=cast.assessor_a,
            village=tree.a1,
            year=YEAR,
            amount=amount,
            cause="dereliction",
            description="x",
            posts=[letters.posts.member],
        )
    assert not Loss.objects.exists()


def test_a_loss_names_posts_of_the_village(tree, cast, letters, group):
    other = cast.branch_a2_person.posts.first()
    with pytest.raises(ServiceError):
        services.loss_record(
            actor=cast.assessor_a,
            village=tree.a1,
            year=YEAR,
            amount="10",
            cause="dereliction",
            description="x",
            posts=[other],
        )
    with pytest.raises(ServiceError):
        services.loss_record(
            actor=cast.assessor_a,
            village=tree.a1,
            year=YEAR,
            amount="10",
            cause="dereliction",
            description="x",
        )


# --------------------------------------------------------------------------- paper tallies


@pytest.fixture
def paper(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="paper")
    checkin_all(rnd, cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)
    services.round_close(actor=cast.supervisor, round=rnd)
    rnd.refresh_from_db()
    return rnd


def team_target(rnd):
    return rnd.targets.get(post__isnull=True)


def test_a_tally_counts_only_after_a_second_person_confirms(paper, cast):
    t = services.tally_enter(
        actor=cast.supervisor,
        target=team_target(paper),
        issued=10,
        returned=10,
        spoiled=1,
        counts={"satisfied": 5, "basically_satisfied": 2, "dissatisfied": 1, "abstain": 1},
    )
    assert not t.confirmed
    with pytest.raises(ServiceError) as exc:
        services.tally_confirm(actor=cast.supervisor, tally=t)  # own entry
    assert exc.value.code == "own_entry"
    assert not Tally.objects.get(pk=t.pk).confirmed
    with pytest.raises(PermissionDenied):
        services.tally_confirm(actor=cast.voter, tally=t)
    done = services.tally_confirm(actor=cast.staff_a, tally=t)
    assert done.confirmed and done.confirmed_by == cast.staff_a
    with pytest.raises(ConflictError):
        services.tally_enter(
            actor=cast.staff_a,
            target=team_target(paper),
            issued=10,
            returned=10,
            spoiled=0,
            counts={"satisfied": 10},
        )


@pytest.mark.parametrize(
    ("issued", "returned", "spoiled", "counts", "code"),
    [
        (10, 9, 0, {"satisfied": 8}, "tally_options_mismatch"),
        (10, 9, 10, {"satisfied": 0}, "tally_spoiled_exceeds_returned"),
        (10, 9, 0, {"satisfied": 8, "maybe": 1}, "tally_unknown_option"),
        (10, -1, 0, {"satisfied": 0}, "tally_negative"),
        (11, 11, 0, {"satisfied": 11}, "issued_exceeds_present"),
        ("ten", 9, 0, {"satisfied": 9}, "not_a_number"),
    ],
)
def test_tallies_that_do_not_add_up_are_refused(
    paper, cast, issued, returned, spoiled, counts, code
):
    with pytest.raises(ServiceError) as exc:
        services.tally_enter(
            actor=cast.supervisor,
            target=team_target(paper),
            issued=issued,
            returned=returned,
            spoiled=spoiled,
            counts=counts,
        )
    assert exc.value.code == code
    assert not Tally.objects.exists()
    assert Round.objects.get(pk=paper.pk).state == Round.CLOSED


def test_more_returned_than_issued_voids_the_round(paper, cast):
    with pytest.raises(ServiceError) as exc:
        services.tally_enter(
            actor=cast.supervisor,
            target=team_target(paper),
            issued=9,
            returned=10,
            spoiled=0,
            counts={"satisfied": 10},
        )
    assert exc.value.code == "round_void"
    assert Round.objects.get(pk=paper.pk).state == Round.VOID
    assert not Tally.objects.exists()
    assert Transition.objects.filter(object_type="evaluation.round", action="void").exists()


def test_tallies_only_after_closing_and_only_for_paper(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="paper")
    with pytest.raises(ServiceError):
        services.tally_enter(
            actor=cast.supervisor,
            target=team_target(rnd),
            issued=1,
            returned=1,
            spoiled=0,
            counts={"satisfied": 1},
        )


# --------------------------------------------------------------------------- the results


def test_results_need_every_verdict_and_every_tally(tree, cast, letters, group, voters):
    with pytest.raises(ServiceError) as exc:
        services.results_confirm(actor=cast.secretary_a, village=tree.a1, year=YEAR)
    assert exc.value.code == "results_incomplete"
    assess(letters, cast.assessor_a)
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="paper")
    checkin_all(rnd, cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)
    services.round_close(actor=cast.supervisor, round=rnd)
    t = services.tally_enter(
        actor=cast.supervisor,
        target=team_target(rnd),
        issued=10,
        returned=10,
        spoiled=0,
        counts={"satisfied": 10},
    )
    with pytest.raises(ServiceError):
        services.results_confirm(actor=cast.secretary_a, village=tree.a1, year=YEAR)
    assert not YearResult.objects.exists()
    assert t.pk


def test_grades_follow_the_scheme_and_confirmation_freezes_the_year(tree, cast, completed, letters):
    """§四.1: goals not met → incompetent; otherwise satisfaction bands (100% → excellent)."""
    rows = {r.post_id: r for r in PostResult.objects.filter(result=completed.result)}
    assert rows[letters.posts.member.pk].grade == INCOMPETENT
    assert rows[letters.posts.member.pk].grade_rule == "goals_not_met"
    assert rows[letters.posts.secretary.pk].grade == EXCELLENT
    assert rows[None].grade in ("", EXCELLENT, COMPETENT)  # the team: shown by rate
    with pytest.raises(ConflictError):
        services.verdict_record(
            actor=cast.assessor_a, item=all_items(letters)[0], verdict="fulfilled"
        )
    with pytest.raises(ConflictError):
        services.results_confirm(actor=cast.secretary_a, village=tree.a1, year=YEAR)
    assert Transition.objects.filter(object_type="evaluation.result", action="confirm").exists()


def test_only_the_township_confirms(tree, cast, letters, group, voters):
    assess(letters, cast.assessor_a)
    paper_round(tree.a1, cast)
    for user in (cast.assessor_a, cast.supervisor, cast.branch, cast.secretary_b):
        with pytest.raises(PermissionDenied):
            services.results_confirm(actor=user, village=tree.a1, year=YEAR)
    assert not YearResult.objects.exists()


def test_a_mid_year_successor_is_not_graded(tree, cast, system, letters, group, voters):
    """DOMAIN.md: served under 6 months that year → not graded."""
    from datetime import date

    from jiannuo.organisation.models import Post

    Post.objects.filter(pk=letters.posts.member.pk).update(start=date(YEAR, 9, 1))
    assess(letters, cast.assessor_a)
    paper_round(tree.a1, cast)
    result = services.results_confirm(actor=cast.secretary_a, village=tree.a1, year=YEAR)
    row = PostResult.objects.get(result=result, post=letters.posts.member)
    assert row.graded is False and row.grade == "" and row.months_served < 6
    assert make_person  # imported for other tests
