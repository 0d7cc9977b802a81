"""Hostile workbooks are refused before openpyxl parses them (issue #12.4): every importer
reads through ``core.excel.read_rows``, which checks the unzipped sizes and the declared
dimension first and then streams with row and column limits."""

from __future__ import annotations

import time

import pytest

from jiannuo.core import excel
from jiannuo.core.errors import ServiceError
from tests.helpers import dimension_bomb, inline_string_bomb, shared_strings_bomb

HEADERS = ["姓名", "电话"]
ROWS = [["孙立新", "13800000001"]]


def read(upload, max_rows=5000):
    return excel.read_rows(upload, HEADERS, max_bytes=2 * 1024 * 1024, max_rows=max_rows)


def test_a_normal_sheet_still_reads():
    rows = read(dimension_bomb(HEADERS, ROWS, ref="A1:B2"))
    assert [r.values for r in rows] == [{"姓名": "孙立新", "电话": "13800000001"}]


@pytest.mark.parametrize(
    "ref",
    [
        "A1:XFD1048576",  # the 137 KB file that took 82 s and 1.5 GB
        "A1:ZZ50",  # 702 columns
        "A1:B900000",  # 900,000 rows
        "A1:XFD7000",
    ],
)
def test_a_huge_declared_dimension_is_refused_at_once(ref):
    upload = dimension_bomb(HEADERS, ROWS, ref=ref)
    assert upload.size < 20_000
    started = time.process_time()
    with pytest.raises(ServiceError) as exc:
        read(upload)
    assert time.process_time() - started < 1
    assert exc.value.code == "sheet_too_large"


def test_a_huge_inline_string_is_refused_before_parsing():
    upload = inline_string_bomb(HEADERS, ROWS, megabytes=40)
    assert upload.size < 200_000
    started = time.process_time()
    with pytest.raises(ServiceError) as exc:
        read(upload)
    assert time.process_time() - started < 1
    assert exc.value.code == "file_too_large"
    assert "xl/worksheets/sheet1.xml" in str(exc.value.message)


def test_a_huge_shared_strings_table_is_refused_before_parsing():
    upload = shared_strings_bomb(HEADERS, ROWS, megabytes=20)
    assert upload.size < 200_000
    with pytest.raises(ServiceError) as exc:
        read(upload)
    assert exc.value.code == "file_too_large"


def test_rows_are_streamed_with_a_limit_even_when_the_dimension_lies():
    """A sheet that declares 2 rows but holds more than the limit stops at the limit."""
    rows = [[f"人{i}", f"138{i:08d}"] for i in range(30)]
    upload = dimension_bomb(HEADERS, rows, ref="A1:B2")
    with pytest.raises(ServiceError) as exc:
        read(upload, max_rows=20)
    assert exc.value.code == "too_many_rows"


def test_a_cell_longer_than_excel_allows_is_refused():
    with pytest.raises(ServiceError) as exc:
        read(inline_string_bomb(HEADERS, ROWS, megabytes=1))
    assert exc.value.code == "cell_too_long"
