"""Pages of the accountability step: who sees what, who may act, errors shown with what was
typed kept; the decision document, the honours list, preview and re-run, the to-do list."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from jiannuo.accountability import rules, services
from jiannuo.accountability.models import Case
from jiannuo.core.todo import items_for

from .conftest import post_year

pytestmark = pytest.mark.django_db


def client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def now_cases(cast, tree, year_facts):
    """Cases opened now (the pages act at the real clock)."""
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025, facts=year_facts)
    return {(c.person_id, c.measure): c for c in Case.objects.all()}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("district", 200),
        ("secretary_a", 200),
        ("staff_a", 200),
        ("member", 200),
        ("director", 404),
        ("branch", 404),
        ("secretary_b", 404),
        ("branch_a2", 404),
        ("voter", 404),
        ("outsider", 404),
    ],
)
def test_who_sees_a_case(cast, now_cases, who, status):
    """A cadre sees their own cases; the district and the township see theirs; nobody else."""
    case = now_cases[(cast.member_person.pk, rules.YELLOW_CARD)]
    response = client(getattr(cast, who)).get(reverse("accountability:case", args=[case.pk]))
    assert response.status_code == status


def test_the_list_is_scoped(cast, now_cases):
    body = client(cast.member).get(reverse("accountability:index"), {"year": 2025}).content
    assert body.decode().count('data-case="') == 2  # her yellow card and her criticism
    body = client(cast.secretary_b).get(reverse("accountability:index"), {"year": 2025}).content
    assert 'data-case="' not in body.decode()


def test_the_cadre_replies_from_the_page(cast, now_cases):
    case = now_cases[(cast.member_person.pk, rules.YELLOW_CARD)]
    c = client(cast.member)
    page = c.get(reverse("accountability:case", args=[case.pk])).content.decode()
    assert 'id="form-reply"' in page and 'id="form-decide"' not in page
    r = c.post(
        reverse("accountability:case_act", args=[case.pk, "reply"]),
        {"text": "完成率受天气影响", "version": case.version},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == rules.REPLIED


def test_an_early_decision_is_refused_on_the_page_with_the_text_kept(cast, now_cases):
    case = now_cases[(cast.member_person.pk, rules.YELLOW_CARD)]
    with override("en"):
        r = client(cast.secretary_a).post(
            reverse("accountability:case_act", args=[case.pk, "decide"]),
            {"decision": "给予黄牌警告的理由", "version": case.version},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert r.status_code == 400
    body = r.content.decode()
    assert 'id="action-error"' in body and "给予黄牌警告的理由" in body
    case.refresh_from_db()
    assert case.state == rules.PROPOSED


@pytest.mark.parametrize("who", ["director", "branch_a2", "outsider", "secretary_b"])
def test_others_may_not_act(cast, now_cases, who):
    case = now_cases[(cast.member_person.pk, rules.YELLOW_CARD)]
    r = client(getattr(cast, who)).post(
        reverse("accountability:case_act", args=[case.pk, "reply"]), {"text": "x"}
    )
    assert r.status_code in (403, 404)
    case.refresh_from_db()
    assert case.state == rules.PROPOSED


def test_a_visible_case_forbids_the_wrong_action(cast, now_cases):
    """The district sees the case (200) but may not reply for the cadre (403)."""
    case = now_cases[(cast.member_person.pk, rules.YELLOW_CARD)]
    r = client(cast.district).post(
        reverse("accountability:case_act", args=[case.pk, "reply"]), {"text": "x"}
    )
    assert r.status_code == 403


def _decide(cast, case):
    services.case_waive(actor=cast.member, case=case)
    services.case_decide(actor=cast.secretary_a, case=case, decision="给予黄牌警告")
    case.refresh_from_db()
    return case


def test_the_decision_document_is_a_pdf_with_the_facts(cast, now_cases, tmp_path):
    """The decision as PDF (WeasyPrint, Noto CJK): the cadre, the measure, the clause, the
    decision-maker and the right of appeal are printed."""
    import subprocess

    case = _decide(cast, now_cases[(cast.member_person.pk, rules.YELLOW_CARD)])
    r = client(cast.member).get(reverse("accountability:decision_pdf", args=[case.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    path = tmp_path / "d.pdf"
    path.write_bytes(r.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for words in ("处理决定书", "张秀英", "黄牌警告", "§四.3", "申诉", case.number):
        assert words in text, words
    assert "secretary_a" in text


def test_no_decision_document_before_the_decision(cast, now_cases):
    case = now_cases[(cast.member_person.pk, rules.YELLOW_CARD)]
    r = client(cast.secretary_a).get(reverse("accountability:decision_pdf", args=[case.pk]))
    assert r.status_code == 404


def test_honours_list_names_who_may_not_be_nominated_and_why(cast, tree, year_facts):
    """§四.1: goals not met → no honours that year; the list says why."""
    facts = replace(
        year_facts,
        current=[post_year(cast.branch_person, term=tree.term.pk, goals_met=False)],
        teams=[],
    )
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025, facts=facts)
    case = Case.objects.get(measure=rules.NO_HONOURS)
    c = client(cast.secretary_a)
    body = c.get(reverse("accountability:honours"), {"year": 2025}).content.decode()
    assert 'id="pending"' in body and 'id="ineligible"' not in body
    services.case_waive(actor=cast.branch, case=case)
    services.case_decide(actor=cast.deputy_a, case=case, decision="年度考核不称职")
    with override("zh-hans"):
        body = c.get(reverse("accountability:honours"), {"year": 2025}).content.decode()
    assert f'data-case="{case.pk}"' in body and "李建国" in body and "工作目标" in body
    assert client(cast.outsider).get(reverse("accountability:honours")).status_code == 403


def test_preview_then_run_then_run_again(cast, tree, monkeypatch, year_facts):
    """#7.5: the township previews before opening cases; a second run opens nothing new."""
    from jiannuo.accountability import facts as facts_mod

    monkeypatch.setattr(facts_mod, "collect", lambda township, year, settings: year_facts)
    c = client(cast.secretary_a)
    url = reverse("accountability:preview", args=[tree.a.pk, 2025])
    body = c.get(url).content.decode()
    assert body.count('data-change="new"') == 5
    assert Case.objects.count() == 0
    assert c.post(url).status_code == 302
    assert Case.objects.count() == 5
    c.post(url)
    assert Case.objects.count() == 5
    body = c.get(url).content.decode()
    assert body.count('data-change="unchanged"') == 5
    for who in ("member", "secretary_b", "district", "outsider"):
        assert client(getattr(cast, who)).get(url).status_code == 404


