"""Lists that scale (#13): every list of /api/v1 is paginated (``limit``/``offset``, answer
``{items, count}``), and the ``unit_id``, ``year`` and ``state`` filters a list declares in the
OpenAPI document really filter: the filtered page is exactly the rows of the unfiltered one that
match, neither empty nor all of them. The biggest lists read a page in a number of queries that
does not grow with the rows in scope.

Rows are made in two villages of two townships (柳树村 under 石桥镇, 东湖村 under 东湖街道), in two
years and in two states, as the steps before would leave them (the workflows are tested in their
apps); the district's administrator lists them.
"""

from __future__ import annotations

import functools
import itertools
import json
from datetime import date, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiannuo.accountability import rules as acc_rules
from jiannuo.accountability.models import Case
from jiannuo.api.main import api as ninja_api
from jiannuo.evaluation.models import AssessmentGroup, Round
from jiannuo.organisation.models import Unit
from jiannuo.pledges import rules as pledge_rules
from jiannuo.pledges.models import Letter
from jiannuo.signing.models import Ceremony, SignedLetter
from jiannuo.supervision.models import Adjustment, Inspection, ItemState
from tests.factories import make_signed_letter, signed_year

FILTERS = ("unit_id", "year", "state")
_keys = itertools.count(1)


@functools.cache
def _doc() -> dict:
    # Through JSON, as a client reads it (status codes as strings, lazy texts as text).
    return json.loads(json.dumps(ninja_api.get_openapi_schema(), default=str))


def _list_operations():
    """(path, operation) of every GET whose answer is a page."""
    out = []
    for path, ops in _doc()["paths"].items():
        op = ops.get("get")
        if op and any(p["name"] == "limit" for p in op.get("parameters", [])):
            out.append((path, op))
    return out


def _response_schema(op):
    doc = _doc()
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


# ---------------------------------------------------------------------------------------------
# The rows: two villages, two years, two states.


def _when(year, month=3):
    return timezone.make_aware(datetime(year, month, 1, 9, 0))


@pytest.fixture
def world(tree, cast, system):
    by = cast.secretary_a
    signed_year(tree, cast, system, year=2026)  # 柳树村 2026: team + three cadres, signed
    a1_2025 = make_signed_letter(tree.a1, tree.term, Letter.TEAM, year=2025)
    b1_2026 = make_signed_letter(tree.b1, tree.term, Letter.TEAM, year=2026)
    a1_2026 = SignedLetter.objects.filter(letter__village=tree.a1, letter__year=2026).first()
    Letter.objects.create(
        village=tree.a2, term=tree.term, year=2026, kind=Letter.TEAM, state=pledge_rules.DRAFT
    )
    for village, year, state in [
        (tree.a1, 2026, Ceremony.SCHEDULED),
        (tree.a1, 2025, Ceremony.CLOSED),
        (tree.b1, 2026, Ceremony.SCHEDULED),
    ]:
        Ceremony.objects.create(
            village=village,
            term=tree.term,
            year=year,
            scheduled_at=_when(year),
            place="村委会",
            state=state,
            checkin_code=f"code{next(_keys)}",
            created_by=by,
        )
    for village, year in [(tree.a1, 2026), (tree.a1, 2025), (tree.b1, 2026)]:
        Inspection.objects.create(
            village=village,
            kind=Inspection.KINDS[0][0],
            date=date(year, 5, 1),
            inspectors="督查组",
            created_by=by,
        )
    for signed, state in [(a1_2026, "requested"), (a1_2025, "approved"), (b1_2026, "requested")]:
        row = ItemState.objects.create(
            letter=signed.letter, item_code="1", village=signed.letter.village
        )
        Adjustment.objects.create(
            state_row=row,
            village=signed.letter.village,
            reason="客观原因",
            state=state,
            requested_by=by,
        )
    for township, village, year in [(tree.a, tree.a1, 2026), (tree.a, tree.a1, 2025)]:
        AssessmentGroup.objects.create(township=township, year=year, name=f"考核组{year}")
        AssessmentGroup.objects.filter(year=year, township=township).last().villages.add(village)
    AssessmentGroup.objects.create(township=tree.b, year=2026, name="东湖考核组").villages.add(
        tree.b1
    )
    for village, year, state in [
        (tree.a1, 2026, Round.DRAFT),
        (tree.a1, 2025, Round.CLOSED),
        (tree.b1, 2026, Round.DRAFT),
    ]:
        Round.objects.create(
            village=village,
            term=tree.term,
            year=year,
            method=Round.PAPER,
            state=state,
            meeting_kind="村民代表会议",
            created_by=by,
        )
    for village, year, state, measure in [
        (tree.a1, 2026, "proposed", "reminder"),
        (tree.a1, 2025, "decided", "reminder"),
        (tree.b1, 2026, "proposed", "reminder"),
        (tree.a1, 2026, "decided", acc_rules.NO_HONOURS),
        (tree.b1, 2026, "decided", acc_rules.NO_HONOURS),
        (tree.b1, 2026, "dismissed", acc_rules.NO_HONOURS),
    ]:
        Case.objects.create(
            key=f"list-{next(_keys)}",
            township=village.parent,
            village=village,
            year=year,
            subject="team",
            measure=measure,
            clause="§四",
            state=state,
            opened_by=by,
            opened_at=timezone.now(),
            reply_due=timezone.now(),
        )
    return tree


