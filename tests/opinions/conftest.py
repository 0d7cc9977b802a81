"""Fixtures of the opinions tests: a few opinions in 柳树村 (tree.a1) for 2026."""

from __future__ import annotations

from datetime import date

import pytest

from jiannuo.opinions import services

YEAR = 2026

TEXTS = [
    "村里路灯坏了好多盏，晚上黑漆漆的。",
    "太阳能路灯晚上不亮，请派人修一修。",
    "2组的路灯坏了半年多了没人管。",
    "自来水经常停水，一停就是两三天。",
    "水管老化，三天两头爆管，希望更换新管道。",
    "自来水有时候发黄，有股怪味。",
    "垃圾桶太少，垃圾满了好几天没人清运。",
    "公厕太脏了，没人打扫，建议安排保洁员。",
]


@pytest.fixture
def opinions(cast, tree):
    """Eight card opinions of 柳树村 for 2026, the first with the giver's name and phone."""
    entries = [services.Entry(t) for t in TEXTS]
    entries[0] = services.Entry(TEXTS[0], "王秀兰", "13912345678")
    return services.opinions_enter(
        actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR, entries=entries
    )


@pytest.fixture
def issues(cast, tree, opinions):
    """The opinions grouped into proposed hot issues, largest first."""
    return services.issues_group(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)


@pytest.fixture
def task(cast, tree):
    """A 2026 task of 石桥镇 for both its villages."""
    return services.task_issue(
        actor=cast.secretary_a,
        township=tree.a,
        year=YEAR,
        title="农村人居环境整治",
        target="生活垃圾收运处置体系覆盖率100%",
        deadline=date(2026, 11, 30),
        villages=[tree.a1, tree.a2],
    )
