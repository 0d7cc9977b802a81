"""To-do items of the year-end step: verdicts for the assessment group, rounds to open, close
or count for the presiding officer, tallies to confirm and results to confirm for the township.

A fixed number of queries per user.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core.permissions import scope_paths, scope_q
from jiannuo.core.todo import TodoItem, provider

from .models import AssessmentGroup, Round, Tally, YearResult


@provider
def evaluation_todo(user):
    if user is None or not user.is_authenticated or user.is_superuser:
        return []
    out: list[TodoItem] = []
    this_year = timezone.localdate().year
    for group in AssessmentGroup.objects.filter(members=user, year__gte=this_year - 1)[:20]:
        out.append(
            TodoItem(
                step="evaluation",
                title=_("Assess the pledges of %(group)s") % {"group": group.name},
                url=reverse("evaluation:group", args=[group.pk]),
                detail=str(group.year),
            )
        )
    if scope_paths(user, "evaluation.preside"):
        for rnd in Round.objects.filter(
            scope_q(user, "evaluation.preside"), state__in=[Round.DRAFT, Round.OPEN]
        ).select_related("village"):
            title = (
                _("Open the evaluation round of %(village)s")
                if rnd.state == Round.DRAFT
                else _("Close the evaluation round of %(village)s")
            )
            out.append(
                TodoItem(
                    step="evaluation",
                    title=title % {"village": rnd.village.name},
                    url=reverse("evaluation:round", args=[rnd.pk]),
                    detail=str(rnd.year),
                    urgent=rnd.state == Round.OPEN,
                )
            )
    if scope_paths(user, "evaluation.tally"):
        n = (
            Tally.objects.filter(
                scope_q(user, "evaluation.tally", field="round__village"),
                confirmed_at__isnull=True,
            )
            .exclude(entered_by=user)
            .count()
        )
        if n:
            out.append(
                TodoItem(
                    step="evaluation",
                    title=_("Confirm %(n)s ballot tallies entered by someone else") % {"n": n},
                    url=reverse("evaluation:index"),
                )
            )
    if scope_paths(user, "evaluation.manage"):
        n = (
            Round.objects.filter(scope_q(user, "evaluation.manage"), state=Round.CLOSED)
            .exclude(
                Exists(
                    YearResult.objects.filter(village=OuterRef("village"), year=OuterRef("year"))
                )
            )
            .count()
        )
        if n:
            out.append(
                TodoItem(
                    step="evaluation",
                    title=_("Review and confirm the year-end results of %(n)s villages") % {"n": n},
                    url=reverse("evaluation:index"),
                )
            )
    return out
