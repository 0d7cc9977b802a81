"""Excel templates for townships that work on paper: verdicts per pledge item and the paper
tallies of a round. Export fills the template with what is recorded; import checks every row
first and saves all rows or none (row errors name the Excel row), through the services."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from jiannuo.core.errors import ServiceError
from jiannuo.core.excel import read_rows, workbook

from . import rules, services
from .models import Round, Tally, Target

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000

VERDICT_HEADERS = ["事项ID", "承诺书", "编号", "类别", "承诺内容", "结论", "原因", "依据"]
# The version of each verdict when the sheet was exported: importing over a verdict changed
# since then is a conflict naming the row (issue #12: verdicts silently overwrote each other).
VERDICT_VERSION = "版本"
VERDICT_LABELS = {"完成": "fulfilled", "部分完成": "partly", "未完成": "not_fulfilled"}
REASON_LABELS = {"客观原因": "objective", "失职": "dereliction", "其他": "other", "": ""}
TALLY_HEADERS = ["对象ID", "测评对象", "发出", "收回", "废票", "满意", "基本满意", "不满意", "弃权"]
OPTION_COLUMNS = {
    "满意": rules.SATISFIED,
    "基本满意": rules.BASICALLY_SATISFIED,
    "不满意": rules.DISSATISFIED,
    "弃权": rules.ABSTAIN,
}


def _in_row(number: int, exc: ServiceError, details=None) -> ServiceError:
    """``exc`` refused the file's row ``number``: the same error, naming the row."""
    message = _("Row %(row)s: %(error)s") % {"row": number, "error": exc.message}
    if details is None:  # e.g. a conflict's two versions, now naming the row
        details = [{"row": number, "message": str(exc.message), **d} for d in exc.details]
    # The same kind of error: a conflict stays a 409.
    return exc.__class__(message, code=exc.code, details=details)


def _rows_error(errors):
    raise ServiceError(
        _("%(n)s rows have errors; nothing was saved.") % {"n": len(errors)},
        code="rows_invalid",
        details=errors,
    )


def verdicts_export(village, year) -> bytes:
    from .selectors import assessment

    data = assessment(village, year)
    back = {v: k for k, v in VERDICT_LABELS.items()}
    reasons = {v: k for k, v in REASON_LABELS.items()}
    rows = []
    for s in data["letters"]:
        title = s.letter.get_kind_display() + (
            f" {s.letter.post.person.name}" if s.letter.post else ""
        )
        for item in s.assessed_items:
            v = item.current_verdict
            rows.append(
                [
                    item.pk,
                    title,
                    item.code,
                    item.get_category_display(),
                    item.text,
                    back.get(v.verdict, "") if v else "",
                    reasons.get(v.reason, "") if v else "",
                    v.evidence if v else "",
                    v.version if v else 0,
                ]
            )
    return workbook(
        "考核结论",
        [*VERDICT_HEADERS, VERDICT_VERSION],
        rows,
        widths={"承诺内容": 40, "依据": 30, "承诺书": 20},
        choices={"结论": list(VERDICT_LABELS), "原因": [k for k in REASON_LABELS if k]},
    )


