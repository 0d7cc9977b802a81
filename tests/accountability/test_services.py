"""The accountability workflow (seed §四; DOMAIN.md "Due process"): proposals become cases, the
cadre replies, named township officials decide, a resignation demand needs a second approver,
the cadre appeals while the measure stays in force, and the measure is carried out."""

from dataclasses import replace
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied
from django.utils.translation import override

from jiannuo.accountability import rules, services
from jiannuo.accountability.models import Case, Run
from jiannuo.core import roles
from jiannuo.core.errors import ServiceError
from jiannuo.core.models import AuditEntry, Transition
from jiannuo.organisation.models import Post
from tests.conftest import make_official, make_person

from .conftest import T0, days, post_of, post_year

pytestmark = pytest.mark.django_db


def measures(opened, person):
    return sorted(m for (p, m) in opened if p == person.pk)


def snapshot(case):
    case.refresh_from_db()
    return (
        case.state,
        case.version,
        Transition.objects.filter(object_id=str(case.pk)).count(),
        AuditEntry.objects.count(),
    )


def refused(code, fn, case, **kw):
    """The call fails with ``code`` and leaves the case, its history and the audit log as
    they were."""
    before = snapshot(case)
    with override("en"), pytest.raises(ServiceError) as exc:
        fn(case=case, **kw)
    assert exc.value.code == code
    assert snapshot(case) == before
    return exc.value


# --------------------------------------------------------------------------- run and re-run


def test_run_opens_one_case_per_proposal(cast, opened):
    """§四.2–4.4: every measure the facts call for becomes a case, proposed, with its clause,
    its reasons readable in Chinese and the reply window of the settings (7 days)."""
    assert measures(opened, cast.member_person) == [rules.CRITICISM, rules.YELLOW_CARD]
    assert measures(opened, cast.director_person) == [
        rules.ECONOMIC_PENALTY,
        rules.RESIGNATION,
        rules.YELLOW_CARD,
    ]
    assert measures(opened, cast.branch_person) == []
    case = opened[(cast.director_person.pk, rules.RESIGNATION)]
    assert (case.state, case.clause, case.leading) == (rules.PROPOSED, "§四.3", True)
    assert case.reply_due == days(7)
    assert case.post == post_of(cast.director_person)
    with override("zh-hans"):
        assert "满意率" in case.explain()[0]
    penalty = opened[(cast.director_person.pk, rules.ECONOMIC_PENALTY)]
    assert penalty.key.endswith(":economic_penalty:loss11")
    assert Transition.objects.filter(action="open").count() == len(opened)
    assert AuditEntry.objects.filter(action="case.open").count() == len(opened)


def test_running_again_never_duplicates_and_shows_what_changed(cast, tree, year_facts, opened):
    """Preview and re-run (#7.5): the same facts change nothing; changed facts refresh an
    undecided case; a proposal that disappears is listed, its case kept for a person."""
    again = services.preview(actor=cast.secretary_a, township=tree.a, year=2025, facts=year_facts)
    assert {r.change for r in again.rows} == {services.UNCHANGED}
    assert again.gone == []
    run = services.run_open(
        actor=cast.secretary_a, township=tree.a, year=2025, facts=year_facts, now=days(1)
    )
    assert run.summary["new"] == [] and run.summary["changed"] == []
    assert Case.objects.count() == len(opened)

    director = replace(year_facts.current[1], satisfaction=Fraction(40, 100))
    member = replace(year_facts.current[2], integrity_breaches=())
    changed = replace(year_facts, current=[year_facts.current[0], director, member])
    pv = services.preview(actor=cast.secretary_a, township=tree.a, year=2025, facts=changed)
    by_key = {r.key: r.change for r in pv.rows}
    resignation = opened[(cast.director_person.pk, rules.RESIGNATION)]
    criticism = opened[(cast.member_person.pk, rules.CRITICISM)]
    assert by_key[resignation.key] == services.CHANGED
    assert [c.key for c in pv.gone] == [criticism.key]
    run = services.run_open(
        actor=cast.secretary_a, township=tree.a, year=2025, facts=changed, now=days(1)
    )
    assert run.summary["gone"] == [criticism.key]
    resignation.refresh_from_db()
    assert resignation.facts["rate"] == "40.00%"
    assert Case.objects.count() == len(opened)
    assert Run.objects.count() == 3


def test_run_needs_confirmed_facts(cast, tree):
    """No confirmed year-end results: nothing to propose, a clear error."""
    from jiannuo.accountability.facts import YearFacts

    with override("en"), pytest.raises(ServiceError, match="no confirmed year-end results"):
        services.run_open(actor=cast.secretary_a, township=tree.a, year=2025, facts=YearFacts())
    assert Run.objects.count() == 0


