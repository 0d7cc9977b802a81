"""A new term of office (换届) in a real browser (issue #14): the district (desktop) opens the
2027–2031 term; the township (desktop) carries 柳树村's roster over with one change — the
committee director leaves and a newly elected one starts; the branch secretary, on a 360 px
phone, prepares the village's first letters of the new term from the new roster.

Selectors use ids, names and data attributes, not texts, so the test holds in any language."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from jiannuo.organisation.models import Person, Post, RosterCarryOver, Term
from jiannuo.pledges.models import Letter

from .conftest import PHONE

pytestmark = pytest.mark.browser


def test_district_opens_a_term_township_carries_over_village_prepares(
    browser, live_server, login, cast, tree
):
    url = live_server.url

    district = browser.new_context().new_page()
    login(district, "district")
    district.goto(f"{url}/org/units/{tree.district.pk}/")
    district.click("#term-add")
    district.fill("input[name=name]", "2027—2031年届")
    district.fill("input[name=start]", "2027-01-01")
    district.fill("input[name=end]", "2031-12-31")
    district.click("form.card button[type=submit]")
    term = Term.objects.get(name="2027—2031年届")
    expect(district.locator(f'#terms li[data-term="{term.pk}"]')).to_have_count(1)

    town = browser.new_context().new_page()
    login(town, "staff_a")
    town.goto(f"{url}/org/units/{tree.a1.pk}/")
    town.click("#carry-over-due a")
    director_post = cast.director_person.posts.get(kind=Post.COMMITTEE_DIRECTOR)
    expect(town.locator("#carry-over select[name^=post-]")).to_have_count(6)
    town.select_option(f"select[name=post-{director_post.pk}]", "leave")
    town.select_option("select[name=new-0-kind]", Post.COMMITTEE_DIRECTOR)
    town.fill("input[name=new-0-name]", "林晓峰")
    town.fill("input[name=new-0-phone]", "13811112222")
    town.click("#carry-over button[type=submit]")
    expect(town.locator(".carried")).to_have_count(1)
    done = RosterCarryOver.objects.get(village=tree.a1, term=term)
    assert (done.kept, done.ended, done.started) == (5, 1, 1)
    director_post.refresh_from_db()
    assert director_post.end == date(2026, 12, 31)
    newcomer = Person.objects.get(name="林晓峰")
    assert newcomer.posts.get().start == date(2027, 1, 1)

    village = browser.new_context(viewport=PHONE).new_page()
    login(village, "branch")
    village.goto(f"{url}/pledges/villages/{tree.a1.pk}/2027/")
    village.click("#prepare")
    expect(village.locator("#letters tbody tr")).to_have_count(4)
    letters = Letter.objects.filter(village=tree.a1, term=term, year=2027)
    holders = {x.post.person.name for x in letters if x.post_id}
    assert holders == {"李建国", "张秀英", "林晓峰"}  # not the director who left
    # The term letters of the new term, before it begins.
    village.click("#term-letters")
    village.click("#prepare")
    expect(village.locator("#letters tbody tr")).to_have_count(4)
    assert Letter.objects.filter(village=tree.a1, term=term, year=None).count() == 4
    assert village.evaluate("document.documentElement.scrollWidth") <= 360
