"""The supervision demo (§五.3): 柳树村's 2026 year in progress, loaded with the whole demo."""

from datetime import date

import pytest
from django.core.cache import cache
from django.test import Client

from jiannuo.demo import load
from jiannuo.supervision import rules, selectors
from jiannuo.supervision.models import Adjustment, Evidence, InspectionFinding, Progress
from tests.helpers import DEMO_DAY

DAY = date(2026, 11, 25)


@pytest.mark.django_db
def test_demo_year_in_progress(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    units = load(today=DEMO_DAY)
    rows = selectors.tracked(None, year=2026, village=units["柳树村"], today=DAY)
    levels = {r.level for r in rows}
    assert {rules.DONE, rules.OK, rules.AT_RISK, rules.OVERDUE} <= levels
    assert Progress.objects.filter(public=True).exists()
    assert Evidence.objects.filter(public=True, content_type="image/jpeg").exists()
    states = set(InspectionFinding.objects.values_list("state", flat=True))
    assert states == {rules.RECT_CLOSED, rules.RECT_OPEN}
    assert Adjustment.objects.get().state == rules.ADJ_REQUESTED  # for the deputy to decide
    # Progress was reported by the cadres themselves, not by the system account.
    assert set(Progress.objects.values_list("recorded_by__username", flat=True)) - {"system"}
    cache.clear()
    html = Client().get(f"/bulletin/{units['柳树村'].code}/").content.decode()
    assert "data-progress" in html and "data-evidence" in html
