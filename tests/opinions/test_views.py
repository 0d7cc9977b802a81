"""Pages of the opinions step (§三.1): render, write through the services, refuse bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from jiannuo.opinions import services
from jiannuo.opinions.models import ConsultationMeeting, HotIssue, HouseholdVisit, Opinion

from .conftest import YEAR


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_index_lists_the_villages_in_scope(cast, tree, opinions):
    response = _client(cast.secretary_a).get("/opinions/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "柳树村" in html and "河口村" in html and "东湖村" not in html
    assert f"/opinions/townships/{tree.a.pk}/tasks/" in html


def test_index_sends_a_village_cadre_to_the_village(cast, tree):
    response = _client(cast.branch).get("/opinions/")
    assert response.status_code == 302
    assert response.url == f"/opinions/villages/{tree.a1.pk}/"


def test_index_refuses_someone_without_a_role(cast):
    assert _client(cast.outsider).get("/opinions/").status_code == 404


def test_village_page_shows_qr_and_public_link(cast, tree, opinions, django_assert_max_num_queries):
    client = _client(cast.branch)
    with django_assert_max_num_queries(20):
        response = client.get(f"/opinions/villages/{tree.a1.pk}/?year={YEAR}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and f"/opinions/say/{tree.a1.code}/" in html
    assert f'action="/opinions/villages/{tree.a1.pk}/group/"' in html


def test_village_page_queries_do_not_grow_with_issues(
    cast, tree, issues, task, django_assert_max_num_queries
):
    services.opinions_enter(
        actor=cast.branch,
        village=tree.a1,
        term=tree.term,
        year=YEAR,
        entries=[f"意见{i}" for i in range(30)],
    )
    client = _client(cast.branch)
    with django_assert_max_num_queries(20):
        assert client.get(f"/opinions/villages/{tree.a1.pk}/").status_code == 200


def test_printable_card(cast, tree):
    """§三.1 征求意见卡: a printable blank card with the village, questions and a QR code."""
    response = _client(cast.member).get(f"/opinions/villages/{tree.a1.pk}/card/?year={YEAR}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "柳树村村干部任职承诺征求意见卡" in html and "姓名（可不填）" in html
    assert "<svg" in html and "@page { size: A5" in html
    a4 = _client(cast.member).get(f"/opinions/villages/{tree.a1.pk}/card/?size=A4")
    assert "@page { size: A4" in a4.content.decode()
    assert a4.content.decode().count("征求意见卡</h1>") == 2


def test_entering_cards_from_paper(cast, tree):
    client = _client(cast.member)
    url = f"/opinions/villages/{tree.a1.pk}/enter/"
    assert client.get(url).status_code == 200
    data = {
        "term": tree.term.pk,
        "year": YEAR,
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "0",
        "form-0-text": "路灯不亮",
        "form-0-giver_name": "张三",
        "form-0-giver_phone": "13900001111",
        "form-1-text": "",
        "form-2-text": "自来水停水",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert sorted(Opinion.objects.values_list("text", "giver_name")) == [
        ("自来水停水", ""),
        ("路灯不亮", "张三"),
    ]


def test_entering_cards_with_a_bad_row_saves_nothing(cast, tree):
    data = {
        "term": tree.term.pk,
        "year": YEAR,
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "form-0-text": "路灯不亮",
        "form-1-text": "停水",
        "form-1-giver_phone": "abc",
    }
    response = _client(cast.branch).post(f"/opinions/villages/{tree.a1.pk}/enter/", data)
    assert response.status_code == 400
    assert 'id="problems"' in response.content.decode()
    assert not Opinion.objects.exists()


def test_voter_cannot_enter_cards(cast, tree):
    assert _client(cast.voter).get(f"/opinions/villages/{tree.a1.pk}/enter/").status_code == 404
    assert (
        _client(cast.supervisor).get(f"/opinions/villages/{tree.a1.pk}/enter/").status_code == 403
    )


def test_recording_a_meeting_and_a_visit(cast, tree):
    client = _client(cast.branch)
    response = client.post(
        f"/opinions/villages/{tree.a1.pk}/meetings/new/",
        {
            "term": tree.term.pk,
            "year": YEAR,
            "date": "2026-01-10",
            "attendee_count": "30",
            "attendees": "党员",
            "minutes": "纪要",
            "opinions": "路灯不亮\n\n自来水停水\n",
        },
    )
    assert response.status_code == 302
    meeting = ConsultationMeeting.objects.get()
    assert meeting.opinions.count() == 2
    assert client.get(f"/opinions/meetings/{meeting.pk}/").status_code == 200
    response = client.post(
        f"/opinions/villages/{tree.a1.pk}/visits/new/",
        {
            "term": tree.term.pk,
            "year": YEAR,
            "household": "王家",
            "visitor": "李建国",
            "date": "2026-01-12",
            "notes": "",
            "opinions": "水管老化",
        },
    )
    assert response.status_code == 302
    visit = HouseholdVisit.objects.get()
    assert visit.opinions.get().source == Opinion.VISIT
    assert client.get(f"/opinions/visits/{visit.pk}/").status_code == 200
    # Someone of another village sees neither.
    assert _client(cast.branch_a2).get(f"/opinions/meetings/{meeting.pk}/").status_code == 404


def test_meeting_with_a_future_date_is_refused(cast, tree):
    response = _client(cast.branch).post(
        f"/opinions/villages/{tree.a1.pk}/meetings/new/",
        {
            "term": tree.term.pk,
            "year": YEAR,
            "date": "2099-01-10",
            "attendee_count": "30",
            "opinions": "路灯不亮",
        },
    )
    assert response.status_code == 400
    assert not ConsultationMeeting.objects.exists() and not Opinion.objects.exists()


def test_group_button_and_issue_page(cast, tree, opinions):
    client = _client(cast.branch)
    response = client.post(
        f"/opinions/villages/{tree.a1.pk}/group/", {"term": tree.term.pk, "year": YEAR}
    )
    assert response.status_code == 302
    issue = HotIssue.objects.order_by("id").first()
    page = client.get(f"/opinions/issues/{issue.pk}/")
    assert page.status_code == 200 and issue.label in page.content.decode()


def test_issue_actions_through_the_page(cast, tree, issues):
    client = _client(cast.branch)
    target, other = issues[0], issues[1]
    url = f"/opinions/issues/{target.pk}/"
    assert (
        client.post(url + "rename/", {"label": "路灯维修", "version": target.version}).status_code
        == 302
    )
    target.refresh_from_db()
    response = client.post(
        url + "merge/",
        {"others": [other.pk], "version": target.version, f"version_{other.pk}": other.version},
    )
    assert response.status_code == 302
    assert HotIssue.objects.get(pk=other.pk).status == HotIssue.MERGED
    target.refresh_from_db()
    ids = list(target.opinions.values_list("pk", flat=True))
    response = client.post(
        url + "split/", {"opinions": ids[:1], "label": "新问题", "version": target.version}
    )
    assert response.status_code == 302
    new = HotIssue.objects.get(label="新问题")
    assert response.url == f"/opinions/issues/{new.pk}/"
    target.refresh_from_db()
    assert client.post(url + "accept/", {"version": target.version}).status_code == 302
    assert client.post(url + "not_adopt/", {"reason": "需上级立项"}).status_code == 302
    target.refresh_from_db()
    assert target.status == HotIssue.ACCEPTED and target.not_adopted_reason == "需上级立项"


def test_stale_rename_shows_a_conflict(cast, tree, issues):
    issue = issues[0]
    client = _client(cast.branch)
    client.post(f"/opinions/issues/{issue.pk}/rename/", {"label": "甲", "version": issue.version})
    response = _client(cast.director).post(
        f"/opinions/issues/{issue.pk}/rename/", {"label": "乙", "version": issue.version}
    )
    assert response.status_code == 409
    assert HotIssue.objects.get(pk=issue.pk).label == "甲"


def test_accepting_a_merged_issue_is_refused(cast, tree, issues):
    target, other = issues[0], issues[1]
    services.issue_merge(actor=cast.branch, target=target, others=[other], versions={})
    response = _client(cast.branch).post(f"/opinions/issues/{other.pk}/accept/", {})
    assert response.status_code == 400
    assert HotIssue.objects.get(pk=other.pk).status == HotIssue.MERGED


def test_another_villages_issue_is_not_found(cast, tree, issues):
    client = _client(cast.branch_a2)
    assert client.get(f"/opinions/issues/{issues[0].pk}/").status_code == 404
    assert client.post(f"/opinions/issues/{issues[0].pk}/accept/", {}).status_code == 404
    assert HotIssue.objects.get(pk=issues[0].pk).status == HotIssue.PROPOSED


def test_member_sees_but_cannot_decide(cast, tree, issues):
    client = _client(cast.member)
    assert client.get(f"/opinions/issues/{issues[0].pk}/").status_code == 200
    assert client.post(f"/opinions/issues/{issues[0].pk}/accept/", {}).status_code == 403


def test_township_tasks_page_issues_a_task(cast, tree):
    client = _client(cast.staff_a)
    url = f"/opinions/townships/{tree.a.pk}/tasks/"
    page = client.get(url)
    assert page.status_code == 200 and "柳树村" in page.content.decode()
    response = client.post(
        url,
        {
            "title": "防汛",
            "target": "零伤亡",
            "year": YEAR,
            "deadline": "2026-06-01",
            "villages": [tree.a1.pk],
        },
    )
    assert response.status_code == 302
    html = client.get(response.url).content.decode()
    assert "防汛" in html and "零伤亡" in html
    # A village of the other township is not even a choice.
    response = client.post(
        url,
        {
            "title": "x",
            "target": "y",
            "year": YEAR,
            "deadline": "2026-06-01",
            "villages": [tree.b1.pk],
        },
    )
    assert response.status_code == 400


def test_township_tasks_page_read_only_for_assessor_and_hidden_from_others(cast, tree):
    url = f"/opinions/townships/{tree.a.pk}/tasks/"
    assert 'id="issue-task"' not in _client(cast.assessor_a).get(url).content.decode()
    assert _client(cast.assessor_a).post(url, {"title": "x"}).status_code == 403
    assert _client(cast.secretary_b).get(url).status_code == 404


def test_village_not_adopts_a_task_from_its_page(cast, tree, task):
    a = task.assignments.get(village=tree.a1)
    response = _client(cast.director).post(
        f"/opinions/assignments/{a.pk}/not_adopt/", {"reason": "本村已完成"}
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.not_adopted_reason == "本村已完成"
    page = _client(cast.member).get(f"/opinions/villages/{tree.a1.pk}/?year={YEAR}")
    assert "本村已完成" in page.content.decode()


# --- The public page (no log-in, 360 px phones) ---------------------------------------------


def test_public_page_renders_without_login(tree):
    response = _client().get(f"/opinions/say/{tree.a1.code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "柳树村" in html and 'name="viewport"' in html and 'name="website"' in html
    assert 'inputmode="tel"' in html


def test_public_page_unknown_village_is_404(tree):
    assert _client().get("/opinions/say/NOPE99/").status_code == 404
    assert _client().get(f"/opinions/say/{tree.a.code}/").status_code == 404  # a township


def test_public_submission_without_login(tree):
    """§三.1: villagers give their opinion by link or QR code, name optional."""
    client = _client()
    response = client.post(f"/opinions/say/{tree.a1.code}/", {"text": "路灯不亮", "giver_name": ""})
    assert response.status_code == 302 and response.url.endswith("?sent=1")
    o = Opinion.objects.get()
    assert (o.source, o.village, o.year) == (Opinion.ONLINE, tree.a1, 2026)
    assert 'id="thanks"' in client.get(response.url).content.decode()


def test_public_submission_bad_input_saves_nothing(tree):
    client = _client()
    for data in ({"text": ""}, {"text": "长" * 501}, {"text": "路灯", "giver_phone": "abc"}):
        assert client.post(f"/opinions/say/{tree.a1.code}/", data).status_code == 400
    assert not Opinion.objects.exists()


def test_public_submission_rate_limit(tree):
    client = _client()
    url = f"/opinions/say/{tree.a1.code}/"
    for i in range(services.PUBLIC_PER_CLIENT_PER_HOUR):
        assert client.post(url, {"text": f"意见{i}"}).status_code == 302
    response = client.post(url, {"text": "再来一条"})
    assert response.status_code == 429
    assert 'id="form-error"' in response.content.decode()
    assert Opinion.objects.count() == services.PUBLIC_PER_CLIENT_PER_HOUR


def test_public_honeypot(tree):
    response = _client().post(f"/opinions/say/{tree.a1.code}/", {"text": "买药", "website": "x"})
    assert response.status_code == 302
    assert not Opinion.objects.exists()


def test_public_page_never_shows_other_opinions(tree, opinions):
    html = _client().get(f"/opinions/say/{tree.a1.code}/").content.decode()
    assert "王秀兰" not in html and "黑漆漆" not in html


@pytest.mark.parametrize("path", ["/opinions/", "/opinions/villages/1/"])
def test_pages_need_login(path):
    response = _client().get(path)
    assert response.status_code == 302 and "/accounts/login" in response.url
