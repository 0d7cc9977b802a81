from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from jiannuo.core.errors import ServiceError
from jiannuo.core.excel import XLSX_CONTENT_TYPE
from jiannuo.core.permissions import has_perm

from . import selectors, services
from .bodies import BODIES
from .forms import RosterUploadForm
from .models import Person, Unit


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@login_required
def index(request):
    units, children = selectors.unit_tree(request.user)
    if not units:
        raise Http404
    roots = [u for u in units if u.parent_id not in {x.pk for x in units}]
    return render(request, "organisation/index.html", {"roots": roots, "children": children})


@login_required
def unit_detail(request, pk):
    unit = selectors.get_unit(request.user, pk)
    ctx = {
        "unit": unit,
        "can_manage": has_perm(request.user, "org.manage", unit),
        "can_see_personal": has_perm(request.user, "org.view_personal", unit),
    }
    if unit.kind == Unit.VILLAGE:
        people = list(selectors.village_roster(unit))
        bodies = []
        for key, (label, kinds) in BODIES.items():
            members = [(p, [post for post in p.active_posts if post.kind in kinds]) for p in people]
            bodies.append(
                {
                    "key": key,
                    "label": label,
                    "members": [(p, posts) for p, posts in members if posts],
                }
            )
        ctx["bodies"] = bodies
        ctx["no_supervision"] = not bodies[2]["members"]
        ctx["people"] = people
        return render(request, "organisation/village.html", ctx)
    ctx["children"] = list(unit.children.order_by("path"))
    return render(request, "organisation/unit.html", ctx)


@login_required
def roster_import(request, pk):
    unit = selectors.get_unit(request.user, pk)
    if not has_perm(request.user, "org.manage", unit):
        raise Http404
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    problems = []
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            counts = services.roster_import(
                actor=request.user, unit=unit, upload=form.cleaned_data["file"]
            )
        except ServiceError as exc:
            form.add_error("file", exc.message)
            problems = exc.details
            status = 400
        else:
            messages.success(
                request,
                _(
                    "Roster imported: %(people_created)s people added, %(people_updated)s updated, "
                    "%(posts_created)s posts added, %(posts_updated)s updated."
                )
                % counts,
            )
            return redirect("organisation:unit", pk=unit.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "organisation/roster_import.html",
        {"unit": unit, "form": form, "problems": problems},
        status=status,
    )


@login_required
def roster_template(request):
    return _xlsx(selectors.roster_workbook(None), "roster-template.xlsx")


@login_required
def roster_export(request, pk):
    unit = selectors.get_unit(request.user, pk, perm="org.view_personal")
    return _xlsx(selectors.roster_workbook(unit), f"roster-{unit.code}.xlsx")


@login_required
def person_detail(request, pk):
    person = Person.objects.select_related("village").filter(pk=pk).first()
    if person is None or not has_perm(request.user, "org.view", person.village):
        raise Http404
    return render(
        request,
        "organisation/person.html",
        {
            "person": person,
            "posts": person.posts.order_by("-start"),
            "can_see_personal": has_perm(request.user, "org.view_personal", person.village),
        },
    )
