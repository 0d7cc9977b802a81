"""The evaluation meeting's paper as PDFs (seed §三.6, issue #6): numbered ballots, code slips,
the sign-in sheet and the tally sheet. Rendered, then read back with ``pdftotext``."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from jiannuo.evaluation import pdf, selectors, services
from jiannuo.evaluation.models import OPTION_LABELS, BallotCode, Target, Voter
from jiannuo.organisation.models import Post
from tests.conftest import make_person
from tests.evaluation.conftest import YEAR, checkin_all, issue_codes
from tests.evaluation.test_views_api import draft, phone

pytestmark = pytest.mark.django_db

__all__ = ["draft", "phone"]  # the phone round fixtures, reused


def pdftotext(data: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()


def squeezed(data: bytes, tmp_path) -> str:
    """The text in content order (``-raw``), without any white space."""
    return "".join(pdftotext(data, tmp_path, "-raw").split())


def pages(data: bytes, tmp_path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout
    return int(re.search(rb"Pages:\s+(\d+)", info).group(1))


def zh(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


@pytest.fixture
def paper(tree, cast, letters, voters):
    """柳树村's 2025 paper round, all ten voters checked in and the round open."""
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="paper")
    checkin_all(rnd, cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)
    rnd.refresh_from_db()
    return rnd


def roster(rnd) -> list[str]:
    return list(
        Voter.objects.filter(round=rnd)
        .order_by("person__name", "id")
        .values_list("person__name", flat=True)
    )


