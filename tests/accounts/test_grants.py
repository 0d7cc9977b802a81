"""Who grants decision roles, to whom, and the district's list of grants (issues #12 part 3,
#14): decision roles (township secretary and deputy, assessment group, district roles) are
granted only by the level above, to a person on a roster, audited and listed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils.timezone import localtime

from jiannuo.accounts import services
from jiannuo.accounts.models import RoleAssignment
from jiannuo.core import roles
from jiannuo.core.errors import ServiceError
from jiannuo.core.models import AuditEntry
from jiannuo.core.permissions import grants
from jiannuo.organisation.models import Person

pytestmark = pytest.mark.django_db

PASSWORD = "Shiqiao2026x"


def client(user):
    c = Client()
    c.force_login(user)
    return c


def official(unit, name, username):
    """A person on ``unit``'s roster with an account and no role yet."""
    user = User.objects.create_user(username, password=PASSWORD)
    person = Person.objects.create(village=unit, name=name, phone="13812340000", user=user)
    return person


def fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", sorted(roles.DECISION_ROLES - {roles.DISTRICT_ADMIN}))
@pytest.mark.parametrize("who", ["secretary_a", "deputy_a", "staff_a", "secretary_b", "branch"])
def test_a_township_cannot_grant_township_decision_roles(cast, tree, who, role):
    """Only the district grants township decision roles; a township cannot create another
    township secretary (nor deputy, nor assessor)."""
    person = official(tree.a, "新人", "newcomer")
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=getattr(cast, who), role=role, unit=tree.a, person=person)
    assert not RoleAssignment.objects.filter(user__username="newcomer").exists()


def test_the_district_grants_a_township_secretary_to_a_person_and_it_is_audited(cast, tree):
    person = official(tree.a, "陈新", "sq_new_sec")
    grant = services.role_assign(
        actor=cast.district, role=roles.TOWNSHIP_SECRETARY, unit=tree.a, person=person
    )
    assert grant.person == person and grant.granted_by == cast.district
    assert grant.granted_at is not None
    entry = AuditEntry.objects.get(action="role.assign", object_id=str(grant.pk))
    assert entry.actor_id == cast.district.pk and entry.changes["person"] == person.pk
    assert roles.TOWNSHIP_SECRETARY in {g.role for g in grants(fresh(person.user))}


def test_district_roles_come_only_from_the_level_above(cast, tree, system):
    person = official(tree.district, "周新", "qs_new")
    with pytest.raises(PermissionDenied):
        services.role_assign(
            actor=cast.district, role=roles.DISTRICT_ADMIN, unit=tree.district, person=person
        )
    services.role_assign(actor=system, role=roles.DISTRICT_ADMIN, unit=tree.district, person=person)


def test_a_decision_role_needs_a_person_on_a_roster(cast, tree):
    bare = User.objects.create_user("bare", password=PASSWORD)
    with pytest.raises(ServiceError) as exc:
        services.role_assign(
            actor=cast.district, role=roles.TOWNSHIP_DEPUTY, unit=tree.a, user=bare
        )
    assert exc.value.code == "no_person"


def test_nobody_grants_a_decision_role_to_themself(cast, tree):
    me = Person.objects.get(user=cast.district)
    with pytest.raises(ServiceError) as exc:
        services.role_assign(
            actor=cast.district, role=roles.TOWNSHIP_SECRETARY, unit=tree.a, person=me
        )
    assert exc.value.code == "self_grant"


def test_a_township_still_adds_its_own_staff(cast, tree):
    grant = services.official_create(
        actor=cast.secretary_a,
        unit=tree.a,
        role=roles.TOWNSHIP_STAFF,
        name="黄新",
        phone="13812345678",
        username="sq_staff2",
        password=PASSWORD,
    )
    assert grant.person.village == tree.a and grant.user.username == "sq_staff2"


def test_revoking_keeps_the_grant_on_the_list_and_ends_the_role(cast, tree):
    person = official(tree.a, "林新", "sq_dep2")
    grant = services.role_assign(
        actor=cast.district, role=roles.TOWNSHIP_DEPUTY, unit=tree.a, person=person
    )
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=cast.secretary_a, assignment=grant)
    services.role_revoke(actor=cast.district, assignment=grant)
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == cast.district
    assert not grants(fresh(person.user))
    assert AuditEntry.objects.filter(action="role.revoke", object_id=str(grant.pk)).exists()


def test_the_districts_people_page_lists_every_grant_and_grants_from_the_page(cast, tree):
    page = client(cast.district)
    r = page.post(
        reverse("accounts:users"),
        {
            "form": "official",
            "name": "陈新",
            "phone": "13811112222",
            "full_name": "石桥镇党委书记 陈新",
            "username": "sq_sec2",
            "password": PASSWORD,
            "role": roles.TOWNSHIP_SECRETARY,
            "unit": tree.a.pk,
        },
    )
    assert r.status_code == 302
    grant = RoleAssignment.objects.get(user__username="sq_sec2")
    assert grant.person.name == "陈新" and grant.person.village == tree.a
    body = page.get(reverse("accounts:users")).content.decode()
    row = next(tr for tr in body.split("<tr") if "<td>sq_sec2</td>" in tr)
    assert "陈新" in row and localtime(grant.granted_at).strftime("%Y-%m-%d %H:%M") in row
    assert (cast.district.first_name or cast.district.username) in row
    # Every grant of the district is listed, the cast's too.
    for user in (cast.secretary_a, cast.deputy_a, cast.assessor_a, cast.secretary_b):
        assert f"<td>{user.username}</td>" in body


def test_the_township_page_offers_no_decision_roles_and_refuses_a_forged_post(cast, tree):
    page = client(cast.deputy_a)
    body = page.get(reverse("accounts:users")).content.decode()
    assert f'value="{roles.TOWNSHIP_SECRETARY}"' not in body
    assert f'value="{roles.TOWNSHIP_STAFF}"' in body
    r = page.post(
        reverse("accounts:users"),
        {
            "form": "official",
            "name": "假书记",
            "phone": "13811113333",
            "username": "fake",
            "password": PASSWORD,
            "role": roles.TOWNSHIP_SECRETARY,
            "unit": tree.a.pk,
        },
    )
    assert r.status_code == 400
    assert not User.objects.filter(username="fake").exists()


def test_doctor_names_decision_roles_with_no_person(cast, tree):
    from jiannuo.core import doctor

    def report():
        return [(ok, what) for ok, what, _fix in doctor._decision_grants()]

    assert report()[0][0] is True
    bare = User.objects.create_user("legacy_sec", password=PASSWORD)
    RoleAssignment.objects.create(user=bare, role=roles.TOWNSHIP_SECRETARY, unit=tree.a)
    ok, what = report()[0]
    assert ok is None and "legacy_sec" in what
