"""The scan of a signed original (§三.5) is replaced only with a reason, keeps its
predecessors, and its SHA-256 is in the audit row; the signed letter's hash and its scans are
covered by ``jiannuo audit verify`` (issue #12)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.models import AuditEntry
from jiannuo.signing import services
from jiannuo.signing.models import Scan

from .test_services import sign_member_letter

FIRST = b"%PDF-1.4\nfirst scan\n%%EOF"
SECOND = b"%PDF-1.4\nsecond scan, legible\n%%EOF"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf(data, name="scan.pdf"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture
def signed(ceremony, letters, cast):
    return sign_member_letter(letters, cast, ceremony)


def test_first_scan_has_its_sha256_in_the_audit_row(signed, cast):
    services.scan_attach(actor=cast.branch, signed_letter=signed, upload=pdf(FIRST))
    entry = AuditEntry.objects.filter(action="signed_letter.scan").latest("id")
    assert entry.changes["sha256"] == hashlib.sha256(FIRST).hexdigest()
    assert Scan.objects.get(signed_letter=signed).sha256 == entry.changes["sha256"]


def test_replacement_needs_a_reason_and_keeps_the_predecessor(signed, cast):
    services.scan_attach(actor=cast.branch, signed_letter=signed, upload=pdf(FIRST))
    with pytest.raises(ServiceError) as e:
        services.scan_attach(actor=cast.branch, signed_letter=signed, upload=pdf(SECOND))
    assert e.value.code == "reason_required"
    row = services.scan_attach(
        actor=cast.branch, signed_letter=signed, upload=pdf(SECOND), reason="原扫描件模糊不清"
    )
    first, second = Scan.objects.filter(signed_letter=signed).order_by("id")
    assert second.replaces == first and second.reason == "原扫描件模糊不清"
    assert row.scan.name == second.file.name != first.file.name
    with first.file.open("rb") as f:
        assert f.read() == FIRST  # the predecessor's file is kept, not overwritten
    entry = AuditEntry.objects.filter(action="signed_letter.scan_replace").latest("id")
    assert entry.changes["sha256"] == hashlib.sha256(SECOND).hexdigest()
    assert entry.changes["replaces_sha256"] == hashlib.sha256(FIRST).hexdigest()
    assert entry.changes["reason"] == "原扫描件模糊不清"
    assert audit.verify().ok


def test_replacement_through_the_page_and_the_api_needs_a_reason(signed, cast):
    services.scan_attach(actor=cast.branch, signed_letter=signed, upload=pdf(FIRST))
    client = Client()
    client.force_login(cast.branch)
    url = f"/api/v1/signing/signed/{signed.pk}/scan"
    refused = client.post(url, {"file": pdf(SECOND)})
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    assert client.post(url, {"file": pdf(SECOND), "reason": "重新扫描"}).status_code == 200
    page = client.get("/signing/custody/").content.decode()
    assert "重新扫描" in page and 'name="reason"' in page


def test_a_deleted_predecessor_scan_is_named(signed, cast):
    services.scan_attach(actor=cast.branch, signed_letter=signed, upload=pdf(FIRST))
    services.scan_attach(actor=cast.branch, signed_letter=signed, upload=pdf(SECOND), reason="x")
    assert audit.verify().ok
    first = Scan.objects.filter(signed_letter=signed).order_by("id").first()
    with connection.cursor() as cur:
        cur.execute("UPDATE signing_scan SET replaces_id = NULL")
        cur.execute("DELETE FROM signing_scan WHERE id = %s", [first.pk])
    assert audit.verify().record == f"signing.signedletter #{signed.pk}"


def test_a_rewritten_signed_hash_is_named(signed):
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE signing_signedletter SET content_hash = %s WHERE id = %s", ["0" * 64, signed.pk]
        )
    assert audit.verify().record == f"signing.signedletter #{signed.pk}"
