"""Deny by default: every role sees and changes only its own scope, in pages and the API alike.

The cast (tests/conftest.py) is the matrix's rows; 柳树村 (tree.a1) is the village under test.
"""

import pytest
from django.test import Client

from tests.helpers import roster_file, row

EVERYONE = [
    "district",
    "secretary_a",
    "deputy_a",
    "staff_a",
    "assessor_a",
    "secretary_b",
    "branch",
    "director",
    "member",
    "supervisor",
    "voter",
    "branch_a2",
    "outsider",
]
SEE_VILLAGE = {
    "district",
    "secretary_a",
    "deputy_a",
    "staff_a",
    "assessor_a",
    "branch",
    "director",
    "member",
    "supervisor",
    "voter",
}
SEE_PERSONAL = {"district", "secretary_a", "deputy_a", "staff_a", "branch", "director"}
MANAGE = {"district", "secretary_a", "deputy_a", "staff_a", "branch"}


def _client(cast, who):
    client = Client()
    client.force_login(getattr(cast, who))
    return client


@pytest.mark.parametrize("who", EVERYONE)
def test_village_page(cast, tree, who):
    response = _client(cast, who).get(f"/org/units/{tree.a1.pk}/")
    assert response.status_code == (200 if who in SEE_VILLAGE else 404)
    if who in SEE_VILLAGE:
        assert "李建国" in response.content.decode()
        # Phone numbers are personal data: only roles that need them see them.
        assert (cast.branch_person.phone in response.content.decode()) == (who in SEE_PERSONAL)


@pytest.mark.parametrize("who", EVERYONE)
def test_person_page(cast, tree, who):
    response = _client(cast, who).get(f"/org/people/{cast.branch_person.pk}/")
    assert response.status_code == (200 if who in SEE_VILLAGE else 404)


@pytest.mark.parametrize("who", EVERYONE)
def test_roster_export(cast, tree, who):
    response = _client(cast, who).get(f"/org/units/{tree.a1.pk}/roster.xlsx")
    assert response.status_code == (200 if who in SEE_PERSONAL else 404)


@pytest.mark.parametrize("who", EVERYONE)
def test_roster_import_page(cast, tree, who):
    client = _client(cast, who)
    response = client.post(
        f"/org/units/{tree.a1.pk}/roster/import/",
        {"file": roster_file([row(name="孙立新", phone="13800000001")])},
    )
    if who in MANAGE:
        assert response.status_code == 302
    else:
        assert response.status_code == 404
    from jiannuo.organisation.models import Person

    assert Person.objects.filter(name="孙立新").exists() == (who in MANAGE)


def test_bad_roster_page_lists_rows_and_saves_nothing(cast, tree):
    from jiannuo.organisation.models import Person

    response = _client(cast, "branch").post(
        f"/org/units/{tree.a1.pk}/roster/import/",
        {"file": roster_file([row(name="孙立新"), row(name="周桂兰", phone="x")])},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="problems"' in body and "联系电话" in body
    assert not Person.objects.filter(name__in=["孙立新", "周桂兰"]).exists()


def test_anonymous_visitors_are_sent_to_log_in(tree):
    response = Client().get(f"/org/units/{tree.a1.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", EVERYONE)
def test_api_roster(cast, tree, who):
    response = _client(cast, who).get(f"/api/v1/units/{tree.a1.pk}/people")
    assert response.status_code == (200 if who in SEE_VILLAGE else 404)
    if who in SEE_VILLAGE:
        phones = {p["phone"] for p in response.json()["items"]}
        assert (cast.branch_person.phone in phones) == (who in SEE_PERSONAL)


@pytest.mark.parametrize("who", EVERYONE)
def test_api_roster_import(cast, tree, who):
    response = _client(cast, who).post(
        f"/api/v1/units/{tree.a1.pk}/roster",
        {"file": roster_file([row(name="孙立新", phone="13800000001")])},
    )
    expected = 200 if who in MANAGE else (403 if who in SEE_VILLAGE else 404)
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("who", EVERYONE)
def test_api_units_lists_only_the_scope(cast, tree, who):
    names = {u["name"] for u in _client(cast, who).get("/api/v1/units").json()["items"]}
    if who == "district":
        assert names == {"青山区", "石桥镇", "东湖街道", "柳树村", "河口村", "东湖村"}
    elif who in {"secretary_a", "deputy_a", "staff_a", "assessor_a"}:
        assert names == {"石桥镇", "柳树村", "河口村"}
    elif who == "secretary_b":
        assert names == {"东湖街道", "东湖村"}
    elif who == "branch_a2":
        assert names == {"河口村"}
    elif who == "outsider":
        assert names == set()
    else:
        assert names == {"柳树村"}


def test_api_needs_authentication(tree):
    assert Client().get("/api/v1/units").status_code == 401


def test_api_token_authentication(cast, tree):
    from jiannuo.accounts.services import token_create, token_revoke

    token, key = token_create(actor=cast.branch, name="cli")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    assert client.get(f"/api/v1/units/{tree.a1.pk}/people").status_code == 200
    assert client.get(f"/api/v1/units/{tree.a2.pk}/people").status_code == 404
    token_revoke(actor=cast.branch, token=token)
    assert client.get(f"/api/v1/units/{tree.a1.pk}/people").status_code == 401


def test_api_bad_roster_lists_each_row(cast, tree):
    response = _client(cast, "branch").post(
        f"/api/v1/units/{tree.a1.pk}/roster", {"file": roster_file([row(phone="x")])}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "roster_invalid"
    assert body["details"] == [
        {"row": 2, "column": "联系电话", "message": body["details"][0]["message"]}
    ]


def test_api_openapi_document(tree):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/units/{unit_id}/roster" in doc["paths"]


def test_village_page_query_count_does_not_grow_with_the_roster(
    cast, tree, system, django_assert_max_num_queries
):
    from tests.conftest import make_person

    client = _client(cast, "branch")
    for i in range(30):
        make_person(system, tree.a1, f"代表{i}", "villager_representative")
    with django_assert_max_num_queries(12):
        assert client.get(f"/org/units/{tree.a1.pk}/").status_code == 200
