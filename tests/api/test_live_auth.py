"""Tokens write without CSRF; session writes always need it (issue #13).

Run against a live server with ``requests``: Django's test client skips the CSRF check, which is
how every bearer-token write answering 403 "CSRF check Failed" went unseen.
"""

from __future__ import annotations

import pytest
import requests

from jiannuo.opinions.models import Opinion

from .conftest import Api, login, token_api

pytestmark = pytest.mark.django_db(transaction=True)


def _opinion(village) -> dict:
    return {"village_id": village.pk, "text": "村口路灯不亮", "giver_name": "", "giver_phone": ""}


def test_a_token_writes_without_any_csrf_cookie(live, cast, tree):
    api = token_api(live, cast.branch)
    response = api.post("/opinions", json=_opinion(tree.a1))
    assert response.status_code == 201, response.text
    assert Opinion.objects.filter(pk=response.json()["id"], village=tree.a1).exists()


def test_a_token_updates_and_deletes_too(live, cast, tree):
    """PUT and DELETE go through the same authentication as POST."""
    api = token_api(live, cast.branch)
    for method in ("PUT", "DELETE"):
        response = api.request(method, "/pledges/items/999999?version=1", json={})
        # Authenticated (no 403 CSRF): the item simply does not exist, or the body is invalid.
        assert response.status_code in (404, 422), (method, response.status_code, response.text)
        assert "CSRF" not in response.text


def test_a_bad_token_is_401_not_a_csrf_refusal(live, tree):
    api = Api(live)
    api.http.headers["Authorization"] = "Bearer jn_not-a-real-token"
    response = api.post("/opinions", json=_opinion(tree.a1))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_session_write_without_the_csrf_header_is_refused(live, cast, tree):
    api = Api(live, login(live, "branch"))
    response = api.post("/opinions", json=_opinion(tree.a1))
    assert response.status_code == 403
    assert response.json()["code"] == "csrf"
    assert not Opinion.objects.exists()


def test_a_session_write_with_the_csrf_header_goes_through(live, cast, tree):
    http = login(live, "branch")
    api = Api(live, http)
    response = api.post(
        "/opinions",
        json=_opinion(tree.a1),
        headers={"X-CSRFToken": http.cookies["csrftoken"], "Referer": live + "/"},
    )
    assert response.status_code == 201, response.text


def test_a_session_cannot_borrow_a_made_up_csrf_pair(live, cast, tree):
    """A forged cookie + header pair is refused for a session: it must be the session's own."""
    http = login(live, "branch")
    http.cookies.set("csrftoken", "A" * 32, domain=requests.utils.urlparse(live).hostname)
    api = Api(live, http)
    response = api.post(
        "/opinions", json=_opinion(tree.a1), headers={"X-CSRFToken": "B" * 32, "Referer": live}
    )
    assert response.status_code == 403


def test_a_session_reads_without_csrf(live, cast):
    api = Api(live, login(live, "branch"))
    response = api.get("/me")
    assert response.status_code == 200
    assert response.json()["username"] == "branch"


def test_no_credentials_is_401(live):
    response = Api(live).get("/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
