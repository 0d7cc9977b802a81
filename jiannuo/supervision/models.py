"""The supervision step (§五.3 加强督查): progress on each pledged item through the year, its
evidence, the township's inspections and rectifications, adjustments for objective reasons
and the daily digest of reminders.

An item is followed by its identity across letter versions — (letter, item code) — because a
new version of a letter makes new ``PledgeItem`` rows with the same code: progress survives an
adjustment. ``ItemState`` is the current state of one item (one row per letter and code), the
``Progress`` rows are its timeline.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiannuo.organisation.models import Unit

from . import rules

STATUS_LABELS = {
    rules.NOT_STARTED: _("Not started"),
    rules.IN_PROGRESS: _("In progress"),
    rules.FULFILLED: _("Fulfilled"),
    rules.NOT_FULFILLED: _("Not fulfilled"),
    rules.ADJUSTED: _("Adjusted for objective reasons"),
}
LEVEL_LABELS = {
    rules.DONE: _("Fulfilled"),
    rules.OK: _("On time"),
    rules.WATCH: _("To watch"),
    rules.AT_RISK: _("At risk"),
    rules.OVERDUE: _("Overdue"),
}
RECT_LABELS = {
    rules.RECT_OPEN: _("Rectification requested"),
    rules.RECT_RESPONDED: _("Village responded"),
    rules.RECT_CLOSED: _("Signed off"),
    rules.RECT_NONE: _("Noted"),
}
ADJ_LABELS = {
    rules.ADJ_REQUESTED: _("Awaiting the township"),
    rules.ADJ_APPROVED: _("Approved"),
    rules.ADJ_REJECTED: _("Rejected"),
}


class ItemState(models.Model):
    """The current state of one pledged item, by (letter, code) across versions."""

    letter = models.ForeignKey(
        "pledges.Letter", on_delete=models.PROTECT, related_name="supervision_states"
    )
    item_code = models.CharField(max_length=12)
    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=14, choices=list(STATUS_LABELS.items()), default=rules.NOT_STARTED
    )
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    measured = models.CharField(_("measured value"), max_length=100, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    # What the bulletin shows: the latest progress marked public.
    public_status = models.CharField(max_length=14, blank=True)
    public_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    public_measured = models.CharField(max_length=100, blank=True)
    public_note = models.TextField(blank=True)
    public_at = models.DateTimeField(null=True, blank=True)
    # An approved adjustment for objective reasons, in force over the signed item.
    adjusted_text = models.TextField(blank=True)
    adjusted_target = models.CharField(max_length=200, blank=True)
    adjusted_deadline = models.DateField(null=True, blank=True)
    adjusted_reason = models.TextField(blank=True)
    adjusted_at = models.DateTimeField(null=True, blank=True)
    #: Grows with every change of what the public sees: the bulletin's cache stamp.
    public_version = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["letter", "item_code"], name="itemstate_once"),
        ]

    def __str__(self):
        return f"{self.letter_id}#{self.item_code} {self.status} {self.percent}%"

    @property
    def audit_unit(self):
        return self.village

    @property
    def public_status_label(self):
        return STATUS_LABELS.get(self.public_status, self.public_status)


class Progress(models.Model):
    """One progress report on an item: the item's timeline."""

    state = models.ForeignKey(ItemState, on_delete=models.PROTECT, related_name="reports")
    item = models.ForeignKey(
        "pledges.PledgeItem", on_delete=models.PROTECT, related_name="+"
    )  # the item in force when reported
    status = models.CharField(_("status"), max_length=14, choices=list(STATUS_LABELS.items()))
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    measured = models.CharField(_("measured value"), max_length=100, blank=True)
    note = models.TextField(_("notes"), blank=True)
    public = models.BooleanField(_("show on the bulletin"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self):
        return f"{self.state_id} {self.status} {self.percent}%"

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)


class Evidence(models.Model):
    """A photo or document proving progress; checked by magic bytes, kept with its SHA-256.

    Published evidence is never deleted: it is retracted with a recorded reason.
    """

    state = models.ForeignKey(ItemState, on_delete=models.PROTECT, related_name="evidence")
    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    progress = models.ForeignKey(
        Progress, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    file = models.FileField(upload_to="supervision/evidence/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    name = models.CharField(_("file name"), max_length=200, blank=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    public = models.BooleanField(_("show on the bulletin"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    retracted_at = models.DateTimeField(null=True, blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retract_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name_plural = _("evidence")

    def __str__(self):
        return f"{self.state_id} {self.name} {self.sha256[:8]}"

    @property
    def audit_unit(self):
        return self.village

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Inspection(models.Model):
    """A township inspection (督查) of a village, scheduled or unannounced."""

    SCHEDULED, UNANNOUNCED = "scheduled", "unannounced"
    KINDS = [(SCHEDULED, _("Scheduled")), (UNANNOUNCED, _("Unannounced"))]

    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="inspections")
    kind = models.CharField(_("kind"), max_length=12, choices=KINDS)
    date = models.DateField(_("date"))
    inspectors = models.CharField(_("inspectors"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.village} {self.date}"

    @property
    def audit_unit(self):
        return self.village


class InspectionFinding(models.Model):
    """One finding of an inspection on one item, with its rectification (整改) if requested."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    state_row = models.ForeignKey(ItemState, on_delete=models.PROTECT, related_name="findings")
    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("finding"))
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=list(RECT_LABELS.items()), default=rules.RECT_OPEN
    )
    response = models.TextField(_("village's response"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    signoff_note = models.TextField(_("township's sign-off"), blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.inspection_id} {self.state}"

    @property
    def audit_unit(self):
        return self.village

    @property
    def state_label(self):
        return RECT_LABELS.get(self.state, self.state)


class Adjustment(models.Model):
    """A request to adjust an item for objective reasons, decided by the township."""

    state_row = models.ForeignKey(ItemState, on_delete=models.PROTECT, related_name="adjustments")
    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("objective reason"))
    new_text = models.TextField(_("adjusted pledge"), blank=True)
    new_target = models.CharField(_("adjusted target"), max_length=200, blank=True)
    new_deadline = models.DateField(_("adjusted deadline"), null=True, blank=True)
    evidence = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=list(ADJ_LABELS.items()), default=rules.ADJ_REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    #: The new letter version that carries the adjusted item (re-approval and signing follow).
    new_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.state_row_id} {self.state}"

    @property
    def audit_unit(self):
        return self.village

    @property
    def state_label(self):
        return ADJ_LABELS.get(self.state, self.state)


class Digest(models.Model):
    """A user's daily digest of supervision reminders (in-app; e-mailed where configured)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    entries = models.JSONField(default=list)
    emailed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once")]

    def __str__(self):
        return f"{self.user_id} {self.day}"
