"""JSON API of the accountability step: the same services and permissions as the pages."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.responses import Status

from jiannuo.api.pagination import paginated, unit_path
from jiannuo.api.workflow import action_param, states_enum
from jiannuo.core.permissions import has_perm
from jiannuo.organisation.models import Unit
from jiannuo.organisation.policy import history, policy_for, set_policy

from . import rules, selectors, services

router = Router(tags=["accountability"])

#: A case's states (DOMAIN.md "Due process"): proposed → replied (申辩 or waived) → decided, or
#: awaiting_approval (a resignation demand's second approver) → decided; decided → appealed
#: (申诉; the measure stays in force) → decided or revoked; decided → carried_out; dismissed.
#: Who may filter cases by a unit: those who see its cases, or its people (their own cases).
CASE_PERMS = ("accountability.view", "accountability.team", "org.view")

CaseState = states_enum("CaseState", rules.CASE_STATES)

CaseAction, CASEACTION_PATH = action_param(
    "CaseAction",
    {
        "reply": "申辩: the cadre replies within the window, ``text`` (`proposed` → `replied`)",
        "waive": "the cadre declines to reply (`proposed` → `replied`)",
        "decide": "the township decides to apply the measure, ``decision`` = grounds "
        "(`proposed`/`replied` → `decided`; a resignation demand → `awaiting_approval`)",
        "dismiss": "the township decides not to apply it, ``decision`` = grounds "
        "(`proposed`/`replied` → `dismissed`)",
        "approve": "the second approver confirms a resignation demand "
        "(`awaiting_approval` → `decided`)",
        "reject": "the second approver refuses, ``note`` (`awaiting_approval` → `replied`)",
        "appeal": "申诉: the cadre appeals within the window, ``text`` (`decided` → `appealed`)",
        "decide_appeal": "someone who took no part decides the appeal, ``uphold`` and "
        "``decision`` (`appealed` → `decided` if upheld, else `revoked`)",
        "carry_out": "the measure is carried out, ``outcome``, ``note``, ``amount``, "
        "``sanction`` (`decided` → `carried_out`)",
    },
)


class ReasonOut(Schema):
    rule: str
    clause: str
    message: str


class CaseOut(Schema):
    id: int
    key: str
    village_id: int
    township_id: int
    year: int
    subject: str
    person_id: int | None
    post_id: int | None
    post_kind: str
    post_kinds: list[str]
    measure: str
    clause: str
    leading: bool
    state: CaseState
    in_force: bool
    version: int
    facts: dict[str, Any]
    reasons: list[ReasonOut]
    reply_due: datetime
    reply: str
    replied_at: datetime | None
    reply_waived: bool
    decision: str
    decided_by_id: int | None
    decided_at: datetime | None
    approved_by_id: int | None
    approved_at: datetime | None
    in_force_at: datetime | None
    appeal_due: datetime | None
    number: str
    appeal: str
    appealed_at: datetime | None
    appeal_outcome: str
    appeal_decision: str
    outcome: str
    amount: Decimal | None
    proposed_amount: Decimal | None
    sanction: str

    @staticmethod
    def resolve_reasons(obj):
        return [
            {"rule": r["rule"], "clause": r["clause"], "message": m}
            for r, m in zip(obj.reasons, obj.explain(), strict=True)
        ]


class CaseActionIn(Schema):
    version: int | None = None
    text: str = ""
    decision: str = ""
    note: str = ""
    uphold: bool = True
    outcome: str = ""
    amount: Decimal | None = None
    sanction: str = ""


class ProposalOut(Schema):
    key: str
    change: str
    case_id: int | None
    subject: str
    person_id: int | None
    post_id: int | None
    village_id: int
    measure: str
    clause: str
    leading: bool
    reasons: list[str]


class FlagOut(Schema):
    rule: str
    clause: str
    message: str


class PreviewOut(Schema):
    township_id: int
    year: int
    has_facts: bool
    proposals: list[ProposalOut]
    gone: list[int]
    flags: list[FlagOut]


class RunOut(Schema):
    id: int
    township_id: int
    year: int
    summary: dict[str, Any]


class SettingsOut(Schema):
    district_id: int
    year: int
    settings: dict[str, Any]
    versions: list[dict[str, Any]]


class SettingsIn(Schema):
    district_id: int
    year_from: int
    data: dict[str, Any]
    note: str = ""


@router.get("/accountability/cases", response=list[CaseOut])
@paginated
def cases(
    request,
    year: int | None = Query(None, description="Only the cases of this year."),
    township_id: int | None = Query(None, description="Only this township's cases."),
    unit_id: int | None = Query(
        None,
        description="A district, township or village in your scope: only what is in it or below it.",
    ),
    state: Annotated[CaseState | None, Query(description="Only cases in this state.")] = None,
    measure: str | None = Query(None, description="Only cases proposing this measure."),
):
    """The cases in your units, filtered by ``unit_id`` (everything below that unit),
    ``township_id``, ``year``, ``state`` and ``measure``, in ascending id."""
    township = None
    if township_id is not None:
        township = selectors.get_township(request.user, township_id)
    qs = selectors.cases(
        request.user,
        year=year,
        township=township,
        state=state.value if state else None,
        measure=measure,
    )
    if (path := unit_path(unit_id, request.user, *CASE_PERMS)) is not None:
        qs = qs.filter(village__path__startswith=path)
    return qs.order_by("pk")


@router.get("/accountability/cases/{pk}", response=CaseOut)
def case_get(request, pk: int):
    return selectors.get_case(request.user, pk)


@router.post("/accountability/cases/{pk}/{action}", response=CaseOut)
def case_act(request, pk: int, payload: CaseActionIn, action: CaseAction = CASEACTION_PATH):
    """One step of a case's due process; ``version`` is the case version read (409 if stale)."""
    action = action.value
    case = selectors.get_case(request.user, pk)
    if action not in services.ACTIONS:
        raise Http404
    kw: dict[str, Any] = {"actor": request.user, "case": case, "version": payload.version}
    if action in ("reply", "appeal"):
        kw["text"] = payload.text
    elif action in ("decide", "dismiss"):
        kw["decision"] = payload.decision
    elif action == "reject":
        kw["note"] = payload.note
    elif action == "decide_appeal":
        kw.update(decision=payload.decision, uphold=payload.uphold)
    elif action == "carry_out":
        kw.update(
            outcome=payload.outcome,
            note=payload.note,
            amount=payload.amount,
            sanction=payload.sanction,
        )
    services.ACTIONS[action](**kw)
    return selectors.get_case(request.user, pk)


