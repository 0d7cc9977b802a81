"""Small helpers shared by tests."""

import io
from datetime import date

from jiannuo.core.excel import workbook
from jiannuo.organisation import roster

# The day the demo district's story is told on in tests that name its years (2025 closed,
# 2026 current): without it the demo follows the calendar and those tests break on 1 March 2027.
DEMO_DAY = date(2026, 11, 25)


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


# --- Hostile workbooks (issue #12.4): small on the wire, huge once opened ---------------------


def _rewrite(data: bytes, replace) -> bytes:
    """A copy of the .xlsx ``data`` with each member passed through ``replace(name, bytes)``,
    which returns new bytes or an iterable of chunks (streamed, so a test stays small)."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            new = replace(info.filename, src.read(info.filename))
            if isinstance(new, bytes):
                dst.writestr(info.filename, new)
            else:
                with dst.open(info.filename, "w", force_zip64=True) as f:
                    for chunk in new:
                        f.write(chunk)
    return out.getvalue()


def _upload(data: bytes, name="bomb.xlsx") -> io.BytesIO:
    buf = io.BytesIO(data)
    buf.name = name
    buf.size = len(data)
    return buf


def dimension_bomb(headers, rows, ref="A1:XFD1048576") -> io.BytesIO:
    """A valid workbook whose first sheet declares the dimension ``ref`` (openpyxl pads every
    row and the sheet to it: 82 s of CPU and 1.5 GB for a 137 KB file)."""
    import re

    def replace(name, content):
        if name == "xl/worksheets/sheet1.xml":
            return re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), content)
        return content

    return _upload(_rewrite(workbook("s", headers, rows), replace))


def inline_string_bomb(headers, rows, megabytes=40) -> io.BytesIO:
    """A valid workbook whose second row's first cell is an inline string of ``megabytes`` MB
    (compressed to a few tens of KB)."""

    def replace(name, content):
        if name != "xl/worksheets/sheet1.xml":
            return content
        head, tail = content.split(b"</sheetData>")

        def chunks():
            yield head
            yield b'<row r="99"><c r="A99" t="inlineStr"><is><t>'
            block = b"A" * (1024 * 1024)
            for _ in range(megabytes):
                yield block
            yield b"</t></is></c></row></sheetData>" + tail

        return chunks()

    return _upload(_rewrite(workbook("s", headers, rows), replace))


def shared_strings_bomb(headers, rows, megabytes=20) -> io.BytesIO:
    """A workbook carrying a shared strings table that unzips to ``megabytes`` MB (openpyxl
    loads that table whole, before the first row)."""
    import zipfile

    data = workbook("s", headers, rows)
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            block = b"<si><t>" + b"B" * 1000 + b"</t></si>"
            for _ in range(megabytes * 1024):
                f.write(block)
            f.write(b"</sst>")
    return _upload(out.getvalue())
