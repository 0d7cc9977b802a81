"""API endpoints for the pledges step (§三.2–3, §五.2): the same services and permissions as
the pages. Edits carry the letter ``version`` read; a stale one answers 409 and saves nothing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.db.models import F
from django.http import Http404, HttpResponse
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from jiannuo.api.pagination import Mapped, paginated, unit_path
from jiannuo.api.workflow import action_param, states_enum
from jiannuo.core.excel import XLSX_CONTENT_TYPE
from jiannuo.core.permissions import scope_q
from jiannuo.organisation.models import Term

from . import rules, selectors, services
from .models import STATE_LABELS, BreachClause, Letter, LetterVersion, PledgeItem

router = Router(tags=["pledges"])

#: A letter's states, in workflow order (§三.2–3): draft → tabled (submitted to the joint
#: meeting) → joint_meeting (passed it) → consulted → submitted (to the township) → approved;
#: ``returned`` goes back to drafting, ``redo`` closes the version and drafting starts anew.
LetterState = states_enum("LetterState", STATE_LABELS)

LetterAction, LETTERACTION_PATH = action_param(
    "LetterAction",
    {
        "submit_to_joint_meeting": "the village submits the draft to the joint meeting (§三.2)",
        "submit": "the village submits the consulted letter to the township (§三.3)",
        "approve": "the township approves the letter; signing follows",
        "return": "the township returns it for changes (``note``: the reasons)",
        "redo": "the township asks for a new version (``note``; ``copy_content`` keeps content)",
    },
    rules.TRANSITIONS,
)


# --- Schemas ----------------------------------------------------------------------------------


class LetterOut(Schema):
    id: int
    village_id: int
    term_id: int
    year: int | None
    kind: str
    title: str
    post_id: int | None
    holder: str
    state: LetterState
    current_version: int
    version: int
    blocking: int | None = None
    warnings: int | None = None


class ItemOut(Schema):
    id: int
    code: str
    category: str
    text: str
    target: str
    deadline: date | None
    responsible_post_id: int | None
    hot_issue_ids: list[int]
    task_ids: list[int]
    breaks_down_ids: list[int]


class ClauseOut(Schema):
    id: int
    code: str
    category: str
    trigger: str
    measure: str
    amount: Decimal | None
    share_percent: Decimal | None


class VersionOut(Schema):
    id: int  # what signing's /signing/versions/{version_id}/signatures takes
    number: int
    state: str
    content_hash: str
    decision_note: str
    copied: bool
    created_at: datetime
    tabled_at: datetime | None
    submitted_at: datetime | None
    decided_at: datetime | None


class LetterDetail(LetterOut):
    items: list[ItemOut]
    clauses: list[ClauseOut]
    versions: list[VersionOut]


class ItemIn(Schema):
    version: int
    category: str
    text: str
    target: str = ""
    deadline: date | None = None
    responsible_post_id: int | None = None
    hot_issue_ids: list[int] = []
    task_ids: list[int] = []
    breaks_down_ids: list[int] = []


class ClauseIn(Schema):
    version: int
    category: str
    trigger: str
    measure: str
    amount: Decimal | None = None
    share_percent: Decimal | None = None


class PrepareIn(Schema):
    term_id: int | None = None
    year: int | None = None


class AckIn(Schema):
    version: int
    note: str = ""


class LetterActionIn(Schema):
    version: int | None = None
    note: str = ""
    copy_content: bool = False


class DecisionIn(Schema):
    letter_id: int
    decision: str
    note: str = ""


class JointMeetingIn(Schema):
    term_id: int | None = None
    year: int | None = None
    date: date
    attendance: list[int]
    decisions: list[DecisionIn]
    minutes: str = ""


class CommentIn(Schema):
    letter_id: int
    comment: str = ""


class ConsultationIn(Schema):
    term_id: int | None = None
    year: int | None = None
    date: date
    comments: list[CommentIn]
    summary: str = ""
    body: str | None = None


class QualityFindingOut(Schema):
    rule: str
    clause: str
    severity: str
    message: str
    facts: dict
    acknowledged: bool


class QualityOut(Schema):
    letter_id: int
    version: int
    passes: bool
    findings: list[QualityFindingOut]


class ImportOut(Schema):
    imported: int


class JointMeetingOut(Schema):
    id: int
    date: date
    members_total: int
    present: int


class ConsultationOut(Schema):
    id: int
    date: date
    body: str
    non_compliant: bool


# --- Helpers ----------------------------------------------------------------------------------


def _letter_out(letter) -> dict:
    current = getattr(letter, "current", None)
    return {
        "id": letter.pk,
        "village_id": letter.village_id,
        "term_id": letter.term_id,
        "year": letter.year,
        "kind": letter.kind,
        "title": letter.title,
        "post_id": letter.post_id,
        "holder": letter.holder,
        "state": letter.state,
        "current_version": letter.current_number,
        "version": letter.version,
        "blocking": current.blocking_count if current else None,
        "warnings": current.warning_count if current else None,
    }


def _item_out(i: PledgeItem) -> dict:
    return {
        "id": i.pk,
        "code": i.code,
        "category": i.category,
        "text": i.text,
        "target": i.target,
        "deadline": i.deadline,
        "responsible_post_id": i.responsible_post_id,
        "hot_issue_ids": [h.pk for h in i.answers_hot_issues.all()],
        "task_ids": [t.pk for t in i.answers_tasks.all()],
        "breaks_down_ids": [t.pk for t in i.breaks_down.all()],
    }


def _fresh(user, pk):
    return selectors.get_letter(user, pk)


def _period(user, village_id, term_id, year):
    village = selectors.get_village(user, village_id)
    if term_id is not None:
        term = Term.objects.filter(pk=term_id, district_id=village.district_id).first()
        if term is None:
            raise Http404
        return village, term, year
    if year is None:
        return village, *selectors.resolve_period(village, "term")
    return village, *selectors.resolve_period(village, str(year))


def _item(user, item_id) -> PledgeItem:
    item = PledgeItem.objects.select_related("letter_version__letter").filter(pk=item_id).first()
    if item is None:
        raise Http404
    selectors.get_letter(user, item.letter_version.letter_id)
    return item


def _clause(user, clause_id) -> BreachClause:
    clause = (
        BreachClause.objects.select_related("letter_version__letter").filter(pk=clause_id).first()
    )
    if clause is None:
        raise Http404
    selectors.get_letter(user, clause.letter_version.letter_id)
    return clause


# --- Letters ----------------------------------------------------------------------------------


def _letters_page(letters: list) -> list[dict]:
    """A page of letters with their current versions (one query for the page)."""
    versions = {
        v.letter_id: v
        for v in LetterVersion.objects.filter(
            letter__in=letters, number=F("letter__current_number")
        )
    }
    for letter in letters:
        letter.current = versions.get(letter.pk)
    return [_letter_out(x) for x in letters]


@router.get("/pledges/letters", response=list[LetterOut])
@paginated
def letters(
    request,
    village_id: int | None = Query(
        None,
        description="One village's letters for a year (or the term), in the letters' own order.",
    ),
    year: int | None = Query(None, description="Only the letters of this year."),
    term_id: int | None = Query(None, description="Only the letters of this term of office."),
    unit_id: int | None = Query(
        None,
        description="A district, township or village in your scope: only what is in it or below it.",
    ),
    state: Annotated[LetterState | None, Query(description="Only letters in this state.")] = None,
):
    """Letters. With ``village_id``: that village's letters for a year (or, without ``year``,
    for the term), in the letters' own order (team letter first). Without it: every letter in
    your units, filtered by ``unit_id`` (a district, township or village: everything below
    it), ``year``, ``term_id`` and ``state``, in ascending id."""
    if village_id is not None:
        village, term, year = _period(request.user, village_id, term_id, year)
        rows = selectors.period_letters(village, term, year)
        if state is not None:
            rows = [x for x in rows if x.state == state.value]
        return [_letter_out(x) for x in rows]
    qs = Letter.objects.filter(scope_q(request.user, "pledges.view")).order_by("pk")
    if (path := unit_path(unit_id, request.user, "pledges.view")) is not None:
        qs = qs.filter(village__path__startswith=path)
    if year is not None:
        qs = qs.filter(year=year)
    if term_id is not None:
        qs = qs.filter(term_id=term_id)
    if state is not None:
        qs = qs.filter(state=state.value)
    return Mapped(qs.select_related("post__person"), _letters_page)


@router.post("/pledges/villages/{village_id}/letters", response={201: list[LetterOut]})
def letters_prepare(request, village_id: int, data: PrepareIn):
    """Prepare the draft letters from the roster (§三.3); existing letters are kept."""
    village, term, year = _period(request.user, village_id, data.term_id, data.year)
    created = services.letters_prepare(actor=request.user, village=village, term=term, year=year)
    return Status(201, [_letter_out(x) for x in created])


@router.post(
    "/pledges/villages/{village_id}/letters/from-previous", response={201: list[LetterOut]}
)
def letters_start_from_previous(request, village_id: int, data: PrepareIn):
    """Prepare a year's letters and start each new one from last year's letter: items and
    clauses copied as drafts (deadlines a year on), to be edited and approved again."""
    from .rollover import letters_start_from_previous

    village, term, year = _period(request.user, village_id, data.term_id, data.year)
    started = letters_start_from_previous(actor=request.user, village=village, term=term, year=year)
    return Status(201, [_letter_out(x) for x in started])


@router.get("/pledges/letters/{letter_id}", response=LetterDetail)
def letter(request, letter_id: int):
    letter = selectors.get_letter(request.user, letter_id)
    current = selectors.current_version(letter)
    letter.current = current
    items, clauses = selectors.letter_content(current)
    return {
        **_letter_out(letter),
        "items": [_item_out(i) for i in items],
        "clauses": clauses,
        "versions": list(letter.versions.order_by("number")),
    }


@router.post("/pledges/letters/{letter_id}/items", response={201: ItemOut})
def item_add(request, letter_id: int, data: ItemIn):
    letter = selectors.get_letter(request.user, letter_id)
    fields = data.dict()
    version = fields.pop("version")
    item = services.item_add(actor=request.user, letter=letter, version=version, **fields)
    return Status(201, _item_out(item))


@router.put("/pledges/items/{item_id}", response=ItemOut)
def item_update(request, item_id: int, data: ItemIn):
    item = _item(request.user, item_id)
    fields = data.dict()
    version = fields.pop("version")
    item = services.item_update(actor=request.user, item=item, version=version, **fields)
    return _item_out(item)


@router.delete("/pledges/items/{item_id}", response={204: None})
def item_remove(request, item_id: int, version: int):
    item = _item(request.user, item_id)
    services.item_remove(actor=request.user, item=item, version=version)
    return Status(204, None)


@router.post("/pledges/letters/{letter_id}/clauses", response={201: ClauseOut})
def clause_add(request, letter_id: int, data: ClauseIn):
    letter = selectors.get_letter(request.user, letter_id)
    fields = data.dict()
    version = fields.pop("version")
    return Status(
        201, services.clause_add(actor=request.user, letter=letter, version=version, **fields)
    )


@router.put("/pledges/clauses/{clause_id}", response=ClauseOut)
def clause_update(request, clause_id: int, data: ClauseIn):
    clause = _clause(request.user, clause_id)
    fields = data.dict()
    version = fields.pop("version")
    return services.clause_update(actor=request.user, clause=clause, version=version, **fields)


@router.delete("/pledges/clauses/{clause_id}", response={204: None})
def clause_remove(request, clause_id: int, version: int):
    clause = _clause(request.user, clause_id)
    services.clause_remove(actor=request.user, clause=clause, version=version)
    return Status(204, None)


# --- Quality gate -----------------------------------------------------------------------------


@router.get("/pledges/letters/{letter_id}/quality", response=QualityOut)
def quality(request, letter_id: int):
    """Every finding of the quality check (§五.2), explained, with acknowledgement status."""
    letter = selectors.get_letter(request.user, letter_id)
    findings = selectors.letter_findings(letter)
    open_ids = {id(f) for f in services.unacknowledged(letter, findings)}
    return {
        "letter_id": letter.pk,
        "version": letter.version,
        "passes": not any(f.blocking for f in findings) and not open_ids,
        "findings": [
            {
                "rule": f.rule,
                "clause": f.clause,
                "severity": f.severity,
                "message": selectors.explain(f),
                "facts": {k: str(v) for k, v in f.facts.items()},
                "acknowledged": not f.blocking and id(f) not in open_ids,
            }
            for f in findings
        ],
    }


@router.post("/pledges/letters/{letter_id}/acknowledge", response={201: dict})
def acknowledge(request, letter_id: int, data: AckIn):
    letter = selectors.get_letter(request.user, letter_id)
    ack = services.quality_acknowledge(
        actor=request.user, letter=letter, version=data.version, note=data.note
    )
    return Status(201, {"id": ack.pk, "warnings": len(ack.warnings)})


# --- Workflow ---------------------------------------------------------------------------------


@router.post("/pledges/letters/{letter_id}/actions/{action}", response=LetterOut)
def act(request, letter_id: int, data: LetterActionIn, action: LetterAction = LETTERACTION_PATH):
    """Move a letter along its workflow; ``version`` is the letter version read (409 if stale).
    The joint meeting's and the consultation's outcomes are recorded by their own operations."""
    action = action.value
    letter = selectors.get_letter(request.user, letter_id)
    if action == "submit_to_joint_meeting":
        services.letter_submit_to_joint_meeting(
            actor=request.user, letter=letter, version=data.version
        )
    elif action == "submit":
        services.letter_submit(actor=request.user, letter=letter, version=data.version)
    elif action in ("approve", "return", "redo"):
        services.decide(
            actor=request.user,
            letter=letter,
            action=action,
            note=data.note,
            copy=data.copy_content,
            version=data.version,
        )
    else:
        raise Http404
    letter = _fresh(request.user, letter_id)
    letter.current = selectors.current_version(letter)
    return _letter_out(letter)


@router.post("/pledges/villages/{village_id}/joint-meetings", response={201: JointMeetingOut})
def joint_meeting(request, village_id: int, data: JointMeetingIn):
    """Record a joint meeting (§三.2): attendance (team post ids) and a decision per letter."""
    village, term, year = _period(request.user, village_id, data.term_id, data.year)
    meeting = services.joint_meeting_record(
        actor=request.user,
        village=village,
        term=term,
        year=year,
        date=data.date,
        attendance=data.attendance,
        decisions={d.letter_id: (d.decision, d.note) for d in data.decisions},
        minutes=data.minutes,
    )
    return Status(201, meeting)


@router.post("/pledges/villages/{village_id}/consultations", response={201: ConsultationOut})
def consultation(request, village_id: int, data: ConsultationIn):
    """Record the supervision committee's (or representatives') consultation (§三.3)."""
    village, term, year = _period(request.user, village_id, data.term_id, data.year)
    c = services.consultation_record(
        actor=request.user,
        village=village,
        term=term,
        year=year,
        date=data.date,
        comments={x.letter_id: x.comment for x in data.comments},
        summary=data.summary,
        body=data.body,
    )
    return Status(201, c)


# --- Versions, diff, coverage --------------------------------------------------------------------


@router.get("/pledges/letters/{letter_id}/versions", response=list[VersionOut])
@paginated
def versions(request, letter_id: int):
    letter = selectors.get_letter(request.user, letter_id)
    return list(letter.versions.order_by("number"))


@router.get("/pledges/letters/{letter_id}/diff")
def diff(request, letter_id: int, a: int, b: int):
    """Items and clauses added, removed and changed from version ``a`` to version ``b``."""
    letter = selectors.get_letter(request.user, letter_id)
    old = selectors.get_version(letter, a)
    new = selectors.get_version(letter, b)
    return {
        "a": a,
        "b": b,
        **selectors.diff(selectors.version_snapshot(old), selectors.version_snapshot(new)),
    }


@router.get("/pledges/villages/{village_id}/coverage")
def coverage(request, village_id: int, year: int | None = None, term_id: int | None = None):
    """§三.2: each team item with the member items that break it down."""
    village, term, year = _period(request.user, village_id, term_id, year)
    team, rows = selectors.coverage(village, term, year)
    return {
        "team_letter_id": team.pk if team else None,
        "items": [
            {
                "code": r["item"].code,
                "text": r["item"].text,
                "owners": [
                    {"letter_id": letter.pk, "holder": letter.holder, "code": i.code}
                    for letter, i in r["owners"]
                ],
            }
            for r in rows
        ],
    }


# --- Excel ------------------------------------------------------------------------------------


@router.get("/pledges/items-template.xlsx")
def items_template(request) -> HttpResponse:
    response = HttpResponse(selectors.items_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="pledge-items-template.xlsx"'
    return response


@router.post("/pledges/letters/{letter_id}/items/import", response=ImportOut)
def items_import(request, letter_id: int, version: Form[int], file: File[UploadedFile]):
    """Append items from the template: all rows valid or nothing saved (400 names each row)."""
    letter = selectors.get_letter(request.user, letter_id)
    count = services.items_import(actor=request.user, letter=letter, version=version, upload=file)
    return {"imported": count}
