"""JSON API of the annual report: the page's figures, with the same scope (404 outside it)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router, Schema

from jiannuo.core.errors import ServiceError

from . import selectors

router = Router(tags=["reports"])


class ReportUnitOut(Schema):
    id: int
    name: str
    code: str
    kind: str


class RowOut(Schema):
    unit: ReportUnitOut
    figures: dict


class ReportOut(Schema):
    year: int
    unit: ReportUnitOut
    rows_are: str
    thresholds: dict
    rows: list[RowOut]
    total: dict


def _unit(u) -> dict:
    return {"id": u.pk, "name": u.name, "code": u.code, "kind": u.kind}


@router.get("/reports/{year}", response=ReportOut)
def annual(request, year: int, unit_id: int | None = None):
    """The annual report of the caller's district or township (``unit_id`` drills down to a
    township). Counts per township or village and the total; rates as text, truncated to two
    decimals like the evaluation step shows them."""
    unit = selectors.unit_for(request.user, unit_id)
    if not 2000 <= year <= 2100:
        raise ServiceError(_("The year must be between 2000 and 2100."), code="year_invalid")
    rep = selectors.report(unit, year)
    return {
        "year": year,
        "unit": _unit(unit),
        "rows_are": "villages" if rep.by_village else "townships",
        "thresholds": {
            "yellow_card_below": rep.yellow_below,
            "resignation_below": rep.resignation_below,
        },
        "rows": [{"unit": _unit(r.unit), "figures": r.figures.as_json()} for r in rep.rows],
        "total": rep.total.as_json(),
    }
