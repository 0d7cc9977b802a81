"""Shared fixtures: a small district and a named cast of users, one per role.

The cast (``cast.<name>``) — each user's unit is given in brackets:
- ``district``: district administrator [青山区]
- ``secretary_a``, ``deputy_a``, ``staff_a``, ``assessor_a``: township roles [石桥镇]
- ``secretary_b``: township party secretary of the OTHER township [东湖街道] — refused in A
- ``branch``, ``director``, ``member``, ``supervisor``, ``voter``: village roles through their
  posts [柳树村 = ``tree.a1``]
- ``branch_a2``: branch secretary of the neighbouring village [河口村 = ``tree.a2``] — refused
  in 柳树村
- ``outsider``: an account with no role at all — refused everywhere

Township and district users are people on their unit's roster of officials (``make_official``):
a decision role confers nothing without a person behind it.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User

from jiannuo.accounts.models import RoleAssignment
from jiannuo.core import roles
from jiannuo.core.system import system_user
from jiannuo.organisation import services as org
from jiannuo.organisation.models import Person, Post, Unit


def pytest_configure(config):
    from django.conf import settings

    # Fast hashing in tests; real PBKDF2 in the product.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Throttles (ceremony check-in) count in the cache: one per test process, emptied per test.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def system(db):
    return system_user()


@pytest.fixture
def tree(system):
    """青山区 → 石桥镇 (a) {柳树村 a1, 河口村 a2}, 东湖街道 (b) {东湖村 b1}; a term 2021–2026."""
    d = org.unit_create(actor=system, kind=Unit.DISTRICT, name="青山区", code="QS")
    a = org.unit_create(
        actor=system,
        kind=Unit.TOWNSHIP,
        name="石桥镇",
        code="SQ",
        parent=d,
        township_type=Unit.TOWN,
    )
    b = org.unit_create(
        actor=system,
        kind=Unit.TOWNSHIP,
        name="东湖街道",
        code="DH",
        parent=d,
        township_type=Unit.SUBDISTRICT,
    )
    a1 = org.unit_create(actor=system, kind=Unit.VILLAGE, name="柳树村", code="SQ01", parent=a)
    a2 = org.unit_create(actor=system, kind=Unit.VILLAGE, name="河口村", code="SQ02", parent=a)
    b1 = org.unit_create(actor=system, kind=Unit.VILLAGE, name="东湖村", code="DH01", parent=b)
    term = org.term_create(
        actor=system,
        district=d,
        name="2021—2026年届",
        start=date(2021, 1, 1),
        end=date(2026, 12, 31),
    )
    return SimpleNamespace(district=d, a=a, b=b, a1=a1, a2=a2, b1=b1, term=term)


_phone = iter(range(13900000000, 13999999999))


def make_person(system, village, name, *posts, start=date(2021, 1, 1), user=None):
    """A person on ``village``'s roster holding ``posts`` (post kinds) from ``start``."""
    person = org.person_create(actor=system, village=village, name=name, phone=str(next(_phone)))
    for kind in posts:
        org.post_assign(actor=system, person=person, kind=kind, start=start)
    if user is not None:
        Person.objects.filter(pk=person.pk).update(user=user)
        person.refresh_from_db()
    return person


def _user(username):
    return User.objects.create_user(username=username, password="pw-for-tests-1")


def make_official(user, role, unit, name=None, person=None):
    """Grant ``role`` over ``unit`` to ``user`` as the district would: tied to a person on a
    roster (a new one on ``unit``'s roster of officials unless ``person`` is given)."""
    if person is None:
        person = Person.objects.create(
            village=unit, name=name or user.username, phone=str(next(_phone)), user=user
        )
    elif person.user_id != user.pk:
        # The account moves to this roster entry (one account per person).
        Person.objects.filter(user=user).update(user=None)
        Person.objects.filter(pk=person.pk).update(user=user)
    if hasattr(user, "_jiannuo_grants"):
        del user._jiannuo_grants
    grant, _created = RoleAssignment.objects.update_or_create(
        user=user, role=role, unit=unit, revoked_at=None, defaults={"person": person}
    )
    return grant


@pytest.fixture
def cast(tree, system):
    c = SimpleNamespace()
    for name, role, unit in [
        ("district", roles.DISTRICT_ADMIN, tree.district),
        ("secretary_a", roles.TOWNSHIP_SECRETARY, tree.a),
        ("deputy_a", roles.TOWNSHIP_DEPUTY, tree.a),
        ("staff_a", roles.TOWNSHIP_STAFF, tree.a),
        ("assessor_a", roles.ASSESSOR, tree.a),
        ("secretary_b", roles.TOWNSHIP_SECRETARY, tree.b),
    ]:
        user = _user(name)
        make_official(user, role, unit)
        setattr(c, name, user)
    for name, person_name, kinds, village in [
        ("branch", "李建国", [Post.BRANCH_SECRETARY, Post.PARTY_MEMBER], tree.a1),
        ("director", "王海涛", [Post.COMMITTEE_DIRECTOR], tree.a1),
        ("member", "张秀英", [Post.COMMITTEE_MEMBER], tree.a1),
        ("supervisor", "赵德明", [Post.SUPERVISION_CHAIR], tree.a1),
        ("voter", "陈玉梅", [Post.REPRESENTATIVE], tree.a1),
        ("branch_a2", "刘长青", [Post.BRANCH_SECRETARY], tree.a2),
    ]:
        user = _user(name)
        setattr(c, name, user)
        setattr(c, name + "_person", make_person(system, village, person_name, *kinds, user=user))
    c.outsider = _user("outsider")
    return c
