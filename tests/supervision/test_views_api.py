"""Pages, API, bulletin section, to-do and digest of the supervision step (§五.3)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from jiannuo.core.todo import items_for
from jiannuo.supervision import selectors, services
from jiannuo.supervision.models import Digest, Evidence, Inspection, ItemState, Progress

from .conftest import JPEG, PNG, upload


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def item_url(signed, code="1"):
    return reverse("supervision:item", args=[signed.letter.pk, code])


def board(code="SQ01"):
    cache.clear()
    return Client().get(reverse("bulletin:village", args=[code])).content.decode()


def test_cadre_records_progress_with_a_photo_and_it_shows_on_the_bulletin(year, cast):
    c = client_for(cast.member)
    response = c.post(
        item_url(year.member),
        {
            "status": "in_progress",
            "percent": "45",
            "measured": "1.5公里",
            "note": "已完成路基",
            "public": "1",
            "files": [upload(JPEG, "road.jpg")],
        },
    )
    assert response.status_code == 302
    ev = Evidence.objects.get()
    assert ev.public and ev.content_type == "image/jpeg"
    html = board()
    assert 'data-progress="1" data-status="in_progress" data-percent="45"' in html
    assert reverse("supervision:evidence_file", args=[ev.pk]) in html
    assert "已完成路基" in html
    # Public evidence is served without log-in.
    file = Client().get(reverse("supervision:evidence_file", args=[ev.pk]))
    assert file.status_code == 200 and b"".join(file.streaming_content) == JPEG
    # Retracted: gone from the board and no longer public.
    services.evidence_retract(actor=cast.branch, evidence=ev, reason="拍错")
    html = board()
    assert reverse("supervision:evidence_file", args=[ev.pk]) not in html
    assert Client().get(reverse("supervision:evidence_file", args=[ev.pk])).status_code == 404


def test_private_progress_stays_off_the_bulletin(year, cast):
    services.progress_record(
        actor=cast.member,
        letter=year.member.letter,
        item_code="1",
        status="in_progress",
        percent=45,
        note="内部备注",
        files=[upload(PNG, "x.png")],
    )
    html = board()
    assert "内部备注" not in html and "data-progress" not in html
    ev = Evidence.objects.get()
    assert Client().get(reverse("supervision:evidence_file", args=[ev.pk])).status_code == 404
    assert (
        client_for(cast.branch_a2)
        .get(reverse("supervision:evidence_file", args=[ev.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(cast.supervisor)
        .get(reverse("supervision:evidence_file", args=[ev.pk]))
        .status_code
        == 200
    )


def test_board_stamp_changes_with_public_progress(year, cast):
    from jiannuo.bulletin.selectors import village_by_code

    before = village_by_code("SQ01", with_stamp=True).board_stamp
    services.progress_record(
        actor=cast.member,
        letter=year.member.letter,
        item_code="1",
        status="in_progress",
        percent=10,
    )
    assert village_by_code("SQ01", with_stamp=True).board_stamp == before  # private
    services.progress_record(
        actor=cast.member,
        letter=year.member.letter,
        item_code="1",
        status="in_progress",
        percent=20,
        public=True,
    )
    assert village_by_code("SQ01", with_stamp=True).board_stamp != before


def test_bulletin_section_queries_are_fixed(year, cast, django_assert_num_queries):
    from jiannuo.bulletin import selectors as bsel

    for signed, user in [(year.member, cast.member), (year.director, cast.director)]:
        services.progress_record(
            actor=user,
            letter=signed.letter,
            item_code="1",
            status="fulfilled",
            public=True,
            files=[upload()],
        )
    from jiannuo.pledges.models import PledgeItem
    from jiannuo.supervision import bulletin

    village = bsel.village_by_code("SQ01")
    items = list(PledgeItem.objects.filter(letter_version__signed__isnull=False))
    with django_assert_num_queries(2):  # the section's own share: states and evidence
        bulletin.load(village, items)
    with CaptureQueriesContext(connection) as small:
        bsel.board(village)
    for code in "234":
        services.progress_record(
            actor=cast.member,
            letter=year.member.letter,
            item_code=code,
            status="fulfilled",
            public=True,
            files=[upload(), upload(PNG, "b.png")],
        )
    with django_assert_num_queries(len(small.captured_queries)):
        b = bsel.board(village)
    [section] = [s for s in b.sections if s.key == "supervision"]
    assert section.data["reported"] == 5 and section.data["fulfilled"] == 5


def test_poster_shows_public_progress(year, cast):
    services.progress_record(
        actor=cast.member,
        letter=year.member.letter,
        item_code="1",
        status="fulfilled",
        public=True,
    )
    html = Client().get(reverse("bulletin:poster", args=["SQ01"])).content.decode()
    assert 'data-progress="1" data-status="fulfilled"' in html


def test_adjustment_is_shown_on_the_bulletin_with_its_reason(year, cast):
    adj = services.adjustment_request(
        actor=cast.branch,
        letter=year.team.letter,
        item_code="2",
        reason="特大暴雨冲毁路基",
        new_deadline=date(2026, 12, 31),
    )
    assert "特大暴雨" not in board()
    services.adjustment_decide(actor=cast.secretary_a, adjustment=adj, approve=True)
    html = board()
    assert "特大暴雨冲毁路基" in html and 'data-adjusted="2"' in html


def test_form_errors_are_shown_and_input_kept(year, cast):
    c = client_for(cast.member)
    with translation.override("en"):
        r = c.post(
            item_url(year.member),
            {"status": "fulfilled", "percent": "70", "note": "我写的备注"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert r.status_code == 400
    html = r.content.decode()
    assert "我写的备注" in html and 'class="error"' in html
    r = c.post(
        item_url(year.member),
        {"status": "in_progress", "percent": "5", "files": [upload(b"#!/bin/sh\n", "evil.jpg")]},
    )
    assert r.status_code == 400 and Progress.objects.count() == 0


@pytest.mark.parametrize(
    "who, status",
    [
        ("director", 403),
        ("supervisor", 403),
        ("staff_a", 403),
        ("branch_a2", 404),
        ("secretary_b", 404),
        ("voter", 404),
        ("outsider", 404),
    ],
)
def test_refused_recorders(year, cast, who, status):
    r = client_for(getattr(cast, who)).post(
        item_url(year.member), {"status": "in_progress", "percent": "5"}
    )
    assert r.status_code == status
    assert not ItemState.objects.exists()


def test_item_page_for_viewers(year, cast):
    for who in ("supervisor", "district", "staff_a", "assessor_a"):
        r = client_for(getattr(cast, who)).get(item_url(year.member))
        assert r.status_code == 200
        assert 'id="progress-form"' not in r.content.decode()
    r = client_for(cast.member).get(item_url(year.member))
    assert 'id="progress-form"' in r.content.decode()


def test_inspection_pages(year, cast, tree):
    c = client_for(cast.staff_a)
    key = f"{year.director.letter.pk}:2"
    r = c.post(
        reverse("supervision:inspection_new", args=[tree.a1.pk]),
        {
            "kind": "unannounced",
            "date": "2026-04-01",
            "inspectors": "镇督查组",
            "item_0": key,
            "text_0": "进度滞后",
            "rectify_by_0": "2026-04-30",
        },
    )
    insp = Inspection.objects.get()
    assert r.status_code == 302 and r.url == reverse("supervision:inspection", args=[insp.pk])
    f = insp.findings.get()
    r = client_for(cast.branch).post(
        reverse("supervision:finding_respond", args=[f.pk]), {"response": "已整改"}
    )
    assert r.status_code == 302
    client_for(cast.staff_a).post(
        reverse("supervision:finding_signoff", args=[f.pk]), {"accept": "1"}
    )
    f.refresh_from_db()
    assert f.state == "closed"
    assert (
        client_for(cast.branch)
        .get(reverse("supervision:inspection_new", args=[tree.a1.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(cast.branch_a2)
        .get(reverse("supervision:inspection", args=[insp.pk]))
        .status_code
        == 404
    )


def test_todo_and_digest(year, cast, monkeypatch, settings):
    monkeypatch.setattr(selectors, "current_day", lambda: date(2026, 4, 10))
    services.inspection_record(
        actor=cast.staff_a,
        village=year.team.letter.village,
        kind="scheduled",
        day=date(2026, 4, 1),
        inspectors="镇督查组",
        findings=[
            {
                "letter": year.director.letter,
                "item_code": "2",
                "text": "滞后",
                "rectify_by": date(2026, 4, 8),
            }
        ],
    )
    with translation.override("en"):
        titles = [i.title for i in items_for(cast.director) if i.step == "supervision"]
        # Director's item 1 (deadline 03-31) is overdue; item 2 due 06-30 is not near.
        assert any("Report progress" in t for t in titles)
        branch = [i.title for i in items_for(cast.branch) if i.step == "supervision"]
        assert any("Rectify and respond" in t for t in branch)
        assert any("Publish this quarter" in t for t in branch)
        township = [i.title for i in items_for(cast.staff_a) if i.step == "supervision"]
        assert any("past their deadline" in t for t in township)
    assert not [i for i in items_for(cast.voter) if i.step == "supervision"]
    cast.director.email = "dir@example.org"
    cast.director.save()
    call_command("supervision_digest", "--day", "2026-04-10")
    assert Digest.objects.filter(user=cast.director, day=date(2026, 4, 10)).exists()
    assert not mail.outbox  # no e-mail host configured
    settings.EMAIL_HOST = "smtp.example.org"
    call_command("supervision_digest", "--day", "2026-04-11")
    assert [m.to for m in mail.outbox] == [["dir@example.org"]]
    call_command("supervision_digest", "--day", "2026-04-11")  # same day: replaced, not added
    assert Digest.objects.filter(user=cast.director).count() == 2


def test_todo_queries_are_fixed(year, cast, django_assert_num_queries):
    cast.branch._jiannuo_grants = None
    items_for(cast.branch)  # grants cached on the user
    from jiannuo.supervision.todo import supervision_items

    with django_assert_num_queries(11) as small:
        supervision_items(cast.branch)
    for signed, user in [(year.member, cast.member), (year.secretary, cast.branch)]:
        for code in "1234":
            services.progress_record(
                actor=user, letter=signed.letter, item_code=code, status="in_progress", percent=5
            )
    with django_assert_num_queries(len(small.captured_queries)):
        supervision_items(cast.branch)


def test_api_progress_evidence_and_refusals(year, cast):
    c = client_for(cast.member)
    url = f"/api/v1/supervision/items/{year.member.letter.pk}/1"
    r = c.post(
        url + "/progress",
        {"status": "in_progress", "percent": 30, "public": True},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    r = c.post(url + "/evidence", {"file": upload(PNG, "p.png"), "public": "true"})
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"
    r = c.post(url + "/evidence", {"file": upload(b"MZ\x90\x00", "evil.jpg")})
    assert r.status_code == 400 and r.json()["code"] == "file_type"
    r = c.post(
        url + "/progress", {"status": "fulfilled", "percent": 20}, content_type="application/json"
    )
    assert r.status_code == 400
    assert c.get(url).json()["percent"] == 30
    assert c.get(url + "/timeline").json()["count"] == 1
    r = client_for(cast.director).post(
        url + "/progress", {"status": "fulfilled"}, content_type="application/json"
    )
    assert r.status_code == 403
    r = client_for(cast.branch_a2).post(
        url + "/progress", {"status": "fulfilled"}, content_type="application/json"
    )
    assert r.status_code == 404
    ev = Evidence.objects.get()
    r = client_for(cast.branch).post(
        f"/api/v1/supervision/evidence/{ev.pk}/retract",
        {"reason": "错误"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["retract_reason"] == "错误"
    items = client_for(cast.supervisor).get("/api/v1/supervision/items?year=2026").json()["items"]
    assert len(items) == 16
    assert client_for(cast.outsider).get("/api/v1/supervision/items").json()["items"] == []


def test_api_inspection_and_adjustment(year, cast, tree):
    r = client_for(cast.staff_a).post(
        "/api/v1/supervision/inspections",
        {
            "village_id": tree.a1.pk,
            "kind": "scheduled",
            "date": "2026-04-01",
            "inspectors": "镇督查组",
            "findings": [
                {
                    "letter_id": year.member.letter.pk,
                    "item_code": "1",
                    "text": "滞后",
                    "rectify_by": "2026-04-20",
                }
            ],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    fid = r.json()["findings"][0]["id"]
    listed = client_for(cast.staff_a).get(
        f"/api/v1/supervision/inspections?village_id={tree.a1.pk}"
    )
    assert [i["id"] for i in listed.json()["items"]] == [r.json()["id"]]
    # An id beyond any database integer (found by schemathesis): no rows, not a server error.
    huge = client_for(cast.staff_a).get("/api/v1/supervision/inspections?village_id=-" + "9" * 22)
    assert (huge.status_code, huge.json()) == (200, {"items": [], "count": 0})
    r = client_for(cast.branch).post(
        f"/api/v1/supervision/findings/{fid}/respond",
        {"response": "已整改"},
        content_type="application/json",
    )
    assert r.json()["state"] == "responded"
    r = client_for(cast.staff_a).post(
        f"/api/v1/supervision/findings/{fid}/signoff",
        {"accept": True},
        content_type="application/json",
    )
    assert r.json()["state"] == "closed"
    r = client_for(cast.branch).post(
        f"/api/v1/supervision/items/{year.team.letter.pk}/3/adjustments",
        {"reason": "上级政策调整", "new_target": "完成50%"},
        content_type="application/json",
    )
    assert r.status_code == 201
    aid = r.json()["id"]
    r = client_for(cast.staff_a).post(
        f"/api/v1/supervision/adjustments/{aid}/decide",
        {"approve": True},
        content_type="application/json",
    )
    assert r.status_code == 403
    r = client_for(cast.deputy_a).post(
        f"/api/v1/supervision/adjustments/{aid}/decide",
        {"approve": True},
        content_type="application/json",
    )
    assert r.json()["state"] == "approved"
    assert client_for(cast.staff_a).get("/api/v1/supervision/inspections").json()["count"] == 1


def test_digest_page_shows_only_ones_own(year, cast, monkeypatch):
    monkeypatch.setattr(selectors, "current_day", lambda: date(2026, 4, 10))
    services.digest_build(day=date(2026, 4, 10))
    html = client_for(cast.director).get(reverse("supervision:digests")).content.decode()
    assert 'data-digest="2026-04-10"' in html
    assert Digest.objects.filter(user=cast.director).exists()
    assert not Digest.objects.filter(user=cast.outsider).exists()
