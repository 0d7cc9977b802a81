"""To-do items of the pledges step for whoever must act next (§三.2–3).

Village: drafts the quality gate blocks, letters the township returned, letters waiting for
the joint meeting, the consultation, or submission. Township: letters awaiting approval.
Fixed number of queries: one for the village side, one for the township side.
"""

from __future__ import annotations

from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiannuo.core.permissions import scope_paths, scope_q
from jiannuo.core.todo import TodoItem, provider

from . import rules
from .models import LetterVersion
from .selectors import period_slug


def _period_url(village_id, year, term=None) -> str:
    return reverse("pledges:period", args=[village_id, period_slug(year, term)])


def _open_years() -> Q:
    """Letters of a year whose results are confirmed do not nag (issue #14)."""
    try:
        from jiannuo.evaluation.closing import open_year_q
    except ImportError:  # the year-end step is not installed
        return Q()
    return open_year_q()


def _letter_name(letter) -> str:
    return f"{letter.title} {letter.holder}".strip()


@provider
def pledges_todo(user):
    if user is None or not user.is_authenticated or user.is_superuser:
        return []
    out: list[TodoItem] = []
    workflow = scope_paths(user, "pledges.workflow")
    own = bool(scope_paths(user, "pledges.edit_own"))
    if workflow or own:
        scope = scope_q(user, "pledges.workflow", field="letter__village")
        if own:
            scope |= Q(letter__post__person__user=user) & scope_q(
                user, "pledges.edit_own", field="letter__village"
            )
        versions = (
            LetterVersion.objects.filter(scope, _open_years(), number=F("letter__current_number"))
            .exclude(state__in=rules.FINAL_STATES | {rules.SUBMITTED})
            .select_related("letter__village", "letter__post__person", "letter__term")
            .order_by("letter__village__path", "letter__year", "letter_id")
        )
        # (village, year) → {state: [letters]}
        groups: dict[tuple, dict[str, list]] = {}
        for v in versions:
            letter = v.letter
            letter.current = v
            key = (letter.village, letter.year, letter.term)
            groups.setdefault(key, {}).setdefault(v.state, []).append(letter)
        for (village, year, term), states in groups.items():
            period = _("year %(year)s") % {"year": year} if year else _("term")
            for letter in states.get(rules.RETURNED, []):
                out.append(
                    TodoItem(
                        step="pledges",
                        title=_("%(village)s: %(letter)s was returned by the township")
                        % {"village": village.name, "letter": _letter_name(letter)},
                        url=reverse("pledges:letter", args=[letter.pk]),
                        detail=_("Adjust it and submit it to the joint meeting again."),
                        urgent=True,
                    )
                )
            blocked = [x for x in states.get(rules.DRAFT, []) if x.current.blocking_count]
            if len(blocked) > 2:
                # Many drafts still being written: one item for the period, not one each.
                out.append(
                    TodoItem(
                        step="pledges",
                        title=_(
                            "%(village)s %(period)s: %(count)s draft letters have problems to fix"
                        )
                        % {"village": village.name, "period": period, "count": len(blocked)},
                        url=_period_url(village.pk, year, term),
                        detail=_("The quality check blocks the next step until they are fixed."),
                    )
                )
                blocked = []
            for letter in blocked:
                out.append(
                    TodoItem(
                        step="pledges",
                        title=_("%(village)s %(period)s: %(letter)s — %(count)s problem(s) to fix")
                        % {
                            "village": village.name,
                            "period": period,
                            "letter": _letter_name(letter),
                            "count": letter.current.blocking_count,
                        },
                        url=reverse("pledges:quality", args=[letter.pk]),
                        detail=_("The quality check blocks the next step until they are fixed."),
                    )
                )
            if not workflow:
                continue
            for state, title, name in (
                (
                    rules.TABLED,
                    _("%(village)s %(period)s: joint meeting due"),
                    "pledges:joint_meeting",
                ),
                (
                    rules.JOINT_MEETING,
                    _("%(village)s %(period)s: consultation with the supervision committee due"),
                    "pledges:consultation",
                ),
                (
                    rules.CONSULTED,
                    _("%(village)s %(period)s: letters ready to submit to the township"),
                    "pledges:period",
                ),
            ):
                letters = states.get(state, [])
                if letters:
                    out.append(
                        TodoItem(
                            step="pledges",
                            title=title % {"village": village.name, "period": period},
                            url=reverse(name, args=[village.pk, period_slug(year, term)]),
                            detail=ngettext("%(count)s letter", "%(count)s letters", len(letters))
                            % {"count": len(letters)},
                        )
                    )
    if scope_paths(user, "pledges.approve"):
        waiting = (
            LetterVersion.objects.filter(
                scope_q(user, "pledges.approve", field="letter__village"),
                _open_years(),
                number=F("letter__current_number"),
                state=rules.SUBMITTED,
            )
            .select_related("letter__village")
            .order_by("letter__village__path", "letter__year", "letter_id")
        )
        counts: dict[tuple, int] = {}
        villages = {}
        for v in waiting:
            key = (v.letter.village_id, v.letter.year)
            villages[key] = v.letter.village
            counts[key] = counts.get(key, 0) + 1
        for (village_id, year), n in counts.items():
            out.append(
                TodoItem(
                    step="pledges",
                    title=_("%(village)s %(period)s: letters submitted for approval")
                    % {
                        "village": villages[(village_id, year)].name,
                        "period": _("year %(year)s") % {"year": year} if year else _("term"),
                    },
                    url=_period_url(village_id, year),
                    detail=ngettext(
                        "%(count)s letter awaits approval", "%(count)s letters await approval", n
                    )
                    % {"count": n},
                    urgent=True,
                )
            )
    return out
