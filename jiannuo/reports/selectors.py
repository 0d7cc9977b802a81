"""The annual report (§五.3 "违诺必究"): the figures of every step for a district or a township,
one row per township (district) or per village (township), with a totals row.

Everything is read from the steps' own data and selectors, in a fixed number of queries
whatever the number of villages:

- letters: signed letters in force for the year (``signing``) against the letters the
  roster calls for — the team letter plus one letter per team post, as ``pledges`` prepares
  them (``pledges.selectors.letters_due``: under 一肩挑 the secretary's letter covers the
  secretary's other posts);
- pledge items of the signed letters in force and the assessment group's verdicts
  (``evaluation.Verdict``);
- supervision's risk levels, from ``supervision.selectors.tracked`` (its own rules), for
  villages whose year is not confirmed yet;
- the democratic evaluation, from ``evaluation.facts.year_facts`` (the contract) — confirmed
  years only — and the grades from the confirmed ``PostResult`` rows (``year_facts`` does not
  carry the grade); thresholds are the district's settings for the year;
- accountability cases by stage and decided measures by kind.

Reports has no selector of its own in the other apps for letters expected, item verdicts,
grades and case counts: those are computed here from their models (read only).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiannuo.accountability import rules as acc_rules
from jiannuo.accountability.models import MEASURE_LABELS, Case
from jiannuo.core.permissions import has_perm, scope_paths, scope_q
from jiannuo.evaluation import rules as ev_rules
from jiannuo.evaluation.facts import year_facts
from jiannuo.evaluation.models import FULFILLED, NOT_FULFILLED, PARTLY, PostResult, YearResult
from jiannuo.organisation.models import Post, Term, Unit
from jiannuo.organisation.policy import policy_for
from jiannuo.pledges.models import PledgeItem
from jiannuo.pledges.selectors import letters_due
from jiannuo.signing.models import SignedLetter
from jiannuo.supervision import rules as sv_rules
from jiannuo.supervision import selectors as sv_selectors

PERM = "reports.view"

NOT_GRADED = "not_graded"
GRADE_KEYS = (*ev_rules.GRADES, NOT_GRADED)
GRADE_LABELS = {**ev_rules.GRADE_LABELS, NOT_GRADED: _("Not graded")}

# Stages of a case (accountability.rules.CASE_STATES grouped for a report).
PENDING, DECIDED, APPEALED, CARRIED_OUT, CLOSED = (
    "pending",
    "decided",
    "appealed",
    "carried_out",
    "closed",
)
STAGES = (PENDING, DECIDED, APPEALED, CARRIED_OUT, CLOSED)
STAGE_LABELS = {
    PENDING: _("Awaiting decision"),
    DECIDED: _("Decided, in force"),
    APPEALED: _("Under appeal, in force"),
    CARRIED_OUT: _("Carried out"),
    CLOSED: _("Dismissed or revoked"),
}
STAGE_OF = {
    **{s: PENDING for s in acc_rules.UNDECIDED},
    acc_rules.DECIDED: DECIDED,
    acc_rules.APPEALED: APPEALED,
    acc_rules.CARRIED_OUT: CARRIED_OUT,
    acc_rules.DISMISSED: CLOSED,
    acc_rules.REVOKED: CLOSED,
}
MEASURES = tuple(MEASURE_LABELS)


def current_day() -> date:
    """Today, for the letters' reference day (a function, so tests can pin it)."""
    return timezone.localdate()


