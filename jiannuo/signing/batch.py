"""Batch generation of a township's printed letters (seed §三.5: every original is printed and
kept), in the background with progress.

``run_batch(batch_id)`` renders every approved letter of the township (and year) with
``pdf.render_originals`` — signed letters with their signatures and verification QR code —
and writes one zip to MEDIA_ROOT, updating ``PdfBatch.done`` after each letter so the progress
page can poll it. ``start(batch_id)`` runs it in a daemon thread.

A production deployment may hand ``run_batch`` to a task queue (django-tasks, Celery, RQ)
instead of a thread: a thread dies with its worker process, and a worker restart leaves the
batch "running"; the function itself is idempotent and may simply be run again. WeasyPrint's
layout is pure Python and holds the GIL, so a queue with one task per village (and a worker
per core) is also how a district-wide print run would use more than one core; within one
batch, the layout already runs in a pool of worker processes (``pdfwrite.write_many``).
"""

from __future__ import annotations

import io
import logging
import threading
import zipfile

from django.core.files.base import ContentFile
from django.db import close_old_connections, connection
from django.db.models import F
from django.utils import timezone

# Models and the renderer are imported inside the functions, so a task-queue worker can import
# this module before Django is set up.

log = logging.getLogger(__name__)


def batch_versions(township, year):
    """The current versions of the township's approved letters for ``year``, in print order."""
    from jiannuo.pledges import rules as pledge_rules
    from jiannuo.pledges.models import Letter, LetterVersion

    letters = Letter.objects.filter(
        village__path__startswith=township.path, state=pledge_rules.APPROVED
    )
    if year is not None:
        letters = letters.filter(year=year)
    return list(
        LetterVersion.objects.filter(letter__in=letters, number=F("letter__current_number"))
        .select_related("letter__village")
        .order_by("letter__village__path", "letter__kind", "letter_id")
    )


def _signed(version):
    """(verification URL, signatures) when the version was signed, else (None, ())."""
    signed = getattr(version, "signed", None) if _has_signed(version) else None
    if signed is None:
        return None, ()
    from jiannuo.signing.selectors import printed_verification_url

    # Paper needs the site's public address in front (PUBLIC_BASE_URL); without one the batch
    # fails rather than print a link that opens nothing.
    return printed_verification_url(signed), list(signed.signatures.all())


def _has_signed(version) -> bool:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        version.signed  # noqa: B018
    except ObjectDoesNotExist:
        return False
    return True


def _filename(version) -> str:
    from . import pdf

    letter = version.letter
    return f"{letter.village.name}/{pdf.letter_number(version)}.pdf"


def _rendered(versions, processes=None):
    """(name, PDF bytes) per version, in order.

    The HTML of every letter is rendered here (database, templates); laying it out into PDF
    runs in ``pdfwrite.write_many``'s worker processes, which need neither Django nor the
    database. A large batch first makes sure the compact fonts exist (``pdfwrite``).
    """
    from . import pdf, pdfwrite

    if len(versions) >= pdfwrite.POOL_MIN_LETTERS and not pdfwrite.fonts_ready():
        try:
            pdfwrite.build_fonts()
            pdfwrite.reset()
        except Exception:  # the system fonts still print every letter
            log.exception("Could not build the compact letter fonts")
    names, htmls = [], []
    for version in versions:
        url, signatures = _signed(version)
        names.append(_filename(version))
        htmls.append(pdf.originals_html(version, verify_url=url, signatures=signatures))
    yield from zip(names, pdfwrite.write_many(htmls, processes=processes), strict=True)


def run_batch(batch_id: int) -> None:
    """Render the batch's letters and write the zip; records failure on the batch."""
    from jiannuo.bulletin.models import PdfBatch

    batch = PdfBatch.objects.select_related("township").get(pk=batch_id)
    try:
        versions = batch_versions(batch.township, batch.year)
        PdfBatch.objects.filter(pk=batch.pk).update(
            state=PdfBatch.RUNNING, total=len(versions), done=0, error=""
        )
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            rendered = _rendered(versions)
            for n, (name, data) in enumerate(rendered, start=1):
                zf.writestr(name, data)
                PdfBatch.objects.filter(pk=batch.pk).update(done=n)
        batch.refresh_from_db()
        name = f"{batch.township.code}-{batch.year or 'all'}-{batch.pk}.zip"
        batch.file.save(name, ContentFile(buf.getvalue()), save=False)
        batch.state = PdfBatch.DONE
        batch.finished_at = timezone.now()
        batch.save(update_fields=["file", "state", "finished_at"])
    except Exception as exc:
        log.exception("PDF batch %s failed", batch_id)
        PdfBatch.objects.filter(pk=batch_id).update(
            state=PdfBatch.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )


def _run_in_thread(batch_id: int) -> None:
    close_old_connections()
    try:
        run_batch(batch_id)
    finally:
        connection.close()


def start(batch_id: int) -> threading.Thread:
    """Run the batch in a background daemon thread (see the module docstring)."""
    thread = threading.Thread(
        target=_run_in_thread, args=(batch_id,), name=f"pdf-batch-{batch_id}", daemon=True
    )
    thread.start()
    return thread
