"""The demo district (``jiannuo demo``): the report shows its completed 2025 and its 2026 in
progress with real figures, each checked against the steps' own data counted another way."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from jiannuo.accountability.models import Case
from jiannuo.demo import load
from jiannuo.evaluation.models import Verdict, YearResult
from jiannuo.organisation.models import Unit
from jiannuo.reports import selectors
from jiannuo.signing.models import SignedLetter
from tests.helpers import DEMO_DAY


@pytest.mark.django_db
def test_demo_report_has_real_figures():
    load(today=DEMO_DAY)
    district = Unit.objects.get(kind=Unit.DISTRICT)
    c = Client()
    c.force_login(User.objects.get(username="district"))
    r = c.get("/reports/")
    assert r.status_code == 200
    assert r.context["years"][:2] == [2026, 2025] and r.context["year"] == 2026

    y25 = selectors.report(district, 2025)
    assert [row.unit.name for row in y25.rows] == ["石桥镇", "东湖街道"]
    t = y25.total
    assert t.villages == 6
    in_force = SignedLetter.objects.filter(
        letter__year=2025, signed_at__isnull=False, superseded_at__isnull=True
    )
    assert t.letters_signed == in_force.count() > 0
    assert t.letters_expected >= t.letters_signed
    assert t.fulfilled + t.partly + t.not_fulfilled == Verdict.objects.filter(year=2025).count()
    assert t.not_fulfilled > 0 and t.partly > 0  # the demo's broken pledges
    confirmed = YearResult.objects.filter(year=2025, state=YearResult.CONFIRMED).count()
    assert t.villages_confirmed == confirmed == 2
    assert t.below_yellow >= 1 and t.below_resignation >= 1  # 55% and 40% in 柳树村
    assert sum(t.grade_list) == t.rated + t.no_valid
    assert t.cases == Case.objects.filter(year=2025).count() > 0
    assert (
        sum(t.measures.values())
        == Case.objects.filter(year=2025, state__in=["decided", "appealed", "carried_out"]).count()
        > 0
    )

    y26 = selectors.report(district, 2026)
    assert y26.total.letters_signed > 0 and y26.total.items > 0
    assert y26.total.villages_confirmed == 0  # the year is in progress

    township = Unit.objects.get(name="石桥镇")
    r = c.get(f"/reports/?year=2025&unit={township.pk}")
    names = [row.unit.name for row in r.context["rep"].rows]
    assert names == ["柳树村", "王家庄村", "河口村"]
    assert c.get(f"/reports/report.xlsx?year=2025&unit={township.pk}").status_code == 200
