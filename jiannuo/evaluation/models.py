"""Year-end assessment and democratic evaluation (seed §三.6, §四).

Ballot secrecy (DOMAIN.md anonymity; docs/ARCHITECTURE.md "Guarantees"): three tables that
nothing links. ``Voter`` is attendance only (who may vote, who is present). ``BallotCode`` is the
round's stock of one-time codes — bearer slips, handed out like paper ballots — kept only as
digests with a spent flag: no person, no time, no sequence. ``Ballot`` is a sheet of choices
with a random id. ``tests/evaluation/test_anonymity.py`` inspects the schema and tries the joins
an attacker with a database dump would try.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiannuo.organisation.models import Person, Post, Term, Unit

from . import rules

USER = settings.AUTH_USER_MODEL

FULFILLED, PARTLY, NOT_FULFILLED = "fulfilled", "partly", "not_fulfilled"
VERDICTS = [
    (FULFILLED, _("Fulfilled")),
    (PARTLY, _("Partly fulfilled")),
    (NOT_FULFILLED, _("Not fulfilled")),
]
OBJECTIVE, DERELICTION, OTHER = "objective", "dereliction", "other"
REASONS = [
    (OBJECTIVE, _("Objective cause")),
    (DERELICTION, _("Dereliction")),
    (OTHER, _("Other")),
]
LOSS_CAUSES = [
    ("dereliction", _("Dereliction of duty")),
    ("poor_management", _("Poor management")),
    ("objective", _("Objective cause")),
]
OPTION_LABELS = {
    rules.SATISFIED: _("Satisfied"),
    rules.BASICALLY_SATISFIED: _("Basically satisfied"),
    rules.DISSATISFIED: _("Dissatisfied"),
    rules.ABSTAIN: _("Abstain"),
}


class AssessmentGroup(models.Model):
    """The township's assessment group (考核组) for a year: its members and villages."""

    township = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="assessment_groups", verbose_name=_("township")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=60)
    members = models.ManyToManyField(
        USER, related_name="assessment_groups", verbose_name=_("members")
    )
    villages = models.ManyToManyField(Unit, related_name="+", verbose_name=_("villages"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "township", "name"]
        verbose_name = _("assessment group")
        verbose_name_plural = _("assessment groups")
        constraints = [
            models.UniqueConstraint(fields=["township", "year", "name"], name="group_unique_name")
        ]

    def __str__(self):
        return f"{self.township} {self.year} {self.name}"

    @property
    def audit_unit(self):
        return self.township


class Verdict(models.Model):
    """The assessment group's verdict on one pledge item of a signed letter (§三.6)."""

    item = models.OneToOneField(
        "pledges.PledgeItem", on_delete=models.PROTECT, related_name="verdict"
    )
    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    verdict = models.CharField(_("verdict"), max_length=16, choices=VERDICTS)
    reason = models.CharField(_("reason"), max_length=16, choices=REASONS, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["item_id"]
        verbose_name = _("verdict")
        verbose_name_plural = _("verdicts")
        indexes = [models.Index(fields=["village", "year"])]

    def __str__(self):
        return f"{self.item_id}: {self.verdict}"

    @property
    def audit_unit(self):
        return self.village


class Loss(models.Model):
    """A loss to the collective or villagers (§四.2): amount, cause, responsible posts."""

    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    cause = models.CharField(_("cause"), max_length=20, choices=LOSS_CAUSES)
    breach_clause = models.CharField(_("breach clause"), max_length=12, blank=True)
    # The signed letter's own clause the loss is recorded against (§四.2); ``breach_clause``
    # keeps its number.
    clause = models.ForeignKey(
        "pledges.BreachClause",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("breach clause"),
    )
    description = models.CharField(_("description"), max_length=500)
    posts = models.ManyToManyField(Post, related_name="+", verbose_name=_("responsible posts"))
    team = models.BooleanField(_("attributed to the team"), default=False)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["village", "year", "id"]
        verbose_name = _("loss")
        verbose_name_plural = _("losses")

    def __str__(self):
        return f"{self.amount} {self.cause}"

    @property
    def audit_unit(self):
        return self.village


class Breach(models.Model):
    """A broken integrity pledge or a discipline violation referred elsewhere (§四.4)."""

    INTEGRITY, DISCIPLINE = "integrity", "discipline"
    KINDS = [(INTEGRITY, _("Integrity pledge broken")), (DISCIPLINE, _("Discipline violated"))]

    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=12, choices=KINDS)
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # null: the team
    description = models.CharField(_("description"), max_length=500)
    referred_to = models.CharField(_("referred to"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["village", "year", "id"]
        verbose_name = _("breach")
        verbose_name_plural = _("breaches")

    def __str__(self):
        return f"{self.kind}: {self.description}"

    @property
    def audit_unit(self):
        return self.village


class Round(models.Model):
    """A democratic evaluation round (民主测评) of a village for a year."""

    PAPER, PHONE = "paper", "phone"
    METHODS = [(PAPER, _("Paper ballots")), (PHONE, _("Phone ballots"))]
    DRAFT, OPEN, CLOSED, VOID = "draft", "open", "closed", "void"
    STATES = [(DRAFT, _("Preparing")), (OPEN, _("Open")), (CLOSED, _("Closed")), (VOID, _("Void"))]

    village = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="evaluation_rounds", verbose_name=_("village")
    )
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    method = models.CharField(_("method"), max_length=8, choices=METHODS)
    state = models.CharField(_("state"), max_length=8, choices=STATES, default=DRAFT)
    meeting_kind = models.CharField(max_length=30)
    options = models.JSONField(default=list)
    eligible = models.PositiveIntegerField(_("eligible voters"), default=0)
    present = models.PositiveIntegerField(_("present"), default=0)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-year", "village", "-id"]
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "year"], condition=~Q(state="void"), name="round_one_live"
            )
        ]

    def __str__(self):
        return f"{self.village} {self.year}"

    @property
    def audit_unit(self):
        return self.village