# ---------------------------------------------------------------------------------------------
# The table: for each list that declares a filter, what an answer's row is (its units, year and
# state, read from the database), and the state to filter by.


def _letter(i, key="letter_id"):
    letter = Letter.objects.select_related("village").get(pk=i[key])
    return {"units": [letter.village], "year": letter.year, "state": letter.state}


def _village(i, year):
    return [Unit.objects.get(pk=i["village_id"])], year


def _row(i):
    units, year = _village(i, i["year"])
    return {"units": units, "year": year, "state": i["state"]}


def _group(i):
    g = AssessmentGroup.objects.get(pk=i["id"])
    return {"units": [g.township, *g.villages.all()], "year": g.year}


def _inspection(i):
    units, year = _village(i, date.fromisoformat(i["date"]).year)
    return {"units": units, "year": year}


def _adjustment(i):
    return {**_letter(i), "state": i["state"]}


LISTS = {
    "/api/v1/pledges/letters": (lambda i: _letter(i, "id"), "draft"),
    "/api/v1/signing/ceremonies": (_row, "closed"),
    "/api/v1/signing/signed": (_letter, None),
    "/api/v1/signing/custody": (_letter, None),
    "/api/v1/supervision/items": (_letter, None),
    "/api/v1/supervision/inspections": (_inspection, None),
    "/api/v1/supervision/adjustments": (_adjustment, "approved"),
    "/api/v1/evaluation/groups": (_group, None),
    "/api/v1/evaluation/rounds": (_row, "closed"),
    "/api/v1/accountability/cases": (_row, "decided"),
    "/api/v1/accountability/honours": (_row, None),
}

#: What a list needs to be asked at all: the honours are those of one year.
REQUIRED = {"/api/v1/accountability/honours": {"year": 2026}}


def _declared(op) -> list[str]:
    return [
        p["name"] for p in op.get("parameters", []) if p["in"] == "query" and p["name"] in FILTERS
    ]


def _all(c: Client, path: str, **params) -> list[dict]:
    r = c.get(path, {"limit": 500, **REQUIRED.get(path, {}), **params})
    assert r.status_code == 200, (path, params, r.content[:300])
    body = r.json()
    assert body["count"] == len(body["items"])
    return body["items"]


def test_every_list_is_paginated_and_documents_its_filters():
    ops = _list_operations()
    assert len(ops) >= 20
    for path, op in ops:
        names = {p["name"]: p for p in op["parameters"]}
        assert {"limit", "offset"} <= set(names), path
        schema = _response_schema(op)
        assert {"items", "count"} <= set(schema["properties"]), path
        for name in _declared(op):
            assert names[name].get("description"), (path, name)
            assert names[name]["required"] is (name in REQUIRED.get(path, {})), (path, name)
        # A list across units says which units: every list with a unit filter is in the table,
        # and the table knows every list that declares a filter of rows by state.
        if {"unit_id", "state"} & set(_declared(op)):
            assert path in LISTS, f"{path} declares filters but is not in LISTS"


#: Lists bounded by what they are of, answered whole: a district's terms of office (one every
#: five years) and one village's posts on one day.
BOUNDED = {"/api/v1/terms", "/api/v1/units/{unit_id}/terms/{term_id}/outgoing"}


def test_no_get_answers_a_bare_array():
    """A GET that answers a list answers a page (a list could otherwise grow without bound),
    except the few lists bounded by what they are of."""
    for path, ops in _doc()["paths"].items():
        op = ops.get("get")
        if not op or "200" not in op["responses"]:
            continue
        content = op["responses"]["200"].get("content", {}).get("application/json")
        if content and path not in BOUNDED:
            assert content["schema"].get("type") != "array", path


