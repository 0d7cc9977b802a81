"""The accountability step in a real browser (seed §四; DOMAIN.md "Due process"): the township
secretary previews the year's proposals and opens the cases; the committee director, on a
phone, replies (申辩) to the resignation demand; the deputy secretary decides; the secretary
gives the second approval; the director appeals (申诉) — the measure stays in force — and the
district organisation department decides the appeal.

Selectors use ids, names, data attributes and URLs, so the test holds in any language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jiannuo.accountability import facts as facts_mod
from jiannuo.accountability.models import Case
from tests.accountability.conftest import make_year_facts

from .conftest import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def year_facts(tree, cast):
    return make_year_facts(tree, cast)


def test_case_from_proposal_to_appeal_decision(
    browser, live_server, login, cast, tree, year_facts, monkeypatch, tmp_path
):
    monkeypatch.setattr(facts_mod, "collect", lambda township, year, settings: year_facts)
    url = live_server.url

    def new_page(viewport=None):
        args = {"viewport": viewport} if viewport else {}
        return browser.new_context(**args).new_page()

    # The township secretary previews, then opens the cases.
    sec = new_page()
    login(sec, "secretary_a")
    sec.goto(f"{url}/accountability/townships/{tree.a.pk}/2025/")
    expect(sec.locator('#proposals tr[data-change="new"]')).to_have_count(5)
    sec.click("#open-cases")
    expect(sec.locator("#run-result")).to_be_visible()
    expect(sec.locator('#proposals tr[data-change="unchanged"]')).to_have_count(5)
    case = Case.objects.get(person=cast.director_person, measure="resignation")
    case_url = f"{url}/accountability/cases/{case.pk}/"

    # The director replies on a phone.
    director = new_page(PHONE)
    login(director, "director")
    director.goto(case_url)
    expect(director.locator("#case-state")).to_have_attribute("data-state", "proposed")
    expect(director.locator("#reasons li")).not_to_have_count(0)
    director.fill("#form-reply textarea[name=text]", "满意率偏低与灌溉渠改造工期有关，请组织复核。")
    director.click("#form-reply button[type=submit]")
    expect(director.locator("#case-state")).to_have_attribute("data-state", "replied")
    expect(director.locator("#reply")).to_contain_text("灌溉渠改造")

    # The deputy secretary decides: a resignation demand waits for a second approver.
    deputy = new_page()
    login(deputy, "deputy_a")
    deputy.goto(case_url)
    deputy.fill("#form-decide textarea[name=decision]", "经镇党委研究，责令其引咎辞职。")
    deputy.click("#form-decide button[type=submit]")
    expect(deputy.locator("#case-state")).to_have_attribute("data-state", "awaiting_approval")
    expect(deputy.locator("#form-approve")).to_have_count(0)  # not by the same person

    # The secretary gives the second approval: in force, with a decision document.
    sec.goto(case_url)
    sec.click("#form-approve button[type=submit]")
    expect(sec.locator("#case-state")).to_have_attribute("data-state", "decided")
    expect(sec.locator("#decision-pdf")).to_be_visible()
    expect(sec.locator("#case-number")).to_contain_text("SQ-2025-")

    # The director appeals; the measure stays in force while the appeal is pending.
    director.goto(case_url)
    director.fill("#form-appeal textarea[name=text]", "本人不服，申请复查。")
    director.click("#form-appeal button[type=submit]")
    expect(director.locator("#case-state")).to_have_attribute("data-state", "appealed")
    expect(director.locator("#case-state")).to_have_class("state in-force")
    director.screenshot(path=str(tmp_path / "case-phone.png"), full_page=True)

    # Those who decided may not decide the appeal; the district does.
    sec.goto(case_url)
    expect(sec.locator("#form-decide_appeal")).to_have_count(0)
    district = new_page()
    login(district, "district")
    district.goto(case_url)
    district.check("#form-decide_appeal input[value=uphold]")
    district.fill("#form-decide_appeal textarea[name=decision]", "经复查，维持原决定。")
    district.click("#form-decide_appeal button[type=submit]")
    expect(district.locator("#case-state")).to_have_attribute("data-state", "decided")
    expect(district.locator("#appeal-decision")).to_have_attribute("data-outcome", "upheld")
    actions = district.locator("#history li").evaluate_all("els => els.map(e => e.dataset.action)")
    assert actions == ["open", "reply", "decide_for_approval", "approve", "appeal", "uphold"]