def test_ballots_numbered_with_targets_and_options(paper, tmp_path):
    """One ballot per voter present, 001…010, each with the village, year, meeting, the
    instruction, every target in round order and a box per option; several to a page."""
    assert paper.present == 10
    data = pdf.render_ballots(paper)
    assert data.startswith(b"%PDF")
    text = squeezed(data, tmp_path)
    numbers = re.findall(r"编号(\d{3})", text)
    assert numbers == [f"{n:03d}" for n in range(1, 11)]
    assert text.count("柳树村2025年度民主测评票") == 10
    assert text.count("村民代表会议") == 10
    assert text.count("每行只勾选一项，选票上不要署名。") == 10
    labels = [t.label for t in paper.targets.order_by("position")]
    assert len(labels) == 4 and labels[0] == "村班子"
    first = text[: text.index("编号002")]
    positions = [first.index("".join(label.split())) for label in labels]
    assert positions == sorted(positions)  # round order
    for option in paper.options:
        assert text.count(zh(OPTION_LABELS[option])) >= 10
    assert text.count("□") == 10 * len(labels) * len(paper.options)
    per_page = pdf.ballots_per_page(len(labels))
    assert per_page > 1
    assert pages(data, tmp_path) == -(-10 // per_page)
    assert text.count("✂") == 10 - pages(data, tmp_path)  # a cut line between ballots


def test_ballots_of_many_targets_still_fit_their_pages(paper, tmp_path):
    """A larger team (eight targets): fewer ballots to a page, none spills onto the next."""
    for i in range(4):
        Target.objects.create(round=paper, label=f"村委会委员 测试{i}", position=10 + i)
    per_page = pdf.ballots_per_page(8)
    assert per_page < pdf.ballots_per_page(4)
    data = pdf.render_ballots(paper)
    assert pages(data, tmp_path) == -(-10 // per_page)
    assert "村委会委员测试3" in squeezed(data, tmp_path)


def test_slips_one_per_code_random_order_no_names(phone, tmp_path):
    """Each issued code once (with its address), no voter's name, ten to a page; the slips are
    printed in the random order the codes were issued in, which is not the order of the code
    rows (nor the roster: the codes have no voter)."""
    data = pdf.render_slips(
        phone, phone.codes, lambda code: f"https://jn.example/evaluation/vote/{code}/"
    )
    text = squeezed(data, tmp_path)
    codes = phone.codes
    assert len(codes) == 10 and all(codes)
    for code in codes:
        assert text.count(code) == 2  # the code, and in the address
        assert f"https://jn.example/evaluation/vote/{code}/" in text
    for name in roster(phone):
        assert name not in text
    assert text.count("民主测评·投票码") == 10
    assert pages(data, tmp_path) == pdf.slip_pages(10) == 1
    assert sorted(codes, key=text.index) == codes  # printed as issued
    stored = list(BallotCode.objects.filter(round=phone).values_list("digest", flat=True))
    # 1 in 10! that the issued order is the stored order.
    assert [services.code_digest(c) for c in codes] != stored


def test_slips_pages(tree, cast, system, letters, voters, tmp_path):
    """Eleven voters present: eleven codes, two pages."""
    make_person(system, tree.a1, "代表补", Post.REPRESENTATIVE)
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    issue_codes(checkin_all(rnd, cast.supervisor), cast.supervisor)
    assert len(rnd.codes) == rnd.present == 11
    data = pdf.render_slips(rnd, rnd.codes, lambda code: f"https://jn.example/v/{code}/")
    text = squeezed(data, tmp_path)
    assert pdf.slip_pages(11) == 2 and pages(data, tmp_path) == 2
    assert all(f"https://jn.example/v/{c}/" in text for c in rnd.codes)
    assert "代表补" not in text


def test_signin_sheet_lists_every_voter_in_roster_order(paper, tmp_path):
    """Every eligible voter (present or not) in roster order with their capacity, a signature
    column and a present box; the header has the count and the quorum; the presiding officer
    signs at the foot."""
    data = pdf.render_signin(paper)
    text = squeezed(data, tmp_path)
    names = roster(paper)
    assert len(names) == 10
    positions = [text.index(name) for name in names]
    assert positions == sorted(positions)
    assert "柳树村2025年度民主测评大会签到表" in text
    assert "应到人数：10" in text
    assert "至少7人" in text  # two thirds of ten
    assert text.count("□") == 10
    assert "李建国党员" in text and "陈玉梅村民代表" in text
    assert "主持人（签字）" in text
    assert pages(data, tmp_path) == 1


def test_tally_sheet_has_the_form_fields_per_target(paper, tmp_path):
    """One table per target in round order, headed by its target ID (the Excel template's
    对象ID), with the tally form's fields: issued, returned, spoiled and each option; the
    tellers and the supervisor of the count sign."""
    data = pdf.render_tallysheet(paper)
    text = squeezed(data, tmp_path)
    targets = list(paper.targets.order_by("position"))
    for i, t in enumerate(targets, start=1):
        assert f"{i}.{''.join(t.label.split())}（对象ID{t.pk}）" in text
    header = "发出收回废票" + "".join(zh(OPTION_LABELS[o]) for o in paper.options)
    assert text.count(header) == len(targets)
    assert text.count("计票人（签字）") == 2 and "监票人（签字）" in text
    assert "实到人数：10" in text


# --- the routes ------------------------------------------------------------------------------


def check_pdf(response, marker, tmp_path):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; filename*=utf-8''")
    assert "%E6%9F%B3%E6%A0%91%E6%9D%91-2025-" in disposition  # 柳树村-2025-
    assert marker in squeezed(response.content, tmp_path)


def test_paper_pdf_routes_for_the_presiding_officer(client, cast, paper, tmp_path):
    client.force_login(cast.supervisor)
    for name, marker in [
        ("ballots_pdf", "编号001"),
        ("tallysheet_pdf", "计票单"),
        ("signin_pdf", "签到表"),
    ]:
        check_pdf(client.get(reverse(f"evaluation:{name}", args=[paper.pk])), marker, tmp_path)


def test_phone_pdf_routes_build_the_vote_address_like_the_page(client, cast, draft, tmp_path):
    """The PDF issues the codes (one per voter present) and prints each with its address."""
    client.force_login(cast.supervisor)
    r = client.post(reverse("evaluation:slips_pdf", args=[draft.pk]), {"version": draft.version})
    check_pdf(r, "投票码", tmp_path)
    assert "no-store" in r["Cache-Control"]
    text = squeezed(r.content, tmp_path)
    prefix = re.escape("http://testserver" + reverse("evaluation:vote", args=["X"])[:-2])
    codes = set(re.findall(prefix + r"([A-Za-z0-9_-]{12})/", text))
    assert len(codes) == 10
    assert {services.code_digest(c) for c in codes} == set(
        BallotCode.objects.filter(round=draft).values_list("digest", flat=True)
    )
    check_pdf(client.get(reverse("evaluation:signin_pdf", args=[draft.pk])), "签到表", tmp_path)


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("supervisor", 200),
        ("branch", 403),
        ("secretary_a", 403),
        ("branch_a2", 404),
        ("voter", 404),
        ("outsider", 404),
    ],
)
@pytest.mark.parametrize("name", ["ballots_pdf", "tallysheet_pdf", "signin_pdf"])
def test_paper_pdf_access(client, cast, paper, user, status, name):
    client.force_login(getattr(cast, user))
    assert client.get(reverse(f"evaluation:{name}", args=[paper.pk])).status_code == status


