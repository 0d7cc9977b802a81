"""Reads of pledge letters, scoped to what the user may see, in a fixed number of queries.

Also the glue between the database and ``rules.py``: letters become ``LetterDraft``s, the
opinions app supplies the issues a team letter must answer, and findings are explained in
words with the facts made readable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from jiannuo.core.models import Transition
from jiannuo.core.permissions import has_perm, scope_q
from jiannuo.organisation.models import Post, Term, Unit

from . import rules
from .models import (
    BREACH_LABELS,
    CATEGORY_LABELS,
    STATE_LABELS,
    BreachClause,
    Consultation,
    JointMeeting,
    Letter,
    LetterVersion,
    PledgeItem,
)

KIND_ORDER = {Letter.TEAM: 0, Letter.SECRETARY: 1, Letter.MEMBER: 2}


# --- Letters and periods ---------------------------------------------------------------------


def visible_letters(user, perm: str = "pledges.view"):
    return Letter.objects.filter(scope_q(user, perm))


def get_letter(user, pk, perm: str = "pledges.view") -> Letter:
    """The letter, or 404 when it does not exist or lies outside the user's scope."""
    letter = (
        Letter.objects.select_related("village__parent", "term", "post__person")
        .filter(pk=pk)
        .first()
    )
    if letter is None or not has_perm(user, perm, letter.village):
        raise Http404
    return letter


def get_village(user, pk, perm: str = "pledges.view") -> Unit:
    unit = Unit.objects.filter(pk=pk, kind=Unit.VILLAGE).select_related("parent").first()
    if unit is None or not has_perm(user, perm, unit):
        raise Http404
    return unit


def current_term(unit: Unit, day: date | None = None) -> Term | None:
    day = day or timezone.localdate()
    terms = Term.objects.filter(district_id=unit.district_id, start__lte=day).order_by("-start")
    return terms.filter(end__gte=day).first() or terms.first()


def resolve_period(village: Unit, period: str) -> tuple[Term, int | None]:
    """``"term"`` → the current term's term letters; ``"2026"`` → that year's letters."""
    if period == "term":
        term = current_term(village)
        if term is None:
            raise Http404
        return term, None
    if period.startswith("term-") and period[5:].isdigit():
        term = Term.objects.filter(pk=int(period[5:]), district_id=village.district_id).first()
        if term is None:
            raise Http404
        return term, None
    if not period.isdigit():
        raise Http404
    year = int(period)
    term = Term.objects.filter(
        district_id=village.district_id, start__year__lte=year, end__year__gte=year
    ).first()
    if term is None:
        raise Http404
    return term, year


def period_slug(year: int | None, term: Term | None = None) -> str:
    """``"2026"`` for a year; for term letters ``"term-<id>"`` when the term is known (e.g.
    the next term, prepared before it starts), else ``"term"`` (the current term's)."""
    if year:
        return str(year)
    if term is not None:
        return f"term-{term.pk}"
    return "term"


def default_year(day: date | None = None) -> int:
    return (day or timezone.localdate()).year


def letters_due(posts) -> list[tuple[str, object]]:
    """§三.3, posts not people: the letters a village's team posts (objects with ``kind`` and
    ``person_id``) call for, as (letter kind, post or ``None``) — one team letter; the branch
    secretary's own letter, which under 一肩挑 covers the secretary's other posts too; one member
    letter per other team post."""
    secretary_people = {p.person_id for p in posts if p.kind == Post.BRANCH_SECRETARY}
    due: list[tuple[str, object]] = [(Letter.TEAM, None)]
    due += [(Letter.SECRETARY, p) for p in posts if p.kind == Post.BRANCH_SECRETARY]
    due += [
        (Letter.MEMBER, p)
        for p in posts
        if p.kind != Post.BRANCH_SECRETARY and p.person_id not in secretary_people
    ]
    return due


def sort_letters(letters: Iterable[Letter]) -> list[Letter]:
    return sorted(
        letters,
        key=lambda letter: (
            KIND_ORDER[letter.kind],
            letter.post.kind if letter.post_id else "",
            letter.pk,
        ),
    )


