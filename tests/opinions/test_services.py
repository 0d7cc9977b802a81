"""Services of the opinions step (§三.1 广泛征求意见): real outcomes, nothing saved on bad input."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from jiannuo.core.errors import ConflictError, ServiceError
from jiannuo.core.models import AuditEntry, Transition
from jiannuo.opinions import selectors, services
from jiannuo.opinions.models import (
    MAX_OPINION_LENGTH,
    ConsultationMeeting,
    HotIssue,
    HouseholdVisit,
    Opinion,
    TaskAssignment,
    TownshipTask,
)
from jiannuo.pledges.rules import RequiredAnswer

from .conftest import TEXTS, YEAR

# --- Opinions -------------------------------------------------------------------------------


def test_cards_are_entered_with_text_source_and_optional_giver(opinions, tree, cast):
    """§三.1: opinions from cards (征求意见卡) keep text, source and, optionally, who gave it."""
    assert Opinion.objects.filter(village=tree.a1, source=Opinion.CARD).count() == len(TEXTS)
    first = Opinion.objects.get(pk=opinions[0].pk)
    assert (first.giver_name, first.giver_phone) == ("王秀兰", "13912345678")
    assert first.entered_by == cast.branch and first.year == YEAR and first.hot_issue is None
    entry = AuditEntry.objects.filter(action="opinion.enter").get()
    assert entry.changes["opinions"] == [o.pk for o in opinions]


def test_blank_rows_are_skipped(cast, tree):
    created = services.opinions_enter(
        actor=cast.branch,
        village=tree.a1,
        term=tree.term,
        year=YEAR,
        entries=["路灯不亮", "", {"text": "  ", "giver_name": ""}, "自来水停水"],
    )
    assert [o.text for o in created] == ["路灯不亮", "自来水停水"]


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "text_empty"), ("   ", "text_empty"), ("长" * (MAX_OPINION_LENGTH + 1), "text_too_long")],
)
def test_empty_or_oversized_opinion_is_refused(cast, tree, text, code):
    with pytest.raises(ServiceError) as exc:
        services.opinion_create(
            actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR, text=text
        )
    assert exc.value.code in (code, "entries_invalid")
    assert not Opinion.objects.exists()


def test_exactly_500_characters_is_accepted(cast, tree):
    o = services.opinion_create(
        actor=cast.branch,
        village=tree.a1,
        term=tree.term,
        year=YEAR,
        text="长" * MAX_OPINION_LENGTH,
    )
    assert len(o.text) == MAX_OPINION_LENGTH


def test_one_bad_row_saves_nothing_and_names_the_row(cast, tree):
    with pytest.raises(ServiceError) as exc:
        services.opinions_enter(
            actor=cast.branch,
            village=tree.a1,
            term=tree.term,
            year=YEAR,
            entries=[
                services.Entry("路灯不亮"),
                services.Entry("长" * 501),
                services.Entry("停水", "张三", "not-a-phone"),
            ],
        )
    assert exc.value.code == "entries_invalid"
    assert [(d["row"], d["column"]) for d in exc.value.details] == [(2, "text"), (3, "phone")]
    assert not Opinion.objects.exists()


def test_year_outside_the_term_is_refused(cast, tree):
    with pytest.raises(ServiceError) as exc:
        services.opinion_create(
            actor=cast.branch, village=tree.a1, term=tree.term, year=2030, text="路灯不亮"
        )
    assert exc.value.code == "year"


def test_opinions_are_collected_per_village_not_township(system, tree):
    with pytest.raises(ServiceError):
        services.opinion_create(
            actor=system, village=tree.a, term=tree.term, year=YEAR, text="路灯不亮"
        )
    assert not Opinion.objects.exists()


# --- Public submissions ---------------------------------------------------------------------


def _public(tree, text="路灯不亮", client="1.2.3.4", **kw):
    return services.opinion_submit_public(
        village=tree.a1, term=tree.term, year=YEAR, text=text, client=client, **kw
    )


def test_public_submission_needs_no_account_and_stores_no_address(tree):
    """§三.1: villagers give opinions without logging in; the address itself is not stored."""
    o = _public(tree, giver_name="李四")
    assert o.source == Opinion.ONLINE and o.entered_by is None and o.giver_name == "李四"
    assert o.client_hash and "1.2.3.4" not in o.client_hash
    assert AuditEntry.objects.filter(action="opinion.submit", actor_label="public").exists()


def test_public_submissions_are_rate_limited_per_address_and_village(tree, settings):
    for i in range(services.PUBLIC_PER_CLIENT_PER_HOUR):
        _public(tree, text=f"意见{i}")
    with pytest.raises(services.RateLimited) as exc:
        _public(tree, text="再来一条")
    assert exc.value.status == 429 and exc.value.code == "rate_limited"
    # Another address may still write; the same address may write to another village.
    assert _public(tree, client="5.6.7.8") is not None
    other = services.opinion_submit_public(
        village=tree.a2, term=tree.term, year=YEAR, text="路灯", client="1.2.3.4"
    )
    assert other is not None
    assert (
        Opinion.objects.filter(village=tree.a1).count() == services.PUBLIC_PER_CLIENT_PER_HOUR + 1
    )


def test_honeypot_is_accepted_silently_and_not_saved(tree):
    assert _public(tree, honeypot="http://spam") is None
    assert not Opinion.objects.exists()


def test_public_submission_validates_text_and_phone(tree):
    with pytest.raises(ServiceError):
        _public(tree, text="")
    with pytest.raises(ServiceError):
        _public(tree, text="x" * 501)
    with pytest.raises(ServiceError):
        _public(tree, giver_phone="abc")
    assert not Opinion.objects.exists()


# --- Meetings and visits --------------------------------------------------------------------


def test_meeting_records_the_opinions_raised(cast, tree):
    """§三.1: a consultation meeting (民主恳谈会) keeps date, attendees, minutes and opinions."""
    m = services.meeting_record(
        actor=cast.member,
        village=tree.a1,
        term=tree.term,
        year=YEAR,
        date=date(2026, 1, 10),
        attendee_count=32,
        attendees="党员、村民代表",
        minutes="通报上年承诺履行情况",
        opinions=["路灯不亮", "", "自来水停水"],
    )
    assert m.attendee_count == 32
    assert sorted(m.opinions.values_list("text", "source")) == [
        ("自来水停水", "meeting"),
        ("路灯不亮", "meeting"),
    ]


def test_meeting_without_attendees_or_in_the_future_is_refused(cast, tree):
    kw = dict(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR, opinions=["路灯"])
    with pytest.raises(ServiceError):
        services.meeting_record(date=date(2026, 1, 10), attendee_count=0, **kw)
    with pytest.raises(ServiceError):
        services.meeting_record(date=date(2099, 1, 10), attendee_count=10, **kw)
    with pytest.raises(ServiceError):  # a bad opinion row: the meeting is not saved either
        services.meeting_record(
            date=date(2026, 1, 10), attendee_count=10, **{**kw, "opinions": ["x" * 501]}
        )
    assert not ConsultationMeeting.objects.exists() and not Opinion.objects.exists()


def test_visit_records_household_visitor_and_opinions(cast, tree):
    """§三.1: a household visit (入户走访) keeps household, visitor, date, notes and opinions."""
    v = services.visit_record(
        actor=cast.director,
        village=tree.a1,
        term=tree.term,
        year=YEAR,
        household="王家（3组）",
        visitor="王海涛",
        date=date(2026, 1, 12),
        notes="了解生产生活情况",
        opinions=[{"text": "水管老化", "giver_name": "王大爷", "giver_phone": ""}],
    )
    o = v.opinions.get()
    assert (o.source, o.giver_name, o.visit_id) == ("visit", "王大爷", v.pk)


def test_visit_needs_household_and_visitor(cast, tree):
    with pytest.raises(ServiceError):
        services.visit_record(
            actor=cast.branch,
            village=tree.a1,
            term=tree.term,
            year=YEAR,
            household="",
            visitor="x",
            date=date(2026, 1, 12),
        )
    assert not HouseholdVisit.objects.exists()


# --- Township tasks -------------------------------------------------------------------------


def test_task_is_issued_to_chosen_villages(task, tree, cast):
    """§三.1–2: the township sets tasks with a measurable target and deadline for its villages."""
    assert sorted(task.assignments.values_list("village__name", flat=True)) == ["柳树村", "河口村"]
    assert task.issued_by == cast.secretary_a
    assert AuditEntry.objects.filter(action="task.issue", object_id=str(task.pk)).exists()


def test_task_to_a_village_outside_the_township_is_refused(cast, tree):
    with pytest.raises(ServiceError) as exc:
        services.task_issue(
            actor=cast.secretary_a,
            township=tree.a,
            year=YEAR,
            title="防汛",
            target="零伤亡",
            deadline=date(2026, 6, 1),
            villages=[tree.a1, tree.b1],
        )
    assert exc.value.code == "village_outside" and "东湖村" in exc.value.message
    assert not TownshipTask.objects.exists()


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"title": ""}, "title"),
        ({"target": " "}, "target"),
        ({"villages": []}, "villages"),
        ({"year": 2035}, "year"),
        ({"deadline": date(2025, 12, 1)}, "deadline"),
    ],
)
def test_task_bad_input(cast, tree, kw, code):
    data = dict(
        year=YEAR, title="防汛", target="零伤亡", deadline=date(2026, 6, 1), villages=[tree.a1]
    )
    data.update(kw)
    with pytest.raises(ServiceError) as exc:
        services.task_issue(actor=cast.secretary_a, township=tree.a, **data)
    assert exc.value.code == code
    assert not TownshipTask.objects.exists()


def test_task_not_adopted_with_a_reason(task, cast, tree):
    """§三.1: a village may decline a township task, with a public reason."""
    a = task.assignments.get(village=tree.a1)
    with pytest.raises(ServiceError):
        services.task_not_adopt(actor=cast.branch, assignment=a, reason=" ")
    services.task_not_adopt(actor=cast.branch, assignment=a, reason="已于去年完成")
    a.refresh_from_db()
    assert a.not_adopted_reason == "已于去年完成" and not a.adopted
    with pytest.raises(ServiceError):
        services.task_not_adopt(actor=cast.branch, assignment=a, reason="again")
    services.task_adopt(actor=cast.branch, assignment=a)
    a.refresh_from_db()
    assert a.adopted


def test_another_village_cannot_answer_the_task(task, cast, tree):
    a = task.assignments.get(village=tree.a1)
    with pytest.raises(PermissionDenied):
        services.task_not_adopt(actor=cast.branch_a2, assignment=a, reason="不做")
    assert TaskAssignment.objects.get(pk=a.pk).adopted


# --- Hot issues -----------------------------------------------------------------------------


def test_grouping_creates_proposed_issues_and_assigns_every_opinion(issues, opinions, tree):
    """§三.1 归纳梳理: grouping distils proposed hot issues with counts and typical opinions."""
    assert {i.status for i in issues} == {HotIssue.PROPOSED}
    assert not Opinion.objects.filter(hot_issue__isnull=True).exists()
    assert sum(i.opinions.count() for i in issues) == len(opinions)
    lights = next(i for i in issues if "路灯" in i.label)
    assert lights.opinions.count() == 3
    assert "3" in lights.summary and "「" in lights.summary


def test_grouping_with_nothing_to_group_is_refused(cast, tree):
    with pytest.raises(ServiceError) as exc:
        services.issues_group(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    assert exc.value.code == "nothing_to_group"


def test_regrouping_only_touches_unassigned_opinions(issues, cast, tree):
    """Re-grouping keeps accepted and declined issues and their opinions as they are."""
    accepted, declined = issues[0], issues[1]
    services.issue_accept(actor=cast.branch, issue=accepted)
    services.issue_decline(actor=cast.branch, issue=declined)
    before = {i.pk: set(i.opinions.values_list("pk", flat=True)) for i in (accepted, declined)}
    new = services.opinions_enter(
        actor=cast.branch,
        village=tree.a1,
        term=tree.term,
        year=YEAR,
        entries=["路灯又坏了，晚上不亮", "路灯太少"],
    )
    created = services.issues_group(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    assert {o.pk for i in created for o in i.opinions.all()} == {o.pk for o in new}
    for issue in (accepted, declined):
        issue.refresh_from_db()
        assert set(issue.opinions.values_list("pk", flat=True)) == before[issue.pk]
    assert HotIssue.objects.get(pk=accepted.pk).status == HotIssue.ACCEPTED
    assert HotIssue.objects.get(pk=declined.pk).status == HotIssue.DECLINED


def test_rename_bumps_the_version(issues, cast):
    issue = issues[0]
    renamed = services.issue_rename(
        actor=cast.branch, issue=issue, label="路灯维修", version=issue.version
    )
    assert renamed.label == "路灯维修" and renamed.version == issue.version + 1
    assert HotIssue.objects.get(pk=issue.pk).label == "路灯维修"


def test_second_editor_gets_a_conflict_and_nothing_is_overwritten(issues, cast):
    """Two people rename the same issue from the same version: the second gets a conflict."""
    issue = issues[0]
    read = issue.version
    services.issue_rename(actor=cast.branch, issue=issue, label="甲的名字", version=read)
    with pytest.raises(ConflictError) as exc:
        services.issue_rename(actor=cast.director, issue=issue, label="乙的名字", version=read)
    assert exc.value.status == 409 and "甲的名字" in exc.value.message
    assert HotIssue.objects.get(pk=issue.pk).label == "甲的名字"


def test_rename_refuses_an_empty_or_long_label(issues, cast):
    for label in ("", "长" * 101):
        with pytest.raises(ServiceError):
            services.issue_rename(
                actor=cast.branch, issue=issues[0], label=label, version=issues[0].version
            )


def test_merge_moves_opinions_and_marks_the_others_merged(issues, cast):
    target, a, b = issues[0], issues[1], issues[2]
    total = sum(i.opinions.count() for i in (target, a, b))
    merged = services.issue_merge(
        actor=cast.branch,
        target=target,
        others=[a, b],
        versions={i.pk: i.version for i in (target, a, b)},
        label="基础设施",
    )
    assert merged.label == "基础设施" and merged.opinions.count() == total
    assert str(total) in merged.summary
    for other in (a, b):
        other.refresh_from_db()
        assert (other.status, other.merged_into_id) == (HotIssue.MERGED, target.pk)
        assert other.opinions.count() == 0
    assert Transition.objects.filter(object_type="opinions.hotissue", action="merge").count() == 2


def test_merge_with_a_stale_version_saves_nothing(issues, cast):
    target, other = issues[0], issues[1]
    services.issue_rename(actor=cast.director, issue=other, label="改过了", version=other.version)
    with pytest.raises(ConflictError):
        services.issue_merge(
            actor=cast.branch,
            target=target,
            others=[other],
            versions={target.pk: target.version, other.pk: other.version},
        )
    other.refresh_from_db()
    assert other.status == HotIssue.PROPOSED and other.opinions.exists()


def test_merge_needs_another_issue_and_proposed_ones(issues, cast):
    target, other = issues[0], issues[1]
    with pytest.raises(ServiceError):
        services.issue_merge(actor=cast.branch, target=target, others=[target], versions={})
    services.issue_accept(actor=cast.branch, issue=other)
    with pytest.raises(ServiceError) as exc:
        services.issue_merge(actor=cast.branch, target=target, others=[other], versions={})
    assert exc.value.code == "state"


def test_merge_across_villages_is_refused(issues, cast, tree):
    services.opinions_enter(
        actor=cast.branch_a2, village=tree.a2, term=tree.term, year=YEAR, entries=["路灯不亮"]
    )
    foreign = services.issues_group(
        actor=cast.branch_a2, village=tree.a2, term=tree.term, year=YEAR
    )[0]
    with pytest.raises(ServiceError) as exc:
        services.issue_merge(actor=cast.branch, target=issues[0], others=[foreign], versions={})
    assert exc.value.code == "merge_scope"
    assert HotIssue.objects.get(pk=foreign.pk).status == HotIssue.PROPOSED


def test_split_moves_chosen_opinions_to_a_new_issue(issues, cast):
    issue = next(i for i in issues if i.opinions.count() >= 2)
    ids = list(issue.opinions.order_by("id").values_list("pk", flat=True))
    new = services.issue_split(
        actor=cast.branch, issue=issue, opinion_ids=ids[:1], label="单独一件", version=issue.version
    )
    assert (
        new.status == HotIssue.PROPOSED
        and list(new.opinions.values_list("pk", flat=True)) == ids[:1]
    )
    issue.refresh_from_db()
    assert set(issue.opinions.values_list("pk", flat=True)) == set(ids[1:])
    assert issue.version == 2


def test_split_refuses_foreign_opinions_all_opinions_and_stale_versions(issues, cast):
    issue, other = issues[0], issues[1]
    own = list(issue.opinions.values_list("pk", flat=True))
    foreign = list(other.opinions.values_list("pk", flat=True))
    with pytest.raises(ServiceError) as exc:
        services.issue_split(
            actor=cast.branch, issue=issue, opinion_ids=foreign, label="x", version=issue.version
        )
    assert exc.value.code == "split_foreign"
    with pytest.raises(ServiceError) as exc:
        services.issue_split(
            actor=cast.branch, issue=issue, opinion_ids=own, label="x", version=issue.version
        )
    assert exc.value.code == "split_all"
    with pytest.raises(ConflictError):
        services.issue_split(
            actor=cast.branch,
            issue=issue,
            opinion_ids=own[:1],
            label="x",
            version=issue.version + 5,
        )
    assert HotIssue.objects.count() == len(issues)


def test_accept_and_decline_follow_the_workflow(issues, cast):
    a, d = issues[0], issues[1]
    services.issue_accept(actor=cast.branch, issue=a)
    services.issue_decline(actor=cast.branch, issue=d, note="个别意见")
    a.refresh_from_db()
    assert a.status == HotIssue.ACCEPTED and a.decided_at is not None
    rows = Transition.objects.filter(object_type="opinions.hotissue").order_by("id")
    assert [(r.from_state, r.action, r.to_state) for r in rows] == [
        ("proposed", "accept", "accepted"),
        ("proposed", "decline", "declined"),
    ]
    with pytest.raises(ServiceError):  # already accepted
        services.issue_accept(actor=cast.branch, issue=a)
    services.issue_reopen(actor=cast.branch, issue=d)
    assert HotIssue.objects.get(pk=d.pk).status == HotIssue.PROPOSED


def test_a_merged_issue_cannot_be_accepted(issues, cast):
    """Step out of order: accepting a merged issue is refused and changes nothing."""
    target, other = issues[0], issues[1]
    services.issue_merge(actor=cast.branch, target=target, others=[other], versions={})
    other.refresh_from_db()
    with pytest.raises(ServiceError) as exc:
        services.issue_accept(actor=cast.branch, issue=other)
    assert exc.value.code == "state"
    assert HotIssue.objects.get(pk=other.pk).status == HotIssue.MERGED


def test_not_adopt_needs_an_accepted_issue_and_a_reason(issues, cast):
    """§三.1: an accepted issue the pledges do not take up carries a public reason."""
    issue = issues[0]
    with pytest.raises(ServiceError):
        services.issue_not_adopt(actor=cast.branch, issue=issue, reason="没钱")
    services.issue_accept(actor=cast.branch, issue=issue)
    with pytest.raises(ServiceError):
        services.issue_not_adopt(actor=cast.branch, issue=issue, reason="")
    services.issue_not_adopt(actor=cast.branch, issue=issue, reason="需上级立项")
    issue.refresh_from_db()
    assert issue.status == HotIssue.ACCEPTED and not issue.adopted
    assert issue.not_adopted_reason == "需上级立项"


# --- required_answers -----------------------------------------------------------------------


def test_required_answers_lists_accepted_issues_and_the_villages_tasks(issues, task, cast, tree):
    """§三.1–2: the letters answer the accepted hot issues and the township's tasks."""
    accepted, not_adopted, declined = issues[0], issues[1], issues[2]
    services.issue_accept(actor=cast.branch, issue=accepted)
    services.issue_accept(actor=cast.branch, issue=not_adopted)
    services.issue_not_adopt(actor=cast.branch, issue=not_adopted, reason="需上级立项")
    services.issue_decline(actor=cast.branch, issue=declined)
    assignment = task.assignments.get(village=tree.a1)
    answers = selectors.required_answers(tree.a1, tree.term, YEAR)
    assert answers == [
        RequiredAnswer(ref=f"hot_issue:{accepted.pk}", label=accepted.label, source="hot_issue"),
        RequiredAnswer(
            ref=f"hot_issue:{not_adopted.pk}",
            label=not_adopted.label,
            source="hot_issue",
            adopted=False,
        ),
        RequiredAnswer(
            ref=f"task:{assignment.pk}", label="农村人居环境整治", source="township_task"
        ),
    ]
    services.task_not_adopt(actor=cast.branch, assignment=assignment, reason="已完成")
    assert selectors.required_answers(tree.a1, tree.term, YEAR)[-1].adopted is False


