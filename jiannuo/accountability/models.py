"""The accountability step (seed §四): runs of the rules over a township's year, and the cases
they open — one per person, post, year and measure (per village, year and measure for the team).

A case carries the proposal as the rules made it (measure, clause, reasons with their facts)
and then the people's procedure: the cadre's reply (申辩), the decision and its second approval,
the appeal (申诉) and the carrying out. Workflow changes are ``core.models.Transition`` rows.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiannuo.organisation.models import Person, Post, Unit

from . import rules

MEASURE_LABELS = {
    rules.NO_HONOURS: _("No honours (graded incompetent)"),
    rules.ECONOMIC_PENALTY: _("Economic penalty and compensation"),
    rules.YELLOW_CARD: _("Yellow-card warning"),
    rules.RESIGNATION: _("Resignation demanded"),
    rules.CRITICISM: _("Notice of criticism"),
    rules.DISCIPLINE_REFERRAL: _("Referral for disciplinary sanction"),
}
STATE_LABELS = {
    rules.PROPOSED: _("Proposed — reply window open"),
    rules.REPLIED: _("Awaiting decision"),
    rules.AWAITING_APPROVAL: _("Awaiting second approval"),
    rules.DECIDED: _("Decided — in force"),
    rules.APPEALED: _("Under appeal — in force"),
    rules.CARRIED_OUT: _("Carried out"),
    rules.DISMISSED: _("Dismissed"),
    rules.REVOKED: _("Revoked on appeal"),
}
ACTION_LABELS = {
    "open": _("Opened"),
    "reply": _("Reply"),
    "waive": _("Waive the reply"),
    "decide": _("Decide"),
    "decide_for_approval": _("Decide, subject to second approval"),
    "dismiss": _("Dismiss"),
    "approve": _("Approve"),
    "reject": _("Refuse approval"),
    "appeal": _("Appeal"),
    "uphold": _("Uphold on appeal"),
    "overturn": _("Overturn on appeal"),
    "carry_out": _("Carry out"),
    "refresh": _("Facts updated by a re-run"),
}
OUTCOME_LABELS = {
    rules.RESIGNATION_ACCEPTED: _("Resignation accepted"),
    rules.RECALLED: _("Removed by recall vote"),
    rules.RECALL_FAILED: _("Recall vote failed: stays in post"),
    rules.TERMINATED_TWO_INCOMPETENT: _("Post ended after two consecutive incompetent grades"),
    rules.PARTY_PROCEDURE: _("Removed from the party post by party procedure"),
    rules.PENALTY_PAID: _("Penalty paid"),
    rules.NOTICE_ISSUED: _("Notice issued"),
    rules.WARNING_ISSUED: _("Warning issued"),
    rules.HONOURS_WITHHELD: _("Honours withheld for the year"),
    rules.SANCTION_RECORDED: _("Sanction by the competent body recorded"),
    rules.NO_SANCTION: _("The competent body imposed no sanction"),
}
SANCTION_LABELS = {
    "warning": _("Warning"),
    "serious_warning": _("Serious warning"),
    "removal_from_party_post": _("Removal from party post"),
    "probation": _("Probation within the party"),
    "expulsion": _("Expulsion from the party"),
}


class Run(models.Model):
    """One run of the rules over a township's year that opened cases (re-runs add rows)."""

    township = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)
    flags = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.township} {self.year} #{self.pk}"

    @property
    def audit_unit(self):
        return self.township


class Case(models.Model):
    """One measure proposed by the rules and carried through the procedure."""

    POST, TEAM = rules.POST, rules.TEAM
    SUBJECTS = [(POST, _("Post")), (TEAM, _("Village team"))]

    key = models.CharField(max_length=120, unique=True)
    township = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="accountability_cases")
    year = models.PositiveSmallIntegerField(_("year"))
    subject = models.CharField(max_length=4, choices=SUBJECTS)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    post = models.ForeignKey(Post, on_delete=models.PROTECT, null=True, blank=True)
    post_kind = models.CharField(max_length=30, blank=True)
    measure = models.CharField(_("measure"), max_length=24)
    clause = models.CharField(max_length=12)
    leading = models.BooleanField(default=False)
    reasons = models.JSONField(default=list)  # [{rule, clause, message, facts}]
    facts = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=20, default=rules.PROPOSED)
    version = models.PositiveIntegerField(default=1)

    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    reply_due = models.DateTimeField()
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    reply_waived = models.BooleanField(default=False)

    decision = models.TextField(_("decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    in_force_at = models.DateTimeField(null=True, blank=True)
    appeal_due = models.DateTimeField(null=True, blank=True)
    number = models.CharField(_("decision number"), max_length=40, blank=True)

    appeal = models.TextField(_("appeal"), blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_decision = models.TextField(_("appeal decision"), blank=True)
    appeal_outcome = models.CharField(max_length=10, blank=True)
    appeal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    appeal_decided_at = models.DateTimeField(null=True, blank=True)

    outcome = models.CharField(max_length=30, blank=True)
    outcome_note = models.TextField(blank=True)
    sanction = models.CharField(max_length=30, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    carried_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    carried_out_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "village", "person", "-leading", "measure", "id"]
        indexes = [
            models.Index(fields=["township", "year"]),
            models.Index(fields=["village", "state"]),
        ]

    def __str__(self):
        who = self.person.name if self.person_id else str(self.village)
        return f"{who} {self.year} {self.measure}"

    @property
    def audit_unit(self):
        return self.village

    @property
    def measure_label(self):
        return MEASURE_LABELS.get(self.measure, self.measure)

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)

    @property
    def outcome_label(self):
        return OUTCOME_LABELS.get(self.outcome, self.outcome)

    @property
    def in_force(self) -> bool:
        return self.state in rules.IN_FORCE

    @property
    def proposed_amount(self):
        """§四.2: the sum the letter's clause calls for (its share of the loss or its fixed
        sum), as the rules computed it; ``None`` when the clause states none."""
        from decimal import Decimal, InvalidOperation

        raw = (self.facts or {}).get("proposed_amount")
        try:
            return Decimal(str(raw)) if raw not in (None, "") else None
        except InvalidOperation:
            return None

    @property
    def post_kinds(self) -> list[str]:
        """The posts the case falls on: under 一肩挑 a team resignation demand names both the
        branch secretary's and the committee director's post (``facts["posts"]``)."""
        kinds = (self.facts or {}).get("posts") if self.subject == "post" else None
        if isinstance(kinds, list) and kinds:
            return [str(k) for k in kinds]
        return [self.post_kind] if self.post_kind else []

    @property
    def post_label(self):
        labels = dict(Post.KINDS)
        return "、".join(str(labels.get(k, k)) for k in self.post_kinds)

    def explain(self) -> list[str]:
        """The reasons in the reader's language, each filled from its facts."""
        from django.utils.translation import gettext

        out = []
        for r in self.reasons:
            try:
                out.append(gettext(r["message"]) % r["facts"])
            except (KeyError, TypeError, ValueError):
                out.append(r["message"])
        return out
