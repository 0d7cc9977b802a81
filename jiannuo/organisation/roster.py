"""The roster workbook: its columns, and row validation as plain Python.

``validate_rows`` takes the sheet rows and plain lookups (villages by name, existing holders of
single-holder posts) and returns clean rows and row errors; it touches no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core.excel import SheetRow, parse_date

from .models import Post

COL_TOWNSHIP = "乡镇(街道)"
COL_VILLAGE = "村"
COL_NAME = "姓名"
COL_GENDER = "性别"
COL_BIRTH = "出生日期"
COL_PHONE = "联系电话"
COL_POST = "岗位"
COL_START = "任职开始"
COL_END = "任职结束"
HEADERS = [
    COL_TOWNSHIP,
    COL_VILLAGE,
    COL_NAME,
    COL_GENDER,
    COL_BIRTH,
    COL_PHONE,
    COL_POST,
    COL_START,
    COL_END,
]
REQUIRED = [COL_VILLAGE, COL_NAME, COL_PHONE, COL_POST, COL_START]

# The official Chinese names of posts, as they appear in the workbook.
POST_LABELS = {
    "党支部书记": Post.BRANCH_SECRETARY,
    "党支部副书记": Post.BRANCH_DEPUTY,
    "支部委员": Post.BRANCH_MEMBER,
    "村委会主任": Post.COMMITTEE_DIRECTOR,
    "村委会副主任": Post.COMMITTEE_DEPUTY,
    "村委会委员": Post.COMMITTEE_MEMBER,
    "村务监督委员会主任": Post.SUPERVISION_CHAIR,
    "村务监督委员会委员": Post.SUPERVISION_MEMBER,
    "村民代表": Post.REPRESENTATIVE,
    "党员": Post.PARTY_MEMBER,
}
POST_NAMES = {v: k for k, v in POST_LABELS.items()}
GENDER_LABELS = {"男": "M", "女": "F"}
GENDER_NAMES = {v: k for k, v in GENDER_LABELS.items()}
PHONE_RE = re.compile(r"^[0-9][0-9-]{5,18}[0-9]$")

NOTES = [
    "填写说明:每行一名人员的一个岗位;一人兼任多个岗位(如一肩挑)时填写多行,姓名和联系电话保持一致。",
    "必填列:村、姓名、联系电话、岗位、任职开始。日期格式:2024-01-05。",
    "岗位可选:" + "、".join(POST_LABELS),
    "同一人员以“村 + 姓名 + 联系电话”识别;重复导入会更新已有记录,不会重复创建。",
    "整份文件全部校验通过才会导入;有任何错误的行,系统会列出行号、列名和原因,什么都不保存。",
]


@dataclass(frozen=True)
class RosterRow:
    number: int
    village_id: int
    name: str
    gender: str
    birth_date: date | None
    phone: str
    post_kind: str
    start: date
    end: date | None


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Holding:
    """An existing holder of a single-holder post, for the overlap check."""

    village_id: int
    post_kind: str
    name: str
    phone: str
    start: date
    end: date | None


def _overlap(a_start, a_end, b_start, b_end) -> bool:
    far = date.max
    return a_start <= (b_end or far) and b_start <= (a_end or far)


def validate_rows(
    rows: list[SheetRow],
    *,
    villages: dict[str, int],
    holdings: list[Holding] = (),
) -> tuple[list[RosterRow], list[RowError]]:
    """Check every row; return the clean rows and every problem found (row, column, reason).

    ``villages`` maps the village names allowed in this upload to their ids.
    """
    clean: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    for r in rows:
        v = r.values
        row_errors: list[RowError] = []

        def err(column, message, _r=r, _errs=row_errors):
            _errs.append(RowError(_r.number, column, message))

        for col in REQUIRED:
            if v.get(col) in (None, ""):
                err(col, _("This column is required."))
        name = str(v.get(COL_NAME) or "").strip()
        if name and len(name) > 40:
            err(COL_NAME, _("The name is longer than 40 characters."))
        village_name = str(v.get(COL_VILLAGE) or "").strip()
        village_id = villages.get(village_name)
        if village_name and village_id is None:
            err(
                COL_VILLAGE,
                _("Unknown village “%(name)s” for this upload.") % {"name": village_name},
            )
        gender_text = str(v.get(COL_GENDER) or "").strip()
        gender = GENDER_LABELS.get(gender_text, "")
        if gender_text and not gender:
            err(COL_GENDER, _("Gender must be 男 or 女."))
        phone = str(v.get(COL_PHONE) or "").strip().replace(" ", "")
        if phone.endswith(".0"):  # a number typed into a numeric cell
            phone = phone[:-2]
        if phone and not PHONE_RE.match(phone):
            err(COL_PHONE, _("“%(value)s” is not a phone number.") % {"value": phone})
        post_text = str(v.get(COL_POST) or "").strip()
        post_kind = POST_LABELS.get(post_text)
        if post_text and post_kind is None:
            err(COL_POST, _("Unknown post “%(value)s”.") % {"value": post_text})
        dates = {}
        for col in (COL_BIRTH, COL_START, COL_END):
            try:
                dates[col] = parse_date(v.get(col))
            except ValueError:
                err(col, _("“%(value)s” is not a date (use 2024-01-05).") % {"value": v.get(col)})
                dates[col] = None
        start, end = dates[COL_START], dates[COL_END]
        if start and end and end < start:
            err(COL_END, _("The end date is before the start date."))
        birth = dates[COL_BIRTH]
        if birth and (birth > timezone.localdate() or birth.year < 1900):
            err(COL_BIRTH, _("The date of birth is not plausible."))
        if row_errors:
            errors += row_errors
            continue
        key = (village_id, name, phone, post_kind, start)
        if key in seen:
            errors.append(
                RowError(
                    r.number,
                    COL_NAME,
                    _("Duplicate of row %(row)s (same person, post and start date).")
                    % {"row": seen[key]},
                )
            )
            continue
        seen[key] = r.number
        clean.append(
            RosterRow(r.number, village_id, name, gender, birth, phone, post_kind, start, end)
        )

    errors += _single_holder_conflicts(clean, holdings)
    errors.sort(key=lambda e: (e.row, e.column))
    return clean, errors


def _single_holder_conflicts(clean: list[RosterRow], holdings) -> list[RowError]:
    """A single-holder post (secretary, director, supervision chair) held twice at once."""
    errors = []
    by_post: dict[tuple, list[RosterRow]] = {}
    for row in clean:
        if row.post_kind in Post.SINGLE_HOLDER:
            by_post.setdefault((row.village_id, row.post_kind), []).append(row)
    for (village_id, kind), rows in by_post.items():
        for i, a in enumerate(rows):
            for b in rows[:i]:
                if (a.name, a.phone) != (b.name, b.phone) and _overlap(
                    a.start, a.end, b.start, b.end
                ):
                    errors.append(
                        RowError(
                            a.number,
                            COL_POST,
                            _("%(post)s is held by %(other)s (row %(row)s) at the same time.")
                            % {"post": POST_NAMES[kind], "other": b.name, "row": b.number},
                        )
                    )
        for h in holdings:
            if (h.village_id, h.post_kind) != (village_id, kind):
                continue
            for a in rows:
                same_person = (a.name, a.phone) == (h.name, h.phone)
                replaced = any(
                    (r.name, r.phone, r.start) == (h.name, h.phone, h.start) for r in rows
                )
                if not same_person and not replaced and _overlap(a.start, a.end, h.start, h.end):
                    errors.append(
                        RowError(
                            a.number,
                            COL_POST,
                            _(
                                "%(post)s is already held by %(other)s from %(start)s; end that post first."
                            )
                            % {"post": POST_NAMES[kind], "other": h.name, "start": h.start},
                        )
                    )
    return errors
