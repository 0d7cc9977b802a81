"""Service tests of the signing step: the ceremony, check-in and vote (§三.4), signatures bound
to the approved version (§三.4) and the custody of the originals (§三.5)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from jiannuo.core.errors import ServiceError
from jiannuo.core.models import Transition
from jiannuo.pledges.models import Letter, LetterVersion
from jiannuo.signing import rules, selectors, services
from jiannuo.signing.models import Custody, SignedLetter

from .conftest import WHEN, YEAR, current, make_letter, pass_vote


def sign_member_letter(letters, cast, ceremony, consent=True):
    pass_vote(ceremony, letters.member, cast.branch)
    v = current(letters.member)
    services.sign(
        actor=cast.branch,
        version=v,
        role=rules.PARTY_MEMBER_REP,
        person=letters.party,
        content_hash=v.content_hash,
    )
    services.sign(actor=cast.voter, version=v, role=rules.VILLAGER_REP, content_hash=v.content_hash)
    services.sign(
        actor=cast.member,
        version=v,
        role=rules.MEMBER,
        content_hash=v.content_hash,
        consent_publication=consent,
    )
    return SignedLetter.objects.get(version=v)


def test_schedule_needs_approved_letters(cast, tree):
    """§三.4: a ceremony is scheduled only for a village with approved letters."""
    make_letter(tree, "team", state="submitted")
    with pytest.raises(ServiceError) as e:
        services.ceremony_schedule(
            actor=cast.branch,
            village=tree.a1,
            term=tree.term,
            year=YEAR,
            scheduled_at=WHEN,
            place="村委会",
        )
    assert e.value.code == "no_approved_letters"


def test_schedule_refused_to_other_village(letters, cast, tree):
    with pytest.raises(PermissionDenied):
        services.ceremony_schedule(
            actor=cast.branch_a2,
            village=tree.a1,
            term=tree.term,
            year=YEAR,
            scheduled_at=WHEN,
            place="村委会",
        )


def test_ceremony_transitions_recorded(ceremony, cast):
    """§三.4: scheduled → held → closed, each with a Transition row."""
    services.ceremony_close(actor=cast.branch, ceremony=ceremony)
    steps = list(
        Transition.objects.filter(
            object_type="signing.ceremony", object_id=str(ceremony.pk)
        ).values_list("action", "to_state")
    )
    assert steps == [("schedule", "scheduled"), ("hold", "held"), ("close", "closed")]


def test_duplicate_checkin_refused(ceremony, letters, cast):
    """§三.4: one attendance per person; a second check-in is refused clearly."""
    with pytest.raises(ServiceError) as e:
        services.attendance_checkin(actor=cast.branch, ceremony=ceremony, person=letters.party)
    assert e.value.code == "duplicate"
    assert "周小红" in str(e.value.message)
    assert ceremony.attendances.count() == 3


def test_qr_checkin_by_name_and_phone(ceremony, cast):
    """§三.4: QR check-in by name and the full phone number; duplicates refused."""
    person = cast.branch_person  # a party member too
    with pytest.raises(ServiceError) as e:
        services.attendance_checkin_qr(
            checkin_code=ceremony.checkin_code, name=person.name, phone="13000000000"
        )
    assert e.value.code == "no_match"
    att = services.attendance_checkin_qr(
        checkin_code=ceremony.checkin_code, name=person.name, phone=person.phone
    )
    assert att.via == "qr" and att.person == person
    with pytest.raises(ServiceError) as e:
        services.attendance_checkin_qr(
            checkin_code=ceremony.checkin_code, name=person.name, phone=person.phone
        )
    assert e.value.code == "duplicate"


def test_checkin_refuses_non_invitee(ceremony, cast):
    with pytest.raises(ServiceError) as e:
        services.attendance_checkin(actor=cast.branch, ceremony=ceremony, person=cast.member_person)
    assert e.value.code == "not_invited"


def test_vote_more_than_attendees_refused(ceremony, letters, cast):
    """§三.4: more votes than attendees is impossible; nothing is saved."""
    with pytest.raises(ServiceError) as e:
        services.vote_record(
            actor=cast.branch,
            ceremony=ceremony,
            letter=letters.member,
            for_=3,
            against=1,
            abstain=0,
        )
    assert e.value.code == "signing.vote_exceeds_present"
    assert not current(letters.member).ceremony_votes.exists()


def test_vote_passes_more_than_half_present(ceremony, letters, cast):
    vote = services.vote_record(
        actor=cast.branch, ceremony=ceremony, letter=letters.member, for_=2, against=1, abstain=0
    )
    assert vote.passed and vote.present == 3 and vote.for_ == 2


def test_failed_vote_sends_letter_back(ceremony, letters, cast):
    """§三.4: a letter not passed goes back: a new returned version, via the joint meeting."""
    vote = services.vote_record(
        actor=cast.branch, ceremony=ceremony, letter=letters.member, for_=1, against=2, abstain=0
    )
    assert not vote.passed
    letter = Letter.objects.get(pk=letters.member.pk)
    assert letter.state == "returned" and letter.current_number == 2
    assert LetterVersion.objects.get(letter=letter, number=1).state == "approved"
    assert Transition.objects.filter(action="ceremony_vote_failed").exists()


def test_member_letter_signed_and_archived(ceremony, letters, cast):
    """§三.4–5: representatives and the cadre sign; three originals; receipts archive it."""
    signed = sign_member_letter(letters, cast, ceremony)
    assert signed.signed_at is not None and signed.published_at is not None
    assert signed.content_hash == current(letters.member).content_hash
    copies = list(signed.copies.all())
    assert [(c.number, c.total, c.custodian) for c in copies] == [
        (1, 3, "township"),
        (2, 3, "branch"),
        (3, 3, "cadre"),
    ]
    with pytest.raises(PermissionDenied):
        services.custody_receipt(actor=cast.branch, copy=copies[0])
    services.custody_receipt(actor=cast.staff_a, copy=copies[0])
    services.custody_receipt(actor=cast.branch, copy=copies[1])
    signed.refresh_from_db()
    assert signed.archived_at is None
    with pytest.raises(PermissionDenied):
        services.custody_receipt(actor=cast.director, copy=copies[2])
    services.custody_receipt(actor=cast.member, copy=copies[2])
    signed.refresh_from_db()
    assert signed.archived_at is not None
    with pytest.raises(ServiceError):
        services.custody_receipt(actor=cast.member, copy=copies[2])


def test_no_consent_no_publication(ceremony, letters, cast):
    signed = sign_member_letter(letters, cast, ceremony, consent=False)
    assert signed.signed_at is not None and signed.published_at is None


def test_wrong_signer_refused(ceremony, letters, cast):
    """§三.4: only the letter's cadre signs for Party B (may_sign)."""
    pass_vote(ceremony, letters.member, cast.branch)
    v = current(letters.member)
    with pytest.raises(ServiceError) as e:
        services.sign(
            actor=cast.director, version=v, role=rules.MEMBER, content_hash=v.content_hash
        )
    assert e.value.code == "signing.wrong_person"
    with pytest.raises(ServiceError) as e:
        services.sign(
            actor=cast.member, version=v, role=rules.VILLAGER_REP, content_hash=v.content_hash
        )
    assert not SignedLetter.objects.exists()
    with pytest.raises(PermissionDenied):
        services.sign(
            actor=cast.outsider, version=v, role=rules.MEMBER, content_hash=v.content_hash
        )