def _preview_out(pv) -> dict:
    return {
        "township_id": pv.township.pk,
        "year": pv.year,
        "has_facts": pv.has_facts,
        "proposals": [
            {
                "key": r.key,
                "change": r.change,
                "case_id": r.case.pk if r.case else None,
                "subject": r.proposal.subject,
                "person_id": r.proposal.person_id,
                "post_id": r.proposal.post_id,
                "village_id": r.proposal.village_id,
                "measure": r.proposal.measure,
                "clause": r.proposal.clause,
                "leading": r.proposal.leading,
                "reasons": r.explanations,
            }
            for r in pv.rows
        ],
        "gone": [c.pk for c in pv.gone],
        "flags": [{"rule": f.rule, "clause": f.clause, "message": f.explain()} for f in pv.flags],
    }


@router.get("/accountability/townships/{pk}/{year}/preview", response=PreviewOut)
def preview(request, pk: int, year: int):
    township = selectors.get_township(request.user, pk, "accountability.run")
    return _preview_out(services.preview(actor=request.user, township=township, year=year))


@router.post("/accountability/townships/{pk}/{year}/run", response={201: RunOut})
def run(request, pk: int, year: int):
    township = selectors.get_township(request.user, pk, "accountability.run")
    return Status(201, services.run_open(actor=request.user, township=township, year=year))


@router.get("/accountability/honours", response=list[CaseOut])
@paginated
def honours(
    request,
    year: int = Query(..., description="The year the honours are for."),
    unit_id: int | None = Query(
        None,
        description="A district, township or village in your scope: only what is in it or below it.",
    ),
):
    """§四.1: the cadres and teams with a "no honours" measure in force for ``year``, by
    village (tree order), then name, then id."""
    qs = (
        selectors.cases(request.user, year=year, measure=rules.NO_HONOURS)
        .filter(state__in=rules.IN_FORCE)
        .order_by("village__path", "person__name", "id")
    )
    if (path := unit_path(unit_id, request.user, *CASE_PERMS)) is not None:
        qs = qs.filter(village__path__startswith=path)
    return qs


def _district(request, pk: int) -> Unit:
    district = get_object_or_404(Unit, pk=pk, kind=Unit.DISTRICT)
    if not has_perm(request.user, "settings.manage", district):
        raise PermissionDenied
    return district


@router.get("/accountability/settings", response=SettingsOut)
def settings_get(request, district_id: int, year: int):
    district = _district(request, district_id)
    return {
        "district_id": district.pk,
        "year": year,
        "settings": policy_for(district, year).to_json(),
        "versions": [
            {
                "id": v.pk,
                "year_from": v.year_from,
                "note": v.note,
                "created_at": v.created_at.isoformat(),
                "data": v.data,
            }
            for v in history(district)
        ],
    }


@router.post("/accountability/settings", response={201: SettingsOut})
def settings_set(request, payload: SettingsIn):
    district = get_object_or_404(Unit, pk=payload.district_id, kind=Unit.DISTRICT)
    set_policy(
        actor=request.user,
        district=district,
        year_from=payload.year_from,
        data=payload.data,
        note=payload.note,
    )
    return Status(201, settings_get(request, district.pk, payload.year_from))
