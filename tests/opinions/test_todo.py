"""To-do of the opinions step: the branch secretary and the director see what waits for them."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from jiannuo.core.todo import items_for
from jiannuo.opinions import selectors, services
from jiannuo.opinions.todo import opinions_todo

from .conftest import YEAR

pytestmark = pytest.mark.usefixtures("_in_2026")


@pytest.fixture
def _in_2026(monkeypatch):
    """The to-do looks at the current year; pin it to 2026 (a year of the test term)."""
    import jiannuo.opinions.todo as todo_module

    monkeypatch.setattr(todo_module.timezone, "localdate", lambda: date(2026, 3, 1))


def _titles(user):
    return [i.title for i in opinions_todo(user)]


def test_nothing_to_do_without_opinions_or_tasks(cast):
    assert _titles(cast.branch) == []


def test_tasks_to_answer_until_answered_or_not_adopted(cast, tree, task, monkeypatch):
    """§三.1: the township's tasks wait in the village's to-do until answered or not adopted."""
    for who in ("branch", "director"):
        assert any("农村人居环境整治" in t for t in _titles(getattr(cast, who)))
    for who in ("member", "supervisor", "voter", "secretary_a", "outsider"):
        assert not any("农村人居环境整治" in t for t in _titles(getattr(cast, who)))
    assert any("农村人居环境整治" in t for t in _titles(cast.branch_a2))  # 河口村 has it too
    a = task.assignments.get(village=tree.a1)
    monkeypatch.setattr(selectors, "ANSWERED_BY", [lambda ids, year: {a.ref}])
    assert not any("农村人居环境整治" in t for t in _titles(cast.branch))
    monkeypatch.setattr(selectors, "ANSWERED_BY", [])
    services.task_not_adopt(actor=cast.branch, assignment=a, reason="已完成")
    assert not any("农村人居环境整治" in t for t in _titles(cast.branch))


def test_ungrouped_opinions_then_issues_to_decide(cast, tree, opinions):
    titles = _titles(cast.branch)
    assert len(titles) == 1 and "8" in titles[0] and "柳树村" in titles[0]
    issues = services.issues_group(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    titles = _titles(cast.director)
    assert len(titles) == 1 and str(len(issues)) in titles[0]
    for issue in issues:
        services.issue_accept(actor=cast.branch, issue=issue)
    assert _titles(cast.branch) == []
    assert _titles(cast.branch_a2) == []


def test_todo_page_query_count_is_fixed(cast, tree, opinions, task, django_assert_max_num_queries):
    client = Client()
    client.force_login(cast.branch)
    client.get("/todo/")
    with django_assert_max_num_queries(30):
        response = client.get("/todo/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "农村人居环境整治" in html and "柳树村" in html
    assert len([i for i in items_for(cast.branch) if i.step == "opinions"]) == 2
