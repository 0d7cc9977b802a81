"""Pledge letters (§二, §三.2–3, §五.2): letters, their versions, items, breach clauses, and the
meetings that agree them.

A ``Letter`` is one letter of one post (or of the team) for a term or a year. Its content lives
in ``LetterVersion`` rows: every round of drafting is a version, and a version that left the
draft state keeps a JSON snapshot and its hash, so a returned or redone version is never lost.
Items and clauses belong to a version; the drafting workflow is the data in ``rules.py``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiannuo.organisation.models import Post, Term, Unit

from . import rules

CATEGORY_LABELS = {
    "work_goal": _("Work goals"),
    "good_deed": _("Practical deeds for the people"),
    "integrity": _("Integrity standards"),
    "guarantee": _("Guarantee measures"),
}
BREACH_LABELS = {
    "unmet_goals": _("Goals not met"),
    "economic_loss": _("Economic loss through dereliction or mistakes"),
    "low_satisfaction": _("Satisfaction rate below the standard"),
}
STATE_LABELS = {
    rules.DRAFT: _("Draft"),
    rules.TABLED: _("Before the joint meeting"),
    rules.JOINT_MEETING: _("Approved by the joint meeting"),
    rules.CONSULTED: _("Consulted"),
    rules.SUBMITTED: _("Submitted to the township"),
    rules.APPROVED: _("Approved"),
    rules.RETURNED: _("Returned by the township"),
    rules.REDO: _("Redo ordered"),
}
ACTION_LABELS = {
    "submit_to_joint_meeting": _("Submit to the joint meeting"),
    "joint_meeting_approve": _("Approved by the joint meeting"),
    "joint_meeting_return": _("Sent back by the joint meeting"),
    "consult": _("Consulted"),
    "submit": _("Submit to the township"),
    "approve": _("Approve"),
    "return": _("Return for adjustment"),
    "redo": _("Order a redo"),
    # Recorded on a letter's history by the signing step (not offered as buttons here).
    "ceremony_vote_failed": _("Ceremony vote failed"),
    "amend_after_signing": _("Change after signing"),
}


class Letter(models.Model):
    """One pledge letter: the team's, the branch secretary's own, or one member post's (§三.3).

    ``year`` is null for a term letter. ``state`` mirrors the current version's state, and
    ``version`` is the optimistic lock every edit and step compares and increments.
    """

    TEAM, SECRETARY, MEMBER = rules.LETTER_KINDS
    KINDS = [
        (TEAM, _("Team letter")),
        (SECRETARY, _("Branch secretary's letter")),
        (MEMBER, _("Member letter")),
    ]

    village = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="pledge_letters", verbose_name=_("village")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="pledge_letters", verbose_name=_("term")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=KINDS)
    post = models.ForeignKey(
        Post,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledge_letters",
        verbose_name=_("post"),
    )
    state = models.CharField(
        _("state"), max_length=20, default=rules.DRAFT, choices=list(STATE_LABELS.items())
    )
    current_number = models.PositiveIntegerField(_("current version"), default=1)
    version = models.PositiveIntegerField(default=1)
    next_item_no = models.PositiveIntegerField(default=1)
    next_clause_no = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("pledge letter")
        verbose_name_plural = _("pledge letters")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="team", post__isnull=True)
                | Q(kind__in=["secretary", "member"], post__isnull=False),
                name="letter_post_iff_not_team",
            ),
            models.UniqueConstraint(
                fields=["village", "term", "year"],
                condition=Q(kind="team", year__isnull=False),
                name="letter_one_team_letter_per_year",
            ),
            models.UniqueConstraint(
                fields=["village", "term"],
                condition=Q(kind="team", year__isnull=True),
                name="letter_one_team_letter_per_term",
            ),
            models.UniqueConstraint(
                fields=["post", "term", "year"],
                condition=Q(post__isnull=False, year__isnull=False),
                name="letter_one_letter_per_post_year",
            ),
            models.UniqueConstraint(
                fields=["post", "term"],
                condition=Q(post__isnull=False, year__isnull=True),
                name="letter_one_letter_per_post_term",
            ),
        ]
        indexes = [models.Index(fields=["village", "term", "year", "state"])]

    def __str__(self):
        return f"{self.village} {self.period_label} {self.title}"

    @property
    def audit_unit(self):
        return self.village

    @property
    def title(self) -> str:
        """The letter's official name (Chinese by nature, §三.3)."""
        if self.kind == self.TEAM:
            return "村班子任职承诺书"
        if self.kind == self.SECRETARY:
            return "村党支部书记任职承诺书"
        return "村班子成员任职承诺书"

    @property
    def holder(self) -> str:
        if self.post_id is None:
            return ""
        return f"{self.post.get_kind_display()} {self.post.person.name}"

    @property
    def period_label(self) -> str:
        """The period as printed on the letter (official wording, Chinese by nature)."""
        return f"{self.year}年度" if self.year else f"{self.term.name}任期"

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)

    @property
    def editable(self) -> bool:
        return self.state in rules.EDITABLE_STATES

    @property
    def item_prefix(self) -> str:
        return {"team": "T", "secretary": "S", "member": "M"}[self.kind]


