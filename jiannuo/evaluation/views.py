"""Pages of the year-end step (§三.6, §四). They read through selectors and write only through
services; a ServiceError is shown on the page and nothing is saved. The phone voting page is
public (no log-in): the one-time code is the credential."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiannuo.core import ids
from jiannuo.core.errors import ServiceError
from jiannuo.core.excel import XLSX_CONTENT_TYPE
from jiannuo.core.ids import pk
from jiannuo.core.permissions import has_perm, scope_q
from jiannuo.organisation.models import Post, Unit
from jiannuo.pledges.models import PledgeItem

from . import excel, pdf, presiding, rules, selectors, services
from .models import (
    LOSS_CAUSES,
    OPTION_LABELS,
    REASONS,
    VERDICTS,
    BallotCode,
    Breach,
    Round,
    Target,
    Voter,
)


def _year(request) -> int:
    raw = request.GET.get("year", "") or request.POST.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else timezone.localdate().year


def _pk(raw) -> int:
    """A primary key from a form field; anything else is a page that does not exist."""
    value = ids.pk(raw)
    if value is None:
        raise Http404
    return value


def _pks(values) -> list[int]:
    """Primary keys from a form's list field; anything else is a malformed request (400)."""
    value = ids.pks(values)
    if value is None:
        raise BadRequest(_("The selection is malformed."))
    return value


def _error(request, exc: ServiceError) -> None:
    messages.error(request, exc.message)


@login_required
def index(request):
    """Villages in scope for a year: the assessment, the round and the results of each."""
    year = _year(request)
    villages = selectors.villages(request.user)
    rounds = {}
    for r in selectors.rounds(request.user, year).exclude(state=Round.VOID):
        rounds.setdefault(r.village_id, r)
    results = {r.village_id: r for r in selectors.results(request.user, year)}
    for v in villages:
        v.round = rounds.get(v.pk)
        v.result = results.get(v.pk)
        v.can_round = v.round is None and (
            has_perm(request.user, "evaluation.manage", v)
            or presiding.may_preside(request.user, v, year)
        )
    townships = list(
        Unit.objects.filter(
            scope_q(request.user, "evaluation.manage", field=""), kind=Unit.TOWNSHIP
        ).order_by("path")
    )
    assessors = []
    if townships:
        assessors = list(
            User.objects.filter(
                roles__unit__in=townships,
                roles__role__in=list(services.ASSESSOR_ROLES),
            )
            .distinct()
            .order_by("username")
        )
    return render(
        request,
        "evaluation/index.html",
        {
            "year": year,
            "villages": villages,
            "groups": list(selectors.groups(request.user, year)),
            "townships": townships,
            "assessors": assessors,
            "township_villages": [v for v in villages if v.parent_id in {t.pk for t in townships}],
        },
    )


@login_required
@require_POST
def group_new(request):
    year = _year(request)
    try:
        township = Unit.objects.get(pk=_pk(request.POST.get("township")))
    except Unit.DoesNotExist:
        raise Http404 from None
    members = User.objects.filter(pk__in=_pks(request.POST.getlist("members")))
    villages = Unit.objects.filter(pk__in=_pks(request.POST.getlist("villages")))
    try:
        group = services.group_create(
            actor=request.user,
            township=township,
            year=year,
            name=request.POST.get("name", ""),
            members=members,
            villages=villages,
        )
    except ServiceError as exc:
        _error(request, exc)
        return redirect(f"{reverse('evaluation:index')}?year={year}")
    messages.success(request, _("The assessment group is formed."))
    return redirect("evaluation:group", group.pk)


@login_required
def group(request, pk: int):
    g = selectors.get_group(request.user, pk)
    return render(request, "evaluation/group.html", {"group": g})


