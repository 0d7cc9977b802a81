"""The public village bulletin board (seed §三.4: "《承诺书》签订后，各项承诺内容要在村务公开栏
公布，让全体村民知晓，广泛接受群众的监督")."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jiannuo.bulletin import sections
from jiannuo.opinions.models import HotIssue
from jiannuo.pledges.models import Letter
from jiannuo.signing.models import Custody, Signature, SignedLetter

from .conftest import make_letter, make_version, sign

pytestmark = pytest.mark.django_db


def page(code, name="bulletin:village", **query):
    response = Client().get(reverse(name, args=[code]), query)
    assert response.status_code == 200
    return response.content.decode()


def test_index_lists_villages_without_login(tree):
    """§三.4: the board is public — no log-in needed."""
    response = Client().get(reverse("bulletin:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "柳树村" in body and "东湖村" in body
    assert reverse("bulletin:village", args=["SQ01"]) in body


def test_unknown_village_is_404(tree):
    assert Client().get(reverse("bulletin:village", args=["NOPE"])).status_code == 404


def test_nothing_published_yet(tree):
    """§三.4: until a letter is signed the page says so plainly."""
    body = page(tree.a2.code)
    assert "nothing-published" in body


def test_published_pledges_shown_drafts_never(village):
    """§三.4: only signed and published letters appear; drafts and unpublished ones never."""
    body = page("SQ01")
    assert "新版承诺0" in body and "新版承诺3" in body
    assert "草稿承诺" not in body
    assert "未公布承诺" not in body
    assert "nothing-published" not in body
    # Grouped by category and by status (deadline ahead / passed).
    for key in ("work_goal", "good_deed", "integrity", "guarantee"):
        assert f'data-category="{key}"' in body
    assert 'data-status="in_progress"' in body and 'data-status="deadline_passed"' in body


def test_superseded_version_only_in_history(village):
    """An older signed version is listed as superseded, its items not shown as in force."""
    body = page("SQ01")
    assert "旧版承诺" not in body
    assert 'class="superseded"' in body and 'class="in-force"' in body


def test_no_personal_data(village):
    """DOMAIN.md "Publication and privacy": villagers' opinions are personal data."""
    body = page("SQ01") + page("SQ01", "bulletin:poster")
    assert "钱小花" not in body
    assert "13712345678" not in body
    assert "村口的路太烂了" not in body
    for phone in ("1390000",):  # cadres' phones from the roster fixture
        assert phone not in body


def test_answered_and_not_adopted_with_reasons(village):
    """§三.1–2 made public: the hot issues answered, and what was not adopted and why."""
    body = page("SQ01")
    assert "村道坑洼难行" in body
    assert "修建村文化广场" in body and "村集体资金不足，列入下届规划" in body
    assert "建设村级光伏电站" in body and "村内无合适场地" in body


def test_poster_print_view(village):
    body = page("SQ01", "bulletin:poster", size="A3")
    assert "size: A3" in body and "@media print" in body
    assert "新版承诺0" in body and "草稿承诺" not in body
    assert "size: A4" in page("SQ01", "bulletin:poster")
    # Issue #18: the poster names the actual organs of the village and township.
    assert "中共柳树村支部委员会" in body and "柳树村村民委员会" in body and "石桥镇党委" in body


#: The board's own queries: the village with its cache stamp, the letters, the items and their
#: two prefetches (hot issues, township tasks), the clauses and signatures the signed text is
#: checked against (signing.integrity), issues and tasks not adopted, the posting, the audit
#: chain head published on the board (core.audit).
BOARD_QUERIES = 11


