"""The supervision section of the public bulletin board (§五.3, §三.4 村务公开栏).

Under each pledge item: the latest progress report marked public, the public evidence not
retracted, and an adjustment for objective reasons with its reason — once the new version of
the letter that carries the adjusted item is signed and in force, the item says so. Two queries
whatever the number of items; nothing that was not marked public, and no villager's personal
details.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, OuterRef, Subquery

from . import rules
from .models import Adjustment, Evidence, ItemState


def load(village, items) -> dict | None:
    vids = {i.letter_version_id for i in items}
    if not vids:
        return None
    states = {
        (s.vid, s.item_code): s
        for s in ItemState.objects.filter(letter__versions__id__in=vids)
        .exclude(public_at__isnull=True, adjusted_at__isnull=True)
        .annotate(
            vid=F("letter__versions__id"),
            vnum=F("letter__versions__number"),
            adj_version=Subquery(
                Adjustment.objects.filter(state_row=OuterRef("pk"), state=rules.ADJ_APPROVED)
                .order_by("-decided_at", "-id")
                .values("new_version")[:1]
            ),
        )
    }
    evidence: dict = {}
    for ev in (
        Evidence.objects.filter(
            state__letter__versions__id__in=vids, public=True, retracted_at__isnull=True
        )
        .annotate(vid=F("state__letter__versions__id"), code=F("state__item_code"))
        .only("id", "content_type", "caption", "uploaded_at", "state_id")
        .order_by("uploaded_at", "id")
    ):
        evidence.setdefault((ev.vid, ev.code), []).append(ev)
    if not states and not evidence:
        return None
    fulfilled = reported = 0
    adjusted = []
    for item in items:
        key = (item.letter_version_id, item.code)
        st = states.get(key)
        item.supervision = {
            "state": st,
            "evidence": evidence.get(key, []),
            # The version in force is the one that carries the approved adjustment.
            "in_version": st.vnum if st is not None and st.adj_version == st.vnum else None,
        }
        if st is not None and st.public_at is not None:
            reported += 1
            fulfilled += st.public_status == rules.FULFILLED
        if st is not None and st.adjusted_at is not None:
            adjusted.append((item, st))
    return {
        "reported": reported,
        "fulfilled": fulfilled,
        "total": len(items),
        "adjusted": adjusted,
    }


def stamp_sql() -> str:
    """Grows with every change of the public progress, evidence or adjustments."""
    table = connection.ops.quote_name(ItemState._meta.db_table)
    return f"SELECT COALESCE(SUM(s.public_version), 0) FROM {table} s WHERE s.village_id = u.id"  # noqa: S608