def _village_year_context(request, village, year):
    data = selectors.assessment(village, year)
    computed = services.compute_results(village, year)
    result = selectors.results(request.user, year).filter(village=village).first()
    posts = list(Post.objects.filter(village=village, kind__in=Post.TEAM).select_related("person"))
    return {
        "village": village,
        "year": year,
        **data,
        "computed": computed,
        "result": result,
        "posts": posts,
        "can_assess": services.is_assessor_for(request.user, village, year) and not result,
        "can_confirm": has_perm(request.user, "evaluation.manage", village) and not result,
        "verdict_choices": VERDICTS,
        "reason_choices": REASONS,
        "cause_choices": LOSS_CAUSES,
        "breach_kinds": Breach.KINDS,
    }


@login_required
def village_year(request, village_id: int, year: int):
    """The assessment of a village's year: verdicts, losses, breaches; the results to confirm."""
    village = selectors.village(request.user, village_id)
    return render(
        request, "evaluation/village_year.html", _village_year_context(request, village, year)
    )


@login_required
@require_POST
def village_year_act(request, village_id: int, year: int, action: str):
    village = selectors.village(request.user, village_id)
    post = request.POST
    here = reverse("evaluation:village_year", args=[village.pk, year])
    try:
        if action == "verdict":
            # Scope before state: only this (visible) village's items are found.
            item = PledgeItem.objects.filter(
                pk=ids.pk(post.get("item")), letter_version__letter__village=village
            ).first()
            if item is None:
                raise Http404
            services.verdict_record(
                actor=request.user,
                item=item,
                verdict=post.get("verdict", ""),
                reason=post.get("reason", ""),
                evidence=post.get("evidence", ""),
                version=post.get("version") or None,
            )
            here += f"#item-{item.pk}"
        elif action == "loss":
            services.loss_record(
                actor=request.user,
                village=village,
                year=year,
                amount=post.get("amount", ""),
                cause=post.get("cause", ""),
                description=post.get("description", ""),
                clause=(pk(post["clause"]) or -1) if post.get("clause") else None,
                posts=Post.objects.filter(village=village, pk__in=post.getlist("posts")),
                team=post.get("team") == "on",
            )
        elif action == "breach":
            p = Post.objects.filter(village=village, pk=post.get("post") or 0).first()
            services.breach_record(
                actor=request.user,
                village=village,
                year=year,
                kind=post.get("kind", ""),
                post=p,
                description=post.get("description", ""),
                referred_to=post.get("referred_to", ""),
            )
        elif action == "import":
            n = excel.verdicts_import(
                actor=request.user,
                village=village,
                year=year,
                upload=request.FILES.get("file") or b"",
            )
            messages.success(request, _("%(n)s verdicts imported.") % {"n": n})
        elif action == "confirm":
            services.results_confirm(actor=request.user, village=village, year=year)
            messages.success(request, _("The year's results are confirmed."))
        else:
            raise Http404
    except ServiceError as exc:
        _error(request, exc)
        ctx = _village_year_context(request, village, year)
        ctx["form_error"] = {
            "action": action,
            "message": exc.message,
            "data": post,
            "details": exc.details,
        }
        return render(request, "evaluation/village_year.html", ctx, status=exc.status)
    return redirect(here)


@login_required
@require_POST
def round_new(request):
    village = selectors.village(request.user, _pk(request.POST.get("village")))
    year = _year(request)
    try:
        rnd = services.round_create(
            actor=request.user, village=village, year=year, method=request.POST.get("method", "")
        )
    except ServiceError as exc:
        _error(request, exc)
        return redirect(f"{reverse('evaluation:index')}?year={year}")
    return redirect("evaluation:round", rnd.pk)


@login_required
def round_page(request, pk: int):
    rnd = selectors.get_round(request.user, pk)
    detail = selectors.round_detail(rnd)
    arr = presiding.arrangement(rnd.village, rnd.year)
    for t in detail["targets"]:
        if t.current_tally is not None:
            t.counted = [
                (OPTION_LABELS.get(o, o), t.current_tally.counts.get(o, 0)) for o in rnd.options
            ]
    return render(
        request,
        "evaluation/round.html",
        {
            "round": rnd,
            **detail,
            "options": [(o, OPTION_LABELS.get(o, o)) for o in rnd.options],
            "arrangement": arr,
            "can_preside": presiding.may_preside(request.user, rnd.village, rnd.year, arr),
            "can_tally": presiding.may_enter_count(request.user, rnd.village, rnd.year, arr),
            "can_confirm": presiding.may_confirm_count(request.user, rnd.village, rnd.year, arr),
            "quorum": rules.quorum(rnd.meeting_kind, rnd.eligible or 1, rnd.present),
        },
    )


