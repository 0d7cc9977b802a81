"""Pages of the pledges step: letters, editing with conflicts, the quality gate, meetings,
the township's decision, versions and the to-do (§三.2, §三.3, §五.2)."""

from __future__ import annotations

import re

from django.urls import reverse

from jiannuo.core.todo import items_for
from jiannuo.pledges import rules, services
from jiannuo.pledges.checks import RULE_TEXT
from jiannuo.pledges.models import Letter, PledgeItem
from jiannuo.pledges.rules import RULES
from jiannuo.pledges.todo import pledges_todo

from .conftest import (
    MEETING_DAY,
    YEAR,
    consult,
    hold_joint_meeting,
    reload,
    table_all,
    team_post_ids,
    to_submitted,
)


def test_index_lists_villages_in_scope(client, cast, letters, tree):
    client.force_login(cast.secretary_a)
    html = client.get(reverse("pledges:index")).content.decode()
    assert "柳树村" in html and "河口村" in html and "东湖村" not in html


def test_period_page_prepares_letters(client, cast, tree):
    client.force_login(cast.branch)
    url = reverse("pledges:period", args=[tree.a1.pk, YEAR])
    assert client.get(url).status_code == 200
    response = client.post(reverse("pledges:prepare", args=[tree.a1.pk, YEAR]))
    assert response.status_code == 302
    assert Letter.objects.filter(village=tree.a1, year=YEAR).count() == 4
    html = client.get(url).content.decode()
    assert html.count("data-letter=") == 4


def test_letter_page_query_count_is_pinned(
    client, cast, complete, tree, django_assert_max_num_queries
):
    """The letter page reads in a fixed number of queries, whatever the number of items."""
    to_submitted(complete.all, cast, tree)  # history and snapshots present too
    client.force_login(cast.branch)
    url = reverse("pledges:letter", args=[complete.team.pk])
    client.get(url)
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    assert "年内硬化村内道路3公里" in response.content.decode()


def test_period_page_query_count_is_pinned(
    client, cast, complete, tree, django_assert_max_num_queries
):
    client.force_login(cast.branch)
    url = reverse("pledges:period", args=[tree.a1.pk, YEAR])
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_add_item_through_the_form(client, cast, letters):
    client.force_login(cast.branch)
    letter = letters.team
    response = client.post(
        reverse("pledges:item_new", args=[letter.pk]),
        {
            "version": letter.version,
            "category": "work_goal",
            "text": "新增集体经济收入10万元",
            "target": "10万元",
            "deadline": "2026-12-31",
        },
    )
    assert response.status_code == 302
    assert PledgeItem.objects.get(letter_version__letter=letter).text == "新增集体经济收入10万元"


