"""Which accountability measures the year's facts call for (seed §四 1–4; DOMAIN.md "Measures").

Plain Python: no ORM, no settings. ``assess`` takes one year's facts per post and per village
team, plus earlier years for "two years running", and returns *proposals*: a measure with the
clause and the facts that call for it. A proposal is never a decision; named township officials
decide (DOMAIN.md "Due process"). Cases the rules cannot settle come back as ``flags`` for a
person to look at.

The measures, by seed clause:

- §四.1 ``no_honours``: annual pledged work goals not met → grade 不称职, no honours that year.
- §四.2 ``economic_penalty``: a loss caused through poor management or dereliction (never an
  objective cause) → economic penalty and compensation under the letter's breach clause; one
  proposal per loss.
- §四.3 ``yellow_card``: pledges not met, or satisfaction below 60% → one yellow card per
  person, post and year, listing every reason.
- §四.3 ``resignation``: the team fails its pledges two years running or team satisfaction is
  below 50% → the branch secretary and the committee director: one demand per person naming
  every post they answer for, so under 一肩挑 one demand names both posts (``facts["posts"]``;
  a post-year's ``also_holds`` lists posts its letter covers) and no post is flagged vacant;
  a member fails two years running or their own satisfaction
  is below 50% → that member. One demand per person, post and year, listing every reason. The
  yellow card stays; the heavier proposal of a post-year is marked ``leading``.
- §四.4 ``criticism``: integrity pledge broken → notice of criticism by the township party
  committee. ``discipline_referral``: party or government discipline violated → referral to the
  competent body.

Defaults the seed leaves open (DOMAIN.md; each a district setting in ``PolicySettings``):

- "Two years running" means adjacent assessed years in the same post held by the same person
  (a successor starts with a clean record); a year without assessment breaks the chain; with
  ``chain_restarts_with_term`` a new term starts a new chain.
- No valid ballot (``satisfaction is None``) → no satisfaction-based measure; a flag instead.
- A post-year with ``graded=False`` (fewer than 6 months served) gets none of the measures that
  judge the year's assessment (§四.1, §四.3) and does not count towards a chain; if one would
  have fired, a flag asks a person to look. Measures for acts (§四.2, §四.4) still apply.

Facts are JSON-friendly plain values, so a service can store them in an audit row as they are.
Built for province scale (150,000 posts a year): one pass, dictionary look-ups, no nested scans.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _

from jiannuo.core.rules import INFO, WARN, Finding
from jiannuo.evaluation.rules import format_percent, format_threshold, is_below

# Post kinds. Any other kind is an ordinary team member.
BRANCH_SECRETARY = "branch_secretary"
COMMITTEE_DIRECTOR = "committee_director"
MEMBER = "member"

# What a proposal is about.
POST = "post"
TEAM = "team"

# Measures.
NO_HONOURS = "no_honours"
ECONOMIC_PENALTY = "economic_penalty"
YELLOW_CARD = "yellow_card"
RESIGNATION = "resignation"
CRITICISM = "criticism"
DISCIPLINE_REFERRAL = "discipline_referral"

CLAUSES = {
    NO_HONOURS: "§四.1",
    ECONOMIC_PENALTY: "§四.2",
    YELLOW_CARD: "§四.3",
    RESIGNATION: "§四.3",
    CRITICISM: "§四.4",
    DISCIPLINE_REFERRAL: "§四.4",
}

# Heavier measures rank higher; the heaviest proposal of a post-year (or team-year) leads.
SEVERITY_RANK = {
    NO_HONOURS: 10,
    CRITICISM: 20,
    ECONOMIC_PENALTY: 30,
    YELLOW_CARD: 40,
    DISCIPLINE_REFERRAL: 50,
    RESIGNATION: 60,
}

# Causes of a loss (§四.2). Only fault causes call for an economic penalty.
DERELICTION = "dereliction"
POOR_MANAGEMENT = "poor_management"
OBJECTIVE = "objective"
LOSS_CAUSES = (DERELICTION, POOR_MANAGEMENT, OBJECTIVE)

# Reasons (the rule ids listed in a proposal's facts["reasons"]).
GOALS_NOT_MET = "goals_not_met"
PLEDGES_NOT_MET = "pledges_not_met"
SATISFACTION_BELOW_YELLOW = "satisfaction_below_yellow_card"
PLEDGES_NOT_MET_RUNNING = "pledges_not_met_years_running"
SATISFACTION_BELOW_RESIGNATION = "satisfaction_below_resignation"
TEAM_PLEDGES_NOT_MET_RUNNING = "team_pledges_not_met_years_running"
TEAM_SATISFACTION_BELOW_RESIGNATION = "team_satisfaction_below_resignation"
LOSS_THROUGH_FAULT = "loss_through_fault"
INTEGRITY_PLEDGE_BROKEN = "integrity_pledge_broken"
DISCIPLINE_VIOLATED = "discipline_violated"

# Flags (rule ids of ``Outcome.flags``).
NO_VALID_BALLOTS = "no_valid_ballots"
PLEDGES_NOT_ASSESSED = "pledges_not_assessed"
NOT_GRADED_MEASURE_SKIPPED = "not_graded_measure_skipped"
TEAM_POST_VACANT = "team_post_vacant"
LOSS_CAUSE_UNKNOWN = "loss_cause_unknown"
LOSS_AMOUNT_INVALID = "loss_amount_invalid"
LOSS_WITHOUT_BREACH_CLAUSE = "loss_without_breach_clause"

Id = int | str

CLAUSE_ASSESSMENT = "§三.6"


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class PolicySettings:
    """District settings for §四 (versioned by year by the caller).

    Thresholds are percents compared exactly: satisfaction strictly below
    ``yellow_card_below`` → yellow card; strictly below ``resignation_below`` → resignation.
    """

    yellow_card_below: int | Fraction = 60
    resignation_below: int | Fraction = 50
    years_running: int = 2
    chain_restarts_with_term: bool = True
    team_resignation_posts: tuple[str, ...] = (BRANCH_SECRETARY, COMMITTEE_DIRECTOR)
    penalised_loss_causes: tuple[str, ...] = (DERELICTION, POOR_MANAGEMENT)

    def validate(self) -> list[Finding]:
        findings = []
        for name in ("yellow_card_below", "resignation_below"):
            value = getattr(self, name)
            if not isinstance(value, int | Fraction) or not 0 <= value <= 100:
                findings.append(
                    Finding(
                        rule="threshold_out_of_range",
                        clause=CLAUSES[YELLOW_CARD],
                        message=_("The %(setting)s threshold %(value)s must lie within 0–100."),
                        facts={"setting": name, "value": str(value)},
                    )
                )
        if not findings and self.resignation_below >= self.yellow_card_below:
            findings.append(
                Finding(
                    rule="thresholds_out_of_order",
                    clause=CLAUSES[RESIGNATION],
                    message=_(
                        "The resignation threshold %(resignation)s%% must be below the "
                        "yellow-card threshold %(yellow)s%%."
                    ),
                    facts={
                        "resignation": format_threshold(self.resignation_below),
                        "yellow": format_threshold(self.yellow_card_below),
                    },
                )
            )
        if not isinstance(self.years_running, int) or self.years_running < 2:
            findings.append(
                Finding(
                    rule="years_running_too_small",
                    clause=CLAUSES[RESIGNATION],
                    message=_('"Years running" must be at least 2, not %(value)s.'),
                    facts={"value": str(self.years_running)},
                )
            )
        if not self.team_resignation_posts:
            findings.append(
                Finding(
                    rule="team_resignation_posts_empty",
                    clause=CLAUSES[RESIGNATION],
                    message=_("At least one post must answer for the team's resignation."),
                    facts={},
                )
            )
        bad_causes = [c for c in self.penalised_loss_causes if c not in LOSS_CAUSES[:2]]
        if bad_causes:
            findings.append(
                Finding(
                    rule="penalised_cause_invalid",
                    clause=CLAUSES[ECONOMIC_PENALTY],
                    message=_(
                        "Only losses through poor management or dereliction may be penalised, "
                        "not: %(causes)s."
                    ),
                    facts={"causes": ", ".join(bad_causes)},
                )
            )
        return findings


DEFAULT_POLICY = PolicySettings()


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True, slots=True)
class Loss:
    """A loss to the collective or villagers (§四.2) found by the assessment."""

    amount: Decimal
    cause: str
    breach_clause: str = ""
    description: str = ""
    loss_id: Id | None = None
    # What the letter's clause says the cadre pays (§四.2): a share of the loss in percent or
    # a fixed sum (at most one), and the clause's measure as signed.
    clause_share: Decimal | None = None
    clause_amount: Decimal | None = None
    clause_measure: str = ""


def penalty_amount(
    loss: Decimal, share_percent: Decimal | None = None, fixed_amount: Decimal | None = None
) -> Decimal | None:
    """§四.2 "按承诺书约定给予经济处罚和赔偿": the sum the letter's clause calls for — its share of
    the loss (rounded to the fen, half up) or its fixed sum; ``None`` when the clause states
    neither, so a person sets it."""
    if share_percent is not None:
        return (Decimal(loss) * Decimal(share_percent) / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    if fixed_amount is not None:
        return Decimal(fixed_amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return None


# The fact classes are not ``frozen``: a frozen dataclass's __init__ sets each field through
# object.__setattr__, five times slower, and a province reads 300,000 of them per run. Treat
# them as immutable all the same (``dataclasses.replace`` for a changed copy); they hash by value.


@dataclass(slots=True, unsafe_hash=True)
class PostYear:
    """One post holder's facts for one year. Under 一肩挑 a person has one per post."""

    person_id: Id
    post_id: Id
    post_kind: str
    village_id: Id
    term_id: Id
    year: int
    assessed: bool
    graded: bool
    goals_met: bool | None
    pledges_met: bool | None
    satisfaction: Fraction | None
    losses: tuple[Loss, ...] = ()
    integrity_breaches: tuple[str, ...] = ()
    discipline_violations: tuple[str, ...] = ()
    # Other post kinds the same person holds in the village that year without facts of their
    # own (一肩挑: the secretary's letter covers the committee director's post too).
    also_holds: tuple[str, ...] = ()