@login_required
@require_POST
def round_act(request, pk: int, action: str):
    rnd = selectors.get_round(request.user, pk)
    post = request.POST
    try:
        if action == "checkin":
            voter = Voter.objects.filter(round=rnd, pk=post.get("voter") or 0).first()
            if voter is None:
                raise Http404
            row = services.voter_checkin(actor=request.user, round=rnd, voter=voter)
            if row.slips_voided:
                messages.warning(
                    request,
                    _(
                        "The %(n)s code slips printed before are void; print the slips again "
                        "for everyone present."
                    )
                    % {"n": row.slips_voided},
                )
        elif action == "open":
            services.round_open(actor=request.user, round=rnd)
        elif action == "close":
            services.round_close(actor=request.user, round=rnd)
        elif action == "void":
            services.round_void(actor=request.user, round=rnd, reason=post.get("reason", ""))
        elif action == "tally":
            target = Target.objects.filter(round=rnd, pk=post.get("target") or 0).first()
            if target is None:
                raise Http404
            services.tally_enter(
                actor=request.user,
                target=target,
                issued=post.get("issued"),
                returned=post.get("returned"),
                spoiled=post.get("spoiled") or 0,
                counts={o: post.get(f"count_{o}") or 0 for o in rnd.options},
            )
        elif action == "import":
            n = excel.tallies_import(
                actor=request.user, rnd=rnd, upload=request.FILES.get("file") or b""
            )
            messages.success(request, _("%(n)s tallies imported.") % {"n": n})
        elif action == "confirm":
            tally = rnd.tallies.filter(pk=post.get("tally") or 0).first()
            if tally is None:
                raise Http404
            if str(tally.version) != post.get("version", str(tally.version)):
                tally.version = int(post.get("version") or 0)
            services.tally_confirm(actor=request.user, tally=tally)
        else:
            raise Http404
    except ServiceError as exc:
        _error(request, exc)
        for d in exc.details[:20]:
            messages.error(request, f"{d.get('row', '')}: {d.get('message', '')}")
    return redirect("evaluation:round", rnd.pk)


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def verdicts_xlsx(request, village_id: int, year: int):
    village = selectors.village(request.user, village_id)
    return _xlsx(excel.verdicts_export(village, year), f"verdicts-{village.code}-{year}.xlsx")


@login_required
def tallies_xlsx(request, pk: int):
    rnd = selectors.get_round(request.user, pk)
    return _xlsx(excel.tallies_export(rnd), f"tallies-{rnd.village.code}-{rnd.year}.xlsx")


def _require_preside(request, rnd):
    if not presiding.may_preside(request.user, rnd.village, rnd.year):
        raise PermissionDenied


def _issue_slips(request, rnd: Round, render_codes):
    """Issue the round's codes and render them in one transaction: if the page or the PDF
    cannot be made, no code is kept (the codes exist only in this response)."""
    try:
        with transaction.atomic():
            codes = services.slips_issue(
                actor=request.user, round=rnd, version=request.POST.get("version")
            )
            response = render_codes(codes)
    except ServiceError as exc:
        _error(request, exc)
        return redirect("evaluation:round", rnd.pk)
    patch_cache_control(response, no_store=True, private=True)  # no copy of the codes anywhere
    return response


def _vote_url(request):
    def vote_url(code: str) -> str:
        return request.build_absolute_uri(reverse("evaluation:vote", args=[code]))

    return vote_url


@login_required
@require_POST
def slips(request, pk: int):
    """Issue the phone round's one-time codes and show them as printable slips with QR codes,
    one per voter present, in random order and without names. Only now can they be printed:
    the database keeps their digests."""
    from jiannuo.signing.views import qr_svg

    rnd = _presided_round(request, pk, Round.PHONE)
    vote_url = _vote_url(request)

    def page(codes):
        rows = [{"code": c, "url": vote_url(c), "qr": qr_svg(vote_url(c))} for c in codes]
        return render(request, "evaluation/slips.html", {"round": rnd, "codes": rows})

    return _issue_slips(request, rnd, page)


