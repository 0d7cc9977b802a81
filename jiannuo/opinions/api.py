"""API endpoints for the opinions step (§三.1): the same services and permissions as the pages."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404
from ninja import Query, Router, Schema
from ninja.responses import Status

from jiannuo.api.pagination import paginated
from jiannuo.core.clients import client_address
from jiannuo.core.permissions import has_perm

from . import selectors, services
from .models import ConsultationMeeting, HotIssue, HouseholdVisit, Opinion

router = Router(tags=["opinions"])


# --- Schemas ----------------------------------------------------------------------------------


class EntryIn(Schema):
    text: str
    giver_name: str = ""
    giver_phone: str = ""


class OpinionIn(Schema):
    village_id: int
    term_id: int | None = None
    year: int | None = None
    text: str
    giver_name: str = ""
    giver_phone: str = ""


class OpinionsIn(Schema):
    village_id: int
    term_id: int | None = None
    year: int | None = None
    entries: list[EntryIn]


class OpinionOut(Schema):
    id: int
    village_id: int
    term_id: int
    year: int | None
    text: str
    source: str
    hot_issue_id: int | None
    meeting_id: int | None
    visit_id: int | None
    created_at: datetime
    giver_name: str | None = None
    giver_phone: str | None = None


class PublicIn(Schema):
    text: str
    giver_name: str = ""
    giver_phone: str = ""
    website: str = ""  # honeypot: leave empty


class PublicOut(Schema):
    received: bool


class OpinionMeetingIn(Schema):
    village_id: int
    term_id: int | None = None
    year: int | None = None
    date: date
    attendee_count: int
    attendees: str = ""
    minutes: str = ""
    opinions: list[EntryIn] = []


class OpinionMeetingOut(Schema):
    id: int
    village_id: int
    term_id: int
    year: int | None
    date: date
    attendee_count: int
    attendees: str
    minutes: str
    opinion_ids: list[int]


class VisitIn(Schema):
    village_id: int
    term_id: int | None = None
    year: int | None = None
    household: str
    visitor: str
    date: date
    notes: str = ""
    opinions: list[EntryIn] = []


class VisitOut(Schema):
    id: int
    village_id: int
    term_id: int
    year: int | None
    household: str
    visitor: str
    date: date
    notes: str
    opinion_ids: list[int]


class TaskIn(Schema):
    township_id: int
    year: int
    title: str
    target: str
    deadline: date
    village_ids: list[int]


class AssignmentOut(Schema):
    id: int
    ref: str
    village_id: int
    village: str
    not_adopted_reason: str
    status: str


class TaskOut(Schema):
    id: int
    township_id: int
    year: int
    title: str
    target: str
    deadline: date
    issued_at: datetime
    assignments: list[AssignmentOut]


class ReasonIn(Schema):
    reason: str
    version: int | None = None


class PeriodIn(Schema):
    term_id: int | None = None
    year: int | None = None


class IssueOut(Schema):
    id: int
    ref: str
    village_id: int
    term_id: int
    year: int | None
    label: str
    summary: str
    status: str
    not_adopted_reason: str
    merged_into_id: int | None
    version: int
    opinion_count: int


class RenameIn(Schema):
    label: str
    summary: str | None = None
    version: int


class MergeIn(Schema):
    target_id: int
    other_ids: list[int]
    versions: dict[int, int]
    label: str = ""


class SplitIn(Schema):
    opinion_ids: list[int]
    label: str
    version: int


class VersionIn(Schema):
    version: int | None = None


class RequiredAnswerOut(Schema):
    ref: str
    label: str
    source: str
    adopted: bool


# --- Helpers ----------------------------------------------------------------------------------


def _period(village, term_id, year):
    term = (
        selectors.get_term(village, term_id)
        if term_id is not None
        else selectors.current_term(village)
    )
    if term is None:
        raise Http404
    return term, year


def _opinion_out(o: Opinion, personal: bool) -> dict:
    return {
        "id": o.pk,
        "village_id": o.village_id,
        "term_id": o.term_id,
        "year": o.year,
        "text": o.text,
        "source": o.source,
        "hot_issue_id": o.hot_issue_id,
        "meeting_id": o.meeting_id,
        "visit_id": o.visit_id,
        "created_at": o.created_at,
        "giver_name": o.giver_name if personal else None,
        "giver_phone": o.giver_phone if personal else None,
    }


def _issue_out(i: HotIssue, count: int | None = None) -> dict:
    return {
        "id": i.pk,
        "ref": i.ref,
        "village_id": i.village_id,
        "term_id": i.term_id,
        "year": i.year,
        "label": i.label,
        "summary": i.summary,
        "status": i.status,
        "not_adopted_reason": i.not_adopted_reason,
        "merged_into_id": i.merged_into_id,
        "version": i.version,
        "opinion_count": count
        if count is not None
        else getattr(i, "n_opinions", None) or i.opinions.count(),
    }


def _task_out(task, answered: set[str]) -> dict:
    rows = []
    for a in task.assignments.all():
        status = (
            "not_adopted" if a.not_adopted_reason else ("answered" if a.ref in answered else "open")
        )
        rows.append(
            {
                "id": a.pk,
                "ref": a.ref,
                "village_id": a.village_id,
                "village": a.village.name,
                "not_adopted_reason": a.not_adopted_reason,
                "status": status,
            }
        )
    return {
        "id": task.pk,
        "township_id": task.township_id,
        "year": task.year,
        "title": task.title,
        "target": task.target,
        "deadline": task.deadline,
        "issued_at": task.issued_at,
        "assignments": rows,
    }


def _entries(items) -> list[services.Entry]:
    return [services.Entry(e.text, e.giver_name, e.giver_phone) for e in items]


# --- Opinions ---------------------------------------------------------------------------------


@router.get("/opinions", response=list[OpinionOut])
@paginated
def opinions_list(
    request,
    village_id: int = Query(..., description="The village."),
    term_id: int | None = Query(
        None, description="The term of office (without it: the current one)."
    ),
    year: int | None = Query(None, description="The year (without it: the whole term's)."),
    ungrouped: bool = Query(
        False, description="Only the opinions not yet grouped into a hot issue."
    ),
):
    """A village's opinions of a term and year (no year: the whole-term opinions).

    Givers' names and phones only for holders of ``opinions.view_personal``.
    """
    village = selectors.get_village(request.user, village_id)
    term, year = _period(village, term_id, year)
    personal = has_perm(request.user, "opinions.view_personal", village)
    qs = (
        selectors.unassigned_opinions(village, term, year).order_by("id")
        if ungrouped
        else selectors.village_opinions(village, term, year)
    )
    return [_opinion_out(o, personal) for o in qs]


@router.post("/opinions", response={201: OpinionOut})
def opinion_create(request, data: OpinionIn):
    """One opinion from a paper card."""
    village = selectors.get_village(request.user, data.village_id)
    term, year = _period(village, data.term_id, data.year)
    o = services.opinion_create(
        actor=request.user,
        village=village,
        term=term,
        year=year,
        text=data.text,
        giver_name=data.giver_name,
        giver_phone=data.giver_phone,
    )
    return Status(201, _opinion_out(o, True))


@router.post("/opinions/cards", response={201: list[OpinionOut]})
def opinions_enter(request, data: OpinionsIn):
    """Several paper cards at once: all valid or nothing saved (400 names each bad row)."""
    village = selectors.get_village(request.user, data.village_id)
    term, year = _period(village, data.term_id, data.year)
    created = services.opinions_enter(
        actor=request.user, village=village, term=term, year=year, entries=_entries(data.entries)
    )
    return Status(201, [_opinion_out(o, True) for o in created])


@router.post("/opinions/public/{code}", auth=None, response={201: PublicOut})
def opinion_public(request, code: str, data: PublicIn):
    """A villager's opinion without logging in (the public page's endpoint). Rate limited per
    address and village: 429 with code ``rate_limited``."""
    village = selectors.public_village(code)
    term = selectors.current_term(village)
    year = selectors.default_year(term) if term else None
    result = services.opinion_submit_public(
        village=village,
        term=term,
        year=year,
        text=data.text,
        giver_name=data.giver_name,
        giver_phone=data.giver_phone,
        client=client_address(request),
        honeypot=data.website,
    )
    return Status(201, {"received": result is not None or bool(data.website)})


# --- Meetings and visits ----------------------------------------------------------------------


def _meeting_out(m: ConsultationMeeting) -> dict:
    return {
        "id": m.pk,
        "village_id": m.village_id,
        "term_id": m.term_id,
        "year": m.year,
        "date": m.date,
        "attendee_count": m.attendee_count,
        "attendees": m.attendees,
        "minutes": m.minutes,
        "opinion_ids": [o.pk for o in m.opinions.all()],
    }


def _visit_out(v: HouseholdVisit) -> dict:
    return {
        "id": v.pk,
        "village_id": v.village_id,
        "term_id": v.term_id,
        "year": v.year,
        "household": v.household,
        "visitor": v.visitor,
        "date": v.date,
        "notes": v.notes,
        "opinion_ids": [o.pk for o in v.opinions.all()],
    }


@router.get("/opinions/meetings", response=list[OpinionMeetingOut])
@paginated
def meetings_list(
    request,
    village_id: int = Query(..., description="The village."),
    term_id: int | None = Query(
        None, description="The term of office (without it: the current one)."
    ),
    year: int | None = Query(None, description="The year (without it: the whole term's)."),
):
    village = selectors.get_village(request.user, village_id)
    term, year = _period(village, term_id, year)
    qs = selectors.village_meetings(village, term, year).prefetch_related("opinions")
    return [_meeting_out(m) for m in qs]


@router.post("/opinions/meetings", response={201: OpinionMeetingOut})
def meeting_record(request, data: OpinionMeetingIn):
    """A consultation meeting (民主恳谈会) with the opinions raised."""
    village = selectors.get_village(request.user, data.village_id)
    term, year = _period(village, data.term_id, data.year)
    m = services.meeting_record(
        actor=request.user,
        village=village,
        term=term,
        year=year,
        date=data.date,
        attendee_count=data.attendee_count,
        attendees=data.attendees,
        minutes=data.minutes,
        opinions=_entries(data.opinions),
    )
    return Status(201, _meeting_out(m))


@router.get("/opinions/visits", response=list[VisitOut])
@paginated
def visits_list(
    request,
    village_id: int = Query(..., description="The village."),
    term_id: int | None = Query(
        None, description="The term of office (without it: the current one)."
    ),
    year: int | None = Query(None, description="The year (without it: the whole term's)."),
):
    village = selectors.get_village(request.user, village_id)
    term, year = _period(village, term_id, year)
    qs = selectors.village_visits(village, term, year).prefetch_related("opinions")
    return [_visit_out(v) for v in qs]


@router.post("/opinions/visits", response={201: VisitOut})
def visit_record(request, data: VisitIn):
    """A household visit (入户走访) with the opinions heard."""
    village = selectors.get_village(request.user, data.village_id)
    term, year = _period(village, data.term_id, data.year)
    v = services.visit_record(
        actor=request.user,
        village=village,
        term=term,
        year=year,
        household=data.household,
        visitor=data.visitor,
        date=data.date,
        notes=data.notes,
        opinions=_entries(data.opinions),
    )
    return Status(201, _visit_out(v))


# --- Township tasks ---------------------------------------------------------------------------


@router.get("/opinions/tasks", response=list[TaskOut])
@paginated
def tasks_list(
    request,
    township_id: int | None = Query(None, description="A township's tasks."),
    village_id: int | None = Query(None, description="The tasks given to a village."),
    year: int | None = Query(None, description="Only this year's tasks."),
):
    """A township's tasks (``township_id``), or the tasks given to a village (``village_id``)."""
    if township_id is not None:
        township = selectors.get_township(request.user, township_id)
        tasks = list(selectors.township_tasks(township, year))
        villages = [a.village_id for t in tasks for a in t.assignments.all()]
        answered = selectors.answered_refs(villages, year)
        return [_task_out(t, answered) for t in tasks]
    if village_id is None:
        raise Http404
    village = selectors.get_village(request.user, village_id)
    rows = selectors.village_assignments(village, year)
    out = []
    for row in rows:
        a = row.assignment
        out.append(
            {
                "id": a.task.pk,
                "township_id": a.task.township_id,
                "year": a.task.year,
                "title": a.task.title,
                "target": a.task.target,
                "deadline": a.task.deadline,
                "issued_at": a.task.issued_at,
                "assignments": [
                    {
                        "id": a.pk,
                        "ref": a.ref,
                        "village_id": village.pk,
                        "village": village.name,
                        "not_adopted_reason": a.not_adopted_reason,
                        "status": row.status,
                    }
                ],
            }
        )
    return out


