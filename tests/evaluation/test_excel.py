"""Excel templates (issue #6.6): verdicts and tallies exported and imported, all rows or none,
row errors naming the Excel row."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from jiannuo.core.errors import ServiceError
from jiannuo.core.excel import workbook
from jiannuo.evaluation import excel, services
from jiannuo.evaluation.models import Round, Tally, Verdict

from .conftest import YEAR, all_items, checkin_all

pytestmark = pytest.mark.django_db


def upload(headers, rows):
    buf = io.BytesIO(workbook("s", headers, rows))
    buf.size = len(buf.getvalue())
    return buf


def rows_of(data):
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_verdicts_round_trip(tree, cast, letters, group):
    rows = rows_of(excel.verdicts_export(tree.a1, YEAR))
    assert rows[0] == [*excel.VERDICT_HEADERS, excel.VERDICT_VERSION]
    assert len(rows) == 1 + len(all_items(letters))
    filled = [[r[0], *r[1:5], "完成", "", "台账"] for r in rows[1:]]
    filled[0][5:7] = ["未完成", "失职"]
    n = excel.verdicts_import(
        actor=cast.assessor_a, village=tree.a1, year=YEAR,
        upload=upload(excel.VERDICT_HEADERS, filled),
    )  # fmt: skip
    assert n == len(filled) == Verdict.objects.count()
    assert Verdict.objects.get(item_id=filled[0][0]).verdict == "not_fulfilled"


def test_verdict_import_is_all_or_nothing_with_row_errors(tree, cast, letters, group):
    rows = rows_of(excel.verdicts_export(tree.a1, YEAR))[1:]
    filled = [[r[0], *r[1:5], "完成", "", ""] for r in rows]
    filled[2][5] = "差不多"
    filled[3][5:7] = ["部分完成", ""]
    filled[4][0] = 999999
    with pytest.raises(ServiceError) as exc:
        excel.verdicts_import(
            actor=cast.assessor_a,
            village=tree.a1,
            year=YEAR,
            upload=upload(excel.VERDICT_HEADERS, filled),
        )
    assert [d["row"] for d in exc.value.details] == [4, 5, 6]
    assert not Verdict.objects.exists()


def test_verdict_import_refuses_an_assessor_outside_the_group(tree, cast, letters, group):
    rows = rows_of(excel.verdicts_export(tree.a1, YEAR))[1:]
    filled = [[r[0], *r[1:5], "完成", "", ""] for r in rows]
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied inside the import
        excel.verdicts_import(
            actor=cast.staff_a,
            village=tree.a1,
            year=YEAR,
            upload=upload(excel.VERDICT_HEADERS, filled),
        )
    assert not Verdict.objects.exists()


@pytest.fixture
def paper(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="paper")
    checkin_all(rnd, cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)
    services.round_close(actor=cast.supervisor, round=rnd)
    rnd.refresh_from_db()
    return rnd


def test_tallies_round_trip_and_all_or_nothing(paper, cast):
    rows = rows_of(excel.tallies_export(paper))[1:]
    good = [[r[0], r[1], 10, 10, 0, 6, 2, 1, 1] for r in rows]
    bad = [list(r) for r in good]
    bad[1][4] = 11  # more spoiled than returned
    bad[2][5] = 9  # options do not add up
    with pytest.raises(ServiceError) as exc:
        excel.tallies_import(
            actor=cast.supervisor, rnd=paper, upload=upload(excel.TALLY_HEADERS, bad)
        )
    assert [d["row"] for d in exc.value.details] == [3, 4]
    assert not Tally.objects.exists()
    n = excel.tallies_import(
        actor=cast.supervisor, rnd=paper, upload=upload(excel.TALLY_HEADERS, good)
    )
    assert n == 4 and Tally.objects.filter(confirmed_at__isnull=True).count() == 4


def test_a_row_with_more_returned_than_issued_voids_the_round_as_on_the_page(paper, cast):
    """§三.6 (DOMAIN.md paper ballots): more returned than issued voids the round, whether the
    tally is typed on the page or imported; nothing of the file is saved."""
    rows = rows_of(excel.tallies_export(paper))[1:]
    filled = [[r[0], r[1], 10, 10, 0, 6, 2, 1, 1] for r in rows]
    filled[1][3] = 11  # row 3: 11 returned, 10 issued
    filled[2][5] = 9  # row 4: options do not add up
    with pytest.raises(ServiceError) as exc:
        excel.tallies_import(
            actor=cast.supervisor, rnd=paper, upload=upload(excel.TALLY_HEADERS, filled)
        )
    assert exc.value.code == "round_void"
    assert "3" in str(exc.value.message)
    assert [d["row"] for d in exc.value.details] == [3, 4]
    paper.refresh_from_db()
    assert paper.state == Round.VOID and "11" in paper.void_reason
    assert not Tally.objects.exists()


def test_export_pages_download(client, cast, tree, paper, group):
    client.force_login(cast.supervisor)
    r = client.get(f"/evaluation/rounds/{paper.pk}/tallies.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    client.force_login(cast.assessor_a)
    r = client.get(f"/evaluation/villages/{tree.a1.pk}/{YEAR}/verdicts.xlsx")
    assert r.status_code == 200
    client.force_login(cast.branch_a2)
    assert client.get(f"/evaluation/rounds/{paper.pk}/tallies.xlsx").status_code == 404


@pytest.mark.parametrize("bomb", ["dimension", "inline_string"])
def test_hostile_workbooks_are_refused_and_nothing_is_saved(
    paper, tree, cast, letters, group, bomb
):
    """Issue #12.4: both evaluation importers read through the guarded reader."""
    from jiannuo.core.models import AuditEntry
    from tests.helpers import dimension_bomb, inline_string_bomb

    make = dimension_bomb if bomb == "dimension" else inline_string_bomb
    rows = rows_of(excel.verdicts_export(tree.a1, YEAR))[1:]
    verdicts = [[r[0], *r[1:5], "完成", "", ""] for r in rows]
    tallies = [
        [r[0], r[1], 10, 10, 0, 6, 2, 1, 1] for r in rows_of(excel.tallies_export(paper))[1:]
    ]
    audit = AuditEntry.objects.count()
    for call in (
        lambda: excel.verdicts_import(
            actor=cast.assessor_a, village=tree.a1, year=YEAR,
            upload=make(excel.VERDICT_HEADERS, verdicts),
        ),
        lambda: excel.tallies_import(
            actor=cast.supervisor, rnd=paper, upload=make(excel.TALLY_HEADERS, tallies)
        ),
    ):  # fmt: skip
        with pytest.raises(ServiceError) as exc:
            call()
        assert exc.value.code in ("sheet_too_large", "file_too_large")
    assert not Verdict.objects.exists() and not Tally.objects.exists()
    assert AuditEntry.objects.count() == audit