def test_team_letter_party_a_is_township_deputy(ceremony, letters, cast):
    """§三.4: the team letter's Party A is the township deputy secretary, not other staff."""
    pass_vote(ceremony, letters.team, cast.branch)
    v = current(letters.team)
    with pytest.raises(PermissionDenied):
        services.sign(
            actor=cast.staff_a,
            version=v,
            role=rules.TOWNSHIP_DEPUTY_SECRETARY,
            content_hash=v.content_hash,
        )
    services.sign(
        actor=cast.deputy_a,
        version=v,
        role=rules.TOWNSHIP_DEPUTY_SECRETARY,
        content_hash=v.content_hash,
    )
    services.sign(
        actor=cast.branch,
        version=v,
        role=rules.BRANCH_SECRETARY,
        content_hash=v.content_hash,
        consent_publication=True,
    )
    services.sign(
        actor=cast.director,
        version=v,
        role=rules.COMMITTEE_DIRECTOR,
        content_hash=v.content_hash,
        consent_publication=True,
    )
    signed = SignedLetter.objects.get(version=v)
    assert signed.signed_at and signed.copies.count() == 2


def test_signing_before_approval_refused(ceremony, letters, cast, tree):
    """§三.4: only an approved letter is signed."""
    letter = Letter.objects.get(pk=letters.member.pk)
    Letter.objects.filter(pk=letter.pk).update(state="submitted")
    LetterVersion.objects.filter(letter=letter).update(state="submitted")
    v = current(letter)
    with pytest.raises(ServiceError) as e:
        services.sign(actor=cast.member, version=v, role=rules.MEMBER, content_hash=v.content_hash)
    assert e.value.code == "not_approved"


