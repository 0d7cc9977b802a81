"""The evaluation demo (§三.6, §四): a completed, confirmed 2025 in 石桥镇 with a mix of
outcomes that shows every measure, and a 2026 phone round in progress in 柳树村."""

from __future__ import annotations

import pytest

from jiannuo.demo import load
from jiannuo.evaluation.facts import year_facts
from jiannuo.evaluation.models import Ballot, Round, YearResult
from jiannuo.evaluation.rules import is_below
from jiannuo.organisation.models import Unit
from tests.helpers import DEMO_DAY


@pytest.mark.django_db
def test_demo_has_a_confirmed_2025_with_every_outcome_and_a_round_in_progress():
    load(today=DEMO_DAY)
    villages = list(Unit.objects.filter(name__in=["柳树村", "王家庄村"]))
    assert (
        YearResult.objects.filter(village__in=villages, year=2025, state="confirmed").count() == 2
    )
    posts, teams = year_facts(villages, [2025])
    assert len(teams) == 2
    assert any(p.goals_met is False for p in posts)  # §四.1 不称职
    assert any(
        loss.cause == "dereliction" and loss.breach_clause == "2"
        for p in posts
        for loss in p.losses
    )  # §四.2
    assert any(p.pledges_met is False and p.goals_met for p in posts)  # §四.3 yellow card
    rates = [p.satisfaction for p in posts if p.satisfaction is not None]
    assert any(is_below(r, 60) and not is_below(r, 50) for r in rates)
    assert any(is_below(r, 50) for r in rates)
    assert any(
        (t.satisfaction is not None and is_below(t.satisfaction, 50)) or t.pledges_met is False
        for t in teams
    )
    assert any(p.integrity_breaches for p in posts)  # §四.4 criticism
    assert any(p.discipline_violations for p in posts)  # §四.4 referral
    # 一肩挑 in 王家庄村: one person, two posts, two PostYears.
    wang = [p for p in posts if p.village_id == Unit.objects.get(name="王家庄村").pk]
    assert len({p.person_id for p in wang}) < len(wang)

    live = Round.objects.get(village__name="柳树村", year=2026)
    assert (live.method, live.state) == ("phone", "open")
    assert Ballot.objects.filter(round=live).count() == 5
