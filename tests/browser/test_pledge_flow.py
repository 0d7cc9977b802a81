"""Issue 3 in a real browser, one village from opinions to an approved letter (§三.1–3, §五.2):
a villager gives an opinion on a phone; the branch secretary groups the opinions into hot
issues and accepts them, prepares the letters, meets the quality gate, holds the joint meeting
and the consultation and submits; the township returns one letter and orders another redone;
the village adjusts and resubmits; the township approves.

Selectors use ids and form actions, not texts, so the test holds in any language."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from jiannuo.opinions import services as opinions
from jiannuo.opinions.models import HotIssue, Opinion
from jiannuo.organisation.models import Post
from jiannuo.pledges import rules, services
from jiannuo.pledges.models import Letter, LetterVersion

from .conftest import PHONE

pytestmark = pytest.mark.browser

YEAR = 2026
CARDS = [
    "村里路灯坏了好多盏，晚上黑漆漆的，老人出门不敢走。",
    "2组的路灯坏了半年多了，报修好几次没人管。",
    "太阳能路灯白天亮晚上不亮，请派人修一修。",
    "希望把3组到村部那段土路硬化一下，一下雨全是泥。",
    "我们组的路到现在还是石子路，啥时候能硬化？",
    "村东头的水泥路压坏了好几处，坑坑洼洼的，建议尽快修补。",
]
FIXED = [
    ("integrity", "村级财务每月公开一次，违纪违规零发生", "12次"),
    ("guarantee", "每季度召开一次两委联席会议研究承诺落实", "4次"),
]
CLAUSES = [
    {
        "category": "unmet_goals",
        "trigger": "年度工作目标未完成",
        "measure": "年度考核定为不称职，取消评先评优资格",
    },
    {
        "category": "economic_loss",
        "trigger": "因失职给集体造成经济损失",
        "measure": "按损失金额的30%承担赔偿",
    },
    {
        "category": "low_satisfaction",
        "trigger": "民主测评满意率低于60%",
        "measure": "接受黄牌警告，扣发绩效补贴20%",
    },
]


def _reload(letter):
    return Letter.objects.select_related("village", "term", "post__person").get(pk=letter.pk)


def _state(letter) -> str:
    return Letter.objects.values_list("state", flat=True).get(pk=letter.pk)


def _member_content(actor, letter, team_items):
    """Four categories; each item breaks down one team item (§三.2)."""
    items = [
        {
            "category": t.category,
            "text": f"负责落实{t.text}",
            "target": t.target,
            "deadline": t.deadline or date(YEAR, 12, 31),
            "breaks_down_ids": [t.pk],
        }
        for t in team_items
    ]
    present = {i["category"] for i in items}
    items += [
        {
            "category": c,
            "text": "每月走访联系户10户并报告承诺进展",
            "target": "10户",
            "deadline": date(YEAR, 12, 31),
        }
        for c in rules.CATEGORIES
        if c not in present
    ]
    letter = _reload(letter)
    services.letter_content_add(
        actor=actor, letter=letter, version=letter.version, items=items, clauses=CLAUSES
    )


def test_a_village_walks_its_letters_from_opinions_to_approval(
    live_server, browser, browser_context_args, cast, tree, login
):
    base = live_server.url
    village = tree.a1

    def new_page(viewport=None):
        args = dict(browser_context_args)
        if viewport:
            args["viewport"] = viewport
        return browser.new_context(**args).new_page()

    # --- §三.1: opinion cards, one given through the public page on a phone -----------------
    opinions.opinions_enter(
        actor=cast.branch,
        village=village,
        term=tree.term,
        year=YEAR,
        entries=[opinions.Entry(t) for t in CARDS],
    )
    phone = new_page(PHONE)
    phone.goto(f"{base}/opinions/say/{village.code}/")
    phone.fill("textarea[name=text]", "桥头那段路没有路灯，晚上经常有人掉进沟里，希望装几盏路灯。")
    phone.click("#public-opinion button[type=submit]")
    expect(phone.locator("#thanks")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert Opinion.objects.filter(village=village, text__startswith="桥头").exists()

    # --- Grouping into hot issues and accepting them ------------------------------------------
    sec = new_page()
    login(sec, "branch")
    sec.goto(f"{base}/opinions/villages/{village.pk}/")
    sec.click("form[action$='/group/'] button[type=submit]")
    proposed = list(HotIssue.objects.filter(village=village, status=HotIssue.PROPOSED))
    assert proposed, "grouping proposed no hot issue"
    for issue in proposed:
        sec.goto(f"{base}/opinions/issues/{issue.pk}/")
        sec.click("form[action$='/accept/'] button[type=submit]")
    accepted = list(HotIssue.objects.filter(village=village, status=HotIssue.ACCEPTED))
    assert len(accepted) == len(proposed)

    # --- §三.3: letters prepared from the roster -----------------------------------------------
    period = f"{base}/pledges/villages/{village.pk}/{YEAR}/"
    sec.goto(period)
    sec.click("#prepare")
    expect(sec.locator("#letters tbody tr")).to_have_count(4)
    team = Letter.objects.get(village=village, year=YEAR, kind="team")
    members = list(Letter.objects.filter(village=village, year=YEAR).exclude(kind="team"))

    # The first team pledge through the form, answering the first hot issue.
    sec.goto(f"{base}/pledges/letters/{team.pk}/")
    sec.click("#add-item")
    sec.select_option("select[name=category]", "good_deed")
    sec.fill("textarea[name=text]", "年内维修和新装路灯60盏")
    sec.fill("input[name=target]", "60盏")
    sec.fill("input[name=deadline]", "2026-09-30")
    sec.select_option(
        "select[name=responsible_post_id]",
        str(cast.branch_person.posts.get(kind=Post.BRANCH_SECRETARY).pk),
    )
    sec.check(f"input[name=hot_issue_ids][value='{accepted[0].pk}']")
    sec.click("form.card button[type=submit]")
    expect(sec.locator("#item-T1")).to_contain_text("年内维修和新装路灯60盏")

    # --- §五.2: the quality gate blocks the incomplete letter -------------------------------------
    sec.click("#quality-link")
    expect(sec.locator("#blocking")).to_be_visible()
    expect(sec.locator("#blocking li[data-rule='pledges.empty_category']")).to_have_count(3)
    sec.goto(f"{base}/pledges/letters/{team.pk}/")
    sec.click("#act-submit_to_joint_meeting")
    expect(sec.locator(".messages li.error").first).to_be_visible()
    assert _state(team) == rules.DRAFT

    # The rest of the content (as a second editor would type it).
    secretary_post = cast.branch_person.posts.get(kind=Post.BRANCH_SECRETARY)
    items = [
        {
            "category": "work_goal",
            "text": f"年内解决“{i.label[:12]}”问题，办结整改事项3件",
            "target": "3件",
            "deadline": date(YEAR, 11, 30),
            "hot_issue_ids": [i.pk],
            "responsible_post_id": secretary_post.pk,
        }
        for i in accepted[1:]
    ]
    items += [
        {
            "category": c,
            "text": t,
            "target": g,
            "deadline": date(YEAR, 12, 31),
            "responsible_post_id": secretary_post.pk,
        }
        for c, t, g in FIXED
    ]
    team = _reload(team)
    services.letter_content_add(
        actor=cast.branch, letter=team, version=team.version, items=items, clauses=CLAUSES
    )
    team_items = list(LetterVersion.objects.get(letter=team).items.order_by("position"))
    for m in members:
        _member_content(cast.branch, m, team_items)
    sec.goto(f"{base}/pledges/letters/{team.pk}/quality/")
    expect(sec.locator("#quality-ok")).to_be_visible()
    sec.goto(f"{base}/pledges/villages/{village.pk}/{YEAR}/coverage/")
    expect(sec.locator("#coverage tr.uncovered")).to_have_count(0)

    # --- §三.2: every letter before the joint meeting, which approves them -----------------------
    for letter in [team, *members]:
        sec.goto(f"{base}/pledges/letters/{letter.pk}/")
        sec.click("#act-submit_to_joint_meeting")
        expect(sec.locator("#letter-state")).to_have_attribute("data-state", rules.TABLED)
    sec.goto(period)
    sec.click("#joint-meeting")
    sec.fill("input[name=date]", "2026-03-10")
    for box in sec.locator("input[name=attendance]").all():
        box.check()
    sec.click("#joint-meeting-form button[type=submit]")
    sec.wait_for_url(period)
    assert {_state(x) for x in [team, *members]} == {rules.JOINT_MEETING}

    # --- §三.3: the supervision committee comments; the letters go to the township --------------
    sec.click("#consultation")
    sec.fill("input[name=date]", "2026-03-17")
    sec.fill(f"textarea[name=comment_{team.pk}]", "建议路灯维修在公开栏公布进度。")
    sec.click("#consultation-form button[type=submit]")
    sec.wait_for_url(period)
    sec.click("#submit-all")
    sec.wait_for_url(period)
    assert {_state(x) for x in [team, *members]} == {rules.SUBMITTED}

    # --- The township returns the team letter and orders a member letter redone ------------------
    town = new_page()
    login(town, "secretary_a")
    expect(
        town.locator(f"ul.todo a[href='/pledges/villages/{village.pk}/{YEAR}/']")
    ).to_be_visible()
    town.goto(f"{base}/pledges/letters/{team.pk}/")
    town.fill("#decision-note", "路灯目标偏低，请提高到80盏。")
    town.click("#act-return")
    expect(town.locator("#letter-state")).to_have_attribute("data-state", rules.RETURNED)
    redone = members[-1]
    town.goto(f"{base}/pledges/letters/{redone.pk}/")
    town.fill("#decision-note", "照抄班子承诺，未结合本人分工，推倒重来。")
    town.click("#act-redo")
    expect(town.locator("#letter-state")).to_have_attribute("data-state", rules.DRAFT)
    assert LetterVersion.objects.get(letter=redone, number=1).state == rules.REDO
    assert not LetterVersion.objects.get(letter=redone, number=2).items.exists()

    # --- The village adjusts: the reasons are shown, the change is visible in the diff -----------
    sec.goto(f"{base}/pledges/letters/{team.pk}/")
    expect(sec.locator("#township-reasons")).to_contain_text("80盏")
    sec.click("#item-T1 a")
    sec.fill("textarea[name=text]", "年内维修和新装路灯80盏")
    sec.fill("input[name=target]", "80盏")
    sec.click("form.card button[type=submit]")
    sec.click("#diff-link")
    expect(sec.locator("#diff-items [data-change='changed']")).to_contain_text("80盏")
    _member_content(
        cast.branch, redone, list(LetterVersion.objects.get(letter=team, number=2).items.all())
    )
    for letter in (team, redone):
        sec.goto(f"{base}/pledges/letters/{letter.pk}/")
        sec.click("#act-submit_to_joint_meeting")
        expect(sec.locator("#letter-state")).to_have_attribute("data-state", rules.TABLED)
    sec.goto(period)
    sec.click("#joint-meeting")
    sec.fill("input[name=date]", "2026-04-02")
    for box in sec.locator("input[name=attendance]").all():
        box.check()
    sec.click("#joint-meeting-form button[type=submit]")
    sec.wait_for_url(period)
    sec.click("#consultation")
    sec.fill("input[name=date]", "2026-04-09")
    sec.click("#consultation-form button[type=submit]")
    sec.wait_for_url(period)
    sec.click("#submit-all")
    sec.wait_for_url(period)

    # --- The township party committee approves every letter ---------------------------------------
    for letter in [team, *members]:
        town.goto(f"{base}/pledges/letters/{letter.pk}/")
        town.click("#act-approve")
        expect(town.locator("#letter-state")).to_have_attribute("data-state", rules.APPROVED)
    assert {_state(x) for x in [team, *members]} == {rules.APPROVED}
    assert Letter.objects.get(pk=team.pk).current_number == 2

    # The approved letter reads well on a phone.
    small = new_page(PHONE)
    login(small, "branch")
    small.goto(f"{base}/pledges/letters/{team.pk}/")
    expect(small.locator("#letter-state")).to_have_attribute("data-state", rules.APPROVED)
    assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
