from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from jiannuo.core.errors import ServiceError
from jiannuo.core.excel import XLSX_CONTENT_TYPE
from jiannuo.core.permissions import has_perm

from . import selectors, services, terms
from .bodies import BODIES
from .forms import PersonForm, PostEndForm, PostForm, RosterUploadForm, TermForm, UnitForm
from .models import Person, Post, RosterCarryOver, Term, Unit

POST_ORDER = {kind: i for i, (kind, _label) in enumerate(Post.KINDS)}


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@login_required
def index(request):
    units, children = selectors.unit_tree(request.user)
    if not units and not request.user.is_superuser:
        raise Http404
    roots = [u for u in units if u.parent_id not in {x.pk for x in units}]
    return render(
        request,
        "organisation/index.html",
        {"roots": roots, "children": children, "can_add_district": request.user.is_superuser},
    )


@login_required
def district_add(request):
    """The installation's superuser creates the district (then its first administrator on the
    accounts page); everything below is done by the district's own people."""
    if not request.user.is_superuser:
        raise Http404
    form = UnitForm(request.POST or None)
    unit = _service_form(
        request,
        form,
        lambda d: services.unit_create(
            actor=request.user, kind=Unit.DISTRICT, name=d["name"], code=d["code"]
        ),
    )
    if unit:
        messages.success(request, _("%(name)s is added.") % {"name": unit.name})
        return redirect("organisation:unit", pk=unit.pk)
    return render(
        request,
        "organisation/form.html",
        {"title": _("Add a district"), "form": form, "back": None, "hide_township_type": True},
        status=400 if form.errors else 200,
    )


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
            held = sorted(
                ((p, posts) for p, posts in members if posts),
                key=lambda pp: (min(POST_ORDER[x.kind] for x in pp[1]), pp[0].name),
            )
            bodies.append({"key": key, "label": label, "members": held})
        ctx["bodies"] = bodies
        ctx["no_supervision"] = not bodies[2]["members"]
        ctx["people"] = people
        ctx["can_activate"] = has_perm(request.user, "accounts.activate", unit)
        if has_perm(request.user, "org.carry_over", unit):
            ctx["carry_over_term"] = terms.term_for_carry_over(unit)
        ctx["carry_overs"] = list(
            RosterCarryOver.objects.filter(village=unit).select_related("term")
        )
        return render(request, "organisation/village.html", ctx)
    ctx["children"] = list(unit.children.order_by("path"))
    ctx["terms"] = list(terms.terms_of(unit))
    ctx["can_add_units"] = has_perm(request.user, "org.manage_units", unit)
    ctx["can_open_terms"] = unit.kind == Unit.DISTRICT and ctx["can_add_units"]
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
    from jiannuo.accounts.activation import login_state
    from jiannuo.accounts.models import Activation

    can_activate = has_perm(request.user, "accounts.activate", person.village)
    pending = None
    if can_activate and person.user_id:
        pending = Activation.objects.filter(
            user_id=person.user_id, used_at__isnull=True, voided_at__isnull=True
        ).first()
    return render(
        request,
        "organisation/person.html",
        {
            "person": person,
            "posts": person.posts.order_by("-start"),
            "can_manage": has_perm(request.user, "org.manage", person.village),
            "can_see_personal": has_perm(request.user, "org.view_personal", person.village),
            "can_activate": can_activate,
            "login_state": login_state(person),
            "pending": pending,
        },
    )


