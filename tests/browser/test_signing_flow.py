"""The signing step in a real browser (§三.4–5): the branch secretary schedules and opens the
ceremony, an invitee checks in on a phone by QR link, the branch enters the paper sign-in
sheet and the votes (one letter fails and goes back to the joint meeting), the representatives
and the cadre sign, anyone verifies the letter and reads the village's public bulletin board on
a 360×740 phone, and the three custodians confirm receipt of their originals (archived).

Selectors use ids, names and form actions, not texts, so the test holds in any language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jiannuo.pledges.models import LetterVersion, PledgeItem
from jiannuo.pledges.selectors import content_hash, snapshot
from jiannuo.signing.models import Ceremony, Custody, SignedLetter
from tests.conftest import make_person
from tests.signing.conftest import make_letter

from .conftest import PHONE

pytestmark = pytest.mark.browser


def _with_items(letter):
    """Give the approved version real pledge items (the board shows them), hashed as pledges."""
    version = LetterVersion.objects.get(letter=letter, number=1)
    version.items.all().delete()  # make_letter's single item, replaced by these two
    for n, (category, text) in enumerate(
        [("work_goal", "年内硬化村内道路3公里"), ("good_deed", "为60岁以上老人免费体检一次")]
    ):
        PledgeItem.objects.create(
            letter_version=version, code=str(n + 1), position=n, category=category, text=text,
            target="100%",
        )  # fmt: skip
    version.snapshot = snapshot(version)
    version.content_hash = content_hash(version.snapshot)
    version.save(update_fields=["snapshot", "content_hash"])
    return letter


def test_ceremony_vote_sign_bulletin_custody(browser, live_server, login, cast, tree, system):
    from jiannuo.organisation.models import Post

    member = _with_items(
        make_letter(tree, "member", cast.member_person.posts.get(kind=Post.COMMITTEE_MEMBER))
    )
    secretary = make_letter(
        tree, "secretary", cast.branch_person.posts.get(kind=Post.BRANCH_SECRETARY)
    )
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
    phone.fill("input[name=phone]", party.phone)
    phone.click("form.card button")
    expect(phone.locator("#done")).to_be_visible()

    for person in (rep2, cast.voter_person):
        sec.locator(f"#sheet form:has(input[name=person][value='{person.pk}']) button").click()
        sec.wait_for_load_state()
    expect(sec.locator("#present")).to_have_text("3")
    vote = sec.locator(f"#letter-{member.pk} form")
    vote.locator("input[name=for_]").fill("3")
    vote.locator("button").click()
    expect(sec.locator(f"#letter-{member.pk} .vote[data-passed='1']")).to_have_count(1)
    # The secretary's letter fails the vote (1 of 3): it goes back to the joint meeting.
    vote = sec.locator(f"#letter-{secretary.pk} form")
    vote.locator("input[name=for_]").fill("1")
    vote.locator("input[name=against]").fill("2")
    vote.locator("button").click()
    expect(sec.locator(f"#letter-{secretary.pk} .vote[data-passed='0']")).to_have_count(1)
    expect(sec.locator(f"#letter-{secretary.pk}")).to_have_attribute("data-state", "returned")
    expect(sec.locator(f"#letter-{secretary.pk} form")).to_have_count(0)

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

    # The public bulletin board on the phone, without log-in: the signed letter and its items,
    # nothing of the letter that failed the vote.
    board = new_page(PHONE)
    board.goto(f"{live_server.url}/bulletin/{tree.a1.code}/")
    expect(board.locator("section.letter")).to_have_count(1)
    expect(board.locator("section.letter")).to_contain_text("年内硬化村内道路3公里")
    expect(board.locator("[data-category=work_goal]")).to_have_count(1)
    expect(board.locator(".history tr[data-version='1'] .in-force")).to_have_count(1)
    assert "周小红" not in board.content()  # no villager's personal details
    assert board.evaluate("document.documentElement.scrollWidth") <= 360
    board.goto(f"{live_server.url}/bulletin/{tree.a1.code}/poster/")
    expect(board.locator("body")).to_contain_text("年内硬化村内道路3公里")

    # Custody (§三.5): the branch, the cadre and the township each confirm their original.
    copies = {c.custodian: c for c in Custody.objects.filter(signed_letter=signed)}
    assert set(copies) == {"township", "branch", "cadre"}
    town = new_page()
    login(town, "staff_a")
    for page, custodian in ((sec, "branch"), (cadre, "cadre"), (town, "township")):
        page.goto(f"{live_server.url}/signing/custody/")
        row = page.locator(f"#copy-{copies[custodian].pk}")
        row.locator("button").click()
        expect(page.locator(f"#copy-{copies[custodian].pk}")).to_have_attribute(
            "data-received", "1"
        )
    expect(town.locator(f"#signed-{signed.pk} .archived")).to_have_count(1)
    signed.refresh_from_db()
    assert signed.archived_at is not None