@dataclass(slots=True, unsafe_hash=True)
class TeamYear:
    """The village team's facts for one year."""

    village_id: Id
    term_id: Id
    year: int
    assessed: bool
    pledges_met: bool | None
    satisfaction: Fraction | None
    goals_met: bool | None = None
    losses: tuple[Loss, ...] = ()
    integrity_breaches: tuple[str, ...] = ()


# --------------------------------------------------------------------------- output


@dataclass(slots=True)
class Proposal:
    """A measure the facts call for, for a township official to decide.

    ``subject`` is ``"post"`` (``person_id``/``post_id`` set) or ``"team"`` (both ``None``).
    ``reasons`` are the findings that fired, each readable on its own; ``facts`` merges their
    facts and lists their rule ids under ``"reasons"``. ``leading`` marks the heaviest proposal
    of its post-year (or team-year).
    """

    person_id: Id | None
    post_id: Id | None
    village_id: Id
    year: int
    measure: str
    clause: str
    facts: Mapping[str, Any]
    message: Any
    severity_rank: int
    subject: str = POST
    term_id: Id | None = None
    post_kind: str | None = None
    reasons: tuple[Finding, ...] = ()
    leading: bool = False


@dataclass(frozen=True)
class Outcome:
    proposals: list[Proposal] = field(default_factory=list)
    flags: list[Finding] = field(default_factory=list)


