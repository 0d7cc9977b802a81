"""API endpoints for the organisation and rosters."""

from datetime import date, datetime

from django.http import Http404, HttpResponse
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from jiannuo.api.pagination import paginated
from jiannuo.core.excel import XLSX_CONTENT_TYPE
from jiannuo.core.permissions import grants, has_perm
from jiannuo.core.roles import ROLE_LABELS

from . import selectors, services
from .models import Person, Post

router = Router(tags=["organisation"])


class Me(Schema):
    username: str
    roles: list[dict]


class UnitOut(Schema):
    id: int
    kind: str
    name: str
    code: str
    parent_id: int | None


class PostOut(Schema):
    id: int
    kind: str
    start: date
    end: date | None


class PersonOut(Schema):
    id: int
    village_id: int
    name: str
    gender: str
    phone: str | None
    posts: list[PostOut]
    login: str  # none / pending / active / disabled


class ActivationOut(Schema):
    person_id: int
    name: str
    username: str
    code: str  # shown once; only its HMAC is stored
    expires_at: datetime
    purpose: str


class ActivateIn(Schema):
    username: str
    code: str
    password: str
    password_again: str


class ActivatedOut(Schema):
    username: str


class PersonIn(Schema):
    village_id: int
    name: str
    phone: str
    gender: str = ""
    birth_date: date | None = None


class PostIn(Schema):
    person_id: int
    kind: str
    start: date
    end: date | None = None


class PostEndIn(Schema):
    end: date


class RosterImportOut(Schema):
    people_created: int
    people_updated: int
    posts_created: int
    posts_updated: int


@router.get("/me", response=Me)
def me(request):
    return {
        "username": request.user.get_username(),
        "roles": [
            {"role": g.role, "label": str(ROLE_LABELS[g.role]), "unit_id": g.unit_id}
            for g in grants(request.user)
        ],
    }


@router.get("/units", response=list[UnitOut])
@paginated
def units(request):
    """The units you may see, in tree order (district, townships, villages)."""
    return selectors.visible_units(request.user).order_by("path", "pk")


@router.get("/units/{unit_id}", response=UnitOut)
def unit(request, unit_id: int):
    return selectors.get_unit(request.user, unit_id)


def _person_out(p, personal: bool):
    return {
        "id": p.pk,
        "village_id": p.village_id,
        "name": p.name,
        "gender": p.gender,
        "phone": p.phone if personal else None,
        "login": p.login_state,
        "posts": [
            {"id": x.pk, "kind": x.kind, "start": x.start, "end": x.end}
            for x in getattr(p, "active_posts", p.posts.all())
        ],
    }


@router.get("/units/{unit_id}/people", response=list[PersonOut])
@paginated
def people(request, unit_id: int):
    """The village's roster with the posts held today."""
    village = selectors.get_unit(request.user, unit_id)
    personal = has_perm(request.user, "org.view_personal", village)
    return [_person_out(p, personal) for p in selectors.village_roster(village)]


@router.post("/people", response={201: PersonOut})
def person_create(request, data: PersonIn):
    village = selectors.get_unit(request.user, data.village_id)
    p = services.person_create(
        actor=request.user,
        village=village,
        name=data.name,
        phone=data.phone,
        gender=data.gender,
        birth_date=data.birth_date,
    )
    return Status(201, _person_out(p, True))


@router.post("/posts", response={201: PostOut})
def post_assign(request, data: PostIn):
    person = Person.objects.select_related("village").filter(pk=data.person_id).first()
    if person is None or not has_perm(request.user, "org.view", person.village):
        raise Http404
    post = services.post_assign(
        actor=request.user, person=person, kind=data.kind, start=data.start, end=data.end
    )
    return Status(201, post)


@router.post("/posts/{post_id}/end", response=PostOut)
def post_end(request, post_id: int, data: PostEndIn):
    post = Post.objects.select_related("village").filter(pk=post_id).first()
    if post is None or not has_perm(request.user, "org.view", post.village):
        raise Http404
    return services.post_end(actor=request.user, post=post, end=data.end)


@router.post("/units/{unit_id}/roster", response=RosterImportOut)
def roster_import(request, unit_id: int, file: File[UploadedFile]):
    """Import a roster workbook: all rows valid or nothing saved (400 lists each bad row)."""
    unit = selectors.get_unit(request.user, unit_id)
    return services.roster_import(actor=request.user, unit=unit, upload=file)


