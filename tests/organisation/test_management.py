"""Managing the organisation through the pages: units, people, posts, accounts (issue 2)."""

from datetime import date

import pytest
from django.test import Client

from jiannuo.accounts.models import RoleAssignment
from jiannuo.organisation.models import Person, Post, Unit


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_district_admin_adds_a_village(cast, tree):
    response = _client(cast.district).post(
        f"/org/units/{tree.a.pk}/add/", {"name": "新村", "code": "SQ09"}
    )
    assert response.status_code == 302
    village = Unit.objects.get(code="SQ09")
    assert (village.kind, village.parent, village.path) == (
        "village",
        tree.a,
        f"{tree.a.path}{village.pk}/",
    )


def test_township_cannot_add_villages(cast, tree):
    response = _client(cast.secretary_a).post(
        f"/org/units/{tree.a.pk}/add/", {"name": "新村", "code": "SQ09"}
    )
    assert response.status_code == 404
    assert not Unit.objects.filter(code="SQ09").exists()


def test_duplicate_code_is_refused_with_a_message(cast, tree):
    response = _client(cast.district).post(
        f"/org/units/{tree.a.pk}/add/", {"name": "新村", "code": "SQ01"}
    )
    assert response.status_code == 400
    assert "SQ01" in response.content.decode()


def test_branch_adds_a_person_and_a_post_then_ends_it(cast, tree):
    client = _client(cast.branch)
    response = client.post(
        f"/org/units/{tree.a1.pk}/people/add/",
        {"name": "钱多多", "phone": "13811112222", "gender": "F"},
    )
    person = Person.objects.get(name="钱多多")
    assert response.status_code == 302
    response = client.post(
        f"/org/people/{person.pk}/posts/add/", {"kind": "committee_member", "start": "2024-01-01"}
    )
    assert response.status_code == 302
    post = Post.objects.get(person=person)
    response = client.post(f"/org/posts/{post.pk}/end/", {"end": "2025-06-30"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.end == date(2025, 6, 30)


def test_a_second_branch_secretary_at_once_is_refused(cast, tree):
    client = _client(cast.branch)
    client.post(f"/org/units/{tree.a1.pk}/people/add/", {"name": "钱多多", "phone": "13811112222"})
    person = Person.objects.get(name="钱多多")
    response = client.post(
        f"/org/people/{person.pk}/posts/add/", {"kind": "branch_secretary", "start": "2024-01-01"}
    )
    assert response.status_code == 400
    assert "李建国" in response.content.decode()
    assert not Post.objects.filter(person=person).exists()


@pytest.mark.parametrize("who", ["branch_a2", "secretary_b", "member", "outsider"])
def test_others_cannot_add_people_to_the_village(cast, tree, who):
    response = _client(getattr(cast, who)).post(
        f"/org/units/{tree.a1.pk}/people/add/", {"name": "钱多多", "phone": "13811112222"}
    )
    assert response.status_code == 404
    assert not Person.objects.filter(name="钱多多").exists()


def test_township_secretary_creates_a_township_account(cast, tree):
    response = _client(cast.secretary_a).post(
        "/accounts/users/",
        {
            "form": "official",
            "name": "新人",
            "phone": "13811112222",
            "username": "sq_new",
            "full_name": "石桥镇 新人",
            "password": "Shiqiao2026x",
            "role": "township_staff",
            "unit": tree.a.pk,
        },
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(
        user__username="sq_new", role="township_staff", unit=tree.a
    ).exists()


def test_accounts_cannot_be_created_outside_the_scope(cast, tree):
    response = _client(cast.secretary_a).post(
        "/accounts/users/",
        {
            "form": "official",
            "name": "新人",
            "phone": "13811112222",
            "username": "sq_new",
            "full_name": "x",
            "password": "Shiqiao2026x",
            "role": "township_staff",
            "unit": tree.b.pk,
        },
    )
    assert response.status_code == 400
    assert not RoleAssignment.objects.filter(user__username="sq_new").exists()


def test_village_roles_have_no_accounts_page(cast, tree):
    assert _client(cast.branch).get("/accounts/users/").status_code == 404
