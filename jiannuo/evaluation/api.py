"""JSON API of the evaluation step (§三.6, §四): the same services and permissions as the pages.

Assessment groups, verdicts, losses and breaches; rounds (create, check-in, open, close, void),
paper tallies and their confirmation, phone ballots (public, ``auth=None``: the one-time code is
the credential; the answer carries no receipt), the year's results and their confirmation.
A round's counts are shown only once it is closed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from jiannuo.accounts.models import RoleAssignment
from jiannuo.api.pagination import Mapped, paginated, unit_path
from jiannuo.api.workflow import action_param, states_enum
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import has_perm, roles_at, scope_q
from jiannuo.organisation.models import Post, Unit
from jiannuo.pledges.models import PledgeItem

from . import presiding, selectors, services
from .models import AssessmentGroup, Round, Tally, Target, Voter

router = Router(tags=["evaluation"])

#: A round's states (§四.2): draft (preparing: voters checked in) → open (ballots accepted) →
#: closed (counted); void (abandoned, with a reason).
UNIT_DOC = "A district, township or village in your scope: only what is in it or below it."

RoundState = states_enum("RoundState", [s for s, _label in Round.STATES])

RoundStep, ROUNDSTEP_PATH = action_param(
    "RoundStep",
    {
        "open": "the presiding officer opens the round once the meeting has its quorum "
        "(`draft` → `open`)",
        "close": "the presiding officer closes it; a phone round is counted at once, a paper "
        "round's tallies follow (`open` → `closed`)",
        "void": "the round is abandoned, ``reason`` required (`draft`/`open` → `void`)",
    },
)


class GroupIn(Schema):
    township_id: int
    year: int
    name: str
    member_ids: list[int]
    village_ids: list[int]


class GroupOut(Schema):
    id: int
    township_id: int
    year: int
    name: str


class VerdictIn(Schema):
    item_id: int
    verdict: str
    reason: str = ""
    evidence: str = ""
    # The version of the verdict read (absent or 0: none was read). Changing an existing
    # verdict without its current version answers 409 with both versions.
    version: int | None = None


class VerdictOut(Schema):
    id: int
    item_id: int
    verdict: str
    reason: str
    evidence: str
    version: int


class LossIn(Schema):
    village_id: int
    year: int
    amount: Decimal
    cause: str
    description: str
    clause_id: int | None = None
    breach_clause: str = ""  # the clause's number in the letter, as an alternative to its id
    post_ids: list[int] = []
    team: bool = False


class BreachIn(Schema):
    village_id: int
    year: int
    kind: str
    description: str
    post_id: int | None = None
    referred_to: str = ""


class CreatedOut(Schema):
    id: int


class AssessorOut(Schema):
    id: int
    username: str
    name: str


class VoterOut(Schema):
    """One person who may vote in a round, and whether they are checked in (never whether or
    how they voted)."""

    id: int
    person_id: int
    name: str
    present: bool


class RoundIn(Schema):
    village_id: int
    year: int
    method: str


class TargetOut(Schema):
    id: int
    post_id: int | None
    label: str


class TallyOut(Schema):
    id: int
    target_id: int
    issued: int
    returned: int
    spoiled: int
    counts: dict
    source: str
    confirmed: bool
    version: int


class RoundOut(Schema):
    id: int
    village_id: int
    year: int
    method: str
    state: RoundState
    eligible: int
    present: int
    options: list[str]
    targets: list[TargetOut]
    tallies: list[TallyOut] | None = None


class CheckinIn(Schema):
    voter_id: int


class BallotIn(Schema):
    code: str
    choices: dict[str, str]


class TallyIn(Schema):
    target_id: int
    issued: int
    returned: int
    spoiled: int = 0
    counts: dict[str, int]


class ResultRowOut(Schema):
    post_id: int | None
    label: str
    rate: str
    goals_met: bool | None
    pledges_met: bool | None
    grade: str
    graded: bool


class ResultsOut(Schema):
    village_id: int
    year: int
    confirmed: bool
    problems: list[str]
    rows: list[ResultRowOut]


def _round_out(rnd: Round) -> dict:
    out = {
        "id": rnd.pk,
        "village_id": rnd.village_id,
        "year": rnd.year,
        "method": rnd.method,
        "state": rnd.state,
        "eligible": rnd.eligible,
        "present": rnd.present,
        "options": rnd.options,
        "targets": list(rnd.targets.all()),
        "tallies": None,
    }
    if rnd.state == Round.CLOSED:
        # ``rnd.tallies``: a list of rounds prefetches them (the same rows, in the same order).
        out["tallies"] = list(rnd.tallies.all())
    return out


def _village(request, pk) -> Unit:
    return selectors.village(request.user, pk)


def _posts(village: Unit, ids: list[int]) -> list[Post]:
    """The village's posts by id; an id that is not one of them is refused, not dropped."""
    posts = list(Post.objects.filter(village=village, pk__in=ids))
    if len(posts) != len(set(ids)):
        raise ServiceError(_("The responsible posts must be of this village."), code="post")
    return posts