def rate(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def rate_text(value: Fraction | None) -> str:
    """As the evaluation app shows rates: truncated to 2 decimals, never rounded up."""
    return ev_rules.format_percent(value)


@dataclass
class Figures:
    """The counts of one row (a village, a township or the total)."""

    villages: int = 0
    letters_expected: int = 0
    letters_signed: int = 0
    letters_published: int = 0
    items: int = 0
    fulfilled: int = 0
    partly: int = 0
    not_fulfilled: int = 0
    at_risk: int = 0
    overdue: int = 0
    villages_confirmed: int = 0
    rated: int = 0
    below_yellow: int = 0
    below_resignation: int = 0
    no_valid: int = 0
    grades: Counter = field(default_factory=Counter)
    stages: Counter = field(default_factory=Counter)
    measures: Counter = field(default_factory=Counter)
    #: The team's satisfaction rate (villages only; ``None``: no rate or not confirmed).
    team_rate: Fraction | None = None

    COUNTS = (
        "villages",
        "letters_expected",
        "letters_signed",
        "letters_published",
        "items",
        "fulfilled",
        "partly",
        "not_fulfilled",
        "at_risk",
        "overdue",
        "villages_confirmed",
        "rated",
        "below_yellow",
        "below_resignation",
        "no_valid",
    )

    def add(self, other: Figures) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.grades.update(other.grades)
        self.stages.update(other.stages)
        self.measures.update(other.measures)

    @property
    def not_assessed(self) -> int:
        return self.items - self.fulfilled - self.partly - self.not_fulfilled

    @property
    def fulfilment(self) -> Fraction | None:
        """Items fulfilled over pledged items (exact)."""
        return rate(self.fulfilled, self.items)

    @property
    def fulfilment_text(self) -> str:
        return rate_text(self.fulfilment)

    @property
    def team_rate_text(self) -> str:
        return rate_text(self.team_rate)

    @property
    def grade_list(self) -> list[int]:
        return [self.grades.get(g, 0) for g in GRADE_KEYS]

    @property
    def stage_list(self) -> list[int]:
        return [self.stages.get(s, 0) for s in STAGES]

    @property
    def measure_list(self) -> list[int]:
        return [self.measures.get(m, 0) for m in MEASURES]

    @property
    def cases(self) -> int:
        return sum(self.stages.values())

    def as_json(self) -> dict:
        out = {name: getattr(self, name) for name in self.COUNTS}
        out.update(
            not_assessed=self.not_assessed,
            fulfilment_rate=self.fulfilment_text,
            team_satisfaction=self.team_rate_text if self.team_rate is not None else None,
            grades={g: self.grades.get(g, 0) for g in GRADE_KEYS},
            cases={s: self.stages.get(s, 0) for s in STAGES},
            measures_decided={m: self.measures.get(m, 0) for m in MEASURES},
        )
        return out


@dataclass
class Row:
    unit: Unit
    figures: Figures

    @property
    def is_village(self) -> bool:
        return self.unit.kind == Unit.VILLAGE


@dataclass
class Report:
    unit: Unit
    year: int
    rows: list[Row]
    total: Figures
    yellow_below: str
    resignation_below: str

    @property
    def by_village(self) -> bool:
        return self.unit.kind == Unit.TOWNSHIP


# --------------------------------------------------------------------------- scope


def _scope_units(user) -> list[Unit]:
    """The districts and townships where ``user`` may read reports, top first."""
    paths = scope_paths(user, PERM)
    if not paths:
        return []
    q = Q(kind=Unit.DISTRICT) if "/" in paths else Q(path__in=paths)
    return list(
        Unit.objects.filter(q, kind__in=[Unit.DISTRICT, Unit.TOWNSHIP]).order_by("path")[:50]
    )


def unit_for(user, unit_id: int | None) -> Unit:
    """The district or township the report is for: ``unit_id`` if in scope, else the user's
    top unit. Outside the scope (or no reports at all: village roles, no role) → 404."""
    if unit_id is not None:
        unit = (
            Unit.objects.filter(
                scope_q(user, PERM, field=""), kind__in=[Unit.DISTRICT, Unit.TOWNSHIP], pk=unit_id
            )
            .select_related("parent")
            .first()
        )
        if unit is None:
            raise Http404
        return unit
    units = _scope_units(user)
    if not units:
        raise Http404
    return units[0]


def up_link(user, unit: Unit) -> Unit | None:
    """The unit above, when the user may read its report too (the district from a township)."""
    if unit.parent_id is None:
        return None
    parent = unit.parent
    return parent if has_perm(user, PERM, parent) else None


def years(unit: Unit) -> list[int]:
    """Years with signed letters or year-end results under ``unit``, latest first (1 query)."""
    signed = (
        SignedLetter.objects.filter(
            letter__village__path__startswith=unit.path,
            letter__year__isnull=False,
            signed_at__isnull=False,
        )
        .order_by()
        .values_list("letter__year", flat=True)
    )
    results = (
        YearResult.objects.filter(village__path__startswith=unit.path)
        .order_by()
        .values_list("year", flat=True)
    )
    return sorted({y for y in signed.union(results)}, reverse=True)


def default_year(available: list[int]) -> int:
    return available[0] if available else current_day().year


# --------------------------------------------------------------------------- figures


def _expected(villages: dict[int, Figures], unit: Unit, year: int) -> None:
    """The letters the roster calls for: the team's, the secretary's, one per other team post
    (posts, not people: under 一肩挑 the secretary's letter covers the other post), held on the
    year's reference day (today within the year, as ``pledges`` prepares them)."""
    term = Term.objects.filter(
        district_id=unit.district_id, start__year__lte=year, end__year__gte=year
    ).first()
    if term is None:
        return
    start, end = max(term.start, date(year, 1, 1)), min(term.end, date(year, 12, 31))
    ref_day = min(max(current_day(), start), end)
    posts = (
        Post.objects.filter(village__path__startswith=unit.path, kind__in=Post.TEAM, start__lte=end)
        .filter(Q(end__isnull=True) | Q(end__gte=ref_day))
        .order_by()
        .only("village_id", "kind", "person_id")
    )
    by_village: dict[int, list[Post]] = {}
    for post in posts:
        by_village.setdefault(post.village_id, []).append(post)
    for village_id, fig in villages.items():
        fig.letters_expected = len(letters_due(by_village.get(village_id, [])))


def _letters(villages: dict[int, Figures], unit: Unit, year: int) -> None:
    rows = (
        SignedLetter.objects.filter(
            letter__village__path__startswith=unit.path,
            letter__year=year,
            signed_at__isnull=False,
            superseded_at__isnull=True,
        )
        .order_by()
        .values("letter__village_id")
        .annotate(
            signed=Count("letter_id", distinct=True),
            published=Count("letter_id", filter=Q(published_at__isnull=False), distinct=True),
        )
    )
    for r in rows:
        fig = villages.get(r["letter__village_id"])
        if fig is not None:
            fig.letters_signed, fig.letters_published = r["signed"], r["published"]


def _items(villages: dict[int, Figures], unit: Unit, year: int) -> None:
    """Items of the signed letters in force and their verdicts."""
    rows = (
        PledgeItem.objects.filter(
            letter_version__letter__village__path__startswith=unit.path,
            letter_version__letter__year=year,
            letter_version__signed__signed_at__isnull=False,
            letter_version__signed__superseded_at__isnull=True,
        )
        .order_by()
        .values("letter_version__letter__village_id")
        .annotate(
            n=Count("id"),
            fulfilled=Count("id", filter=Q(verdict__verdict=FULFILLED)),
            partly=Count("id", filter=Q(verdict__verdict=PARTLY)),
            not_fulfilled=Count("id", filter=Q(verdict__verdict=NOT_FULFILLED)),
        )
    )
    for r in rows:
        fig = villages.get(r["letter_version__letter__village_id"])
        if fig is not None:
            fig.items = r["n"]
            fig.fulfilled, fig.partly = r["fulfilled"], r["partly"]
            fig.not_fulfilled = r["not_fulfilled"]


def _supervision(villages: dict[int, Figures], unit: Unit, year: int) -> None:
    """Items at risk or overdue now, by supervision's own rating (``tracked``) — only where the
    year's results are not yet confirmed: once they are, every item has the assessment group's
    verdict, and supervision's rating of the year in progress no longer says anything."""
    rows = sv_selectors.tracked(None, year=year, q=Q(letter__village__path__startswith=unit.path))
    for row in rows:
        fig = villages.get(row.signed.letter.village_id)
        if fig is None or fig.villages_confirmed:
            continue
        if row.level == sv_rules.AT_RISK:
            fig.at_risk += 1
        elif row.level == sv_rules.OVERDUE:
            fig.overdue += 1


def _evaluation(villages: dict[int, Figures], unit: Unit, year: int) -> tuple[str, str]:
    policy = policy_for(unit, year).accountability
    yellow, resignation = policy.yellow_card_below, policy.resignation_below
    confirmed = YearResult.objects.filter(
        village__path__startswith=unit.path, year=year, state=YearResult.CONFIRMED
    ).values_list("village_id", flat=True)
    for village_id in confirmed:
        if village_id in villages:
            villages[village_id].villages_confirmed = 1
    posts, teams = year_facts(list(villages), [year])
    for p in posts:
        fig = villages[p.village_id]
        if p.satisfaction is None:
            fig.no_valid += 1  # no valid ballot: no rate, no automatic measure (flagged)
            continue
        fig.rated += 1
        if ev_rules.is_below(p.satisfaction, yellow):
            fig.below_yellow += 1
        if ev_rules.is_below(p.satisfaction, resignation):
            fig.below_resignation += 1
    for t in teams:
        villages[t.village_id].team_rate = t.satisfaction
    grades = (
        PostResult.objects.filter(
            result__village__path__startswith=unit.path,
            result__year=year,
            result__state=YearResult.CONFIRMED,
            post__isnull=False,
        )
        .order_by()
        .values_list("result__village_id", "grade", "graded")
    )
    for village_id, grade, graded in grades:
        fig = villages.get(village_id)
        if fig is not None:
            fig.grades[grade if graded and grade in ev_rules.GRADES else NOT_GRADED] += 1
    return ev_rules.format_threshold(yellow), ev_rules.format_threshold(resignation)


def _accountability(villages: dict[int, Figures], unit: Unit, year: int) -> None:
    rows = (
        Case.objects.filter(village__path__startswith=unit.path, year=year)
        .order_by()
        .values("village_id", "state", "measure")
        .annotate(n=Count("id"))
    )
    for r in rows:
        fig = villages.get(r["village_id"])
        if fig is None:
            continue
        fig.stages[STAGE_OF.get(r["state"], PENDING)] += r["n"]
        if r["state"] in acc_rules.IN_FORCE:
            fig.measures[r["measure"]] += r["n"]


def report(unit: Unit, year: int) -> Report:
    """The report of ``unit`` (a district or a township) for ``year``: rows per township or
    per village, and the total. The caller checks the scope (``unit_for``)."""
    units = list(
        Unit.objects.filter(
            path__startswith=unit.path, kind__in=[Unit.TOWNSHIP, Unit.VILLAGE]
        ).order_by("path")
    )
    village_units = [u for u in units if u.kind == Unit.VILLAGE]
    villages = {v.pk: Figures(villages=1) for v in village_units}
    _expected(villages, unit, year)
    _letters(villages, unit, year)
    _items(villages, unit, year)
    yellow, resignation = _evaluation(villages, unit, year)
    _supervision(villages, unit, year)  # after _evaluation: it skips confirmed years
    _accountability(villages, unit, year)

    if unit.kind == Unit.DISTRICT:
        rows = []
        by_id = {}
        for t in units:
            if t.kind == Unit.TOWNSHIP and t.parent_id == unit.pk:
                by_id[t.pk] = Row(t, Figures())
                rows.append(by_id[t.pk])
        for v in village_units:
            row = by_id.get(v.parent_id)
            if row is not None:
                row.figures.add(villages[v.pk])
    else:
        rows = [Row(v, villages[v.pk]) for v in village_units if v.parent_id == unit.pk]
    total = Figures()
    for row in rows:
        total.add(row.figures)
    return Report(unit, year, rows, total, yellow, resignation)


def chart(rep: Report) -> dict:
    """ECharts data: items by verdict per row, and the grade distribution of the total."""
    verdicts = [
        ("fulfilled", _("Fulfilled"), lambda f: f.fulfilled),
        ("partly", _("Partly fulfilled"), lambda f: f.partly),
        ("not_fulfilled", _("Not fulfilled"), lambda f: f.not_fulfilled),
        ("not_assessed", _("Not yet assessed"), lambda f: f.not_assessed),
    ]
    return {
        "categories": [r.unit.name for r in rep.rows],
        "series": [
            {"key": key, "name": str(label), "data": [get(r.figures) for r in rep.rows]}
            for key, label, get in verdicts
        ],
        "grades": [
            {"key": g, "name": str(GRADE_LABELS[g]), "value": rep.total.grades.get(g, 0)}
            for g in GRADE_KEYS
        ],
    }


def column_labels() -> dict:
    """Column labels the page shares with the export (grades, case stages, measures)."""
    return {
        "grade_labels": [GRADE_LABELS[g] for g in GRADE_KEYS],
        "stage_labels": [STAGE_LABELS[s] for s in STAGES],
        "measure_labels": [MEASURE_LABELS[m] for m in MEASURES],
    }