@router.post("/opinions/tasks", response={201: TaskOut})
def task_issue(request, data: TaskIn):
    """Issue a task with its target and deadline to some of the township's villages."""
    township = selectors.get_township(request.user, data.township_id)
    from jiannuo.organisation.models import Unit

    villages = list(Unit.objects.filter(pk__in=data.village_ids))
    if len(villages) != len(set(data.village_ids)):
        raise Http404
    task = services.task_issue(
        actor=request.user,
        township=township,
        year=data.year,
        title=data.title,
        target=data.target,
        deadline=data.deadline,
        villages=villages,
    )
    task = selectors.township_tasks(township).get(pk=task.pk)
    return Status(201, _task_out(task, set()))


@router.post("/opinions/task-assignments/{assignment_id}/not-adopt", response=AssignmentOut)
def task_not_adopt(request, assignment_id: int, data: ReasonIn):
    """The village does not adopt the task; the reason is published."""
    a = selectors.get_assignment(request.user, assignment_id)
    a = services.task_not_adopt(actor=request.user, assignment=a, reason=data.reason)
    return {
        "id": a.pk,
        "ref": a.ref,
        "village_id": a.village_id,
        "village": a.village.name,
        "not_adopted_reason": a.not_adopted_reason,
        "status": "not_adopted",
    }


