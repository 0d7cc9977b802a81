"""The village bulletin board (村务公开栏, seed §三.4 last sentence) and the township's batch
of printed letters (§三.5).

- ``PosterPosting``: the village records when the printed pledges went up on the board, with a
  photo (JPEG or PNG, checked by magic bytes in the service).
- ``PdfBatch``: one background run that renders every approved letter of a township to PDF
  and writes a zip to MEDIA_ROOT; ``done``/``total`` drive the progress display.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiannuo.organisation.models import Unit


class PosterPosting(models.Model):
    """The printed pledges were put up on the village's public board on ``posted_on``."""

    village = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="poster_postings", verbose_name=_("village")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    posted_on = models.DateField(_("posted on"))
    photo = models.FileField(_("photo"), upload_to="bulletin/postings/", blank=True)
    photo_type = models.CharField(max_length=20, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-posted_on", "-id"]
        verbose_name = _("poster posting")
        verbose_name_plural = _("poster postings")

    def __str__(self):
        return f"{self.village} {self.posted_on}"

    @property
    def audit_unit(self):
        return self.village


class PdfBatch(models.Model):
    """A background run rendering a township's letters to PDF (one zip)."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATES = [
        (QUEUED, _("Queued")),
        (RUNNING, _("Running")),
        (DONE, _("Done")),
        (FAILED, _("Failed")),
    ]

    township = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="pdf_batches", verbose_name=_("township")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    state = models.CharField(_("state"), max_length=10, choices=STATES, default=QUEUED)
    file = models.FileField(upload_to="bulletin/batches/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("PDF batch")
        verbose_name_plural = _("PDF batches")

    def __str__(self):
        return f"{self.township} {self.year} {self.done}/{self.total}"

    @property
    def audit_unit(self):
        return self.township

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def finished(self) -> bool:
        return self.state in (self.DONE, self.FAILED)
