"""To-do items of the accountability step (§四): cadres reply and appeal; decision-makers
decide, approve and decide appeals. At most three queries per user whatever the number of cases.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core.permissions import scope_paths, scope_q
from jiannuo.core.todo import TodoItem, provider

from . import rules
from .models import Case


@provider
def accountability_todo(user):
    if user is None or not user.is_authenticated or user.is_superuser:
        return []
    now = timezone.now()
    out: list[TodoItem] = []
    mine = Q(person__user=user)
    if scope_paths(user, "accountability.team"):
        mine |= Q(subject=rules.TEAM) & scope_q(user, "accountability.team")
    open_to_cadre = Q(state=rules.PROPOSED, reply_due__gte=now) | Q(
        state=rules.DECIDED, appealed_at__isnull=True, appeal_due__gte=now
    )
    for c in Case.objects.filter(mine & open_to_cadre).select_related("village", "person"):
        if c.state == rules.PROPOSED:
            title = _("Reply to the proposed measure: %(measure)s") % {"measure": c.measure_label}
            due = c.reply_due
        else:
            title = _("You may appeal the decision: %(measure)s") % {"measure": c.measure_label}
            due = c.appeal_due
        out.append(
            TodoItem(
                step="accountability",
                title=title,
                url=reverse("accountability:case", args=[c.pk]),
                detail=_("until %(due)s") % {"due": timezone.localtime(due).strftime("%Y-%m-%d")},
                urgent=True,
            )
        )
    decide = scope_paths(user, "accountability.decide")
    appeal = scope_paths(user, "accountability.appeal_decide")
    if decide or appeal:
        q = scope_q(user, "accountability.decide") | scope_q(user, "accountability.appeal_decide")
        ready = Q(state=rules.REPLIED) | Q(state=rules.PROPOSED, reply_due__lt=now)
        counts = Case.objects.filter(q).aggregate(
            decide=Count("id", filter=ready & scope_q(user, "accountability.decide")),
            approve=Count(
                "id",
                filter=Q(state=rules.AWAITING_APPROVAL)
                & ~Q(decided_by=user)
                & scope_q(user, "accountability.decide"),
            ),
            appeal=Count(
                "id",
                filter=Q(state=rules.APPEALED)
                & ~Q(decided_by=user)
                & (Q(approved_by__isnull=True) | ~Q(approved_by=user))
                & scope_q(user, "accountability.appeal_decide"),
            ),
        )
        base = reverse("accountability:cases")
        for key, state, title in (
            ("decide", "", _("Decide %(n)s proposed measures")),
            ("approve", rules.AWAITING_APPROVAL, _("Give the second approval of %(n)s decisions")),
            ("appeal", rules.APPEALED, _("Decide %(n)s appeals")),
        ):
            n = counts[key]
            if n:
                out.append(
                    TodoItem(
                        step="accountability",
                        title=title % {"n": n},
                        url=f"{base}?todo={key}" + (f"&state={state}" if state else ""),
                        urgent=key != "decide",
                    )
                )
    return out
