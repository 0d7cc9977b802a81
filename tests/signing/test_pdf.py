"""PDF letters (seed §三.4 signing, §三.5 originals kept): render, then read the text back."""

from __future__ import annotations

import subprocess
from datetime import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from jiannuo.signing import pdf, pdfwrite, rules
from tests.pledges import conftest as pledges_fixtures

pytestmark = pytest.mark.django_db

# The pledges step's fixtures: 柳树村's 2026 letters filled to pass the quality gate.
letters = pledges_fixtures.letters
complete = pledges_fixtures.complete


def text_of(data: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()


def current(letter):
    return letter.versions.get(number=letter.current_number)


def test_member_letter_pdf_has_parties_categories_breaches_and_copy(complete, tmp_path):
    """§三.4: Party A the representatives, Party B the member; §二 four categories and three
    breach categories; §三.5 "第 1 份 / 共 3 份" with its custodian."""
    data = pdf.render_letter_pdf(
        current(complete.member),
        copy_number=1,
        copies_total=3,
        verify_url="https://example.invalid/signing/verify/ABC123/",
    )
    assert data.startswith(b"%PDF")
    text = text_of(data, tmp_path)
    squeezed = "".join(text.split())
    assert "村班子成员任职承诺书" in squeezed
    assert "甲方" in squeezed and "乙方" in squeezed
    assert "张秀英" in squeezed  # Party B, the member
    for heading in pdf.CATEGORY_HEADINGS.values():
        assert heading in squeezed
    for heading in pdf.BREACH_HEADINGS.values():
        assert heading in squeezed
    assert "第1份" in squeezed and "共3份" in squeezed
    assert "石桥镇党委保存" in squeezed  # the actual keeper (issue #18)
    assert "年内硬化村内道路3公里" in squeezed
    assert pdf.letter_number(current(complete.member)) in squeezed


def test_team_letter_parties_and_two_originals(complete, tmp_path):
    """§三.4: the team letter's Party B is the branch and the committee (secretary 李建国 and
    director 王海涛 sign); §三.5: two originals in one PDF, township then branch."""
    data = pdf.render_originals(current(complete.team))
    squeezed = "".join(text_of(data, tmp_path).split())
    assert "村班子任职承诺书" in squeezed
    assert "中共石桥镇委员会" in squeezed
    assert "柳树村村民委员会" in squeezed
    assert "李建国" in squeezed and "王海涛" in squeezed
    assert "第1份/共2份" in squeezed and "第2份/共2份" in squeezed
    assert "村党支部保存" in squeezed
    assert squeezed.count("一、工作目标") == 2


def test_secretary_letter_signed_names_and_date(complete, tmp_path):
    """§三.4: given signatures print the signer's name and the signing date."""
    at = timezone.make_aware(datetime(2026, 3, 20, 10, 0))
    sigs = [
        SimpleNamespace(party="A", role=rules.PARTY_MEMBER_REP, signer_name="周党员", at=at),
        SimpleNamespace(party="A", role=rules.VILLAGER_REP, signer_name="吴代表", at=at),
        SimpleNamespace(party="B", role=rules.BRANCH_SECRETARY, signer_name="李建国", at=at),
    ]
    data = pdf.render_letter_pdf(
        current(complete.secretary), copy_number=3, copies_total=3, signatures=sigs
    )
    squeezed = "".join(text_of(data, tmp_path).split())
    assert "村党支部书记任职承诺书" in squeezed
    assert "周党员" in squeezed and "吴代表" in squeezed
    assert "2026年3月20日" in squeezed
    assert "承诺人本人保存" in squeezed


def test_copy_number_must_exist(complete):
    with pytest.raises(ValueError):
        pdf.render_letter_pdf(current(complete.team), copy_number=3, copies_total=2)


def test_no_network_fetches():
    """Only ``data:`` URLs (the QR code) are fetched while printing; never the network."""
    fetcher = pdfwrite._setup()["fetcher"]
    with pytest.raises(ValueError):
        fetcher.fetch("http://example.com/font.woff")
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    assert fetcher.fetch("data:text/plain;base64,b2s=").read() == b"ok"


def test_batch_pool_renders_in_order(complete):
    """The batch's worker processes give the same letters, in order, as rendering in place."""
    versions = [current(x) for x in (complete.team, complete.member)]
    htmls = [pdf.originals_html(v) for v in versions] * 3
    out = list(pdfwrite.write_many(htmls, processes=2))
    assert len(out) == 6 and all(d.startswith(b"%PDF") for d in out)
    assert [len(d) > 0 for d in out] == [True] * 6
