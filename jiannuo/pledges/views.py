"""Pages of the pledges step (§三.2–3, §五.2). They read through selectors and write only
through services; a ServiceError is shown on the page and nothing is saved."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from jiannuo.core.errors import ConflictError, ServiceError
from jiannuo.core.excel import XLSX_CONTENT_TYPE
from jiannuo.core.permissions import has_perm

from . import checks, rules, selectors, services
from .forms import (
    AcknowledgeForm,
    ClauseForm,
    DecisionForm,
    ImportForm,
    ItemForm,
    MeetingForm,
)
from .models import (
    ACTION_LABELS,
    BREACH_LABELS,
    CATEGORY_LABELS,
    STATE_LABELS,
    BreachClause,
    Consultation,
    Letter,
    PledgeItem,
)


def _error(request, exc: ServiceError) -> None:
    messages.error(request, exc.message)
    for d in exc.details:
        if "message" in d:
            messages.error(request, d["message"])


# --- Index, period, letter -------------------------------------------------------------------


@login_required
def index(request):
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() else selectors.default_year()
    rows = selectors.overview(request.user, year)
    return render(
        request,
        "pledges/index.html",
        {"rows": rows, "year": year, "years": [year - 1, year, year + 1]},
    )


def _period(request, village_id, period, perm="pledges.view"):
    village = selectors.get_village(request.user, village_id, perm)
    term, year = selectors.resolve_period(village, period)
    return village, term, year


@login_required
def period_page(request, village_id, period):
    village, term, year = _period(request, village_id, period)
    letters = selectors.period_letters(village, term, year)
    meetings, consultations = selectors.period_meetings(village, term, year)
    states = {letter.state for letter in letters}
    user = request.user
    can_workflow = has_perm(user, "pledges.workflow", village)
    return render(
        request,
        "pledges/period.html",
        {
            "village": village,
            "term": term,
            "year": year,
            "period": selectors.period_slug(year, term),
            "term_period": selectors.period_slug(None, term),
            "period_label": (
                _("year %(year)s") % {"year": year}
                if year
                else _("term %(term)s") % {"term": term.name}
            ),
            "letters": letters,
            "meetings": meetings,
            "consultations": consultations,
            "can_prepare": has_perm(user, "pledges.prepare", village),
            "can_workflow": can_workflow,
            "any_tabled": rules.TABLED in states,
            "any_agreed": rules.JOINT_MEETING in states,
            "any_consulted": rules.CONSULTED in states,
            "no_supervision": not services.has_supervision_committee(village, timezone.localdate()),
        },
    )


@login_required
@require_POST
def prepare(request, village_id, period):
    village, term, year = _period(request, village_id, period)
    try:
        created = services.letters_prepare(
            actor=request.user, village=village, term=term, year=year
        )
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(
            request, _("%(count)s letter(s) prepared from the roster.") % {"count": len(created)}
        )
    return redirect("pledges:period", village.pk, period)


@login_required
@require_POST
def start_from_previous(request, village_id, period):
    """A new year's letters started from last year's: items copied as drafts, to be edited."""
    from .rollover import letters_start_from_previous

    village, term, year = _period(request, village_id, period)
    try:
        started = letters_start_from_previous(
            actor=request.user, village=village, term=term, year=year
        )
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _(
                "%(count)s letter(s) started from last year's; the items are drafts: edit them "
                "before the joint meeting."
            )
            % {"count": len(started)},
        )
    return redirect("pledges:period", village.pk, period)


@login_required
@require_POST
def submit_all(request, village_id, period):
    village, term, year = _period(request, village_id, period)
    try:
        done = services.period_submit(actor=request.user, village=village, term=term, year=year)
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("%(count)s letter(s) submitted to the township party committee.")
            % {"count": len(done)},
        )
    return redirect("pledges:period", village.pk, period)


def _letter_context(request, letter: Letter) -> dict:
    current = selectors.current_version(letter)
    items, clauses = selectors.letter_content(current)
    versions = list(letter.versions.order_by("number").select_related("decided_by"))
    previous = versions[-2] if len(versions) > 1 else None
    user = request.user
    can_edit = services.can_edit(user, letter)
    can_decide = letter.state == rules.SUBMITTED and services.can_decide(user, letter)
    actions = []
    if letter.state in rules.EDITABLE_STATES and can_edit:
        actions.append("submit_to_joint_meeting")
    if letter.state == rules.CONSULTED and has_perm(user, "pledges.workflow", letter.village):
        actions.append("submit")
    return {
        "letter": letter,
        "current": current,
        "items": items,
        "clauses": clauses,
        "versions": versions,
        "previous": previous,
        "history": selectors.letter_history(letter),
        "can_edit": can_edit and letter.editable,
        "can_decide": can_decide,
        "actions": [(a, ACTION_LABELS[a]) for a in actions],
        "decision_form": DecisionForm(initial={"version": letter.version}),
        "period": selectors.period_slug(letter.year, letter.term),
        "state_labels": STATE_LABELS,
        "action_labels": ACTION_LABELS,
    }


@login_required
def letter_page(request, pk):
    letter = selectors.get_letter(request.user, pk)
    return render(request, "pledges/letter.html", _letter_context(request, letter))


# --- Items and clauses -----------------------------------------------------------------------


def _editable_letter(request, pk) -> Letter:
    letter = selectors.get_letter(request.user, pk)
    if not services.can_edit(request.user, letter):
        raise Http404
    return letter


def _item_form(letter, data=None, initial=None):
    return ItemForm(
        data,
        initial=initial,
        letter=letter,
        posts=list(selectors.team_posts_now(letter.village)),
        options=selectors.answer_options(letter),
        team_items=selectors.team_items_for(letter) if letter.kind != Letter.TEAM else [],
    )


def _get_item(letter, item_id) -> PledgeItem:
    item = PledgeItem.objects.filter(
        pk=item_id, letter_version__letter=letter, letter_version__number=letter.current_number
    ).first()
    if item is None:
        raise Http404
    return item


def _render_form(request, template, ctx, status):
    return render(request, template, ctx, status=status)


@login_required
def item_form(request, pk, item_id=None):
    letter = _editable_letter(request, pk)
    item = _get_item(letter, item_id) if item_id else None
    if request.method == "POST":
        form = _item_form(letter, request.POST)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                if item is None:
                    services.item_add(actor=request.user, letter=letter, version=version, **data)
                else:
                    services.item_update(actor=request.user, item=item, version=version, **data)
            except ConflictError as exc:
                form.add_error(None, exc.message)
                status = 409
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("pledges:letter", letter.pk)
    else:
        status = 200
        initial = {"version": letter.version}
        if item is not None:
            initial.update(
                category=item.category,
                text=item.text,
                target=item.target,
                deadline=item.deadline,
                responsible_post_id=item.responsible_post_id,
                hot_issue_ids=[h.pk for h in item.answers_hot_issues.all()],
                task_ids=[t.pk for t in item.answers_tasks.all()],
                breaks_down_ids=[t.pk for t in item.breaks_down.all()],
            )
        form = _item_form(letter, initial=initial)
    return _render_form(
        request,
        "pledges/item_form.html",
        {"letter": letter, "item": item, "form": form, "conflict": status == 409},
        status,
    )


@login_required
def clause_form(request, pk, clause_id=None):
    letter = _editable_letter(request, pk)
    clause = None
    if clause_id:
        clause = BreachClause.objects.filter(
            pk=clause_id,
            letter_version__letter=letter,
            letter_version__number=letter.current_number,
        ).first()
        if clause is None:
            raise Http404
    if request.method == "POST":
        form = ClauseForm(request.POST)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                if clause is None:
                    services.clause_add(actor=request.user, letter=letter, version=version, **data)
                else:
                    services.clause_update(
                        actor=request.user, clause=clause, version=version, **data
                    )
            except ConflictError as exc:
                form.add_error(None, exc.message)
                status = 409
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("pledges:letter", letter.pk)
    else:
        status = 200
        initial = {"version": letter.version}
        if clause is not None:
            initial.update(
                category=clause.category,
                trigger=clause.trigger,
                measure=clause.measure,
                amount=clause.amount,
                share_percent=clause.share_percent,
            )
        form = ClauseForm(initial=initial)
    return _render_form(
        request,
        "pledges/clause_form.html",
        {"letter": letter, "clause": clause, "form": form, "conflict": status == 409},
        status,
    )


@login_required
@require_POST
def item_delete(request, pk, item_id):
    letter = _editable_letter(request, pk)
    item = _get_item(letter, item_id)
    try:
        services.item_remove(actor=request.user, item=item, version=request.POST.get("version"))
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Item %(code)s removed.") % {"code": item.code})
    return redirect("pledges:letter", letter.pk)


@login_required
@require_POST
def clause_delete(request, pk, clause_id):
    letter = _editable_letter(request, pk)
    clause = BreachClause.objects.filter(
        pk=clause_id, letter_version__letter=letter, letter_version__number=letter.current_number
    ).first()
    if clause is None:
        raise Http404
    try:
        services.clause_remove(
            actor=request.user, clause=clause, version=request.POST.get("version")
        )
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Clause %(code)s removed.") % {"code": clause.code})
    return redirect("pledges:letter", letter.pk)


# --- Quality gate (§五.2) ---------------------------------------------------------------------


def _explained(findings):
    return [
        {
            "finding": f,
            "message": selectors.explain(f),
            "title": checks.RULE_TEXT[f.rule][0],
            "why": checks.RULE_TEXT[f.rule][1],
        }
        for f in findings
    ]


@login_required
def quality(request, pk):
    letter = selectors.get_letter(request.user, pk)
    findings = selectors.letter_findings(letter)
    open_warnings = services.unacknowledged(letter, findings)
    blocking = [f for f in findings if f.blocking]
    warnings = [f for f in findings if not f.blocking]
    status = 200
    form = AcknowledgeForm(initial={"version": letter.version})
    can_edit = services.can_edit(request.user, letter)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        form = AcknowledgeForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.quality_acknowledge(
                    actor=request.user,
                    letter=letter,
                    version=form.cleaned_data["version"],
                    note=form.cleaned_data["note"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The warnings are acknowledged."))
                return redirect("pledges:quality", letter.pk)
    acks = list(
        letter.versions.get(number=letter.current_number)
        .acknowledgements.select_related("by")
        .order_by("id")
    )
    return render(
        request,
        "pledges/quality.html",
        {
            "letter": letter,
            "blocking": _explained(blocking),
            "warnings": _explained(warnings),
            "open_warnings": len(open_warnings),
            "acks": acks,
            "form": form,
            "can_edit": can_edit and letter.editable,
        },
        status=status,
    )


@login_required
def rules_page(request):
    return render(
        request,
        "pledges/rules.html",
        {
            "rows": checks.rule_rows(),
            "categories": CATEGORY_LABELS,
            "breach": BREACH_LABELS,
            "vague": "、".join(rules.VAGUE_WORDS),
            "vague_measure": "、".join(rules.VAGUE_MEASURE_WORDS),
            "concrete": "、".join(rules.CONCRETE_MEASURE_WORDS),
        },
    )


# --- Workflow ---------------------------------------------------------------------------------


@login_required
@require_POST
def act(request, pk, action):
    letter = selectors.get_letter(request.user, pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    version = data.get("version")
    try:
        if action == "submit_to_joint_meeting":
            services.letter_submit_to_joint_meeting(
                actor=request.user, letter=letter, version=version
            )
        elif action == "submit":
            services.letter_submit(actor=request.user, letter=letter, version=version)
        elif action in ("approve", "return", "redo"):
            services.decide(
                actor=request.user,
                letter=letter,
                action=action,
                note=data.get("note", ""),
                copy=data.get("copy", False),
                version=version,
            )
        else:
            raise Http404
    except PermissionDenied:
        raise
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[action]})
    return redirect("pledges:letter", letter.pk)


def _attendance_posts(village, day):
    from django.db.models import Q

    from jiannuo.organisation.models import Post

    return (
        Post.objects.filter(village=village, kind__in=Post.TEAM, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .select_related("person")
        .order_by("kind", "start")
    )


@login_required
def joint_meeting(request, village_id, period):
    village, term, year = _period(request, village_id, period)
    if not has_perm(request.user, "pledges.workflow", village):
        raise Http404
    letters = [x for x in selectors.period_letters(village, term, year) if x.state == rules.TABLED]
    posts = list(_attendance_posts(village, timezone.localdate()))
    form = MeetingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            decisions = {}
            for letter in letters:
                choice = request.POST.get(f"decision_{letter.pk}", "")
                if choice in ("approved", "sent_back"):
                    decisions[letter.pk] = (choice, request.POST.get(f"note_{letter.pk}", ""))
            try:
                services.joint_meeting_record(
                    actor=request.user,
                    village=village,
                    term=term,
                    year=year,
                    date=form.cleaned_data["date"],
                    attendance=[int(x) for x in request.POST.getlist("attendance") if x.isdigit()],
                    decisions=decisions,
                    minutes=form.cleaned_data["minutes"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The joint meeting is recorded."))
                return redirect("pledges:period", village.pk, period)
    return render(
        request,
        "pledges/joint_meeting.html",
        {
            "village": village,
            "period": period,
            "year": year,
            "term": term,
            "letters": letters,
            "posts": posts,
            "form": form,
            "checked": set(request.POST.getlist("attendance")),
        },
        status=status,
    )


@login_required
def consultation(request, village_id, period):
    village, term, year = _period(request, village_id, period)
    if not has_perm(request.user, "pledges.workflow", village):
        raise Http404
    letters = [
        x for x in selectors.period_letters(village, term, year) if x.state == rules.JOINT_MEETING
    ]
    has_committee = services.has_supervision_committee(village, timezone.localdate())
    form = MeetingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            comments = {
                letter.pk: request.POST.get(f"comment_{letter.pk}", "")
                for letter in letters
                if request.POST.get(f"include_{letter.pk}")
            }
            try:
                services.consultation_record(
                    actor=request.user,
                    village=village,
                    term=term,
                    year=year,
                    date=form.cleaned_data["date"],
                    comments=comments,
                    summary=form.cleaned_data["minutes"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The consultation is recorded."))
                return redirect("pledges:period", village.pk, period)
    return render(
        request,
        "pledges/consultation.html",
        {
            "village": village,
            "period": period,
            "year": year,
            "term": term,
            "letters": letters,
            "form": form,
            "has_committee": has_committee,
            "body": dict(Consultation.BODIES)[
                Consultation.SUPERVISION if has_committee else Consultation.REPRESENTATIVES
            ],
        },
        status=status,
    )


# --- Coverage, versions, diff ----------------------------------------------------------------


@login_required
def coverage(request, village_id, period):
    village, term, year = _period(request, village_id, period)
    team, rows = selectors.coverage(village, term, year)
    return render(
        request,
        "pledges/coverage.html",
        {
            "village": village,
            "period": period,
            "year": year,
            "term": term,
            "team": team,
            "rows": rows,
            "uncovered": sum(1 for r in rows if not r["owners"]),
        },
    )


FIELD_LABELS = {
    "category": _lazy("Category"),
    "text": _lazy("Pledge"),
    "target": _lazy("Target"),
    "deadline": _lazy("Deadline"),
    "responsible_post": _lazy("Responsible"),
    "answers": _lazy("Answers"),
    "breaks_down": _lazy("Breaks down"),
    "trigger": _lazy("When"),
    "measure": _lazy("Measure"),
    "amount": _lazy("Amount"),
}


@login_required
def versions(request, pk):
    letter = selectors.get_letter(request.user, pk)
    all_versions = list(letter.versions.order_by("number"))
    numbers = [v.number for v in all_versions]
    a = request.GET.get("a", "")
    b = request.GET.get("b", "")
    b = int(b) if b.isdigit() else numbers[-1]
    a = int(a) if a.isdigit() else (numbers[-2] if len(numbers) > 1 else numbers[-1])
    old = selectors.get_version(letter, a)
    new = selectors.get_version(letter, b)
    changes = selectors.diff(selectors.version_snapshot(old), selectors.version_snapshot(new))
    return render(
        request,
        "pledges/versions.html",
        {
            "letter": letter,
            "versions": all_versions,
            "old": old,
            "new": new,
            "changes": changes,
            "field_labels": FIELD_LABELS,
            "unchanged": not any(
                changes[k][part]
                for k in ("items", "clauses")
                for part in ("added", "removed", "changed")
            ),
        },
    )


# --- Excel import -----------------------------------------------------------------------------


@login_required
def items_template(request):
    response = HttpResponse(selectors.items_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''pledge-items-template.xlsx"
    return response


@login_required
def items_import(request, pk):
    letter = _editable_letter(request, pk)
    form = ImportForm(
        request.POST or None, request.FILES or None, initial={"version": letter.version}
    )
    problems = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                count = services.items_import(
                    actor=request.user,
                    letter=letter,
                    version=form.cleaned_data["version"],
                    upload=form.cleaned_data["file"],
                )
            except ServiceError as exc:
                form.add_error("file", exc.message)
                problems = exc.details
                status = exc.status
            else:
                messages.success(request, _("%(count)s item(s) imported.") % {"count": count})
                return redirect("pledges:letter", letter.pk)
    return render(
        request,
        "pledges/import.html",
        {"letter": letter, "form": form, "problems": problems},
        status=status,
    )