def verdicts_import(*, actor, village, year, upload) -> int:
    """All rows or none: every row is checked before anything is saved."""
    from jiannuo.pledges.models import PledgeItem

    rows = read_rows(
        upload,
        VERDICT_HEADERS,
        max_bytes=MAX_BYTES,
        max_rows=MAX_ROWS,
        optional=[VERDICT_VERSION],
    )
    items = {
        i.pk: i
        for i in PledgeItem.objects.filter(
            letter_version_id__in=[s.version_id for s in services.in_force_letters(village, year)]
        )
    }
    errors, todo = [], []
    for row in rows:
        v = row.values
        try:
            item = items.get(int(v["事项ID"]))
        except (TypeError, ValueError):
            item = None
        verdict = VERDICT_LABELS.get(str(v["结论"] or ""))
        reason = REASON_LABELS.get(str(v["原因"] or ""))
        if v["结论"] in (None, ""):
            continue  # not assessed yet: left as it is
        if item is None:
            errors.append({"row": row.number, "message": _("Unknown item of this village.")})
        elif verdict is None:
            errors.append({"row": row.number, "message": _("Unknown verdict.")})
        elif reason is None:
            errors.append({"row": row.number, "message": _("Unknown reason.")})
        elif verdict != "fulfilled" and not reason:
            errors.append(
                {
                    "row": row.number,
                    "message": _("Give the reason why the item was not (fully) fulfilled."),
                }
            )
        else:
            version = v.get(VERDICT_VERSION)
            todo.append((row.number, item, verdict, reason, str(v["依据"] or ""), version))
    if errors:
        _rows_error(errors)
    with transaction.atomic():
        for number, item, verdict, reason, evidence, version in todo:
            try:
                services.verdict_record(
                    actor=actor,
                    item=item,
                    verdict=verdict,
                    reason=reason,
                    evidence=evidence,
                    version=version,
                )
            except ServiceError as exc:
                raise _in_row(number, exc) from exc
    return len(todo)


def tallies_export(rnd: Round) -> bytes:
    tallies = {t.target_id: t for t in Tally.objects.filter(round=rnd)}
    rows = []
    for target in rnd.targets.all():
        t = tallies.get(target.pk)
        counts = t.counts if t else {}
        rows.append(
            [
                target.pk,
                target.label,
                t.issued if t else rnd.present,
                t.returned if t else "",
                t.spoiled if t else "",
                *[counts.get(o, "") for o in OPTION_COLUMNS.values()],
            ]
        )
    return workbook("计票", TALLY_HEADERS, rows, widths={"测评对象": 24})


def tallies_import(*, actor, rnd: Round, upload) -> int:
    """All rows or none. A row with more returned than issued voids the round, as it does when
    entered on the page (§三.6 paper ballots; nothing of the file is saved either)."""
    rows = read_rows(upload, TALLY_HEADERS, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    targets = {t.pk: t for t in Target.objects.filter(round=rnd)}
    policy_settings = services.policy_for(rnd.village, rnd.year).satisfaction
    errors, todo, voiding = [], [], None
    for row in rows:
        v = row.values
        try:
            target = targets.get(int(v["对象ID"]))
            nums = {
                k: int(v[h] or 0)
                for k, h in (("issued", "发出"), ("returned", "收回"), ("spoiled", "废票"))
            }
            counts = {o: int(v[h] or 0) for h, o in OPTION_COLUMNS.items()}
        except (TypeError, ValueError):
            errors.append({"row": row.number, "message": _("Numbers must be whole numbers.")})
            continue
        if target is None:
            errors.append({"row": row.number, "message": _("Unknown evaluation target.")})
            continue
        blocking = [
            f
            for f in rules.check_tally(**nums, counts=counts, settings=policy_settings)
            if f.severity != rules.WARN
        ]
        if blocking:
            errors.append({"row": row.number, "message": "; ".join(f.explain() for f in blocking)})
            if voiding is None and any(f.rule == rules.RETURNED_EXCEEDS_ISSUED for f in blocking):
                voiding = (row.number, target, nums, counts)
            continue
        todo.append((row.number, target, nums, counts))
    if voiding is not None:
        # The page's own path: tally_enter voids the round (and commits that) and refuses.
        number, target, nums, counts = voiding
        try:
            services.tally_enter(actor=actor, target=target, counts=counts, **nums)
        except ServiceError as exc:
            raise _in_row(number, exc, details=errors) from exc
    if errors:
        _rows_error(errors)
    with transaction.atomic():
        for number, target, nums, counts in todo:
            try:
                services.tally_enter(actor=actor, target=target, counts=counts, **nums)
            except ServiceError as exc:
                raise _in_row(number, exc) from exc
    return len(todo)
