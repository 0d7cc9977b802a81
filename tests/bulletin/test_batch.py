"""The township's batch of printed letters (seed §三.5: every original is printed and kept),
run synchronously in tests; progress page polled with htmx."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jiannuo.bulletin import services
from jiannuo.bulletin.models import PdfBatch
from jiannuo.pledges.models import Letter

from .conftest import make_letter, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(tree):
    """Two approved team letters in 石桥镇 (柳树村, 河口村) and a draft one elsewhere."""
    for v in (tree.a1, tree.a2):
        make_version(make_letter(v, tree.term, Letter.TEAM), 1)
    draft = make_letter(tree.b1, tree.term, Letter.TEAM, state="draft")
    make_version(draft, 1, state="draft")


def test_batch_renders_every_approved_letter(cast, tree, approved, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = services.pdf_batch_start(actor=cast.staff_a, township=tree.a, year=2026, run_async=False)
    assert job.state == PdfBatch.DONE, job.error
    assert (job.done, job.total, job.percent) == (2, 2, 100)
    with zipfile.ZipFile(io.BytesIO(job.file.read())) as zf:
        names = zf.namelist()
        assert len(names) == 2
        assert all(zf.read(n).startswith(b"%PDF") for n in names)
    assert any(n.startswith("柳树村/SQ01-2026-T-") for n in names)


def test_batch_refused_outside_scope(cast, tree):
    for name in ("secretary_b", "branch", "outsider"):
        with pytest.raises(PermissionDenied):
            services.pdf_batch_start(
                actor=getattr(cast, name), township=tree.a, year=2026, run_async=False
            )


def test_progress_page_polls_until_done(client, cast, tree, approved, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = PdfBatch.objects.create(township=tree.a, year=2026, requested_by=cast.staff_a, total=4)
    PdfBatch.objects.filter(pk=job.pk).update(state=PdfBatch.RUNNING, done=1)
    client.force_login(cast.staff_a)
    url = reverse("bulletin:batch", args=[job.pk])
    body = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in body and "1 / 4" in body
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and 'id="progress"' in partial
    client.force_login(cast.secretary_b)
    assert client.get(url).status_code == 404


def test_start_view_runs_and_downloads(client, cast, tree, approved, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.staff_a)
    assert client.get(reverse("bulletin:batch_start")).status_code == 200
    with pytest.MonkeyPatch.context() as mp:
        from jiannuo.signing import batch

        mp.setattr(batch, "start", lambda pk: batch.run_batch(pk))
        with_commit = client.post(
            reverse("bulletin:batch_start"), {"township": tree.a.pk, "year": "2026"}
        )
    assert with_commit.status_code == 302
    job = PdfBatch.objects.get()
    # on_commit callbacks do not run inside the test transaction: run it as the thread would.
    if job.state == PdfBatch.QUEUED:
        batch.run_batch(job.pk)
        job.refresh_from_db()
    assert job.state == PdfBatch.DONE
    body = client.get(reverse("bulletin:batch", args=[job.pk])).content.decode()
    assert "hx-trigger" not in body
    response = client.get(reverse("bulletin:batch_download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_signed_letter_prints_signatures_and_qr(cast, tree, settings, tmp_path):
    """§三.4: a signed letter's originals carry the signer names and the verification QR."""
    import subprocess

    from jiannuo.signing.models import Signature

    from .conftest import sign

    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = "https://jn.example"
    version = make_version(make_letter(tree.a1, tree.term, Letter.TEAM), 1)
    signed = sign(version)
    Signature.objects.create(
        signed_letter=signed,
        party="A",
        role="township_deputy_secretary",
        signer_name="周副书记",
        version_hash=version.content_hash,
    )
    job = services.pdf_batch_start(actor=cast.staff_a, township=tree.a, year=2026, run_async=False)
    assert job.state == PdfBatch.DONE, job.error
    with zipfile.ZipFile(io.BytesIO(job.file.read())) as zf:
        (path := tmp_path / "l.pdf").write_bytes(zf.read(zf.namelist()[0]))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    squeezed = "".join(text.stdout.decode().split())
    assert "周副书记" in squeezed
    path = reverse("signing:verify", kwargs={"code": signed.verify_code})
    assert f"https://jn.example{path}" in squeezed


def test_printed_links_are_never_without_a_host(cast, tree, settings, tmp_path):
    """Issue #18: without a public address the batch fails and says so, rather than print a
    QR code of a bare path that no phone can open."""
    from .conftest import sign

    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = ""
    sign(make_version(make_letter(tree.a1, tree.term, Letter.TEAM), 1))
    job = services.pdf_batch_start(actor=cast.staff_a, township=tree.a, year=2026, run_async=False)
    assert job.state == PdfBatch.FAILED
    assert "PUBLIC_BASE_URL" in job.error
