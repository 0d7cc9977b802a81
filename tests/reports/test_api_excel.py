"""The report's API and Excel export carry the page's figures (fixture: ``conftest.py``,
arithmetic in ``test_figures.py``)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from jiannuo.reports import excel, selectors

from .conftest import YEAR

pytestmark = pytest.mark.django_db


def client(user):
    c = Client()
    c.force_login(user)
    return c


def test_api_district_and_drill_down(tree, cast, data, pinned):
    c = client(cast.district)
    body = c.get(f"/api/v1/reports/{YEAR}").json()
    assert body["unit"]["id"] == tree.district.pk and body["rows_are"] == "townships"
    assert [r["unit"]["name"] for r in body["rows"]] == ["石桥镇", "东湖街道"]
    total = body["total"]
    assert (total["letters_signed"], total["letters_expected"], total["items"]) == (6, 7, 20)
    assert total["fulfilment_rate"] == "50.00%"
    assert total["cases"]["pending"] == 2 and total["measures_decided"]["resignation"] == 1
    assert body["thresholds"] == {"yellow_card_below": "60", "resignation_below": "50"}

    body = c.get(f"/api/v1/reports/{YEAR}?unit_id={tree.a.pk}").json()
    assert body["rows_are"] == "villages"
    a2 = next(r["figures"] for r in body["rows"] if r["unit"]["id"] == tree.a2.pk)
    assert a2["fulfilment_rate"] == "66.66%" and a2["team_satisfaction"] == "49.00%"
    assert (a2["at_risk"], a2["overdue"], a2["below_resignation"]) == (0, 0, 1)  # confirmed
    a1 = next(r["figures"] for r in body["rows"] if r["unit"]["id"] == tree.a1.pk)
    assert a1["team_satisfaction"] == "59.99%" and a1["no_valid"] == 1
    assert a1["grades"]["not_graded"] == 1
    assert body["total"]["fulfilment_rate"] == "52.63%"


@pytest.mark.parametrize("year", [0, 1999, 2101, 99999])
def test_api_refuses_a_year_out_of_range(cast, year):
    r = client(cast.district).get(f"/api/v1/reports/{year}")
    assert (r.status_code, r.json()["code"]) == (400, "year_invalid")


def test_api_for_a_township_official(tree, cast, data, pinned):
    body = client(cast.staff_a).get(f"/api/v1/reports/{YEAR}").json()
    assert body["unit"]["id"] == tree.a.pk
    assert [r["unit"]["id"] for r in body["rows"]] == [tree.a1.pk, tree.a2.pk]


def test_excel_round_trip(tree, cast, data, pinned):
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(cast.secretary_a)
    r = c.get(f"/reports/report.xlsx?year={YEAR}")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    rep = selectors.report(tree.a, YEAR)
    with translation.override("zh-hans"):
        assert list(rows[0]) == excel.headers(rep)
    assert rows[0][:3] == ("村", "村数", "应签承诺书")
    assert len(set(rows[0])) == len(rows[0])  # every column named once
    assert len(rows) == 1 + 2 + 1  # header, 2 villages, total
    head = rows[0]
    by_name = {row[0]: dict(zip(head, row, strict=True)) for row in rows[1:]}
    a2 = by_name["河口村"]
    assert a2[head[2]] == 2 and a2[head[3]] == 1  # expected, signed
    assert a2[head[5]] == 3 and a2[head[10]] == "66.66%"
    assert by_name["柳树村"][head[11]] == 0  # at risk: not counted once the year is confirmed
    assert by_name["柳树村"][head[23]] == "59.99%"  # the team's satisfaction, truncated
    total = list(rows[-1])
    assert total[0] == "合计"
    assert total == excel._values("合计", rep.total, False)
    assert total[6:11] == [10, 2, 2, 5, "52.63%"]
    for row in rows[1:-1]:
        unit = next(x for x in rep.rows if x.unit.name == row[0])
        assert list(row) == excel._values(unit.unit.name, unit.figures, True)
    assert len(wb.worksheets) == 2  # the notes


def test_excel_neutralises_formula_like_names(tree, cast, data, pinned):
    from jiannuo.organisation.models import Unit

    Unit.objects.filter(pk=tree.a1.pk).update(name="=HYPERLINK(1)")
    r = client(cast.secretary_a).get(f"/reports/report.xlsx?year={YEAR}")
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    names = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(1)" in names
    assert ws.cell(row=2, column=1).data_type == "s"
