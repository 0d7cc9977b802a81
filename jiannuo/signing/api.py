"""API endpoints for the signing step (§三.4–5): the same services and scopes as the pages.

Ceremonies, check-in (the QR check-in and the verification are public, ``auth=None``), votes,
signatures, signed letters, the custody register and receipts, the scan of the paper original,
and changes after signing (a new version through approval, vote and signing again, #4.7).
"""

from datetime import datetime
from typing import Annotated

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from jiannuo.api.pagination import Mapped, paginated, unit_path
from jiannuo.api.workflow import action_param, states_enum
from jiannuo.core.clients import client_address
from jiannuo.core.permissions import scope_q
from jiannuo.organisation.models import Person, Term
from jiannuo.pledges.models import Letter, LetterVersion

from . import selectors, services

router = Router(tags=["signing"])

UNIT_DOC = "A district, township or village in your scope: only what is in it or below it."
YEAR_DOC = "Only this year's ceremonies (and those not tied to a year)."

#: A ceremony's states (§三.4): scheduled → held (check-in, reading, vote, signing) → closed.
CeremonyState = states_enum("CeremonyState", ["scheduled", "held", "closed"])

CeremonyStep, CEREMONYSTEP_PATH = action_param(
    "CeremonyStep",
    {
        "hold": "the ceremony opens: check-in, reading, discussion, vote and signing follow "
        "(`scheduled` → `held`)",
        "close": "the ceremony ends; no more check-ins, votes or signatures (`held` → `closed`)",
    },
)


class CeremonyIn(Schema):
    village_id: int
    term_id: int
    year: int | None = None
    scheduled_at: datetime
    place: str


class CeremonyOut(Schema):
    id: int
    village_id: int
    term_id: int
    year: int | None
    scheduled_at: datetime
    place: str
    state: CeremonyState
    notes: str
    version: int


class SigningCheckinIn(Schema):
    person_id: int


class QrCheckinIn(Schema):
    name: str
    phone: str  # the full number as on the roster (issue #12: four digits were guessed)


class AttendanceOut(Schema):
    id: int
    person_id: int
    via: str


class VoteIn(Schema):
    letter_id: int
    for_: int
    against: int = 0
    abstain: int = 0


class VoteOut(Schema):
    id: int
    letter_version_id: int
    for_: int
    against: int
    abstain: int
    present: int
    passed: bool


class SignIn(Schema):
    role: str
    content_hash: str
    person_id: int | None = None
    consent_publication: bool = False


class SignatureOut(Schema):
    id: int
    party: str
    role: str
    signer_name: str
    at: datetime
    consent_publication: bool


class CopyOut(Schema):
    id: int
    number: int
    total: int
    custodian: str
    receipt_at: datetime | None


class SignedOut(Schema):
    id: int
    letter_id: int
    version_id: int
    verify_code: str
    content_hash: str
    signed_at: datetime | None
    published_at: datetime | None
    archived_at: datetime | None
    signatures: list[SignatureOut]
    copies: list[CopyOut]


class VerifyOut(Schema):
    village: str
    letter: str
    post: str
    version: int
    signed_at: datetime | None
    matches: bool
    in_force: bool
    superseded_at: datetime | None
    superseded_by_code: str | None
    signatures: list[SignatureOut]


class CustodyCopyOut(CopyOut):
    receipt_by_id: int | None
    can_receipt: bool


class CustodyOut(Schema):
    signed_letter_id: int
    letter_id: int
    village: str
    title: str
    holder: str
    version: int
    verify_code: str
    signed_at: datetime | None
    archived_at: datetime | None
    in_force: bool
    has_scan: bool
    keep_until: int  # the last year the originals are kept (§三.5, a district setting)
    copies: list[CustodyCopyOut]


class AmendIn(Schema):
    reasons: str
    version: int | None = None


class AmendOut(Schema):
    letter_id: int
    version_number: int
    state: str