def test_conflicting_save_shows_the_message_and_keeps_the_text(client, cast, letters):
    """A concurrent second save: a clear conflict, the person's text shown, nothing overwritten."""
    letter = letters.team
    stale = letter.version
    client.force_login(cast.director)
    client.post(
        reverse("pledges:item_new", args=[letter.pk]),
        {"version": stale, "category": "work_goal", "text": "年内硬化村内道路3公里"},
    )
    client.force_login(cast.branch)
    response = client.post(
        reverse("pledges:item_new", args=[letter.pk]),
        {"version": stale, "category": "good_deed", "text": "为困难户修缮房屋8户"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "reload" in html.lower() or "刷新" in html or "重新加载" in html
    assert "为困难户修缮房屋8户" in html  # the person's text, so nothing is lost
    assert PledgeItem.objects.filter(letter_version__letter=letter).count() == 1


def test_quality_page_explains_and_acknowledges(client, cast, complete):
    letter = complete.secretary
    item = letter.versions.get().items.get(category="good_deed")
    item.text = "努力为老人体检100人"
    item.save()
    client.force_login(cast.branch)
    url = reverse("pledges:quality", args=[letter.pk])
    html = client.get(url).content.decode()
    assert 'data-rule="pledges.item_vague_words"' in html and "§五.2" in html
    response = client.post(url, {"version": letter.version, "note": "数字明确，保留"})
    assert response.status_code == 302
    assert 'id="acknowledged"' in client.get(url).content.decode()


def test_quality_page_lists_blocking_findings(client, cast, letters):
    client.force_login(cast.branch)
    html = client.get(reverse("pledges:quality", args=[letters.team.pk])).content.decode()
    assert html.count('data-rule="pledges.empty_category"') == 4
    assert html.count('data-rule="pledges.missing_breach_category"') == 3


def test_rules_page_explains_every_rule(client, cast):
    client.force_login(cast.member)
    html = client.get(reverse("pledges:rules")).content.decode()
    assert set(RULE_TEXT) == set(RULES)
    for rule in RULES:
        assert f'id="{rule}"' in html


def test_submit_to_joint_meeting_blocked_shows_why(client, cast, letters):
    client.force_login(cast.branch)
    response = client.post(
        reverse("pledges:act", args=[letters.team.pk, "submit_to_joint_meeting"]), follow=True
    )
    assert reload(letters.team).state == rules.DRAFT
    assert len(list(response.context["messages"])) > 1


def test_meetings_and_submission_through_the_pages(client, cast, complete, tree):
    table_all(complete.all, cast.branch)
    client.force_login(cast.branch)
    url = reverse("pledges:joint_meeting", args=[tree.a1.pk, YEAR])
    assert client.get(url).status_code == 200
    data = {"date": MEETING_DAY.isoformat(), "attendance": team_post_ids(tree.a1)}
    data.update({f"decision_{x.pk}": "approved" for x in complete.all})
    data[f"decision_{complete.member.pk}"] = "sent_back"
    assert client.post(url, data).status_code == 302
    assert reload(complete.member).state == rules.DRAFT
    url = reverse("pledges:consultation", args=[tree.a1.pk, YEAR])
    data = {"date": MEETING_DAY.isoformat()}
    data.update({f"include_{x.pk}": "1" for x in complete.all[:3]})
    data[f"comment_{complete.team.pk}"] = "建议增加路灯安装"
    assert client.post(url, data).status_code == 302
    assert reload(complete.team).state == rules.CONSULTED
    client.post(reverse("pledges:submit_all", args=[tree.a1.pk, YEAR]))
    assert {reload(x).state for x in complete.all[:3]} == {rules.SUBMITTED}


def test_joint_meeting_without_quorum_is_refused_on_the_page(client, cast, complete, tree):
    table_all(complete.all, cast.branch)
    client.force_login(cast.branch)
    url = reverse("pledges:joint_meeting", args=[tree.a1.pk, YEAR])
    data = {"date": MEETING_DAY.isoformat(), "attendance": team_post_ids(tree.a1)[:1]}
    data.update({f"decision_{x.pk}": "approved" for x in complete.all})
    response = client.post(url, data)
    assert response.status_code == 400
    assert 'id="form-error"' in response.content.decode()
    assert reload(complete.team).state == rules.TABLED


def test_township_returns_then_redo_and_diff_page(client, cast, complete, tree):
    letters = to_submitted(complete.all, cast, tree)
    client.force_login(cast.secretary_a)
    letter_url = reverse("pledges:letter", args=[letters[0].pk])
    assert 'id="decision"' in client.get(letter_url).content.decode()
    client.post(reverse("pledges:act", args=[letters[0].pk, "return"]), {"note": "道路目标偏低"})
    team = reload(letters[0])
    assert team.state == rules.RETURNED
    client.force_login(cast.branch)
    html = client.get(letter_url).content.decode()
    assert 'id="township-reasons"' in html and "道路目标偏低" in html
    item = team.versions.get(number=2).items.get(code="T1")
    client.post(
        reverse("pledges:item_edit", args=[team.pk, item.pk]),
        {
            "version": team.version,
            "category": "work_goal",
            "text": "年内硬化村内道路5公里",
            "target": "5公里",
            "deadline": "2026-10-31",
            "responsible_post_id": item.responsible_post_id,
        },
    )
    html = client.get(reverse("pledges:versions", args=[team.pk])).content.decode()
    assert 'data-change="changed"' in html and "年内硬化村内道路5公里" in html


def test_todo_tells_who_acts_next(cast, complete, tree):
    """The village sees the joint meeting due; the township sees letters awaiting approval."""
    table_all(complete.all, cast.branch)
    titles = [i.title for i in items_for(cast.branch) if i.step == "pledges"]
    assert any("柳树村" in t for t in titles)
    assert any(
        i.url == reverse("pledges:joint_meeting", args=[tree.a1.pk, YEAR])
        for i in items_for(cast.branch)
    )
    assert not [i for i in items_for(cast.secretary_a) if i.step == "pledges"]
    hold_joint_meeting(tree.a1, tree.term, complete.all, cast.branch)
    consult(tree.a1, tree.term, complete.all, cast.branch)
    services.period_submit(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    township = [i for i in items_for(cast.secretary_a) if i.step == "pledges"]
    assert len(township) == 1 and township[0].urgent
    assert re.search(r"4", township[0].detail)
    assert not [i for i in items_for(cast.secretary_b) if i.step == "pledges"]


def test_todo_lists_blocked_drafts_and_returned_letters(cast, letters, complete, tree):
    member_items = [i for i in items_for(cast.member) if i.step == "pledges"]
    assert member_items == []  # the member's own letter passes the gate
    letters_ = to_submitted(complete.all, cast, tree)
    services.letter_return(actor=cast.secretary_a, letter=letters_[3], reasons="补充")
    member_items = [i for i in items_for(cast.member) if i.step == "pledges"]
    assert len(member_items) == 1 and member_items[0].urgent


def test_todo_query_count_is_fixed(cast, complete, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        pledges_todo(cast.branch)


def test_todo_groups_many_blocked_drafts(cast, letters, tree):
    """Freshly prepared drafts all fail the gate: one to-do item for the period, not four."""
    items = [i for i in items_for(cast.branch) if i.step == "pledges"]
    assert len(items) == 1
    assert items[0].url == reverse("pledges:period", args=[tree.a1.pk, YEAR])
