"""The signing step (§三.4–5): the ceremony, its attendance and votes, the signed letters,
their signatures and the custody of the printed originals.

A ``SignedLetter`` binds one approved ``pledges.LetterVersion``: its ``content_hash`` is the
version's hash at signing, so the public verification page can tell whether the stored content
still matches what was signed.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiannuo.organisation.models import Person, Term, Unit

from . import rules
from .retention import scan_storage

CEREMONY_STATE_LABELS = {
    "scheduled": _("Scheduled"),
    "held": _("Held"),
    "closed": _("Closed"),
}
CUSTODIAN_LABELS = {
    rules.TOWNSHIP: _("Township party committee"),
    rules.BRANCH: _("Village party branch"),
    rules.CADRE: _("The cadre"),
}
ROLE_LABELS = {
    rules.TOWNSHIP_DEPUTY_SECRETARY: _("Township deputy party secretary"),
    rules.BRANCH_SECRETARY: _("Branch secretary"),
    rules.COMMITTEE_DIRECTOR: _("Committee director"),
    rules.MEMBER: _("Team member"),
    rules.PARTY_MEMBER_REP: _("Party member representative"),
    rules.VILLAGER_REP: _("Villager representative"),
}


class Ceremony(models.Model):
    """The signing ceremony of a village (§三.4): reading, discussion, vote and signing."""

    SCHEDULED, HELD, CLOSED = "scheduled", "held", "closed"
    STATES = list(CEREMONY_STATE_LABELS.items())

    village = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="ceremonies", verbose_name=_("village")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="ceremonies", verbose_name=_("term")
    )
    scheduled_at = models.DateTimeField(_("scheduled at"))
    place = models.CharField(_("place"), max_length=200)
    state = models.CharField(_("state"), max_length=10, choices=STATES, default=SCHEDULED)
    notes = models.TextField(_("reading and discussion notes"), blank=True)
    checkin_code = models.CharField(max_length=32, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        verbose_name = _("signing ceremony")
        verbose_name_plural = _("signing ceremonies")

    def __str__(self):
        return f"{self.village} {timezone.localdate(self.scheduled_at):%Y-%m-%d}"

    @property
    def audit_unit(self):
        return self.village

    @property
    def state_label(self):
        return CEREMONY_STATE_LABELS.get(self.state, self.state)


class Attendance(models.Model):
    """A party member or villager representative present at the ceremony (§三.4)."""

    PAPER, QR = "paper", "qr"
    VIA = [(PAPER, _("Paper sign-in sheet")), (QR, _("QR check-in"))]

    ceremony = models.ForeignKey(Ceremony, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    via = models.CharField(max_length=5, choices=VIA)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ceremony", "person"], name="attendance_once"),
        ]

    def __str__(self):
        return f"{self.ceremony_id} {self.person_id}"


class LetterVote(models.Model):
    """The vote of those present on one letter at the ceremony (§三.4 表决通过)."""

    ceremony = models.ForeignKey(Ceremony, on_delete=models.CASCADE, related_name="votes")
    letter_version = models.ForeignKey(
        "pledges.LetterVersion", on_delete=models.PROTECT, related_name="ceremony_votes"
    )
    # Django forbids a field named ``for_`` (fields.E001); ``for_`` is a read-only alias.
    votes_for = models.PositiveIntegerField(_("for"))
    against = models.PositiveIntegerField(_("against"))
    abstain = models.PositiveIntegerField(_("abstain"))
    present = models.PositiveIntegerField(_("present"))
    passed = models.BooleanField(_("passed"))
    rule = models.CharField(max_length=40, default="more_than_half_present")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.letter_version_id} {self.votes_for}/{self.present}"

    @property
    def for_(self) -> int:
        return self.votes_for


class SignedLetter(models.Model):
    """A letter version signed at the ceremony (§三.4), with its originals in custody (§三.5)."""

    ceremony = models.ForeignKey(
        Ceremony, on_delete=models.PROTECT, null=True, blank=True, related_name="signed_letters"
    )
    version = models.OneToOneField(
        "pledges.LetterVersion", on_delete=models.PROTECT, related_name="signed"
    )
    letter = models.ForeignKey(
        "pledges.Letter", on_delete=models.PROTECT, related_name="signed_versions"
    )
    verify_code = models.CharField(max_length=16, unique=True)
    content_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    scan = models.FileField(
        _("signed original (scan)"),
        upload_to="signing/scans/",
        null=True,
        blank=True,
        storage=scan_storage,
    )
    scan_type = models.CharField(max_length=40, blank=True)
    #: Set when a later version of the same letter is fully signed (§三.4, DOMAIN "a signed
    #: letter is immutable: any change is a new version that goes through approval and
    #: signing again"); the bulletin then shows the newer version and keeps this one in its
    #: history.
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes"
    )
    #: Why a change of this signed version was started (public once superseded).
    change_reason = models.TextField(_("reason for the change"), blank=True)
    change_started_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("signed letter")
        verbose_name_plural = _("signed letters")

    def __str__(self):
        return f"{self.letter_id} v{self.version_id} {self.verify_code}"

    @property
    def audit_unit(self):
        return self.letter.village

    @property
    def in_force(self) -> bool:
        return self.signed_at is not None and self.superseded_at is None


class Signature(models.Model):
    """One signature on a signed letter, bound to the version's hash (§三.4)."""

    PARTIES = [(rules.PARTY_A, _("Party A")), (rules.PARTY_B, _("Party B"))]

    signed_letter = models.ForeignKey(
        SignedLetter, on_delete=models.CASCADE, related_name="signatures"
    )
    party = models.CharField(max_length=1, choices=PARTIES)
    role = models.CharField(max_length=40, choices=list(ROLE_LABELS.items()))
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer_name = models.CharField(max_length=60)
    at = models.DateTimeField(auto_now_add=True)
    version_hash = models.CharField(max_length=64)
    consent_publication = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.signed_letter_id} {self.role} {self.signer_name}"

    @property
    def role_label(self):
        return ROLE_LABELS.get(self.role, self.role)


