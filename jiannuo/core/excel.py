"""Reading and writing Excel sheets safely (openpyxl).

Uploads are checked for size, type and shape before a single row is used: every importer reads
through ``read_rows``, which inspects the zip container (the uncompressed size of each member,
the shared strings, each sheet's declared dimension) before openpyxl parses anything, then
streams the first sheet (read-only) with row and column limits. A workbook that is small on
the wire but huge inside (a "zip bomb", a declared dimension of a million rows, a 500 MB
string) is refused with a clear message and nothing is read or saved. Exported text that
starts like a formula is neutralised (RECIPES.md: formula injection) and characters that XML
cannot hold are removed, so any stored text exports.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from .errors import ServiceError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Limits on what a workbook holds once unzipped. Our templates with 5,000 rows unzip to a few
# MB; these leave a wide margin and keep parsing within seconds and a few hundred MB.
MAX_MEMBERS = 200  # files inside the zip
MAX_MEMBER_BYTES = 32 * 1024 * 1024  # any one part (a sheet's XML)
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024  # xl/sharedStrings.xml is loaded whole
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # all parts together
MAX_COLUMNS = 100  # columns a sheet may declare or use
ROW_SLACK = 1000  # declared rows beyond max_rows + header still accepted (blank rows)
MAX_CELL_CHARS = 32767  # Excel's own limit for one cell

# Characters XML 1.0 cannot carry (openpyxl refuses them on export with IllegalCharacterError).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\""
)


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; characters
    that an .xlsx cannot hold (control characters) are dropped, so any stored text exports."""
    if isinstance(value, str):
        value = _XML_ILLEGAL.sub("", value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _too_big(what: str) -> ServiceError:
    return ServiceError(
        _(
            "The Excel file is too large inside (%(what)s). Copy only the data rows into the "
            "template and upload that."
        )
        % {"what": what},
        code="file_too_large",
    )


def inspect_workbook(data: bytes, *, max_rows: int) -> None:
    """Refuse a workbook whose contents would be too costly to parse, before openpyxl sees it.

    Uses only the zip directory (declared uncompressed sizes: Python's zipfile never inflates
    a member beyond its declared size) and the first bytes of each sheet (its dimension).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ServiceError(
            _("The Excel file cannot be read: it may be damaged."), code="file_type"
        ) from exc
    with archive:
        if len(members) > MAX_MEMBERS:
            raise _too_big(_("%(n)s parts") % {"n": len(members)})
        total = 0
        for info in members:
            total += info.file_size
            limit = (
                MAX_SHARED_STRINGS_BYTES
                if info.filename.endswith("sharedStrings.xml")
                else MAX_MEMBER_BYTES
            )
            if info.file_size > limit:
                raise _too_big(
                    _("%(part)s unzips to %(mb)s MB")
                    % {"part": info.filename, "mb": info.file_size // (1024 * 1024)}
                )
        if total > MAX_TOTAL_BYTES:
            raise _too_big(_("%(mb)s MB unzipped") % {"mb": total // (1024 * 1024)})
        for info in members:
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            try:
                with archive.open(info) as f:
                    head = f.read(64 * 1024)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise ServiceError(
                    _("The Excel file cannot be read: it may be damaged."), code="file_type"
                ) from exc
            m = _DIMENSION.search(head)
            if not m:
                continue
            last_col, last_row = (m.group(3), m.group(4)) if m.group(3) else m.group(1, 2)
            rows = int(last_row) if last_row else 0
            cols = _column_number(last_col.decode()) if last_col else 0
            if cols > MAX_COLUMNS or rows > max_rows + 1 + ROW_SLACK:
                raise ServiceError(
                    _(
                        "The sheet declares %(rows)s rows and %(cols)s columns; at most "
                        "%(max_rows)s rows and %(max_cols)s columns are read. Copy only the "
                        "data rows into the template and upload that."
                    )
                    % {
                        "rows": rows,
                        "cols": cols,
                        "max_rows": max_rows,
                        "max_cols": MAX_COLUMNS,
                    },
                    code="sheet_too_large",
                )


@dataclass
class SheetRow:
    number: int  # the row number a person sees in Excel
    values: dict


def read_rows(
    upload, headers: list[str], *, max_bytes: int, max_rows: int, optional=()
) -> list[SheetRow]:
    """The data rows of the first sheet as dicts keyed by ``headers`` (and by each of the
    ``optional`` headers the sheet has).

    Raises ServiceError (nothing read) for an oversized, malformed or wrongly shaped file.
    """
    size = getattr(upload, "size", None)
    data = upload.read(max_bytes + 1) if hasattr(upload, "read") else bytes(upload)
    if (size is not None and size > max_bytes) or len(data) > max_bytes:
        raise ServiceError(
            _("The file is larger than %(limit)s KB.") % {"limit": max_bytes // 1024},
            code="file_too_large",
        )
    if not data or not zipfile.is_zipfile(io.BytesIO(data)):
        raise ServiceError(
            _("This is not an Excel workbook (.xlsx). Download the template and fill it in."),
            code="file_type",
        )
    inspect_workbook(data, max_rows=max_rows)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise ServiceError(
            _("The Excel file cannot be read: it may be damaged."), code="file_type"
        ) from exc
    try:
        return _sheet_rows(wb, headers, max_rows=max_rows, optional=optional)
    except ServiceError:
        raise
    except Exception as exc:  # a damaged sheet found while streaming
        raise ServiceError(
            _("The Excel file cannot be read: it may be damaged."), code="file_type"
        ) from exc
    finally:
        wb.close()


def _sheet_rows(wb, headers: list[str], *, max_rows: int, optional=()) -> list[SheetRow]:
    ws = wb.worksheets[0]
    # Stream without trusting the declared dimension (it could pad every row to 16,384 columns
    # and the sheet to a million rows) and never widen a row beyond MAX_COLUMNS.
    ws.reset_dimensions()
    rows = ws.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    try:
        first = next(rows)
    except StopIteration:
        raise ServiceError(_("The sheet is empty."), code="empty") from None
    found = [str(c).strip() if c is not None else "" for c in first]
    missing = [h for h in headers if h not in found]
    if missing:
        raise ServiceError(
            _("Missing columns: %(columns)s. Use the template's header row.")
            % {"columns": "、".join(missing)},
            code="headers",
        )
    index = {h: found.index(h) for h in [*headers, *(h for h in optional if h in found)]}
    out = []
    too_many = ServiceError(
        _("The file has more than %(max)s rows.") % {"max": max_rows}, code="too_many_rows"
    )
    for number, raw in enumerate(rows, start=2):
        if number > max_rows + 1 + ROW_SLACK:
            raise too_many  # blank rows count too: the stream ends here
        if raw is None or all(c is None or str(c).strip() == "" for c in raw):
            continue
        if len(out) >= max_rows:
            raise too_many
        values = {}
        for h, i in index.items():
            v = raw[i] if i < len(raw) else None
            if isinstance(v, str):
                if len(v) > MAX_CELL_CHARS:
                    raise ServiceError(
                        _("Row %(row)s: a cell holds more than %(max)s characters.")
                        % {"row": number, "max": MAX_CELL_CHARS},
                        code="cell_too_long",
                    )
                v = v.strip()
                if v.startswith("'"):
                    v = v[1:]
            values[h] = v
        out.append(SheetRow(number, values))
    if not out:
        raise ServiceError(_("The sheet has no data rows."), code="empty")
    return out


def parse_date(value) -> date | None:
    """A date from an Excel date cell or text such as 2024-01-05, 2024/1/5 or 2024年1月5日."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("年", "-").replace("月", "-").replace("日", "")
    text = text.replace("/", "-").replace(".", "-")
    try:
        y, m, d = (int(p) for p in text.split("-"))
        return date(y, m, d)
    except (ValueError, TypeError):
        raise ValueError(value) from None


def workbook(
    sheet_title: str,
    headers: list[str],
    rows,
    *,
    widths=None,
    choices=None,
    notes: list[str] | None = None,
) -> bytes:
    """An .xlsx with a bold header row, safe cells, optional drop-downs and a notes sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for i, _h in enumerate(headers):
        col = ws.cell(row=1, column=i + 1).column_letter
        ws.column_dimensions[col].width = (widths or {}).get(headers[i], 14)
        # Phone and ID numbers stay text so Excel does not turn them into numbers.
        ws.column_dimensions[col].number_format = "@"
    for header, options in (choices or {}).items():
        col = ws.cell(row=1, column=headers.index(header) + 1).column_letter
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}5000")
    if notes:
        ns = wb.create_sheet(_("Notes"))
        for line in notes:
            ns.append([safe_cell(line)])
        ns.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
