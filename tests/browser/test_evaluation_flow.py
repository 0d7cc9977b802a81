"""The year-end step in a real browser on a 360×740 phone (§三.6): the presiding officer runs a
paper round (check-in, numbered ballots, tallies) that a second person confirms, and a phone
round whose voters cast anonymous ballots with one-time codes; the township confirms the year
and the results appear on the public bulletin board.

Selectors use ids, names and data attributes, not texts, so the test holds in any language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jiannuo.evaluation.models import Ballot, Round, Tally, YearResult
from tests.conftest import make_person
from tests.evaluation.conftest import YEAR, assess
from tests.factories import signed_year

from .conftest import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def ready(tree, cast, system):
    """Signed 2025 letters, the assessment group's verdicts, ten eligible voters."""
    from jiannuo.evaluation import services
    from jiannuo.organisation.models import Post

    letters = signed_year(tree, cast, system, year=YEAR)
    services.group_create(
        actor=cast.secretary_a, township=tree.a, year=YEAR, name="考核组",
        members=[cast.assessor_a], villages=[tree.a1],
    )  # fmt: skip
    for i in range(8):
        make_person(system, tree.a1, f"代表{i}", Post.REPRESENTATIVE)
    assess(letters, cast.assessor_a)
    return letters


def phone_page(browser):
    return browser.new_context(viewport=PHONE).new_page()


def prepare_and_open(page, live_server, tree, method):
    page.goto(f"{live_server.url}/evaluation/?year={YEAR}")
    row = page.locator(f"tr[data-village={tree.a1.code}]")
    row.locator("select[name=method]").select_option(method)
    row.locator("button[name=create_round]").click()
    page.wait_for_url(re.compile(r"/evaluation/rounds/\d+/$"))
    while page.locator("button.checkin").count():
        page.locator("button.checkin").first.click()
        page.wait_for_load_state()
    expect(page.locator("#present")).to_have_text("10")
    codes = []
    if method == "phone":
        # N slips = voters present; printed once, without names, in random order.
        expect(page.locator("#slips-needed")).to_have_text("10")
        page.click("#slips-link")
        slips = page.locator(".slip")
        expect(slips).to_have_count(10)
        codes = [slips.nth(i).get_attribute("data-code") for i in range(10)]
        page.click("#back-to-round")
        expect(page.locator("#issued")).to_have_text("10")
    page.click("#open-round")
    expect(page.locator("#round-state")).to_have_attribute("data-state", "open")
    rnd = Round.objects.get(village=tree.a1, year=YEAR)
    rnd.codes = codes
    return rnd


def confirm_and_publish(browser, live_server, login, tree):
    town = phone_page(browser)
    login(town, "secretary_a")
    town.goto(f"{live_server.url}/evaluation/villages/{tree.a1.pk}/{YEAR}/")
    town.click("#confirm-results")
    expect(town.locator("#confirmed")).to_be_visible()
    assert YearResult.objects.get(village=tree.a1, year=YEAR).state == "confirmed"
    public = phone_page(browser)
    public.goto(f"{live_server.url}/bulletin/{tree.a1.code}/")
    board = public.locator("#evaluation-results")
    expect(board).to_have_attribute("data-year", str(YEAR))
    return board


def test_paper_round_to_the_bulletin(browser, live_server, login, cast, tree, ready):
    page = phone_page(browser)
    login(page, "supervisor")
    rnd = prepare_and_open(page, live_server, tree, "paper")
    page.click("#ballots-link")
    expect(page.locator(".paper-ballot")).to_have_count(10)
    page.go_back()
    page.click("#close-round")
    expect(page.locator("#round-state")).to_have_attribute("data-state", "closed")
    for target in rnd.targets.order_by("position"):
        form = page.locator(f"#target-{target.pk} form.tally-form")
        form.locator("input[name=returned]").fill("10")
        form.locator("input[name=spoiled]").fill("1")
        form.locator("input[name=count_satisfied]").fill("5")
        form.locator("input[name=count_basically_satisfied]").fill("1")
        form.locator("input[name=count_dissatisfied]").fill("3")
        form.locator("button").click()
        page.wait_for_load_state()
    assert Tally.objects.filter(round=rnd, confirmed_at__isnull=True).count() == 4
    # The one who entered the tallies cannot confirm them.
    expect(page.locator("button.confirm-tally")).to_have_count(0)

    second = phone_page(browser)
    login(second, "staff_a")
    second.goto(f"{live_server.url}/evaluation/rounds/{rnd.pk}/")
    while second.locator("button.confirm-tally").count():
        second.locator("button.confirm-tally").first.click()
        second.wait_for_load_state()
    expect(second.locator("[data-confirmed]")).to_have_count(4)

    board = confirm_and_publish(browser, live_server, login, tree)
    # 6 satisfied of 9 valid ballots (1 spoiled): 66.66%.
    expect(board.locator("td.rate").first).to_have_text("66.66%")


def test_phone_round_to_the_bulletin(browser, live_server, login, cast, tree, ready):
    page = phone_page(browser)
    login(page, "supervisor")
    rnd = prepare_and_open(page, live_server, tree, "phone")
    codes = rnd.codes
    assert len(set(codes)) == 10

    voter = phone_page(browser)  # no log-in: the code is the credential
    for n, code in enumerate(codes[:8]):
        voter.goto(f"{live_server.url}/evaluation/vote/{code}/")
        for fs in voter.locator("fieldset.vote-target").all():
            fs.locator("input[type=radio]").nth(0 if n < 5 else 2).check()
        voter.click("#cast")
        expect(voter.locator("#vote-done")).to_be_visible()
    # A used code cannot vote again.
    voter.goto(f"{live_server.url}/evaluation/vote/{codes[0]}/")
    expect(voter.locator("#vote-error")).to_be_visible()
    expect(voter.locator("#ballot")).to_have_count(0)
    assert Ballot.objects.filter(round=rnd).count() == 8

    page.goto(f"{live_server.url}/evaluation/rounds/{rnd.pk}/")
    page.click("#close-round")
    expect(page.locator("#round-state")).to_have_attribute("data-state", "closed")
    # After closing, a code left over is refused.
    voter.goto(f"{live_server.url}/evaluation/vote/{codes[9]}/")
    expect(voter.locator("#vote-error")).to_be_visible()

    board = confirm_and_publish(browser, live_server, login, tree)
    # 5 satisfied of 8 valid ballots: 62.50%.
    expect(board.locator("td.rate").first).to_have_text("62.50%")
