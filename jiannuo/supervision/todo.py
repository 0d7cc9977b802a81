"""To-do items of the supervision step (§五.3): reminders for cadres and the township.

- a cadre: their items overdue, or near the deadline with little progress;
- the village (branch secretary, director): rectifications due, the quarterly disclosure due;
- the township: rectifications to sign off, overdue rectifications, adjustments to decide.

A fixed number of queries per user, whatever the number of items.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core.permissions import scope_paths, scope_q
from jiannuo.core.todo import TodoItem, provider
from jiannuo.organisation.models import Post, Unit
from jiannuo.pledges.models import Letter

from . import rules, selectors
from .models import Adjustment, InspectionFinding, ItemState

#: Reminder windows (district settings in waiting; DOMAIN.md defaults).
NEAR_DAYS = 14
LITTLE_PROGRESS_BELOW = 50
RECTIFY_NEAR_DAYS = 7


def _open_years(village_field: str = "letter__village", year_field: str = "letter__year") -> Q:
    """Items of a year whose results are confirmed stop nagging (issue #14): pledge items,
    inspection findings to rectify and adjustment requests alike."""
    try:
        from jiannuo.evaluation.closing import open_year_q
    except ImportError:  # the year-end step is not installed
        return Q()
    return open_year_q(village_field, year_field)


def _open_rows() -> Q:
    """Findings and adjustments (both hang on an item's state row) of a year still open."""
    return _open_years("village", "state_row__letter__year")


def _item_url(row) -> str:
    return reverse("supervision:item", args=[row.signed.letter_id, row.item.code])


def supervision_items(user, today=None) -> list[TodoItem]:
    if user is None or not user.is_authenticated or user.is_superuser:
        return []
    today = today or selectors.current_day()
    out: list[TodoItem] = []
    if scope_paths(user, "supervision.record"):
        posts = list(
            Post.objects.filter(person__user=user, start__lte=today)
            .filter(Q(end__isnull=True) | Q(end__gte=today))
            .values_list("pk", "kind", "village_id")
        )
        mine = {p for p, _k, _v in posts}
        branch_of = {v for _p, k, v in posts if k == Post.BRANCH_SECRETARY}
        rows = [
            r
            for r in selectors.tracked(user, today=today, q=_open_years())
            if r.item.responsible_post_id in mine
            or (r.letter.kind == Letter.TEAM and r.letter.village_id in branch_of)
        ]
        by_key = {r.key: r for r in rows}
        for rem in rules.reminders(rows, today, NEAR_DAYS, LITTLE_PROGRESS_BELOW):
            row = by_key[rem.item_id]
            out.append(
                TodoItem(
                    step="supervision",
                    title=_("Report progress on “%(text)s”") % {"text": row.text[:40]},
                    url=_item_url(row),
                    detail=rem.finding.explain(),
                    urgent=rem.kind == rules.OVERDUE_REMINDER,
                )
            )
    if scope_paths(user, "supervision.respond"):
        for f in InspectionFinding.objects.filter(
            scope_q(user, "supervision.respond"),
            _open_rows(),
            state=rules.RECT_OPEN,
            rectify_by__lte=today + timedelta(days=RECTIFY_NEAR_DAYS),
        ).select_related("inspection", "village"):
            out.append(
                TodoItem(
                    step="supervision",
                    title=_("Rectify and respond: %(text)s") % {"text": f.text[:40]},
                    url=reverse("supervision:inspection", args=[f.inspection_id]),
                    detail=_("Rectify by %(day)s") % {"day": f.rectify_by},
                    urgent=f.rectify_by < today,
                )
            )
        villages = list(
            Unit.objects.filter(scope_q(user, "supervision.respond", field=""), kind=Unit.VILLAGE)
            .annotate(
                last_posting=Max("poster_postings__posted_on"),
            )
            .order_by("path")
        )
        last_public = dict(
            ItemState.objects.filter(village__in=villages, public_at__isnull=False)
            .values("village_id")
            .annotate(m=Max("public_at"))
            .values_list("village_id", "m")
        )
        for v in villages:
            dates = [d for d in (v.last_posting,) if d]
            if last_public.get(v.pk):
                dates.append(timezone.localdate(last_public[v.pk]))
            last = max(dates) if dates else None
            if rules.quarterly_disclosure_due(last, today):
                out.append(
                    TodoItem(
                        step="supervision",
                        title=_("Publish this quarter's progress on the bulletin of %(village)s")
                        % {"village": v.name},
                        url=reverse("supervision:village", args=[v.pk]),
                        detail=_("Last published: %(day)s") % {"day": last or _("never")},
                        urgent=False,
                    )
                )
    if scope_paths(user, "supervision.inspect"):
        q = scope_q(user, "supervision.inspect")
        counts = InspectionFinding.objects.filter(
            q, _open_rows(), state__in=rules.RECT_UNRESOLVED
        ).aggregate(
            n_responded=_count(Q(state=rules.RECT_RESPONDED)),
            n_overdue=_count(Q(state__in=rules.RECT_UNRESOLVED, rectify_by__lt=today)),
        )
        if counts["n_responded"]:
            out.append(
                TodoItem(
                    step="supervision",
                    title=_("Sign off %(n)s rectifications the villages answered")
                    % {"n": counts["n_responded"]},
                    url=reverse("supervision:rectifications"),
                    urgent=False,
                )
            )
        if counts["n_overdue"]:
            out.append(
                TodoItem(
                    step="supervision",
                    title=_("%(n)s rectifications are past their deadline")
                    % {"n": counts["n_overdue"]},
                    url=reverse("supervision:rectifications"),
                    urgent=True,
                )
            )
    if scope_paths(user, "supervision.decide"):
        n = Adjustment.objects.filter(
            scope_q(user, "supervision.decide"), _open_rows(), state=rules.ADJ_REQUESTED
        ).count()
        if n:
            out.append(
                TodoItem(
                    step="supervision",
                    title=_("Decide %(n)s adjustment requests") % {"n": n},
                    url=reverse("supervision:adjustments"),
                    urgent=False,
                )
            )
    return out


def _count(q):
    return Count("pk", filter=q)


@provider
def supervision_todo(user):
    return supervision_items(user)
