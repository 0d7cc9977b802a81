"""Pages of the signing step (§三.4–5). They read through selectors and write only through
services; a ServiceError is shown on the page and nothing is saved. The verification and the
QR check-in pages are public (no log-in)."""

from __future__ import annotations

import io
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiannuo.core import ids
from jiannuo.core.clients import client_address
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import has_perm, scope_paths, scope_q
from jiannuo.organisation.models import Person, Unit
from jiannuo.pledges.models import Letter, LetterVersion

from . import rules, selectors, services
from .models import ROLE_LABELS, LetterVote, SignedLetter


def _error(request, exc: ServiceError) -> None:
    messages.error(request, exc.message)


def qr_svg(data: str) -> str:
    """An inline SVG QR code (qrcode.image.svg.SvgPathImage)."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    text = buf.getvalue().decode()
    return text[text.find("<svg") :]


@login_required
def index(request):
    """§三.4: ceremonies per village and year; villages with approved letters to schedule."""
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() else timezone.localdate().year
    ceremonies = list(selectors.ceremonies(request.user, year))
    villages = list(
        Unit.objects.filter(scope_q(request.user, "signing.run", field=""), kind=Unit.VILLAGE)
        .filter(pledge_letters__state="approved", pledge_letters__year=year)
        .distinct()
        .order_by("path")
    )
    return render(
        request,
        "signing/index.html",
        {
            "ceremonies": ceremonies,
            "villages": villages,
            "year": year,
            "years": [year - 1, year, year + 1],
            "can_print": bool(scope_paths(request.user, "bulletin.batch_pdf")),
        },
    )


@login_required
def ceremony_new(request, village_id):
    village = selectors.get_village(request.user, village_id, "signing.run")
    year = request.GET.get("year") or request.POST.get("year") or ""
    year = int(year) if str(year).isdigit() else None
    letter = (
        Letter.objects.filter(village=village, state="approved", year=year)
        .select_related("term")
        .first()
    )
    if request.method == "POST":
        try:
            when = datetime.fromisoformat(request.POST.get("scheduled_at", ""))
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        except ValueError:
            when = None
        try:
            if letter is None:
                raise ServiceError(
                    _("This village has no letters approved by the township to sign.")
                )
            c = services.ceremony_schedule(
                actor=request.user,
                village=village,
                term=letter.term,
                year=year,
                scheduled_at=when,
                place=request.POST.get("place", ""),
            )
        except ServiceError as exc:
            _error(request, exc)
        else:
            return redirect("signing:ceremony", c.pk)
    return render(request, "signing/ceremony_new.html", {"village": village, "year": year})


def _ceremony_context(request, ceremony):
    letters = list(
        Letter.objects.filter(
            village=ceremony.village, term=ceremony.term, year=ceremony.year
        ).select_related("post__person")
    )
    votes = {}
    for v in LetterVote.objects.filter(ceremony=ceremony).select_related("letter_version"):
        votes.setdefault(v.letter_version.letter_id, []).append(v)
    for letter in letters:
        letter.ceremony_votes = votes.get(letter.pk, [])
    attendances = list(ceremony.attendances.select_related("person"))
    present = {a.person_id for a in attendances}
    invitees = list(
        services.invitees(
            ceremony.village, timezone.localdate(ceremony.scheduled_at)
        ).prefetch_related("posts")
    )
    for p in invitees:
        p.present = p.pk in present
        p.kinds = sorted(
            {
                post.get_kind_display()
                for post in p.posts.all()
                if post.kind in ("party_member", "villager_representative")
            }
        )
    checkin_url = request.build_absolute_uri(
        reverse("signing:checkin", args=[ceremony.checkin_code])
    )
    return {
        "ceremony": ceremony,
        "letters": letters,
        "attendances": attendances,
        "invitees": invitees,
        "checkin_url": checkin_url,
        "qr": qr_svg(checkin_url),
        "can_run": has_perm(request.user, "signing.run", ceremony.village),
    }


@login_required
def ceremony_page(request, pk):
    """§三.4: the ceremony: invitation list and sign-in sheet (printable), QR check-in, votes."""
    ceremony = selectors.get_ceremony(request.user, pk)
    return render(request, "signing/ceremony.html", _ceremony_context(request, ceremony))


@login_required
@require_POST
def ceremony_act(request, pk, action):
    ceremony = selectors.get_ceremony(request.user, pk)
    try:
        if action == "hold":
            services.ceremony_hold(actor=request.user, ceremony=ceremony)
        elif action == "close":
            services.ceremony_close(actor=request.user, ceremony=ceremony)
        elif action == "notes":
            services.ceremony_notes(
                actor=request.user,
                ceremony=ceremony,
                notes=request.POST.get("notes", ""),
                version=request.POST.get("version") or 0,
            )
        elif action == "checkin":
            person = Person.objects.filter(
                pk=ids.pk(request.POST.get("person")), village=ceremony.village
            ).first()
            if person is None:
                raise ServiceError(_("Choose a person."))
            services.attendance_checkin(actor=request.user, ceremony=ceremony, person=person)
        elif action == "vote":
            letter = Letter.objects.filter(
                pk=ids.pk(request.POST.get("letter")), village=ceremony.village
            ).first()
            if letter is None:
                raise Http404
            services.vote_record(
                actor=request.user,
                ceremony=ceremony,
                letter=letter,
                for_=request.POST.get("for_") or 0,
                against=request.POST.get("against") or 0,
                abstain=request.POST.get("abstain") or 0,
            )
        else:
            raise Http404
        messages.success(request, _("Saved."))
    except ServiceError as exc:
        _error(request, exc)
    except PermissionDenied:
        raise
    return redirect("signing:ceremony", ceremony.pk)


def checkin(request, code):
    """§三.4: public QR check-in — name and full phone number, throttled (services)."""
    ceremony = (
        selectors.Ceremony.objects.select_related("village").filter(checkin_code=code).first()
    )
    if ceremony is None:
        return render(request, "signing/unknown.html", {"what": "checkin"}, status=404)
    done, status = None, 200
    if request.method == "POST":
        try:
            done = services.attendance_checkin_qr(
                checkin_code=code,
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                client=client_address(request),
            )
        except ServiceError as exc:
            _error(request, exc)
            status = exc.status
    return render(
        request, "signing/checkin.html", {"ceremony": ceremony, "done": done}, status=status
    )


@login_required
def letter_sign(request, letter_id):
    """§三.4: the signature page of one letter: who must sign, who has, and the signing form."""
    letter = selectors.get_letter(request.user, letter_id)
    version = LetterVersion.objects.get(letter=letter, number=letter.current_number)
    signed = SignedLetter.objects.filter(version=version).first()
    if request.method == "POST":
        person = None
        if request.POST.get("person"):
            person = Person.objects.filter(
                pk=ids.pk(request.POST["person"]), village=letter.village
            ).first()
        try:
            services.sign(
                actor=request.user,
                version=version,
                role=request.POST.get("role", ""),
                content_hash=request.POST.get("content_hash", ""),
                person=person,
                consent_publication=bool(request.POST.get("consent")),
            )
            messages.success(request, _("Signed."))
        except ServiceError as exc:
            _error(request, exc)
        return redirect("signing:letter", letter.pk)
    try:
        required = services.required_for(letter)
    except ServiceError as exc:
        required = ()
        _error(request, exc)
    given = list(signed.signatures.all()) if signed else []
    missing = rules.missing_signatures(required, services._given(signed)) if required else []
    vote = LetterVote.objects.filter(letter_version=version, passed=True).first()
    attendees = []
    if vote:
        attendees = [a.person for a in vote.ceremony.attendances.select_related("person")]
    roles = sorted({r for req in required for r in req.roles})
    in_force = services.signed_in_force(letter)
    return render(
        request,
        "signing/letter.html",
        {
            "letter": letter,
            "version": version,
            "signed": signed,
            "given": given,
            "missing": [ROLE_LABELS.get(m.role, m.role) for m in missing],
            "vote": vote,
            "attendees": attendees,
            "roles": [(r, ROLE_LABELS.get(r, r)) for r in roles],
            "verify_url": selectors.verification_url(signed) if signed else "",
            "in_force": in_force,
            "can_amend": bool(in_force and in_force.version_id == version.pk)
            and has_perm(request.user, "signing.amend", letter.village),
        },
    )


@login_required
@require_POST
def letter_amend(request, letter_id):
    """#4.7: start a change of a signed letter — a new version through approval, vote and
    signing again; the signed version stays in force meanwhile."""
    letter = selectors.get_letter(request.user, letter_id)
    try:
        services.letter_amend(
            actor=request.user,
            letter=letter,
            reasons=request.POST.get("reasons", ""),
            version=request.POST.get("version") or None,
        )
    except ServiceError as exc:
        _error(request, exc)
        return redirect("signing:letter", letter.pk)
    messages.success(
        request,
        _("A new version is open: change it, then it goes through approval, vote and signing."),
    )
    return redirect("pledges:letter", letter.pk)


@login_required
def custody(request):
    """§三.5: the custody register: originals, receipts, archive status, retention."""
    rows = list(selectors.signed_letters(request.user).filter(signed_at__isnull=False))
    keep_until = selectors.keep_until(rows)
    for s in rows:
        for c in s.copies.all():
            c.can_receipt = c.receipt_at is None and services.may_receipt(request.user, c)
        s.can_scan = has_perm(request.user, "signing.run", s.letter.village)
        s.keep_until = keep_until[s.pk]
    can_archive = bool(scope_paths(request.user, "archive.export"))
    return render(request, "signing/custody.html", {"rows": rows, "can_archive": can_archive})


@login_required
def archive(request):
    """档案移交 (issue #18): a village's year or a township's term as one zip, with a manifest of
    hashes and an offline verification script, for township staff."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from jiannuo.organisation.models import Term

    from . import archive as transfer

    units = list(
        Unit.objects.filter(scope_q(request.user, "archive.export", field=""))
        .filter(kind__in=[Unit.TOWNSHIP, Unit.VILLAGE])
        .order_by("path")
    )
    if not units:
        raise PermissionDenied
    terms = list(Term.objects.filter(district_id=units[0].district_id).order_by("-start"))
    years = sorted({y for t in terms for y in t.years}, reverse=True)
    error = ""
    if request.method == "POST":
        unit = next((u for u in units if u.pk == ids.pk(request.POST.get("unit"))), None)
        term = next((t for t in terms if t.pk == ids.pk(request.POST.get("term"))), None)
        year = ids.pk(request.POST.get("year"))
        if unit is None:
            error = _("Choose a village or township.")
        elif unit.kind == Unit.VILLAGE and year not in years:
            error = _("Choose the year of the village's records.")
        elif unit.kind == Unit.TOWNSHIP and term is None:
            error = _("Choose the term of the township's records.")
        else:
            export = transfer.archive_export(
                actor=request.user,
                unit=unit,
                year=year if unit.kind == Unit.VILLAGE else None,
                term=term if unit.kind == Unit.TOWNSHIP else None,
            )
            response = HttpResponse(export.data, content_type="application/zip")
            response["Content-Disposition"] = content_disposition_header(True, export.name)
            response["X-Manifest-SHA256"] = export.manifest_sha256
            return response
    return render(
        request,
        "signing/archive.html",
        {"units": units, "terms": terms, "years": years, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_POST
def receipt(request, pk):
    copy = selectors.get_copy(request.user, pk)
    try:
        services.custody_receipt(actor=request.user, copy=copy)
        messages.success(request, _("Receipt recorded."))
    except ServiceError as exc:
        _error(request, exc)
    return redirect("signing:custody")


@login_required
@require_POST
def scan(request, pk):
    signed = selectors.get_signed(request.user, pk)
    upload = request.FILES.get("scan")
    try:
        if upload is None:
            raise ServiceError(_("Choose a file."))
        services.scan_attach(
            actor=request.user,
            signed_letter=signed,
            upload=upload,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("Scan attached."))
    except ServiceError as exc:
        _error(request, exc)
    return redirect("signing:custody")


def verify(request, code):
    """Public: does this printed letter match the signed version? (§三.4–5)"""
    try:
        data = selectors.verification(code)
    except Http404:
        return render(request, "signing/unknown.html", {"what": "verify"}, status=404)
    return render(request, "signing/verify.html", data)
