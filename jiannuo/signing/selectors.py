"""Reads of the signing step (§三.4–5), scoped to the user's units."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse

from jiannuo.core.permissions import scope_q
from jiannuo.organisation.models import Unit
from jiannuo.pledges.models import Letter
from jiannuo.pledges.selectors import content_hash  # noqa: F401  (re-exported)

from .integrity import check_one
from .models import Ceremony, Custody, SignedLetter


def keep_until(signed_letters) -> dict[int, int]:
    """§三.5: the last year each signed original is kept — the year it was signed plus the
    retention its district set for that year (a policy setting, 30 by default). One query per
    district and year, not per letter."""
    from django.utils import timezone

    from jiannuo.organisation.policy import policy_for

    years: dict[tuple[int, int], int] = {}
    out = {}
    for s in signed_letters:
        village = s.letter.village
        year = timezone.localtime(s.signed_at).year
        key = (village.district_id, year)
        if key not in years:
            years[key] = policy_for(village, year).retention_years
        out[s.pk] = year + years[key]
    return out


def verification_url(signed_letter: SignedLetter) -> str:
    """The public verification page of a signed letter (absolute path, for the QR on paper)."""
    return reverse("signing:verify", kwargs={"code": signed_letter.verify_code})


def printed_verification_url(signed_letter: SignedLetter) -> str:
    """The verification page as printed on paper and in its QR code: always absolute."""
    from jiannuo.core.publicurl import absolute

    return absolute(verification_url(signed_letter))


def verification(code: str) -> dict:
    """What the public verification page shows; Http404 for an unknown code."""
    signed = (
        SignedLetter.objects.select_related(
            "letter__village__parent",
            "letter__post__person",
            "letter__term",
            "version",
            "superseded_by__version",
        )
        .prefetch_related("signatures")
        .filter(verify_code=code)
        .first()
    )
    if signed is None:
        raise Http404(code)
    version = signed.version
    signatures = list(signed.signatures.all())
    # The snapshot, the version, every signature and the rows every other page reads must all
    # still match the signed hash (signing.integrity): anything else is shown as tampering.
    integrity = check_one(signed, signatures=signatures)
    return {
        "signed": signed,
        "letter": signed.letter,
        "version": version,
        "signatures": signatures,
        "matches": integrity.ok,
        "integrity": integrity,
        # A later version replaced this one (§三.4 changes after signing): say so in words.
        "superseded": signed.superseded_at is not None,
        "in_force": signed.in_force,
        "replaced_by": signed.superseded_by,
    }


def get_village(user, village_id: int, perm="signing.view") -> Unit:
    village = (
        Unit.objects.filter(scope_q(user, perm, field=""), pk=village_id, kind=Unit.VILLAGE)
        .select_related("parent")
        .first()
    )
    if village is None:
        raise Http404
    return village


def ceremonies(user, year: int | None = None):
    qs = (
        Ceremony.objects.filter(scope_q(user, "signing.view"))
        .select_related("village", "term")
        .annotate(n_attend=Count("attendances", distinct=True))
        .order_by("village__path", "-scheduled_at")
    )
    if year:
        qs = qs.filter(Q(year=year) | Q(year__isnull=True))
    return qs


def get_ceremony(user, pk: int, perm="signing.view") -> Ceremony:
    c = (
        Ceremony.objects.filter(scope_q(user, perm), pk=pk)
        .select_related("village__parent", "term")
        .first()
    )
    if c is None:
        raise Http404
    return c


def get_letter(user, pk: int) -> Letter:
    """A pledge letter the user may see in the signing step (404 outside the scope)."""
    letter = (
        Letter.objects.filter(scope_q(user, "signing.view"), pk=pk)
        .select_related("village", "post__person", "term")
        .first()
    )
    if letter is None:
        raise Http404
    return letter


def signed_letters(user, village=None):
    qs = SignedLetter.objects.filter(scope_q(user, "signing.view", field="letter__village"))
    if village is not None:
        qs = qs.filter(letter__village=village)
    return qs.select_related("letter__village", "letter__post__person", "version").prefetch_related(
        "copies", "signatures", "scans"
    )


def get_signed(user, pk: int) -> SignedLetter:
    s = signed_letters(user).filter(pk=pk).first()
    if s is None:
        raise Http404
    return s


def get_copy(user, pk: int) -> Custody:
    c = (
        Custody.objects.filter(
            scope_q(user, "signing.view", field="signed_letter__letter__village"), pk=pk
        )
        .select_related("signed_letter__letter__post__person", "signed_letter__letter__village")
        .first()
    )
    if c is None:
        raise Http404
    return c
