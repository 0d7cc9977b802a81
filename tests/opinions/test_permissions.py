"""Who may do what in the opinions step: the cast (tests/conftest.py) against 柳树村 (tree.a1).

Deny by default; every role acts only in its scope. The givers' names and phones are
personal data (DOMAIN.md "Publication and privacy"): only roles that follow opinions up see them.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from jiannuo.core.permissions import has_perm
from jiannuo.opinions import services
from jiannuo.opinions.models import HotIssue, Opinion, TownshipTask

from .conftest import YEAR

EVERYONE = [
    "district",
    "secretary_a",
    "deputy_a",
    "staff_a",
    "assessor_a",
    "secretary_b",
    "branch",
    "director",
    "member",
    "supervisor",
    "voter",
    "branch_a2",
    "outsider",
]
VIEW = {
    "district",
    "secretary_a",
    "deputy_a",
    "staff_a",
    "assessor_a",
    "branch",
    "director",
    "member",
    "supervisor",
}
VIEW_PERSONAL = {"secretary_a", "deputy_a", "staff_a", "branch", "director"}
ENTER = {"branch", "director", "member"}
MANAGE = {"branch", "director"}
ISSUE_TASKS = {"secretary_a", "deputy_a", "staff_a"}


@pytest.mark.parametrize("who", EVERYONE)
def test_permission_matrix(cast, tree, who):
    user = getattr(cast, who)
    assert has_perm(user, "opinions.view", tree.a1) == (who in VIEW)
    assert has_perm(user, "opinions.view_personal", tree.a1) == (who in VIEW_PERSONAL)
    assert has_perm(user, "opinions.enter", tree.a1) == (who in ENTER)
    assert has_perm(user, "opinions.manage_issues", tree.a1) == (who in MANAGE)
    assert has_perm(user, "opinions.answer_tasks", tree.a1) == (who in MANAGE)
    assert has_perm(user, "opinions.issue_tasks", tree.a) == (who in ISSUE_TASKS)


@pytest.mark.parametrize("who", EVERYONE)
def test_entering_opinions(cast, tree, who):
    """§三.1: the village team enters cards; nobody else writes into 柳树村."""
    user = getattr(cast, who)
    if who in ENTER:
        services.opinion_create(
            actor=user, village=tree.a1, term=tree.term, year=YEAR, text="路灯不亮"
        )
        assert Opinion.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.opinion_create(
                actor=user, village=tree.a1, term=tree.term, year=YEAR, text="路灯不亮"
            )
        assert not Opinion.objects.exists()


@pytest.mark.parametrize("who", EVERYONE)
def test_grouping_and_deciding(cast, tree, opinions, who):
    """§三.1: the branch (secretary, director) distils and decides the hot issues."""
    user = getattr(cast, who)
    if who in MANAGE:
        issue = services.issues_group(actor=user, village=tree.a1, term=tree.term, year=YEAR)[0]
        services.issue_accept(actor=user, issue=issue)
        assert HotIssue.objects.get(pk=issue.pk).status == HotIssue.ACCEPTED
    else:
        with pytest.raises(PermissionDenied):
            services.issues_group(actor=user, village=tree.a1, term=tree.term, year=YEAR)
        assert not HotIssue.objects.exists()


@pytest.mark.parametrize("who", EVERYONE)
def test_issuing_tasks(cast, tree, who):
    """§三.1–2: the township party committee and government issue tasks to its villages."""
    user = getattr(cast, who)
    kw = dict(
        township=tree.a,
        year=YEAR,
        title="防汛",
        target="零伤亡",
        deadline=date(2026, 6, 1),
        villages=[tree.a1],
    )
    if who in ISSUE_TASKS:
        services.task_issue(actor=user, **kw)
        assert TownshipTask.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.task_issue(actor=user, **kw)
        assert not TownshipTask.objects.exists()


@pytest.mark.parametrize("who", EVERYONE)
def test_not_adopting_a_task(cast, tree, task, who):
    user = getattr(cast, who)
    a = task.assignments.get(village=tree.a1)
    if who in MANAGE:
        services.task_not_adopt(actor=user, assignment=a, reason="已完成")
    else:
        with pytest.raises(PermissionDenied):
            services.task_not_adopt(actor=user, assignment=a, reason="已完成")
        a.refresh_from_db()
        assert a.adopted


@pytest.mark.parametrize("who", EVERYONE)
def test_village_page_and_personal_data(cast, tree, opinions, who):
    """Outside the scope → 404; the giver's phone is shown only to VIEW_PERSONAL."""
    client = Client()
    client.force_login(getattr(cast, who))
    response = client.get(f"/opinions/villages/{tree.a1.pk}/?year={YEAR}")
    assert response.status_code == (200 if who in VIEW else 404)
    if who in VIEW:
        html = response.content.decode()
        assert "路灯" in html
        assert ("13912345678" in html) == (who in VIEW_PERSONAL)
        assert ("王秀兰" in html) == (who in VIEW_PERSONAL)


@pytest.mark.parametrize("who", EVERYONE)
def test_api_personal_data(cast, tree, opinions, who):
    client = Client()
    client.force_login(getattr(cast, who))
    response = client.get(f"/api/v1/opinions?village_id={tree.a1.pk}&year={YEAR}")
    assert response.status_code == (200 if who in VIEW else 404)
    if who in VIEW:
        phones = {o["giver_phone"] for o in response.json()["items"]}
        assert ("13912345678" in phones) == (who in VIEW_PERSONAL)
        if who not in VIEW_PERSONAL:
            assert phones == {None}
