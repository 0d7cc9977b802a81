"""JSON API of the supervision step (§五.3): the same services and permissions as the pages."""

from datetime import date, datetime
from typing import Annotated

from django.db.models import F, Q
from django.http import Http404
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from jiannuo.api.pagination import Mapped, paginated, unit_path
from jiannuo.api.workflow import states_enum
from jiannuo.core.permissions import scope_q
from jiannuo.pledges.models import Letter, PledgeItem

from . import rules, selectors, services
from .models import Adjustment, Evidence, Inspection, InspectionFinding

router = Router(tags=["supervision"])

UNIT_DOC = "A district, township or village in your scope: only what is in it or below it."

#: An adjustment request's states (§五.2): requested → approved or rejected.
AdjustmentState = states_enum(
    "AdjustmentState", [rules.ADJ_REQUESTED, rules.ADJ_APPROVED, rules.ADJ_REJECTED]
)


class TrackedItemOut(Schema):
    letter_id: int
    item_code: str
    village_id: int
    text: str
    target: str
    deadline: date
    responsible_post_id: int | None
    status: str
    percent: int
    rolled_up: bool
    level: str
    reasons: list[str]
    open_findings: int
    overdue_rectifications: int
    adjusted: bool


def _item_out(r) -> dict:
    return {
        "letter_id": r.signed.letter_id,
        "item_code": r.item.code,
        "village_id": r.village.pk,
        "text": r.text,
        "target": r.target,
        "deadline": r.deadline,
        "responsible_post_id": r.item.responsible_post_id,
        "status": r.status,
        "percent": r.percent,
        "rolled_up": r.rolled_up,
        "level": r.level,
        "reasons": r.explained,
        "open_findings": r.open_findings,
        "overdue_rectifications": r.overdue_rectifications,
        "adjusted": r.adjusted,
    }


class DashboardGroupOut(Schema):
    id: int | None
    name: str
    level: str
    counts: dict[str, int]
    explanation: str


class DashboardOut(Schema):
    year: int
    level: str
    counts: dict[str, int]
    townships: list[DashboardGroupOut]
    villages: list[DashboardGroupOut]


class ProgressIn(Schema):
    status: str
    percent: int | None = None
    measured: str = ""
    note: str = ""
    public: bool = False
    version: int | None = None


class EvidenceOut(Schema):
    id: int
    content_type: str
    size: int
    sha256: str
    public: bool
    caption: str
    uploaded_at: datetime
    retracted_at: datetime | None
    retract_reason: str


class ProgressOut(Schema):
    id: int
    status: str
    percent: int
    measured: str
    note: str
    public: bool
    recorded_at: datetime
    evidence: list[EvidenceOut] = []


class RetractIn(Schema):
    reason: str


class FindingIn(Schema):
    letter_id: int
    item_code: str
    text: str
    rectify_by: date | None = None


class InspectionIn(Schema):
    village_id: int
    kind: str
    date: date
    inspectors: str
    summary: str = ""
    findings: list[FindingIn] = []


class InspectionFindingOut(Schema):
    id: int
    letter_id: int
    item_code: str
    text: str
    rectify_by: date | None
    state: str
    response: str
    signoff_note: str
    version: int


def _finding_out(f) -> dict:
    return {
        "id": f.pk,
        "letter_id": f.state_row.letter_id,
        "item_code": f.state_row.item_code,
        "text": f.text,
        "rectify_by": f.rectify_by,
        "state": f.state,
        "response": f.response,
        "signoff_note": f.signoff_note,
        "version": f.version,
    }


class InspectionOut(Schema):
    id: int
    village_id: int
    kind: str
    date: date
    inspectors: str
    summary: str
    findings: list[InspectionFindingOut]


def _inspection_out(i) -> dict:
    return {
        "id": i.pk,
        "village_id": i.village_id,
        "kind": i.kind,
        "date": i.date,
        "inspectors": i.inspectors,
        "summary": i.summary,
        "findings": [_finding_out(f) for f in i.findings.select_related("state_row")],
    }


class RespondIn(Schema):
    response: str
    version: int | None = None


class SignoffIn(Schema):
    accept: bool
    note: str = ""
    version: int | None = None


class AdjustmentIn(Schema):
    reason: str
    new_text: str = ""
    new_target: str = ""
    new_deadline: date | None = None


class AdjustmentOut(Schema):
    id: int
    letter_id: int
    item_code: str
    reason: str
    new_text: str
    new_target: str
    new_deadline: date | None
    state: str
    decision_note: str


