"""The demo's opinions step: every village has opinions; most have decided hot issues."""

from __future__ import annotations

from jiannuo import demo
from jiannuo.opinions import demo as opinions_demo
from jiannuo.opinions import selectors
from jiannuo.opinions.models import HotIssue, Opinion, TaskAssignment, TownshipTask


def test_demo_loads_realistic_data(db):
    units = demo.load_organisation()
    opinions_demo.load(units)
    for name in ("柳树村", "王家庄村", "河口村", "东湖村", "杏花村", "桃园村"):
        village = units[name]
        count = Opinion.objects.filter(village=village, year=2026).count()
        assert 15 <= count <= 40, name
        sources = set(Opinion.objects.filter(village=village).values_list("source", flat=True))
        assert sources == {"card", "meeting", "visit", "online"}, name
    # 桃园村 is still collecting opinions: nothing grouped.
    taoyuan = units["桃园村"]
    assert not HotIssue.objects.filter(village=taoyuan).exists()
    assert Opinion.objects.filter(village=taoyuan, hot_issue__isnull=True).count() >= 15
    for name in ("柳树村", "王家庄村", "河口村", "东湖村", "杏花村"):
        assert HotIssue.objects.filter(village=units[name], status="accepted").count() >= 3, name
        assert not Opinion.objects.filter(village=units[name], hot_issue__isnull=True).exists()
    assert TownshipTask.objects.filter(township=units["石桥镇"]).count() == 3
    assert TownshipTask.objects.filter(township=units["东湖街道"]).count() == 2
    assert TaskAssignment.objects.filter(village=units["柳树村"]).count() == 3
    term = selectors.current_term(units["柳树村"])
    answers = selectors.required_answers(units["王家庄村"], term, 2026)
    assert any(not a.adopted for a in answers)  # the culture square, not adopted, with a reason
