"""Terms of office (换届): the district opens a term; each village's roster is carried into it.

After the election the township confirms, in one form (or one roster workbook), which posts go
on into the new term, which end, and which begin. Posts that end are closed the day before the
term starts, so their holders pledge for no year of the new term; new posts start on the
term's first day. One carry-over per village and term (``RosterCarryOver``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.excel import read_rows
from jiannuo.core.permissions import require

from . import roster
from .models import Person, Post, RosterCarryOver, Term, Unit
from .services import _post_create, login_sync, person_create_locked


@dataclass(frozen=True)
class NewPost:
    """A post beginning with the term: an existing person of the village (``person_id``) or a
    new one (``name`` and ``phone``)."""

    kind: str
    person_id: int | None = None
    name: str = ""
    phone: str = ""


def terms_of(unit: Unit):
    return Term.objects.filter(district_id=unit.district_id).order_by("-start")


def term_for_carry_over(village: Unit) -> Term | None:
    """The district's latest term, when the village has not been carried into it yet."""
    term = terms_of(village).first()
    if term is None or RosterCarryOver.objects.filter(village=village, term=term).exists():
        return None
    return term


def outgoing_posts(village: Unit, term: Term):
    """Posts of the village held on the day before the term starts (the outgoing roster)."""
    eve = term.start - timedelta(days=1)
    return (
        Post.objects.filter(village=village, start__lte=eve)
        .filter(Q(end__isnull=True) | Q(end__gte=eve))
        .select_related("person")
        .order_by("kind", "person__name", "pk")
    )


def _check_term(village: Unit, term: Term) -> None:
    if village.kind != Unit.VILLAGE:
        raise ServiceError(_("A roster is carried over for one village."), code="scope")
    if term.district_id != village.district_id:
        raise ServiceError(_("The term belongs to another district."), code="term")


def roster_carry_over(
    *, actor, village: Unit, term: Term, leaving: set[int], new: list[NewPost]
) -> RosterCarryOver:
    """Carry the village's roster into ``term``: every outgoing post goes on unless its id is
    in ``leaving`` (then it ends the day before the term starts); ``new`` posts start with the
    term. All or nothing; one carry-over per village and term."""
    require(actor, "org.carry_over", village)
    _check_term(village, term)
    eve = term.start - timedelta(days=1)
    with transaction.atomic():
        Unit.objects.select_for_update().get(pk=village.pk)
        if RosterCarryOver.objects.filter(village=village, term=term).exists():
            raise ServiceError(
                _("The roster of %(village)s is already carried into %(term)s.")
                % {"village": village.name, "term": term.name},
                code="carried",
            )
        outgoing = list(outgoing_posts(village, term))
        unknown = set(leaving) - {p.pk for p in outgoing}
        if unknown:
            raise ServiceError(_("A post to end is not on the outgoing roster."), code="post")
        touched: dict[int, Person] = {}
        kept = ended = started = 0
        for post in outgoing:
            touched[post.person_id] = post.person
            if post.pk in leaving:
                before = post.end
                post.end = eve
                post.save(update_fields=["end"])
                ended += 1
                audit.record(
                    actor,
                    "post.end",
                    post,
                    changes={"end": [before, eve], "reason": "term_change", "term": term.pk},
                )
                continue
            kept += 1
            if post.end is not None and post.end < term.start:
                # The post was entered with the old term's end: it goes on in a new row.
                _post_create(actor, post.person, post.kind, term.start, None)
        for entry in new:
            if entry.person_id is not None:
                person = (
                    Person.objects.select_for_update()
                    .select_related("village")
                    .filter(pk=entry.person_id, village=village)
                    .first()
                )
                if person is None:
                    raise ServiceError(
                        _("The person is not on this village's roster."), code="person"
                    )
            else:
                person = person_create_locked(
                    actor, village=village, name=entry.name, phone=entry.phone
                )
            _post_create(actor, person, entry.kind, term.start, None)
            touched[person.pk] = person
            started += 1
        for person in touched.values():
            login_sync(actor, person)
        done = RosterCarryOver.objects.create(
            village=village, term=term, kept=kept, ended=ended, started=started, by=actor
        )
        audit.record(
            actor,
            "roster.carry_over",
            done,
            changes={"term": term.pk, "kept": kept, "ended": ended, "started": started},
        )
    return done


def roster_carry_over_import(*, actor, village: Unit, term: Term, upload) -> RosterCarryOver:
    """The same carry-over from a roster workbook listing the village's roster in the new term
    (the usual template): a row matching an outgoing post (same person and post) keeps it, a
    row without one starts a post, an outgoing post without a row ends."""
    require(actor, "org.carry_over", village)
    _check_term(village, term)
    rows = read_rows(
        upload,
        roster.HEADERS,
        max_bytes=settings.ROSTER_MAX_BYTES,
        max_rows=settings.ROSTER_MAX_ROWS,
    )
    clean, errors = roster.validate_rows(rows, villages={village.name: village.pk})
    if errors:
        raise ServiceError(
            _("%(count)s problem(s) in the file; nothing was imported.") % {"count": len(errors)},
            code="roster_invalid",
            details=[e.as_dict() for e in errors],
        )
    outgoing = {
        (p.person.name, p.person.phone, p.kind): p.pk for p in outgoing_posts(village, term)
    }
    people = {(p.name, p.phone): p.pk for p in Person.objects.filter(village=village)}
    keep: set[int] = set()
    new: list[NewPost] = []
    for row in clean:
        post_id = outgoing.get((row.name, row.phone, row.post_kind))
        if post_id is not None:
            keep.add(post_id)
            continue
        person_id = people.get((row.name, row.phone))
        new.append(NewPost(kind=row.post_kind, person_id=person_id, name=row.name, phone=row.phone))
    return roster_carry_over(
        actor=actor, village=village, term=term, leaving=set(outgoing.values()) - keep, new=new
    )


def term_open(*, actor, district: Unit, name: str, start: date, end: date) -> Term:
    """The district opens a new term of office for its villages (dates and name)."""
    from .services import term_create

    name = (name or "").strip()
    if not name or len(name) > 40:
        raise ServiceError(_("A name of 1 to 40 characters is required."), code="name")
    if district.kind != Unit.DISTRICT:
        raise ServiceError(_("Terms are opened by the district."), code="scope")
    return term_create(actor=actor, district=district, name=name, start=start, end=end)
