"""Who sees which report (§五.3): the district its townships, a township its villages; another
township, village roles, assessors and accounts without a role get a 404 (the public has the
bulletin board); anonymous visitors are sent to log in. Pages, the Excel export and the API
follow the same rules."""

from __future__ import annotations

import pytest
from django.test import Client

from .conftest import YEAR

pytestmark = pytest.mark.django_db

TOWNSHIP_A = ["secretary_a", "deputy_a", "staff_a"]
REFUSED = [
    "assessor_a",
    "branch",
    "director",
    "member",
    "supervisor",
    "voter",
    "branch_a2",
    "outsider",
]


def client(user):
    c = Client()
    c.force_login(user)
    return c


def test_district_admin_sees_townships_and_drills_down(tree, cast, data, pinned):
    c = client(cast.district)
    r = c.get(f"/reports/?year={YEAR}")
    assert r.status_code == 200
    assert r.context["unit"] == tree.district
    assert [row.unit for row in r.context["rep"].rows] == [tree.a, tree.b]
    html = r.content.decode()
    assert f'href="/reports/?year={YEAR}&amp;unit={tree.a.pk}"' in html  # drill-down link
    r = c.get(f"/reports/?year={YEAR}&unit={tree.a.pk}")
    assert r.status_code == 200
    assert [row.unit for row in r.context["rep"].rows] == [tree.a1, tree.a2]
    assert r.context["up"] == tree.district
    html = r.content.decode()
    # From a village row to the village's own pages.
    assert f'href="/evaluation/villages/{tree.a1.pk}/{YEAR}/"' in html
    assert f'href="/supervision/village/{tree.a1.pk}/?year={YEAR}"' in html
    assert f'href="/bulletin/{tree.a1.code}/"' in html
    assert c.get(f"/reports/report.xlsx?year={YEAR}&unit={tree.b.pk}").status_code == 200


@pytest.mark.parametrize("name", TOWNSHIP_A)
def test_township_officials_see_their_villages_only(tree, cast, data, pinned, name):
    c = client(getattr(cast, name))
    r = c.get(f"/reports/?year={YEAR}")
    assert r.status_code == 200
    assert r.context["unit"] == tree.a and r.context["up"] is None
    assert [row.unit for row in r.context["rep"].rows] == [tree.a1, tree.a2]
    for unit in (tree.b, tree.district, tree.a1):
        assert c.get(f"/reports/?year={YEAR}&unit={unit.pk}").status_code == 404
        assert c.get(f"/reports/report.xlsx?year={YEAR}&unit={unit.pk}").status_code == 404
        assert c.get(f"/api/v1/reports/{YEAR}?unit_id={unit.pk}").status_code == 404
    assert c.get(f"/api/v1/reports/{YEAR}").status_code == 200


def test_other_township_is_refused_in_a(tree, cast, data, pinned):
    c = client(cast.secretary_b)
    assert c.get(f"/reports/?year={YEAR}&unit={tree.a.pk}").status_code == 404
    assert c.get(f"/api/v1/reports/{YEAR}?unit_id={tree.a.pk}").status_code == 404
    r = c.get(f"/reports/?year={YEAR}")
    assert r.context["unit"] == tree.b
    assert [row.unit for row in r.context["rep"].rows] == [tree.b1]


@pytest.mark.parametrize("name", REFUSED)
def test_village_roles_and_others_get_404(tree, cast, data, pinned, name):
    c = client(getattr(cast, name))
    assert c.get("/reports/").status_code == 404
    assert c.get(f"/reports/?year={YEAR}&unit={tree.a.pk}").status_code == 404
    assert c.get("/reports/report.xlsx").status_code == 404
    assert c.get(f"/api/v1/reports/{YEAR}").status_code == 404


def test_anonymous_is_sent_to_log_in(tree, data):
    c = Client()
    for url in ("/reports/", "/reports/report.xlsx"):
        r = c.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert c.get(f"/api/v1/reports/{YEAR}").status_code == 401


def test_navigation_points_to_the_reports(cast, tree):
    r = client(cast.district).get("/reports/")
    steps = {s["key"]: s for s in r.context["nav_steps"]()}
    assert steps["reports"]["url"] == "/reports/" and steps["reports"]["active"]
