"""Where the accountability step gets its facts: the confirmed year-end results of evaluation.

``collect(township, year)`` is the one place that reads them (``evaluation.facts.year_facts``)
for ``year`` and the earlier years a "years running" chain needs. Services take an optional
``facts=`` override instead, so rules and workflow can be tested without building a whole
evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiannuo.organisation.models import Unit

from .rules import PolicySettings, PostYear, TeamYear


@dataclass
class YearFacts:
    """One township's year: the year's post-years and team-years, and earlier years."""

    current: list[PostYear] = field(default_factory=list)
    teams: list[TeamYear] = field(default_factory=list)
    history: list[PostYear | TeamYear] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.current and not self.teams


def split(year: int, posts: list[PostYear], teams: list[TeamYear]) -> YearFacts:
    """Sort facts of several years into the year's and the earlier ones."""
    out = YearFacts()
    for p in posts:
        (out.current if p.year == year else out.history).append(p)
    for t in teams:
        (out.teams if t.year == year else out.history).append(t)
    return out


def collect(township: Unit, year: int, settings: PolicySettings) -> YearFacts:
    """The confirmed facts of ``township``'s villages for ``year`` and the years before it
    that a chain of ``settings.years_running`` years needs (nothing for unconfirmed years)."""
    try:
        from jiannuo.evaluation.facts import year_facts
    except ImportError:  # the evaluation step is not installed: no confirmed facts
        return YearFacts()
    villages = list(
        Unit.objects.filter(parent=township, kind=Unit.VILLAGE).values_list("pk", flat=True)
    )
    years = list(range(year - settings.years_running + 1, year + 1))
    posts, teams = year_facts(villages, years)
    return split(year, posts, teams)
