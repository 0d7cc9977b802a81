"""The annual report pages (§五.3 "违诺必究"): the district sees its townships, a township its
villages; drill-down to a township, and from a village to its evaluation, supervision and
bulletin pages. Village roles and the public get a 404 (the public has the bulletin board)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from jiannuo.core import audit
from jiannuo.core.excel import XLSX_CONTENT_TYPE

from . import excel, selectors


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _report(request):
    unit = selectors.unit_for(request.user, _int(request.GET.get("unit")))
    available = selectors.years(unit)
    year = _int(request.GET.get("year"))
    if year is None or not 2000 <= year <= 2100:
        year = selectors.default_year(available)
    return unit, available, selectors.report(unit, year)


@login_required
def index(request):
    unit, available, rep = _report(request)
    years = sorted(set(available) | {rep.year}, reverse=True)
    return render(
        request,
        "reports/index.html",
        {
            "rep": rep,
            "unit": unit,
            "year": rep.year,
            "years": years,
            "up": selectors.up_link(request.user, unit),
            "chart": selectors.chart(rep),
            # Published where the database cannot reach it (the printed report): core.audit.
            "audit_head": audit.published_head(),
            **selectors.column_labels(),
        },
    )


@login_required
def export(request):
    _unit, _available, rep = _report(request)
    response = HttpResponse(excel.export(rep), content_type=XLSX_CONTENT_TYPE)
    name = f"report-{rep.year}-{rep.unit.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
