"""Demo data of the bulletin step (seed §三.4): every village whose signed letters are
published records that the poster went up on its board (no photo), through the service."""

from __future__ import annotations

from jiannuo.core.system import system_user
from jiannuo.signing.models import SignedLetter

from . import services


def load(units: dict) -> None:
    actor = system_user()
    from jiannuo.demo import clock

    today = clock().today
    published = (
        SignedLetter.objects.filter(published_at__isnull=False, superseded_at__isnull=True)
        .values_list("letter__village_id", "letter__year")
        .distinct()
    )
    by_id = {u.pk: u for u in units.values()}
    done = set()
    for village_id, year in published:
        village = by_id.get(village_id)
        if village is None or village_id in done:
            continue
        done.add(village_id)
        services.poster_posting_record(
            actor=actor, village=village, year=year or today.year, posted_on=today
        )
