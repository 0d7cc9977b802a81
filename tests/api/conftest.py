"""The API as the outside world sees it: a live server and a real HTTP client (``requests``).

Django's test client skips CSRF and fakes authentication; these fixtures do neither. A session
is obtained by really logging in (GET the form for the ``csrftoken`` cookie, POST the form with
it), a token by the accounts service that the 账户与安全 page calls.
"""

from __future__ import annotations

import os
import re

import pytest
import requests

from jiannuo.accounts.services import token_create

# The ORM is used from the test thread while the live server runs in another one.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "pw-for-tests-1"  # tests/conftest.py's cast


class Api:
    """A client for /api/v1 on the live server: ``api.get("/me")``, ``api.post(path, json=…)``."""

    def __init__(self, base: str, session: requests.Session | None = None):
        self.base = base.rstrip("/")
        self.http = session or requests.Session()

    def url(self, path: str) -> str:
        return f"{self.base}/api/v1{path}"

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 30)
        return self.http.request(method, self.url(path), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def token_api(base: str, user) -> Api:
    """An API client that sends ``Authorization: Bearer jn_…`` and no cookie at all."""
    _token, key = token_create(actor=user, name="integration")
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {key}"
    return Api(base, http)


def login(base: str, username: str, password: str = PASSWORD) -> requests.Session:
    """Log in through the real form, as a browser does: the CSRF cookie, then the POST."""
    http = requests.Session()
    page = http.get(f"{base}/accounts/login/", timeout=30)
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = http.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302, f"log-in refused: {done.status_code}"
    assert "sessionid" in http.cookies
    return http


@pytest.fixture
def live(live_server, transactional_db):
    return live_server.url
