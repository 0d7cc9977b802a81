"""Reads of the year-end step, scoped to what the user may see (404 outside the scope)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404

from jiannuo.core.permissions import scope_q
from jiannuo.organisation.models import Unit
from jiannuo.pledges.models import PledgeItem
from jiannuo.signing import integrity

from .models import (
    AssessmentGroup,
    BallotCode,
    Breach,
    Loss,
    Round,
    Tally,
    Verdict,
    Voter,
    YearResult,
)
from .services import in_force_letters


def village(user, village_id: int) -> Unit:
    v = (
        Unit.objects.filter(scope_q(user, "evaluation.view", field=""), kind=Unit.VILLAGE)
        .filter(pk=village_id)
        .select_related("parent")
        .first()
    )
    if v is None:
        raise Http404
    return v


def villages(user):
    return list(
        Unit.objects.filter(scope_q(user, "evaluation.view", field=""), kind=Unit.VILLAGE)
        .select_related("parent")
        .order_by("path")
    )


def rounds(user, year: int | None = None):
    qs = Round.objects.filter(scope_q(user, "evaluation.view")).select_related("village")
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("village__path", "-id")


def get_round(user, pk: int) -> Round:
    rnd = (
        Round.objects.filter(scope_q(user, "evaluation.view"), pk=pk)
        .select_related("village", "village__parent")
        .first()
    )
    if rnd is None:
        # A villagers' representative standing in for a missing supervision committee (the
        # district policy) works on that round without seeing the rest of the evaluation.
        from . import presiding

        rnd = Round.objects.select_related("village", "village__parent").filter(pk=pk).first()
        if rnd is None or not (
            presiding.may_preside(user, rnd.village, rnd.year)
            or presiding.may_confirm_count(user, rnd.village, rnd.year)
        ):
            raise Http404
    return rnd


def groups(user, year: int | None = None):
    qs = AssessmentGroup.objects.filter(
        scope_q(user, "evaluation.view", field="township")
    ).prefetch_related("members", "villages")
    if year:
        qs = qs.filter(year=year)
    return qs


def get_group(user, pk: int) -> AssessmentGroup:
    group = groups(user).filter(pk=pk).first()
    if group is None:
        raise Http404
    return group


def results(user, year: int | None = None):
    qs = YearResult.objects.filter(scope_q(user, "evaluation.view")).select_related("village")
    if year:
        qs = qs.filter(year=year)
    return qs


def assessment(village: Unit, year: int) -> dict:
    """The letters in force with their items and verdicts, the losses and the breaches."""
    letters = list(in_force_letters(village, year))
    items = PledgeItem.objects.filter(
        letter_version_id__in=[s.version_id for s in letters]
    ).order_by("position")
    by_version: dict[int, list] = {}
    verdicts = {
        v.item_id: v for v in Verdict.objects.filter(item__in=items).select_related("recorded_by")
    }
    for item in items:
        item.current_verdict = verdicts.get(item.pk)
        by_version.setdefault(item.letter_version_id, []).append(item)
    checked = integrity.check(letters, items=items)
    for s in letters:
        # A tampered letter is shown as such, without its (edited) items.
        s.integrity = checked[s.pk]
        s.assessed_items = [] if s.integrity.tampered else by_version.get(s.version_id, [])
    return {
        "letters": letters,
        "losses": list(
            Loss.objects.filter(village=village, year=year)
            .select_related("clause__letter_version__letter")
            .prefetch_related(Prefetch("posts"))
        ),
        "breaches": list(
            Breach.objects.filter(village=village, year=year).select_related("post__person")
        ),
        "missing": sum(1 for i in items if i.pk not in verdicts),
        # §四.2: a loss is recorded against one of these (the letters' own clauses).
        "loss_clauses": _loss_clauses(village, year),
    }


def _loss_clauses(village, year):
    from .services import loss_clauses

    return loss_clauses(village, year)


def round_detail(rnd: Round) -> dict:
    targets = list(rnd.targets.select_related("post__person"))
    tallies = {
        t.target_id: t
        for t in Tally.objects.filter(round=rnd).select_related("entered_by", "confirmed_by")
    }
    for t in targets:
        t.current_tally = tallies.get(t.pk)
    voters = list(Voter.objects.filter(round=rnd).select_related("person"))
    codes = dict.fromkeys((False, True), 0)
    if rnd.method == Round.PHONE:
        for spent in BallotCode.objects.filter(round=rnd).values_list("spent", flat=True):
            codes[spent] += 1
    return {
        "targets": targets,
        "voters": voters,
        "used": codes[True],  # codes spent = ballots cast (never whose)
        "issued": codes[False] + codes[True],  # code slips printed
    }
