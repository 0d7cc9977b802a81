"""The evaluation section of the public bulletin board: the confirmed year-end results.

Only confirmed years appear, and only what the district's settings publish (``Policy.published``:
"satisfaction_rates", "grades", "verdicts"). Cadres consented to publication when signing;
nothing about voters is shown. Three queries whatever the number of pledges.
"""

from __future__ import annotations

from django.db import connection

from jiannuo.bulletin.sections import Section, register
from jiannuo.organisation.policy import policy_for

from .models import PostResult, Verdict, YearResult


def load(village, items):
    result = (
        YearResult.objects.filter(village_id=village.pk, state=YearResult.CONFIRMED)
        .order_by("-year")
        .first()
    )
    if result is None:
        return None
    policy = policy_for(village, result.year)
    published = set(policy.published)
    rows = list(PostResult.objects.filter(result=result).order_by("post_id", "id"))
    rows.sort(key=lambda r: (r.post_id is not None, r.post_id or 0))
    verdicts = {}
    if "verdicts" in published and items:
        verdicts = {
            v.item_id: v
            for v in Verdict.objects.filter(item_id__in=[getattr(i, "pk", i) for i in items])
        }
    return {
        "year": result.year,
        "confirmed_at": result.confirmed_at,
        "rows": rows,
        "rates": "satisfaction_rates" in published,
        "grades": "grades" in published,
        "verdicts": verdicts,
        "show": bool(published & {"satisfaction_rates", "grades"}),
    }


def stamp_sql() -> str:
    table = connection.ops.quote_name(YearResult._meta.db_table)
    return (
        f"SELECT COALESCE(CAST(COUNT(*) AS TEXT), '') || '/' || "  # noqa: S608
        f"COALESCE(CAST(MAX(r.id) AS TEXT), '') FROM {table} r "
        f"WHERE r.village_id = u.id AND r.state = 'confirmed'"
    )


register(
    Section(
        key="evaluation",
        order=40,
        load=load,
        template="evaluation/_bulletin.html",
        item_template="evaluation/_bulletin_item.html",
        stamp_sql=stamp_sql,
    )
)