@pytest.mark.parametrize("who", ["secretary_b", "branch", "member", "voter", "outsider"])
def test_only_the_township_runs_its_year(cast, tree, year_facts, who):
    with pytest.raises(PermissionDenied):
        services.run_open(actor=getattr(cast, who), township=tree.a, year=2025, facts=year_facts)
    assert Case.objects.count() == 0


# --------------------------------------------------------------------------- reply


def test_the_cadre_replies_within_the_window(cast, opened):
    """申辩: the cadre concerned answers before the decision."""
    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    services.case_reply(actor=cast.member, case=case, text="有客观原因", now=days(3))
    case.refresh_from_db()
    assert (case.state, case.reply, case.replied_at) == (rules.REPLIED, "有客观原因", days(3))
    t = Transition.objects.filter(object_id=str(case.pk)).last()
    assert (t.from_state, t.action, t.to_state, t.actor) == (
        rules.PROPOSED,
        "reply",
        rules.REPLIED,
        cast.member,
    )
    assert AuditEntry.objects.filter(action="case.reply", object_id=str(case.pk)).exists()


@pytest.mark.parametrize("who", ["director", "branch", "secretary_a", "branch_a2", "outsider"])
def test_only_the_cadre_concerned_replies(cast, opened, who):
    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        services.case_reply(actor=getattr(cast, who), case=case, text="x", now=days(1))
    assert snapshot(case) == before


def test_a_reply_after_the_window_is_refused(cast, opened):
    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    refused(
        "reply_window_closed",
        services.case_reply,
        case,
        actor=cast.member,
        text="迟到的申辩",
        now=days(8),
    )


# --------------------------------------------------------------------------- decision


def test_deciding_before_the_reply_window_closes_is_refused(cast, opened):
    """Due process: the cadre has the whole window to reply."""
    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    err = refused(
        "reply_window_open",
        services.case_decide,
        case,
        actor=cast.secretary_a,
        decision="给予黄牌警告",
        now=days(2),
    )
    assert "may reply until" in str(err.message)


@pytest.mark.parametrize("how", ["reply", "waive", "window"])
def test_deciding_after_a_reply_a_waiver_or_the_window(cast, opened, how):
    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    when = days(2)
    if how == "reply":
        services.case_reply(actor=cast.member, case=case, text="申辩", now=days(1))
    elif how == "waive":
        services.case_waive(actor=cast.member, case=case, now=days(1))
    else:
        when = days(7)
    services.case_decide(actor=cast.secretary_a, case=case, decision="给予黄牌警告", now=when)
    case.refresh_from_db()
    assert (case.state, case.decided_by, case.in_force) == (rules.DECIDED, cast.secretary_a, True)
    assert case.appeal_due == when + (days(30) - T0)
    assert case.number.startswith("SQ-2025-")


def test_deciding_ones_own_case_is_refused(cast, tree, system, year_facts):
    """Nobody judges their own case: a township secretary who is also the cadre concerned."""
    own = make_person(system, tree.a1, "周国平", Post.COMMITTEE_DEPUTY)
    # The district granted the deputy role to this person on the village roster.
    make_official(cast.deputy_a, roles.TOWNSHIP_DEPUTY, tree.a, person=own)
    facts = replace(
        year_facts, current=[post_year(own, term=tree.term.pk, pledges_met=False)], teams=[]
    )
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025, facts=facts, now=T0)
    case = Case.objects.get(person=own)
    for fn, kw in (
        (services.case_decide, {"decision": "黄牌"}),
        (services.case_dismiss, {"decision": "不予追究"}),
    ):
        refused("own_case", fn, case, actor=cast.deputy_a, now=days(8), **kw)


@pytest.mark.parametrize("who", ["secretary_b", "staff_a", "district", "branch", "outsider"])
def test_only_the_township_party_committee_decides(cast, opened, who):
    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        services.case_decide(actor=getattr(cast, who), case=case, decision="x", now=days(8))
    assert snapshot(case) == before


def test_an_empty_decision_is_refused(cast, opened):
    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    refused("decision_empty", services.case_decide, case, actor=cast.secretary_a, decision=" ")


def test_dismissal_ends_the_case_without_a_measure(cast, opened):
    case = opened[(cast.member_person.pk, rules.CRITICISM)]
    services.case_dismiss(actor=cast.secretary_a, case=case, decision="经查证据不足", now=days(1))
    case.refresh_from_db()
    assert (case.state, case.in_force, case.in_force_at) == (rules.DISMISSED, False, None)


# --------------------------------------------------------------------------- second approval


