"""Closed years stop nagging (issue #14): once the township confirms a year's results, that
year's pledge items leave the cadres' reminders (to-do list and daily digest) and its letters
leave the pledges to-do list."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User

from jiannuo.evaluation import services as evaluation
from jiannuo.evaluation.models import NOT_FULFILLED
from jiannuo.organisation.models import Post
from jiannuo.pledges import services as pledges
from jiannuo.pledges.todo import pledges_todo
from jiannuo.supervision.services import digest_build
from jiannuo.supervision.todo import supervision_items
from tests.conftest import make_person

from .conftest import YEAR, assess, paper_round

TODAY = date(2026, 3, 1)


def _fresh(user):
    return User.objects.get(pk=user.pk)  # grants are cached per user object


def _year_items(user, year):
    return [t for t in supervision_items(_fresh(user), today=TODAY) if t.step == "supervision"]


def test_a_confirmed_year_leaves_reminders_and_to_do_lists(
    tree, cast, system, letters, group, voters
):
    # A deputy director who joined late: a 2025 letter prepared, still a draft.
    deputy = make_person(system, tree.a1, "孙立新", Post.COMMITTEE_DEPUTY, start=date(2025, 1, 1))
    pledges.letters_prepare(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    assert any(deputy.name in str(t.title) for t in pledges_todo(_fresh(cast.branch)))
    # The member's 2025 items are overdue: reminders.
    assert _year_items(cast.member, YEAR)
    assert digest_build(day=TODAY, users=[_fresh(cast.member)])

    goal = next(i for i in letters.member.items if i.category == "work_goal")
    assess(letters, cast.assessor_a, {goal.pk: NOT_FULFILLED})
    paper_round(tree.a1, cast)
    evaluation.results_confirm(actor=cast.secretary_a, village=tree.a1, year=YEAR)

    assert _year_items(cast.member, YEAR) == []
    assert digest_build(day=date(2026, 3, 2), users=[_fresh(cast.member)]) == []
    assert not any(deputy.name in str(t.title) for t in pledges_todo(_fresh(cast.branch)))
