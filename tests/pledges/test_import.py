"""Excel import of a letter's pledge items: all rows valid or nothing saved; every error names
its row and column (§三.3 填写承诺书)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from jiannuo.core.errors import ServiceError
from jiannuo.core.excel import workbook
from jiannuo.pledges import importing, services
from jiannuo.pledges.models import PledgeItem

from .conftest import reload


def sheet(rows, name="items.xlsx") -> io.BytesIO:
    buf = io.BytesIO(workbook("承诺事项", importing.HEADERS, rows))
    buf.name = name
    buf.size = len(buf.getvalue())
    return buf


GOOD = [
    ["工作目标", "年内硬化村内道路3公里", "3公里", "2026-10-31", "李建国", ""],
    ["好事实事", "新建村级养老服务站1处", "1处", "2026/9/30", "村委会委员 张秀英", ""],
]


def test_good_sheet_imports_every_row(cast, letters):
    n = services.items_import(
        actor=cast.branch, letter=letters.team, version=letters.team.version, upload=sheet(GOOD)
    )
    assert n == 2
    items = list(PledgeItem.objects.filter(letter_version__letter=letters.team).order_by("code"))
    assert [i.code for i in items] == ["T1", "T2"]
    assert items[0].responsible_post.person.name == "李建国"
    assert items[1].responsible_post.kind == "committee_member"
    assert str(items[1].deadline) == "2026-09-30"


def test_a_bad_row_is_named_and_nothing_is_saved(cast, letters):
    rows = [
        *GOOD,
        ["口号", "", "", "2027-01-05", "王二小", "T1"],  # row 4: every column wrong
    ]
    with pytest.raises(ServiceError) as exc:
        services.items_import(
            actor=cast.branch, letter=letters.team, version=letters.team.version, upload=sheet(rows)
        )
    assert exc.value.code == "import_invalid"
    cells = {(d["row"], d["column"]) for d in exc.value.details}
    assert cells == {
        (4, importing.COL_CATEGORY),
        (4, importing.COL_TEXT),
        (4, importing.COL_DEADLINE),
        (4, importing.COL_RESPONSIBLE),
        (4, importing.COL_BREAKS_DOWN),
    }
    assert not PledgeItem.objects.exists()


def test_member_rows_break_down_team_items_by_number(cast, complete):
    letter = reload(complete.member)
    rows = [["工作目标", "负责安装路灯20盏", "20盏", "2026-08-31", "", "T1、t2"]]
    services.items_import(
        actor=cast.member, letter=letter, version=letter.version, upload=sheet(rows)
    )
    item = PledgeItem.objects.get(letter_version__letter=letter, text="负责安装路灯20盏")
    assert sorted(t.code for t in item.breaks_down.all()) == ["T1", "T2"]
    rows = [["工作目标", "负责安装路灯20盏", "20盏", "", "", "T9"]]
    with pytest.raises(ServiceError) as exc:
        services.items_import(
            actor=cast.member,
            letter=reload(letter),
            version=reload(letter).version,
            upload=sheet(rows),
        )
    assert exc.value.details == [
        {"row": 2, "column": importing.COL_BREAKS_DOWN, "message": exc.value.details[0]["message"]}
    ]


def test_not_a_workbook_is_refused(cast, letters):
    buf = io.BytesIO(b"name,text\n")
    buf.size = 10
    with pytest.raises(ServiceError) as exc:
        services.items_import(
            actor=cast.branch, letter=letters.team, version=letters.team.version, upload=buf
        )
    assert exc.value.code == "file_type"


def test_import_page_lists_problems(client, cast, letters):
    client.force_login(cast.branch)
    url = reverse("pledges:import", args=[letters.team.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"version": letters.team.version, "file": sheet([*GOOD, ["工作目标", "", "", "", "", ""]])},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="problems"' in html and importing.COL_TEXT in html
    assert not PledgeItem.objects.exists()
    response = client.post(url, {"version": letters.team.version, "file": sheet(GOOD)})
    assert response.status_code == 302
    assert PledgeItem.objects.count() == 2


def test_template_download_has_the_headers(client, cast):
    client.force_login(cast.branch)
    response = client.get(reverse("pledges:items_template"))
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb.worksheets[0][1]] == importing.HEADERS


def test_import_through_the_api(cast, letters):
    c = Client()
    c.force_login(cast.branch)
    url = f"/api/v1/pledges/letters/{letters.team.pk}/items/import"
    bad = c.post(url, {"version": letters.team.version, "file": sheet([["x", "", "", "", "", ""]])})
    assert bad.status_code == 400
    assert {d["column"] for d in bad.json()["details"]} == {
        importing.COL_CATEGORY,
        importing.COL_TEXT,
    }
    ok = c.post(url, {"version": letters.team.version, "file": sheet(GOOD)})
    assert ok.status_code == 200 and ok.json() == {"imported": 2}
    assert c.get("/api/v1/pledges/items-template.xlsx").status_code == 200


@pytest.mark.parametrize("bomb", ["dimension", "inline_string"])
def test_hostile_workbooks_are_refused_and_nothing_is_saved(cast, letters, bomb):
    """Issue #12.4: the pledge item importer reads through the guarded reader."""
    from tests.helpers import dimension_bomb, inline_string_bomb

    make = dimension_bomb if bomb == "dimension" else inline_string_bomb
    with pytest.raises(ServiceError) as exc:
        services.items_import(
            actor=cast.branch,
            letter=letters.team,
            version=letters.team.version,
            upload=make(importing.HEADERS, GOOD),
        )
    assert exc.value.code in ("sheet_too_large", "file_too_large")
    assert not PledgeItem.objects.filter(letter_version__letter=letters.team).exists()
