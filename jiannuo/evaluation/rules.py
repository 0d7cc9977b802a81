"""Rules of the democratic evaluation and the annual grade (seed §三.6, §四; DOMAIN.md defaults).

Plain Python: no ORM, no settings. Everything the seed leaves open is a district setting
(``SatisfactionSettings``, ``GradeScheme``), versioned by year by the caller.

Satisfaction is kept as an exact ``Fraction`` and compared exactly (``sat * 100 < t * valid``):
exactly 60% is not "below 60%". Rounding happens only in ``format_percent`` for display.

Facts carried by findings and decisions are JSON-friendly plain values (str, int, bool,
lists) so that the service layer can store them in an audit row as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext_lazy as _

from jiannuo.core.rules import INFO, WARN, Finding

# Ballot options (满意 / 基本满意 / 不满意 / 弃权).
SATISFIED = "satisfied"
BASICALLY_SATISFIED = "basically_satisfied"
DISSATISFIED = "dissatisfied"
ABSTAIN = "abstain"

DEFAULT_OPTIONS = (SATISFIED, BASICALLY_SATISFIED, DISSATISFIED, ABSTAIN)
DEFAULT_NUMERATOR = (SATISFIED, BASICALLY_SATISFIED)

#: The finding that voids a paper round (more ballots returned than issued).
RETURNED_EXCEEDS_ISSUED = "tally_returned_exceeds_issued"

# Annual grades (优秀 / 称职 / 基本称职 / 不称职), best first.
EXCELLENT = "excellent"
COMPETENT = "competent"
BASICALLY_COMPETENT = "basically_competent"
INCOMPETENT = "incompetent"
GRADES = (EXCELLENT, COMPETENT, BASICALLY_COMPETENT, INCOMPETENT)

GRADE_LABELS = {
    EXCELLENT: _("Excellent"),
    COMPETENT: _("Competent"),
    BASICALLY_COMPETENT: _("Basically competent"),
    INCOMPETENT: _("Incompetent"),
}

# Meeting kinds for the quorum rule.
REPRESENTATIVES_MEETING = "representatives_meeting"
VILLAGERS_MEETING = "villagers_meeting"
MEETING_KINDS = (REPRESENTATIVES_MEETING, VILLAGERS_MEETING)

CLAUSE_EVALUATION = "§四.3"

# Who presides over the democratic evaluation and enters its count, and who co-signs the count.
# A village's supervision committee presides where it has one; without one (DOMAIN.md "No
# supervision body") the district policy says who does (``Policy.presiding_without_supervision``
# and ``Policy.count_cosigned_without_supervision``).
SUPERVISION = "supervision_committee"
TOWNSHIP = "township"
REPRESENTATIVE = "representative"
STAND_INS = (TOWNSHIP, REPRESENTATIVE)
CLAUSE_ASSESSMENT = "§三.6"
CLAUSE_HONOURS = "§四.1"


# --------------------------------------------------------------------------- satisfaction


@dataclass(frozen=True)
class SatisfactionSettings:
    """How the satisfaction rate is counted (district setting; no national formula exists).

    ``options`` are the ballot choices; ``numerator`` the options that count as satisfied;
    ``denominator`` the options that count as valid ballots (``None``: every option, so
    abstentions are valid). Spoiled ballots are never an option and never valid.
    """

    options: tuple[str, ...] = DEFAULT_OPTIONS
    numerator: tuple[str, ...] = DEFAULT_NUMERATOR
    denominator: tuple[str, ...] | None = None

    @property
    def valid_options(self) -> tuple[str, ...]:
        return self.options if self.denominator is None else self.denominator

    def validate(self) -> list[Finding]:
        findings = []
        if not self.options or len(set(self.options)) != len(self.options):
            findings.append(
                Finding(
                    rule="satisfaction_options_invalid",
                    clause=CLAUSE_EVALUATION,
                    message=_("The ballot options must be a non-empty list without repeats."),
                    facts={"options": list(self.options)},
                )
            )
        unknown = [o for o in (*self.numerator, *self.valid_options) if o not in self.options]
        if unknown:
            findings.append(
                Finding(
                    rule="satisfaction_option_unknown",
                    clause=CLAUSE_EVALUATION,
                    message=_("The rate counts options that are not on the ballot: %(unknown)s."),
                    facts={"unknown": ", ".join(dict.fromkeys(unknown))},
                )
            )
        outside = [o for o in self.numerator if o not in self.valid_options]
        if not self.numerator or outside:
            findings.append(
                Finding(
                    rule="satisfaction_numerator_invalid",
                    clause=CLAUSE_EVALUATION,
                    message=_(
                        "The satisfied options must be a non-empty part of the valid options."
                    ),
                    facts={"numerator": list(self.numerator)},
                )
            )
        return findings


DEFAULT_SATISFACTION = SatisfactionSettings()


def satisfaction_rate(
    counts: Mapping[str, int], settings: SatisfactionSettings = DEFAULT_SATISFACTION
) -> Fraction | None:
    """Satisfied ballots over valid ballots, exactly; ``None`` when there is no valid ballot.

    ``None`` means "no rate": no satisfaction-based measure may follow and a person must look.
    Unknown options or negative counts are a broken tally (see ``check_tally``) and raise.
    """
    unknown = set(counts) - set(settings.options)
    if unknown:
        raise ValueError(f"unknown ballot options: {sorted(unknown)}")
    if any(n < 0 for n in counts.values()):
        raise ValueError("ballot counts cannot be negative")
    valid = sum(counts.get(o, 0) for o in settings.valid_options)
    if valid == 0:
        return None
    satisfied = sum(counts.get(o, 0) for o in settings.numerator)
    return Fraction(satisfied, valid)


def _exact(value: int | Fraction | Decimal) -> Fraction:
    if type(value) is Fraction:
        return value
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        # Floats cannot hold 59.99 exactly; refuse them rather than compare approximately.
        raise TypeError(f"expected an int, Fraction or Decimal, got {type(value).__name__}")
    return Fraction(value)


def is_below(rate: Fraction, threshold_percent: int | Fraction) -> bool:
    """Whether ``rate`` is strictly below ``threshold_percent`` percent, exactly.

    Exactly 60% is not below 60%; 5999/10000 is. Compares integers only
    (``rate.numerator * 100 * t.denominator < t.numerator * rate.denominator``), which is
    exact and fast enough for a province's posts.
    """
    r = rate if type(rate) is Fraction else _exact(rate)
    t = threshold_percent
    if type(t) is int:
        return r.numerator * 100 < t * r.denominator
    t = _exact(t)
    return r.numerator * 100 * t.denominator < t.numerator * r.denominator


def format_percent(rate: Fraction | None) -> str:
    """Display a rate with 2 decimals, e.g. ``"59.99%"``; ``"—"`` when there is no rate.

    Truncates rather than rounds, so a displayed figure never reaches a threshold the exact
    rate is below (599999/1000000 shows as 59.99%, not 60.00%). Display only: never compare
    the returned text.
    """
    if rate is None:
        return "—"
    r = _exact(rate)
    if r < 0:
        raise ValueError("a rate cannot be negative")
    hundredths = r.numerator * 10000 // r.denominator  # floor, i.e. truncation
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def format_threshold(threshold_percent: int | Fraction | Decimal) -> str:
    """A threshold for messages: ``60`` stays ``"60"``, ``Fraction(119, 2)`` is ``"59.5"``."""
    exact = _exact(threshold_percent)
    if exact.denominator == 1:
        return str(exact.numerator)
    text = format(Decimal(exact.numerator) / Decimal(exact.denominator), "f")
    return text.rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- the tally


def check_tally(
    issued: int,
    returned: int,
    spoiled: int,
    counts: Mapping[str, int],
    settings: SatisfactionSettings = DEFAULT_SATISFACTION,
) -> list[Finding]:
    """Check a round's ballot counts before a rate is computed from them.

    Blocking: negative numbers; more ballots returned than issued (the round is void);
    more spoiled than returned; options not on the ballot; option counts that do not add up
    to ``returned - spoiled``. A consistent tally with no valid ballot gives a warning
    ``no_valid_ballots``: there is no rate and a person must look.
    """
    findings: list[Finding] = []
    numbers = {"issued": issued, "returned": returned, "spoiled": spoiled, **counts}
    negative = [name for name, n in numbers.items() if n < 0]
    if negative:
        findings.append(
            Finding(
                rule="tally_negative",
                clause=CLAUSE_EVALUATION,
                message=_("Ballot numbers cannot be negative: %(fields)s."),
                facts={"fields": ", ".join(negative)},
            )
        )
        return findings
    if returned > issued:
        findings.append(
            Finding(
                rule=RETURNED_EXCEEDS_ISSUED,
                clause=CLAUSE_EVALUATION,
                message=_(
                    "%(returned)s ballots were returned but only %(issued)s were issued; "
                    "the round is void and must be held again."
                ),
                facts={"issued": issued, "returned": returned},
            )
        )
    if spoiled > returned:
        findings.append(
            Finding(
                rule="tally_spoiled_exceeds_returned",
                clause=CLAUSE_EVALUATION,
                message=_(
                    "%(spoiled)s ballots are marked spoiled but only %(returned)s were returned."
                ),
                facts={"spoiled": spoiled, "returned": returned},
            )
        )
    unknown = [o for o in counts if o not in settings.options]
    if unknown:
        findings.append(
            Finding(
                rule="tally_unknown_option",
                clause=CLAUSE_EVALUATION,
                message=_("The tally counts options that are not on the ballot: %(unknown)s."),
                facts={"unknown": ", ".join(unknown)},
            )
        )
    counted = sum(counts.values())
    if counted != returned - spoiled:
        findings.append(
            Finding(
                rule="tally_options_mismatch",
                clause=CLAUSE_EVALUATION,
                message=_(
                    "The options add up to %(counted)s ballots, but %(returned)s returned "
                    "minus %(spoiled)s spoiled is %(expected)s."
                ),
                facts={
                    "counted": counted,
                    "returned": returned,
                    "spoiled": spoiled,
                    "expected": returned - spoiled,
                },
            )
        )
    if not findings and satisfaction_rate(counts, settings) is None:
        findings.append(
            Finding(
                rule="no_valid_ballots",
                clause=CLAUSE_EVALUATION,
                message=_(
                    "No valid ballot was cast, so there is no satisfaction rate; "
                    "no measure follows from it and a person must review the round."
                ),
                facts={"issued": issued, "returned": returned, "spoiled": spoiled},
                severity=WARN,
            )
        )
    return findings


def quorum(kind: str, eligible: int, present: int) -> Finding | None:
    """Whether a meeting may vote: ``None`` when it may, else a blocking finding.

    A villager representatives' meeting needs at least two thirds present
    (``3 * present >= 2 * eligible``); a villagers' meeting more than half
    (``2 * present > eligible``).
    """
    if kind not in MEETING_KINDS:
        raise ValueError(f"unknown meeting kind: {kind!r}")
    facts = {"kind": kind, "eligible": eligible, "present": present}
    if eligible <= 0 or present < 0 or present > eligible:
        return Finding(
            rule="attendance_invalid",
            clause=CLAUSE_EVALUATION,
            message=_("%(present)s present out of %(eligible)s eligible is not a valid count."),
            facts=facts,
        )
    if kind == REPRESENTATIVES_MEETING and 3 * present < 2 * eligible:
        return Finding(
            rule="quorum_not_met",
            clause=CLAUSE_EVALUATION,
            message=_(
                "Only %(present)s of %(eligible)s representatives are present; "
                "at least two thirds are needed."
            ),
            facts=facts,
        )
    if kind == VILLAGERS_MEETING and 2 * present <= eligible:
        return Finding(
            rule="quorum_not_met",
            clause=CLAUSE_EVALUATION,
            message=_(
                "Only %(present)s of %(eligible)s villagers are present; more than half are needed."
            ),
            facts=facts,
        )
    return None


# --------------------------------------------------------------------------- the annual grade


@dataclass(frozen=True)
class GradeScheme:
    """How the annual grade is set (district settings, versioned by year).

    ``satisfaction_bands``: (lowest satisfaction percent, grade), best first; a rate below
    every band is ``incompetent``. Defaults: ≥90% excellent, ≥70% competent, ≥60% basically
    competent — the last matching §四.3's 60% yellow-card line.
    ``score_bands``: optional bands for the assessment group's score (0–100); when set and a
    score is given, the grade is the lower of the two, so neither measure is overridden.
    ``min_months_served``: fewer months served in the year → not graded that year.
    """

    satisfaction_bands: tuple[tuple[int | Fraction, str], ...] = (
        (90, EXCELLENT),
        (70, COMPETENT),
        (60, BASICALLY_COMPETENT),
    )
    score_bands: tuple[tuple[int | Fraction, str], ...] | None = None
    min_months_served: int = 6

    def validate(self) -> list[Finding]:
        findings = []
        for name, bands in (("satisfaction", self.satisfaction_bands), ("score", self.score_bands)):
            if bands is None:
                continue
            lows = [low for low, _grade in bands]
            grades = [g for _low, g in bands]
            in_range = all(0 <= _exact(low) <= 100 for low in lows)
            descending = all(a > b for a, b in pairwise(lows))
            known = all(g in GRADES[:-1] for g in grades)
            ranks = [GRADES.index(g) for g in grades if g in GRADES]
            ordered = all(a < b for a, b in pairwise(ranks))
            if not (bands and in_range and descending and known and ordered):
                findings.append(
                    Finding(
                        rule="grade_bands_invalid",
                        clause=CLAUSE_ASSESSMENT,
                        message=_(
                            "The %(name)s bands must be 0–100, strictly descending, and name "
                            "each grade above incompetent at most once, best first."
                        ),
                        facts={"name": name, "bands": [[str(lo), g] for lo, g in bands]},
                    )
                )
        if not 0 <= self.min_months_served <= 12:
            findings.append(
                Finding(
                    rule="min_months_invalid",
                    clause=CLAUSE_ASSESSMENT,
                    message=_("Months served before grading must be 0–12, not %(months)s."),
                    facts={"months": self.min_months_served},
                )
            )
        return findings


DEFAULT_GRADE_SCHEME = GradeScheme()


@dataclass(frozen=True)
class GradeDecision:
    """The annual grade, or ``None`` when not graded, with the rule that decided it."""

    grade: str | None
    rule: str
    clause: str
    message: Any
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def graded(self) -> bool:
        return self.grade is not None

    @property
    def honours_eligible(self) -> bool:
        """§四.1: an incompetent (or ungraded) cadre has no honours eligibility that year."""
        return self.grade is not None and self.grade != INCOMPETENT

    def as_finding(self) -> Finding:
        severity = WARN if self.grade is None or self.grade == INCOMPETENT else INFO
        return Finding(self.rule, self.clause, self.message, self.facts, severity)


_GRADED_MESSAGES = {
    EXCELLENT: _("Pledged goals met with satisfaction %(rate)s: graded excellent for the year."),
    COMPETENT: _("Pledged goals met with satisfaction %(rate)s: graded competent for the year."),
    BASICALLY_COMPETENT: _(
        "Pledged goals met with satisfaction %(rate)s: graded basically competent for the year."
    ),
    INCOMPETENT: _(
        "Pledged goals met but satisfaction %(rate)s (or the assessment score) is below every "
        "band: graded incompetent for the year."
    ),
}


def _band(value: Fraction, bands: tuple[tuple[int | Fraction, str], ...]) -> str:
    for low, grade_ in bands:
        if not is_below(value, low):
            return grade_
    return INCOMPETENT


def grade(
    *,
    goals_met: bool | None,
    satisfaction: Fraction | None,
    assessment_score: int | Fraction | Decimal | None = None,
    months_served: int,
    scheme: GradeScheme = DEFAULT_GRADE_SCHEME,
) -> GradeDecision:
    """The annual grade of one post holder (or the team) for one year.

    In order: fewer than ``min_months_served`` months → not graded (a mid-term successor
    starts with a clean record); goals not yet assessed → not graded; annual pledged goals
    not met → incompetent (§四.1); no valid ballot → not graded, a person looks; otherwise
    the satisfaction bands (and the score bands, if the district uses them).
    """
    facts: dict[str, Any] = {
        "months_served": months_served,
        "min_months": scheme.min_months_served,
        "goals_met": goals_met,
        "satisfaction": None if satisfaction is None else str(satisfaction),
        "rate": format_percent(satisfaction),
    }
    if months_served < scheme.min_months_served:
        return GradeDecision(
            None,
            "served_too_short",
            CLAUSE_ASSESSMENT,
            _(
                "Served %(months_served)s months this year, fewer than %(min_months)s; "
                "not graded this year."
            ),
            facts,
        )
    if goals_met is None:
        return GradeDecision(
            None,
            "goals_not_assessed",
            CLAUSE_ASSESSMENT,
            _("The annual pledged goals have not been assessed yet; not graded."),
            facts,
        )
    if goals_met is False:
        return GradeDecision(
            INCOMPETENT,
            "goals_not_met",
            CLAUSE_HONOURS,
            _(
                "The annual pledged work goals were not met, so the annual grade is "
                "incompetent and honours are withdrawn for the year."
            ),
            facts,
        )
    if satisfaction is None:
        return GradeDecision(
            None,
            "no_valid_ballots",
            CLAUSE_EVALUATION,
            _(
                "No valid ballot was cast in the democratic evaluation; not graded until "
                "a person has reviewed the round."
            ),
            facts,
        )
    by_rate = _band(satisfaction, scheme.satisfaction_bands)
    result = by_rate
    if scheme.score_bands is not None and assessment_score is not None:
        by_score = _band(_exact(assessment_score) / 100, scheme.score_bands)
        facts["score"] = str(assessment_score)
        facts["grade_by_score"] = by_score
        result = max(by_rate, by_score, key=GRADES.index)
    facts["grade_by_satisfaction"] = by_rate
    facts["grade"] = result
    return GradeDecision(result, "graded", CLAUSE_ASSESSMENT, _GRADED_MESSAGES[result], facts)
