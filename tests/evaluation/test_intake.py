"""The phone ballot's lane (jiannuo/evaluation/intake.py): the product's WSGI application answers
well-formed sheets without the page middleware, and must answer exactly as the API does; any
other request goes on to the full application with its body intact (§三.6, issue #6)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from jiannuo.evaluation import intake
from jiannuo.evaluation.models import Ballot, BallotCode

from .conftest import is_spent
from .test_views_api import api, phone  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def wsgi(app, path, body: bytes, *, method="POST", content_type="application/json", **extra):
    """One request to a WSGI application, as a server would make it. Like Django's test client,
    it keeps the test's database connection open across the request signals."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        **extra,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status[:3]), dict(headers)

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = app(environ, start_response)
        content = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], content


def product():
    from jiannuo.wsgi import application

    return application


def fresh_codes(rnd):
    return iter(c for c in rnd.codes if not is_spent(c))


def sheet(rnd, option="satisfied"):
    return {str(t.pk): option for t in rnd.targets.all()}


class Recorder:
    """A stand-in for the full application: records what reached it, with its body."""

    def __init__(self):
        self.bodies = []

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.bodies.append(environ["wsgi.input"].read(length))
        start_response("299 Full", [("Content-Type", "text/plain")])
        return [b"full"]


def cases(rnd, accepted, spare):
    """(name, url round id, JSON body) for each answer the API can give a well-formed sheet.
    A refused sheet spends nothing, so every refusal may use the same ``spare`` code."""
    good = sheet(rnd)
    first = next(iter(good))
    return [
        ("accepted", rnd.pk, {"code": accepted, "choices": good}),
        ("unknown code", rnd.pk, {"code": "no-such-code", "choices": good}),
        ("foreign round", rnd.pk + 1, {"code": spare, "choices": good}),
        ("missing target", rnd.pk, {"code": spare, "choices": {first: "satisfied"}}),
        ("unknown option", rnd.pk, {"code": spare, "choices": {**good, first: "spoiled"}}),
        ("extra target", rnd.pk, {"code": spare, "choices": {**good, "999999": "abstain"}}),
        ("non-canonical id", rnd.pk, {"code": spare, "choices": {"0" + first: "abstain"}}),
        ("empty code", rnd.pk, {"code": "  ", "choices": good}),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_lane_answers_every_well_formed_sheet_as_the_api_does(client, phone, language):  # noqa: F811
    one, two, spare = list(fresh_codes(phone))[:3]
    for (name, rid, body), (_, rid2, body2) in zip(
        cases(phone, one, spare), cases(phone, two, spare), strict=True
    ):
        status, headers, content = wsgi(
            product(),
            f"/api/v1/evaluation/rounds/{rid}/ballots",
            json.dumps(body).encode(),
            HTTP_ACCEPT_LANGUAGE=language,
        )
        # The lane answered (the page middleware would have added X-Frame-Options)…
        assert "X-Frame-Options" not in headers, name
        assert headers["X-Content-Type-Options"] == "nosniff", name  # SecurityMiddleware ran
        # … exactly as the API answers the same sheet with another code.
        expected = client.post(
            f"/api/v1/evaluation/rounds/{rid2}/ballots",
            json.dumps(body2),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert (status, content) == (expected.status_code, expected.content), name
        assert headers["Content-Type"] == expected["Content-Type"], name
    # Two accepted sheets (one each way); every refusal saved nothing and spent no code.
    assert Ballot.objects.filter(round=phone).count() == 2
    assert BallotCode.objects.filter(round=phone, spent=True).count() == 2
    messages = json.loads(content)["message"]
    assert ("voting code" in messages) == (language == "en")


def test_a_used_code_is_refused_by_the_lane_as_by_the_api(client, phone):  # noqa: F811
    code = next(fresh_codes(phone))
    body = json.dumps({"code": code, "choices": sheet(phone)}).encode()
    path = f"/api/v1/evaluation/rounds/{phone.pk}/ballots"
    assert wsgi(product(), path, body)[0] == 201
    status, _, content = wsgi(product(), path, body)
    expected = client.post(path, body, content_type="application/json")
    assert status == expected.status_code == 400
    assert content == expected.content
    assert json.loads(content)["code"] == "code_used"
    assert Ballot.objects.filter(round=phone).count() == 1


def test_a_closed_round_is_refused_by_the_lane(client, cast, phone):  # noqa: F811
    from jiannuo.evaluation import services

    code = next(fresh_codes(phone))
    services.round_close(actor=cast.supervisor, round=phone)
    body = json.dumps({"code": code, "choices": sheet(phone)}).encode()
    status, _, content = wsgi(product(), f"/api/v1/evaluation/rounds/{phone.pk}/ballots", body)
    assert status == 400 and json.loads(content)["code"] == "round_closed"
    assert not Ballot.objects.exists() and not is_spent(code)


def test_a_host_outside_allowed_hosts_is_refused_before_anything_is_spent(phone):  # noqa: F811
    code = next(fresh_codes(phone))
    body = json.dumps({"code": code, "choices": sheet(phone)}).encode()
    status, _, _ = wsgi(
        product(),
        f"/api/v1/evaluation/rounds/{phone.pk}/ballots",
        body,
        HTTP_HOST="evil.example",
    )
    assert status == 400
    assert not Ballot.objects.exists() and not is_spent(code)


@pytest.mark.parametrize(
    "method, path, content_type, body",
    [
        ("POST", "/api/v1/evaluation/rounds/7/ballots", "application/json", b"{not json"),
        ("POST", "/api/v1/evaluation/rounds/7/ballots", "application/json", b'{"code": "x"}'),
        ("POST", "/api/v1/evaluation/rounds/7/ballots", "application/json", b'{"code": 5, "choices": {}}'),
        ("POST", "/api/v1/evaluation/rounds/7/ballots", "application/json", b"[1, 2]"),
        ("POST", "/api/v1/evaluation/rounds/7/ballots", "application/json", "\xff".encode("latin-1")),
        ("POST", "/api/v1/evaluation/rounds/7/ballots", "text/plain", b'{"code": "x", "choices": {}}'),
        ("POST", "/api/v1/evaluation/rounds/07/ballots", "application/json", b'{"code": "x", "choices": {}}'),
        ("POST", "/api/v1/evaluation/rounds/7/ballots/", "application/json", b'{"code": "x", "choices": {}}'),
        ("POST", "/api/v1/evaluation/rounds/7", "application/json", b'{"code": "x", "choices": {}}'),
        ("PUT", "/api/v1/evaluation/rounds/7/ballots", "application/json", b'{"code": "x", "choices": {}}'),
        ("POST", "/api/v1/evaluation/rounds/7/ballots", "application/json", b""),
    ],
)  # fmt: skip
def test_anything_else_goes_on_to_the_full_application_with_its_body(
    method, path, content_type, body
):
    full = Recorder()
    status, _, content = wsgi(
        intake.dispatch(full), path, body, method=method, content_type=content_type
    )
    assert (status, content) == (299, b"full")
    assert full.bodies == [body]


def test_a_body_over_the_upload_limit_goes_on_to_the_full_application(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    full = Recorder()
    body = b'{"code": "x", "choices": {}}'
    assert wsgi(intake.dispatch(full), "/api/v1/evaluation/rounds/7/ballots", body)[0] == 299
    assert full.bodies == [body]


def test_malformed_bodies_get_the_apis_own_answer_through_the_product(client, phone):  # noqa: F811
    path = f"/api/v1/evaluation/rounds/{phone.pk}/ballots"
    for body in (b"{not json", b'{"code": "x"}'):
        status, _, content = wsgi(product(), path, body)
        expected = client.post(path, body, content_type="application/json")
        assert status == expected.status_code != 201
        assert content == expected.content
    assert not Ballot.objects.exists()