def test_required_answers_by_year(cast, tree, task):
    """Whole-term issues count for every year; a year's issues and tasks only for that year."""
    services.opinions_enter(
        actor=cast.branch, village=tree.a1, term=tree.term, year=None, entries=["全村道路硬化"]
    )
    term_issue = services.issues_group(
        actor=cast.branch, village=tree.a1, term=tree.term, year=None
    )[0]
    services.issue_accept(actor=cast.branch, issue=term_issue)
    services.opinions_enter(
        actor=cast.branch, village=tree.a1, term=tree.term, year=2025, entries=["路灯不亮"]
    )
    old = services.issues_group(actor=cast.branch, village=tree.a1, term=tree.term, year=2025)[0]
    services.issue_accept(actor=cast.branch, issue=old)
    refs_2026 = [r.ref for r in selectors.required_answers(tree.a1, tree.term, 2026)]
    assert refs_2026 == [term_issue.ref, task.assignments.get(village=tree.a1).ref]
    assert [r.ref for r in selectors.required_answers(tree.a1, tree.term, None)] == [term_issue.ref]
    assert [r.ref for r in selectors.required_answers(tree.a1, tree.term, 2025)] == [
        term_issue.ref,
        old.ref,
    ]
    assert selectors.required_answers(tree.a2, tree.term, 2025) == []


def test_answered_refs_come_from_the_pledges_app(task, tree, monkeypatch):
    """A task answered by a pledge item (the pledges app says so) leaves the open list."""
    assignment = task.assignments.get(village=tree.a1)
    monkeypatch.setattr(selectors, "ANSWERED_BY", [lambda ids, year: {assignment.ref}])
    rows = selectors.village_assignments(tree.a1, YEAR)
    assert [r.status for r in rows] == ["answered"]