def _ceremony(request, pk, perm="signing.view"):
    return selectors.get_ceremony(request.user, pk, perm)


@router.get("/signing/ceremonies", response=list[CeremonyOut])
@paginated
def ceremonies(
    request,
    year: int | None = Query(None, description=YEAR_DOC),
    unit_id: int | None = Query(None, description=UNIT_DOC),
    state: Annotated[
        CeremonyState | None, Query(description="Only ceremonies in this state.")
    ] = None,
):
    """Ceremonies in your units, by village (tree order), latest first, then id."""
    qs = selectors.ceremonies(request.user, year).order_by("village__path", "-scheduled_at", "pk")
    if (path := unit_path(unit_id, request.user, "signing.view")) is not None:
        qs = qs.filter(village__path__startswith=path)
    if state is not None:
        qs = qs.filter(state=state.value)
    return qs


@router.post("/signing/ceremonies", response={201: CeremonyOut})
def ceremony_create(request, payload: CeremonyIn):
    village = selectors.get_village(request.user, payload.village_id)
    term = get_object_or_404(Term, pk=payload.term_id)
    c = services.ceremony_schedule(
        actor=request.user,
        village=village,
        term=term,
        year=payload.year,
        scheduled_at=payload.scheduled_at,
        place=payload.place,
    )
    return Status(201, c)


@router.get("/signing/ceremonies/{pk}", response=CeremonyOut)
def ceremony_get(request, pk: int):
    return _ceremony(request, pk)


@router.post("/signing/ceremonies/{pk}/steps/{action}", response=CeremonyOut)
def ceremony_step(request, pk: int, action: CeremonyStep = CEREMONYSTEP_PATH):
    """Open (``hold``) or ``close`` a signing ceremony."""
    action = action.value
    c = _ceremony(request, pk)
    if action == "hold":
        return services.ceremony_hold(actor=request.user, ceremony=c)
    if action == "close":
        return services.ceremony_close(actor=request.user, ceremony=c)
    raise Http404


@router.post("/signing/ceremonies/{pk}/attendances", response={201: AttendanceOut})
def checkin(request, pk: int, payload: SigningCheckinIn):
    c = _ceremony(request, pk)
    person = get_object_or_404(Person, pk=payload.person_id, village=c.village)
    return Status(201, services.attendance_checkin(actor=request.user, ceremony=c, person=person))


@router.post("/signing/checkin/{code}", auth=None, response={201: AttendanceOut})
def checkin_qr(request, code: str, payload: QrCheckinIn):
    att = services.attendance_checkin_qr(
        checkin_code=code,
        name=payload.name,
        phone=payload.phone,
        client=client_address(request),
    )
    return Status(201, att)


@router.post("/signing/ceremonies/{pk}/votes", response={201: VoteOut})
def vote(request, pk: int, payload: VoteIn):
    c = _ceremony(request, pk)
    letter = get_object_or_404(Letter, pk=payload.letter_id, village=c.village)
    v = services.vote_record(
        actor=request.user,
        ceremony=c,
        letter=letter,
        for_=payload.for_,
        against=payload.against,
        abstain=payload.abstain,
    )
    return Status(201, v)


