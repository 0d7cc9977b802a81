"""Benchmark the township early-warning dashboard (seed §五.3) against its baseline.

Not a test. On a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL is set — pytest-style ``test_`` database, created and dropped) it builds a township
of 20 villages, each with a signed team letter and 5 cadre letters of 10 items (1,200 items, half
with progress and an inspection finding per village), then times:

- ``tracked`` + the village roll-up: every item rated with its reasons (what the dashboard shows);
- the baseline: reading the same item, state and finding rows with plain ``values()`` queries —
  the cheapest the data can be fetched at all, with no rating.

Prints both times, the dashboard's query count and the ratio.

    .venv/bin/python bench/bench_supervision.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings")

VILLAGES = 20
LETTERS = 5
ITEMS = 10
DAY = date(2026, 8, 1)
KINDS = [
    "committee_director",
    "branch_deputy_secretary",
    "branch_committee_member",
    "committee_deputy_director",
    "committee_member",
]


def build():
    from django.contrib.auth.models import User

    from jiannuo.accounts.models import RoleAssignment
    from jiannuo.core import roles
    from jiannuo.core.system import system_user
    from jiannuo.organisation import services as org
    from jiannuo.organisation.models import Unit
    from jiannuo.pledges.models import Letter
    from jiannuo.supervision.models import Inspection, InspectionFinding, ItemState
    from tests.factories import make_signed_letter

    system = system_user()
    d = org.unit_create(actor=system, kind=Unit.DISTRICT, name="基准区", code="BD")
    t = org.unit_create(
        actor=system, kind=Unit.TOWNSHIP, name="基准镇", code="BT", parent=d,
        township_type=Unit.TOWN,
    )  # fmt: skip
    term = org.term_create(
        actor=system, district=d, name="基准届", start=date(2021, 1, 1), end=date(2026, 12, 31)
    )
    staff = User.objects.create_user("bench_staff")
    RoleAssignment.objects.create(user=staff, role=roles.TOWNSHIP_STAFF, unit=t)
    for v in range(VILLAGES):
        village = org.unit_create(
            actor=system, kind=Unit.VILLAGE, name=f"基准村{v}", code=f"BV{v:02d}", parent=t
        )
        team = make_signed_letter(village, term, Letter.TEAM, year=2026, items=ITEMS)
        letters = [team]
        for k, kind in enumerate(KINDS[:LETTERS]):
            person = org.person_create(
                actor=system, village=village, name=f"干部{v}-{k}", phone=f"139{v:04d}{k:04d}"
            )
            post = org.post_assign(actor=system, person=person, kind=kind, start=date(2021, 1, 1))
            letters.append(
                make_signed_letter(
                    village,
                    term,
                    Letter.MEMBER,
                    post,
                    year=2026,
                    items=ITEMS,
                    breaks_down=team.items,
                )
            )
        insp = Inspection.objects.create(
            village=village, kind="scheduled", date=date(2026, 6, 1), inspectors="x",
            created_by=system,
        )  # fmt: skip
        for s in letters:
            for n, item in enumerate(s.items):
                if n % 2:
                    continue
                st = ItemState.objects.create(
                    letter=s.letter, item_code=item.code, village=village,
                    status="in_progress", percent=(n * 13) % 100,
                )  # fmt: skip
                if n == 0:
                    InspectionFinding.objects.create(
                        inspection=insp, state_row=st, village=village, text="x",
                        rectify_by=date(2026, 7, 1),
                    )  # fmt: skip
    return staff


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases

    from jiannuo.pledges.models import PledgeItem
    from jiannuo.signing.models import SignedLetter
    from jiannuo.supervision import rules, selectors
    from jiannuo.supervision.models import InspectionFinding, ItemState

    old = setup_databases(verbosity=0, interactive=False)
    try:
        staff = build()

        def dashboard():
            staff._jiannuo_grants = None
            rows = selectors.tracked(staff, year=2026, today=DAY)
            groups = selectors.by_village(rows)
            selectors.chart(groups)
            return rows

        def baseline():
            signed = list(
                SignedLetter.objects.filter(superseded_at__isnull=True).values(
                    "id", "letter_id", "version_id", "letter__village_id"
                )
            )
            vids = [s["version_id"] for s in signed]
            list(PledgeItem.objects.filter(letter_version_id__in=vids).values())
            list(ItemState.objects.values())
            list(InspectionFinding.objects.values("state_row_id", "state", "rectify_by"))

        rows = dashboard()
        with CaptureQueriesContext(connection) as q:
            dashboard()
        levels = rules.rate_many(r.level for r in rows)

        def best(fn):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            return min(times)

        t_dash, t_base = best(dashboard), best(baseline)
        print(f"database: {connection.vendor}; items: {len(rows)}; levels: {levels.counts}")
        print(f"dashboard (rated, rolled up): {t_dash * 1000:.1f} ms, {len(q)} queries")
        print(f"baseline (plain rows):        {t_base * 1000:.1f} ms")
        print(f"ratio dashboard / baseline:   {t_dash / t_base:.2f}")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
