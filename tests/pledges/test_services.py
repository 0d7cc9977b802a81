"""Service tests for pledge letters: preparing, editing with versions, the quality gate and
every workflow step (seed §三.2, §三.3, §五.2)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from jiannuo.core.errors import ConflictError, ServiceError
from jiannuo.core.models import AuditEntry, Transition
from jiannuo.organisation import services as org
from jiannuo.organisation.models import Post
from jiannuo.pledges import rules, selectors, services
from jiannuo.pledges.models import (
    Consultation,
    JointMeeting,
    Letter,
    LetterVersion,
    PledgeItem,
    QualityAcknowledgement,
)
from tests.conftest import make_person

from .conftest import (
    MEETING_DAY,
    YEAR,
    consult,
    hold_joint_meeting,
    reload,
    table_all,
    team_post_ids,
    to_submitted,
)

# --- Preparing letters (§三.3) ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in their English source text."""
    with translation.override("en"):
        yield


def test_prepare_creates_team_secretary_and_one_member_letter_per_post(letters, tree):
    """§三.3: a team letter, the secretary's own letter, one member letter per other team post."""
    kinds = sorted((x.kind, x.post.kind if x.post_id else "") for x in letters.all)
    assert kinds == [
        ("member", Post.COMMITTEE_DIRECTOR),
        ("member", Post.COMMITTEE_MEMBER),
        ("secretary", Post.BRANCH_SECRETARY),
        ("team", ""),
    ]
    assert all(x.state == rules.DRAFT and x.current_number == 1 for x in letters.all)
    assert LetterVersion.objects.filter(letter__village=tree.a1).count() == 4


