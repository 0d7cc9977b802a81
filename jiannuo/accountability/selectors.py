"""Reads of the accountability step, scoped to the user: the district and townships see the
cases of their units; a cadre sees their own cases; the branch secretary and the committee
director see their team's. Anything else is a 404."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from jiannuo.core.permissions import scope_paths, scope_q
from jiannuo.organisation.models import Unit

from . import rules
from .models import Case


def visible_q(user) -> Q:
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    q = scope_q(user, "accountability.view") | Q(person__user=user)
    if scope_paths(user, "accountability.team"):
        q |= Q(subject=rules.TEAM) & scope_q(user, "accountability.team")
    return q


def cases(user, *, year=None, township=None, state=None, measure=None):
    qs = Case.objects.filter(visible_q(user)).select_related("village", "person")
    if year:
        qs = qs.filter(year=year)
    if township is not None:
        qs = qs.filter(township=township)
    if state:
        qs = qs.filter(state=state)
    if measure:
        qs = qs.filter(measure=measure)
    return qs


def get_case(user, pk: int) -> Case:
    case = (
        Case.objects.filter(visible_q(user), pk=pk)
        .select_related(
            "village",
            "township",
            "person",
            "post",
            "opened_by",
            "decided_by",
            "approved_by",
            "appeal_decided_by",
            "carried_out_by",
        )
        .first()
    )
    if case is None:
        raise Http404
    return case


def townships(user, perm="accountability.view") -> list[Unit]:
    """Townships where ``user`` holds ``perm`` (a district grant covers all its townships)."""
    return list(
        Unit.objects.filter(scope_q(user, perm, field=""), kind=Unit.TOWNSHIP).order_by("path")
    )


def get_township(user, pk: int, perm="accountability.view") -> Unit:
    unit = Unit.objects.filter(scope_q(user, perm, field=""), kind=Unit.TOWNSHIP, pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def honours_ineligible(user, year: int, township=None):
    """§四.1: cadres (and teams) who may not be nominated for any honour in ``year``: their
    "no honours" measure is decided and in force (an appeal pending does not suspend it).
    Proposed and undecided ones come back too, marked, so the township sees what is pending."""
    qs = cases(user, year=year, township=township, measure=rules.NO_HONOURS).exclude(
        state__in=[rules.DISMISSED, rules.REVOKED]
    )
    return list(qs.order_by("village__path", "person__name", "id"))
