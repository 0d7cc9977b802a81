"""To-do items of the opinions step, for the branch secretary and the committee director (§三.1).

- a township task of this year neither answered by a pledge item nor marked not adopted;
- opinions not yet grouped into hot issues;
- proposed hot issues waiting for a decision.

Fixed number of queries: villages, terms, three counts, plus the pledges' answered refs.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core.permissions import scope_q
from jiannuo.core.todo import TodoItem, provider
from jiannuo.organisation.models import Term, Unit

from .models import HotIssue, Opinion, TaskAssignment
from .selectors import answered_refs

#: A task whose deadline is this close (or past) is shown as urgent.
URGENT_DAYS = 14


@provider
def opinions_todo(user):
    if user is None or not user.is_authenticated or user.is_superuser:
        return []
    villages = list(
        Unit.objects.filter(
            scope_q(user, "opinions.manage_issues", field="")
            | scope_q(user, "opinions.answer_tasks", field=""),
            kind=Unit.VILLAGE,
        ).order_by("path")
    )
    if not villages:
        return []
    today = timezone.localdate()
    year = today.year
    terms = {}
    for term in Term.objects.filter(
        district_id__in={v.district_id for v in villages}, start__lte=today, end__gte=today
    ):
        terms[term.district_id] = term
    ids = [v.pk for v in villages]
    term_ids = [t.pk for t in terms.values()]
    ungrouped = dict(
        Opinion.objects.filter(
            village_id__in=ids, term_id__in=term_ids, hot_issue__isnull=True, year=year
        )
        .values("village_id")
        .annotate(n=Count("id"))
        .values_list("village_id", "n")
    )
    proposed = dict(
        HotIssue.objects.filter(village_id__in=ids, term_id__in=term_ids, status=HotIssue.PROPOSED)
        .filter(Q(year=year) | Q(year__isnull=True))
        .values("village_id")
        .annotate(n=Count("id"))
        .values_list("village_id", "n")
    )
    assignments = list(
        TaskAssignment.objects.filter(
            village_id__in=ids, task__year=year, not_adopted_reason=""
        ).select_related("task", "task__township")
    )
    answered = answered_refs(ids, year) if assignments else set()
    out = []
    by_id = {v.pk: v for v in villages}
    for a in sorted(assignments, key=lambda a: (a.task.deadline, a.pk)):
        if a.ref in answered:
            continue
        village = by_id[a.village_id]
        out.append(
            TodoItem(
                step="opinions",
                title=_("Answer the township task “%(title)s” (%(village)s)")
                % {"title": a.task.title, "village": village.name},
                url=reverse("opinions:village", args=[village.pk]) + f"?year={year}#tasks",
                detail=_(
                    "Set by %(township)s, deadline %(deadline)s: answer it with a pledge item "
                    "or mark it as not adopted with a reason."
                )
                % {"township": a.task.township.name, "deadline": a.task.deadline},
                urgent=a.task.deadline <= today + timedelta(days=URGENT_DAYS),
            )
        )
    for village in villages:
        url = reverse("opinions:village", args=[village.pk]) + f"?year={year}"
        if ungrouped.get(village.pk):
            out.append(
                TodoItem(
                    step="opinions",
                    title=_("%(n)s opinion(s) of %(village)s not yet grouped")
                    % {"n": ungrouped[village.pk], "village": village.name},
                    url=url + "#group",
                    detail=_("Group the opinions into hot issues (§三.1)."),
                )
            )
        if proposed.get(village.pk):
            out.append(
                TodoItem(
                    step="opinions",
                    title=_("%(n)s hot issue(s) of %(village)s to decide")
                    % {"n": proposed[village.pk], "village": village.name},
                    url=url + "#issues",
                    detail=_("Rename, merge or split them, then accept or decline each."),
                )
            )
    return out