@router.post("/signing/versions/{version_id}/signatures", response={201: SignatureOut})
def sign(request, version_id: int, payload: SignIn):
    version = (
        LetterVersion.objects.filter(scope_q(request.user, "signing.view", "letter__village"))
        .select_related("letter__village")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise Http404
    person = None
    if payload.person_id:
        person = get_object_or_404(Person, pk=payload.person_id, village=version.letter.village)
    sig = services.sign(
        actor=request.user,
        version=version,
        role=payload.role,
        content_hash=payload.content_hash,
        person=person,
        consent_publication=payload.consent_publication,
    )
    return Status(201, sig)


@router.get("/signing/signed", response=list[SignedOut])
@paginated
def signed_list(
    request,
    year: int | None = Query(None, description="Only the signed letters of this year."),
    unit_id: int | None = Query(None, description=UNIT_DOC),
):
    """Signed letters in your units, in ascending id."""
    return _signed(request, year, unit_id)


def _signed(request, year, unit_id):
    qs = selectors.signed_letters(request.user).order_by("pk")
    if (path := unit_path(unit_id, request.user, "signing.view")) is not None:
        qs = qs.filter(letter__village__path__startswith=path)
    if year is not None:
        qs = qs.filter(letter__year=year)
    return qs


@router.get("/signing/signed/{pk}", response=SignedOut)
def signed_get(request, pk: int):
    return selectors.get_signed(request.user, pk)


@router.get("/signing/custody", response=list[CustodyOut])
@paginated
def custody(
    request,
    year: int | None = Query(None, description="Only the originals of this year's letters."),
    unit_id: int | None = Query(None, description=UNIT_DOC),
):
    """§三.5: the register of originals: copies, receipts, archive status, retention; in
    ascending id."""
    qs = _signed(request, year, unit_id).filter(signed_at__isnull=False)
    return Mapped(qs, lambda rows: _custody_page(request, rows))


def _custody_page(request, rows) -> list[dict]:
    out = []
    keep_until = selectors.keep_until(rows)
    for s in rows:
        out.append(
            {
                "signed_letter_id": s.pk,
                "letter_id": s.letter_id,
                "village": s.letter.village.name,
                "title": s.letter.title,
                "holder": s.letter.holder,
                "version": s.version.number,
                "verify_code": s.verify_code,
                "signed_at": s.signed_at,
                "archived_at": s.archived_at,
                "in_force": s.in_force,
                "has_scan": bool(s.scan),
                "keep_until": keep_until[s.pk],
                "copies": [
                    {
                        "id": c.pk,
                        "number": c.number,
                        "total": c.total,
                        "custodian": c.custodian,
                        "receipt_at": c.receipt_at,
                        "receipt_by_id": c.receipt_by_id,
                        "can_receipt": c.receipt_at is None
                        and services.may_receipt(request.user, c),
                    }
                    for c in s.copies.all()
                ],
            }
        )
    return out


@router.post("/signing/signed/{pk}/scan", response=SignedOut)
def scan(request, pk: int, file: File[UploadedFile], reason: Form[str] = ""):
    """§三.5: attach the scan of the signed paper original (PDF, JPEG or PNG); replacing a
    scan needs a ``reason`` and keeps the predecessor."""
    signed = selectors.get_signed(request.user, pk)
    services.scan_attach(actor=request.user, signed_letter=signed, upload=file, reason=reason)
    return selectors.get_signed(request.user, pk)


@router.post("/signing/letters/{letter_id}/amend", response={201: AmendOut})
def amend(request, letter_id: int, payload: AmendIn):
    """#4.7: change a signed letter: a new version through approval, vote and signing again."""
    letter = selectors.get_letter(request.user, letter_id)
    new = services.letter_amend(
        actor=request.user, letter=letter, reasons=payload.reasons, version=payload.version
    )
    return Status(201, {"letter_id": letter.pk, "version_number": new.number, "state": new.state})


@router.post("/signing/copies/{pk}/receipt", response=CopyOut)
def receipt(request, pk: int):
    copy = selectors.get_copy(request.user, pk)
    return services.custody_receipt(actor=request.user, copy=copy)


@router.get("/signing/verify/{code}", auth=None, response=VerifyOut)
def verify(request, code: str):
    data = selectors.verification(code)
    letter = data["letter"]
    return {
        "village": letter.village.name,
        "letter": letter.title,
        "post": letter.holder,
        "version": data["version"].number,
        "signed_at": data["signed"].signed_at,
        "matches": data["matches"],
        "in_force": data["in_force"],
        "superseded_at": data["signed"].superseded_at,
        "superseded_by_code": data["replaced_by"].verify_code if data["replaced_by"] else None,
        "signatures": data["signatures"],
    }
