"""The report loads in a fixed number of queries whatever the number of villages (no N+1):
the same count for the fixture's 2 villages of 石桥镇 and after 10 more villages with letters,
verdicts, a confirmed result and a case each, for the page, the export and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from jiannuo.evaluation.models import YearResult
from jiannuo.organisation import services as org
from jiannuo.organisation.models import Post, Unit
from jiannuo.pledges.models import Letter
from tests.conftest import make_person
from tests.factories import make_signed_letter

from .conftest import YEAR, case, result, verdicts

pytestmark = pytest.mark.django_db

# Session and user (2), the user's grants (2), the unit (1), the years (1), the units (1),
# the term (1) and the team posts (1), the signed letters (1), items and verdicts (1),
# supervision's ``tracked`` (7: two check the signed text), the policy (1), confirmed villages
# (1), ``year_facts`` (6), the grades (1), the cases (1), the audit chain head printed on the
# report (1).
PAGE = 29
EXPORT = PAGE
#: The API takes the year from the path (no years query) and prints no audit chain head.
API = PAGE - 2


def more_villages(tree, system, by, n=10):
    for i in range(n):
        v = org.unit_create(
            actor=system, kind=Unit.VILLAGE, name=f"新村{i}", code=f"SQX{i:02d}", parent=tree.a
        )
        sec = make_person(system, v, f"书记{i}", Post.BRANCH_SECRETARY).posts.get()
        make_person(system, v, f"委员{i}", Post.COMMITTEE_MEMBER)
        team = make_signed_letter(v, tree.term, Letter.TEAM, year=YEAR, items=2, responsible=sec)
        own = make_signed_letter(v, tree.term, Letter.SECRETARY, sec, year=YEAR, items=2)
        verdicts(team.items, "FP", by, v)
        verdicts(own.items, "N-", by, v)
        result(v, tree.term, YearResult.CONFIRMED, [(None, 7, 10, "", True), (sec, 5, 10, "competent", True)], by)  # fmt: skip
        case(tree.a, v, "yellow_card", "decided", by, post=sec)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("user", ["district", "secretary_a"])
def test_page_queries_do_not_grow_with_villages(
    tree, cast, data, pinned, system, django_assert_num_queries, user
):
    url = f"/reports/?year={YEAR}&unit={tree.a.pk}"
    c = _client(getattr(cast, user))
    with django_assert_num_queries(PAGE):
        r = c.get(url)
    assert r.status_code == 200 and len(r.context["rep"].rows) == 2
    more_villages(tree, system, cast.secretary_a)
    c = _client(getattr(cast, user))
    with django_assert_num_queries(PAGE):
        r = c.get(url)
    assert len(r.context["rep"].rows) == 12
    assert r.context["rep"].total.items == 19 + 10 * 4


def test_export_and_api_queries_do_not_grow(
    tree, cast, data, pinned, system, django_assert_num_queries
):
    for extra in (5, 0):
        c = _client(cast.secretary_a)
        with django_assert_num_queries(EXPORT):
            assert c.get(f"/reports/report.xlsx?year={YEAR}").status_code == 200
        with django_assert_num_queries(API):
            r = c.get(f"/api/v1/reports/{YEAR}")
        assert r.status_code == 200
        more_villages(tree, system, cast.secretary_a, n=extra)
