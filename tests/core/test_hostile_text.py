"""Control characters and over-nested JSON (issue #12.4).

A control character stored in a person's name made every roster export answer 500: text input
with control characters is refused on every write (pages, API, services; openpyxl never
decodes them from a workbook), and exports
are safe for any stored text. JSON nested deeper than 32 levels is refused with a 400 before
anything parses it, the phone ballot lane included."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from jiannuo.core.errors import ServiceError
from jiannuo.core.guards import MAX_JSON_DEPTH, json_too_deep
from jiannuo.organisation import services
from jiannuo.organisation.models import Person

pytestmark = pytest.mark.django_db

NASTY = ["张\x1b三", "李\x07四", "王\x0b五", "赵\x7f六", "钱\x85七", "孙\x00八"]


def logged_in(user):
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def test_roster_exports_survive_any_stored_text(tree, cast):
    """Text stored before this guard (or by hand) still exports: characters an .xlsx cannot
    hold are dropped, formulas neutralised."""
    for i, name in enumerate(["张\x1b三", "李\x07四", "=1+1"]):
        Person.objects.create(village=tree.a1, name=name, phone=f"1350000000{i}")
    from jiannuo.organisation.models import Post

    for p in Person.objects.filter(phone__startswith="1350000000"):
        Post.objects.create(
            person=p, village=tree.a1, kind=Post.REPRESENTATIVE, start=tree.term.start
        )
    c = logged_in(cast.staff_a)
    for url in (
        reverse("organisation:roster_export", args=[tree.a1.pk]),
        reverse("organisation:roster_export", args=[tree.a.pk]),
        f"/api/v1/units/{tree.a1.pk}/roster.xlsx",
    ):
        r = c.get(url)
        assert r.status_code == 200, url
        cells = {
            v
            for row in load_workbook(io.BytesIO(r.content))
            .worksheets[0]
            .iter_rows(values_only=True)
            for v in row
        }
        assert {"张三", "李四", "'=1+1"} <= cells


@pytest.mark.parametrize("name", NASTY)
def test_the_person_form_refuses_control_characters(tree, cast, name):
    c = logged_in(cast.staff_a)
    r = c.post(
        reverse("organisation:person_add", args=[tree.a1.pk]),
        {"name": name, "phone": "13500000009"},
    )
    assert r.status_code == 400
    assert not Person.objects.filter(phone="13500000009").exists()


@pytest.mark.parametrize("name", NASTY)
def test_the_api_refuses_control_characters(tree, cast, name):
    c = logged_in(cast.staff_a)
    body = json.dumps({"village_id": tree.a1.pk, "name": name, "phone": "13500000009"})
    r = c.post("/api/v1/people", body, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "control_characters"
    assert not Person.objects.filter(phone="13500000009").exists()


def test_line_breaks_and_tabs_stay_allowed(tree, cast):
    c = logged_in(cast.staff_a)
    body = json.dumps({"village_id": tree.a1.pk, "name": "周\t桂兰 ", "phone": "13500000009"})
    r = c.post("/api/v1/people", body, content_type="application/json")
    assert r.status_code == 201


def test_the_service_refuses_control_characters(tree, cast):
    with pytest.raises(ServiceError) as exc:
        services.person_create(
            actor=cast.staff_a, village=tree.a1, name="张\x1b三", phone="13500000009"
        )
    assert exc.value.code == "control_characters"


@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b"[]", False),
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), True),
        (b'{"a": "' + b"[" * 500 + b'"}', False),  # brackets inside a string do not nest
        (b'{"a": "\\"' + b"[" * 500 + b'"}', False),
        (b'{"a":' * 100 + b"1" + b"}" * 100, True),
    ],
)
def test_json_depth(body, deep):
    assert json_too_deep(body) is deep


def wsgi_post(path, body: bytes):
    from jiannuo.wsgi import application

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    status = []
    chunks = application(environ, lambda s, headers, *a: status.append(s))
    content = b"".join(chunks)
    return int(status[0].split()[0]), content


@pytest.mark.parametrize(
    "body",
    [
        b'{"code": "x", "choices": ' + b'{"a":' * 50000 + b"1" + b"}" * 50000 + b"}",
        b"[" * 100000 + b"]" * 100000,
        b'{"code": ' + b"[" * 100000 + b"]" * 100000 + b"}",
    ],
)
def test_deeply_nested_json_on_the_public_ballot_endpoint_is_a_400(tree, body):
    """Through the whole WSGI application (the phone ballot lane parses before Django) and
    through Django's handler."""
    path = "/api/v1/evaluation/rounds/1/ballots"
    status, content = wsgi_post(path, body)
    assert status == 400 and json.loads(content)["code"] == "json_too_deep"
    assert set(json.loads(content)) == {"code", "message", "fields", "details"}  # ErrorOut
    r = Client(raise_request_exception=False).post(path, body, content_type="application/json")
    assert r.status_code == 400


def test_deeply_nested_json_elsewhere_in_the_api_is_a_400(tree, cast):
    body = '{"village_id": 1, "name": ' + "[" * 5000 + "]" * 5000 + "}"
    r = logged_in(cast.staff_a).post("/api/v1/people", body, content_type="application/json")
    assert r.status_code == 400
