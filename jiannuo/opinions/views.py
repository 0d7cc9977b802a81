"""Pages of the opinions step (§三.1). Every write goes through ``services``."""

from __future__ import annotations

import qrcode
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from qrcode.image.svg import SvgPathImage

from jiannuo.core.clients import client_address
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import has_perm

from . import selectors, services
from .forms import (
    EntryFormSet,
    MeetingForm,
    PublicOpinionForm,
    TaskForm,
    VisitForm,
    lines,
)
from .models import ConsultationMeeting, HotIssue, HouseholdVisit

OPINIONS_PER_PAGE = 50


def qr_svg(url: str) -> str:
    """The URL as an inline SVG QR code (no image file, no network)."""
    img = qrcode.make(url, image_factory=SvgPathImage, border=2)
    return img.to_string(encoding="unicode")


def public_url(request, village) -> str:
    return request.build_absolute_uri(reverse("opinions:public", args=[village.code]))


def _period(request, village, source=None):
    """(term, year) from ?term=&year= ("term" = the whole term); defaults to the current."""
    source = source if source is not None else request.GET
    term_id = source.get("term")
    term = (
        selectors.get_term(village, term_id)
        if term_id and str(term_id).isdigit()
        else selectors.current_term(village)
    )
    if term is None:
        raise Http404
    raw = source.get("year")
    if raw == "term":
        return term, None
    if raw and str(raw).isdigit() and int(raw) in term.years:
        return term, int(raw)
    return term, selectors.default_year(term)


def _period_query(term, year) -> str:
    return f"?term={term.pk}&year={'term' if year is None else year}"


def _village_url(village, term, year, anchor="") -> str:
    return reverse("opinions:village", args=[village.pk]) + _period_query(term, year) + anchor


@login_required
def index(request):
    """Villages and townships the user may work with, for the current year."""
    villages = list(selectors.visible_villages(request.user).order_by("path"))
    townships = selectors.visible_townships(request.user, "opinions.view")
    if not villages and not townships:
        raise Http404
    if len(villages) == 1 and not townships:
        return redirect("opinions:village", pk=villages[0].pk)
    stats = selectors.villages_summary(villages)
    rows = [(v, stats.get(v.pk, {})) for v in villages]
    return render(
        request,
        "opinions/index.html",
        {
            "rows": rows,
            "townships": townships,
            "can_issue": {
                t.pk for t in townships if has_perm(request.user, "opinions.issue_tasks", t)
            },
        },
    )


