"""The accountability section of the public bulletin board (seed §四; DOMAIN.md "Publication").

Only measures the district's settings for that year publish (``Policy.published``, e.g. notices
of criticism) and only once decided and in force — an appeal pending does not suspend a measure;
a revoked or dismissed case is never shown. Nothing else about cases appears: no reasons, no
replies, no appeals. Two queries whatever the number of cases or pledges.
"""

from __future__ import annotations

from django.db import connection

from jiannuo.bulletin.sections import Section, register
from jiannuo.organisation.models import PolicyVersion
from jiannuo.organisation.policy import DEFAULT_POLICY, Policy

from . import rules
from .models import Case


def _published_by_year(village) -> callable:
    versions = list(
        PolicyVersion.objects.filter(district_id=village.district_id)
        .order_by("-year_from", "-id")
        .values_list("year_from", "data")
    )
    cache: dict[int, tuple[str, ...]] = {}

    def published(year: int) -> tuple[str, ...]:
        if year not in cache:
            data = next((d for y, d in versions if y <= year), None)
            policy = DEFAULT_POLICY if data is None else Policy.from_json(data)
            cache[year] = policy.published
        return cache[year]

    return published


def load(village, items):
    rows = list(
        Case.objects.filter(village_id=village.pk, state__in=rules.IN_FORCE)
        .select_related("person")
        .only(
            "id",
            "year",
            "measure",
            "subject",
            "post_kind",
            "clause",
            "in_force_at",
            "number",
            "person__name",
        )
        .order_by("-year", "-in_force_at", "id")
    )
    if not rows:
        return None
    published = _published_by_year(village)
    shown = [c for c in rows if c.measure in published(c.year)]
    return {"cases": shown} if shown else None


def stamp_sql() -> str:
    q = connection.ops.quote_name
    case, pv = q(Case._meta.db_table), q(PolicyVersion._meta.db_table)

    def t(expr):
        return f"COALESCE(CAST({expr} AS TEXT), '')"

    # Table names come from the models, quoted; nothing comes from the request.
    latest = f"(SELECT MAX(pv.id) FROM {pv} pv)"  # noqa: S608
    return (
        f"SELECT {t('COUNT(*)')} || '/' || {t('SUM(c.version)')} || '/' || "  # noqa: S608
        f"{t(latest)} FROM {case} c "
        "WHERE c.village_id = u.id AND c.in_force_at IS NOT NULL"
    )


register(
    Section(
        key="accountability",
        order=80,
        load=load,
        template="accountability/_bulletin.html",
        stamp_sql=stamp_sql,
    )
)