# --- Hot issues -------------------------------------------------------------------------------


@router.get("/opinions/hot-issues", response=list[IssueOut])
@paginated
def issues_list(
    request,
    village_id: int = Query(..., description="The village."),
    term_id: int | None = Query(
        None, description="The term of office (without it: the current one)."
    ),
    year: int | None = Query(None, description="The year (without it: the whole term's)."),
):
    village = selectors.get_village(request.user, village_id)
    term, year = _period(village, term_id, year)
    return [_issue_out(i) for i in selectors.village_issues(village, term, year)]


# Declared before "/hot-issues/{issue_id}" so that "merge" is not taken for an id.
@router.post("/opinions/hot-issues/merge", response=IssueOut)
def issue_merge(request, data: MergeIn):
    """Merge ``other_ids`` into ``target_id``; ``versions`` maps each id to the version read."""
    target = selectors.get_issue(request.user, data.target_id)
    others = [selectors.get_issue(request.user, pk) for pk in dict.fromkeys(data.other_ids)]
    return _issue_out(
        services.issue_merge(
            actor=request.user,
            target=target,
            others=others,
            versions=data.versions,
            label=data.label,
        )
    )


@router.get("/opinions/hot-issues/{issue_id}", response=IssueOut)
def issue_detail(request, issue_id: int):
    return _issue_out(selectors.get_issue(request.user, issue_id))


