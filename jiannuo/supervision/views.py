"""Pages of the supervision step (§五.3). They read through selectors and write only through
services; a ServiceError is shown next to the form and nothing is saved. Public evidence files
are served without log-in; everything else needs the scope."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import has_perm, scope_paths, scope_q
from jiannuo.pledges.models import Letter

from . import rules, selectors, services
from .models import (
    LEVEL_LABELS,
    STATUS_LABELS,
    Adjustment,
    Digest,
    Evidence,
    Inspection,
    InspectionFinding,
)


def _year(request) -> int:
    y = request.GET.get("year", "")
    return int(y) if y.isdigit() else selectors.current_day().year


def _require_scope(user, perm=selectors.VIEW):
    if not scope_paths(user, perm):
        raise PermissionDenied


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return "bad"


def _day(value):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return "bad"


@login_required
def index(request):
    """§五.3 township and district dashboards: risk per township, village, with drill-down."""
    _require_scope(request.user)
    year = _year(request)
    rows = selectors.tracked(request.user, year=year)
    villages = selectors.by_village(rows)
    for g in villages:
        g.url = reverse("supervision:village", args=[g.key]) + f"?year={year}"
    townships = selectors.by_township(rows)
    overall = rules.rate_many(r.level for r in rows)
    return render(
        request,
        "supervision/dashboard.html",
        {
            "year": year,
            "years": [year - 1, year, year + 1],
            "villages": villages,
            "townships": townships if len(townships) > 1 else [],
            "overall": overall,
            "overall_text": rules.explain_rollup(overall).explain(),
            "chart": selectors.chart(villages),
            "legend": list(LEVEL_LABELS.items()),
            "can_inspect": bool(scope_paths(request.user, "supervision.inspect")),
            "can_decide": bool(scope_paths(request.user, "supervision.decide")),
        },
    )


@login_required
def village(request, village_id):
    """Drill-down: one village's cadres (posts) and their items, worst first."""
    v = selectors.get_village(request.user, village_id)
    year = _year(request)
    rows = selectors.tracked(request.user, year=year, village=v)
    cadres = selectors.by_cadre(rows)
    cadres.sort(key=lambda g: -rules.LEVELS.index(g.level))
    for g in cadres:
        g.rows.sort(key=lambda r: (-rules.LEVELS.index(r.level), r.deadline))
    return render(
        request,
        "supervision/village.html",
        {
            "village": v,
            "year": year,
            "cadres": cadres,
            "chart": selectors.chart(cadres),
            "rollup": rules.rate_many(r.level for r in rows),
            "inspections": list(Inspection.objects.filter(village=v)[:20]),
            "can_inspect": has_perm(request.user, "supervision.inspect", v),
        },
    )


