"""Writes to the organisation: units, terms, people, posts, roster imports.

Every function checks permission and state, runs in one transaction and writes audit rows.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.excel import read_rows
from jiannuo.core.guards import has_control
from jiannuo.core.permissions import require

from . import roster
from .models import Person, Post, Term, Unit

KIND_LABELS = dict(Unit.KINDS)


def unit_create(
    *,
    actor,
    kind: str,
    name: str,
    code: str,
    parent: Unit | None = None,
    township_type: str = "",
    party_org: str = "",
) -> Unit:
    if kind == Unit.DISTRICT:
        if not (actor and actor.is_superuser):
            raise ServiceError(_("Only a superuser can create a district."), code="forbidden")
    else:
        require(actor, "org.manage_units", parent)
        expected = Unit.DISTRICT if kind == Unit.TOWNSHIP else Unit.TOWNSHIP
        if parent is None or parent.kind != expected:
            raise ServiceError(
                _("A %(kind)s must belong to a %(parent)s.")
                % {"kind": KIND_LABELS[kind], "parent": KIND_LABELS[expected]},
                code="parent",
            )
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ServiceError(_("A name of 1 to 60 characters is required."), code="name")
    from .organs import default_party_org, default_township_type

    if kind == Unit.TOWNSHIP:
        township_type = township_type or default_township_type(name)
    party_org = party_org or (default_party_org(name) if kind == Unit.VILLAGE else "")
    if party_org and (kind != Unit.VILLAGE or party_org not in dict(Unit.PARTY_ORGS)):
        raise ServiceError(_("Choose the village's party organisation."), code="party_org")
    with transaction.atomic():
        if Unit.objects.filter(code=code).exists():
            raise ServiceError(_("The code %(code)s is taken.") % {"code": code}, code="code")
        if Unit.objects.filter(parent=parent, name=name).exists():
            raise ServiceError(_("“%(name)s” already exists here.") % {"name": name}, code="name")
        unit = Unit(
            kind=kind,
            name=name,
            code=code,
            parent=parent,
            township_type=township_type,
            party_org=party_org,
            path="",
        )
        unit.save()
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.save(update_fields=["path"])
        audit.record(
            actor,
            "unit.create",
            unit,
            changes={
                "kind": kind,
                "name": name,
                "code": code,
                "parent": parent.pk if parent else None,
                "township_type": township_type,
                "party_org": party_org,
            },
        )
    return unit


def term_create(*, actor, district: Unit, name: str, start: date, end: date) -> Term:
    require(actor, "org.manage_units", district)
    if end <= start:
        raise ServiceError(_("The term must end after it starts."), code="dates")
    with transaction.atomic():
        if Term.objects.filter(district=district, start__lt=end, end__gt=start).exists():
            raise ServiceError(_("This term overlaps another term."), code="overlap")
        term = Term.objects.create(district=district, name=name, start=start, end=end)
        audit.record(
            actor,
            "term.create",
            term,
            unit=district,
            changes={"name": name, "start": start, "end": end},
        )
    return term


def _check_single_holder(*, village, kind, person, start, end, exclude_post=None):
    if kind not in Post.SINGLE_HOLDER:
        return
    clash = Post.objects.filter(village=village, kind=kind).exclude(person=person)
    if exclude_post is not None:
        clash = clash.exclude(pk=exclude_post.pk)
    clash = clash.filter(Q(end__isnull=True) | Q(end__gte=start))
    if end is not None:
        clash = clash.filter(start__lte=end)
    other = clash.select_related("person").first()
    if other:
        raise ServiceError(
            _("%(post)s is already held by %(name)s from %(start)s; end that post first.")
            % {"post": other.get_kind_display(), "name": other.person.name, "start": other.start},
            code="post_held",
        )


def _person_fields(name: str, phone: str) -> tuple[str, str]:
    name, phone = (name or "").strip(), (phone or "").strip()
    if not name or len(name) > 40:
        raise ServiceError(_("A name of 1 to 40 characters is required."), code="name")
    if has_control(name):
        raise ServiceError(
            _("Text may not contain control characters; nothing was saved."),
            code="control_characters",
        )
    if not roster.PHONE_RE.match(phone):
        raise ServiceError(_("“%(value)s” is not a phone number.") % {"value": phone}, code="phone")
    return name, phone


def person_create(
    *, actor, village: Unit, name: str, phone: str, gender: str = "", birth_date: date | None = None
) -> Person:
    require(actor, "org.manage", village)
    name, phone = _person_fields(name, phone)
    with transaction.atomic():
        if Person.objects.filter(village=village, name=name, phone=phone).exists():
            raise ServiceError(
                _("%(name)s with this phone is already on the roster.") % {"name": name},
                code="duplicate",
            )
        person = Person.objects.create(
            village=village, name=name, phone=phone, gender=gender, birth_date=birth_date
        )
        audit.record(
            actor,
            "person.create",
            person,
            changes={"name": name, "phone": phone, "gender": gender, "birth_date": birth_date},
        )
    return person


def person_create_locked(actor, *, village: Unit, name: str, phone: str) -> Person:
    """Inside the caller's transaction: the village's person with this name and phone (the
    roster's identity), created when new."""
    name, phone = _person_fields(name, phone)
    person = (
        Person.objects.select_for_update()
        .select_related("village")
        .filter(village=village, name=name, phone=phone)
        .first()
    )
    if person is None:
        person = Person.objects.create(village=village, name=name, phone=phone)
        audit.record(actor, "person.create", person, changes={"name": name, "phone": phone})
    return person


def _post_create(actor, person: Person, kind: str, start: date, end: date | None) -> Post:
    """Inside the caller's transaction (person row locked): checks and writes one post."""
    if kind not in dict(Post.KINDS):
        raise ServiceError(_("Unknown post."), code="kind")
    if end is not None and end < start:
        raise ServiceError(_("The end date is before the start date."), code="dates")
    _check_single_holder(village=person.village, kind=kind, person=person, start=start, end=end)
    overlap = Post.objects.filter(person=person, kind=kind).filter(
        Q(end__isnull=True) | Q(end__gte=start)
    )
    if end is not None:
        overlap = overlap.filter(start__lte=end)
    if overlap.exists():
        raise ServiceError(
            _("%(name)s already holds this post in that period.") % {"name": person.name},
            code="post_held",
        )
    post = Post.objects.create(
        person=person, village=person.village, kind=kind, start=start, end=end
    )
    audit.record(
        actor,
        "post.assign",
        post,
        changes={"person": person.pk, "kind": kind, "start": start, "end": end},
    )
    return post


def post_assign(*, actor, person: Person, kind: str, start: date, end: date | None = None) -> Post:
    require(actor, "org.manage", person.village)
    if kind not in dict(Post.KINDS):
        raise ServiceError(_("Unknown post."), code="kind")
    if end is not None and end < start:
        raise ServiceError(_("The end date is before the start date."), code="dates")
    with transaction.atomic():
        person = Person.objects.select_for_update().select_related("village").get(pk=person.pk)
        post = _post_create(actor, person, kind, start, end)
        login_sync(actor, person)
        _roles_changed(actor, person)
    return post


def _roles_changed(actor, person: Person) -> None:
    """A post gives or takes village roles: the person's API tokens are revoked."""
    if person.user_id:
        from jiannuo.accounts.services import tokens_revoke_all

        tokens_revoke_all(actor=actor, user=person.user, reason="roles_changed")


def post_end(*, actor, post: Post, end: date) -> Post:
    """Close a post (mid-term replacement, resignation accepted, end of term)."""
    require(actor, "org.manage", post.village)
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if end < post.start:
            raise ServiceError(_("The end date is before the start date."), code="dates")
        before = post.end
        post.end = end
        post.save(update_fields=["end"])
        audit.record(actor, "post.end", post, changes={"end": [before, end]})
        login_sync(actor, post.person)
        _roles_changed(actor, post.person)
    return post


def login_sync(actor, person: Person, day: date | None = None) -> None:
    """A person's log-in follows their posts: disabled (never deleted) when no post is held on
    ``day`` or later, enabled again when a post is assigned and the log-in had a password.

    Runs inside the caller's transaction; writes an audit row when the state changes."""
    if person.user_id is None:
        return
    from django.contrib.auth.models import User

    day = day or timezone.localdate()
    user = User.objects.select_for_update().get(pk=person.user_id)
    if user.is_superuser or user.is_staff or user.roles.exists():
        return  # township/district accounts follow their role assignments, not the roster
    holds = (
        Post.objects.filter(person=person).filter(Q(end__isnull=True) | Q(end__gte=day)).exists()
    )
    if user.is_active and not holds:
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit.record(
            actor, "account.disable", user, unit=person.village, changes={"person": person.pk}
        )
    elif not user.is_active and holds and user.has_usable_password():
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit.record(
            actor, "account.enable", user, unit=person.village, changes={"person": person.pk}
        )


def roster_scope_villages(unit: Unit) -> dict[str, int]:
    if unit.kind == Unit.VILLAGE:
        return {unit.name: unit.pk}
    return dict(
        Unit.objects.filter(kind=Unit.VILLAGE, path__startswith=unit.path).values_list("name", "id")
    )


def roster_import(*, actor, unit: Unit, upload) -> dict:
    """Import a roster workbook for a township or a village: all rows valid, or nothing saved.

    Importing the same people again updates them (identity: village, name, phone; a post is
    identified by person, post and start date) instead of creating duplicates.
    Returns counts; raises ServiceError whose ``details`` name every bad row and column.
    """
    require(actor, "org.manage", unit)
    if unit.kind == Unit.DISTRICT:
        raise ServiceError(_("Upload a roster for one township or one village."), code="scope")
    rows = read_rows(
        upload,
        roster.HEADERS,
        max_bytes=settings.ROSTER_MAX_BYTES,
        max_rows=settings.ROSTER_MAX_ROWS,
    )
    villages = roster_scope_villages(unit)
    holdings = [
        roster.Holding(p.village_id, p.kind, p.person.name, p.person.phone, p.start, p.end)
        for p in Post.objects.filter(
            village_id__in=villages.values(), kind__in=Post.SINGLE_HOLDER
        ).select_related("person")
    ]
    clean, errors = roster.validate_rows(rows, villages=villages, holdings=holdings)
    if errors:
        raise ServiceError(
            _("%(count)s problem(s) in the file; nothing was imported.") % {"count": len(errors)},
            code="roster_invalid",
            details=[e.as_dict() for e in errors],
        )
    counts = {"people_created": 0, "people_updated": 0, "posts_created": 0, "posts_updated": 0}
    try:
        with transaction.atomic():
            people = {
                (p.village_id, p.name, p.phone): p
                for p in Person.objects.select_for_update().filter(village_id__in=villages.values())
            }
            posts = {
                (p.person_id, p.kind, p.start): p
                for p in Post.objects.filter(village_id__in=villages.values())
            }
            for row in clean:
                key = (row.village_id, row.name, row.phone)
                person = people.get(key)
                if person is None:
                    person = Person.objects.create(
                        village_id=row.village_id,
                        name=row.name,
                        phone=row.phone,
                        gender=row.gender,
                        birth_date=row.birth_date,
                    )
                    people[key] = person
                    counts["people_created"] += 1
                    audit.record(
                        actor,
                        "person.create",
                        person,
                        unit=row.village_id,
                        changes={"name": row.name, "phone": row.phone, "source": "roster_import"},
                    )
                else:
                    before = {"gender": person.gender, "birth_date": person.birth_date}
                    after = {
                        "gender": row.gender or person.gender,
                        "birth_date": row.birth_date or person.birth_date,
                    }
                    changed = audit.diff(before, after)
                    if changed:
                        for field, (_old, new) in changed.items():
                            setattr(person, field, new)
                        person.version += 1
                        person.save(update_fields=[*changed, "version"])
                        counts["people_updated"] += 1
                        audit.record(
                            actor, "person.update", person, unit=row.village_id, changes=changed
                        )
                post = posts.get((person.pk, row.post_kind, row.start))
                if post is None:
                    post = Post.objects.create(
                        person=person,
                        village_id=row.village_id,
                        kind=row.post_kind,
                        start=row.start,
                        end=row.end,
                    )
                    posts[(person.pk, row.post_kind, row.start)] = post
                    counts["posts_created"] += 1
                    _roles_changed(actor, person)
                    audit.record(
                        actor,
                        "post.assign",
                        post,
                        unit=row.village_id,
                        changes={
                            "person": person.pk,
                            "kind": row.post_kind,
                            "start": row.start,
                            "end": row.end,
                        },
                    )
                elif post.end != row.end:
                    old = post.end
                    post.end = row.end
                    post.save(update_fields=["end"])
                    counts["posts_updated"] += 1
                    _roles_changed(actor, person)
                    audit.record(
                        actor,
                        "post.update",
                        post,
                        unit=row.village_id,
                        changes={"end": [old, row.end]},
                    )
            for person in {people[(r.village_id, r.name, r.phone)] for r in clean}:
                login_sync(actor, person)
            audit.record(actor, "roster.import", unit, changes={"rows": len(clean), **counts})
    except IntegrityError as exc:
        raise ServiceError(
            _("The roster conflicts with data saved meanwhile; try again."), code="conflict"
        ) from exc
    return counts