def test_a_resignation_demand_needs_a_second_approver(cast, opened):
    """DOMAIN: forced resignation needs two approvers — a different person."""
    case = opened[(cast.director_person.pk, rules.RESIGNATION)]
    services.case_decide(actor=cast.deputy_a, case=case, decision="责令辞职", now=days(8))
    case.refresh_from_db()
    assert (case.state, case.in_force) == (rules.AWAITING_APPROVAL, False)
    refused("same_approver", services.case_approve, case, actor=cast.deputy_a, now=days(9))
    services.case_approve(actor=cast.secretary_a, case=case, now=days(9))
    case.refresh_from_db()
    assert (case.state, case.approved_by, case.in_force_at) == (
        rules.DECIDED,
        cast.secretary_a,
        days(9),
    )


def test_a_refused_approval_sends_the_case_back(cast, opened):
    case = opened[(cast.director_person.pk, rules.RESIGNATION)]
    services.case_decide(actor=cast.deputy_a, case=case, decision="责令辞职", now=days(8))
    refused("same_approver", services.case_reject, case, actor=cast.deputy_a, note="x")
    services.case_reject(actor=cast.secretary_a, case=case, note="证据不足", now=days(9))
    case.refresh_from_db()
    assert (case.state, case.decided_by) == (rules.REPLIED, None)
    # A new decision, by either of them, goes to the other for approval again.
    services.case_decide(actor=cast.secretary_a, case=case, decision="责令辞职", now=days(10))
    case.refresh_from_db()
    assert case.state == rules.AWAITING_APPROVAL


# --------------------------------------------------------------------------- appeal


@pytest.fixture
def decided(cast, opened):
    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    services.case_decide(actor=cast.secretary_a, case=case, decision="给予黄牌警告", now=days(8))
    case.refresh_from_db()
    return case


def test_the_measure_stays_in_force_under_appeal(cast, decided):
    services.case_appeal(actor=cast.member, case=decided, text="不服", now=days(20))
    decided.refresh_from_db()
    assert (decided.state, decided.in_force) == (rules.APPEALED, True)


def test_an_appeal_after_the_window_is_refused(cast, decided):
    refused(
        "appeal_window_closed",
        services.case_appeal,
        decided,
        actor=cast.member,
        text="不服",
        now=days(39),
    )


def test_only_the_cadre_appeals(cast, decided):
    with pytest.raises(PermissionDenied):
        services.case_appeal(actor=cast.branch, case=decided, text="不服", now=days(9))


def test_the_appeal_is_decided_by_someone_who_took_no_part(cast, decided):
    services.case_appeal(actor=cast.member, case=decided, text="不服", now=days(9))
    refused(
        "took_part",
        services.case_decide_appeal,
        decided,
        actor=cast.secretary_a,
        uphold=True,
        decision="维持",
    )
    services.case_decide_appeal(
        actor=cast.district, case=decided, uphold=True, decision="维持原决定", now=days(15)
    )
    decided.refresh_from_db()
    assert (decided.state, decided.appeal_outcome) == (rules.DECIDED, "upheld")
    refused("appealed", services.case_appeal, decided, actor=cast.member, text="再申诉")


def test_an_appeal_upheld_for_the_cadre_revokes_the_measure(cast, decided):
    services.case_appeal(actor=cast.member, case=decided, text="不服", now=days(9))
    services.case_decide_appeal(
        actor=cast.deputy_a, case=decided, uphold=False, decision="撤销", now=days(12)
    )
    decided.refresh_from_db()
    assert (decided.state, decided.in_force) == (rules.REVOKED, False)


def test_the_appeal_decider_may_not_be_outside_the_township(cast, decided):
    services.case_appeal(actor=cast.member, case=decided, text="不服", now=days(9))
    with pytest.raises(PermissionDenied):
        services.case_decide_appeal(
            actor=cast.secretary_b, case=decided, uphold=False, decision="撤销"
        )


# --------------------------------------------------------------------------- carrying out


def test_carrying_out_waits_for_the_appeal_window(cast, decided):
    refused(
        "appeal_window_open",
        services.case_carry_out,
        decided,
        actor=cast.staff_a,
        outcome=rules.WARNING_ISSUED,
        now=days(20),
    )
    services.case_carry_out(
        actor=cast.staff_a, case=decided, outcome=rules.WARNING_ISSUED, now=days(40)
    )
    decided.refresh_from_db()
    assert (decided.state, decided.outcome, decided.in_force) == (
        rules.CARRIED_OUT,
        rules.WARNING_ISSUED,
        True,
    )


