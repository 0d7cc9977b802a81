"""API endpoints for the organisation and rosters."""

from datetime import date

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