def period_letters(village: Unit, term: Term, year: int | None) -> list[Letter]:
    """The letters of a village and period with their current versions (two queries)."""
    letters = list(
        Letter.objects.filter(village=village, term=term, year=year).select_related(
            "post__person", "term", "village"
        )
    )
    versions = {
        v.letter_id: v
        for v in LetterVersion.objects.filter(
            letter__in=letters, number=F("letter__current_number")
        )
    }
    for letter in letters:
        letter.current = versions.get(letter.pk)
    return sort_letters(letters)


def current_version(letter: Letter) -> LetterVersion:
    return LetterVersion.objects.get(letter=letter, number=letter.current_number)


def version_items(version: LetterVersion):
    return version.items.select_related("responsible_post__person").prefetch_related(
        "answers_hot_issues",
        Prefetch("answers_tasks", queryset=_tasks_qs()),
        Prefetch("breaks_down", queryset=PledgeItem.objects.only("id", "code")),
    )


def _tasks_qs():
    from jiannuo.opinions.models import TaskAssignment

    return TaskAssignment.objects.select_related("task")


def letter_content(version: LetterVersion) -> tuple[list[PledgeItem], list[BreachClause]]:
    return list(version_items(version)), list(version.clauses.all())


def letter_history(letter: Letter) -> list[Transition]:
    ids = [str(pk) for pk in letter.versions.values_list("pk", flat=True)]
    return list(
        Transition.objects.filter(object_type="pledges.letterversion", object_id__in=ids)
        .select_related("actor")
        .order_by("id")
    )


# --- Options for editing -----------------------------------------------------------------------


def answer_options(letter: Letter) -> dict:
    """The accepted hot issues and the township task assignments an item may answer (§三.1)."""
    from jiannuo.opinions.models import HotIssue, TaskAssignment

    issues = HotIssue.objects.filter(
        village=letter.village, term=letter.term, status=HotIssue.ACCEPTED
    )
    if letter.year is not None:
        issues = issues.filter(Q(year__isnull=True) | Q(year=letter.year))
        tasks = TaskAssignment.objects.filter(
            village=letter.village, task__year=letter.year
        ).select_related("task")
    else:
        issues = issues.filter(year__isnull=True)
        tasks = TaskAssignment.objects.none()
    return {"hot_issues": list(issues.order_by("id")), "tasks": list(tasks.order_by("id"))}


def team_letter(village: Unit, term: Term, year: int | None) -> Letter | None:
    return Letter.objects.filter(village=village, term=term, year=year, kind=Letter.TEAM).first()


def team_items_for(letter: Letter) -> list[PledgeItem]:
    """The items of the period's team letter (current version) a member item may break down."""
    team = team_letter(letter.village, letter.term, letter.year)
    if team is None:
        return []
    return list(
        PledgeItem.objects.filter(
            letter_version__letter=team, letter_version__number=team.current_number
        ).order_by("position", "id")
    )


def team_posts_now(village: Unit):
    today = timezone.localdate()
    return (
        Post.objects.filter(village=village, kind__in=Post.TEAM, start__lte=today)
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .select_related("person")
        .order_by("kind", "start")
    )


# --- Rules glue ------------------------------------------------------------------------------


def _answer_refs(item: PledgeItem) -> tuple[str, ...]:
    if hasattr(item, "answer_refs"):
        return item.answer_refs
    return tuple(f"hot_issue:{h.pk}" for h in item.answers_hot_issues.all()) + tuple(
        f"task:{t.pk}" for t in item.answers_tasks.all()
    )


def _team_codes(item: PledgeItem) -> tuple[str, ...]:
    if hasattr(item, "team_codes"):
        return item.team_codes
    return tuple(t.code for t in item.breaks_down.all())


