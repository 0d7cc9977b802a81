"""The accountability demo (#7.8): built on the evaluation demo's confirmed 2025 in 石桥镇,
each kind of measure at some stage of its case, one under appeal (in force meanwhile)."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from jiannuo.accountability import rules
from jiannuo.accountability.models import Case
from jiannuo.core.audit import verify
from jiannuo.demo import load
from tests.helpers import DEMO_DAY


@pytest.mark.django_db
def test_demo_shows_each_measure_at_some_stage():
    load(today=DEMO_DAY)
    from jiannuo.evaluation.models import YearResult

    confirmed = YearResult.objects.filter(
        village__parent__name="石桥镇", year=2025, state=YearResult.CONFIRMED
    ).exists()
    cases = list(Case.objects.filter(year=2025))
    if not confirmed:  # the evaluation demo is not there: nothing to build on
        assert cases == []
        return
    measures = {c.measure for c in cases}
    assert measures == set(rules.CLAUSES), measures
    states = {c.state for c in cases}
    assert {rules.APPEALED, rules.DECIDED, rules.CARRIED_OUT} <= states
    appealed = next(c for c in cases if c.state == rules.APPEALED)
    assert appealed.in_force and appealed.measure == rules.RESIGNATION
    assert verify().ok
    # The secretary sees the cases; the decided criticism is on the village's board.
    c = Client()
    c.force_login(User.objects.get(username="sq_secretary"))
    body = c.get(reverse("accountability:index"), {"year": 2025}).content.decode()
    assert body.count('data-case="') == len(cases)
    criticism = next(c for c in cases if c.measure == rules.CRITICISM)
    board = Client().get(reverse("bulletin:village", args=[criticism.village.code]))
    assert f'data-case="{criticism.pk}"' in board.content.decode()