def test_an_economic_penalty_is_paid_with_an_amount(cast, opened):
    case = opened[(cast.director_person.pk, rules.ECONOMIC_PENALTY)]
    services.case_decide(actor=cast.secretary_a, case=case, decision="赔偿300元", now=days(8))
    for amount in (None, "0", "-5", "abc"):
        refused(
            "amount_invalid",
            services.case_carry_out,
            case,
            actor=cast.staff_a,
            outcome=rules.PENALTY_PAID,
            amount=amount,
            now=days(40),
        )
    services.case_carry_out(
        actor=cast.staff_a, case=case, outcome=rules.PENALTY_PAID, amount="300", now=days(40)
    )
    case.refresh_from_db()
    assert str(case.amount) == "300.00"


def test_a_committee_post_follows_the_legal_path(cast, opened):
    """组织法 Art. 11: no organisation removes an elected committee member; the resignation
    demand ends by an accepted resignation, a recall vote, or two consecutive 不称职 grades."""
    case = opened[(cast.director_person.pk, rules.RESIGNATION)]
    services.case_decide(actor=cast.deputy_a, case=case, decision="责令辞职", now=days(8))
    services.case_approve(actor=cast.secretary_a, case=case, now=days(8))
    for outcome, code in (
        (rules.PARTY_PROCEDURE, "outcome_invalid"),
        (rules.TERMINATED_TWO_INCOMPETENT, "not_two_incompetent"),
    ):
        refused(code, services.case_carry_out, case, actor=cast.staff_a, outcome=outcome)
    services.case_carry_out(
        actor=cast.secretary_a,
        case=case,
        outcome=rules.RESIGNATION_ACCEPTED,
        note="本人书面辞职，村民代表会议接受",
        now=days(40),
    )
    post = post_of(cast.director_person)
    assert post.end is not None
    assert AuditEntry.objects.filter(action="post.end", object_id=str(post.pk)).exists()


def test_a_failed_recall_vote_leaves_the_member_in_post(cast, opened):
    case = opened[(cast.director_person.pk, rules.RESIGNATION)]
    services.case_decide(actor=cast.deputy_a, case=case, decision="责令辞职", now=days(8))
    services.case_approve(actor=cast.secretary_a, case=case, now=days(8))
    services.case_carry_out(
        actor=cast.secretary_a, case=case, outcome=rules.RECALL_FAILED, now=days(40)
    )
    assert post_of(cast.director_person).end is None


def test_a_discipline_referral_records_the_competent_bodys_sanction(cast, tree, year_facts):
    facts = replace(
        year_facts,
        current=[
            post_year(
                cast.branch_person, term=tree.term.pk, discipline_violations=("违规发放补贴",)
            )
        ],
        teams=[],
    )
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025, facts=facts, now=T0)
    case = Case.objects.get(measure=rules.DISCIPLINE_REFERRAL)
    services.case_decide(actor=cast.secretary_a, case=case, decision="移送纪委", now=days(8))
    refused(
        "sanction",
        services.case_carry_out,
        case,
        actor=cast.staff_a,
        outcome=rules.SANCTION_RECORDED,
        sanction="beheading",
        now=days(40),
    )
    services.case_carry_out(
        actor=cast.staff_a,
        case=case,
        outcome=rules.SANCTION_RECORDED,
        sanction="serious_warning",
        now=days(40),
    )
    case.refresh_from_db()
    assert case.sanction == "serious_warning"


def test_steps_out_of_order_are_refused(cast, opened):
    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    refused("out_of_order", services.case_approve, case, actor=cast.deputy_a)
    refused("out_of_order", services.case_appeal, case, actor=cast.member, text="不服")


def test_a_stale_version_is_a_conflict(cast, opened):
    from jiannuo.core.errors import ConflictError

    case = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    with pytest.raises(ConflictError):
        services.case_reply(actor=cast.member, case=case, text="x", version=99, now=days(1))


def test_the_team_answers_through_its_branch_secretary(cast, tree, year_facts):
    """A team case (§四.1 "村班子") is answered by the team's Party B: the branch secretary or
    the committee director of the village; another village's secretary is refused."""
    from .conftest import team_year

    facts = replace(
        year_facts, current=[], teams=[team_year(tree.a1, term=tree.term.pk, goals_met=False)]
    )
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025, facts=facts, now=T0)
    case = Case.objects.get(subject=rules.TEAM)
    with pytest.raises(PermissionDenied):
        services.case_reply(actor=cast.branch_a2, case=case, text="x", now=days(1))
    services.case_reply(actor=cast.branch, case=case, text="班子申辩", now=days(1))
    case.refresh_from_db()
    assert case.state == rules.REPLIED
    # The branch secretary may not decide the team's case even with a township role.
    assert services._own_case(cast.branch, case)