def to_draft(letter: Letter, items, clauses, *, ref_prefix: str = "") -> rules.LetterDraft:
    """The rules' view of a letter version. ``ref_prefix`` keeps member refs unique."""
    return rules.LetterDraft(
        kind=letter.kind,
        ref=str(letter.pk),
        year=letter.year,
        term_start=letter.term.start,
        term_end=letter.term.end,
        items=tuple(
            rules.ItemDraft(
                ref=f"{ref_prefix}{i.code}",
                category=i.category,
                text=i.text,
                target=i.target,
                deadline=i.deadline,
                responsible_post=str(i.responsible_post_id) if i.responsible_post_id else None,
                answers=_answer_refs(i),
                breaks_down=_team_codes(i),
            )
            for i in items
        ),
        clauses=tuple(
            rules.ClauseDraft(
                ref=c.code,
                category=c.category,
                trigger=c.trigger,
                measure=c.measure,
                amount=c.amount,
            )
            for c in clauses
        ),
    )


def required_answers(letter: Letter) -> list[rules.RequiredAnswer]:
    """What the team letter must answer, from the opinions app (§三.1); nothing for others."""
    if letter.kind != Letter.TEAM:
        return []
    from jiannuo.opinions.selectors import required_answers as opinions_required

    return list(opinions_required(letter.village, letter.term, letter.year))


@dataclass
class PeriodContent:
    """Every current version of a period's letters with its items and clauses (fixed queries)."""

    letters: list[Letter]
    items: dict[int, list[PledgeItem]] = field(default_factory=dict)
    clauses: dict[int, list[BreachClause]] = field(default_factory=dict)

    def draft(self, letter: Letter, *, ref_prefix: str = "") -> rules.LetterDraft:
        return to_draft(
            letter,
            self.items.get(letter.pk, []),
            self.clauses.get(letter.pk, []),
            ref_prefix=ref_prefix,
        )

    @property
    def team(self) -> Letter | None:
        return next((x for x in self.letters if x.kind == Letter.TEAM), None)

    @property
    def members(self) -> list[Letter]:
        return [x for x in self.letters if x.kind != Letter.TEAM]


def items_with_links(queryset) -> list[PledgeItem]:
    """The items with ``answer_refs`` and ``team_codes`` read as plain values (3 queries)."""
    items = list(queryset)
    ids = [i.pk for i in items]
    answers: dict[int, list[str]] = {}
    hot = PledgeItem.answers_hot_issues.through.objects.filter(pledgeitem_id__in=ids)
    for item_id, pk in hot.values_list("pledgeitem_id", "hotissue_id").order_by("id"):
        answers.setdefault(item_id, []).append(f"hot_issue:{pk}")
    tasks = PledgeItem.answers_tasks.through.objects.filter(pledgeitem_id__in=ids)
    for item_id, pk in tasks.values_list("pledgeitem_id", "taskassignment_id").order_by("id"):
        answers.setdefault(item_id, []).append(f"task:{pk}")
    codes: dict[int, list[str]] = {}
    links = PledgeItem.breaks_down.through.objects.filter(from_pledgeitem_id__in=ids)
    for item_id, code in links.values_list("from_pledgeitem_id", "to_pledgeitem__code").order_by(
        "id"
    ):
        codes.setdefault(item_id, []).append(code)
    for i in items:
        i.answer_refs = tuple(answers.get(i.pk, ()))
        i.team_codes = tuple(codes.get(i.pk, ()))
    return items


def period_content(village: Unit, term: Term, year: int | None) -> PeriodContent:
    """Current versions, items and clauses of the period's letters, for the rules (7 queries).

    Links are read from the through tables as plain values: prefetching them as model
    instances is several times slower, and the rules need only refs and codes.
    """
    letters = period_letters(village, term, year)
    content = PeriodContent(letters)
    version_ids = {x.current.pk: x.pk for x in letters if x.current}
    for i in items_with_links(PledgeItem.objects.filter(letter_version_id__in=version_ids)):
        content.items.setdefault(version_ids[i.letter_version_id], []).append(i)
    for c in BreachClause.objects.filter(letter_version_id__in=version_ids):
        content.clauses.setdefault(version_ids[c.letter_version_id], []).append(c)
    return content


def member_ref_prefix(letter: Letter) -> str:
    return f"{letter.pk}:"