# --------------------------------------------------------------------------- messages

_MSG = {
    GOALS_NOT_MET: _(
        "The %(year)s pledged work goals were not met: the annual grade is incompetent "
        "and there are no honours for %(year)s."
    ),
    (TEAM, GOALS_NOT_MET): _(
        "The village team did not meet its %(year)s pledged work goals: the team is graded "
        "incompetent and has no honours for %(year)s."
    ),
    PLEDGES_NOT_MET: _(
        "The %(year)s pledges were not fulfilled: yellow-card warning from the township "
        "party committee."
    ),
    (TEAM, PLEDGES_NOT_MET): _(
        "The village team did not fulfil its %(year)s pledges: yellow-card warning to the "
        "team from the township party committee."
    ),
    SATISFACTION_BELOW_YELLOW: _(
        "Satisfaction %(rate)s is below %(threshold)s%% in the %(year)s democratic "
        "evaluation: yellow-card warning from the township party committee."
    ),
    (TEAM, SATISFACTION_BELOW_YELLOW): _(
        "Team satisfaction %(rate)s is below %(threshold)s%% in the %(year)s democratic "
        "evaluation: yellow-card warning to the team from the township party committee."
    ),
    YELLOW_CARD: _(
        "The %(year)s pledges were not fulfilled and satisfaction %(rate)s is below "
        "%(threshold)s%% in the democratic evaluation: yellow-card warning from the township "
        "party committee."
    ),
    (TEAM, YELLOW_CARD): _(
        "The village team did not fulfil its %(year)s pledges and team satisfaction %(rate)s "
        "is below %(threshold)s%%: yellow-card warning to the team from the township party "
        "committee."
    ),
    PLEDGES_NOT_MET_RUNNING: _(
        "The pledges of this post were not fulfilled %(years_running)s years running "
        "(%(chain_years)s): resignation is demanded."
    ),
    SATISFACTION_BELOW_RESIGNATION: _(
        "Satisfaction %(rate)s is below %(resignation_threshold)s%% in the %(year)s "
        "democratic evaluation: resignation is demanded."
    ),
    TEAM_PLEDGES_NOT_MET_RUNNING: _(
        "The village team did not fulfil its pledges %(years_running)s years running "
        "(%(team_chain_years)s): the branch secretary and the committee director are asked "
        "to resign."
    ),
    TEAM_SATISFACTION_BELOW_RESIGNATION: _(
        "Team satisfaction %(team_rate)s is below %(resignation_threshold)s%% in the %(year)s "
        "democratic evaluation: the branch secretary and the committee director are asked "
        "to resign."
    ),
    DERELICTION: _(
        "A loss of %(amount)s yuan was caused through dereliction of duty in %(year)s: "
        "economic penalty and compensation under breach clause %(breach_clause)s."
    ),
    POOR_MANAGEMENT: _(
        "A loss of %(amount)s yuan was caused through poor management in %(year)s: "
        "economic penalty and compensation under breach clause %(breach_clause)s."
    ),
    (DERELICTION, "share"): _(
        "A loss of %(amount)s yuan was caused through dereliction of duty in %(year)s: under "
        "breach clause %(breach_clause)s (“%(clause_measure)s”) the cadre pays "
        "%(clause_share)s%% of the loss, %(proposed_amount)s yuan proposed."
    ),
    (POOR_MANAGEMENT, "share"): _(
        "A loss of %(amount)s yuan was caused through poor management in %(year)s: under "
        "breach clause %(breach_clause)s (“%(clause_measure)s”) the cadre pays "
        "%(clause_share)s%% of the loss, %(proposed_amount)s yuan proposed."
    ),
    (DERELICTION, "fixed"): _(
        "A loss of %(amount)s yuan was caused through dereliction of duty in %(year)s: under "
        "breach clause %(breach_clause)s (“%(clause_measure)s”) the cadre pays a fixed "
        "%(proposed_amount)s yuan, proposed."
    ),
    (POOR_MANAGEMENT, "fixed"): _(
        "A loss of %(amount)s yuan was caused through poor management in %(year)s: under "
        "breach clause %(breach_clause)s (“%(clause_measure)s”) the cadre pays a fixed "
        "%(proposed_amount)s yuan, proposed."
    ),
    INTEGRITY_PLEDGE_BROKEN: _(
        "The integrity pledge was broken in %(year)s (%(breaches)s): notice of criticism by "
        "the township party committee."
    ),
    DISCIPLINE_VIOLATED: _(
        "Party or government discipline was violated in %(year)s (%(violations)s): referred "
        "to the competent body for a disciplinary sanction."
    ),
}

_FLAG_MSG = {
    NO_VALID_BALLOTS: _(
        "No valid ballot was cast in the %(year)s democratic evaluation, so there is no "
        "satisfaction rate and no measure follows from it; a person must review the round."
    ),
    PLEDGES_NOT_ASSESSED: _(
        "The %(year)s assessment has no verdict on the pledges; a person must complete it "
        "before measures can be proposed."
    ),
    NOT_GRADED_MEASURE_SKIPPED: _(
        "Served too briefly in %(year)s to be graded, so %(measures)s was not proposed; "
        "a person must decide whether it applies."
    ),
    TEAM_POST_VACANT: _(
        "The village team's %(year)s results call for the resignation of its %(post_kind)s, "
        "but no holder of that post is recorded for the year; a person must decide."
    ),
    LOSS_CAUSE_UNKNOWN: _(
        "A loss of %(amount)s yuan in %(year)s has no known cause (%(cause)s); a person must "
        "decide whether it came from poor management or dereliction."
    ),
    LOSS_AMOUNT_INVALID: _(
        "A loss recorded in %(year)s has amount %(amount)s; a loss must be a positive sum."
    ),
    LOSS_WITHOUT_BREACH_CLAUSE: _(
        "A loss of %(amount)s yuan in %(year)s names no breach clause of the letter; "
        "a person must set the penalty."
    ),
}


