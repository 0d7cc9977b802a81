"""A district starts from an empty installation without `jiannuo shell` or the admin (issue
#14): the superuser (``jiannuo createsuperuser``) adds the district and its first
administrator in the pages; the administrator carries on (townships, villages, terms)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from jiannuo.accounts.models import RoleAssignment
from jiannuo.organisation.models import Term, Unit


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_superuser_adds_the_district_and_its_administrator(db):
    root = User.objects.create_superuser("root", password="pw-for-tests-1")
    client = _client(root)
    assert 'id="district-add"' in client.get("/org/").content.decode()
    response = client.post("/org/districts/add/", {"name": "青山区", "code": "QS"})
    assert response.status_code == 302
    district = Unit.objects.get(code="QS", kind=Unit.DISTRICT)
    response = client.post(
        "/accounts/users/",
        {
            "form": "official",
            "name": "王科长",
            "phone": "13900000001",
            "username": "zzb",
            "full_name": "区委组织部 王科长",
            "password": "Qingshan2027ok",
            "role": "district_admin",
            "unit": str(district.pk),
        },
    )
    assert response.status_code == 302
    admin = User.objects.get(username="zzb")
    assert RoleAssignment.objects.filter(user=admin, role="district_admin", unit=district).exists()
    admin_client = _client(admin)
    assert (
        admin_client.post(
            f"/org/units/{district.pk}/add/",
            {"name": "石桥镇", "code": "SQ", "township_type": "town"},
        ).status_code
        == 302
    )
    assert (
        admin_client.post(
            f"/org/units/{district.pk}/terms/add/",
            {"name": "2027—2031年届", "start": "2027-01-01", "end": "2031-12-31"},
        ).status_code
        == 302
    )
    assert Term.objects.filter(district=district).count() == 1


def test_only_the_superuser_adds_a_district(cast):
    for who in (cast.district, cast.secretary_a, cast.outsider):
        assert (
            _client(who).post("/org/districts/add/", {"name": "x", "code": "X"}).status_code == 404
        )
    assert not Unit.objects.filter(code="X").exists()
