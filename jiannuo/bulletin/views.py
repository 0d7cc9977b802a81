"""Views of the public village bulletin board (seed §三.4) and the township's PDF batch (§三.5).

The board, the village list and the poster are public (no log-in); recording a posting and
the batch need an account with the permission.
"""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiannuo.core import uploads
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import has_perm
from jiannuo.organisation import organs

from . import selectors, services


def index(request):
    return render(request, "bulletin/index.html", {"villages": selectors.villages()})


#: Seconds a rendered board stays cached; its key changes with the content anyway (see
#: ``selectors.village_by_code``), this bounds what the key does not see (a person renamed).
BOARD_CACHE_SECONDS = 300


def _board_html(village) -> str:
    """The board fragment, cached under a key that changes with the board's content."""
    key = f"bulletin:board:{village.pk}:{village.board_stamp}:{get_language()}"
    html = cache.get(key)
    if html is None:
        html = render_to_string("bulletin/_board.html", {"board": selectors.board(village)})
        cache.set(key, html, BOARD_CACHE_SECONDS)
    return html


#: Stands for the visitor's CSRF token in a cached public page; replaced on every request.
CSRF_SENTINEL = "__jiannuo_csrf_token__"


def _plain_visitor(request) -> bool:
    """A visitor without a session or pending messages: the page is the same for all of them
    but for the CSRF token (the language switch), so it is served from the cache whole."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in cookies
        and not getattr(request, "auth", None)
    )


def village(request, code):
    """§三.4: the public board of one village (no log-in).

    A plain visitor's page is cached whole under the board's content stamp and language: one
    query (the village and its stamp), one cache read and the visitor's CSRF token put in.
    Signed-in users get the page rendered around the cached board (their menu, their actions).
    """
    v = selectors.village_by_code(code, with_stamp=True)
    if _plain_visitor(request):
        key = f"bulletin:page:{v.pk}:{v.board_stamp}:{get_language()}"
        html = cache.get(key)
        if html is None:
            ctx = {
                "village": v,
                "board_html": mark_safe(_board_html(v)),  # noqa: S308 - our own template output
                "can_record": False,
                "csrf_token": CSRF_SENTINEL,
            }
            html = render_to_string("bulletin/village.html", ctx, request=request)
            cache.set(key, html, BOARD_CACHE_SECONDS)
        return HttpResponse(html.replace(CSRF_SENTINEL, get_token(request)))
    ctx = {
        "village": v,
        "board_html": mark_safe(_board_html(v)),  # noqa: S308 - our own escaped template output
        "can_record": request.user.is_authenticated
        and has_perm(request.user, "bulletin.record_posting", v),
    }
    return render(request, "bulletin/village.html", ctx)


def poster(request, code):
    v = selectors.village_by_code(code)
    size = "A3" if request.GET.get("size", "").upper() == "A3" else "A4"
    # The poster names the actual organs (issue #18): 中共柳树村支部委员会, 石桥镇党委.
    names = {
        "village_party": organs.village_party_full(v),
        "village_committee": organs.village_committee(v),
        "township": organs.township_committee(v.parent) if v.parent_id else "",
    }
    return render(
        request,
        "bulletin/poster.html",
        {"board": selectors.board(v), "size": size, "organs": names},
    )


@login_required
@require_http_methods(["GET", "POST"])
def posting_record(request, code):
    v = selectors.village_by_code(code)
    if not has_perm(request.user, "bulletin.record_posting", v):
        raise PermissionDenied
    errors = []
    if request.method == "POST":
        try:
            posted_on = date.fromisoformat(request.POST.get("posted_on", ""))
            year = int(request.POST.get("year", ""))
        except ValueError:
            errors.append(_("Enter a valid date and year."))
        else:
            try:
                services.poster_posting_record(
                    actor=request.user,
                    village=v,
                    year=year,
                    posted_on=posted_on,
                    photo=request.FILES.get("photo"),
                )
            except ServiceError as exc:
                errors.append(exc.message)
            else:
                messages.success(request, _("The posting was recorded."))
                return redirect("bulletin:village", code=v.code)
    ctx = {
        "village": v,
        "errors": errors,
        "postings": selectors.postings(v),
        "today": timezone.localdate(),
        "max_mb": uploads.max_mb(),
    }
    return render(request, "bulletin/posting_form.html", ctx, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def batch_start(request):
    townships = selectors.batch_townships(request.user)
    if not townships:
        raise Http404
    errors = []
    if request.method == "POST":
        township = next((t for t in townships if str(t.pk) == request.POST.get("township")), None)
        year_raw = request.POST.get("year", "").strip()
        if township is None or (year_raw and not year_raw.isdigit()):
            errors.append(_("Choose a township and a valid year."))
        else:
            try:
                job = services.pdf_batch_start(
                    actor=request.user,
                    township=township,
                    year=int(year_raw) if year_raw else None,
                )
            except ServiceError as exc:
                errors.append(exc.message)
            else:
                return redirect("bulletin:batch", pk=job.pk)
    ctx = {"townships": townships, "errors": errors, "year": timezone.localdate().year}
    return render(request, "bulletin/batch_start.html", ctx, status=400 if errors else 200)


@login_required
def batch(request, pk):
    job = selectors.get_batch(request.user, pk)
    template = (
        "bulletin/batch.html#progress"
        if request.headers.get("HX-Request")
        else "bulletin/batch.html"
    )
    return render(request, template, {"job": job})


@login_required
def batch_download(request, pk):
    job = selectors.get_batch(request.user, pk)
    if job.state != job.DONE or not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1]
    )