# --------------------------------------------------------------------------- the rules


def _post_counts(p: PostYear | None) -> bool:
    """Whether a post-year takes part in a chain: assessed and graded."""
    return p is not None and p.assessed and p.graded


def _post_chain(
    p: PostYear, posts: Mapping[tuple[Id, int, Id], PostYear], settings: PolicySettings
) -> list[int] | None:
    """The years of a "not fulfilled N years running" chain ending at ``p``, or ``None``."""
    years = [p.year]
    for year in range(p.year - 1, p.year - settings.years_running, -1):
        prev = posts.get((p.post_id, year, p.person_id))
        if not _post_counts(prev) or prev.pledges_met is not False:
            return None
        if settings.chain_restarts_with_term and prev.term_id != p.term_id:
            return None
        years.append(year)
    return sorted(years)


def _team_chain(
    t: TeamYear, teams: Mapping[tuple[Id, int], TeamYear], settings: PolicySettings
) -> list[int] | None:
    years = [t.year]
    for year in range(t.year - 1, t.year - settings.years_running, -1):
        prev = teams.get((t.village_id, year))
        if prev is None or not prev.assessed or prev.pledges_met is not False:
            return None
        if settings.chain_restarts_with_term and prev.term_id != t.term_id:
            return None
        years.append(year)
    return sorted(years)


# Hot paths read a Fraction's ``_numerator``/``_denominator`` slots: the public names are
# properties, and at province scale (hundreds of thousands of comparisons) the calls show.


def _line(threshold: int | Fraction) -> tuple[int, int]:
    """A threshold percent as an exact (numerator, denominator) pair."""
    t = Fraction(threshold)
    return t.numerator, t.denominator


# Each rule's message by subject, looked up once here rather than once per post.
_SUBJECT_MSG = {
    subject: {rule: _MSG.get((subject, rule), m) for rule, m in _MSG.items() if type(rule) is str}
    for subject in (POST, TEAM)
}

_object_new = object.__new__


def _finding(
    rule: str, clause: str, message: Any, facts: dict[str, Any], severity: str = WARN
) -> Finding:
    """``Finding(rule, clause, message, facts, severity)``, the same object built without the
    frozen dataclass's ``__init__`` (an ``object.__setattr__`` call per field, twice the cost:
    it shows at tens of thousands of reasons per province)."""
    f = _object_new(Finding)
    f.__dict__.update(rule=rule, clause=clause, message=message, facts=facts, severity=severity)
    return f


if (
    hasattr(Finding, "__slots__")
    or hasattr(Finding, "__post_init__")
    or tuple(Finding.__dataclass_fields__) != ("rule", "clause", "message", "facts", "severity")
):  # pragma: no cover - Finding changed shape: build it the ordinary way
    _finding = Finding


def _reason(rule: str, measure: str, facts: dict[str, Any], subject: str = POST) -> Finding:
    return _finding(rule, CLAUSES[measure], _SUBJECT_MSG[subject][rule], facts, WARN)


def _flag(
    rule: str, facts: dict[str, Any], severity: str = WARN, clause: str = CLAUSES[YELLOW_CARD]
) -> Finding:
    return _finding(rule, clause, _FLAG_MSG[rule], facts, severity)


def _ids(p: PostYear) -> dict[str, Any]:
    return {
        "person_id": p.person_id,
        "post_id": p.post_id,
        "post_kind": p.post_kind,
        "village_id": p.village_id,
        "year": p.year,
    }


def _team_ids(t: TeamYear) -> dict[str, Any]:
    return {"village_id": t.village_id, "year": t.year}


def _loss_measures(
    losses: tuple[Loss, ...], year: int, settings: PolicySettings, flags: list[Finding], ids: dict
) -> list[Finding]:
    """One §四.2 reason per loss through fault; flags for losses a person must look at."""
    reasons = []
    for loss in losses:
        facts = {
            "year": year,
            "amount": str(loss.amount),
            "cause": loss.cause,
            "breach_clause": loss.breach_clause or "—",
            "description": loss.description,
            "loss_id": loss.loss_id,
        }
        if loss.amount <= 0:
            flags.append(
                Finding(
                    LOSS_AMOUNT_INVALID,
                    CLAUSES[ECONOMIC_PENALTY],
                    _FLAG_MSG[LOSS_AMOUNT_INVALID],
                    {**ids, **facts},
                    WARN,
                )
            )
            continue
        if loss.cause not in LOSS_CAUSES:
            flags.append(
                Finding(
                    LOSS_CAUSE_UNKNOWN,
                    CLAUSES[ECONOMIC_PENALTY],
                    _FLAG_MSG[LOSS_CAUSE_UNKNOWN],
                    {**ids, **facts},
                    WARN,
                )
            )
            continue
        if loss.cause not in settings.penalised_loss_causes:
            continue  # an objective cause: no economic penalty (§四.2 needs fault)
        if not loss.breach_clause:
            flags.append(
                Finding(
                    LOSS_WITHOUT_BREACH_CLAUSE,
                    CLAUSES[ECONOMIC_PENALTY],
                    _FLAG_MSG[LOSS_WITHOUT_BREACH_CLAUSE],
                    {**ids, **facts},
                    INFO,
                )
            )
        message = _MSG[loss.cause]
        proposed = penalty_amount(loss.amount, loss.clause_share, loss.clause_amount)
        if proposed is not None and loss.breach_clause:
            facts["proposed_amount"] = str(proposed)
            facts["clause_measure"] = loss.clause_measure
            if loss.clause_share is not None:
                facts["clause_share"] = _percent_text(loss.clause_share)
                message = _MSG[(loss.cause, "share")]
            else:
                message = _MSG[(loss.cause, "fixed")]
        reasons.append(Finding(LOSS_THROUGH_FAULT, CLAUSES[ECONOMIC_PENALTY], message, facts, WARN))
    return reasons