@router.post("/opinions/villages/{village_id}/group", response={201: list[IssueOut]})
def issues_group(request, village_id: int, data: PeriodIn):
    """Group the village's ungrouped opinions into proposed hot issues."""
    village = selectors.get_village(request.user, village_id)
    term, year = _period(village, data.term_id, data.year)
    created = services.issues_group(actor=request.user, village=village, term=term, year=year)
    return Status(201, [_issue_out(i) for i in created])


@router.post("/opinions/hot-issues/{issue_id}/rename", response=IssueOut)
def issue_rename(request, issue_id: int, data: RenameIn):
    issue = selectors.get_issue(request.user, issue_id)
    return _issue_out(
        services.issue_rename(
            actor=request.user,
            issue=issue,
            label=data.label,
            summary=data.summary,
            version=data.version,
        )
    )


@router.post("/opinions/hot-issues/{issue_id}/split", response={201: IssueOut})
def issue_split(request, issue_id: int, data: SplitIn):
    """Move some opinions of a proposed issue to a new proposed issue (returned)."""
    issue = selectors.get_issue(request.user, issue_id)
    new = services.issue_split(
        actor=request.user,
        issue=issue,
        opinion_ids=data.opinion_ids,
        label=data.label,
        version=data.version,
    )
    return Status(201, _issue_out(new))


@router.post("/opinions/hot-issues/{issue_id}/accept", response=IssueOut)
def issue_accept(request, issue_id: int, data: VersionIn):
    issue = selectors.get_issue(request.user, issue_id)
    return _issue_out(services.issue_accept(actor=request.user, issue=issue, version=data.version))


@router.post("/opinions/hot-issues/{issue_id}/decline", response=IssueOut)
def issue_decline(request, issue_id: int, data: VersionIn):
    issue = selectors.get_issue(request.user, issue_id)
    return _issue_out(services.issue_decline(actor=request.user, issue=issue, version=data.version))


@router.post("/opinions/hot-issues/{issue_id}/reopen", response=IssueOut)
def issue_reopen(request, issue_id: int, data: VersionIn):
    issue = selectors.get_issue(request.user, issue_id)
    return _issue_out(services.issue_reopen(actor=request.user, issue=issue, version=data.version))


@router.post("/opinions/hot-issues/{issue_id}/not-adopt", response=IssueOut)
def issue_not_adopt(request, issue_id: int, data: ReasonIn):
    """Mark an accepted issue as not adopted, with a public reason."""
    issue = selectors.get_issue(request.user, issue_id)
    return _issue_out(
        services.issue_not_adopt(
            actor=request.user, issue=issue, reason=data.reason, version=data.version
        )
    )


# --- What the pledges must answer -------------------------------------------------------------


@router.get("/opinions/villages/{village_id}/required-answers", response=list[RequiredAnswerOut])
@paginated
def required_answers(
    request,
    village_id: int,
    term_id: int | None = Query(
        None, description="The term of office (without it: the current one)."
    ),
    year: int | None = Query(None, description="The year (without it: the whole term's)."),
):
    """Accepted hot issues and township tasks the village's letters must answer (§三.1)."""
    village = selectors.get_village(request.user, village_id)
    term, year = _period(village, term_id, year)
    return [
        {"ref": r.ref, "label": r.label, "source": r.source, "adopted": r.adopted}
        for r in selectors.required_answers(village, term, year)
    ]