class Target(models.Model):
    """What a round's ballot sheet evaluates: one cadre's post, or the team (post null)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="targets")
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["round", "position"]

    def __str__(self):
        return self.label

    @property
    def is_team(self) -> bool:
        return self.post_id is None


class Voter(models.Model):
    """Attendance: who may vote and who is present. Never which code or ballot was theirs."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="voters")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(default=False)

    class Meta:
        ordering = ["round", "person__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="voter_once_per_round")
        ]

    def __str__(self):
        return f"{self.round_id}/{self.person_id}"


class BallotCode(models.Model):
    """One one-time phone voting code of a round: a bearer slip, not an attribute of a voter.

    The round issues as many codes as voters are present, printed without names in random
    order and handed out like paper ballots. Only the SHA-256 digest of the code is stored (the
    primary key: no sequence), with whether it was spent. The rows are written in one batch in
    digest order, which follows neither the roster nor the printed pile."""

    digest = models.CharField(primary_key=True, max_length=64, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    spent = models.BooleanField(default=False)

    class Meta:
        ordering = ["digest"]

    def __str__(self):
        return self.digest[:8]


def _ballot_id():
    return uuid.uuid4()


class Ballot(models.Model):
    """One anonymous phone ballot sheet: choices per target. No voter, no code, no time.

    Closing the round rewrites its ballots in a random order with fresh ids in one transaction
    (``services.round_close``), so that neither their physical order nor PostgreSQL's ``xmin``
    keeps the order in which they were cast."""

    id = models.UUIDField(primary_key=True, default=_ballot_id, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    choices = models.JSONField()  # {"<target id>": "<option>"}

    class Meta:
        # Never order ballots by anything that follows when they were cast.
        ordering = ["id"]

    def __str__(self):
        return str(self.id)


class Tally(models.Model):
    """The counts for one target of a round; counts only once confirmed by a second person."""

    PAPER, PHONE = Round.PAPER, Round.PHONE
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="tallies")
    target = models.OneToOneField(Target, on_delete=models.CASCADE, related_name="tally")
    issued = models.PositiveIntegerField(_("issued"))
    returned = models.PositiveIntegerField(_("returned"))
    spoiled = models.PositiveIntegerField(_("spoiled"))
    counts = models.JSONField(_("counts"))
    source = models.CharField(max_length=8, default=PAPER)
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    entered_at = models.DateTimeField(auto_now=True)
    confirmed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["round", "target__position"]

    def __str__(self):
        return f"{self.round_id}/{self.target_id}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def audit_unit(self):
        return self.round.village


class YearResult(models.Model):
    """A village's year-end results, reviewed and confirmed by the township (§三.6)."""

    DRAFT, CONFIRMED = "draft", "confirmed"
    STATES = [(DRAFT, _("Awaiting confirmation")), (CONFIRMED, _("Confirmed"))]

    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="year_results")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    state = models.CharField(max_length=10, choices=STATES, default=DRAFT)
    round = models.ForeignKey(Round, on_delete=models.PROTECT, null=True, related_name="+")
    confirmed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-year", "village"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="result_one_per_village_year")
        ]

    def __str__(self):
        return f"{self.village_id} {self.year} {self.state}"

    @property
    def audit_unit(self):
        return self.village


class PostResult(models.Model):
    """One post's (or the team's, post null) confirmed facts for the year."""

    result = models.ForeignKey(YearResult, on_delete=models.CASCADE, related_name="posts")
    post = models.ForeignKey(Post, on_delete=models.PROTECT, null=True, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    label = models.CharField(max_length=120)
    satisfied = models.PositiveIntegerField(null=True)
    valid = models.PositiveIntegerField(null=True)
    goals_met = models.BooleanField(null=True)
    pledges_met = models.BooleanField(null=True)
    months_served = models.PositiveSmallIntegerField(default=12)
    graded = models.BooleanField(default=True)  # False: served too short to be graded
    grade = models.CharField(max_length=24, blank=True)
    grade_rule = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["result", "id"]

    def __str__(self):
        return self.label

    @property
    def satisfaction(self):
        from fractions import Fraction

        if not self.valid:
            return None
        return Fraction(self.satisfied or 0, self.valid)

    @property
    def rate_text(self) -> str:
        return rules.format_percent(self.satisfaction)

    @property
    def grade_label(self):
        return rules.GRADE_LABELS.get(self.grade, "")