def _count(client, url) -> int:
    """Queries of one uncached rendering of the board."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_pledges(village, tree, monkeypatch):
    """The board's queries are pinned and fixed: 5 pledges and 50 pledges cost the same, with
    or without the sections later steps register (each adds a fixed number)."""
    client = Client()
    url = reverse("bulletin:village", args=["SQ01"])
    # Start from a board without letters. Signed letters are kept records that the ORM refuses
    # to delete (issue #18), so this test setup removes the fixture's rows in raw SQL.
    for model in (Signature, Custody, SignedLetter):
        model.objects.all()._raw_delete(model.objects.db)
    letter = make_letter(tree.a1, tree.term, Letter.TEAM, year=2025)
    sign(make_version(letter, 1, items=5))
    with monkeypatch.context() as m:
        m.setattr(sections, "_SECTIONS", {})
        assert _count(client, url) == BOARD_QUERIES
    with_sections = _count(client, url)
    letter2 = make_letter(tree.a1, tree.term, Letter.TEAM, year=2024)
    sign(make_version(letter2, 1, items=45))
    with monkeypatch.context() as m:
        m.setattr(sections, "_SECTIONS", {})
        assert _count(client, url) == BOARD_QUERIES
    assert _count(client, url) == with_sections
    cache.clear()
    assert client.get(url).content.decode().count("<li>承诺事项") == 50


def test_a_section_adds_its_fixed_queries_and_its_stamp(village, monkeypatch):
    """A registered section: its load runs once per board, its stamp is in the one stamp
    query, its template is rendered after the letters and its item template in every item."""
    client = Client()
    url = reverse("bulletin:village", args=["SQ01"])
    calls = []

    def load(v, items):
        calls.append(len(items))
        list(HotIssue.objects.filter(village_id=v.pk)[:1])  # one query
        return {"n": len(items)}

    monkeypatch.setattr(sections, "_SECTIONS", {})
    base = _count(client, url)
    sections.register(
        sections.Section(
            key="probe",
            order=1,
            load=load,
            stamp_sql=lambda: "SELECT COUNT(*) FROM opinions_hotissue h WHERE h.village_id = u.id",
        )
    )
    assert _count(client, url) == base + 1 and calls == [4]
    client.get(url)  # cached: no load
    assert calls == [4]
    HotIssue.objects.create(
        village=village.village,
        term=village.team.term,
        year=2026,
        label="新议题",
        status="accepted",
    )
    client.get(url)  # the section's stamp changed: rendered again
    assert calls == [4, 4]


def test_cached_board_is_one_query(village, django_assert_num_queries):
    """The cached path: one query (village and stamp), no session or user lookups."""
    client = Client()
    url = reverse("bulletin:village", args=["SQ01"])
    assert client.get(url).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200


def test_cached_board_changes_when_a_letter_is_published(village, tree):
    """The cached board follows publication and supersession at once (no stale pledges)."""
    assert "未公布承诺" not in page("SQ01")
    SignedLetter.objects.filter(version__items__text__startswith="未公布").update(
        published_at=timezone.now()
    )
    assert "未公布承诺0" in page("SQ01")
    SignedLetter.objects.filter(letter=village.team, superseded_at__isnull=True).update(
        superseded_at=timezone.now()
    )
    assert "新版承诺0" not in page("SQ01")


def test_cached_board_follows_not_adopted_reason(village):
    assert "新的理由" not in page("SQ01")
    HotIssue.objects.filter(pk=village.answered.pk).update(
        not_adopted_reason="新的理由", not_adopted_at=timezone.now()
    )
    assert "新的理由" in page("SQ01")


def test_cached_public_page_carries_each_visitors_csrf_token(village):
    """The whole public page is cached, but every visitor gets their own CSRF token, which the
    language switch on the page accepts."""
    import re

    url = reverse("bulletin:village", args=["SQ01"])
    first = Client(enforce_csrf_checks=True)
    first.get(url)
    second = Client(enforce_csrf_checks=True)
    response = second.get(url)  # served from the cache
    body = response.content.decode()
    assert "__jiannuo_csrf_token__" not in body and "新版承诺0" in body
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    assert "csrftoken" in response.cookies
    r = second.post(reverse("set_language"), {"language": "en", "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    r = Client(enforce_csrf_checks=True).post(
        reverse("set_language"), {"language": "en", "csrfmiddlewaretoken": token}
    )
    assert r.status_code == 403  # the token is the visitor's own, not shared


def test_signed_in_user_gets_their_own_page(village, cast):
    """The cached page is only for plain visitors: the branch secretary sees their actions."""
    client = Client()
    url = reverse("bulletin:village", args=["SQ01"])
    assert reverse("bulletin:posting", args=["SQ01"]) not in client.get(url).content.decode()
    client.force_login(cast.branch)
    assert reverse("bulletin:posting", args=["SQ01"]) in client.get(url).content.decode()