@login_required
def ballots(request, pk: int):
    """Printable numbered paper ballots, one per voter present."""
    rnd = selectors.get_round(request.user, pk)
    _require_preside(request, rnd)
    targets = list(rnd.targets.all())
    return render(
        request,
        "evaluation/ballots.html",
        {
            "round": rnd,
            "numbers": range(1, rnd.present + 1),
            "targets": targets,
            "options": [OPTION_LABELS.get(o, o) for o in rnd.options],
        },
    )


def _pdf(data: bytes, rnd: Round, kind: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, pdf.filename(rnd, kind))
    return response


def _presided_round(request, pk: int, method: str | None = None) -> Round:
    """The round for a print-out: outside the scope 404, not the presiding role 403, and 404
    when the document is not one of the round's method."""
    rnd = selectors.get_round(request.user, pk)
    _require_preside(request, rnd)
    if method is not None and rnd.method != method:
        raise Http404
    return rnd


@login_required
def ballots_pdf(request, pk: int):
    """The numbered paper ballots as a PDF, several to a page (paper rounds)."""
    rnd = _presided_round(request, pk, Round.PAPER)
    return _pdf(pdf.render_ballots(rnd), rnd, "ballots")


@login_required
@require_POST
def slips_pdf(request, pk: int):
    """Issue the phone round's one-time codes as a PDF of slips, in random order and without
    names (phone rounds)."""
    rnd = _presided_round(request, pk, Round.PHONE)
    vote_url = _vote_url(request)
    return _issue_slips(
        request, rnd, lambda codes: _pdf(pdf.render_slips(rnd, codes, vote_url), rnd, "slips")
    )


@login_required
def signin_pdf(request, pk: int):
    """The attendance sign-in sheet of every eligible voter, in roster order."""
    rnd = _presided_round(request, pk)
    return _pdf(pdf.render_signin(rnd), rnd, "signin")


@login_required
def tallysheet_pdf(request, pk: int):
    """The tellers' count sheet of a paper round."""
    rnd = _presided_round(request, pk, Round.PAPER)
    return _pdf(pdf.render_tallysheet(rnd), rnd, "tallysheet")


def vote(request, code: str):
    """The public phone ballot: one sheet for every cadre and the team."""
    digest = services.code_digest(code)
    issued = (  # the code's row: which round, whether spent (never whose)
        BallotCode.objects.filter(digest=digest).select_related("round", "round__village").first()
    )
    rnd = issued.round if issued else None
    targets = list(rnd.targets.all()) if rnd else []
    ctx = {
        "round": rnd,
        "code": code,
        "targets": targets,
        "options": [(o, OPTION_LABELS.get(o, o)) for o in (rnd.options if rnd else [])],
        "chosen": {},
    }
    status = 200
    if request.method == "POST":
        choices = {str(t.pk): request.POST.get(f"t{t.pk}", "") for t in targets}
        try:
            services.ballot_cast(code=code, choices=choices)
        except ServiceError as exc:
            ctx["error"] = exc.message
            ctx["chosen"] = choices
            status = 400
        else:
            return render(request, "evaluation/vote_done.html", {"round": rnd})
    elif issued is None:
        ctx["error"] = _("This voting code is unknown.")
        status = 404
    elif issued.spent:
        ctx["error"] = _("This voting code has already been used.")
    elif rnd.state != Round.OPEN:
        ctx["error"] = (
            _("Voting has not started yet.")
            if rnd.state == Round.DRAFT
            else _("Voting is closed; this code can no longer be used.")
        )
    for t in targets:
        t.chosen = ctx["chosen"].get(str(t.pk), "")
    ctx["can_vote"] = (
        issued is not None
        and rnd.state == Round.OPEN
        and not BallotCode.objects.filter(digest=digest, spent=True).exists()
    )
    return render(request, "evaluation/vote.html", ctx, status=status)