def _adj_out(a) -> dict:
    return {
        "id": a.pk,
        "letter_id": a.state_row.letter_id,
        "item_code": a.state_row.item_code,
        "reason": a.reason,
        "new_text": a.new_text,
        "new_target": a.new_target,
        "new_deadline": a.new_deadline,
        "state": a.state,
        "decision_note": a.decision_note,
    }


class DecideIn(Schema):
    approve: bool
    note: str = ""


def _letter(request, letter_id) -> Letter:
    letter = Letter.objects.filter(scope_q(request.user, selectors.VIEW), pk=letter_id).first()
    if letter is None:
        raise Http404
    return letter


def _group_out(g) -> dict:
    return {
        "id": g.key,
        "name": g.label,
        "level": g.level,
        "counts": g.counts,
        "explanation": g.explained,
    }


@router.get("/supervision/items", response=list[TrackedItemOut])
@paginated
def items(
    request,
    year: int | None = Query(None, description="Only the items of this year's letters."),
    village_id: int | None = Query(None, description="Only this village's items."),
    unit_id: int | None = Query(None, description=UNIT_DOC),
):
    """Items in force in the caller's scope with progress and risk (§五.3), by letter (in
    ascending id of its signed version), then by position in the letter."""
    village = selectors.get_village(request.user, village_id) if village_id else None
    signed = selectors.in_force().filter(scope_q(request.user, selectors.VIEW, "letter__village"))
    if year is not None:
        signed = signed.filter(letter__year=year)
    if village is not None:
        signed = signed.filter(letter__village=village)
    if (path := unit_path(unit_id, request.user, selectors.VIEW)) is not None:
        signed = signed.filter(letter__village__path__startswith=path)
    qs = (
        PledgeItem.objects.filter(letter_version__in=signed.values("version_id"))
        .annotate(village_pk=F("letter_version__letter__village_id"))
        .order_by("letter_version_id", "position", "id")
    )

    def page(rows: list[PledgeItem]) -> list[dict]:
        # Progress, risk and the roll-up of members' items into the team's are worked out for
        # the villages on the page only (a team item's members are in its own village).
        villages = {x.village_pk for x in rows}
        tracked = selectors.tracked(
            request.user, year=year, village=village, q=Q(letter__village_id__in=villages)
        )
        by_item = {r.item.pk: r for r in tracked}
        return [_item_out(by_item[x.pk]) for x in rows if x.pk in by_item]

    return Mapped(qs, page)


@router.get("/supervision/items/{letter_id}/{code}", response=TrackedItemOut)
def item_get(request, letter_id: int, code: str):
    return _item_out(selectors.get_row(request.user, letter_id, code))


@router.get("/supervision/items/{letter_id}/{code}/timeline", response=list[ProgressOut])
@paginated
def timeline(request, letter_id: int, code: str):
    row = selectors.get_row(request.user, letter_id, code)
    return [
        {
            **{k: getattr(p, k) for k in ProgressOut.model_fields if k != "evidence"},
            "evidence": list(p.evidence.all()),
        }
        for p in selectors.timeline(row)
    ]


@router.post("/supervision/items/{letter_id}/{code}/progress", response={201: ProgressOut})
def progress(request, letter_id: int, code: str, payload: ProgressIn):
    letter = _letter(request, letter_id)
    p = services.progress_record(
        actor=request.user, letter=letter, item_code=code, **payload.dict()
    )
    return Status(201, {**{k: getattr(p, k) for k in ProgressOut.model_fields if k != "evidence"}})


@router.post("/supervision/items/{letter_id}/{code}/evidence", response={201: EvidenceOut})
def evidence_upload(
    request,
    letter_id: int,
    code: str,
    file: File[UploadedFile],
    public: Form[bool] = False,
    caption: Form[str] = "",
):
    letter = _letter(request, letter_id)
    ev = services.evidence_add(
        actor=request.user,
        letter=letter,
        item_code=code,
        upload=file,
        public=public,
        caption=caption,
    )
    return Status(201, ev)


@router.post("/supervision/evidence/{pk}/retract", response=EvidenceOut)
def evidence_retract(request, pk: int, payload: RetractIn):
    ev = Evidence.objects.filter(scope_q(request.user, selectors.VIEW), pk=pk).first()
    if ev is None:
        raise Http404
    return services.evidence_retract(actor=request.user, evidence=ev, reason=payload.reason)


@router.get("/supervision/dashboard", response=DashboardOut)
def dashboard(request, year: int | None = None):
    """Risk per township and village in the caller's scope (§五.3 early warning)."""
    year = year or selectors.current_day().year
    rows = selectors.tracked(request.user, year=year)
    overall = rules.rate_many(r.level for r in rows)
    return {
        "year": year,
        "level": overall.level,
        "counts": overall.counts,
        "townships": [_group_out(g) for g in selectors.by_township(rows)],
        "villages": [_group_out(g) for g in selectors.by_village(rows)],
    }


