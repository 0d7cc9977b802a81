"""Originals as a township's records office reads them (issue #18): the actual organs and
titles of the township (党委 or 党工委) and village (支部, 总支 or 党委) and of each copy's keeper;
archival PDF/A with its output intent, every font embedded and the document's metadata."""

from __future__ import annotations

import subprocess

import pikepdf
import pytest

from jiannuo.organisation.models import Unit
from jiannuo.signing import pdf
from tests.pledges import conftest as pledges_fixtures
from tests.signing.test_pdf import current, text_of

pytestmark = pytest.mark.django_db

letters = pledges_fixtures.letters
complete = pledges_fixtures.complete

GENERIC = ("镇（街道）", "党（工）委", "镇(街道)")


def _squeezed(data, tmp_path):
    return "".join(text_of(data, tmp_path).split())


def test_town_letter_names_the_town_committee_and_the_village_branch(complete, tmp_path):
    squeezed = _squeezed(pdf.render_originals(current(complete.team)), tmp_path)
    assert "甲方：中共石桥镇委员会" in squeezed
    assert "中共柳树村支部委员会、柳树村村民委员会" in squeezed
    assert "石桥镇党委副书记" in squeezed  # Party A's signature block
    assert "石桥镇党委保存" in squeezed and "柳树村党支部保存" in squeezed
    assert not [g for g in GENERIC if g in squeezed]


def test_subdistrict_and_general_branch_print_their_own_organs(complete, tree, tmp_path):
    """A 街道 is led by its 党工委 (中共…街道工作委员会); a village recorded as a 党总支 prints
    总支 in its name, its secretary's title and its copy keeper."""
    Unit.objects.filter(pk=tree.a.pk).update(name="石桥街道", township_type=Unit.SUBDISTRICT)
    Unit.objects.filter(pk=tree.a1.pk).update(party_org=Unit.GENERAL_BRANCH)
    team = _squeezed(pdf.render_originals(current(complete.team)), tmp_path)
    assert "甲方：中共石桥街道工作委员会" in team
    assert "中共柳树村总支部委员会、柳树村村民委员会" in team
    assert "石桥街道党工委副书记" in team
    assert "石桥街道党工委保存" in team and "柳树村党总支保存" in team
    assert "中共石桥街道委员会" not in team and "支部委员会、" not in team.replace("总支部", "")
    secretary = _squeezed(pdf.render_originals(current(complete.secretary)), tmp_path)
    assert "村党总支书记任职承诺书" in secretary
    assert "村党支部" not in secretary
    assert not [g for g in GENERIC if g in team + secretary]


def pdfa_problems(data: bytes, tmp_path) -> list[str]:
    """What keeps ``data`` from being an archival PDF/A-3b: the PDF/A identification in the XMP
    metadata, an sRGB output intent with its ICC profile, every font embedded (pdffonts), the
    document information matching its XMP (a PDF/A rule), and qpdf's syntax check (through
    pikepdf) as a second validator."""
    problems = []
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    with pikepdf.open(path) as doc:
        with doc.open_metadata() as xmp:
            if (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) != ("3", "B"):
                problems.append("no PDF/A-3b identification")
            info = doc.docinfo
            for key, prop in (("/Title", "dc:title"), ("/Keywords", "pdf:Keywords")):
                if key in info and str(info[key]) != str(xmp.get(prop)):
                    problems.append(f"{key} differs from XMP {prop}")
            if "/Author" in info and [str(info["/Author"])] != list(xmp.get("dc:creator", [])):
                problems.append("/Author differs from XMP dc:creator")
        intents = doc.Root.get("/OutputIntents") or []
        if not any(i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents):
            problems.append("no PDF/A output intent with an ICC profile")
        problems += [f"qpdf: {p}" for p in doc.check_pdf_syntax()]
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    if not rows:
        problems.append("no fonts")
    for row in rows:
        # name, type…, encoding, emb, sub, uni, object, generation: "emb" is 5th from the end.
        if row.split()[-5] != "yes":
            problems.append(f"font not embedded: {row.split()[0]}")
    return problems


def test_signed_original_is_pdfa_with_metadata(complete, tmp_path):
    version = current(complete.team)
    data = pdf.render_originals(version, verify_url="https://jn.example/signing/verify/X/")
    assert pdfa_problems(data, tmp_path) == []
    with pikepdf.open(tmp_path / "doc.pdf") as doc:
        info = doc.docinfo
        number = pdf.letter_number(version)
        assert str(info["/Author"]) == "中共石桥镇委员会"
        assert number in str(info["/Title"]) and "村班子任职承诺书" in str(info["/Title"])
        assert str(info["/Keywords"]) == number


def test_the_checker_refuses_a_plain_pdf(complete, tmp_path):
    """The PDF/A check is not vacuous: WeasyPrint's ordinary output fails it."""
    from weasyprint import HTML

    html = pdf.originals_html(current(complete.team))
    problems = pdfa_problems(HTML(string=html).write_pdf(), tmp_path)
    assert "no PDF/A-3b identification" in problems
    assert "no PDF/A output intent with an ICC profile" in problems
