"""The annual report as an Excel workbook: the page's table, one row per unit and the total,
through the project's workbook helper (text that looks like a formula is neutralised)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.accountability.models import MEASURE_LABELS
from jiannuo.core import audit
from jiannuo.core.excel import workbook

from .selectors import GRADE_KEYS, GRADE_LABELS, MEASURES, STAGE_LABELS, STAGES, Report


def headers(rep: Report) -> list[str]:
    return [
        _("Township") if not rep.by_village else _("Village"),
        _("Number of villages"),
        _("Letters expected"),
        _("Letters signed"),
        _("Letters published"),
        _("Pledge items"),
        _("Fulfilled"),
        _("Partly fulfilled"),
        _("Not fulfilled"),
        _("Not yet assessed"),
        _("Fulfilment rate"),
        _("Items at risk"),
        _("Items overdue"),
        _("Villages with confirmed results"),
        _("Cadres rated"),
        _("Below %(t)s%% (yellow card)") % {"t": rep.yellow_below},
        _("Below %(t)s%% (resignation)") % {"t": rep.resignation_below},
        _("No valid ballots"),
        *[str(GRADE_LABELS[g]) for g in GRADE_KEYS],
        _("Team satisfaction"),
        *[_("Cases: %(stage)s") % {"stage": STAGE_LABELS[s]} for s in STAGES],
        *[_("Decided: %(measure)s") % {"measure": MEASURE_LABELS[m]} for m in MEASURES],
    ]


def _values(name: str, f, village: bool) -> list:
    return [
        name,
        f.villages,
        f.letters_expected,
        f.letters_signed,
        f.letters_published,
        f.items,
        f.fulfilled,
        f.partly,
        f.not_fulfilled,
        f.not_assessed,
        f.fulfilment_text,
        f.at_risk,
        f.overdue,
        f.villages_confirmed,
        f.rated,
        f.below_yellow,
        f.below_resignation,
        f.no_valid,
        *f.grade_list,
        f.team_rate_text if village else None,
        *f.stage_list,
        *f.measure_list,
    ]


def export(rep: Report) -> bytes:
    rows = [_values(r.unit.name, r.figures, r.is_village) for r in rep.rows]
    rows.append(_values(_("Total"), rep.total, False))
    notes = [
        _("Annual report %(year)s: %(unit)s") % {"year": rep.year, "unit": rep.unit.name},
        _("Exported at %(when)s.") % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
        _(
            "Rates are truncated to two decimals, never rounded up: a rate shown as 59.99% "
            "is below 60%."
        ),
        _(
            "Satisfaction thresholds are the district's settings for the year; cadres are "
            "counted per post. Only results confirmed by the township count."
        ),
        _("Items at risk or overdue are rated by the supervision step on the day of export."),
        _("Audit chain head: %(head)s") % {"head": audit.published_head() or "-"},
    ]
    names = headers(rep)
    return workbook(str(rep.year), names, rows, widths={names[0]: 18}, notes=notes)
