"""Pages of the accountability step (seed §四). They read through selectors and write only
through services; a ServiceError is shown next to the form, with what the user typed kept."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiannuo.core.errors import ServiceError
from jiannuo.core.models import Transition
from jiannuo.core.permissions import has_perm, same_person
from jiannuo.organisation.models import Unit

from . import rules, selectors, services
from .models import (
    ACTION_LABELS,
    MEASURE_LABELS,
    OUTCOME_LABELS,
    SANCTION_LABELS,
    STATE_LABELS,
)


def _year(request, default=None) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() else (default or timezone.localdate().year - 1)


@login_required
def index(request):
    """The cases the user may see, by year, township, state and measure."""
    year = _year(request)
    townships = selectors.townships(request.user)
    township = None
    if request.GET.get("township", "").isdigit():
        township = selectors.get_township(request.user, int(request.GET["township"]))
    state = request.GET.get("state") if request.GET.get("state") in STATE_LABELS else None
    measure = request.GET.get("measure") if request.GET.get("measure") in MEASURE_LABELS else None
    cases = list(
        selectors.cases(
            request.user, year=year, township=township, state=state, measure=measure
        ).order_by("village__path", "person__name", "-leading", "measure", "id")
    )
    todo = request.GET.get("todo")
    if todo == "decide":
        now = timezone.now()
        cases = [
            c
            for c in cases
            if c.state == rules.REPLIED or (c.state == rules.PROPOSED and c.reply_due < now)
        ]
    return render(
        request,
        "accountability/index.html",
        {
            "cases": cases,
            "year": year,
            "years": [year - 1, year, year + 1],
            "townships": townships,
            "township": township,
            "state": state,
            "measure": measure,
            "states": STATE_LABELS.items(),
            "measures": MEASURE_LABELS.items(),
            "run_townships": selectors.townships(request.user, "accountability.run"),
            "can_settings": any(
                has_perm(request.user, "settings.manage", d)
                for d in Unit.objects.filter(kind=Unit.DISTRICT)
            ),
        },
    )


def available_actions(user, case, now=None) -> list[str]:
    """The workflow actions ``user`` may take on ``case`` now (the forms to show)."""
    now = now or timezone.now()
    out = []
    cadre = services.is_cadre_of(user, case)
    decider = has_perm(user, "accountability.decide", case.village) and not services._own_case(
        user, case
    )
    if cadre and case.state == rules.PROPOSED and now <= case.reply_due:
        out += ["reply", "waive"]
    if decider and case.state in (rules.PROPOSED, rules.REPLIED):
        out += ["decide", "dismiss"]
    if (
        decider
        and case.state == rules.AWAITING_APPROVAL
        and not same_person(user, case.decided_by_id)
    ):
        out += ["approve", "reject"]
    if (
        cadre
        and case.state == rules.DECIDED
        and case.appealed_at is None
        and case.appeal_due
        and now <= case.appeal_due
    ):
        out.append("appeal")
    if (
        case.state == rules.APPEALED
        and has_perm(user, "accountability.appeal_decide", case.village)
        and not same_person(user, case.decided_by_id)
        and not same_person(user, case.approved_by_id)
        and not services._own_case(user, case)
    ):
        out.append("decide_appeal")
    if (
        case.state == rules.DECIDED
        and has_perm(user, "accountability.carry_out", case.village)
        and (case.appealed_at is not None or (case.appeal_due and now > case.appeal_due))
    ):
        out.append("carry_out")
    return out


def _case_context(request, case, error=None, action=None):
    history = list(
        Transition.objects.filter(object_type=services.OBJECT_TYPE, object_id=str(case.pk))
        .select_related("actor")
        .order_by("id")
    )
    for t in history:
        t.action_label = ACTION_LABELS.get(t.action, t.action)
        t.to_label = STATE_LABELS.get(t.to_state, t.to_state)
    outcomes = rules.carry_out_outcomes_for(case.measure, case.post_kinds)
    return {
        "case": case,
        "history": history,
        "actions": available_actions(request.user, case),
        "error": error,
        "failed_action": action,
        "posted": request.POST if action else {},
        "outcomes": [(o, OUTCOME_LABELS[o]) for o in outcomes],
        "sanctions": SANCTION_LABELS.items(),
        "needs_approval": rules.needs_second_approval(case.measure),
        "is_cadre": services.is_cadre_of(request.user, case),
        "action_labels": ACTION_LABELS,
    }


@login_required
def case_page(request, pk):
    case = selectors.get_case(request.user, pk)
    return render(request, "accountability/case.html", _case_context(request, case))


@login_required
@require_POST
def case_act(request, pk, action):
    case = selectors.get_case(request.user, pk)
    if action not in services.ACTIONS:
        raise Http404
    p = request.POST
    kwargs = {"actor": request.user, "case": case, "version": p.get("version") or None}
    if action in ("reply", "appeal"):
        kwargs["text"] = p.get("text", "")
    elif action in ("decide", "dismiss"):
        kwargs["decision"] = p.get("decision", "")
    elif action == "reject":
        kwargs["note"] = p.get("note", "")
    elif action == "decide_appeal":
        kwargs["decision"] = p.get("decision", "")
        kwargs["uphold"] = p.get("outcome") == "uphold"
    elif action == "carry_out":
        kwargs.update(
            outcome=p.get("outcome", ""),
            note=p.get("note", ""),
            amount=p.get("amount") or None,
            sanction=p.get("sanction", ""),
        )
    try:
        services.ACTIONS[action](**kwargs)
    except ServiceError as exc:
        case = selectors.get_case(request.user, pk)
        ctx = _case_context(request, case, error=exc.message, action=action)
        return render(request, "accountability/case.html", ctx, status=400)
    return redirect("accountability:case", pk)


@login_required
def decision_pdf(request, pk):
    """The decision document (处理决定书) of a decided case, as PDF."""
    case = selectors.get_case(request.user, pk)
    if case.in_force_at is None and case.state != rules.DISMISSED:
        raise Http404
    from .pdf import render_decision_pdf

    pdf = render_decision_pdf(case)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="decision-{case.number or case.pk}.pdf"'
    return response


@login_required
def preview(request, township_id, year):
    """§四 (#7.5): the year's proposals before any case is opened, and what a run would change;
    POST opens the cases."""
    if not 2000 <= year <= 2100:
        raise Http404
    township = selectors.get_township(request.user, township_id, "accountability.run")
    error = None
    if request.method == "POST":
        try:
            run = services.run_open(actor=request.user, township=township, year=year)
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect(
                reverse("accountability:preview", args=[township.pk, year]) + f"?run={run.pk}"
            )
    pv = services.preview(actor=request.user, township=township, year=year)
    last_run = None
    if request.GET.get("run", "").isdigit():
        from .models import Run

        last_run = Run.objects.filter(pk=int(request.GET["run"]), township=township).first()
    return render(
        request,
        "accountability/preview.html",
        {
            "pv": pv,
            "township": township,
            "year": year,
            "error": error,
            "last_run": last_run,
            "counts": {
                k: pv.count(k) for k in (services.NEW, services.CHANGED, services.UNCHANGED)
            },
        },
        status=400 if error else 200,
    )


@login_required
def honours(request):
    """§四.1 (#7.4): who may not be nominated for any honour in the year, and why."""
    year = _year(request)
    rows = selectors.honours_ineligible(request.user, year)
    if not selectors.townships(request.user):
        raise PermissionDenied
    return render(
        request,
        "accountability/honours.html",
        {
            "year": year,
            "years": [year - 1, year, year + 1],
            "ineligible": [c for c in rows if c.in_force],
            "pending": [c for c in rows if not c.in_force],
        },
    )
