"""Early warning and dashboards (§五.3): figures checked against a fixture computed by hand.

Fixture (柳树村's 2026 letters, signed 2026-02-20; deadlines 03-31, 06-30, 09-30, 12-31 for
items 1–4), rated on 2026-05-01. Time elapsed since signing (70 days):
item 1: past; item 2: 70/130 = 53.8%; item 3: 70/222 = 31.5%; item 4: 70/314 = 22.3%.

    secretary S1 fulfilled → done       S2 60 → lag −6 → ok
              S3 0 → lag 31.5 → at_risk S4 10 → lag 12.3 → watch
    director  D1 80, past → overdue     D2 20 → lag 33.8 → at_risk
              D3 30 → lag 1.5 → ok, one open finding → watch
              D4 0 → lag 22.3 → watch
    member    M1 fulfilled → done       M2 50 → lag 3.8 → ok; open finding → watch,
              M3 10 → lag 21.5 → watch     its rectification overdue (04-15) → at_risk
              M4 none (0) → lag 22.3 → watch
    team (rolled up, mean rounded down of the members' items that break it down)
              T1 = (S1 100 + D1 80)/2 = 90, past → overdue
              T2 = (S2 60 + D2 20 + M1 100)/3 = 60 → ok
              T3 = (S3 0 + D3 30 + M2 50)/3 = 26 → lag 5.5 → ok
              T4 = (S4 10 + D4 0 + M3 10)/3 = 6 → lag 16.3 → watch
    河口村 team letter, 2 items, no progress: item 1 overdue; item 2 0 → lag 53.8 → at_risk
    东湖村 (the other township) team letter, 1 item, no progress: overdue

柳树村: done 2, ok 3, watch 6, at_risk 3, overdue 2 (16) → overdue.
石桥镇: done 2, ok 3, watch 6, at_risk 4, overdue 3 (18). 青山区 adds 东湖街道: overdue 1.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from jiannuo.pledges.models import Letter
from jiannuo.supervision import rules, selectors, services
from jiannuo.supervision.models import Inspection
from tests.factories import make_signed_letter

DAY = date(2026, 5, 1)

VILLAGE_A1 = {"done": 2, "ok": 3, "watch": 6, "at_risk": 3, "overdue": 2}
VILLAGE_A2 = {"done": 0, "ok": 0, "watch": 0, "at_risk": 1, "overdue": 1}
VILLAGE_B1 = {"done": 0, "ok": 0, "watch": 0, "at_risk": 0, "overdue": 1}
TOWNSHIP_A = {"done": 2, "ok": 3, "watch": 6, "at_risk": 4, "overdue": 3}
LEVELS = {
    "S": ["done", "ok", "at_risk", "watch"],
    "D": ["overdue", "at_risk", "watch", "watch"],
    "M": ["done", "at_risk", "watch", "watch"],
    "T": ["overdue", "ok", "ok", "watch"],
}
PERCENTS = {"T": [90, 60, 26, 6]}


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr(selectors, "current_day", lambda: DAY)


@pytest.fixture
def fixture(year, tree, cast, pinned):
    def rec(user, signed, code, status, percent=None):
        services.progress_record(
            actor=user, letter=signed.letter, item_code=code, status=status, percent=percent
        )

    rec(cast.branch, year.secretary, "1", "fulfilled")
    rec(cast.branch, year.secretary, "2", "in_progress", 60)
    rec(cast.branch, year.secretary, "3", "not_started")
    rec(cast.branch, year.secretary, "4", "in_progress", 10)
    rec(cast.director, year.director, "1", "in_progress", 80)
    rec(cast.director, year.director, "2", "in_progress", 20)
    rec(cast.director, year.director, "3", "in_progress", 30)
    rec(cast.director, year.director, "4", "not_started")
    rec(cast.member, year.member, "1", "fulfilled")
    rec(cast.member, year.member, "2", "in_progress", 50)
    rec(cast.member, year.member, "3", "in_progress", 10)
    services.inspection_record(
        actor=cast.staff_a,
        village=tree.a1,
        kind=Inspection.SCHEDULED,
        day=date(2026, 4, 1),
        inspectors="镇督查组",
        findings=[
            {
                "letter": year.director.letter,
                "item_code": "3",
                "text": "台账不全",
                "rectify_by": date(2026, 5, 20),
            },
            {
                "letter": year.member.letter,
                "item_code": "2",
                "text": "未见进展",
                "rectify_by": date(2026, 4, 15),
            },
        ],
    )
    make_signed_letter(tree.a2, tree.term, Letter.TEAM, year=2026, items=2)
    make_signed_letter(tree.b1, tree.term, Letter.TEAM, year=2026, items=1)
    return year


def _levels(rows, signed):
    mine = sorted((r for r in rows if r.signed.pk == signed.pk), key=lambda r: r.item.code)
    return [r.level for r in mine], [r.percent for r in mine]


def test_item_levels_match_the_hand_computed_fixture(fixture, cast):
    rows = selectors.tracked(cast.secretary_a, year=2026, today=DAY)
    for prefix, signed in [
        ("S", fixture.secretary),
        ("D", fixture.director),
        ("M", fixture.member),
        ("T", fixture.team),
    ]:
        levels, percents = _levels(rows, signed)
        assert levels == LEVELS[prefix], prefix
        if prefix in PERCENTS:
            assert percents == PERCENTS[prefix]
    team = [r for r in rows if r.signed.pk == fixture.team.pk]
    assert all(r.rolled_up for r in team)
    m2 = next(r for r in rows if r.signed.pk == fixture.member.pk and r.item.code == "2")
    assert {f.rule for f in m2.reasons} == {"open_inspection_findings", "rectification_overdue"}


def test_village_township_and_cadre_rollups(fixture, cast):
    rows = selectors.tracked(cast.secretary_a, year=2026, today=DAY)
    villages = {g.label: g for g in selectors.by_village(rows)}
    assert villages["柳树村"].counts == VILLAGE_A1
    assert villages["柳树村"].level == rules.OVERDUE
    assert villages["河口村"].counts == VILLAGE_A2
    assert "东湖村" not in villages  # another township: out of scope
    [township] = selectors.by_township(rows)
    assert township.counts == TOWNSHIP_A
    cadres = {g.key: g for g in selectors.by_cadre([r for r in rows if r.village.name == "柳树村"])}
    sec = cadres[fixture.posts.secretary.pk]
    assert sec.counts == {"done": 1, "ok": 3, "watch": 2, "at_risk": 1, "overdue": 1}
    assert cadres[fixture.posts.director.pk].counts == {
        "done": 0,
        "ok": 0,
        "watch": 2,
        "at_risk": 1,
        "overdue": 1,
    }
    assert cadres[fixture.posts.member.pk].level == rules.AT_RISK


def test_district_sees_both_townships(fixture, cast):
    rows = selectors.tracked(cast.district, year=2026, today=DAY)
    townships = {g.label: g.counts for g in selectors.by_township(rows)}
    assert townships == {"石桥镇": TOWNSHIP_A, "东湖街道": VILLAGE_B1}


def _chart(html: str) -> dict:
    marker = '<script id="supervision-chart-data" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


def test_township_dashboard_page_shows_the_figures(fixture, cast, django_assert_num_queries):
    client = Client()
    client.force_login(cast.secretary_a)
    url = reverse("supervision:index") + "?year=2026"
    client.get(url)  # warm the session
    with django_assert_num_queries(11) as ctx:
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    chart = _chart(html)
    assert chart["categories"] == ["柳树村", "河口村"]
    by_key = {s["key"]: s["data"] for s in chart["series"]}
    assert by_key == {k: [VILLAGE_A1[k], VILLAGE_A2[k]] for k in rules.LEVELS}
    assert "vendor/echarts-6.1.0.min.js" in html and "cdn" not in html.lower()
    assert f'data-village="{fixture.team.letter.village_id}" data-level="overdue"' in html
    # The same number of queries with more villages and items.
    n = len(ctx.captured_queries)
    from jiannuo.organisation import services as org

    for k in range(3):
        v = org.unit_create(
            actor=cast.district,
            kind="village",
            name=f"新村{k}",
            code=f"SQ9{k}",
            parent=fixture.team.letter.village.parent,
        )
        make_signed_letter(v, fixture.team.letter.term, Letter.TEAM, year=2026, items=6)
    with django_assert_num_queries(n):
        assert client.get(url).status_code == 200


def test_district_dashboard_and_drill_down(fixture, cast, tree):
    client = Client()
    client.force_login(cast.district)
    html = client.get(reverse("supervision:index") + "?year=2026").content.decode()
    assert 'id="townships"' in html and "东湖街道" in html
    village = client.get(reverse("supervision:village", args=[tree.a1.pk]) + "?year=2026")
    html = village.content.decode()
    assert village.status_code == 200
    chart = _chart(html)
    assert sum(sum(s["data"]) for s in chart["series"]) == 16
    item_url = reverse("supervision:item", args=[fixture.member.letter.pk, "2"])
    assert item_url in html
    page = client.get(item_url).content.decode()
    assert 'data-level="at_risk"' in page


@pytest.mark.parametrize("who", ["voter", "outsider"])
def test_dashboard_refused_without_scope(fixture, cast, who):
    client = Client()
    client.force_login(getattr(cast, who))
    assert client.get(reverse("supervision:index")).status_code == 403


@pytest.mark.parametrize("who", ["branch_a2", "secretary_b", "voter", "outsider"])
def test_village_page_out_of_scope_is_404(fixture, cast, tree, who):
    client = Client()
    client.force_login(getattr(cast, who))
    assert client.get(reverse("supervision:village", args=[tree.a1.pk])).status_code == 404
    url = reverse("supervision:item", args=[fixture.member.letter.pk, "1"])
    assert client.get(url).status_code == 404


def test_api_dashboard_matches(fixture, cast):
    client = Client()
    client.force_login(cast.secretary_a)
    data = client.get("/api/v1/supervision/dashboard?year=2026").json()
    assert data["counts"] == TOWNSHIP_A
    assert {v["name"]: v["counts"] for v in data["villages"]} == {
        "柳树村": VILLAGE_A1,
        "河口村": VILLAGE_A2,
    }