def _percent_text(value: Decimal) -> str:
    """10.00 → "10", 12.50 → "12.5"."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _act_reasons(
    year: int, breaches: tuple[str, ...], violations: tuple[str, ...]
) -> list[tuple[str, Finding]]:
    out = []
    if breaches:
        facts = {"year": year, "breaches": "; ".join(breaches), "breach_list": list(breaches)}
        out.append((CRITICISM, _reason(INTEGRITY_PLEDGE_BROKEN, CRITICISM, facts)))
    if violations:
        facts = {
            "year": year,
            "violations": "; ".join(violations),
            "violation_list": list(violations),
        }
        out.append((DISCIPLINE_REFERRAL, _reason(DISCIPLINE_VIOLATED, DISCIPLINE_REFERRAL, facts)))
    return out


def _satisfaction_facts(rate: Fraction, key: str = "") -> dict[str, Any]:
    if type(rate) is Fraction and rate._numerator >= 0:
        # format_percent's truncation to hundredths, without its checks (hot at scale).
        hundredths = rate._numerator * 10000 // rate._denominator
        text = f"{hundredths // 100}.{hundredths % 100:02d}%"
    else:
        text = format_percent(rate)
    return {f"{key}rate": text, f"{key}satisfaction": str(rate)}


class _Context:
    """Settings plus what is computed once per run rather than once per post."""

    def __init__(self, settings: PolicySettings):
        self.settings = settings
        self.yellow_text = format_threshold(settings.yellow_card_below)
        self.resign_text = format_threshold(settings.resignation_below)
        self.yellow_line = _line(settings.yellow_card_below)
        self.resign_line = _line(settings.resignation_below)
        # A province has few distinct rates (small ballot counts): their facts are made once.
        self._satisfaction_facts: dict[tuple[int, int, str], dict[str, Any]] = {}

    def satisfaction_facts(self, rate, key: str = "") -> dict[str, Any]:
        """``_satisfaction_facts(rate, key)``, shared between posts: copy it before changing it."""
        if type(rate) is not Fraction:
            return _satisfaction_facts(rate, key)
        cache_key = (rate._numerator, rate._denominator, key)
        facts = self._satisfaction_facts.get(cache_key)
        if facts is None:
            facts = self._satisfaction_facts[cache_key] = _satisfaction_facts(rate, key)
        return facts

    def below_lines(self, rate) -> tuple[bool, bool]:
        """Whether ``rate`` is below (the yellow-card line, the resignation line): ``is_below``
        with each threshold's numerator and denominator computed once per run."""
        if type(rate) is Fraction:
            n = rate._numerator * 100
            d = rate._denominator
            (yn, yd), (rn, rd) = self.yellow_line, self.resign_line
            return n * yd < yn * d, n * rd < rn * d
        s = self.settings
        return is_below(rate, s.yellow_card_below), is_below(rate, s.resignation_below)


_YELLOW_CLAUSE = CLAUSES[YELLOW_CARD]
_RESIGNATION_CLAUSE = CLAUSES[RESIGNATION]
# Per subject: (its messages, chain rule, satisfaction rule, satisfaction facts key prefix).
_SUBJECT_RULES = {
    POST: (_SUBJECT_MSG[POST], PLEDGES_NOT_MET_RUNNING, SATISFACTION_BELOW_RESIGNATION, ""),
    TEAM: (
        _SUBJECT_MSG[TEAM],
        TEAM_PLEDGES_NOT_MET_RUNNING,
        TEAM_SATISFACTION_BELOW_RESIGNATION,
        "team_",
    ),
}


def _yellow_and_resignation(
    ctx: _Context,
    subject: str,
    year: int,
    pledges_met: bool | None,
    satisfaction: Fraction | None,
    chain: list[int] | None,
) -> tuple[list[Finding], list[Finding]]:
    """§四.3 reasons for one post-year or team-year: (yellow card, resignation)."""
    msg, chain_rule, sat_rule, key = _SUBJECT_RULES[subject]
    yellow: list[Finding] = []
    resign: list[Finding] = []
    if pledges_met is False:
        yellow.append(
            _finding(PLEDGES_NOT_MET, _YELLOW_CLAUSE, msg[PLEDGES_NOT_MET], {"year": year})
        )
    if satisfaction is not None:
        below_yellow, below_resign = ctx.below_lines(satisfaction)
    else:
        below_yellow = below_resign = False
    if below_yellow:
        facts = {"year": year, "threshold": ctx.yellow_text, **ctx.satisfaction_facts(satisfaction)}
        yellow.append(
            _finding(
                SATISFACTION_BELOW_YELLOW, _YELLOW_CLAUSE, msg[SATISFACTION_BELOW_YELLOW], facts
            )
        )
    if chain is not None:
        facts = {
            "year": year,
            "years_running": ctx.settings.years_running,
            f"{key}chain_years": ", ".join(map(str, chain)),
            f"{key}chain_year_list": chain,
        }
        resign.append(_finding(chain_rule, _RESIGNATION_CLAUSE, msg[chain_rule], facts))
    if below_resign:
        facts = {
            "year": year,
            "resignation_threshold": ctx.resign_text,
            **ctx.satisfaction_facts(satisfaction, key),
        }
        resign.append(_finding(sat_rule, _RESIGNATION_CLAUSE, msg[sat_rule], facts))
    return yellow, resign