class LetterVersion(models.Model):
    """One round of a letter's drafting (§五.2: a returned or redone version is kept).

    ``snapshot`` freezes the items and clauses when the version leaves the draft state;
    ``content_hash`` is the SHA-256 of that snapshot. ``blocking_count``/``warning_count`` cache
    the last quality check, for lists and the to-do; the gate itself always checks afresh.
    """

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(
        _("state"), max_length=20, default=rules.DRAFT, choices=list(STATE_LABELS.items())
    )
    started_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    copied = models.BooleanField(_("content copied from the previous version"), default=False)
    snapshot = models.JSONField(_("snapshot"), null=True, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    decision_note = models.TextField(_("township's reasons"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    blocking_count = models.PositiveSmallIntegerField(default=0)
    warning_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    tabled_at = models.DateTimeField(null=True, blank=True)
    joint_meeting_at = models.DateTimeField(null=True, blank=True)
    consulted_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["letter", "number"]
        verbose_name = _("letter version")
        verbose_name_plural = _("letter versions")
        constraints = [
            models.UniqueConstraint(fields=["letter", "number"], name="letterversion_unique"),
        ]

    def __str__(self):
        return f"{self.letter_id} v{self.number}"

    @property
    def audit_unit(self):
        return self.letter.village

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)


class PledgeItem(models.Model):
    """One pledge (§二; DOMAIN.md "A usable pledge item has …").

    ``code`` is stable across versions (copied with the content) and never reused within a
    letter, so versions can be compared and member items can name the team item they break down.
    """

    CATEGORIES = list(CATEGORY_LABELS.items())

    letter_version = models.ForeignKey(
        LetterVersion, on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("number"), max_length=12)
    position = models.PositiveIntegerField(default=0)
    category = models.CharField(_("category"), max_length=12, choices=CATEGORIES)
    text = models.TextField(_("pledge"))
    target = models.CharField(_("measurable target"), max_length=200, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    responsible_post = models.ForeignKey(
        Post,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible post"),
    )
    answers_hot_issues = models.ManyToManyField(
        "opinions.HotIssue", blank=True, related_name="pledge_items", verbose_name=_("hot issues")
    )
    answers_tasks = models.ManyToManyField(
        "opinions.TaskAssignment",
        blank=True,
        related_name="pledge_items",
        verbose_name=_("township tasks"),
    )
    breaks_down = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="broken_down_by",
        verbose_name=_("team items broken down"),
    )

    class Meta:
        ordering = ["letter_version", "position", "id"]
        verbose_name = _("pledge item")
        verbose_name_plural = _("pledge items")
        constraints = [
            models.UniqueConstraint(fields=["letter_version", "code"], name="pledgeitem_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.text[:30]}"

    @property
    def category_label(self):
        return CATEGORY_LABELS.get(self.category, self.category)


class BreachClause(models.Model):
    """One breach clause (§二): the trigger and the measure the cadre accepts."""

    CATEGORIES = list(BREACH_LABELS.items())

    letter_version = models.ForeignKey(
        LetterVersion, on_delete=models.CASCADE, related_name="clauses"
    )
    code = models.CharField(_("number"), max_length=12)
    position = models.PositiveIntegerField(default=0)
    category = models.CharField(_("category"), max_length=20, choices=CATEGORIES)
    trigger = models.TextField(_("when"))
    measure = models.TextField(_("measure"))
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # §四.2: what an economic-loss clause makes the cadre pay, as data: a share of the loss
    # (e.g. 10%) or a fixed sum (``amount``), so a case can propose the computed sum.
    share_percent = models.DecimalField(
        _("share of the loss (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["letter_version", "position", "id"]
        verbose_name = _("breach clause")
        verbose_name_plural = _("breach clauses")
        constraints = [
            models.UniqueConstraint(fields=["letter_version", "code"], name="breachclause_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.trigger[:30]}"

    @property
    def category_label(self):
        return BREACH_LABELS.get(self.category, self.category)


class QualityAcknowledgement(models.Model):
    """Warnings of the quality gate that a named person read and accepted (§五.2).

    ``warnings`` lists the fingerprints and texts of the warnings acknowledged; a new warning
    (after an edit) needs a new acknowledgement.
    """

    letter_version = models.ForeignKey(
        LetterVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    warnings = models.JSONField(default=list)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"ack {self.letter_version_id} by {self.by_id}"


class JointMeeting(models.Model):
    """A two-committee joint meeting (两委联席会议, §三.2) that decided letters."""

    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    date = models.DateField(_("date"))
    members_total = models.PositiveSmallIntegerField(_("members"))
    present = models.PositiveSmallIntegerField(_("present"))
    attendance = models.ManyToManyField(Post, related_name="+", verbose_name=_("attendance"))
    minutes = models.TextField(_("minutes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(present__lte=models.F("members_total")), name="jointmeeting_present"
            )
        ]

    def __str__(self):
        return f"{self.village} {self.date}"

    @property
    def audit_unit(self):
        return self.village


class JointMeetingDecision(models.Model):
    APPROVED, SENT_BACK = "approved", "sent_back"
    DECISIONS = [(APPROVED, _("Approved")), (SENT_BACK, _("Sent back"))]

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="decisions")
    letter_version = models.ForeignKey(LetterVersion, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=DECISIONS)
    note = models.TextField(blank=True)

    def __str__(self):
        return f"{self.meeting_id} {self.letter_version_id} {self.decision}"


class Consultation(models.Model):
    """The supervision committee's (or the representatives') meeting on the drafts (§三.3).

    ``non_compliant`` flags a village without a supervision committee (组织法 requires one).
    """

    SUPERVISION = "supervision_committee"
    REPRESENTATIVES = "representatives_meeting"
    BODIES = [
        (SUPERVISION, _("Village affairs supervision committee")),
        (REPRESENTATIVES, _("Villager representatives' meeting")),
    ]

    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.CharField(_("body"), max_length=30, choices=BODIES)
    non_compliant = models.BooleanField(_("no supervision committee"), default=False)
    date = models.DateField(_("date"))
    summary = models.TextField(_("summary"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.village} {self.date}"

    @property
    def audit_unit(self):
        return self.village


class ConsultationComment(models.Model):
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="comments"
    )
    letter_version = models.ForeignKey(LetterVersion, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)

    def __str__(self):
        return f"{self.consultation_id} {self.letter_version_id}"
