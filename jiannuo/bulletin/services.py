"""Writes of the bulletin step (seed §三.4: the pledges are posted on the village board;
§三.5: the township prints every original).

- ``poster_posting_record``: the branch records the day the poster went up, with a photo.
- ``pdf_batch_start``: the township starts a background batch of its letters' PDFs.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core import audit, uploads
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import require
from jiannuo.core.uploads import EXTENSIONS, IMAGES, sniff
from jiannuo.organisation.models import Unit

from .models import PdfBatch, PosterPosting


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) when ``head`` starts like a JPEG or PNG, else None."""
    content_type = sniff(head, IMAGES)
    return (content_type, EXTENSIONS[content_type]) if content_type else None


def _read_photo(upload) -> tuple[bytes, str, str]:
    size, limit = getattr(upload, "size", None), uploads.max_bytes()
    if size is not None and size > limit:
        raise ServiceError(
            _("The photo is larger than %(mb)s MB.") % {"mb": uploads.max_mb()},
            code="photo_too_large",
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(
            _("The photo is larger than %(mb)s MB.") % {"mb": uploads.max_mb()},
            code="photo_too_large",
        )
    kind = sniff_image(data[:16])
    if kind is None:
        raise ServiceError(_("The photo must be a JPEG or PNG image."), code="photo_type")
    return data, kind[0], kind[1]


def poster_posting_record(
    *, actor, village: Unit, year: int, posted_on: date, photo=None
) -> PosterPosting:
    """§三.4: record that the pledges were posted on the village board (with a photo)."""
    require(actor, "bulletin.record_posting", village)
    if village.kind != Unit.VILLAGE:
        raise ServiceError(_("Postings are recorded for a village."), code="unit")
    if posted_on is None or posted_on > timezone.localdate():
        raise ServiceError(_("The posting date cannot be in the future."), code="posted_on")
    if not (2000 <= int(year) <= 2100):
        raise ServiceError(_("The year is not valid."), code="year")
    data = kind = ext = None
    if photo is not None:
        data, kind, ext = _read_photo(photo)
    from django.core.files.base import ContentFile

    with transaction.atomic():
        posting = PosterPosting(
            village=village,
            year=year,
            posted_on=posted_on,
            photo_type=kind or "",
            recorded_by=actor,
        )
        if data is not None:
            posting.photo.save(
                f"{village.code}-{year}-{posted_on:%Y%m%d}.{ext}", ContentFile(data), save=False
            )
        posting.save()
        audit.record(
            actor,
            "poster_posting.record",
            posting,
            changes={"year": year, "posted_on": posted_on, "photo": bool(data)},
        )
    return posting


def pdf_batch_start(*, actor, township: Unit, year: int | None, run_async: bool = True):
    """§三.5: start rendering every approved letter of ``township`` for ``year`` to PDF.

    The batch runs in a background thread after the transaction commits (``signing.batch``);
    with ``run_async=False`` (tests, commands) it runs before returning.
    """
    require(actor, "bulletin.batch_pdf", township)
    if township.kind != Unit.TOWNSHIP:
        raise ServiceError(_("Batches are made for a township."), code="unit")
    from jiannuo.signing import batch as runner

    with transaction.atomic():
        if PdfBatch.objects.filter(
            township=township, state__in=[PdfBatch.QUEUED, PdfBatch.RUNNING]
        ).exists():
            raise ServiceError(
                _("A batch for this township is already running."), code="batch_running"
            )
        job = PdfBatch.objects.create(township=township, year=year, requested_by=actor)
        audit.record(actor, "pdf_batch.start", job, changes={"year": year})
        if run_async:
            transaction.on_commit(lambda: runner.start(job.pk))
    if not run_async:
        runner.run_batch(job.pk)
        job.refresh_from_db()
    return job