def test_signing_without_vote_refused(ceremony, letters, cast):
    v = current(letters.member)
    with pytest.raises(ServiceError) as e:
        services.sign(actor=cast.member, version=v, role=rules.MEMBER, content_hash=v.content_hash)
    assert e.value.code == "not_voted"


def test_signing_other_version_refused(ceremony, letters, cast):
    """§三.4: the signature binds the approved version's hash; other content is refused."""
    pass_vote(ceremony, letters.member, cast.branch)
    v = current(letters.member)
    with pytest.raises(ServiceError) as e:
        services.sign(actor=cast.member, version=v, role=rules.MEMBER, content_hash="0" * 64)
    assert e.value.code == "hash_mismatch"
    old = LetterVersion.objects.create(
        letter=letters.member, number=0, state="approved", snapshot={}, content_hash="x"
    )
    with pytest.raises(ServiceError) as e:
        services.sign(actor=cast.member, version=old, role=rules.MEMBER, content_hash="x")
    assert e.value.code == "other_version"


def test_tampered_snapshot_refused_and_verification_warns(ceremony, letters, cast):
    """§三.4–5: altering a signed version's stored snapshot makes verification say so."""
    signed = sign_member_letter(letters, cast, ceremony)
    assert selectors.verification(signed.verify_code)["matches"] is True
    v = current(letters.member)
    LetterVersion.objects.filter(pk=v.pk).update(
        snapshot={"items": [{"code": "1", "text": "改过的内容"}], "clauses": []}
    )
    assert selectors.verification(signed.verify_code)["matches"] is False


def test_unknown_verify_code_404(db):
    with pytest.raises(Http404):
        selectors.verification("no-such-code")


def test_scan_attach_sniffs_type(ceremony, letters, cast, settings):
    """§三.5: the scanned original is a PDF, JPEG or PNG by its content, within a size limit."""
    signed = sign_member_letter(letters, cast, ceremony)
    bad = SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ServiceError) as e:
        services.scan_attach(actor=cast.branch, signed_letter=signed, upload=bad)
    assert e.value.code == "file_type"
    good = SimpleUploadedFile("x.bin", b"%PDF-1.4\n%%EOF", content_type="text/plain")
    row = services.scan_attach(actor=cast.branch, signed_letter=signed, upload=good)
    assert row.scan_type == "application/pdf" and row.scan.name.endswith(".pdf")
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10, content_type="image/png")
    settings.UPLOAD_MAX_BYTES = 4096  # the operator's limit (env UPLOAD_MAX_BYTES)
    big.size = 4097
    with pytest.raises(ServiceError) as e:
        services.scan_attach(actor=cast.branch, signed_letter=signed, upload=big)
    assert e.value.code == "too_large"
    assert Custody.objects.filter(signed_letter=signed).count() == 3