def test_prepare_again_adds_only_missing_letters(letters, cast, tree, system):
    """Preparing twice creates nothing twice; a new team post gets its letter."""
    assert (
        services.letters_prepare(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
        == []
    )
    make_person(system, tree.a1, "周立新", Post.BRANCH_DEPUTY)
    created = services.letters_prepare(
        actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR
    )
    assert [(x.kind, x.post.kind) for x in created] == [("member", Post.BRANCH_DEPUTY)]


def test_dual_post_secretary_has_one_own_letter(cast, tree, system):
    """一肩挑: the secretary who is also director has one own letter, not a member letter."""
    org.post_assign(
        actor=system,
        person=cast.branch_a2_person,
        kind=Post.COMMITTEE_DIRECTOR,
        start=date(2021, 1, 1),
    )
    make_person(system, tree.a2, "孙玉林", Post.COMMITTEE_MEMBER)
    created = services.letters_prepare(
        actor=cast.branch_a2, village=tree.a2, term=tree.term, year=YEAR
    )
    assert sorted(x.kind for x in created) == ["member", "secretary", "team"]


def test_term_letters_are_apart_from_year_letters(letters, cast, tree):
    """§二 任期和年度: term letters (year null) exist beside the year letters."""
    created = services.letters_prepare(
        actor=cast.branch, village=tree.a1, term=tree.term, year=None
    )
    assert len(created) == 4 and all(x.year is None for x in created)


def test_prepare_refuses_a_year_outside_the_term(cast, tree):
    with pytest.raises(ServiceError) as exc:
        services.letters_prepare(actor=cast.branch, village=tree.a1, term=tree.term, year=2030)
    assert exc.value.code == "year"


@pytest.mark.parametrize("who", ["director", "member", "secretary_a", "branch_a2", "outsider"])
def test_only_the_branch_secretary_prepares(cast, tree, who):
    with pytest.raises(PermissionDenied):
        services.letters_prepare(
            actor=getattr(cast, who), village=tree.a1, term=tree.term, year=YEAR
        )


# --- Editing with versions ---------------------------------------------------------------------


def test_item_add_bumps_the_version_and_audits(letters, cast):
    letter = letters.team
    item = services.item_add(
        actor=cast.branch,
        letter=letter,
        version=letter.version,
        category="work_goal",
        text="年内硬化村内道路3公里",
        target="3公里",
        deadline=date(2026, 10, 31),
    )
    assert item.code == "T1"
    assert reload(letter).version == letter.version + 1
    assert AuditEntry.objects.filter(action="pledge_item.add", object_id=str(item.pk)).exists()


def test_concurrent_second_save_is_a_conflict_and_overwrites_nothing(letters, cast):
    """Two people read version n; the first save wins, the second gets ConflictError."""
    letter = letters.team
    read = letter.version
    item = services.item_add(
        actor=cast.branch,
        letter=letter,
        version=read,
        category="work_goal",
        text="年内硬化村内道路3公里",
    )
    with pytest.raises(ConflictError) as exc:
        services.item_update(
            actor=cast.director,
            item=item,
            version=read,
            category="work_goal",
            text="年内硬化村内道路5公里",
        )
    assert "reload" in str(exc.value.message)
    assert exc.value.status == 409
    item.refresh_from_db()
    assert item.text == "年内硬化村内道路3公里"


def test_member_edits_own_letter_but_not_others(letters, cast):
    services.item_add(
        actor=cast.member,
        letter=letters.member,
        version=letters.member.version,
        category="work_goal",
        text="负责修建村文化广场1处",
    )
    with pytest.raises(PermissionDenied):
        services.item_add(
            actor=cast.member,
            letter=letters.team,
            version=letters.team.version,
            category="work_goal",
            text="年内硬化村内道路3公里",
        )


def test_edit_refused_outside_draft_or_returned(complete, cast):
    letter = complete.secretary
    services.letter_submit_to_joint_meeting(actor=cast.branch, letter=letter)
    letter = reload(letter)
    with pytest.raises(ServiceError) as exc:
        services.item_add(
            actor=cast.branch,
            letter=letter,
            version=letter.version,
            category="work_goal",
            text="新增集体经济收入10万元",
        )
    assert exc.value.code == "not_editable"


def test_member_item_breaks_down_only_team_items(letters, cast):
    foreign = services.item_add(
        actor=cast.branch,
        letter=letters.director,
        version=letters.director.version,
        category="work_goal",
        text="负责修建村文化广场1处",
    )
    letter = reload(letters.member)
    with pytest.raises(ServiceError) as exc:
        services.item_add(
            actor=cast.branch,
            letter=letter,
            version=letter.version,
            category="work_goal",
            text="负责修路1公里",
            breaks_down_ids=[foreign.pk],
        )
    assert exc.value.code == "breaks_down"


def test_clause_remove_and_item_remove(complete, cast):
    letter = complete.team
    clause = letter.versions.get().clauses.first()
    services.clause_remove(actor=cast.branch, clause=clause, version=letter.version)
    letter = reload(letter)
    item = letter.versions.get().items.first()
    services.item_remove(actor=cast.branch, item=item, version=letter.version)
    assert letter.versions.get().items.count() == 3
    assert letter.versions.get().clauses.count() == 2


# --- Quality gate (§五.2) ------------------------------------------------------------------------


def test_empty_draft_is_blocked_at_the_gate(letters, cast):
    """§五.2: a letter without its four categories and three clauses cannot be tabled."""
    with pytest.raises(ServiceError) as exc:
        services.letter_submit_to_joint_meeting(actor=cast.branch, letter=letters.team)
    assert exc.value.code == "quality_blocking"
    rules_fired = {d["rule"] for d in exc.value.details}
    assert {"pledges.empty_category", "pledges.missing_breach_category"} <= rules_fired
    assert reload(letters.team).state == rules.DRAFT


def test_cached_counts_follow_edits(letters):
    """The to-do reads cached counts: 4 empty categories + 3 clauses block on an empty draft."""
    assert LetterVersion.objects.get(letter=letters.secretary).blocking_count == 7


def test_team_item_nobody_owns_blocks_the_team_letter(complete, cast):
    """§三.2: a team item no member breaks down blocks the team letter."""
    team = complete.team
    services.item_add(
        actor=cast.branch,
        letter=team,
        version=team.version,
        category="work_goal",
        text="新增集体经济收入10万元",
        target="10万元",
        deadline=date(2026, 12, 31),
        responsible_post_id=cast.branch_person.posts.get(kind=Post.BRANCH_SECRETARY).pk,
    )
    findings = selectors.letter_findings(reload(team))
    assert [f.rule for f in findings] == ["pledges.team_item_not_broken_down"]
    _team, rows = selectors.coverage(team.village, team.term, YEAR)
    assert [r["item"].code for r in rows if not r["owners"]] == ["T5"]
    assert len(rows[0]["owners"]) == 3


def test_unanswered_hot_issue_blocks_the_team_letter(complete, cast, tree):
    """§三.1: an accepted hot issue no team item answers blocks; answering it clears it."""
    from jiannuo.opinions.models import HotIssue

    issue = HotIssue.objects.create(
        village=tree.a1, term=tree.term, year=YEAR, label="村道泥泞", status=HotIssue.ACCEPTED
    )
    findings = selectors.letter_findings(complete.team)
    assert [f.rule for f in findings] == ["pledges.answer_missing"]
    item = complete.team.versions.get().items.get(code="T1")
    team = reload(complete.team)
    services.item_update(
        actor=cast.branch,
        item=item,
        version=team.version,
        category=item.category,
        text=item.text,
        target=item.target,
        deadline=item.deadline,
        responsible_post_id=item.responsible_post_id,
        hot_issue_ids=[issue.pk],
    )
    assert selectors.letter_findings(reload(team)) == []


def test_warnings_need_an_acknowledgement(complete, cast):
    """§五.2: a warning lets the letter pass only after a named person acknowledges it."""
    letter = complete.secretary
    item = letter.versions.get().items.get(category="good_deed")
    services.item_update(
        actor=cast.branch,
        item=item,
        version=letter.version,
        category="good_deed",
        text="努力为老人体检100人",
        target="100人",
        deadline=item.deadline,
    )
    letter = reload(letter)
    with pytest.raises(ServiceError) as exc:
        services.letter_submit_to_joint_meeting(actor=cast.branch, letter=letter)
    assert exc.value.code == "quality_unacknowledged"
    services.quality_acknowledge(actor=cast.branch, letter=letter, version=letter.version)
    ack = QualityAcknowledgement.objects.get()
    assert ack.by == cast.branch and ack.warnings[0]["rule"] == "pledges.item_vague_words"
    services.letter_submit_to_joint_meeting(actor=cast.branch, letter=reload(letter))
    assert reload(letter).state == rules.TABLED


# --- Workflow (§三.2–3) ---------------------------------------------------------------------------


def test_full_workflow_to_approval_writes_a_transition_per_step(complete, cast, tree):
    """§三.2–3: tabled → joint meeting → consulted → submitted → approved by the township."""
    letters = to_submitted(complete.all, cast, tree)
    assert {x.state for x in letters} == {rules.SUBMITTED}
    services.letter_approve(actor=cast.deputy_a, letter=letters[0])
    team = reload(letters[0])
    assert team.state == rules.APPROVED and team.approved_at is not None
    version = team.versions.get()
    actions = list(
        Transition.objects.filter(
            object_type="pledges.letterversion", object_id=str(version.pk)
        ).values_list("action", flat=True)
    )
    assert actions == [
        "submit_to_joint_meeting",
        "joint_meeting_approve",
        "consult",
        "submit",
        "approve",
    ]
    assert version.snapshot["items"][0]["code"] == "T1" and len(version.content_hash) == 64
    assert version.tabled_at and version.joint_meeting_at and version.consulted_at
    assert version.submitted_at and version.decided_at


def test_joint_meeting_needs_more_than_half_present(complete, cast, tree):
    """§三.2: more than half of the two committees' members; exactly half is not enough."""
    table_all(complete.all, cast.branch)
    posts = team_post_ids(tree.a1)  # three people: secretary, director, member
    with pytest.raises(ServiceError) as exc:
        services.joint_meeting_record(
            actor=cast.branch,
            village=tree.a1,
            term=tree.term,
            year=YEAR,
            date=MEETING_DAY,
            attendance=posts[:1],
            decisions={complete.team.pk: ("approved", "")},
        )
    assert exc.value.code == "pledges.joint_meeting_no_quorum"
    assert not JointMeeting.objects.exists()
    meeting = services.joint_meeting_record(
        actor=cast.branch,
        village=tree.a1,
        term=tree.term,
        year=YEAR,
        date=MEETING_DAY,
        attendance=posts[:2],
        decisions={complete.team.pk: ("approved", "")},
    )
    assert (meeting.members_total, meeting.present) == (3, 2)


def test_joint_meeting_sends_back_to_draft(complete, cast, tree):
    table_all([complete.member], cast.branch)
    hold_joint_meeting(tree.a1, tree.term, [complete.member], cast.branch, decision="sent_back")
    assert reload(complete.member).state == rules.DRAFT


def test_steps_out_of_order_get_a_clear_error(complete, cast, tree):
    """A draft cannot be consulted, submitted or approved before its turn."""
    with pytest.raises(ServiceError) as exc:
        services.letter_submit(actor=cast.branch, letter=complete.team)
    assert exc.value.code == "out_of_order"
    assert "not possible now" in str(exc.value.message)
    with pytest.raises(ServiceError) as exc:
        consult(tree.a1, tree.term, [complete.team], cast.branch)
    assert exc.value.code == "out_of_order"
    assert not Consultation.objects.exists()
    with pytest.raises(ServiceError) as exc:
        services.letter_approve(actor=cast.secretary_a, letter=complete.team)
    assert exc.value.code == "out_of_order"


def test_consultation_without_supervision_committee_is_flagged(complete, cast, tree):
    """§三.3: no supervision committee → the representatives' meeting, flagged non-compliant."""
    Post.objects.filter(village=tree.a1, kind=Post.SUPERVISION_CHAIR).delete()
    table_all([complete.team], cast.branch)
    hold_joint_meeting(tree.a1, tree.term, [complete.team], cast.branch)
    c = consult(tree.a1, tree.term, [complete.team], cast.branch)
    assert c.body == Consultation.REPRESENTATIVES and c.non_compliant
    assert reload(complete.team).state == rules.CONSULTED


def test_consultation_with_supervision_committee(complete, cast, tree):
    table_all([complete.team], cast.branch)
    hold_joint_meeting(tree.a1, tree.term, [complete.team], cast.branch)
    c = consult(tree.a1, tree.term, [complete.team], cast.branch)
    assert c.body == Consultation.SUPERVISION and not c.non_compliant
    assert c.comments.get().comment == "同意"


def test_return_keeps_the_submitted_version_and_opens_an_editable_one(complete, cast, tree):
    """§五.2: returned with reasons; v1 stays as submitted, v2 is editable with v1's content."""
    letters = to_submitted(complete.all, cast, tree)
    services.letter_return(
        actor=cast.secretary_a, letter=letters[0], reasons="道路目标偏低，请提高到5公里"
    )
    team = reload(letters[0])
    assert team.state == rules.RETURNED and team.current_number == 2
    v1, v2 = team.versions.order_by("number")
    assert v1.state == rules.RETURNED and v1.decision_note == "道路目标偏低，请提高到5公里"
    assert v2.state == rules.RETURNED and v2.items.count() == 4 and v2.clauses.count() == 3
    item = v2.items.get(code="T1")
    services.item_update(
        actor=cast.branch,
        item=item,
        version=team.version,
        category="work_goal",
        text="年内硬化村内道路5公里",
        target="5公里",
        deadline=item.deadline,
        responsible_post_id=item.responsible_post_id,
    )
    changes = selectors.diff(
        selectors.version_snapshot(v1),
        selectors.version_snapshot(reload(team).versions.get(number=2)),
    )
    assert [c["code"] for c in changes["items"]["changed"]] == ["T1"]
    assert changes["items"]["changed"][0]["fields"] == ["text", "target"]
    # The returned letter goes through the joint meeting again (§三.2).
    services.letter_submit_to_joint_meeting(actor=cast.branch, letter=reload(team))
    assert reload(team).state == rules.TABLED


def test_member_items_still_cover_the_team_after_its_return(complete, cast, tree):
    """Member items point at team item codes, which carry over to the new version."""
    letters = to_submitted(complete.all, cast, tree)
    services.letter_return(actor=cast.secretary_a, letter=letters[0], reasons="补充说明")
    assert selectors.letter_findings(reload(letters[0])) == []


@pytest.mark.parametrize("copy", [False, True])
def test_redo_keeps_the_rejected_version(complete, cast, tree, copy):
    """§五.2 推倒重来: the rejected version is kept; the new draft starts empty or copied."""
    letters = to_submitted(complete.all, cast, tree)
    member = letters[3]
    services.letter_redo(
        actor=cast.deputy_a, letter=member, reasons="承诺内容不具体，推倒重来", copy=copy
    )
    member = reload(member)
    assert member.state == rules.DRAFT and member.current_number == 2
    v1, v2 = member.versions.order_by("number")
    assert v1.state == rules.REDO and v1.items.count() == 4 and v1.snapshot is not None
    assert v2.items.count() == (4 if copy else 0)
    assert v2.copied is copy and v2.started_from == v1
    new = services.item_add(
        actor=cast.member,
        letter=member,
        version=member.version,
        category="work_goal",
        text="负责新建村级光伏电站1座",
        target="1座",
        deadline=date(2026, 12, 31),
    )
    assert new.code == "M5"  # codes are never reused within a letter


def test_return_needs_reasons(complete, cast, tree):
    letters = to_submitted(complete.all, cast, tree)
    with pytest.raises(ServiceError) as exc:
        services.letter_return(actor=cast.secretary_a, letter=letters[0], reasons="  ")
    assert exc.value.code == "reasons"
    assert reload(letters[0]).state == rules.SUBMITTED


def test_stale_version_on_a_step_is_a_conflict(complete, cast):
    letter = complete.secretary
    with pytest.raises(ConflictError):
        services.letter_submit_to_joint_meeting(
            actor=cast.branch, letter=letter, version=letter.version - 1
        )


def test_answered_refs_reports_items_answering_issues(complete, cast, tree):
    """The opinions step asks which hot issues and tasks the letters answer."""
    from jiannuo.opinions.models import HotIssue
    from jiannuo.opinions.selectors import answered_refs

    issue = HotIssue.objects.create(
        village=tree.a1, term=tree.term, year=YEAR, label="村道泥泞", status=HotIssue.ACCEPTED
    )
    item = PledgeItem.objects.get(letter_version__letter=complete.team, code="T1")
    item.answers_hot_issues.add(issue)
    assert f"hot_issue:{issue.pk}" in answered_refs([tree.a1.pk], YEAR)
    assert answered_refs([tree.a2.pk], YEAR) == set()


def test_letters_of_the_other_village_are_not_part_of_a_meeting(complete, cast, tree):
    services.letters_prepare(actor=cast.branch_a2, village=tree.a2, term=tree.term, year=YEAR)
    other = Letter.objects.filter(village=tree.a2, kind="team").get()
    with pytest.raises(ServiceError) as exc:
        services.joint_meeting_record(
            actor=cast.branch,
            village=tree.a1,
            term=tree.term,
            year=YEAR,
            date=MEETING_DAY,
            attendance=team_post_ids(tree.a1),
            decisions={other.pk: ("approved", "")},
        )
    assert exc.value.code == "letter"