CASES = [
    (path, name)
    for path, op in _list_operations()
    if path in LISTS
    for name in _declared(op)
    if name not in REQUIRED.get(path, {})
]


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p[8:]}?{n}" for p, n in CASES])
def test_declared_filter_filters(world, cast, path, name):
    facts, state = LISTS[path]
    c = Client()
    c.force_login(cast.district)
    everything = _all(c, path)
    assert everything, path
    values = {
        "unit_id": [world.a.pk, world.a1.pk, world.b.pk],
        "year": [2025, 2026],
        "state": [state],
    }[name]
    for value in values:
        if name == "unit_id":
            path_of = Unit.objects.get(pk=value).path

            def keep(i, path_of=path_of):
                return any(u.path.startswith(path_of) for u in facts(i)["units"])
        else:

            def keep(i, value=value):
                return facts(i)[name] == value

        expected = [i for i in everything if keep(i)]
        got = _all(c, path, **{name: value})
        assert got == expected, (path, name, value)
        assert 0 < len(got) < len(everything), (path, name, value)


@pytest.mark.parametrize("path", sorted(LISTS))
def test_unit_outside_scope_is_404(world, cast, path):
    """A township's secretary filtering by another township's village: 404, as for letters."""
    op = dict(_list_operations())[path]
    if "unit_id" not in _declared(op):
        pytest.fail(f"{path} has no unit filter")
    c = Client()
    c.force_login(cast.secretary_a)
    base = REQUIRED.get(path, {})
    assert c.get(path, {**base, "unit_id": world.a1.pk}).status_code == 200
    assert c.get(path, {**base, "unit_id": 10**9}).status_code == 404
    assert c.get(path, {**base, "unit_id": world.b1.pk}).status_code == 404
    assert c.get(path, {**base, "unit_id": world.district.pk}).status_code == 404


def test_pages_follow_a_stable_order(world, cast):
    """Walking a list page by page gives every row once, in the order of the whole list."""
    c = Client()
    c.force_login(cast.district)
    for path in LISTS:
        everything = _all(c, path)
        walked = []
        for offset in range(0, len(everything), 2):
            r = c.get(path, {**REQUIRED.get(path, {}), "limit": 2, "offset": offset}).json()
            assert r["count"] == len(everything)
            walked += r["items"]
        assert walked == everything, path


def _more_villages(tree, system, n):
    """``n`` more villages under 东湖街道, each with a signed team letter for 2026 and a
    ceremony and an inspection."""
    from jiannuo.organisation import services as org

    for k in range(n):
        village = org.unit_create(
            actor=system,
            kind=Unit.VILLAGE,
            name=f"新村{k}",
            code=f"DH{k + 10:02d}",
            parent=tree.b,
        )
        make_signed_letter(village, tree.term, Letter.TEAM, year=2026)
        Inspection.objects.create(
            village=village,
            kind="scheduled",
            date=date(2026, 5, 1),
            inspectors="组",
            created_by=system,
        )


BIG = [
    "/api/v1/pledges/letters",
    "/api/v1/signing/custody",
    "/api/v1/supervision/items",
    "/api/v1/supervision/inspections",
]


@pytest.mark.parametrize("path", BIG)
def test_a_page_costs_the_same_with_more_rows(
    world, cast, system, path, django_assert_max_num_queries
):
    c = Client()
    c.force_login(cast.district)
    c.get(path, {"limit": 3})  # the session and the caller's grants, once
    with CaptureQueriesContext(connection) as few:
        r = c.get(path, {"limit": 3})
    assert r.status_code == 200 and len(r.json()["items"]) == 3
    _more_villages(world, system, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = c.get(path, {"limit": 3})
    assert r.status_code == 200 and len(r.json()["items"]) == 3 and r.json()["count"] > 8


@pytest.mark.parametrize("path", sorted(LISTS))
def test_an_offset_past_the_end_answers_an_empty_page(world, cast, path):
    """An offset beyond the database's integers (schemathesis found it) is an empty page."""
    c = Client()
    c.force_login(cast.district)
    r = c.get(path, {**REQUIRED.get(path, {}), "unit_id": world.a.pk, "offset": 10**25})
    assert r.status_code == 200, r.content[:200]
    assert r.json()["items"] == [] and r.json()["count"] > 0
