"""Reading and writing Excel sheets safely (openpyxl).

Uploads are checked for size, type and shape before a single row is used; exported text that
starts like a formula is neutralised (RECIPES.md: formula injection).
"""

from __future__ import annotations

import io
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


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class SheetRow:
    number: int  # the row number a person sees in Excel
    values: dict


def read_rows(upload, headers: list[str], *, max_bytes: int, max_rows: int) -> list[SheetRow]:
    """The data rows of the first sheet as dicts keyed by ``headers``.

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
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise ServiceError(
            _("The Excel file cannot be read: it may be damaged."), code="file_type"
        ) from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
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
    index = {h: found.index(h) for h in headers}
    out = []
    for number, raw in enumerate(rows, start=2):
        if raw is None or all(c is None or str(c).strip() == "" for c in raw):
            continue
        if len(out) >= max_rows:
            raise ServiceError(
                _("The file has more than %(max)s rows.") % {"max": max_rows}, code="too_many_rows"
            )
        values = {}
        for h, i in index.items():
            v = raw[i] if i < len(raw) else None
            if isinstance(v, str):
                v = v.strip()
                if v.startswith("'"):
                    v = v[1:]
            values[h] = v
        out.append(SheetRow(number, values))
    wb.close()
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