@pytest.mark.parametrize(
    ("user", "status"),
    [("supervisor", 200), ("branch", 403), ("staff_a", 403), ("branch_a2", 404)],
)
def test_slips_pdf_access(client, cast, draft, user, status):
    client.force_login(getattr(cast, user))
    assert client.post(reverse("evaluation:slips_pdf", args=[draft.pk])).status_code == status
    assert BallotCode.objects.filter(round=draft).count() == (10 if status == 200 else 0)


@pytest.mark.parametrize("name", ["ballots_pdf", "tallysheet_pdf", "signin_pdf"])
def test_anonymous_is_sent_to_log_in(client, paper, name):
    r = client.get(reverse(f"evaluation:{name}", args=[paper.pk]))
    assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:login"))


def test_anonymous_is_sent_to_log_in_for_slips(client, draft):
    r = client.post(reverse("evaluation:slips_pdf", args=[draft.pk]))
    assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:login"))


def test_paper_documents_are_not_found_for_a_phone_round(client, cast, phone):
    client.force_login(cast.supervisor)
    assert client.get(reverse("evaluation:ballots_pdf", args=[phone.pk])).status_code == 404
    assert client.get(reverse("evaluation:tallysheet_pdf", args=[phone.pk])).status_code == 404


def test_slips_are_not_found_for_a_paper_round(client, cast, paper):
    client.force_login(cast.supervisor)
    assert client.post(reverse("evaluation:slips_pdf", args=[paper.pk])).status_code == 404


def test_round_page_links_the_paper_pdfs(client, cast, paper):
    client.force_login(cast.supervisor)
    page = client.get(reverse("evaluation:round", args=[paper.pk])).content.decode()
    for name in ("ballots_pdf", "tallysheet_pdf", "signin_pdf", "ballots"):
        assert reverse(f"evaluation:{name}", args=[paper.pk]) in page
    client.force_login(cast.branch)  # sees the round, does not preside: no print links
    page = client.get(reverse("evaluation:round", args=[paper.pk])).content.decode()
    assert reverse("evaluation:signin_pdf", args=[paper.pk]) not in page


def test_round_page_links_the_phone_pdfs(client, cast, draft):
    client.force_login(cast.supervisor)
    page = client.get(reverse("evaluation:round", args=[draft.pk])).content.decode()
    for name in ("slips_pdf", "signin_pdf", "slips"):
        assert reverse(f"evaluation:{name}", args=[draft.pk]) in page
    assert reverse("evaluation:tallysheet_pdf", args=[draft.pk]) not in page


def test_documents_load_in_a_fixed_number_of_queries(
    paper, cast, tree, system, django_assert_num_queries
):
    """The round as the views load it (``selectors.get_round``), then one query for the targets
    (ballots, tally sheet) and two for the roster (the voters and their roster kinds), however
    many voters there are."""
    rnd = selectors.get_round(cast.supervisor, paper.pk)
    with django_assert_num_queries(1):
        pdf.render_ballots(rnd)
    with django_assert_num_queries(1):
        pdf.render_tallysheet(rnd)
    with django_assert_num_queries(2):
        pdf.render_signin(rnd)
    for i in range(10):
        person = make_person(system, tree.a1, f"党员{i}", Post.PARTY_MEMBER)
        Voter.objects.create(round=paper, person=person)
    with django_assert_num_queries(2):
        pdf.render_signin(rnd)


def test_slips_need_no_query(phone, cast, django_assert_num_queries):
    """The codes come from their issue, not from the database (which keeps only digests)."""
    rnd = selectors.get_round(cast.supervisor, phone.pk)
    with django_assert_num_queries(0):
        pdf.render_slips(rnd, phone.codes, lambda code: f"https://jn.example/v/{code}/")


def test_meeting_papers_are_pdfa_and_name_the_organising_organs(paper, tmp_path):
    """Issue #18: the meeting's papers are archival PDF/A-3b and name the organs holding the
    meeting (石桥镇党委, 柳树村党支部) rather than a generic township label."""
    from tests.signing.test_records import pdfa_problems

    for render in (pdf.render_signin, pdf.render_tallysheet, pdf.render_ballots):
        data = render(paper)
        assert pdfa_problems(data, tmp_path) == [], render.__name__
    text = squeezed(pdf.render_tallysheet(paper), tmp_path)
    assert "组织单位：石桥镇党委柳树村党支部" in text