def _item_context(request, row, **extra):
    user = request.user
    letter = row.letter
    return {
        "row": row,
        "timeline": selectors.timeline(row),
        "evidence": selectors.evidence_of(row),
        "findings": list(row.state.findings.select_related("inspection")) if row.state else [],
        "adjustments": list(row.state.adjustments.all()) if row.state else [],
        "can_record": services.may_record(user, letter, row.item),
        "can_adjust": has_perm(user, "supervision.adjust_request", letter.village),
        "can_retract_any": has_perm(user, "supervision.retract", letter.village),
        "statuses": [(s, STATUS_LABELS[s]) for s in rules.REPORTABLE],
        "form": {},
        "errors": {},
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def item(request, letter_id, code):
    """One item: its progress, timeline, evidence, findings, adjustments; report progress."""
    row = selectors.get_row(request.user, letter_id, code)
    if request.method == "GET":
        return render(request, "supervision/item.html", _item_context(request, row))
    if not services.may_record(request.user, row.letter, row.item):
        raise PermissionDenied
    form = request.POST
    errors = {}
    percent = _int(form.get("percent"))
    version = _int(form.get("version"))
    if percent == "bad":
        errors["percent"] = _("Enter a whole number from 0 to 100.")
    if not errors:
        try:
            services.progress_record(
                actor=request.user,
                letter=row.letter,
                item_code=row.item.code,
                status=form.get("status", ""),
                percent=percent,
                measured=form.get("measured", ""),
                note=form.get("note", ""),
                public=form.get("public") == "1",
                files=request.FILES.getlist("files"),
                version=version if version != "bad" else None,
            )
        except ServiceError as exc:
            field = {
                "too_large": "files",
                "file_type": "files",
                "empty": "files",
                "measured": "measured",
            }.get(exc.code, "status" if exc.code.startswith("status") else "percent")
            errors[field] = exc.message
        else:
            messages.success(request, _("Progress recorded."))
            return redirect("supervision:item", letter_id, row.item.code)
    ctx = _item_context(request, row, form=form, errors=errors)
    return render(request, "supervision/item.html", ctx, status=400)


@login_required
@require_POST
def adjust(request, letter_id, code):
    row = selectors.get_row(request.user, letter_id, code)
    if not has_perm(request.user, "supervision.adjust_request", row.letter.village):
        raise PermissionDenied
    day = _day(request.POST.get("new_deadline"))
    try:
        if day == "bad":
            raise ServiceError(_("Enter a valid date."), code="deadline")
        services.adjustment_request(
            actor=request.user,
            letter=row.letter,
            item_code=row.item.code,
            reason=request.POST.get("reason", ""),
            new_text=request.POST.get("new_text", ""),
            new_target=request.POST.get("new_target", ""),
            new_deadline=day,
            upload=request.FILES.get("file"),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The adjustment request was sent to the township."))
    return redirect("supervision:item", letter_id, row.item.code)


def evidence_file(request, pk):
    """An evidence file: public when marked public, not retracted, on a published letter;
    otherwise only for users who may see the village's supervision."""
    ev = Evidence.objects.select_related("village", "state__letter").filter(pk=pk).first()
    if ev is None:
        raise Http404
    public = (
        ev.public
        and ev.retracted_at is None
        and selectors.in_force()
        .filter(letter_id=ev.state.letter_id, published_at__isnull=False)
        .exists()
    )
    if not public and not (
        request.user.is_authenticated and has_perm(request.user, selectors.VIEW, ev.village)
    ):
        raise Http404
    response = FileResponse(ev.file.open("rb"), content_type=ev.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = (
        f'inline; filename="evidence-{ev.pk}.{services.EXT[ev.content_type]}"'
    )
    return response


@login_required
@require_POST
def evidence_retract(request, pk):
    ev = Evidence.objects.filter(scope_q(request.user, selectors.VIEW), pk=pk).first()
    if ev is None:
        raise Http404
    try:
        services.evidence_retract(
            actor=request.user, evidence=ev, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The evidence was retracted."))
    state = ev.state
    return redirect("supervision:item", state.letter_id, state.item_code)


FINDING_ROWS = 5


@login_required
@require_http_methods(["GET", "POST"])
def inspection_new(request, village_id):
    """§五.3 督查: record an inspection of a village with findings per item."""
    v = selectors.get_village(request.user, village_id, "supervision.inspect")
    rows = selectors.tracked(request.user, village=v)
    errors = []
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        findings = []
        by_key = {f"{r.signed.letter_id}:{r.item.code}": r for r in rows}
        for n in range(FINDING_ROWS):
            key = form.get(f"item_{n}", "")
            text = form.get(f"text_{n}", "")
            if not key and not text.strip():
                continue
            row = by_key.get(key)
            day = _day(form.get(f"rectify_by_{n}"))
            if row is None or day == "bad":
                errors.append(_("Finding %(n)s: choose an item and a valid date.") % {"n": n + 1})
                continue
            findings.append(
                {
                    "letter": row.letter,
                    "item_code": row.item.code,
                    "text": text,
                    "rectify_by": day,
                }
            )
        day = _day(form.get("date"))
        if not errors:
            try:
                insp = services.inspection_record(
                    actor=request.user,
                    village=v,
                    kind=form.get("kind", ""),
                    day=day if day != "bad" else None,
                    inspectors=form.get("inspectors", ""),
                    summary=form.get("summary", ""),
                    findings=findings,
                )
            except ServiceError as exc:
                errors.append(exc.message)
            else:
                messages.success(request, _("Inspection recorded."))
                return redirect("supervision:inspection", insp.pk)
    return render(
        request,
        "supervision/inspection_new.html",
        {
            "village": v,
            "rows": rows,
            "kinds": Inspection.KINDS,
            "errors": errors,
            "form": form,
            "finding_rows": range(FINDING_ROWS),
            "today": timezone.localdate(),
        },
        status=400 if errors else 200,
    )


@login_required
def inspection(request, pk):
    insp = (
        Inspection.objects.filter(scope_q(request.user, selectors.VIEW), pk=pk)
        .select_related("village", "created_by")
        .first()
    )
    if insp is None:
        raise Http404
    findings = list(insp.findings.select_related("state_row__letter"))
    return render(
        request,
        "supervision/inspection.html",
        {
            "inspection": insp,
            "findings": findings,
            "can_respond": has_perm(request.user, "supervision.respond", insp.village),
            "can_signoff": has_perm(request.user, "supervision.inspect", insp.village),
        },
    )


def _finding(request, pk) -> InspectionFinding:
    f = (
        InspectionFinding.objects.filter(scope_q(request.user, selectors.VIEW), pk=pk)
        .select_related("village")
        .first()
    )
    if f is None:
        raise Http404
    return f


@login_required
@require_POST
def finding_respond(request, pk):
    f = _finding(request, pk)
    try:
        services.rectification_respond(
            actor=request.user, finding=f, response=request.POST.get("response", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Response recorded."))
    return redirect("supervision:inspection", f.inspection_id)


@login_required
@require_POST
def finding_signoff(request, pk):
    f = _finding(request, pk)
    try:
        services.rectification_signoff(
            actor=request.user,
            finding=f,
            accept=request.POST.get("accept") == "1",
            note=request.POST.get("note", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("supervision:inspection", f.inspection_id)


@login_required
def rectifications(request):
    _require_scope(request.user)
    findings = list(
        InspectionFinding.objects.filter(
            scope_q(request.user, selectors.VIEW), state__in=rules.RECT_UNRESOLVED
        )
        .select_related("village", "inspection", "state_row")
        .order_by("rectify_by", "id")
    )
    return render(
        request,
        "supervision/rectifications.html",
        {"findings": findings, "today": selectors.current_day()},
    )


@login_required
def adjustments(request):
    _require_scope(request.user)
    rows = list(
        Adjustment.objects.filter(scope_q(request.user, selectors.VIEW))
        .select_related("village", "state_row__letter", "requested_by", "decided_by")
        .order_by("-requested_at")[:200]
    )
    return render(
        request,
        "supervision/adjustments.html",
        {
            "adjustments": rows,
            "can_decide": {
                a.pk for a in rows if has_perm(request.user, "supervision.decide", a.village)
            },
        },
    )


@login_required
@require_POST
def adjustment_decide(request, pk):
    adj = (
        Adjustment.objects.filter(scope_q(request.user, selectors.VIEW), pk=pk)
        .select_related("village")
        .first()
    )
    if adj is None:
        raise Http404
    try:
        services.adjustment_decide(
            actor=request.user,
            adjustment=adj,
            approve=request.POST.get("approve") == "1",
            note=request.POST.get("note", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("supervision:adjustments")


@login_required
def letter_timeline(request, letter_id):
    """A timeline per letter: every report on its items, newest first."""
    letter = (
        Letter.objects.filter(scope_q(request.user, selectors.VIEW), pk=letter_id)
        .select_related("village", "post__person")
        .first()
    )
    if letter is None:
        raise Http404
    from .models import Progress

    reports = list(
        Progress.objects.filter(state__letter=letter)
        .select_related("state", "recorded_by")
        .prefetch_related("evidence")[:500]
    )
    return render(request, "supervision/letter.html", {"letter": letter, "reports": reports})


@login_required
def digests(request):
    """The user's daily digests of supervision reminders (in-app), newest first."""
    rows = list(Digest.objects.filter(user=request.user)[:14])
    return render(request, "supervision/digests.html", {"digests": rows})
