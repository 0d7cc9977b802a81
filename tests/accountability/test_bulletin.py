"""The accountability section of the public bulletin board (#7.6): only the measures the
settings publish (by default notices of criticism), only once decided; nothing else about
cases; a fixed number of queries; the cache stamp follows every change."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from jiannuo.accountability import bulletin, rules, services
from jiannuo.accountability.models import Case
from jiannuo.bulletin.selectors import village_by_code
from jiannuo.organisation.policy import Policy, set_policy

from .conftest import T0, days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def board(code="SQ01"):
    r = Client().get(reverse("bulletin:village", args=[code]))
    assert r.status_code == 200
    return r.content.decode()


def decide(cast, case):
    services.case_decide(actor=cast.secretary_a, case=case, decision="依规处理", now=days(8))
    case.refresh_from_db()
    return case


def test_only_decided_published_measures_appear(cast, opened):
    criticism = opened[(cast.member_person.pk, rules.CRITICISM)]
    yellow = opened[(cast.member_person.pk, rules.YELLOW_CARD)]
    assert 'id="accountability-measures"' not in board()
    stamp = village_by_code("SQ01", with_stamp=True).board_stamp
    decide(cast, criticism)
    decide(cast, yellow)
    assert village_by_code("SQ01", with_stamp=True).board_stamp != stamp
    body = board()
    assert f'data-case="{criticism.pk}"' in body
    # Yellow cards are not published by default; the reasons and the facts never are.
    assert f'data-case="{yellow.pk}"' not in body
    assert "收受礼品" not in body and "依规处理" not in body


def test_the_measure_stays_on_the_board_under_appeal_and_leaves_when_revoked(cast, opened):
    criticism = decide(cast, opened[(cast.member_person.pk, rules.CRITICISM)])
    services.case_appeal(actor=cast.member, case=criticism, text="不服", now=days(9))
    assert f'data-case="{criticism.pk}"' in board()
    assert "不服" not in board()
    services.case_decide_appeal(
        actor=cast.district, case=criticism, uphold=False, decision="撤销", now=days(10)
    )
    assert f'data-case="{criticism.pk}"' not in board()


def test_the_settings_decide_what_is_published(cast, tree, opened):
    yellow = decide(cast, opened[(cast.member_person.pk, rules.YELLOW_CARD)])
    data = Policy().to_json()
    data["published"] = ["criticism", "yellow_card"]
    set_policy(actor=cast.district, district=tree.district, year_from=2025, data=data)
    assert f'data-case="{yellow.pk}"' in board()
    # Another year's settings do not apply to 2025.
    data["published"] = []
    set_policy(actor=cast.district, district=tree.district, year_from=2026, data=data)
    assert f'data-case="{yellow.pk}"' in board()


@pytest.mark.parametrize("n", [1, 5])
def test_load_uses_a_fixed_number_of_queries(cast, opened, n, django_assert_num_queries):
    decide(cast, opened[(cast.member_person.pk, rules.CRITICISM)])
    template = Case.objects.get(measure=rules.CRITICISM)
    for i in range(n - 1):
        template.pk = None
        template.key = f"copy{i}"
        template.save()
    village = village_by_code("SQ01", with_stamp=True)
    with django_assert_num_queries(2):
        data = bulletin.load(village, [])
    assert len(data["cases"]) == n


def test_run_at_t0(cast, opened):
    assert {c.opened_at for c in opened.values()} == {T0}