@login_required
def village(request, pk):
    village = selectors.get_village(request.user, pk)
    term, year = _period(request, village)
    user = request.user
    can_personal = has_perm(user, "opinions.view_personal", village)
    page = Paginator(selectors.village_opinions(village, term, year), OPINIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    issues = list(selectors.village_issues(village, term, year))
    url = public_url(request, village)
    ctx = {
        "village": village,
        "term": term,
        "year": year,
        "years": term.years,
        "query": _period_query(term, year),
        "counts": selectors.source_counts(village, term, year),
        "unassigned": selectors.unassigned_opinions(village, term, year).count(),
        "page": page,
        "issues": issues,
        "proposed": [i for i in issues if i.status == HotIssue.PROPOSED],
        "accepted": [i for i in issues if i.status == HotIssue.ACCEPTED],
        "others": [i for i in issues if i.status in (HotIssue.DECLINED, HotIssue.MERGED)],
        "assignments": selectors.village_assignments(village, year),
        "meetings": list(selectors.village_meetings(village, term, year)),
        "visits": list(selectors.village_visits(village, term, year)),
        "public_url": url,
        "qr": qr_svg(url),
        "can_personal": can_personal,
        "can_enter": has_perm(user, "opinions.enter", village),
        "can_manage": has_perm(user, "opinions.manage_issues", village),
        "can_answer": has_perm(user, "opinions.answer_tasks", village),
    }
    return render(request, "opinions/village.html", ctx)


@login_required
def card(request, pk):
    """The printable blank opinion card (征求意见卡), A5 (default) or A4."""
    village = selectors.get_village(request.user, pk)
    term, year = _period(request, village)
    size = "A4" if request.GET.get("size") == "A4" else "A5"
    url = public_url(request, village)
    return render(
        request,
        "opinions/card.html",
        {
            "village": village,
            "term": term,
            "year": year,
            "size": size,
            "copies": range(2 if size == "A4" else 1),
            "qr": qr_svg(url),
            "public_url": url,
        },
    )


def _error_details(exc: ServiceError) -> list[str]:
    out = []
    for d in exc.details:
        if isinstance(d, dict) and "row" in d:
            out.append(_("Row %(row)s: %(message)s") % {"row": d["row"], "message": d["message"]})
        elif isinstance(d, dict) and "message" in d:
            out.append(str(d["message"]))
    return out


@login_required
def enter(request, pk):
    """Enter paper cards: several opinions at once; all valid or nothing saved."""
    village = selectors.get_village(request.user, pk)
    if not has_perm(request.user, "opinions.enter", village):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    term, year = _period(request, village, source)
    formset = EntryFormSet(request.POST or None)
    status, problems = 200, []
    if request.method == "POST":
        if formset.is_valid():
            try:
                created = services.opinions_enter(
                    actor=request.user,
                    village=village,
                    term=term,
                    year=year,
                    entries=[services.Entry(**f.cleaned_data) for f in formset if f.cleaned_data],
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
                problems, status = _error_details(exc), exc.status
            else:
                messages.success(request, _("%(n)s opinion(s) entered.") % {"n": len(created)})
                if "again" in request.POST:
                    return redirect(
                        reverse("opinions:enter", args=[village.pk]) + _period_query(term, year)
                    )
                return redirect(_village_url(village, term, year))
        else:
            status = 400
    return render(
        request,
        "opinions/enter.html",
        {
            "village": village,
            "term": term,
            "year": year,
            "formset": formset,
            "problems": problems,
        },
        status=status,
    )


def _record(request, pk, form_class, template, save):
    village = selectors.get_village(request.user, pk)
    if not has_perm(request.user, "opinions.enter", village):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    term, year = _period(request, village, source)
    form = form_class(request.POST or None)
    status, problems = 200, []
    if request.method == "POST":
        if form.is_valid():
            try:
                save(village, term, year, form.cleaned_data)
            except ServiceError as exc:
                form.add_error(None, exc.message)
                problems, status = _error_details(exc), exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect(_village_url(village, term, year))
        else:
            status = 400
    return render(
        request,
        template,
        {"village": village, "term": term, "year": year, "form": form, "problems": problems},
        status=status,
    )


@login_required
def meeting_new(request, pk):
    def save(village, term, year, data):
        services.meeting_record(
            actor=request.user,
            village=village,
            term=term,
            year=year,
            date=data["date"],
            attendee_count=data["attendee_count"],
            attendees=data["attendees"],
            minutes=data["minutes"],
            opinions=lines(data["opinions"]),
        )

    return _record(request, pk, MeetingForm, "opinions/meeting_form.html", save)


@login_required
def visit_new(request, pk):
    def save(village, term, year, data):
        services.visit_record(
            actor=request.user,
            village=village,
            term=term,
            year=year,
            household=data["household"],
            visitor=data["visitor"],
            date=data["date"],
            notes=data["notes"],
            opinions=lines(data["opinions"]),
        )

    return _record(request, pk, VisitForm, "opinions/visit_form.html", save)


@login_required
def meeting(request, pk):
    m = ConsultationMeeting.objects.select_related("village", "term").filter(pk=pk).first()
    if m is None or not has_perm(request.user, "opinions.view", m.village):
        raise Http404
    return render(
        request,
        "opinions/record.html",
        {
            "record": m,
            "kind": "meeting",
            "village": m.village,
            "opinions": m.opinions.select_related("hot_issue").order_by("id"),
            "can_personal": has_perm(request.user, "opinions.view_personal", m.village),
        },
    )


@login_required
def visit(request, pk):
    v = HouseholdVisit.objects.select_related("village", "term").filter(pk=pk).first()
    if v is None or not has_perm(request.user, "opinions.view", v.village):
        raise Http404
    return render(
        request,
        "opinions/record.html",
        {
            "record": v,
            "kind": "visit",
            "village": v.village,
            "opinions": v.opinions.select_related("hot_issue").order_by("id"),
            "can_personal": has_perm(request.user, "opinions.view_personal", v.village),
        },
    )


@login_required
@require_POST
def group(request, pk):
    """The "group the opinions" button (§三.1 归纳梳理热点难点问题)."""
    village = selectors.get_village(request.user, pk)
    term, year = _period(request, village, request.POST)
    try:
        created = services.issues_group(actor=request.user, village=village, term=term, year=year)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(n)s proposed hot issue(s) created. Review them, then accept or decline each.")
            % {"n": len(created)},
        )
    return redirect(_village_url(village, term, year, "#issues"))


def _issue_page(request, issue, status=200):
    village = issue.village
    can_personal = has_perm(request.user, "opinions.view_personal", village)
    return render(
        request,
        "opinions/issue.html",
        {
            "issue": issue,
            "village": village,
            "opinions": list(selectors.issue_opinions(issue)),
            "mergeable": list(selectors.mergeable_issues(issue))
            if issue.status == HotIssue.PROPOSED
            else [],
            "merged_from": list(issue.merged_from.order_by("id")),
            "back": _village_url(village, issue.term, issue.year, "#issues"),
            "can_personal": can_personal,
            "can_manage": has_perm(request.user, "opinions.manage_issues", village),
        },
        status=status,
    )


@login_required
def issue(request, pk):
    return _issue_page(request, selectors.get_issue(request.user, pk))


def _version(request) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


ISSUE_ACTIONS = {"rename", "merge", "split", "accept", "decline", "reopen", "not_adopt"}


@login_required
def issue_action(request, pk, action):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in ISSUE_ACTIONS:
        raise Http404
    issue = selectors.get_issue(request.user, pk)
    post, actor, version = request.POST, request.user, _version(request)
    try:
        if version is None and action in ("rename", "merge", "split"):
            raise ServiceError(_("The form is missing the version; reload the page."))
        if action == "rename":
            result = services.issue_rename(
                actor=actor,
                issue=issue,
                label=post.get("label", ""),
                summary=post.get("summary") if "summary" in post else None,
                version=version,
            )
            message = _("Renamed.")
        elif action == "merge":
            ids = [int(x) for x in post.getlist("others") if x.isdigit()]
            others = list(
                HotIssue.objects.select_related("village").filter(
                    pk__in=ids, village_id=issue.village_id
                )
            )
            if len(others) != len(set(ids)):
                raise Http404
            versions = {issue.pk: version}
            for o in others:
                v = post.get(f"version_{o.pk}", "")
                versions[o.pk] = int(v) if v.isdigit() else o.version
            result = services.issue_merge(
                actor=actor,
                target=issue,
                others=others,
                versions=versions,
                label=post.get("label", ""),
            )
            message = _("%(n)s issue(s) merged into this one.") % {"n": len(others)}
        elif action == "split":
            ids = [int(x) for x in post.getlist("opinions") if x.isdigit()]
            new = services.issue_split(
                actor=actor,
                issue=issue,
                opinion_ids=ids,
                label=post.get("label", ""),
                version=version,
            )
            messages.success(request, _("A new issue was split off."))
            return redirect("opinions:issue", pk=new.pk)
        elif action == "accept":
            result = services.issue_accept(actor=actor, issue=issue, version=version)
            message = _("Accepted: the pledges must answer this issue.")
        elif action == "decline":
            result = services.issue_decline(
                actor=actor, issue=issue, version=version, note=post.get("note", "")
            )
            message = _("Declined.")
        elif action == "reopen":
            result = services.issue_reopen(actor=actor, issue=issue, version=version)
            message = _("Reopened.")
        else:
            result = services.issue_not_adopt(
                actor=actor, issue=issue, reason=post.get("reason", ""), version=version
            )
            message = _("Marked as not adopted; the reason will be published.")
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _issue_page(request, selectors.get_issue(request.user, pk), status=exc.status)
    messages.success(request, message)
    return redirect("opinions:issue", pk=result.pk)


@login_required
def township_tasks(request, pk):
    """A township's tasks for its villages; the task form for those who issue them (§三.1–2)."""
    township = selectors.get_township(request.user, pk)
    term = selectors.current_term(township)
    year_raw = request.GET.get("year", "")
    year = int(year_raw) if year_raw.isdigit() else timezone.localdate().year
    can_issue = has_perm(request.user, "opinions.issue_tasks", township)
    villages = list(selectors.township_villages(township))
    form = TaskForm(
        request.POST or None,
        villages=villages,
        initial={"year": year, "villages": [v.pk for v in villages]},
    )
    status = 200
    if request.method == "POST":
        if not can_issue:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            by_pk = {v.pk: v for v in villages}
            try:
                services.task_issue(
                    actor=request.user,
                    township=township,
                    year=data["year"],
                    title=data["title"],
                    target=data["target"],
                    deadline=data["deadline"],
                    villages=[by_pk[i] for i in data["villages"]],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Task issued."))
                return redirect(
                    reverse("opinions:township_tasks", args=[township.pk]) + f"?year={data['year']}"
                )
        else:
            status = 400
    tasks = list(selectors.township_tasks(township, year))
    answered = selectors.answered_refs([v.pk for v in villages], year)
    return render(
        request,
        "opinions/tasks.html",
        {
            "township": township,
            "term": term,
            "year": year,
            "years": term.years if term else [year],
            "tasks": tasks,
            "answered": answered,
            "form": form,
            "can_issue": can_issue,
        },
        status=status,
    )


@login_required
@require_POST
def assignment_action(request, pk, action):
    a = selectors.get_assignment(request.user, pk)
    try:
        if action == "not_adopt":
            services.task_not_adopt(
                actor=request.user, assignment=a, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Marked as not adopted; the reason will be published."))
        elif action == "adopt":
            services.task_adopt(actor=request.user, assignment=a)
            messages.success(request, _("The task is to be answered again."))
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message)
    term = selectors.current_term(a.village)
    if term is None:
        raise Http404
    return redirect(_village_url(a.village, term, a.task.year, "#tasks"))


def public(request, code):
    """The public page where villagers give an opinion without logging in (§三.1).

    Reached by link or QR code; phone-first; name optional; rate limited per address.
    """
    village = selectors.public_village(code)
    term = selectors.current_term(village)
    year = selectors.default_year(term) if term else None
    form = PublicOpinionForm(request.POST or None)
    status, sent = 200, request.GET.get("sent") == "1"
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.opinion_submit_public(
                    village=village,
                    term=term,
                    year=year,
                    text=data["text"],
                    giver_name=data["giver_name"],
                    giver_phone=data["giver_phone"],
                    client=client_address(request),
                    honeypot=data["website"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                return redirect(reverse("opinions:public", args=[village.code]) + "?sent=1")
        else:
            status = 400
    return render(
        request,
        "opinions/public.html",
        {"village": village, "term": term, "year": year, "form": form, "sent": sent},
        status=status,
    )
