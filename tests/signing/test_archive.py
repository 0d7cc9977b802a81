"""Handing records to the archives (档案移交, issue #18): one zip per village and year or
township and term, with a manifest of SHA-256 hashes, the audit chain head at export time and a
stand-alone verify.py that checks it offline and names what was altered."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from jiannuo.core.models import AuditEntry, AuditHead
from jiannuo.core.system import system_user
from jiannuo.demo import load
from jiannuo.organisation.models import Term, Unit
from jiannuo.pledges.models import Letter
from jiannuo.signing import archive, services
from jiannuo.signing.models import SignedLetter
from tests.bulletin.conftest import make_letter, make_version, sign
from tests.helpers import DEMO_DAY
from tests.signing.test_records import pdfa_problems

pytestmark = pytest.mark.django_db
SCAN = b"%PDF-1.4\n% scan of the paper original\n%%EOF\n"


def _verify(target, tmp_path) -> subprocess.CompletedProcess:
    """Run the verify.py shipped inside the zip, as the archives would: a bare interpreter
    (-I: isolated, no site-packages, no project on the path) in another folder."""
    script = tmp_path / "verify.py"
    with zipfile.ZipFile(target if target.is_file() else io.BytesIO()) as zf:
        script.write_bytes(zf.read("verify.py"))
    return subprocess.run(
        [sys.executable, "-I", str(script), str(target)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info.filename, data)


def test_demo_village_year_transfer_holds_every_kept_record_and_verifies_offline(
    tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    load(today=DEMO_DAY)
    liushu = Unit.objects.get(code="SQ01")
    signed = SignedLetter.objects.filter(letter__village=liushu, signed_at__year=2026).first()
    services.scan_attach(
        actor=system_user(),
        signed_letter=signed,
        upload=SimpleUploadedFile("s.pdf", SCAN, content_type="application/pdf"),
    )
    head_before = AuditHead.objects.get(pk=1)
    staff = Client()
    from django.contrib.auth.models import User

    staff.force_login(User.objects.get(username="sq_staff"))
    page = staff.get(reverse("signing:archive"))
    assert page.status_code == 200 and "档案移交" in page.content.decode()
    r = staff.post(reverse("signing:archive"), {"unit": liushu.pk, "year": 2026})
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    path = tmp_path / "SQ01-2026.zip"
    path.write_bytes(r.content)

    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        kinds = {f["kind"] for f in manifest["files"]}
        assert {"originals", "scans", "meetings", "tallies"} <= kinds
        assert {"manifest.json", "verify.py", "README.txt"} <= names
        assert {f["path"] for f in manifest["files"]} == names - {
            "manifest.json",
            "verify.py",
            "README.txt",
        }
        # Every signed 2026 letter of 柳树村 is there as its original, and the scan as uploaded.
        expected = SignedLetter.objects.filter(
            letter__village=liushu, signed_at__isnull=False, letter__year=2026
        ).count()
        originals = [n for n in names if n.startswith("originals/") and n.endswith(".pdf")]
        assert len(originals) == expected
        assert [zf.read(n) for n in names if n.startswith("scans/")] == [SCAN]
        assert pdfa_problems(zf.read(originals[0]), tmp_path) == []
    # The audit head at export time, and the export audited with the manifest's hash.
    assert manifest["audit_head"] == {
        "last_id": head_before.last_id,
        "last_hash": head_before.last_hash,
    }
    entry = AuditEntry.objects.filter(action="archive.export").get()
    assert entry.changes["manifest_sha256"] == r["X-Manifest-SHA256"]
    assert entry.actor_label == "sq_staff"

    ok = _verify(path, tmp_path)
    assert ok.returncode == 0, ok.stdout
    assert f"OK: all {len(manifest['files'])} files match" in ok.stdout
    assert r["X-Manifest-SHA256"] in ok.stdout

    # One byte changed in an original, a scan removed, a file slipped in: each is named.
    bad = tmp_path / "bad.zip"
    scan_name = next(n for n in names if n.startswith("scans/"))

    def tamper(name, data):
        if name == originals[0]:
            return data[:-1] + bytes([data[-1] ^ 1])
        if name == scan_name:
            return None
        return data

    _rewrite(path, bad, tamper)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("originals/SQ01/extra.pdf", b"%PDF-1.4")
    out = _verify(bad, tmp_path)
    assert out.returncode == 1
    assert f"ALTERED: {originals[0]}" in out.stdout
    assert f"MISSING: {scan_name}" in out.stdout
    assert "ADDED: originals/SQ01/extra.pdf" in out.stdout

    # Unpacked into a folder, the script checks the folder it sits in.
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    done = subprocess.run(
        [sys.executable, "-I", str(folder / "verify.py")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout

    # A township's term: every village of 石桥镇, decisions included.
    term = Term.objects.get()
    export = archive.archive_export(
        actor=system_user(), unit=Unit.objects.get(code="SQ"), term=term
    )
    paths = [f["path"] for f in export.manifest["files"]]
    folders = {p.split("/")[1] for p in paths}
    assert {"SQ01", "SQ02"} <= folders and all(f.startswith("SQ") for f in folders)
    assert any(p.startswith("decisions/") for p in paths)


def test_who_may_hand_records_over(cast, tree, settings, tmp_path):
    """Township staff (and the township's secretaries, and the district) export; the branch
    secretary, the other township's secretary and an account with no role are refused."""
    settings.MEDIA_ROOT = tmp_path
    sign(make_version(make_letter(tree.a1, tree.term, Letter.TEAM), 1))
    for user in (cast.staff_a, cast.secretary_a, cast.deputy_a, cast.district):
        export = archive.archive_export(actor=user, unit=tree.a1, year=2026)
        assert [f["kind"] for f in export.manifest["files"]] == ["originals", "originals"]
    for user in (cast.branch, cast.secretary_b, cast.outsider, cast.member):
        with pytest.raises(PermissionDenied):
            archive.archive_export(actor=user, unit=tree.a1, year=2026)
    c = Client()
    c.force_login(cast.branch)
    assert c.get(reverse("signing:archive")).status_code == 403
    c.force_login(cast.secretary_b)
    r = c.post(reverse("signing:archive"), {"unit": tree.a1.pk, "year": 2026})
    assert r.status_code == 400  # 柳树村 is not among the units offered to 东湖街道
    with pytest.raises(archive.ArchiveError):
        archive.archive_export(actor=cast.staff_a, unit=tree.a1)  # a village needs a year
