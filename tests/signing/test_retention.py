"""Kept records cannot be deleted before their time (issue #18; DOMAIN.md 30 years; §三.5):
each way of deleting a signed original, its signatures and custody, a ceremony's record, or
the scan of the paper original is refused and deletes nothing; a record past its retention
can go."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from jiannuo.core.errors import ServiceError
from jiannuo.pledges.models import Letter, LetterVersion
from jiannuo.signing import services
from jiannuo.signing.models import (
    Attendance,
    Ceremony,
    Custody,
    LetterVote,
    Signature,
    SignedLetter,
)
from jiannuo.signing.retention import KeptRecordError
from tests.bulletin.conftest import make_letter, make_version, sign
from tests.signing.conftest import ceremony, letters, pass_vote  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
SCAN = b"%PDF-1.4\n% scan\n%%EOF\n"


@pytest.fixture
def signed(tree):
    s = sign(make_version(make_letter(tree.a1, tree.term, Letter.TEAM), 1))
    Signature.objects.create(
        signed_letter=s, party="A", role="township_deputy_secretary", signer_name="周副书记",
        version_hash="x",
    )  # fmt: skip
    Custody.objects.create(signed_letter=s, number=1, total=2, custodian="township")
    return s


def refused(delete):
    """``delete()`` raises KeptRecordError and its transaction leaves every row in place."""
    before = {m: m.objects.count() for m in (SignedLetter, Signature, Custody, Ceremony)}
    with pytest.raises(KeptRecordError, match="2056"):
        with transaction.atomic():
            delete()
    assert before == {m: m.objects.count() for m in before}


def test_a_signed_original_cannot_be_deleted(signed):
    refused(lambda: signed.delete())
    refused(lambda: SignedLetter.objects.filter(pk=signed.pk).delete())


def test_its_signatures_and_custody_cannot_be_deleted_directly(signed):
    refused(lambda: Signature.objects.filter(signed_letter=signed).delete())
    refused(lambda: signed.signatures.get().delete())
    refused(lambda: Custody.objects.all().delete())


def test_the_letter_version_behind_it_cannot_take_it_along(signed):
    """Deleting the signed version or its letter would cascade: PROTECT or the guard stops it."""
    from django.db.models import ProtectedError

    with pytest.raises((ProtectedError, KeptRecordError)):
        with transaction.atomic():
            LetterVersion.objects.filter(pk=signed.version_id).delete()
    with pytest.raises((ProtectedError, KeptRecordError)):
        with transaction.atomic():
            Letter.objects.filter(pk=signed.letter_id).delete()
    assert SignedLetter.objects.filter(pk=signed.pk).exists()


def test_a_ceremony_record_cannot_be_deleted(ceremony, letters, cast):  # noqa: F811
    pass_vote(ceremony, letters.team, cast.branch)
    assert Attendance.objects.count() == 3 and LetterVote.objects.count() == 1
    refused(lambda: Ceremony.objects.filter(pk=ceremony.pk).delete())
    refused(lambda: Attendance.objects.all().delete())
    refused(lambda: LetterVote.objects.all().delete())
    assert Attendance.objects.count() == 3 and LetterVote.objects.count() == 1


def test_a_kept_scan_is_replaced_only_with_a_reason_and_no_file_is_deleted(
    signed, cast, settings, tmp_path
):
    """A replacement needs a reason and keeps its predecessor (issue #12); no scan's file is
    deleted before its time (issue #18)."""
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("s.pdf", SCAN, content_type="application/pdf")
    services.scan_attach(actor=cast.branch, signed_letter=signed, upload=upload)
    signed.refresh_from_db()
    path = tmp_path / signed.scan.name
    assert path.read_bytes() == SCAN
    other = SimpleUploadedFile("t.pdf", SCAN + b"2", content_type="application/pdf")
    with pytest.raises(ServiceError) as err:
        services.scan_attach(actor=cast.branch, signed_letter=signed, upload=other)
    assert err.value.code == "reason_required"
    other.seek(0)
    services.scan_attach(
        actor=cast.branch, signed_letter=signed, upload=other, reason="第一份扫描件缺页"
    )
    signed.refresh_from_db()
    assert signed.scan.name != path.relative_to(tmp_path).as_posix()
    assert path.read_bytes() == SCAN  # the predecessor's file is kept
    with pytest.raises(KeptRecordError):
        signed.scan.delete()
    with pytest.raises(KeptRecordError):
        signed.scan.storage.delete(path.relative_to(tmp_path).as_posix())
    assert path.read_bytes() == SCAN and (tmp_path / signed.scan.name).exists()


def test_a_record_past_its_retention_can_be_deleted(tree):
    """Signed in 1990 and kept 30 years (to the end of 2020): the rule lets it go now."""
    old = sign(make_version(make_letter(tree.a1, tree.term, Letter.TEAM, year=1990), 1))
    SignedLetter.objects.filter(pk=old.pk).update(
        signed_at=timezone.make_aware(datetime(1990, 3, 1))
    )
    Custody.objects.create(signed_letter=old, number=1, total=2, custodian="township")
    SignedLetter.objects.get(pk=old.pk).delete()
    assert not SignedLetter.objects.filter(pk=old.pk).exists()
    assert not Custody.objects.exists()