# First of the router's routes: the public phone ballot is the busiest path, and Django tries
# URL patterns in order.
@router.post("/evaluation/rounds/{pk}/ballots", auth=None, response={201: None})
def ballot(request, pk: int, payload: BallotIn):
    services.ballot_cast(code=payload.code, choices=payload.choices, round_id=pk)
    return Status(201, None)


@router.post("/evaluation/groups", response={201: GroupOut})
def group_create(request, payload: GroupIn):
    township = get_object_or_404(Unit, pk=payload.township_id, kind=Unit.TOWNSHIP)
    group = services.group_create(
        actor=request.user,
        township=township,
        year=payload.year,
        name=payload.name,
        members=User.objects.filter(pk__in=payload.member_ids),
        villages=Unit.objects.filter(pk__in=payload.village_ids),
    )
    return Status(201, group)


@router.get("/evaluation/groups", response=list[GroupOut])
@paginated
def groups(
    request,
    year: int | None = Query(None, description="Only this year's groups."),
    unit_id: int | None = Query(None, description=UNIT_DOC + " (a group's township or villages)"),
):
    """Assessment groups in your townships, in ascending id."""
    qs = selectors.groups(request.user, year).order_by("pk")
    if (path := unit_path(unit_id, request.user, "evaluation.view")) is not None:
        inside = AssessmentGroup.objects.filter(
            Q(township__path__startswith=path) | Q(villages__path__startswith=path)
        )
        qs = qs.filter(pk__in=inside.values("pk"))
    return qs


@router.post("/evaluation/verdicts", response={201: VerdictOut})
def verdict(request, payload: VerdictIn):
    # Scope before state: an item outside the user's scope is a 404 whatever its state.
    item = get_object_or_404(
        PledgeItem.objects.filter(
            scope_q(request.user, "evaluation.view", field="letter_version__letter__village")
        ),
        pk=payload.item_id,
    )
    row = services.verdict_record(
        actor=request.user,
        item=item,
        verdict=payload.verdict,
        reason=payload.reason,
        evidence=payload.evidence,
        version=payload.version,
    )
    return Status(201, row)


@router.post("/evaluation/losses", response={201: CreatedOut})
def loss(request, payload: LossIn):
    village = _village(request, payload.village_id)
    row = services.loss_record(
        actor=request.user,
        village=village,
        year=payload.year,
        amount=payload.amount,
        cause=payload.cause,
        description=payload.description,
        clause=payload.clause_id,
        breach_clause=payload.breach_clause,
        posts=_posts(village, payload.post_ids),
        team=payload.team,
    )
    return Status(201, {"id": row.pk})


@router.post("/evaluation/breaches", response={201: CreatedOut})
def breach(request, payload: BreachIn):
    village = _village(request, payload.village_id)
    post = None
    if payload.post_id is not None:
        post = get_object_or_404(Post, pk=payload.post_id, village=village)
    row = services.breach_record(
        actor=request.user,
        village=village,
        year=payload.year,
        kind=payload.kind,
        post=post,
        description=payload.description,
        referred_to=payload.referred_to,
    )
    return Status(201, {"id": row.pk})


@router.get("/evaluation/rounds", response=list[RoundOut])
@paginated
def rounds(
    request,
    year: int | None = Query(None, description="Only this year's rounds."),
    unit_id: int | None = Query(None, description=UNIT_DOC),
    state: Annotated[RoundState | None, Query(description="Only rounds in this state.")] = None,
):
    """Evaluation rounds in your units, by village (tree order), latest first."""
    qs = selectors.rounds(request.user, year).order_by("village__path", "-id")
    if (path := unit_path(unit_id, request.user, "evaluation.view")) is not None:
        qs = qs.filter(village__path__startswith=path)
    if state is not None:
        qs = qs.filter(state=state.value)
    return Mapped.each(qs.prefetch_related("targets", "tallies"), _round_out)


@router.post("/evaluation/rounds", response={201: RoundOut})
def round_create(request, payload: RoundIn):
    village = _village(request, payload.village_id)
    rnd = services.round_create(
        actor=request.user, village=village, year=payload.year, method=payload.method
    )
    return Status(201, _round_out(rnd))


@router.get("/evaluation/rounds/{pk}", response=RoundOut)
def round_get(request, pk: int):
    return _round_out(selectors.get_round(request.user, pk))


@router.post("/evaluation/rounds/{pk}/checkins", response={201: CreatedOut})
def checkin(request, pk: int, payload: CheckinIn):
    rnd = selectors.get_round(request.user, pk)
    voter = get_object_or_404(Voter, pk=payload.voter_id, round=rnd)
    services.voter_checkin(actor=request.user, round=rnd, voter=voter)
    return Status(201, {"id": voter.pk})