@router.get("/supervision/inspections", response=list[InspectionOut])
@paginated
def inspections(
    request,
    village_id: int | None = Query(None, description="Only this village's inspections."),
    unit_id: int | None = Query(None, description=UNIT_DOC),
    # ``date__year`` builds a date range: a year outside 1–9999 is a 422, never a 500.
    year: int | None = Query(
        None, ge=1, le=9999, description="Only the inspections made in this year."
    ),
):
    """Inspections in your units, in ascending id."""
    qs = Inspection.objects.filter(scope_q(request.user, selectors.VIEW)).order_by("pk")
    if village_id:
        # ``village__pk``, not ``village_id``: Django answers an id beyond the database's
        # integers with no rows only on the primary key's own lookup (SQLite would overflow).
        qs = qs.filter(village__pk=village_id)
    if (path := unit_path(unit_id, request.user, selectors.VIEW)) is not None:
        qs = qs.filter(village__path__startswith=path)
    if year is not None:
        qs = qs.filter(date__year=year)
    return Mapped.each(qs.prefetch_related("findings__state_row"), _inspection_out)


@router.post("/supervision/inspections", response={201: InspectionOut})
def inspection_create(request, payload: InspectionIn):
    village = selectors.get_village(request.user, payload.village_id)
    insp = services.inspection_record(
        actor=request.user,
        village=village,
        kind=payload.kind,
        day=payload.date,
        inspectors=payload.inspectors,
        summary=payload.summary,
        findings=[
            {
                "letter": f.letter_id,
                "item_code": f.item_code,
                "text": f.text,
                "rectify_by": f.rectify_by,
            }
            for f in payload.findings
        ],
    )
    return Status(201, _inspection_out(insp))


def _finding(request, pk) -> InspectionFinding:
    f = (
        InspectionFinding.objects.filter(scope_q(request.user, selectors.VIEW), pk=pk)
        .select_related("village", "state_row")
        .first()
    )
    if f is None:
        raise Http404
    return f


@router.post("/supervision/findings/{pk}/respond", response=InspectionFindingOut)
def finding_respond(request, pk: int, payload: RespondIn):
    f = services.rectification_respond(
        actor=request.user,
        finding=_finding(request, pk),
        response=payload.response,
        version=payload.version,
    )
    return _finding_out(f)


@router.post("/supervision/findings/{pk}/signoff", response=InspectionFindingOut)
def finding_signoff(request, pk: int, payload: SignoffIn):
    f = services.rectification_signoff(
        actor=request.user,
        finding=_finding(request, pk),
        accept=payload.accept,
        note=payload.note,
        version=payload.version,
    )
    return _finding_out(f)


@router.get("/supervision/adjustments", response=list[AdjustmentOut])
@paginated
def adjustments(
    request,
    unit_id: int | None = Query(None, description=UNIT_DOC),
    year: int | None = Query(None, description="Only adjustments to this year's letters."),
    state: Annotated[
        AdjustmentState | None, Query(description="Only adjustments in this state.")
    ] = None,
):
    """Requests to adjust a pledge (§五.2) in your units, in ascending id."""
    qs = (
        Adjustment.objects.filter(scope_q(request.user, selectors.VIEW))
        .select_related("state_row")
        .order_by("pk")
    )
    if (path := unit_path(unit_id, request.user, selectors.VIEW)) is not None:
        qs = qs.filter(village__path__startswith=path)
    if year is not None:
        qs = qs.filter(state_row__letter__year=year)
    if state is not None:
        qs = qs.filter(state=state.value)
    return Mapped.each(qs, _adj_out)


@router.post("/supervision/items/{letter_id}/{code}/adjustments", response={201: AdjustmentOut})
def adjustment_create(request, letter_id: int, code: str, payload: AdjustmentIn):
    letter = _letter(request, letter_id)
    adj = services.adjustment_request(
        actor=request.user, letter=letter, item_code=code, **payload.dict()
    )
    return Status(201, _adj_out(adj))


@router.post("/supervision/adjustments/{pk}/decide", response=AdjustmentOut)
def adjustment_decide(request, pk: int, payload: DecideIn):
    adj = (
        Adjustment.objects.filter(scope_q(request.user, selectors.VIEW), pk=pk)
        .select_related("village", "state_row")
        .first()
    )
    if adj is None:
        raise Http404
    adj = services.adjustment_decide(
        actor=request.user, adjustment=adj, approve=payload.approve, note=payload.note
    )
    return _adj_out(adj)
