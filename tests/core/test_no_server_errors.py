"""Every page and API route answers bad input with a 4xx, never a server error: each URL
pattern, its ids replaced by ids beyond the database's integers, zero and nonsense words, is
requested by GET with every query field the views read set to nonsense, and by POST with every
form field set to nonsense or to an oversized number (the API: oversized ids in JSON) — by an
anonymous visitor and by users of four roles. Issue #12.4 adds: years 0 and 99999999999999999999
in URLs (with real ids too), 20-digit ids inside lists, and deeply nested JSON."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

HUGE = "9" * 22  # beyond 64 bits
YEARS = ("0", "9" * 20, "99999")  # issue #12.4: a year like 0 or 99999999999999999999
VALUES = {"int": [HUGE, "0"], "str": ["zzz", HUGE], "slug": ["zzz"], "path": ["zzz"]}
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def patterns(resolver=None, prefix=""):
    """(route template) of every URL pattern, e.g. ``evaluation/rounds/<int:pk>/``."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            yield from patterns(p, prefix + route)
        elif isinstance(p, URLPattern):
            yield prefix + route


def concrete(route: str) -> list[str]:
    """The route with each parameter replaced by each bad value of its converter (a route
    without parameters as it is)."""
    if route.startswith("^") or "(?P" in route:  # regex routes (static files, admin): skip
        return []
    params = PARAM.findall(route)
    if not params:
        return ["/" + route]
    out = []
    for i in range(max(len(VALUES.get(c or "str", ["zzz"])) for c, _ in params)):
        path = route
        for converter, _name in params:
            values = VALUES.get(converter or "str", ["zzz"])
            path = PARAM.sub(values[min(i, len(values) - 1)], path, count=1)
        out.append("/" + path)
    return out


#: Every field name the views read from a query string or a form (``grep request.GET/POST``).
GET_FIELDS = ("a", "b", "measure", "page", "run", "sent", "size", "state", "todo", "township",
              "unit", "year")  # fmt: skip
POST_FIELDS = ("abstain", "accept", "against", "approve", "attendance", "consent", "content_hash",
               "district", "for_", "phone", "letter", "members", "method", "name", "new_deadline",
               "new_target", "new_text", "note", "notes", "person", "place", "posted_on", "reason",
               "reasons", "response", "role", "scheduled_at", "township", "version", "village",
               "villages", "year", "year_from", "pk", "voter", "target", "tally", "code")  # fmt: skip


#: Issue #12.4: a 20-digit id among good ones in every list field (forms and API bodies), and
#: years 0 and 20 digits in every year field.
TWENTY = "9" * 20
FORM_LISTS = {f: ["1", TWENTY] for f in POST_FIELDS} | {"year": "0", "year_from": TWENTY}
LIST_KEYS = ("member_ids", "village_ids", "post_ids", "opinion_ids", "other_ids", "gone")
API_LISTS = (
    "{"
    + ", ".join(f'"{k}": [1, {TWENTY}]' for k in LIST_KEYS)
    + f', "village_id": 1, "township_id": 1, "year": {TWENTY}, "choices": {{"1": "x"}}'
    + "}"
)


def server_errors(clients: dict[str, Client], urls) -> list[str]:
    """Each URL by each client: GET with every query field set to nonsense and to an oversized
    number, POST with every form field so set (the API: oversized ids in JSON); GET with a year
    of 0 and of 20 digits, POST with a 20-digit id in every list field. A server error
    is collected (the clients do not raise), so a failing test lists them all."""
    errors = []
    for url in sorted(urls):
        for who, c in clients.items():
            answers = [("GET", c.get(url, {"year": year})) for year in YEARS[:2]]
            if url.startswith("/api/"):
                answers.append(("POST", c.post(url, API_LISTS, content_type="application/json")))
            else:
                answers.append(("POST", c.post(url, FORM_LISTS)))
            errors += [
                f"{who} {method} {url} years/lists: {r.status_code}"
                for method, r in answers
                if r.status_code >= 500
            ]
            for bad in ("abc", HUGE):
                answers = [("GET", c.get(url, dict.fromkeys(GET_FIELDS, bad)))]
                if url.startswith("/api/"):
                    body = f'{{"village_id": {HUGE}, "year": {HUGE}, "version": "{bad}"}}'
                    answers.append(("POST", c.post(url, body, content_type="application/json")))
                else:
                    answers.append(("POST", c.post(url, dict.fromkeys(POST_FIELDS, bad))))
                errors += [
                    f"{who} {method} {url} {bad[:3]}: {r.status_code}"
                    for method, r in answers
                    if r.status_code >= 500
                ]
    return errors


def clients_for(*users) -> dict[str, Client]:
    out = {"anonymous": Client(raise_request_exception=False)}
    for user in users:
        out[user.username] = Client(raise_request_exception=False)
        out[user.username].force_login(user)
    return out


def test_bad_input_never_causes_a_server_error(cast):
    urls = {u for r in patterns() for u in concrete(r) if "logout" not in u}
    assert len(urls) > 100  # the whole site, not a handful
    clients = clients_for(cast.district, cast.secretary_a, cast.branch, cast.outsider)
    errors = server_errors(clients, urls)
    assert not errors, "server errors:\n" + "\n".join(errors)


def test_a_malformed_form_gets_the_chinese_bad_request_page(cast, tree):
    c = Client()
    c.force_login(cast.secretary_a)
    r = c.post("/evaluation/groups/new/", {"township": tree.a.pk, "members": ["x"]})
    assert r.status_code == 400
    assert "请求格式不正确" in r.content.decode()


@pytest.mark.parametrize(
    "raw, expected",
    [("12", 12), (" 7 ", 7), ("0", 0), ("", None), (None, None), ("abc", None), ("-1", None),
     ("1.5", None), ("９", None), ("9" * 18, int("9" * 18)), ("9" * 19, None)],
)  # fmt: skip
def test_primary_keys_from_forms(raw, expected):
    from jiannuo.core import ids

    assert ids.pk(raw) == expected
    assert ids.pks([raw, "3"]) == (None if expected is None else [expected, 3])


def test_forged_forms_on_real_objects_never_cause_a_server_error():
    """The same, on the demo district, with ids of objects that exist (1, 2, 3), by a village
    branch secretary, a township party secretary and the district administrator."""
    from django.contrib.auth.models import User

    from jiannuo.demo import load

    load()
    urls = set()
    for route in patterns():
        if route.startswith("^") or "(?P" in route or "logout" in route:
            continue
        for value in ("1", "2", "3"):
            for year in ("2026", *YEARS):  # real ids with an impossible year

                def sub(m, v=value, y=year):
                    if m.group(1) != "int":
                        return "SQ01"
                    return y if m.group(2) == "year" else v

                urls.add("/" + PARAM.sub(sub, route))
    users = User.objects.filter(username__in=["liushu_sec", "sq_secretary", "district"])
    errors = server_errors(clients_for(*users), urls)
    assert not errors, "server errors:\n" + "\n".join(errors)
