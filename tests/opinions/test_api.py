"""The opinions API (/api/v1/opinions…): the same services and permissions as the pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jiannuo.accounts.services import token_create
from jiannuo.opinions import services
from jiannuo.opinions.models import HotIssue, Opinion, TownshipTask

from .conftest import YEAR

API = "/api/v1/opinions"


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _post(client, url, data, **extra):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def test_list_and_create_opinions(cast, tree):
    client = _client(cast.member)
    response = _post(
        client,
        API,
        {
            "village_id": tree.a1.pk,
            "year": YEAR,
            "text": "路灯不亮",
            "giver_name": "张三",
            "giver_phone": "13900001111",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["source"] == "card" and body["term_id"] == tree.term.pk
    listed = client.get(f"{API}?village_id={tree.a1.pk}&year={YEAR}").json()["items"]
    assert [o["text"] for o in listed] == ["路灯不亮"]
    # A team member may enter but not see the giver's phone afterwards.
    assert listed[0]["giver_phone"] is None


def test_create_with_bad_input_is_400_and_saves_nothing(cast, tree):
    client = _client(cast.branch)
    for text in ("", "长" * 501):
        response = _post(client, API, {"village_id": tree.a1.pk, "year": YEAR, "text": text})
        assert response.status_code == 400
        assert response.json()["code"] in ("text_empty", "text_too_long", "entries_invalid")
    response = _post(
        client,
        f"{API}/cards",
        {
            "village_id": tree.a1.pk,
            "year": YEAR,
            "entries": [{"text": "路灯不亮"}, {"text": "停水", "giver_phone": "abc"}],
        },
    )
    assert response.status_code == 400 and response.json()["details"][0]["row"] == 2
    assert not Opinion.objects.exists()


def test_other_village_is_404_and_voter_403(cast, tree):
    response = _post(
        _client(cast.branch_a2), API, {"village_id": tree.a1.pk, "year": YEAR, "text": "路灯"}
    )
    assert response.status_code == 404
    response = _post(
        _client(cast.supervisor), API, {"village_id": tree.a1.pk, "year": YEAR, "text": "路灯"}
    )
    assert response.status_code == 403
    assert not Opinion.objects.exists()


def test_anonymous_is_refused_except_on_the_public_endpoint(tree):
    client = _client()
    assert client.get(f"{API}?village_id={tree.a1.pk}").status_code == 401
    response = _post(client, f"{API}/public/{tree.a1.code}", {"text": "路灯不亮"})
    assert response.status_code == 201 and response.json() == {"received": True}
    assert Opinion.objects.get().source == Opinion.ONLINE


def test_public_endpoint_rate_limit_and_unknown_village(tree):
    client = _client()
    for i in range(services.PUBLIC_PER_CLIENT_PER_HOUR):
        assert (
            _post(client, f"{API}/public/{tree.a1.code}", {"text": f"意见{i}"}).status_code == 201
        )
    response = _post(client, f"{API}/public/{tree.a1.code}", {"text": "再来"})
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert _post(client, f"{API}/public/NOPE", {"text": "x"}).status_code == 404


def test_bearer_token(cast, tree):
    _token, key = token_create(actor=cast.branch, name="test")
    response = _post(
        Client(),
        API,
        {"village_id": tree.a1.pk, "year": YEAR, "text": "路灯不亮"},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201


def test_meetings_and_visits(cast, tree):
    client = _client(cast.branch)
    response = _post(
        client,
        f"{API}/meetings",
        {
            "village_id": tree.a1.pk,
            "year": YEAR,
            "date": "2026-01-10",
            "attendee_count": 30,
            "opinions": [{"text": "路灯不亮"}, {"text": "停水", "giver_name": "李四"}],
        },
    )
    assert response.status_code == 201 and len(response.json()["opinion_ids"]) == 2
    response = _post(
        client,
        f"{API}/visits",
        {
            "village_id": tree.a1.pk,
            "year": YEAR,
            "date": "2026-01-12",
            "household": "王家",
            "visitor": "李建国",
            "opinions": [{"text": "水管老化"}],
        },
    )
    assert response.status_code == 201
    assert client.get(f"{API}/meetings?village_id={tree.a1.pk}&year={YEAR}").json()["count"] == 1
    assert client.get(f"{API}/visits?village_id={tree.a1.pk}&year={YEAR}").json()["count"] == 1
    response = _post(
        client,
        f"{API}/meetings",
        {"village_id": tree.a1.pk, "year": YEAR, "date": "2026-01-10", "attendee_count": 0},
    )
    assert response.status_code == 400


def test_tasks(cast, tree):
    client = _client(cast.deputy_a)
    data = {
        "township_id": tree.a.pk,
        "year": YEAR,
        "title": "防汛",
        "target": "零伤亡",
        "deadline": "2026-06-01",
        "village_ids": [tree.a1.pk, tree.a2.pk],
    }
    response = _post(client, f"{API}/tasks", data)
    assert response.status_code == 201
    assert {a["village"] for a in response.json()["assignments"]} == {"柳树村", "河口村"}
    # A village of another township: refused, nothing saved.
    response = _post(client, f"{API}/tasks", {**data, "village_ids": [tree.a1.pk, tree.b1.pk]})
    assert response.status_code == 400 and response.json()["code"] == "village_outside"
    assert TownshipTask.objects.count() == 1
    # The other township's secretary cannot issue in 石桥镇.
    assert _post(_client(cast.secretary_b), f"{API}/tasks", data).status_code == 404
    # The village sees and answers its task.
    branch = _client(cast.branch)
    tasks = branch.get(f"{API}/tasks?village_id={tree.a1.pk}&year={YEAR}").json()["items"]
    assignment = tasks[0]["assignments"][0]
    assert assignment["status"] == "open"
    response = _post(
        branch, f"{API}/task-assignments/{assignment['id']}/not-adopt", {"reason": "已完成"}
    )
    assert response.status_code == 200 and response.json()["status"] == "not_adopted"
    listed = client.get(f"{API}/tasks?township_id={tree.a.pk}&year={YEAR}").json()["items"]
    assert {a["village"]: a["status"] for a in listed[0]["assignments"]} == {
        "柳树村": "not_adopted",
        "河口村": "open",
    }
    # 河口村's secretary cannot answer for 柳树村.
    response = _post(
        _client(cast.branch_a2),
        f"{API}/task-assignments/{assignment['id']}/not-adopt",
        {"reason": "x"},
    )
    assert response.status_code == 404


def test_hot_issue_lifecycle(cast, tree, opinions):
    client = _client(cast.director)
    response = _post(client, f"{API}/villages/{tree.a1.pk}/group", {"year": YEAR})
    assert response.status_code == 201
    issues = response.json()
    assert sum(i["opinion_count"] for i in issues) == len(opinions)
    a, b, c = issues[0], issues[1], issues[2]
    response = _post(
        client, f"{API}/hot-issues/{a['id']}/rename", {"label": "路灯", "version": a["version"]}
    )
    assert response.status_code == 200 and response.json()["version"] == a["version"] + 1
    stale = _post(
        client, f"{API}/hot-issues/{a['id']}/rename", {"label": "X", "version": a["version"]}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    a = response.json()
    response = _post(
        client,
        f"{API}/hot-issues/merge",
        {
            "target_id": a["id"],
            "other_ids": [b["id"]],
            "versions": {str(a["id"]): a["version"], str(b["id"]): b["version"]},
        },
    )
    assert response.status_code == 200
    a = response.json()
    assert a["opinion_count"] == issues[0]["opinion_count"] + b["opinion_count"]
    assert client.get(f"{API}/hot-issues/{b['id']}").json()["status"] == "merged"
    assert _post(client, f"{API}/hot-issues/{b['id']}/accept", {}).status_code == 400
    ids = [
        o["id"]
        for o in client.get(f"{API}?village_id={tree.a1.pk}&year={YEAR}").json()["items"]
        if o["hot_issue_id"] == a["id"]
    ]
    response = _post(
        client,
        f"{API}/hot-issues/{a['id']}/split",
        {"opinion_ids": ids[:1], "label": "拆出来", "version": a["version"]},
    )
    assert response.status_code == 201 and response.json()["opinion_count"] == 1
    assert _post(client, f"{API}/hot-issues/{a['id']}/accept", {}).status_code == 200
    response = _post(client, f"{API}/hot-issues/{a['id']}/not-adopt", {"reason": "需上级立项"})
    assert response.status_code == 200 and response.json()["not_adopted_reason"] == "需上级立项"
    assert _post(client, f"{API}/hot-issues/{c['id']}/decline", {}).json()["status"] == "declined"
    answers = client.get(f"{API}/villages/{tree.a1.pk}/required-answers?year={YEAR}").json()[
        "items"
    ]
    assert answers == [
        {"ref": f"hot_issue:{a['id']}", "label": "路灯", "source": "hot_issue", "adopted": False}
    ]


def test_hot_issue_actions_refused_outside_scope(cast, tree, issues):
    issue = issues[0]
    for who, status in (("branch_a2", 404), ("member", 403), ("secretary_a", 403)):
        response = _post(_client(getattr(cast, who)), f"{API}/hot-issues/{issue.pk}/accept", {})
        assert response.status_code == status, who
    response = _post(_client(cast.branch_a2), f"{API}/villages/{tree.a1.pk}/group", {"year": YEAR})
    assert response.status_code == 404
    assert HotIssue.objects.get(pk=issue.pk).status == HotIssue.PROPOSED


@pytest.mark.parametrize("who", ["secretary_b", "outsider", "voter"])
def test_required_answers_hidden_outside_scope(cast, tree, who):
    response = _client(getattr(cast, who)).get(
        f"{API}/villages/{tree.a1.pk}/required-answers?year={YEAR}"
    )
    assert response.status_code == 404


def test_public_rate_limit_counts_villagers_behind_the_trusted_proxy(tree, settings):
    """Issue #12.4: behind nginx every request came from 127.0.0.1, so six villagers shared one
    quota. X-Forwarded-For is read from trusted proxies (TRUSTED_PROXIES) only."""
    from jiannuo.core.clients import parse_networks

    settings.TRUSTED_PROXIES = parse_networks("127.0.0.1, 10.0.0.0/8")
    client = _client()
    url = f"{API}/public/{tree.a1.code}"
    n = services.PUBLIC_PER_CLIENT_PER_HOUR
    for i in range(n + 1):  # n + 1 villagers, one opinion each, all through the proxy
        r = _post(client, url, {"text": f"意见{i}"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{i + 1}")
        assert r.status_code == 201, i
    for i in range(n):  # one villager, even when a second proxy hop is added
        hop = "198.51.100.99, 10.1.2.3" if i % 2 else "198.51.100.99"
        assert _post(client, url, {"text": f"又{i}"}, HTTP_X_FORWARDED_FOR=hop).status_code == 201
    r = _post(client, url, {"text": "再来"}, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert r.status_code == 429
    # A villager cannot escape the limit by writing the header: only the proxy's entry counts.
    spoofed = "203.0.113.7, 198.51.100.99"
    assert _post(client, url, {"text": "换个"}, HTTP_X_FORWARDED_FOR=spoofed).status_code == 429


def test_forwarded_for_is_ignored_from_an_untrusted_address(tree, settings):
    from jiannuo.core.clients import parse_networks

    settings.TRUSTED_PROXIES = parse_networks("10.0.0.0/8")
    client = _client()
    url = f"{API}/public/{tree.a1.code}"
    for i in range(services.PUBLIC_PER_CLIENT_PER_HOUR):
        r = _post(client, url, {"text": f"意见{i}"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{i + 1}")
        assert r.status_code == 201
    r = _post(client, url, {"text": "再来"}, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert r.status_code == 429