def findings_for(letter: Letter, content: PeriodContent, answers=None) -> list:
    """``rules.check_letter`` on one letter, with member letters and answers for the team."""
    draft = content.draft(letter)
    if letter.kind != Letter.TEAM:
        return rules.check_letter(draft)
    members = [content.draft(m, ref_prefix=member_ref_prefix(m)) for m in content.members]
    if answers is None:
        answers = required_answers(letter)
    return rules.check_letter(draft, member_letters=members, required_answers=answers)


def letter_findings(letter: Letter) -> list:
    content = period_content(letter.village, letter.term, letter.year)
    return findings_for(letter, content)


def period_findings(village: Unit, term: Term, year: int | None) -> dict[Letter, list]:
    content = period_content(village, term, year)
    return {letter: findings_for(letter, content) for letter in content.letters}


def coverage(village: Unit, term: Term, year: int | None):
    """§三.2: every team item and the member items that break it down (``rules.coverage``)."""
    content = period_content(village, term, year)
    team = content.team
    if team is None:
        return None, []
    member_items = {
        f"{member_ref_prefix(m)}{i.code}": (m, i)
        for m in content.members
        for i in content.items.get(m.pk, [])
    }
    drafts = [content.draft(m, ref_prefix=member_ref_prefix(m)) for m in content.members]
    cover = rules.coverage(content.draft(team).items, drafts)
    rows = [
        {"item": item, "owners": [member_items[r] for r in cover.get(item.code, ())]}
        for item in content.items.get(team.pk, [])
    ]
    return team, rows


# --- Explaining findings -------------------------------------------------------------------


def explain(finding) -> str:
    """The finding's message in words, with category codes shown as their names."""
    facts = dict(finding.facts)
    category = facts.get("category")
    if category in CATEGORY_LABELS:
        facts["category"] = str(CATEGORY_LABELS[category])
    elif category in BREACH_LABELS:
        facts["category"] = str(BREACH_LABELS[category])
    if finding.rule == "pledges.answer_missing":
        # "hot_issue:12" means nothing to a reader: name the kind of issue instead.
        facts["ref"] = str(ANSWER_SOURCE_LABELS.get(facts.get("source"), facts.get("ref")))
    return gettext(str(finding.message)) % facts


ANSWER_SOURCE_LABELS = {
    "hot_issue": gettext_lazy("villagers' hot issue"),
    "township_task": gettext_lazy("township task"),
}


# --- Snapshots and diffs ---------------------------------------------------------------------

ITEM_FIELDS = (
    "category",
    "text",
    "target",
    "deadline",
    "responsible_post",
    "answers",
    "breaks_down",
)
CLAUSE_FIELDS = ("category", "trigger", "measure", "amount", "share_percent")


def _clause_snapshot(c) -> dict:
    out = {
        "code": c.code,
        "category": c.category,
        "trigger": c.trigger,
        "measure": c.measure,
        "amount": str(c.amount) if c.amount is not None else None,
    }
    if c.share_percent is not None:  # only when stated: older letters keep their hash
        out["share_percent"] = str(c.share_percent)
    return out


def snapshot(version: LetterVersion) -> dict:
    """The items and clauses of a version as plain JSON (frozen when it leaves draft)."""
    items = items_with_links(version.items.select_related("responsible_post__person"))
    clauses = list(version.clauses.all())
    return {
        "items": [
            {
                "code": i.code,
                "category": i.category,
                "text": i.text,
                "target": i.target,
                "deadline": i.deadline.isoformat() if i.deadline else None,
                "responsible_post": (
                    f"{i.responsible_post.get_kind_display()} {i.responsible_post.person.name}"
                    if i.responsible_post_id
                    else ""
                ),
                "answers": sorted(_answer_refs(i)),
                "breaks_down": sorted(_team_codes(i)),
            }
            for i in items
        ],
        "clauses": [_clause_snapshot(c) for c in clauses],
    }


def version_snapshot(version: LetterVersion) -> dict:
    """The frozen snapshot, or the live content of a version still being drafted."""
    if version.snapshot is not None and version.state not in rules.EDITABLE_STATES:
        return version.snapshot
    return snapshot(version)


