"""The signing step in a real browser (§三.4–5): the branch secretary schedules and opens the
ceremony, an invitee checks in on a phone by QR link, the branch enters the paper sign-in
sheet and the vote, the representatives and the cadre sign, and anyone verifies the letter.

Selectors use ids, names and form actions, not texts, so the test holds in any language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jiannuo.signing.models import Ceremony, SignedLetter
from tests.conftest import make_person
from tests.signing.conftest import make_letter

from .conftest import PHONE

pytestmark = pytest.mark.browser


def test_ceremony_vote_sign_verify(browser, live_server, login, cast, tree, system):
    from jiannuo.organisation.models import Post

    member = make_letter(tree, "member", cast.member_person.posts.get(kind=Post.COMMITTEE_MEMBER))
    party = make_person(system, tree.a1, "周小红", Post.PARTY_MEMBER)
    rep2 = make_person(system, tree.a1, "孙大山", Post.REPRESENTATIVE)

    def new_page(viewport=None):
        args = {"viewport": viewport} if viewport else {}
        return browser.new_context(**args).new_page()

    sec = new_page(PHONE)
    login(sec, "branch")
    sec.goto(f"{live_server.url}/signing/villages/{tree.a1.pk}/new/?year=2026")
    sec.fill("input[name=scheduled_at]", "2026-02-20T09:00")
    sec.fill("input[name=place]", "村委会议室")
    sec.click("form.card button")
    sec.wait_for_url("**/signing/ceremonies/*/")
    ceremony = Ceremony.objects.get()
    sec.click(f"form[action$='/ceremonies/{ceremony.pk}/hold/'] button")
    expect(sec.locator("form[action$='/close/']")).to_be_visible()

    phone = new_page(PHONE)
    phone.goto(f"{live_server.url}/signing/checkin/{ceremony.checkin_code}/")
    phone.fill("input[name=name]", party.name)
    phone.fill("input[name=last4]", party.phone[-4:])
    phone.click("form.card button")
    expect(phone.locator("#done")).to_be_visible()

    for person in (rep2, cast.voter_person):
        sec.locator(f"#sheet form:has(input[name=person][value='{person.pk}']) button").click()
        sec.wait_for_load_state()
    expect(sec.locator("#present")).to_have_text("3")
    vote = sec.locator(f"#letter-{member.pk} form")
    vote.locator("input[name=for_]").fill("3")
    vote.locator("button").click()
    sec.wait_for_load_state()

    sec.goto(f"{live_server.url}/signing/letters/{member.pk}/")
    sec.select_option("select[name=role]", "party_member_rep")
    sec.select_option("select[name=person]", str(party.pk))
    sec.click("form.card button")
    expect(sec.locator("#given li")).to_have_count(1)

    rep = new_page(PHONE)
    login(rep, "voter")
    rep.goto(f"{live_server.url}/signing/letters/{member.pk}/")
    rep.select_option("select[name=role]", "villager_rep")
    rep.click("form.card button")
    expect(rep.locator("#given li")).to_have_count(2)

    cadre = new_page(PHONE)
    login(cadre, "member")
    cadre.goto(f"{live_server.url}/signing/letters/{member.pk}/")
    cadre.select_option("select[name=role]", "member")
    cadre.check("input[name=consent]")
    cadre.click("form.card button")
    expect(cadre.locator("#given li")).to_have_count(3)

    signed = SignedLetter.objects.get()
    assert signed.signed_at is not None and signed.published_at is not None
    phone.goto(f"{live_server.url}/signing/v/{signed.verify_code}/")
    expect(phone.locator("#result")).not_to_have_class("card error")
    expect(phone.locator("#signatures li")).to_have_count(3)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
