"""Reads of the opinions step, scoped to what the user may see, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from jiannuo.core.permissions import has_perm, scope_q
from jiannuo.organisation.models import Term, Unit

from .models import (
    ConsultationMeeting,
    HotIssue,
    HouseholdVisit,
    Opinion,
    TaskAssignment,
    TownshipTask,
)

# Later steps say which required answers a pledge item already answers: each function takes
# (village ids, year) and returns the set of refs ("task:<pk>", "hot_issue:<pk>") answered.
# The pledges app registers one from its apps.ready(); until then every task is "not yet
# answered".
ANSWERED_BY: list[Callable[[Iterable[int], int | None], set[str]]] = []


def answered_refs(village_ids: Iterable[int], year: int | None) -> set[str]:
    ids = list(village_ids)
    out: set[str] = set()
    for fn in ANSWERED_BY:
        out |= set(fn(ids, year))
    return out


# --- Units, terms, years ----------------------------------------------------------------------


def get_village(user, pk, perm: str = "opinions.view") -> Unit:
    """The village, or 404 when it does not exist, is not a village or lies outside the scope."""
    unit = Unit.objects.filter(pk=pk, kind=Unit.VILLAGE).select_related("parent").first()
    if unit is None or not has_perm(user, perm, unit):
        raise Http404
    return unit


def get_township(user, pk, perm: str = "opinions.view") -> Unit:
    unit = Unit.objects.filter(pk=pk, kind=Unit.TOWNSHIP).first()
    if unit is None or not has_perm(user, perm, unit):
        raise Http404
    return unit


def public_village(code: str) -> Unit:
    """The village of a public opinion link (its code), or 404."""
    unit = Unit.objects.filter(code=code, kind=Unit.VILLAGE).select_related("parent").first()
    if unit is None:
        raise Http404
    return unit


def current_term(unit: Unit, day=None) -> Term | None:
    """The term running on ``day`` in the unit's district, else the latest one that started."""
    day = day or timezone.localdate()
    terms = Term.objects.filter(district_id=unit.district_id, start__lte=day).order_by("-start")
    return terms.filter(end__gte=day).first() or terms.first()


def default_year(term: Term, day=None) -> int:
    year = (day or timezone.localdate()).year
    return min(max(year, term.start.year), term.end.year)


def get_term(unit: Unit, pk) -> Term:
    term = Term.objects.filter(pk=pk, district_id=unit.district_id).first()
    if term is None:
        raise Http404
    return term


def year_q(year: int | None, field: str = "year") -> Q:
    """Exactly this year; ``None`` is the whole term."""
    return Q(**{f"{field}__isnull": True}) if year is None else Q(**{field: year})


def visible_villages(user, perm: str = "opinions.view"):
    return Unit.objects.filter(scope_q(user, perm, field=""), kind=Unit.VILLAGE).select_related(
        "parent"
    )


def visible_townships(user, perm: str):
    """Townships where ``user`` holds ``perm`` (held at the township or above)."""
    return [
        u
        for u in Unit.objects.filter(kind=Unit.TOWNSHIP).order_by("path")
        if has_perm(user, perm, u)
    ]


def villages_summary(villages) -> dict[int, dict]:
    """Per village, for the current year of its current term: opinions, ungrouped opinions,
    proposed and accepted issues, open tasks. Fixed number of queries."""
    if not villages:
        return {}
    today = timezone.localdate()
    terms = {
        t.district_id: t
        for t in Term.objects.filter(
            district_id__in={v.district_id for v in villages}, start__lte=today, end__gte=today
        )
    }
    ids = [v.pk for v in villages]
    year = today.year
    term_ids = [t.pk for t in terms.values()]
    out: dict[int, dict] = {
        v.pk: {
            "term": terms.get(v.district_id),
            "year": year,
            "opinions": 0,
            "ungrouped": 0,
            "proposed": 0,
            "accepted": 0,
            "tasks": 0,
        }
        for v in villages
    }
    rows = (
        Opinion.objects.filter(village_id__in=ids, term_id__in=term_ids, year=year)
        .values("village_id")
        .annotate(n=Count("id"), free=Count("id", filter=Q(hot_issue__isnull=True)))
    )
    for r in rows:
        out[r["village_id"]].update(opinions=r["n"], ungrouped=r["free"])
    rows = (
        HotIssue.objects.filter(village_id__in=ids, term_id__in=term_ids)
        .filter(Q(year=year) | Q(year__isnull=True))
        .values("village_id")
        .annotate(
            proposed=Count("id", filter=Q(status=HotIssue.PROPOSED)),
            accepted=Count("id", filter=Q(status=HotIssue.ACCEPTED)),
        )
    )
    for r in rows:
        out[r["village_id"]].update(proposed=r["proposed"], accepted=r["accepted"])
    assignments = list(
        TaskAssignment.objects.filter(
            village_id__in=ids, task__year=year, not_adopted_reason=""
        ).values_list("pk", "village_id")
    )
    answered = answered_refs(ids, year) if assignments else set()
    for pk, village_id in assignments:
        if f"task:{pk}" not in answered:
            out[village_id]["tasks"] += 1
    return out


# --- Opinions, meetings, visits ---------------------------------------------------------------


def village_opinions(village: Unit, term: Term, year: int | None):
    return (
        Opinion.objects.filter(village=village, term=term)
        .filter(year_q(year))
        .select_related("hot_issue", "meeting", "visit")
        .order_by("-created_at", "-id")
    )


