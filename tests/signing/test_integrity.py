"""Signed is signed (issue #12): an UPDATE behind the application's back of a signed letter's
text is shown as tampering wherever the letter is shown or used — the public board, the
poster, the printed originals, the verification page, supervision and the assessment — and
never silently displayed or used (§三.4 "签订", §三.5 originals kept).

The tampering is done the way someone with database access would: plain SQL.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from jiannuo.evaluation import selectors as evaluation_selectors
from jiannuo.evaluation import services as evaluation_services
from jiannuo.pledges.models import PledgeItem
from jiannuo.signing import integrity, pdf
from jiannuo.signing.models import SignedLetter
from jiannuo.supervision import rules as supervision_rules
from jiannuo.supervision import selectors as supervision_selectors
from jiannuo.supervision import services as supervision_services
from tests.factories import signed_year

YEAR = 2026
FORGED = "伪造的承诺内容：村委会无需修路"


@pytest.fixture(autouse=True)
def _no_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def year(tree, cast, system):
    return signed_year(tree, cast, system, year=YEAR)


def _sql(statement, params):
    with connection.cursor() as cur:
        cur.execute(statement, params)


def tamper_item(signed, text=FORGED):
    """UPDATE the text of the signed letter's first item in the database."""
    item = PledgeItem.objects.filter(letter_version_id=signed.version_id).order_by("position")[0]
    _sql("UPDATE pledges_pledgeitem SET text = %s WHERE id = %s", [text, item.pk])
    return item


def tamper_snapshot_and_rows(signed):
    """Rewrite rows, snapshot and the version's hash consistently: only the signed hash (and
    the signatures bound to it) still say what was signed."""
    from jiannuo.pledges.selectors import content_hash, snapshot

    tamper_item(signed)
    version = signed.version
    snap = snapshot(version)
    _sql(
        "UPDATE pledges_letterversion SET snapshot = %s, content_hash = %s WHERE id = %s",
        [__import__("json").dumps(snap), content_hash(snap), version.pk],
    )


def test_intact_letters_check_out(year):
    checked = integrity.check(SignedLetter.objects.select_related("version"))
    assert checked and all(i.ok for i in checked.values())


def test_board_and_poster_show_tampering_not_the_edited_text(year, tree):
    tamper_item(year.team)
    for name in ("bulletin:village", "bulletin:poster"):
        body = Client().get(reverse(name, args=[tree.a1.code])).content.decode()
        assert FORGED not in body, name
        assert 'class="card error tampered"' in body, name
        assert year.team.verify_code in body, name
    # The other letters of the village are still shown.
    assert year.secretary.items[0].text in body


def test_board_shows_tampering_when_snapshot_and_hash_were_rewritten_too(year, tree):
    tamper_snapshot_and_rows(year.team)
    body = Client().get(reverse("bulletin:village", args=[tree.a1.code])).content.decode()
    assert FORGED not in body
    assert 'class="card error tampered"' in body


def test_verification_page_says_tampered_when_rows_change(year):
    url = reverse("signing:verify", args=[year.team.verify_code])
    assert 'id="tampered"' not in Client().get(url).content.decode()
    tamper_item(year.team)
    body = Client().get(url).content.decode()
    assert 'class="card error" id="result"' in body and 'id="tampered"' in body


def test_verification_page_says_tampered_when_everything_but_the_signed_hash_changes(year):
    tamper_snapshot_and_rows(year.team)
    body = Client().get(reverse("signing:verify", args=[year.team.verify_code])).content.decode()
    assert 'id="tampered"' in body


def test_printed_originals_refuse_a_tampered_letter(year):
    version = year.team.version
    assert "村两委班子承诺" in pdf.originals_html(version)
    tamper_item(year.team)
    with pytest.raises(integrity.Tampered):
        pdf.originals_html(version)


def test_supervision_shows_tampering_and_refuses_progress(year, cast):
    tamper_item(year.director)
    rows = [r for r in supervision_selectors.tracked(year=YEAR) if r.signed == year.director]
    assert rows and all(r.tampered and FORGED not in r.text for r in rows)
    with pytest.raises(integrity.Tampered):
        supervision_services.progress_record(
            actor=cast.director,
            letter=year.director.letter,
            item_code=year.director.items[0].code,
            status=supervision_rules.IN_PROGRESS,
            percent=40,
        )


def test_assessment_refuses_verdicts_and_results_on_a_tampered_letter(year, tree, cast):
    evaluation_services.group_create(
        actor=cast.secretary_a,
        township=tree.a,
        year=YEAR,
        name="第一考核组",
        members=[cast.assessor_a],
        villages=[tree.a1],
    )
    item = tamper_item(year.member)
    with pytest.raises(integrity.Tampered):
        evaluation_services.verdict_record(
            actor=cast.assessor_a, item=item, verdict="fulfilled", evidence="台账"
        )
    page = evaluation_selectors.assessment(tree.a1, YEAR)
    member = next(s for s in page["letters"] if s.pk == year.member.pk)
    assert member.integrity.tampered and member.assessed_items == []
    problems = [str(p) for p in evaluation_services.compute_results(tree.a1, YEAR)["problems"]]
    assert any(year.member.verify_code in p for p in problems)
