"""The accountability API (#7.7): the same services, scopes and errors as the pages."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jiannuo.accountability import rules
from jiannuo.accountability.models import Case
from jiannuo.organisation.models import PolicyVersion

pytestmark = pytest.mark.django_db


def client(user):
    c = Client()
    c.force_login(user)
    return c


def post(c, url, data=None):
    return c.post(url, data or {}, content_type="application/json")


@pytest.fixture
def api_facts(monkeypatch, year_facts):
    from jiannuo.accountability import facts as facts_mod

    monkeypatch.setattr(facts_mod, "collect", lambda township, year, settings: year_facts)


def test_preview_run_and_a_whole_case(cast, tree, api_facts):
    sec, dep, dis, director = (
        client(cast.secretary_a),
        client(cast.deputy_a),
        client(cast.district),
        client(cast.director),
    )
    r = sec.get(f"/api/v1/accountability/townships/{tree.a.pk}/2025/preview")
    assert r.status_code == 200
    assert {p["change"] for p in r.json()["proposals"]} == {"new"}
    r = post(sec, f"/api/v1/accountability/townships/{tree.a.pk}/2025/run")
    assert r.status_code == 201 and len(r.json()["summary"]["new"]) == 5
    r = post(sec, f"/api/v1/accountability/townships/{tree.a.pk}/2025/run")
    assert r.json()["summary"]["new"] == [] and Case.objects.count() == 5

    case = Case.objects.get(person=cast.director_person, measure=rules.RESIGNATION)
    url = f"/api/v1/accountability/cases/{case.pk}"
    r = director.get(url)
    assert r.status_code == 200 and r.json()["reasons"][0]["clause"] == "§四.3"
    r = post(sec, url + "/decide", {"decision": "责令辞职"})
    assert r.status_code == 400 and r.json()["code"] == "reply_window_open"
    assert post(director, url + "/reply", {"text": "我有异议"}).json()["state"] == "replied"
    assert post(dep, url + "/decide", {"decision": "责令辞职"}).json()["state"] == (
        "awaiting_approval"
    )
    r = post(dep, url + "/approve")
    assert r.status_code == 400 and r.json()["code"] == "same_approver"
    assert post(sec, url + "/approve").json()["in_force"] is True
    assert post(director, url + "/appeal", {"text": "不服"}).json()["state"] == "appealed"
    r = post(sec, url + "/decide_appeal", {"uphold": True, "decision": "维持"})
    assert r.status_code == 400 and r.json()["code"] == "took_part"
    r = post(dis, url + "/decide_appeal", {"uphold": True, "decision": "维持原决定"})
    assert r.json()["appeal_outcome"] == "upheld"


@pytest.mark.parametrize("who", ["secretary_b", "branch_a2", "outsider", "voter"])
def test_others_neither_see_nor_act(cast, tree, api_facts, who):
    post(client(cast.secretary_a), f"/api/v1/accountability/townships/{tree.a.pk}/2025/run")
    case = Case.objects.get(person=cast.member_person, measure=rules.YELLOW_CARD)
    c = client(getattr(cast, who))
    assert c.get(f"/api/v1/accountability/cases/{case.pk}").status_code == 404
    assert post(c, f"/api/v1/accountability/cases/{case.pk}/reply", {"text": "x"}).status_code == (
        404
    )
    assert c.get("/api/v1/accountability/cases").json() == {"items": [], "count": 0}
    r = post(c, f"/api/v1/accountability/townships/{tree.a.pk}/2025/run")
    assert r.status_code == 404


def test_appeal_after_the_window_is_refused(cast, tree, api_facts):
    post(client(cast.secretary_a), f"/api/v1/accountability/townships/{tree.a.pk}/2025/run")
    case = Case.objects.get(person=cast.member_person, measure=rules.YELLOW_CARD)
    url = f"/api/v1/accountability/cases/{case.pk}"
    post(client(cast.member), url + "/waive")
    post(client(cast.secretary_a), url + "/decide", {"decision": "黄牌"})
    Case.objects.filter(pk=case.pk).update(appeal_due=timezone.now() - timedelta(minutes=1))
    r = post(client(cast.member), url + "/appeal", {"text": "不服"})
    assert r.status_code == 400 and r.json()["code"] == "appeal_window_closed"
    assert Case.objects.get(pk=case.pk).state == rules.DECIDED


def test_honours_endpoint(cast, tree, api_facts):
    r = client(cast.district).get("/api/v1/accountability/honours", {"year": 2025})
    assert r.status_code == 200 and r.json() == {"items": [], "count": 0}


def test_settings_read_and_write(cast, tree):
    c = client(cast.district)
    r = c.get("/api/v1/accountability/settings", {"district_id": tree.district.pk, "year": 2026})
    data = r.json()["settings"]
    assert data["accountability"]["yellow_card_below"] == 60
    data["accountability"]["resignation_below"] = 65
    r = post(
        c,
        "/api/v1/accountability/settings",
        {"district_id": tree.district.pk, "year_from": 2026, "data": data, "note": "x"},
    )
    assert r.status_code == 400 and r.json()["code"] == "policy_invalid"
    assert PolicyVersion.objects.count() == 0
    data["accountability"]["resignation_below"] = 45
    r = post(
        c,
        "/api/v1/accountability/settings",
        {"district_id": tree.district.pk, "year_from": 2026, "data": data, "note": "从严"},
    )
    assert (
        r.status_code == 201 and r.json()["settings"]["accountability"]["resignation_below"] == 45
    )
    r = client(cast.secretary_a).get(
        "/api/v1/accountability/settings", {"district_id": tree.district.pk, "year": 2026}
    )
    assert r.status_code == 403
