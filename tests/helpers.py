"""Small helpers shared by tests."""

import io

from jiannuo.core.excel import workbook
from jiannuo.organisation import roster


def roster_file(rows, name="roster.xlsx") -> io.BytesIO:
    """An in-memory roster workbook with the template's header row and ``rows``."""
    buf = io.BytesIO(workbook("花名册", roster.HEADERS, rows))
    buf.name = name
    buf.size = len(buf.getvalue())
    return buf


def row(
    village="柳树村",
    name="孙立新",
    phone="13800000001",
    post="村民代表",
    start="2021-01-01",
    end="",
    gender="男",
    birth="1975-03-02",
    township="石桥镇",
):
    return [township, village, name, gender, birth, phone, post, start, end]
