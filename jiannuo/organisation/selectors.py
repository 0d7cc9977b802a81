"""Reads of the organisation, scoped to what the user may see, in a fixed number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from jiannuo.core.excel import workbook
from jiannuo.core.permissions import has_perm, scope_q

from . import roster
from .models import Person, Post, Unit


def visible_units(user, perm: str = "org.view"):
    return Unit.objects.filter(scope_q(user, perm, field=""))


def get_unit(user, pk, perm: str = "org.view") -> Unit:
    """The unit, or 404 when it does not exist or lies outside the user's scope."""
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None or not has_perm(user, perm, unit):
        raise Http404
    return unit


def active_posts_q(day=None, prefix: str = "") -> Q:
    day = day or timezone.localdate()
    return Q(**{f"{prefix}start__lte": day}) & (
        Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gte": day})
    )


def village_roster(village: Unit, day=None):
    """People of a village with their posts active on ``day`` (two queries)."""
    posts = Post.objects.filter(active_posts_q(day)).order_by("kind", "start")
    return (
        Person.objects.filter(village=village)
        .select_related("user")
        .prefetch_related(Prefetch("posts", queryset=posts, to_attr="active_posts"))
        .order_by("name")
    )


def unit_tree(user):
    """The units the user may see, with villages grouped under their township."""
    units = list(visible_units(user).order_by("path"))
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    return units, children


def roster_rows(unit: Unit):
    posts = (
        Post.objects.filter(village__path__startswith=unit.path)
        .select_related("person", "village", "village__parent")
        .order_by("village__path", "person__name", "kind", "start")
    )
    for p in posts:
        yield [
            p.village.parent.name if p.village.parent else "",
            p.village.name,
            p.person.name,
            roster.GENDER_NAMES.get(p.person.gender, ""),
            p.person.birth_date.isoformat() if p.person.birth_date else "",
            p.person.phone,
            roster.POST_NAMES[p.kind],
            p.start.isoformat(),
            p.end.isoformat() if p.end else "",
        ]


def roster_workbook(unit: Unit | None) -> bytes:
    rows = list(roster_rows(unit)) if unit is not None else []
    return workbook(
        "花名册",
        roster.HEADERS,
        rows,
        widths={roster.COL_TOWNSHIP: 16, roster.COL_PHONE: 16, roster.COL_POST: 18},
        choices={roster.COL_POST: list(roster.POST_LABELS), roster.COL_GENDER: ["男", "女"]},
        notes=roster.NOTES,
    )
