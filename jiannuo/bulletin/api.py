"""JSON API of the village bulletin board (seed §三.4): the same reads and services as the pages.

- ``GET /bulletin/villages`` and ``GET /bulletin/villages/{code}`` are public (``auth=None``),
  like the pages: only published signed letters in force, the history of signed versions, the
  hot issues answered and what was not adopted with the reasons, and the last posting date —
  never drafts, never villagers' personal details. Sections that later steps register are
  listed by key (their content is in their own APIs and on the page).
- ``GET``/``POST /bulletin/villages/{code}/postings`` need an account: the branch secretary
  records the poster going up (``services.poster_posting_record``, photo checked there).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from jiannuo.api.pagination import paginated
from jiannuo.core.permissions import has_perm

from . import selectors, services

router = Router(tags=["bulletin"])


class VillageOut(Schema):
    code: str
    name: str
    township: str


class BoardItemOut(Schema):
    code: str
    category: str
    category_label: str
    text: str
    target: str
    deadline: date | None
    status: str
    status_label: str
    responsible: str
    answers: list[str]


class BoardLetterOut(Schema):
    letter_id: int
    kind: str
    title: str
    period: str
    holder: str
    version: int
    signed_at: datetime | None
    verify_code: str
    items: list[BoardItemOut]


class HistoryOut(Schema):
    letter_id: int
    title: str
    holder: str
    period: str
    version: int
    signed_at: datetime | None
    in_force: bool
    superseded_at: datetime | None
    superseded_by_version: int | None
    change_reason: str


class NotAdoptedOut(Schema):
    label: str
    reason: str


class BoardOut(Schema):
    village: VillageOut
    published: bool
    letters: list[BoardLetterOut]
    history: list[HistoryOut]
    hot_issues_answered: list[str]
    hot_issues_not_adopted: list[NotAdoptedOut]
    tasks_not_adopted: list[NotAdoptedOut]
    posted_on: date | None
    sections: list[str]


class PostingOut(Schema):
    id: int
    year: int
    posted_on: date
    has_photo: bool
    recorded_at: datetime


def _holder(letter) -> str:
    if not letter.post_id:
        return ""
    return f"{letter.post.get_kind_display()} {letter.post.person.name}"


def _item(item, today) -> dict:
    status = selectors.item_status(item, today)
    post = item.responsible_post
    return {
        "code": item.code,
        "category": item.category,
        "category_label": str(item.get_category_display()),
        "text": item.text,
        "target": item.target,
        "deadline": item.deadline,
        "status": status,
        "status_label": str(selectors.STATUS_LABELS[status]),
        "responsible": f"{post.get_kind_display()} {post.person.name}" if post else "",
        "answers": [i.label for i in item.answers_hot_issues.all()]
        + [t.task.title for t in item.answers_tasks.all()],
    }


@router.get("/bulletin/villages", auth=None, response=list[VillageOut])
@paginated
def villages(request):
    """Every village with a public board."""
    return [
        {"code": v.code, "name": v.name, "township": v.parent.name if v.parent_id else ""}
        for v in selectors.villages()
    ]


@router.get("/bulletin/villages/{code}", auth=None, response=BoardOut)
def board(request, code: str):
    """§三.4: the public board of a village (no log-in), as on the page."""
    v = selectors.village_by_code(code)
    b = selectors.board(v)
    today = timezone.localdate()
    letters = []
    for pl in b.letters:
        s, letter = pl.signed, pl.letter
        rows = [i for cat in pl.categories for st in cat["statuses"] for i in st["items"]]
        rows.sort(key=lambda i: (i.position, i.pk))
        letters.append(
            {
                "letter_id": letter.pk,
                "kind": letter.kind,
                "title": letter.title,
                "period": str(letter.period_label),
                "holder": _holder(letter),
                "version": s.version.number,
                "signed_at": s.signed_at,
                "verify_code": s.verify_code,
                "items": [_item(i, today) for i in rows],
            }
        )
    history = [
        {
            "letter_id": s.letter_id,
            "title": s.letter.title,
            "holder": _holder(s.letter),
            "period": str(s.letter.period_label),
            "version": s.version.number,
            "signed_at": s.signed_at,
            "in_force": s.superseded_at is None,
            "superseded_at": s.superseded_at,
            "superseded_by_version": s.superseded_by.version.number if s.superseded_by_id else None,
            # The reason is public once the change is signed; before, the change is a draft.
            "change_reason": s.change_reason if s.superseded_at else "",
        }
        for s in b.history
    ]
    return {
        "village": {"code": v.code, "name": v.name, "township": v.parent.name},
        "published": b.published,
        "letters": letters,
        "history": history,
        "hot_issues_answered": [i.label for i in b.hot_issues_answered],
        "hot_issues_not_adopted": [
            {"label": i.label, "reason": i.not_adopted_reason} for i in b.hot_issues_not_adopted
        ],
        "tasks_not_adopted": [
            {"label": a.task.title, "reason": a.not_adopted_reason} for a in b.tasks_not_adopted
        ],
        "posted_on": b.posting.posted_on if b.posting else None,
        "sections": [s.key for s in b.sections],
    }


def _village_for_posting(request, code: str):
    v = selectors.village_by_code(code)
    if not has_perm(request.user, "bulletin.record_posting", v):
        raise PermissionDenied
    return v


def _posting(p) -> dict:
    return {
        "id": p.pk,
        "year": p.year,
        "posted_on": p.posted_on,
        "has_photo": bool(p.photo),
        "recorded_at": p.recorded_at,
    }


@router.get("/bulletin/villages/{code}/postings", response=list[PostingOut])
@paginated
def postings(request, code: str):
    """The record of the poster going up on the village board (branch secretary)."""
    return [_posting(p) for p in selectors.postings(_village_for_posting(request, code))]


@router.post("/bulletin/villages/{code}/postings", response={201: PostingOut})
def posting_record(
    request,
    code: str,
    year: Form[int],
    posted_on: Form[date],
    photo: File[UploadedFile] = None,
):
    """§三.4: record that the poster went up (date, photo: JPEG or PNG, checked by content)."""
    v = _village_for_posting(request, code)
    p = services.poster_posting_record(
        actor=request.user, village=v, year=year, posted_on=posted_on, photo=photo
    )
    return Status(201, _posting(p))