def _emit(
    pending: list[tuple[str, list[Finding]]],
    out: list[Proposal],
    subject: str,
    person_id: Id | None,
    post_id: Id | None,
    village_id: Id,
    year: int,
    term_id: Id | None,
    post_kind: str | None,
) -> None:
    """Append one proposal per (measure, reasons); the heaviest (first of equals) leads."""
    if not pending:
        return
    lead = 0
    if len(pending) > 1:
        top = -1
        for i, (measure, _reasons) in enumerate(pending):
            rank = SEVERITY_RANK[measure]
            if rank > top:  # the first of equals leads
                lead, top = i, rank
    i = 0
    for measure, reasons in pending:
        if len(reasons) == 1:
            r = reasons[0]
            facts: dict[str, Any] = {**r.facts, "reasons": [r.rule]}
            message = r.message
        else:
            facts = {}
            for r in reasons:
                facts.update(r.facts)
            facts["reasons"] = [r.rule for r in reasons]
            message = reasons[0].message
            if measure == YELLOW_CARD:
                message = _SUBJECT_MSG[subject][YELLOW_CARD]
        out.append(
            Proposal(
                person_id,
                post_id,
                village_id,
                year,
                measure,
                CLAUSES[measure],
                facts,
                message,
                SEVERITY_RANK[measure],
                subject,
                term_id,
                post_kind,
                tuple(reasons),
                i == lead,
            )
        )
        i += 1


def _answering(
    holders: Iterable[PostYear], leader_kinds: tuple[str, ...]
) -> list[tuple[PostYear, list[str]]]:
    """Who answers for the team's resignation: per person, the post-year that carries the
    demand (of the post listed first in ``leader_kinds``) and the leader posts they hold."""
    rank = {k: i for i, k in enumerate(leader_kinds)}
    by_person: dict[Id, tuple[PostYear, set[str]]] = {}
    for p in holders:
        kinds = {k for k in (p.post_kind, *p.also_holds) if k in rank}
        seen = by_person.get(p.person_id)
        if seen is None:
            by_person[p.person_id] = (p, kinds)
            continue
        carrier = seen[0]
        if rank.get(p.post_kind, len(rank)) < rank.get(carrier.post_kind, len(rank)):
            carrier = p
        by_person[p.person_id] = (carrier, seen[1] | kinds)
    return [(p, sorted(kinds, key=rank.__getitem__)) for p, kinds in by_person.values()]