@router.get("/units/{unit_id}/roster.xlsx")
def roster_export(request, unit_id: int):
    unit = selectors.get_unit(request.user, unit_id, perm="org.view_personal")
    response = HttpResponse(selectors.roster_workbook(unit), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="roster-{unit.code}.xlsx"'
    return response


# --- Log-ins of the people on village rosters (jiannuo.accounts.activation) -----------------


def _activation_out(i) -> dict:
    return {
        "person_id": i.person.pk,
        "name": i.person.name,
        "username": i.user.username,
        "code": i.code,
        "expires_at": i.expires_at,
        "purpose": i.purpose,
    }


@router.post("/people/{person_id}/activation", response={201: ActivationOut})
def person_activation(request, person_id: int):
    """The township issues a log-in (or resets the password): a new one-time activation code."""
    from jiannuo.accounts import activation

    person = Person.objects.select_related("village").filter(pk=person_id).first()
    if person is None or not has_perm(request.user, "org.view", person.village):
        raise Http404
    return Status(
        201, _activation_out(activation.activation_issue(actor=request.user, person=person))
    )


@router.post("/units/{unit_id}/activations", response={201: list[ActivationOut]})
def village_activations(request, unit_id: int):
    """Log-ins for everyone of a village with a post and no log-in yet, in one action."""
    from jiannuo.accounts import activation

    village = selectors.get_unit(request.user, unit_id)
    issued = activation.activation_issue_village(actor=request.user, village=village)
    return Status(201, [_activation_out(i) for i in issued])


@router.post("/accounts/activate", response=ActivatedOut, auth=None)
def activate(request, data: ActivateIn):
    """First log-in with an activation code: sets the password (no session is opened)."""
    from jiannuo.accounts import activation

    user = activation.account_activate(
        username=data.username,
        code=data.code,
        password=data.password,
        password_again=data.password_again,
    )
    return {"username": user.username}


# --- Terms of office and the roster's carry-over (jiannuo.organisation.terms) ---------------


class TermOut(Schema):
    id: int
    district_id: int
    name: str
    start: date
    end: date


class TermIn(Schema):
    district_id: int
    name: str
    start: date
    end: date


class OutgoingPostOut(Schema):
    id: int
    person_id: int
    name: str
    kind: str
    start: date
    end: date | None


class NewPostIn(Schema):
    kind: str
    person_id: int | None = None
    name: str = ""
    phone: str = ""


class CarryOverIn(Schema):
    leaving: list[int] = []
    new: list[NewPostIn] = []


class CarryOverOut(Schema):
    id: int
    village_id: int
    term_id: int
    kept: int
    ended: int
    started: int


@router.get("/terms", response=list[TermOut])
def term_list(request):
    """The terms of office of the districts the user sees."""
    from .models import Term

    districts = {u.district_id for u in selectors.visible_units(request.user)}
    return list(Term.objects.filter(district_id__in=districts).order_by("-start"))


@router.post("/terms", response={201: TermOut})
def term_open(request, data: TermIn):
    """The district opens a new term of office (name and dates)."""
    from . import terms

    district = selectors.get_unit(request.user, data.district_id)
    term = terms.term_open(
        actor=request.user, district=district, name=data.name, start=data.start, end=data.end
    )
    return Status(201, term)


def _carry_over_target(request, unit_id: int, term_id: int):
    from .models import Term

    village = selectors.get_unit(request.user, unit_id)
    term = Term.objects.filter(pk=term_id, district_id=village.district_id).first()
    if term is None:
        raise Http404
    return village, term


@router.get("/units/{unit_id}/terms/{term_id}/outgoing", response=list[OutgoingPostOut])
def outgoing(request, unit_id: int, term_id: int):
    """The village's posts held on the day before the term starts (to confirm or end)."""
    from . import terms

    village, term = _carry_over_target(request, unit_id, term_id)
    return [
        {
            "id": p.pk,
            "person_id": p.person_id,
            "name": p.person.name,
            "kind": p.kind,
            "start": p.start,
            "end": p.end,
        }
        for p in terms.outgoing_posts(village, term)
    ]


@router.post("/units/{unit_id}/terms/{term_id}/carry-over", response={201: CarryOverOut})
def carry_over(request, unit_id: int, term_id: int, data: CarryOverIn):
    """Carry the roster into the term: outgoing posts go on unless listed in ``leaving``
    (they end the day before the term starts); ``new`` posts start with the term."""
    from . import terms

    village, term = _carry_over_target(request, unit_id, term_id)
    done = terms.roster_carry_over(
        actor=request.user,
        village=village,
        term=term,
        leaving=set(data.leaving),
        new=[terms.NewPost(**n.dict()) for n in data.new],
    )
    return Status(201, done)


@router.post("/units/{unit_id}/terms/{term_id}/carry-over/roster", response={201: CarryOverOut})
def carry_over_import(request, unit_id: int, term_id: int, file: File[UploadedFile]):
    """The same carry-over from a roster workbook of the new term (400 lists each bad row)."""
    from . import terms

    village, term = _carry_over_target(request, unit_id, term_id)
    done = terms.roster_carry_over_import(
        actor=request.user, village=village, term=term, upload=file
    )
    return Status(201, done)