class Custody(models.Model):
    """One printed original and who keeps it (§三.5)."""

    CUSTODIANS = list(CUSTODIAN_LABELS.items())

    signed_letter = models.ForeignKey(SignedLetter, on_delete=models.CASCADE, related_name="copies")
    number = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    custodian = models.CharField(max_length=10, choices=CUSTODIANS)
    receipt_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receipt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["signed_letter", "number"]
        verbose_name_plural = _("custody")
        constraints = [
            models.UniqueConstraint(fields=["signed_letter", "number"], name="custody_number"),
        ]

    def __str__(self):
        return f"{self.signed_letter_id} {self.number}/{self.total}"

    @property
    def label(self) -> str:
        return rules.copy_label(self.number, self.total)

    @property
    def custodian_label(self):
        return CUSTODIAN_LABELS.get(self.custodian, self.custodian)


class Scan(models.Model):
    """One scan of a signed paper original (§三.5). Append-only: a replacement names its reason
    and keeps every predecessor; the SHA-256 of the file is here and in the audit row."""

    signed_letter = models.ForeignKey(SignedLetter, on_delete=models.PROTECT, related_name="scans")
    file = models.FileField(_("scan"), upload_to="signing/scans/", storage=scan_storage)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    #: Why this scan replaces the one before (required for a replacement).
    reason = models.TextField(_("reason for the replacement"), blank=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_letter", "id"]
        verbose_name = _("scan of a signed original")
        verbose_name_plural = _("scans of signed originals")

    def __str__(self):
        return f"{self.signed_letter_id} {self.sha256[:12]}"

    @property
    def audit_unit(self):
        return self.signed_letter.letter.village