def assess(
    current: Iterable[PostYear],
    teams: Iterable[TeamYear] = (),
    history: Iterable[PostYear | TeamYear] = (),
    settings: PolicySettings = DEFAULT_POLICY,
) -> Outcome:
    """Proposals and flags for the post-years in ``current`` and team-years in ``teams``.

    ``history`` holds earlier years (posts and teams mixed) for "years running". Proposals
    come in input order: teams first, then posts; within one post-year (or team-year) the
    order is economic penalties, criticism, discipline referral, no honours, yellow card,
    resignation.
    """
    problems = [f for f in settings.validate() if f.blocking]
    if problems:
        raise ValueError(f"invalid policy settings: {[f.rule for f in problems]}")
    ctx = _Context(settings)
    current = list(current)
    teams = list(teams)

    # Only a year assessed with its pledges not fulfilled can extend a chain, so only those
    # are indexed (a later entry for the same key replaces an earlier one, as a lookup would).
    # A chain looks back from a year to earlier ones, so facts of the latest year given are
    # never looked up and need no index entry (most of a run's facts: one year's).
    post_index: dict[tuple[Id, int, Id], PostYear] = {}
    team_index: dict[tuple[Id, int], TeamYear] = {}
    # One pass over the year's posts: the years given, and who holds the posts that answer for
    # the team's resignation.
    leader_kinds = settings.team_resignation_posts
    holders: dict[tuple[Id, int], list[PostYear]] = defaultdict(list)
    years = {t.year for t in teams}
    add_year = years.add
    for p in current:
        add_year(p.year)
        if p.post_kind in leader_kinds or (
            p.also_holds and any(k in leader_kinds for k in p.also_holds)
        ):
            holders[(p.village_id, p.year)].append(p)
    latest = max(years, default=None)
    earlier = [x for x in (*current, *teams) if x.year != latest] if len(years) > 1 else []
    for item in (*history, *earlier):
        if type(item) is PostYear or isinstance(item, PostYear):
            key = (item.post_id, item.year, item.person_id)
            index = post_index
        else:
            key = (item.village_id, item.year)
            index = team_index
        if item.pledges_met is False and item.assessed:
            index[key] = item
        elif index:
            index.pop(key, None)
    proposals: list[Proposal] = []
    flags: list[Finding] = []
    # Team-driven resignation reasons, waiting for their post-year: (post, year, person).
    from_team: dict[tuple[Id, int, Id], list[Finding]] = {}
    from_team_posts: set[Id] = set()  # their posts, for a cheap first test

    yellow_num, yellow_den = _line(settings.yellow_card_below)
    for t in teams:
        sat = t.satisfaction
        if (
            not (t.losses or t.integrity_breaches)
            and t.assessed
            and t.goals_met is not False
            and t.pledges_met is True
            and type(sat) is Fraction
            and sat._numerator * 100 * yellow_den >= yellow_num * sat._denominator
        ):
            continue  # fast path: nothing fires, nothing to flag (see the post loop)
        pending: list[tuple[str, list[Finding]]] = []
        if t.losses:
            for reason in _loss_measures(t.losses, t.year, settings, flags, _team_ids(t)):
                pending.append((ECONOMIC_PENALTY, [reason]))
        if t.integrity_breaches:
            for measure, reason in _act_reasons(t.year, t.integrity_breaches, ()):
                pending.append((measure, [reason]))
        if t.assessed:
            if t.satisfaction is None:
                flags.append(_flag(NO_VALID_BALLOTS, {**_team_ids(t), "subject": TEAM}))
            if t.pledges_met is None:
                facts = {**_team_ids(t), "subject": TEAM}
                flags.append(_flag(PLEDGES_NOT_ASSESSED, facts, WARN, CLAUSE_ASSESSMENT))
            if t.goals_met is False:
                facts = {"year": t.year, "grade": "incompetent"}
                pending.append((NO_HONOURS, [_reason(GOALS_NOT_MET, NO_HONOURS, facts, TEAM)]))
            chain = _team_chain(t, team_index, settings) if t.pledges_met is False else None
            yellow, resign = _yellow_and_resignation(
                ctx, TEAM, t.year, t.pledges_met, t.satisfaction, chain
            )
            if yellow:
                pending.append((YELLOW_CARD, yellow))
            if resign:
                answering = _answering(holders.get((t.village_id, t.year), ()), leader_kinds)
                found = {k for _p, kinds in answering for k in kinds}
                for kind in settings.team_resignation_posts:
                    if kind not in found:
                        facts = {**_team_ids(t), "post_kind": kind}
                        flags.append(_flag(TEAM_POST_VACANT, facts))
                # One demand per person, naming every post they answer for (一肩挑: one case
                # for the secretary-director, never two).
                for p, kinds in answering:
                    named = [
                        dataclasses.replace(r, facts={**r.facts, "posts": kinds}) for r in resign
                    ]
                    from_team.setdefault((p.post_id, p.year, p.person_id), []).extend(named)
                    from_team_posts.add(p.post_id)
        _emit(pending, proposals, TEAM, None, None, t.village_id, t.year, t.term_id, None)

    for p in current:
        # Fast path (most posts at province scale): nothing fires and nothing is flagged when
        # there are no acts, no reasons from the team, and the year either was not assessed or
        # was assessed with goals and pledges met and satisfaction not below the yellow-card
        # line (hence not below the lower resignation line either), graded or not (a post not
        # graded is flagged only when a measure would have fired).
        sat = p.satisfaction
        if (
            not p.assessed
            or (
                p.goals_met is True
                and p.pledges_met is True
                and type(sat) is Fraction
                and sat._numerator * 100 * yellow_den >= yellow_num * sat._denominator
            )
        ) and not (
            p.losses
            or p.integrity_breaches
            or p.discipline_violations
            or (p.post_id in from_team_posts and (p.post_id, p.year, p.person_id) in from_team)
        ):
            continue
        pending = []
        # §四.2 and §四.4 answer for acts, whatever the assessment.
        if p.losses:
            for reason in _loss_measures(p.losses, p.year, settings, flags, _ids(p)):
                pending.append((ECONOMIC_PENALTY, [reason]))
        if p.integrity_breaches or p.discipline_violations:
            for measure, reason in _act_reasons(
                p.year, p.integrity_breaches, p.discipline_violations
            ):
                pending.append((measure, [reason]))

        honours: list[Finding] = []
        yellow: list[Finding] = []
        resign: list[Finding] = []
        if p.assessed:
            if p.goals_met is False:
                facts = {"year": p.year, "grade": "incompetent"}
                honours.append(_reason(GOALS_NOT_MET, NO_HONOURS, facts))
            chain = _post_chain(p, post_index, settings) if p.pledges_met is False else None
            yellow, resign = _yellow_and_resignation(ctx, POST, p.year, p.pledges_met, sat, chain)
        # The team's results call for this post's resignation whatever its own assessment.
        team_reasons = (
            from_team.get((p.post_id, p.year, p.person_id))
            if p.post_id in from_team_posts
            else None
        )
        if team_reasons:
            resign = resign + team_reasons
        if not p.graded:
            skipped = [
                m
                for m, rs in ((NO_HONOURS, honours), (YELLOW_CARD, yellow), (RESIGNATION, resign))
                if rs
            ]
            if skipped:
                facts = {**_ids(p), "measures": ", ".join(skipped)}
                flags.append(_flag(NOT_GRADED_MEASURE_SKIPPED, facts, INFO, CLAUSE_ASSESSMENT))
        else:
            if p.assessed and p.satisfaction is None:
                flags.append(_flag(NO_VALID_BALLOTS, {**_ids(p), "subject": POST}))
            if p.assessed and p.pledges_met is None:
                facts = {**_ids(p), "subject": POST}
                flags.append(_flag(PLEDGES_NOT_ASSESSED, facts, WARN, CLAUSE_ASSESSMENT))
            if honours:
                pending.append((NO_HONOURS, honours))
            if yellow:
                pending.append((YELLOW_CARD, yellow))
            if resign:
                pending.append((RESIGNATION, resign))
        _emit(
            pending,
            proposals,
            POST,
            p.person_id,
            p.post_id,
            p.village_id,
            p.year,
            p.term_id,
            p.post_kind,
        )

    return Outcome(proposals=proposals, flags=flags)


def propose(
    current: Iterable[PostYear],
    teams: Iterable[TeamYear] = (),
    history: Iterable[PostYear | TeamYear] = (),
    settings: PolicySettings = DEFAULT_POLICY,
) -> list[Proposal]:
    """The proposals of ``assess``, without the flags."""
    return assess(current, teams, history, settings).proposals


# --------------------------------------------------------------------------- the case workflow
#
# A proposal becomes a case; people carry it through a fair procedure (DOMAIN.md "Due
# process"): the cadre may reply (申辩) within the reply window, named township officials decide
# (a resignation demand needs a second approver, a different person), the cadre may appeal
# (申诉) within the appeal window while the measure stays in force, the appeal is decided by
# someone who took no part in the decision, and the measure is carried out.

PROPOSED = "proposed"
REPLIED = "replied"
AWAITING_APPROVAL = "awaiting_approval"
DECIDED = "decided"
APPEALED = "appealed"
CARRIED_OUT = "carried_out"
DISMISSED = "dismissed"
REVOKED = "revoked"

