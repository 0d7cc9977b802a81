"""The to-do list after log-in."""

from django.test import Client


def test_township_sees_villages_without_supervision_committee(cast, tree):
    client = Client()
    client.force_login(cast.secretary_a)
    body = client.get("/todo/").content.decode()
    # 柳树村 has a supervision chair in the cast; 河口村 has none.
    assert "河口村" in body and "柳树村" not in body.split("<main>")[1].split("</main>")[0]


def test_township_roles_are_asked_to_turn_on_two_factor(cast, tree):
    client = Client()
    client.force_login(cast.staff_a)
    assert "/accounts/security/" in client.get("/todo/").content.decode()


def test_village_roles_land_on_their_own_to_do_list(cast, tree):
    client = Client()
    client.force_login(cast.voter)
    response = client.get("/todo/")
    assert response.status_code == 200
    assert "河口村" not in response.content.decode()


def test_todo_page_query_count_is_pinned(cast, tree, django_assert_max_num_queries):
    client = Client()
    client.force_login(cast.secretary_a)
    # Session, user, grants, then a fixed number per step's provider (opinions, pledges,
    # signing, bulletin, supervision, evaluation, accountability), whatever the data.
    with django_assert_max_num_queries(16):
        client.get("/todo/")
