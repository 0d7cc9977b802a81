"""The pledge-item workbook: its columns, and row validation as plain Python (no database).

All rows valid or nothing saved: ``validate_rows`` returns the clean rows and every problem,
each naming its row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from jiannuo.core.excel import SheetRow, parse_date
from jiannuo.organisation.roster import POST_LABELS, POST_NAMES

from .rules import MAX_TEXT_LENGTH

COL_CATEGORY = "类别"
COL_TEXT = "承诺内容"
COL_TARGET = "目标值"
COL_DEADLINE = "完成时限"
COL_RESPONSIBLE = "责任人"
COL_BREAKS_DOWN = "分解的班子承诺编号"
HEADERS = [COL_CATEGORY, COL_TEXT, COL_TARGET, COL_DEADLINE, COL_RESPONSIBLE, COL_BREAKS_DOWN]

#: The official names of the four pledge categories (§二), as written in the workbook.
CATEGORY_NAMES = {
    "工作目标": "work_goal",
    "好事实事": "good_deed",
    "廉政建设": "integrity",
    "保证措施": "guarantee",
}

NOTES = [
    "填写说明:每行一项承诺。必填列:类别、承诺内容。",
    "类别可选:" + "、".join(CATEGORY_NAMES) + "(见《责任追究制工作意见》第二部分)。",
    "目标值写可考核的数量,如“3公里”“10万元”;完成时限格式:2026-12-31,须在承诺期限内。",
    "责任人填写班子成员姓名,或“岗位 姓名”(如“村委会委员 张秀英”),必须是本村班子成员。",
    "成员承诺书可在“分解的班子承诺编号”列填写所分解的班子承诺编号,多个用顿号分隔,如“T1、T3”。",
    "导入的承诺追加到当前草稿;整份文件全部校验通过才会导入,有错误时列出行号、列名和原因,什么都不保存。",
]

EXAMPLE_ROWS = [
    ["工作目标", "年内硬化村内道路3公里", "3公里", "2026-10-31", "", ""],
    ["好事实事", "为村内60岁以上老人免费体检一次", "覆盖率100%", "2026-09-30", "", ""],
]


@dataclass(frozen=True)
class PostRef:
    id: int
    kind: str
    name: str
    start: date
    end: date | None


@dataclass(frozen=True)
class ItemRow:
    number: int
    category: str
    text: str
    target: str
    deadline: date | None
    post_id: int | None
    team_codes: tuple[str, ...]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message}


_SPLIT = re.compile(r"[、,，;；\s]+")


def _match_post(value: str, posts: list[PostRef], day: date) -> tuple[int | None, str | None]:
    """The team post named by a person's name, or "post name" ("村委会委员 张秀英")."""
    parts = value.split()
    kind = None
    name = value
    if len(parts) == 2 and parts[0] in POST_LABELS:
        kind, name = POST_LABELS[parts[0]], parts[1]
    held = [
        p
        for p in posts
        if p.name == name and (kind is None or p.kind == kind) and (p.end is None or p.end >= day)
    ]
    if not held:
        return None, _("“%(value)s” is not a member of this village's team.") % {"value": value}
    if len({p.kind for p in held}) > 1 and kind is None:
        # Under 一肩挑 one person holds several posts: the secretary's post answers.
        secretary = [p for p in held if p.kind == "branch_secretary"]
        if secretary:
            return secretary[0].id, None
        return None, _("%(name)s holds several posts; write “post name”, e.g. “%(example)s”.") % {
            "name": name,
            "example": f"{POST_NAMES[held[0].kind]} {name}",
        }
    return held[0].id, None


def validate_rows(
    rows: list[SheetRow],
    *,
    posts: list[PostRef],
    team_codes: dict[str, int] | None,
    period: tuple[date, date],
) -> tuple[list[ItemRow], list[RowError]]:
    """Check every row; return the clean rows and every problem (row, column, reason).

    ``team_codes`` are the codes of the team items a member letter may break down; ``None``
    for the team letter itself (the column must then be empty). ``period`` bounds deadlines.
    """
    clean: list[ItemRow] = []
    errors: list[RowError] = []
    start, end = period
    for r in rows:
        v = r.values
        row_errors: list[RowError] = []

        def err(column, message, _r=r, _errs=row_errors):
            _errs.append(RowError(_r.number, column, message))

        category_text = str(v.get(COL_CATEGORY) or "").strip()
        category = CATEGORY_NAMES.get(category_text)
        if not category_text:
            err(COL_CATEGORY, _("This column is required."))
        elif category is None:
            err(
                COL_CATEGORY,
                _("Unknown category “%(value)s”; use one of %(choices)s.")
                % {"value": category_text, "choices": "、".join(CATEGORY_NAMES)},
            )
        text = str(v.get(COL_TEXT) or "").strip()
        if not text:
            err(COL_TEXT, _("This column is required."))
        elif len(text) > MAX_TEXT_LENGTH:
            err(
                COL_TEXT,
                _("The text is longer than %(maximum)s characters.") % {"maximum": MAX_TEXT_LENGTH},
            )
        target = str(v.get(COL_TARGET) or "").strip()
        if len(target) > 200:
            err(COL_TARGET, _("The target is longer than 200 characters."))
        deadline = None
        try:
            deadline = parse_date(v.get(COL_DEADLINE))
        except ValueError:
            err(
                COL_DEADLINE,
                _("“%(value)s” is not a date (use 2026-12-31).") % {"value": v.get(COL_DEADLINE)},
            )
        if deadline is not None and not (start <= deadline <= end):
            err(
                COL_DEADLINE,
                _("The deadline %(deadline)s lies outside %(start)s–%(end)s.")
                % {"deadline": deadline, "start": start, "end": end},
            )
        post_id = None
        responsible = str(v.get(COL_RESPONSIBLE) or "").strip()
        if responsible:
            post_id, problem = _match_post(responsible, posts, start)
            if problem:
                err(COL_RESPONSIBLE, problem)
        codes_text = str(v.get(COL_BREAKS_DOWN) or "").strip().upper()
        codes = tuple(c for c in _SPLIT.split(codes_text) if c)
        if codes and team_codes is None:
            err(COL_BREAKS_DOWN, _("The team letter breaks down nothing; leave this empty."))
        elif codes:
            unknown = [c for c in codes if c not in team_codes]
            if unknown:
                err(
                    COL_BREAKS_DOWN,
                    _("No team item numbered %(codes)s.") % {"codes": "、".join(unknown)},
                )
        if row_errors:
            errors += row_errors
            continue
        clean.append(ItemRow(r.number, category, text, target, deadline, post_id, codes))
    return clean, errors