CASE_STATES = (
    PROPOSED,
    REPLIED,
    AWAITING_APPROVAL,
    DECIDED,
    APPEALED,
    CARRIED_OUT,
    DISMISSED,
    REVOKED,
)
#: States in which the measure applies: decided, under appeal (it stays in force), carried out.
IN_FORCE = (DECIDED, APPEALED, CARRIED_OUT)
#: States before a decision.
UNDECIDED = (PROPOSED, REPLIED, AWAITING_APPROVAL)
#: Final states.
CLOSED = (CARRIED_OUT, DISMISSED, REVOKED)

#: The workflow as data: (state, action) → next state. Each action has a guard in services.
TRANSITIONS: dict[tuple[str, str], str] = {
    (PROPOSED, "reply"): REPLIED,
    (PROPOSED, "waive"): REPLIED,
    (PROPOSED, "decide"): DECIDED,
    (REPLIED, "decide"): DECIDED,
    (PROPOSED, "decide_for_approval"): AWAITING_APPROVAL,
    (REPLIED, "decide_for_approval"): AWAITING_APPROVAL,
    (PROPOSED, "dismiss"): DISMISSED,
    (REPLIED, "dismiss"): DISMISSED,
    (AWAITING_APPROVAL, "approve"): DECIDED,
    (AWAITING_APPROVAL, "reject"): REPLIED,
    (DECIDED, "appeal"): APPEALED,
    (APPEALED, "uphold"): DECIDED,
    (APPEALED, "overturn"): REVOKED,
    (DECIDED, "carry_out"): CARRIED_OUT,
}
ACTIONS = tuple(dict.fromkeys(a for _s, a in TRANSITIONS))

#: Measures whose decision needs a second approver (DOMAIN: forced resignation needs two).
SECOND_APPROVAL = (RESIGNATION,)

# Posts of the village committee (elected; 组织法 Art. 11) and of the party branch.
COMMITTEE_POSTS = ("committee_director", "committee_deputy_director", "committee_member")
PARTY_POSTS = ("branch_secretary", "branch_deputy_secretary", "branch_committee_member")

# How a measure is carried out (the outcome recorded with ``carry_out``).
RESIGNATION_ACCEPTED = "resignation_accepted"
RECALLED = "recalled"
RECALL_FAILED = "recall_failed"
TERMINATED_TWO_INCOMPETENT = "terminated_two_incompetent"
PARTY_PROCEDURE = "party_procedure"
PENALTY_PAID = "penalty_paid"
NOTICE_ISSUED = "notice_issued"
WARNING_ISSUED = "warning_issued"
HONOURS_WITHHELD = "honours_withheld"
SANCTION_RECORDED = "sanction_recorded"
NO_SANCTION = "no_sanction"

#: Outcomes that leave the post vacant.
VACATING = (RESIGNATION_ACCEPTED, RECALLED, TERMINATED_TWO_INCOMPETENT, PARTY_PROCEDURE)

#: The sanctions a competent body may impose (§四.4; DOMAIN.md "Measures").
SANCTIONS = ("warning", "serious_warning", "removal_from_party_post", "probation", "expulsion")


def needs_second_approval(measure: str) -> bool:
    return measure in SECOND_APPROVAL


def decide_action(measure: str) -> str:
    """The workflow action that records a township decision to apply ``measure``."""
    return "decide_for_approval" if needs_second_approval(measure) else "decide"


def next_state(state: str, action: str) -> str | None:
    return TRANSITIONS.get((state, action))


def carry_out_outcomes(measure: str, post_kind: str | None) -> tuple[str, ...]:
    """The ways ``measure`` may be carried out for a post of ``post_kind``.

    A village committee post follows the legal path (组织法 Art. 11: no organisation may remove
    an elected member): the resignation is accepted, a recall vote (罢免) removes the member or
    fails, or the post ends after two consecutive 不称职 evaluations. A party post follows party
    procedure. A team-level measure has no post.
    """
    if measure == RESIGNATION:
        if post_kind in COMMITTEE_POSTS:
            return (RESIGNATION_ACCEPTED, RECALLED, RECALL_FAILED, TERMINATED_TWO_INCOMPETENT)
        return (RESIGNATION_ACCEPTED, PARTY_PROCEDURE)
    return {
        ECONOMIC_PENALTY: (PENALTY_PAID,),
        CRITICISM: (NOTICE_ISSUED,),
        YELLOW_CARD: (WARNING_ISSUED,),
        NO_HONOURS: (HONOURS_WITHHELD,),
        DISCIPLINE_REFERRAL: (SANCTION_RECORDED, NO_SANCTION),
    }[measure]


def carry_out_outcomes_for(measure: str, post_kinds) -> tuple[str, ...]:
    """The ways to carry out ``measure`` for a case naming ``post_kinds`` (under 一肩挑 both a
    party and a committee post: the ways of either, in order, without repeats)."""
    out: dict[str, None] = {}
    for kind in list(post_kinds) or [None]:
        out.update(dict.fromkeys(carry_out_outcomes(measure, kind)))
    return tuple(out)


def case_key(p: Proposal, index: int = 0) -> str:
    """One case per person, post, year and measure (per village, year and measure for the
    team); a second loss of the same post-year is a second economic-penalty case."""
    suffix = f":{index}" if index else ""
    if p.measure == ECONOMIC_PENALTY and p.facts.get("loss_id") is not None:
        suffix = f":loss{p.facts['loss_id']}{suffix}"
    if p.subject == TEAM:
        return f"team:{p.village_id}:{p.year}:{p.measure}{suffix}"
    return f"post:{p.person_id}:{p.post_id}:{p.year}:{p.measure}{suffix}"


def keyed(proposals: Iterable[Proposal]) -> dict[str, Proposal]:
    """Proposals by case key, numbering repeated keys (several losses) in order."""
    out: dict[str, Proposal] = {}
    seen: dict[str, int] = defaultdict(int)
    for p in proposals:
        base = case_key(p)
        n = seen[base]
        seen[base] += 1
        out[case_key(p, n)] = p
    return out
