"""The pledges API: the same services and permissions as the pages (§三.2, §三.3, §五.2)."""

from __future__ import annotations

from django.test import Client

from jiannuo.pledges import rules
from jiannuo.pledges.models import Letter, PledgeItem

from .conftest import MEETING_DAY, YEAR, reload, team_post_ids

API = "/api/v1/pledges"


def api(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_prepare_and_list_letters(cast, tree):
    c = api(cast.branch)
    r = c.post(
        f"{API}/villages/{tree.a1.pk}/letters", {"year": YEAR}, content_type="application/json"
    )
    assert r.status_code == 201 and len(r.json()) == 4
    r = c.get(f"{API}/letters", {"village_id": tree.a1.pk, "year": YEAR})
    assert [x["kind"] for x in r.json()["items"]] == ["team", "secretary", "member", "member"]
    assert r.json()["items"][0]["blocking"] == 7


def test_other_village_and_other_township_get_404(cast, letters, tree):
    for who in ("branch_a2", "secretary_b", "outsider"):
        assert api(getattr(cast, who)).get(f"{API}/letters/{letters.team.pk}").status_code == 404
        r = api(getattr(cast, who)).get(f"{API}/letters", {"village_id": tree.a1.pk, "year": YEAR})
        assert r.status_code == 404


def test_item_crud_with_version_and_conflict(cast, letters):
    c = api(cast.branch)
    letter = letters.team
    body = {
        "version": letter.version,
        "category": "work_goal",
        "text": "年内硬化村内道路3公里",
        "target": "3公里",
        "deadline": "2026-10-31",
    }
    r = c.post(f"{API}/letters/{letter.pk}/items", body, content_type="application/json")
    assert r.status_code == 201, r.content
    item_id = r.json()["id"]
    # A second save with the same (now stale) version: 409, nothing overwritten.
    body["text"] = "年内硬化村内道路5公里"
    r = c.put(f"{API}/items/{item_id}", body, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    assert PledgeItem.objects.get(pk=item_id).text == "年内硬化村内道路3公里"
    body["version"] = reload(letter).version
    r = c.put(f"{API}/items/{item_id}", body, content_type="application/json")
    assert r.status_code == 200 and r.json()["text"] == "年内硬化村内道路5公里"
    r = c.delete(f"{API}/items/{item_id}?version={reload(letter).version}")
    assert r.status_code == 204
    assert not PledgeItem.objects.filter(pk=item_id).exists()


def test_clause_crud(cast, letters):
    c = api(cast.director)
    letter = letters.secretary
    body = {
        "version": letter.version,
        "category": "economic_loss",
        "trigger": "因失职造成集体经济损失",
        "measure": "按损失金额的30%赔偿",
        "amount": "5000",
    }
    r = c.post(f"{API}/letters/{letter.pk}/clauses", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["code"] == "C1"
    clause_id = r.json()["id"]
    body.update(version=reload(letter).version, measure="视情况处理")
    r = c.put(f"{API}/clauses/{clause_id}", body, content_type="application/json")
    assert r.status_code == 200
    r = c.delete(f"{API}/clauses/{clause_id}?version={reload(letter).version}")
    assert r.status_code == 204


def test_member_cannot_edit_the_team_letter(cast, letters):
    r = api(cast.member).post(
        f"{API}/letters/{letters.team.pk}/items",
        {"version": letters.team.version, "category": "work_goal", "text": "修路3公里"},
        content_type="application/json",
    )
    assert r.status_code == 403


def test_quality_explains_findings(cast, letters):
    r = api(cast.branch).get(f"{API}/letters/{letters.team.pk}/quality")
    data = r.json()
    assert data["passes"] is False
    first = data["findings"][0]
    assert first["rule"] == "pledges.empty_category" and first["clause"] == "§二"
    assert first["severity"] == "block" and first["message"]


def test_workflow_through_the_api(cast, complete, tree):
    village = tree.a1.pk
    c = api(cast.branch)
    for letter in complete.all:
        r = c.post(
            f"{API}/letters/{letter.pk}/actions/submit_to_joint_meeting",
            {},
            content_type="application/json",
        )
        assert r.status_code == 200 and r.json()["state"] == rules.TABLED, r.content
    r = c.post(
        f"{API}/villages/{village}/joint-meetings",
        {
            "year": YEAR,
            "date": MEETING_DAY.isoformat(),
            "attendance": team_post_ids(tree.a1),
            "decisions": [{"letter_id": x.pk, "decision": "approved"} for x in complete.all],
        },
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["present"] == 3
    r = c.post(
        f"{API}/villages/{village}/consultations",
        {
            "year": YEAR,
            "date": MEETING_DAY.isoformat(),
            "comments": [{"letter_id": x.pk, "comment": "同意"} for x in complete.all],
        },
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["non_compliant"] is False
    r = c.post(
        f"{API}/letters/{complete.team.pk}/actions/submit", {}, content_type="application/json"
    )
    assert r.json()["state"] == rules.SUBMITTED
    # The village cannot approve its own letter.
    r = c.post(
        f"{API}/letters/{complete.team.pk}/actions/approve", {}, content_type="application/json"
    )
    assert r.status_code == 403
    # Another township's secretary does not even see it.
    r = api(cast.secretary_b).post(
        f"{API}/letters/{complete.team.pk}/actions/approve", {}, content_type="application/json"
    )
    assert r.status_code == 404
    r = api(cast.secretary_a).post(
        f"{API}/letters/{complete.team.pk}/actions/redo",
        {"note": "目标偏低，推倒重来", "copy_content": True},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == rules.DRAFT
    assert r.json()["current_version"] == 2
    r = c.get(f"{API}/letters/{complete.team.pk}/versions")
    assert [v["state"] for v in r.json()["items"]] == [rules.REDO, rules.DRAFT]
    r = c.get(f"{API}/letters/{complete.team.pk}/diff", {"a": 1, "b": 2})
    assert r.json()["items"] == {"added": [], "removed": [], "changed": []}


def test_out_of_order_step_is_400_with_code(cast, complete):
    r = api(cast.branch).post(
        f"{API}/letters/{complete.team.pk}/actions/submit", {}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["code"] == "out_of_order"


def test_coverage_endpoint(cast, complete, tree):
    r = api(cast.member).get(f"{API}/villages/{tree.a1.pk}/coverage", {"year": YEAR})
    items = r.json()["items"]
    assert [i["code"] for i in items] == ["T1", "T2", "T3", "T4"]
    assert all(len(i["owners"]) == 3 for i in items)


def test_bearer_token_works(cast, letters):
    from jiannuo.accounts.services import token_create

    _token, key = token_create(actor=cast.branch, name="test")
    r = Client().get(f"{API}/letters/{letters.team.pk}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200 and r.json()["kind"] == "team"
    assert Letter.objects.count() == 4
