"""The bulletin's JSON API (#4.8: public board without log-in, the posting record with an
account) and the branch secretary's to-do entry to record the poster after a publication."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jiannuo.bulletin import services
from jiannuo.bulletin.models import PosterPosting
from jiannuo.bulletin.todo import bulletin_todo
from jiannuo.signing.models import SignedLetter

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _client(user=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_public_board_api_without_login(village):
    """§三.4: the same content as the page: published letters in force, history, reasons."""
    assert any(
        v["code"] == "SQ01" for v in _client().get("/api/v1/bulletin/villages").json()["items"]
    )
    r = _client().get("/api/v1/bulletin/villages/SQ01")
    assert r.status_code == 200
    data = r.json()
    assert data["published"] is True
    assert [x["version"] for x in data["letters"]] == [2]  # team letter v2 in force
    texts = [i["text"] for x in data["letters"] for i in x["items"]]
    assert texts == [f"新版承诺{n}" for n in range(4)]
    assert {i["status"] for x in data["letters"] for i in x["items"]} == {
        "in_progress",
        "deadline_passed",
    }
    history = {(h["version"], h["in_force"]) for h in data["history"]}
    assert history == {(1, False), (2, True)}
    assert data["hot_issues_not_adopted"] == [
        {"label": "修建村文化广场", "reason": "村集体资金不足，列入下届规划"}
    ]
    assert data["tasks_not_adopted"][0]["label"] == "建设村级光伏电站"
    body = r.content.decode()
    for private in ("草稿承诺", "未公布承诺", "钱小花", "13712345678", "村口的路太烂了"):
        assert private not in body
    assert _client().get("/api/v1/bulletin/villages/NOPE").status_code == 404


def test_public_board_api_queries_fixed(village, tree, django_assert_max_num_queries):
    from .conftest import make_letter, make_version, sign

    with django_assert_max_num_queries(30) as small:
        _client().get("/api/v1/bulletin/villages/SQ01")
    letter = make_letter(tree.a1, tree.term, "team", year=2024)
    sign(make_version(letter, 1, items=40))
    with django_assert_max_num_queries(len(small.captured_queries)):
        data = _client().get("/api/v1/bulletin/villages/SQ01").json()
    assert sum(len(x["items"]) for x in data["letters"]) == 44


def test_posting_api(village, cast, tree, settings, tmp_path):
    """The posting record: the branch secretary only; the same service and checks as the page."""
    settings.MEDIA_ROOT = tmp_path
    url = "/api/v1/bulletin/villages/SQ01/postings"
    assert _client().get(url).status_code == 401
    for user in (cast.member, cast.staff_a, cast.branch_a2, cast.outsider):
        assert _client(user).get(url).status_code == 403
        r = _client(user).post(url, {"year": 2026, "posted_on": "2026-03-21"})
        assert r.status_code == 403
    bad = SimpleUploadedFile("board.jpg", b"#!/bin/sh", content_type="image/jpeg")
    r = _client(cast.branch).post(url, {"year": 2026, "posted_on": "2026-03-21", "photo": bad})
    assert r.status_code == 400 and r.json()["code"] == "photo_type"
    assert not PosterPosting.objects.exists()
    photo = SimpleUploadedFile("board.png", PNG, content_type="image/png")
    r = _client(cast.branch).post(url, {"year": 2026, "posted_on": "2026-03-21", "photo": photo})
    assert r.status_code == 201 and r.json()["has_photo"] is True
    assert [p["posted_on"] for p in _client(cast.branch).get(url).json()["items"]] == ["2026-03-21"]
    assert _client().get("/api/v1/bulletin/villages/SQ01").json()["posted_on"] == "2026-03-21"


def test_posting_todo_after_publication(village, cast, tree, django_assert_max_num_queries):
    """§三.4: after a publication the branch secretary records the poster; then it is done,
    until the next publication."""
    with django_assert_max_num_queries(3):
        items = bulletin_todo(cast.branch)
    assert [i.url for i in items] == ["/bulletin/SQ01/posting/"]
    for user in (cast.member, cast.staff_a, cast.branch_a2, cast.outsider, cast.voter):
        assert bulletin_todo(user) == []
    services.poster_posting_record(
        actor=cast.branch, village=tree.a1, year=2026, posted_on=timezone.localdate()
    )
    assert bulletin_todo(cast.branch) == []
    SignedLetter.objects.filter(published_at__isnull=True).update(published_at=timezone.now())
    assert len(bulletin_todo(cast.branch)) == 1
    assert bulletin_todo(cast.branch_a2) == []  # 河口村 has nothing published