def unassigned_opinions(village: Unit, term: Term, year: int | None):
    return Opinion.objects.filter(village=village, term=term, hot_issue__isnull=True).filter(
        year_q(year)
    )


def village_meetings(village: Unit, term: Term, year: int | None):
    return (
        ConsultationMeeting.objects.filter(village=village, term=term)
        .filter(year_q(year))
        .annotate(n_opinions=Count("opinions"))
        .order_by("-date", "-id")
    )


def village_visits(village: Unit, term: Term, year: int | None):
    return (
        HouseholdVisit.objects.filter(village=village, term=term)
        .filter(year_q(year))
        .annotate(n_opinions=Count("opinions"))
        .order_by("-date", "-id")
    )


def source_counts(village: Unit, term: Term, year: int | None) -> dict[str, int]:
    rows = (
        Opinion.objects.filter(village=village, term=term)
        .filter(year_q(year))
        .values("source")
        .annotate(n=Count("id"))
    )
    counts = {key: 0 for key, _label in Opinion.SOURCES}
    for row in rows:
        counts[row["source"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts


# --- Hot issues -------------------------------------------------------------------------------


def village_issues(village: Unit, term: Term, year: int | None):
    return (
        HotIssue.objects.filter(village=village, term=term)
        .filter(year_q(year))
        .annotate(n_opinions=Count("opinions"))
        .select_related("merged_into")
        .order_by("status", "-n_opinions", "id")
    )


def get_issue(user, pk, perm: str = "opinions.view") -> HotIssue:
    issue = HotIssue.objects.select_related("village", "village__parent", "term").filter(pk=pk)
    issue = issue.first()
    if issue is None or not has_perm(user, perm, issue.village):
        raise Http404
    return issue


def issue_opinions(issue: HotIssue):
    return issue.opinions.order_by("id")


def mergeable_issues(issue: HotIssue):
    """Other proposed issues of the same village, term and year."""
    return (
        HotIssue.objects.filter(
            village_id=issue.village_id, term_id=issue.term_id, status=HotIssue.PROPOSED
        )
        .filter(year_q(issue.year))
        .exclude(pk=issue.pk)
        .annotate(n_opinions=Count("opinions"))
        .order_by("-n_opinions", "id")
    )


# --- Township tasks ---------------------------------------------------------------------------


@dataclass
class AssignmentRow:
    assignment: TaskAssignment
    answered: bool

    @property
    def status(self) -> str:
        if self.assignment.not_adopted_reason:
            return "not_adopted"
        return "answered" if self.answered else "open"


def village_assignments(village: Unit, year: int | None) -> list[AssignmentRow]:
    rows = list(
        TaskAssignment.objects.filter(village=village)
        .filter(year_q(year, "task__year") if year is not None else Q())
        .select_related("task", "task__township")
        .order_by("task__deadline", "id")
    )
    answered = answered_refs([village.pk], year)
    return [AssignmentRow(a, a.ref in answered) for a in rows]


def township_tasks(township: Unit, year: int | None = None):
    assignments = TaskAssignment.objects.select_related("village").order_by("village__path")
    tasks = TownshipTask.objects.filter(township=township)
    if year is not None:
        tasks = tasks.filter(year=year)
    return tasks.select_related("issued_by").prefetch_related(
        Prefetch("assignments", queryset=assignments)
    )


def get_assignment(user, pk, perm: str = "opinions.view") -> TaskAssignment:
    a = TaskAssignment.objects.select_related("task", "village", "task__township").filter(pk=pk)
    a = a.first()
    if a is None or not has_perm(user, perm, a.village):
        raise Http404
    return a


def get_task(user, pk, perm: str = "opinions.view") -> TownshipTask:
    task = TownshipTask.objects.select_related("township").filter(pk=pk).first()
    if task is None or not has_perm(user, perm, task.township):
        raise Http404
    return task


def township_villages(township: Unit):
    return Unit.objects.filter(kind=Unit.VILLAGE, parent=township).order_by("path")


# --- What the pledges must answer (§三.1–2) -------------------------------------------------


def required_answers(village: Unit, term: Term, year: int | None):
    """The accepted hot issues and township tasks a letter of ``village`` must answer (§三.1).

    Hot issues: accepted ones of this village and term whose year is ``year`` or the whole term
    (null). Tasks: the village's assignments of tasks for ``year`` (none for a term letter,
    ``year=None``: tasks are set per year). ``adopted=False`` where a not-adopted reason is
    recorded. Refs are ``hot_issue:<pk>`` and ``task:<assignment pk>``.
    """
    from jiannuo.pledges.rules import RequiredAnswer

    issues = HotIssue.objects.filter(village=village, term=term, status=HotIssue.ACCEPTED)
    issues = issues.filter(
        Q(year__isnull=True) | Q(year=year) if year is not None else Q(year=None)
    )
    out = [
        RequiredAnswer(ref=i.ref, label=i.label, source="hot_issue", adopted=i.adopted)
        for i in issues.order_by("id")
    ]
    if year is not None:
        assignments = (
            TaskAssignment.objects.filter(village=village, task__year=year)
            .select_related("task")
            .order_by("task__deadline", "id")
        )
        out += [
            RequiredAnswer(ref=a.ref, label=a.task.title, source="township_task", adopted=a.adopted)
            for a in assignments
        ]
    return out