def _diff_rows(old: list[dict], new: list[dict], fields) -> dict:
    before = {r["code"]: r for r in old}
    after = {r["code"]: r for r in new}
    return {
        "added": [after[c] for c in after if c not in before],
        "removed": [before[c] for c in before if c not in after],
        "changed": [
            {
                "code": c,
                "old": before[c],
                "new": after[c],
                "fields": [f for f in fields if before[c].get(f) != after[c].get(f)],
            }
            for c in after
            if c in before and any(before[c].get(f) != after[c].get(f) for f in fields)
        ],
    }


def diff(old: dict, new: dict) -> dict:
    """What changed between two snapshots: items and clauses added, removed, changed."""
    return {
        "items": _diff_rows(old.get("items", []), new.get("items", []), ITEM_FIELDS),
        "clauses": _diff_rows(old.get("clauses", []), new.get("clauses", []), CLAUSE_FIELDS),
    }


def get_version(letter: Letter, number) -> LetterVersion:
    version = LetterVersion.objects.filter(letter=letter, number=number).first()
    if version is None:
        raise Http404
    return version


# --- Meetings -----------------------------------------------------------------------------------


def period_meetings(village: Unit, term: Term, year: int | None):
    meetings = list(
        JointMeeting.objects.filter(village=village, term=term, year=year)
        .prefetch_related("decisions")
        .order_by("-date", "-id")
    )
    consultations = list(
        Consultation.objects.filter(village=village, term=term, year=year)
        .prefetch_related("comments")
        .order_by("-date", "-id")
    )
    return meetings, consultations


# --- Index and the to-do -----------------------------------------------------------------------


def overview(user, year: int):
    """Villages the user may see, with the count of their letters per state for ``year``."""
    villages = list(
        Unit.objects.filter(scope_q(user, "pledges.view", field=""), kind=Unit.VILLAGE)
        .select_related("parent")
        .order_by("path")
    )
    counts: dict[int, dict[str, int]] = {}
    for village_id, state in Letter.objects.filter(village__in=villages, year=year).values_list(
        "village_id", "state"
    ):
        counts.setdefault(village_id, {}).setdefault(state, 0)
        counts[village_id][state] += 1
    return [
        {
            "village": v,
            "states": [(STATE_LABELS[s], n) for s, n in sorted(counts.get(v.pk, {}).items())],
            "total": sum(counts.get(v.pk, {}).values()),
        }
        for v in villages
    ]


def answered_refs(village_ids: Iterable[int], year: int | None) -> set[str]:
    """Refs answered by the current versions of letters (registered with the opinions app)."""
    year_q = (
        Q(letter_version__letter__year__isnull=True)
        if year is None
        else Q(letter_version__letter__year=year)
    )
    items = PledgeItem.objects.filter(
        year_q,
        letter_version__letter__village_id__in=list(village_ids),
        letter_version__number=F("letter_version__letter__current_number"),
    )
    through_h = PledgeItem.answers_hot_issues.through.objects.filter(pledgeitem__in=items)
    through_t = PledgeItem.answers_tasks.through.objects.filter(pledgeitem__in=items)
    return {f"hot_issue:{pk}" for pk in through_h.values_list("hotissue_id", flat=True)} | {
        f"task:{pk}" for pk in through_t.values_list("taskassignment_id", flat=True)
    }


def items_template() -> bytes:
    """The empty pledge-items workbook with its drop-down and notes."""
    from jiannuo.core.excel import workbook

    from . import importing

    return workbook(
        "承诺事项",
        importing.HEADERS,
        [],
        widths={importing.COL_TEXT: 40, importing.COL_BREAKS_DOWN: 18},
        choices={importing.COL_CATEGORY: list(importing.CATEGORY_NAMES)},
        notes=importing.NOTES,
    )


def content_hash(snapshot) -> str:
    """SHA-256 of a frozen version snapshot: the fingerprint a signature is bound to."""
    blob = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()