def test_todo_for_cadre_decider_and_approver(cast, now_cases, django_assert_max_num_queries):
    """To-do: the cadre replies, then appeals; deciders decide; the other approves."""
    with override("en"):
        titles = [i.title for i in items_for(cast.member)]
    assert sum("Reply to the proposed measure" in t for t in titles) == 2
    case = now_cases[(cast.director_person.pk, rules.RESIGNATION)]
    Case.objects.filter(pk=case.pk).update(reply_due=timezone.now() - timedelta(days=1))
    with override("en"):
        assert any("Decide 1 proposed" in i.title for i in items_for(cast.deputy_a))
    case.refresh_from_db()
    services.case_decide(actor=cast.deputy_a, case=case, decision="责令辞职")
    with override("en"):
        assert any("second approval" in i.title for i in items_for(cast.secretary_a))
        assert not any("second approval" in i.title for i in items_for(cast.deputy_a))
    services.case_approve(actor=cast.secretary_a, case=case)
    with override("en"):
        assert any("You may appeal" in i.title for i in items_for(cast.director))
    user = cast.secretary_a
    from jiannuo.accountability.todo import accountability_todo

    user._jiannuo_grants = None
    with django_assert_max_num_queries(4):
        accountability_todo(user)


def test_the_decision_document_is_pdfa_from_the_actual_organ(cast, now_cases, tmp_path):
    """Issue #18: the decision notice is archival PDF/A-3b with its metadata, and names the
    township's actual organ (石桥镇党委, 中共石桥镇委员会), not a generic 镇党委."""
    import subprocess

    import pikepdf

    from tests.signing.test_records import pdfa_problems

    case = _decide(cast, now_cases[(cast.member_person.pk, rules.YELLOW_CARD)])
    r = client(cast.member).get(reverse("accountability:decision_pdf", args=[case.pk]))
    assert pdfa_problems(r.content, tmp_path) == []
    with pikepdf.open(tmp_path / "doc.pdf") as doc:
        assert str(doc.docinfo["/Author"]) == "中共石桥镇委员会"
        assert str(doc.docinfo["/Keywords"]) == case.number
        assert "/CreationDate" in doc.docinfo
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "doc.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    squeezed = "".join(text.split())
    assert "石桥镇党委处理决定书" in squeezed and "经石桥镇党委研究" in squeezed
    assert "中共石桥镇委员会" in squeezed
