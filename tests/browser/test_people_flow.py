"""Log-ins for a village's people in a real browser (issue #14): the township (desktop) issues
log-ins for everyone of 柳树村 without one and gets the activation slips as one PDF; the
committee director and a team member, each on a 360 px phone, activate their log-ins with
the codes printed on their slips, sign their own letters at the ceremony, and the member
replies (申辩) to her case.

Selectors use ids, names and data attributes, not texts, so the test holds in any language."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiannuo.accountability import services as accountability
from jiannuo.accountability.models import Case
from jiannuo.organisation.models import Person, Post
from jiannuo.signing import services as signing
from jiannuo.signing.models import Signature
from tests.accountability.conftest import make_year_facts
from tests.conftest import make_person
from tests.signing.conftest import make_letter

from .conftest import PHONE

pytestmark = pytest.mark.browser

PASSWORD = "Liushu2027ok"


def _slips(pdf_path) -> dict[str, tuple[str, str]]:
    """Name → (user name, activation code) read back from the printed slips (pdftotext)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    out = {}
    for page in text.split("\f"):
        user = re.search(r"\b(sq01-\d+(?:-\d+)?)\b", page)
        code = re.search(r"\b([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})\b", page)
        for person in Person.objects.filter(village__code="SQ01"):
            if person.name in page and user and code:
                out[person.name] = (user.group(1), code.group(1))
    return out


def test_township_activates_a_village_and_cadres_sign_and_reply(
    browser, live_server, login, cast, tree, system, tmp_path
):
    url = live_server.url
    # 王海涛 (director) and 张秀英 (member) have no log-in yet.
    Person.objects.filter(pk__in=[cast.director_person.pk, cast.member_person.pk]).update(user=None)
    director_letter = make_letter(
        tree, "member", cast.director_person.posts.get(kind=Post.COMMITTEE_DIRECTOR)
    )
    member_letter = make_letter(
        tree, "member", cast.member_person.posts.get(kind=Post.COMMITTEE_MEMBER)
    )
    # The ceremony is held and both letters passed the vote (tested in the signing flow).
    ceremony = signing.ceremony_schedule(
        actor=cast.branch, village=tree.a1, term=tree.term, year=2026,
        scheduled_at=timezone.now(), place="村委会议室",
    )  # fmt: skip
    ceremony = signing.ceremony_hold(actor=cast.branch, ceremony=ceremony)
    rep2 = make_person(system, tree.a1, "孙大山", Post.REPRESENTATIVE)
    party = make_person(system, tree.a1, "周小红", Post.PARTY_MEMBER)
    for p in (party, rep2, cast.voter_person):
        signing.attendance_checkin(actor=cast.branch, ceremony=ceremony, person=p)
    for letter in (director_letter, member_letter):
        signing.vote_record(
            actor=cast.branch, ceremony=ceremony, letter=letter, for_=3, against=0, abstain=0
        )
    # The 2025 cases are open (tested in the accountability flow): the member may reply.
    accountability.run_open(
        actor=cast.secretary_a, township=tree.a, year=2025, facts=make_year_facts(tree, cast)
    )
    case = Case.objects.filter(person=cast.member_person).first()

    # The township, on a desktop, issues the log-ins of the whole village in one action.
    town = browser.new_context().new_page()
    login(town, "staff_a")
    town.goto(f"{url}/org/units/{tree.a1.pk}/")
    expect(town.locator('.login[data-state="none"]')).to_have_count(4)
    with town.expect_download() as download:
        town.click("#village-activations button")
    pdf = tmp_path / "slips.pdf"
    download.value.save_as(pdf)
    slips = _slips(pdf)
    assert set(slips) == {"王海涛", "张秀英", "孙大山", "周小红"}
    town.goto(f"{url}/org/units/{tree.a1.pk}/")
    expect(town.locator('.login[data-state="pending"]')).to_have_count(4)
    expect(town.locator('.login[data-state="none"]')).to_have_count(0)

    for name, letter in (("王海涛", director_letter), ("张秀英", member_letter)):
        username, code = slips[name]
        phone = browser.new_context(viewport=PHONE).new_page()
        phone.goto(f"{url}/accounts/login/")
        phone.click("a[href$='/accounts/activate/']")
        phone.fill("input[name=username]", username)
        phone.fill("input[name=code]", code)
        phone.fill("input[name=password]", PASSWORD)
        phone.fill("input[name=password_again]", PASSWORD)
        phone.click("#activate button[type=submit]")
        phone.wait_for_url("**/todo/")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        # Each signs their own letter at the ceremony.
        phone.goto(f"{url}/signing/letters/{letter.pk}/")
        phone.select_option("select[name=role]", "member")
        phone.check("input[name=consent]")
        phone.click("form.card button")
        expect(phone.locator("#given li")).to_have_count(1)
        assert Signature.objects.filter(
            signed_letter__letter=letter, signer_name=name, person__user__username=username
        ).exists()
        if name == "张秀英":
            # The member replies to her case on the phone.
            phone.goto(f"{url}/accountability/cases/{case.pk}/")
            phone.fill("#form-reply textarea[name=text]", "礼品已当场退回，有村务监督委员会证明。")
            phone.click("#form-reply button[type=submit]")
            expect(phone.locator("#case-state")).to_have_attribute("data-state", "replied")
            assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        # The log-in works with the password from now on; the code does not work again.
        again = browser.new_context(viewport=PHONE).new_page()
        login(again, username, PASSWORD)

    town.goto(f"{url}/org/units/{tree.a1.pk}/")
    # The two, besides 李建国 (listed under the branch and the party members), 赵德明, 陈玉梅.
    expect(town.locator('.login[data-state="active"]')).to_have_count(6)
    expect(town.locator('.login[data-state="pending"]')).to_have_count(2)