@router.post("/evaluation/rounds/{pk}/steps/{action}", response=RoundOut)
def round_step(request, pk: int, reason: str = "", action: RoundStep = ROUNDSTEP_PATH):
    """Open, close or void an evaluation round (presiding officer)."""
    action = action.value
    rnd = selectors.get_round(request.user, pk)
    if action == "open":
        rnd = services.round_open(actor=request.user, round=rnd)
    elif action == "close":
        rnd = services.round_close(actor=request.user, round=rnd)
    elif action == "void":
        rnd = services.round_void(actor=request.user, round=rnd, reason=reason)
    else:
        raise Http404
    return _round_out(rnd)


@router.post("/evaluation/rounds/{pk}/slips", response={201: list[str]})
def slips(request, pk: int):
    """Issue the phone round's one-time codes (presiding officer, before the round opens): one
    per voter present, in random order, to print as slips without names. Only the codes'
    digests are kept, so this answer is the only time they are seen; issuing again voids the
    codes issued before."""
    rnd = selectors.get_round(request.user, pk)
    return Status(201, services.slips_issue(actor=request.user, round=rnd))


@router.get("/evaluation/townships/{township_id}/assessors", response=list[AssessorOut])
@paginated
def assessors(request, township_id: int):
    """The users who may sit on the township's assessment groups (``member_ids`` of
    ``POST /evaluation/groups``), for those who manage evaluation there."""
    township = Unit.objects.filter(pk=township_id, kind=Unit.TOWNSHIP).first()
    if township is None or not has_perm(request.user, "evaluation.manage", township):
        raise Http404
    ancestors = [township.path[: i + 1] for i, ch in enumerate(township.path) if ch == "/"]
    candidates = User.objects.filter(
        is_active=True,
        pk__in=RoleAssignment.objects.filter(
            unit__path__in=ancestors, role__in=services.ASSESSOR_ROLES
        ).values("user"),
    ).order_by("username", "pk")
    return [
        {"id": u.pk, "username": u.username, "name": u.get_full_name() or u.username}
        for u in candidates
        if roles_at(u, township) & services.ASSESSOR_ROLES
    ]


@router.get("/evaluation/rounds/{pk}/voters", response=list[VoterOut])
@paginated
def voters(request, pk: int):
    """The round's voters with their ids for check-in (presiding officer only), by name."""
    rnd = selectors.get_round(request.user, pk)
    if not presiding.may_preside(request.user, rnd.village, rnd.year):
        raise PermissionDenied
    qs = Voter.objects.filter(round=rnd).select_related("person").order_by("person__name", "pk")
    return Mapped.each(
        qs,
        lambda v: {
            "id": v.pk,
            "person_id": v.person_id,
            "name": v.person.name,
            "present": v.present,
        },
    )


@router.post("/evaluation/rounds/{pk}/tallies", response={201: TallyOut})
def tally_enter(request, pk: int, payload: TallyIn):
    rnd = selectors.get_round(request.user, pk)
    target = get_object_or_404(Target, pk=payload.target_id, round=rnd)
    row = services.tally_enter(
        actor=request.user,
        target=target,
        issued=payload.issued,
        returned=payload.returned,
        spoiled=payload.spoiled,
        counts=payload.counts,
    )
    return Status(201, row)


@router.post("/evaluation/tallies/{pk}/confirm", response=TallyOut)
def tally_confirm(request, pk: int, version: int | None = None):
    tally = get_object_or_404(Tally.objects.select_related("round__village"), pk=pk)
    selectors.get_round(request.user, tally.round_id)
    if version is not None:
        tally.version = version
    return services.tally_confirm(actor=request.user, tally=tally)


def _results(village, year) -> dict:
    from .models import YearResult

    confirmed = YearResult.objects.filter(village=village, year=year).first()
    if confirmed is not None:
        rows = [
            {
                "post_id": r.post_id,
                "label": r.label,
                "rate": r.rate_text,
                "goals_met": r.goals_met,
                "pledges_met": r.pledges_met,
                "grade": r.grade,
                "graded": r.graded,
            }
            for r in confirmed.posts.all()
        ]
        return {
            "village_id": village.pk,
            "year": year,
            "confirmed": True,
            "problems": [],
            "rows": rows,
        }
    computed = services.compute_results(village, year)
    return {
        "village_id": village.pk,
        "year": year,
        "confirmed": False,
        "problems": [str(p) for p in computed["problems"]],
        "rows": [
            {
                "post_id": getattr(r["post"], "pk", None),
                "label": r["label"],
                "rate": r["rate_text"],
                "goals_met": r["goals_met"],
                "pledges_met": r["pledges_met"],
                "grade": r["grade"],
                "graded": r["graded"],
            }
            for r in computed["rows"]
        ],
    }


@router.get("/evaluation/results/{village_id}/{year}", response=ResultsOut)
def results(request, village_id: int, year: int):
    return _results(_village(request, village_id), year)


@router.post("/evaluation/results/{village_id}/{year}/confirm", response=ResultsOut)
def results_confirm(request, village_id: int, year: int):
    village = _village(request, village_id)
    services.results_confirm(actor=request.user, village=village, year=year)
    return _results(village, year)