def _service_form(request, form, call):
    """Run ``call(cleaned_data)`` for a valid form; put a ServiceError on the form."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return call(form.cleaned_data)
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return None


@login_required
def unit_add(request, pk):
    """District administrators add a township to the district, or a village to a township."""
    parent = selectors.get_unit(request.user, pk)
    if parent.kind == Unit.VILLAGE or not has_perm(request.user, "org.manage_units", parent):
        raise Http404
    kind = Unit.TOWNSHIP if parent.kind == Unit.DISTRICT else Unit.VILLAGE
    form = UnitForm(request.POST or None)
    unit = _service_form(
        request,
        form,
        lambda d: services.unit_create(
            actor=request.user,
            kind=kind,
            name=d["name"],
            code=d["code"],
            parent=parent,
            township_type=d["township_type"] if kind == Unit.TOWNSHIP else "",
            party_org=d["party_org"] if kind == Unit.VILLAGE else "",
        ),
    )
    if unit:
        messages.success(request, _("%(name)s is added.") % {"name": unit.name})
        return redirect("organisation:unit", pk=unit.pk)
    return render(
        request,
        "organisation/form.html",
        {
            "title": _("Add a township") if kind == Unit.TOWNSHIP else _("Add a village"),
            "form": form,
            "back": parent,
            "hide_township_type": kind == Unit.VILLAGE,
            "hide_party_org": kind == Unit.TOWNSHIP,
        },
        status=400 if form.errors else 200,
    )


@login_required
def person_add(request, pk):
    village = selectors.get_unit(request.user, pk)
    if village.kind != Unit.VILLAGE or not has_perm(request.user, "org.manage", village):
        raise Http404
    form = PersonForm(request.POST or None)
    person = _service_form(
        request,
        form,
        lambda d: services.person_create(
            actor=request.user,
            village=village,
            name=d["name"],
            phone=d["phone"],
            gender=d["gender"],
            birth_date=d["birth_date"],
        ),
    )
    if person:
        messages.success(request, _("%(name)s is added to the roster.") % {"name": person.name})
        return redirect("organisation:person", pk=person.pk)
    return render(
        request,
        "organisation/form.html",
        {
            "title": _("Add a person"),
            "form": form,
            "back": village,
        },
        status=400 if form.errors else 200,
    )


def _managed_person(request, pk) -> Person:
    person = Person.objects.select_related("village").filter(pk=pk).first()
    if person is None or not has_perm(request.user, "org.manage", person.village):
        raise Http404
    return person


@login_required
def post_add(request, pk):
    person = _managed_person(request, pk)
    form = PostForm(request.POST or None)
    post = _service_form(
        request,
        form,
        lambda d: services.post_assign(
            actor=request.user, person=person, kind=d["kind"], start=d["start"], end=d["end"]
        ),
    )
    if post:
        messages.success(request, _("The post is recorded."))
        return redirect("organisation:person", pk=person.pk)
    return render(
        request,
        "organisation/form.html",
        {
            "title": _("Assign a post to %(name)s") % {"name": person.name},
            "form": form,
            "back": person.village,
        },
        status=400 if form.errors else 200,
    )


@login_required
def post_end(request, pk):
    """End a post: mid-term replacement, accepted resignation, end of term."""
    post = Post.objects.select_related("village", "person").filter(pk=pk).first()
    if post is None or not has_perm(request.user, "org.manage", post.village):
        raise Http404
    form = PostEndForm(request.POST or None)
    done = _service_form(
        request, form, lambda d: services.post_end(actor=request.user, post=post, end=d["end"])
    )
    if done:
        messages.success(request, _("The post is ended."))
        return redirect("organisation:person", pk=post.person_id)
    return render(
        request,
        "organisation/form.html",
        {
            "title": _("End the post %(post)s of %(name)s")
            % {"post": post.get_kind_display(), "name": post.person.name},
            "form": form,
            "back": post.village,
        },
        status=400 if form.errors else 200,
    )


@login_required
def term_add(request, pk):
    """The district opens a new term of office for its villages."""
    district = selectors.get_unit(request.user, pk)
    if district.kind != Unit.DISTRICT or not has_perm(request.user, "org.manage_units", district):
        raise Http404
    form = TermForm(request.POST or None)
    term = _service_form(
        request,
        form,
        lambda d: terms.term_open(
            actor=request.user, district=district, name=d["name"], start=d["start"], end=d["end"]
        ),
    )
    if term:
        messages.success(request, _("The term %(name)s is open.") % {"name": term.name})
        return redirect("organisation:unit", pk=district.pk)
    return render(
        request,
        "organisation/form.html",
        {"title": _("Open a new term"), "form": form, "back": district},
        status=400 if form.errors else 200,
    )


NEW_ROWS = 6


def _carry_over_entries(post) -> tuple[set[int], list[terms.NewPost], list[str]]:
    """The carry-over form's fields: ``post-<id>`` = keep/leave, ``new-<i>-*`` rows."""
    leaving = {
        int(key[5:])
        for key, value in post.items()
        if key.startswith("post-") and value == "leave"
        if key[5:].isdigit()
    }
    new, problems = [], []
    kinds = dict(Post.KINDS)
    for i in range(NEW_ROWS):
        kind = post.get(f"new-{i}-kind", "")
        person = post.get(f"new-{i}-person", "")
        name = post.get(f"new-{i}-name", "").strip()
        phone = post.get(f"new-{i}-phone", "").strip()
        if not (kind or person or name or phone):
            continue
        if kind not in kinds:
            problems.append(_("Row %(n)s: choose a post.") % {"n": i + 1})
            continue
        if person.isdigit():
            new.append(terms.NewPost(kind=kind, person_id=int(person)))
        elif name and phone:
            new.append(terms.NewPost(kind=kind, name=name, phone=phone))
        else:
            problems.append(
                _("Row %(n)s: choose a person of the roster, or give a name and a phone.")
                % {"n": i + 1}
            )
    return leaving, new, problems


@login_required
def carry_over(request, pk, term_pk):
    """The township carries a village's roster into a new term: one form, or a workbook."""
    village = selectors.get_unit(request.user, pk)
    term = Term.objects.filter(pk=term_pk, district_id=village.district_id).first()
    if (
        village.kind != Unit.VILLAGE
        or term is None
        or not has_perm(request.user, "org.carry_over", village)
    ):
        raise Http404
    done = RosterCarryOver.objects.filter(village=village, term=term).first()
    errors, problems = [], []
    status = 200
    if request.method == "POST" and done is None:
        try:
            if request.FILES.get("file"):
                done = terms.roster_carry_over_import(
                    actor=request.user, village=village, term=term, upload=request.FILES["file"]
                )
            else:
                leaving, new, errors = _carry_over_entries(request.POST)
                if not errors:
                    done = terms.roster_carry_over(
                        actor=request.user, village=village, term=term, leaving=leaving, new=new
                    )
        except ServiceError as exc:
            errors.append(exc.message)
            problems = exc.details
        if done is not None:
            messages.success(
                request,
                _(
                    "The roster is carried into %(term)s: %(kept)s posts go on, %(ended)s "
                    "ended, %(started)s new."
                )
                % {
                    "term": term.name,
                    "kept": done.kept,
                    "ended": done.ended,
                    "started": done.started,
                },
            )
            return redirect("organisation:unit", pk=village.pk)
        status = 400
    return render(
        request,
        "organisation/carry_over.html",
        {
            "village": village,
            "term": term,
            "done": done,
            "outgoing": list(terms.outgoing_posts(village, term)),
            "people": list(Person.objects.filter(village=village).order_by("name")),
            "kinds": Post.KINDS,
            "rows": range(NEW_ROWS),
            "errors": errors,
            "problems": problems,
            "eve": term.start - timedelta(days=1),
        },
        status=status,
    )
