"""The OpenAPI document tells the truth (issue #13): one component per schema name, actions as
enums, every error status declared with the one error shape."""

from __future__ import annotations

import pytest
from ninja import Schema

from jiannuo.api.main import api


def _schema_classes():
    seen, todo = [], list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("jiannuo."):
            seen.append(cls)
    return seen


def test_no_two_schemas_share_a_name():
    """ninja names components by class name: two ``ItemOut`` classes overwrote each other, and
    the board's items were checked against the supervision item's schema."""
    by_name = {}
    for cls in _schema_classes():
        by_name.setdefault(cls.__name__, set()).add(cls.__module__)
    assert {n: m for n, m in by_name.items() if len(m) > 1} == {}


@pytest.fixture(scope="module")
def document():
    return api.get_openapi_schema()


def test_every_operation_declares_the_error_shape(document):
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            statuses = set(op["responses"])
            expected = {"400", "403", "404", "422"} | ({"409", "429"} if method != "get" else set())
            if op.get("security"):
                expected.add("401")
            got = {str(s) for s in statuses}
            assert expected <= got, (method, path, expected - got)
            for status in expected:
                ref = op["responses"][int(status)]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)


@pytest.mark.parametrize(
    ("path", "actions"),
    [
        (
            "/api/v1/pledges/letters/{letter_id}/actions/{action}",
            {"submit_to_joint_meeting", "submit", "approve", "return", "redo"},
        ),
        ("/api/v1/signing/ceremonies/{pk}/steps/{action}", {"hold", "close"}),
        ("/api/v1/evaluation/rounds/{pk}/steps/{action}", {"open", "close", "void"}),
        (
            "/api/v1/accountability/cases/{pk}/{action}",
            {"reply", "waive", "decide", "dismiss", "approve", "reject", "appeal"}
            | {"decide_appeal", "carry_out"},
        ),
    ],
)
def test_workflow_actions_are_enums_with_their_meaning(document, path, actions):
    (param,) = [p for p in document["paths"][path]["post"]["parameters"] if p["name"] == "action"]
    assert set(param["schema"]["enum"]) == actions
    for action in actions:
        assert f"- `{action}`: " in param["description"]


@pytest.mark.parametrize(
    ("schema", "state"),
    [
        ("LetterOut", "joint_meeting"),
        ("CeremonyOut", "held"),
        ("RoundOut", "void"),
        ("CaseOut", "awaiting_approval"),
    ],
)
def test_responses_list_their_states(document, schema, state):
    ref = document["components"]["schemas"][schema]["properties"]["state"]["$ref"]
    assert state in document["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]
