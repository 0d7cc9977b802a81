"""The annual report's figures (§五.3 违诺必究) against the fixture in ``conftest.py``,
computed by hand. Rated on 2025-05-01 (``pinned``).

Letters (signed and in force / published / expected: the team letter + one per team post,
under 一肩挑 the secretary's letter covers the other post):
    柳树村 a1: team, secretary, director, member → signed 4, published 4; posts: secretary
               (李建国), director, member → expected 1 + 1 + 2 = 4
    河口村 a2: team signed; secretary's letter superseded and not re-signed → signed 1,
               published 1; posts: secretary → expected 2. Its 2026 letter does not count.
    东湖村 b1: team signed, not published → signed 1, published 0; no posts → expected 1
    石桥镇: signed 5 / expected 6, published 5.  青山区: 6 / 7, published 5.

Items and verdicts (F fulfilled, P partly, N not, - none):
    a1: team FPN-, secretary FFFF, director FFFP, member ---- → 16 items,
        F 1+4+3 = 8, P 1+1 = 2, N 1, none 1+4 = 5; rate 8/16 = 50.00%
    a2: team FFN (the superseded letter's verdict does not count) → 3 items, F 2, N 1,
        rate 2/3 = 66.666…% shown 66.66% (never rounded up to 66.67%)
    b1: 1 item, none → 0.00%
    石桥镇: 19 items, F 10, P 2, N 2, none 5, rate 10/19 = 52.631…% → 52.63%
    青山区: 20 items, F 10, P 2, N 2, none 6, rate 10/20 = 50.00%

Supervision on 2025-05-01, no progress reported, letters signed 2025-02-20, item deadlines by
position 03-31 / 06-30 / 09-30 / 12-31: elapsed 70 days of 39 (past) / 130 (53.8%) /
222 (31.5%) / 314 (22.3%) → overdue / at risk / at risk / watch.
    a1: 4 letters × 4 items → overdue 4, at risk 8
    a2: team items 1–3 → overdue 1, at risk 2 (the superseded letter is not followed)
    b1: item 1 → overdue 1
    But a village counts only until its year's results are confirmed (then the verdicts
    speak): a1 and a2 are confirmed → 0; b1 is not → overdue 1.
    石桥镇: at risk 0, overdue 0.  青山区: at risk 0, overdue 1.
    (test_supervision_counts_until_the_year_is_confirmed un-confirms a1 and a2: 10 / 5.)

Democratic evaluation (confirmed results only; thresholds 60% / 50%, compared exactly):
    a1 confirmed: team 11999/20000 = 59.995% shown 59.99%; secretary 11999/20000 → below 60,
        not below 50, 基本称职; director 3/5 = 60% exactly → not below 60, 称职;
        member 0 valid → no rate, flagged, not graded
        → rated 2, below 60: 1, below 50: 0, no valid 1
    a2 confirmed: team 49/100 = 49.00%; secretary 2/5 = 40% → below 60 and 50, 不称职
        → rated 1, below 60: 1, below 50: 1
    b1: draft result → nothing counts
    石桥镇: confirmed 2 of 2, rated 3, below 60: 2, below 50: 1, no valid 1;
        grades 优秀 0, 称职 1, 基本称职 1, 不称职 1, not graded 1
    青山区: confirmed 2 of 3, the rest as 石桥镇.

Accountability, 2025 (a 2024 case does not count):
    a1: no honours proposed (pending), yellow card decided, criticism carried out,
        economic penalty dismissed → stages pending 1, decided 1, appealed 0, carried out 1,
        closed 1; measures decided: yellow card 1, criticism 1
    a2: resignation appealed, yellow card revoked → appealed 1, closed 1; decided: resignation 1
    b1: discipline referral replied → pending 1; nothing decided
    石桥镇: pending 1, decided 1, appealed 1, carried out 1, closed 2;
        measures yellow card 1, resignation 1, criticism 1
    青山区: pending 2, the rest as 石桥镇.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.test import Client

from jiannuo.reports import selectors

from .conftest import YEAR

pytestmark = pytest.mark.django_db

GRADES_A = {
    "excellent": 0,
    "competent": 1,
    "basically_competent": 1,
    "incompetent": 1,
    "not_graded": 1,
}
STAGES_A = {"pending": 1, "decided": 1, "appealed": 1, "carried_out": 1, "closed": 2}
MEASURES_A = {
    "no_honours": 0,
    "economic_penalty": 0,
    "yellow_card": 1,
    "resignation": 1,
    "criticism": 1,
    "discipline_referral": 0,
}


def _rows(rep):
    return {r.unit.name: r.figures for r in rep.rows}


def test_township_report_rows_per_village(tree, data, pinned):
    rep = selectors.report(tree.a, YEAR)
    assert rep.by_village and [r.unit.name for r in rep.rows] == ["柳树村", "河口村"]
    a1, a2 = _rows(rep)["柳树村"], _rows(rep)["河口村"]

    assert (a1.letters_signed, a1.letters_published, a1.letters_expected) == (4, 4, 4)
    assert (a2.letters_signed, a2.letters_published, a2.letters_expected) == (1, 1, 2)

    assert (a1.items, a1.fulfilled, a1.partly, a1.not_fulfilled, a1.not_assessed) == (
        16, 8, 2, 1, 5,
    )  # fmt: skip
    assert a1.fulfilment == Fraction(1, 2) and a1.fulfilment_text == "50.00%"
    assert (a2.items, a2.fulfilled, a2.partly, a2.not_fulfilled, a2.not_assessed) == (
        3, 2, 0, 1, 0,
    )  # fmt: skip
    assert a2.fulfilment_text == "66.66%"  # 2/3, truncated

    assert (a1.at_risk, a1.overdue) == (0, 0)  # confirmed: the verdicts speak
    assert (a2.at_risk, a2.overdue) == (0, 0)

    assert (a1.villages_confirmed, a1.rated, a1.below_yellow, a1.below_resignation) == (
        1, 2, 1, 0,
    )  # fmt: skip
    assert a1.no_valid == 1
    assert a1.team_rate == Fraction(11999, 20000) and a1.team_rate_text == "59.99%"
    assert (a2.rated, a2.below_yellow, a2.below_resignation, a2.no_valid) == (1, 1, 1, 0)
    assert a2.team_rate_text == "49.00%"
    assert a1.grade_list == [0, 1, 1, 0, 1] and a2.grade_list == [0, 0, 0, 1, 0]

    assert a1.stage_list == [1, 1, 0, 1, 1] and a2.stage_list == [0, 0, 1, 0, 1]
    assert a1.measures == {"yellow_card": 1, "criticism": 1}
    assert a2.measures == {"resignation": 1}

    t = rep.total
    assert (t.villages, t.letters_signed, t.letters_published, t.letters_expected) == (
        2, 5, 5, 6,
    )  # fmt: skip
    assert (t.items, t.fulfilled, t.partly, t.not_fulfilled, t.not_assessed) == (19, 10, 2, 2, 5)
    assert t.fulfilment_text == "52.63%"
    assert (t.at_risk, t.overdue) == (0, 0)
    assert (t.villages_confirmed, t.rated, t.below_yellow, t.below_resignation, t.no_valid) == (
        2, 3, 2, 1, 1,
    )  # fmt: skip
    assert dict(zip(selectors.GRADE_KEYS, t.grade_list, strict=True)) == GRADES_A
    assert t.as_json()["cases"] == STAGES_A
    assert t.as_json()["measures_decided"] == MEASURES_A
    assert (rep.yellow_below, rep.resignation_below) == ("60", "50")


def test_district_report_rows_per_township(tree, data, pinned):
    rep = selectors.report(tree.district, YEAR)
    assert not rep.by_village and [r.unit.name for r in rep.rows] == ["石桥镇", "东湖街道"]
    a, b = _rows(rep)["石桥镇"], _rows(rep)["东湖街道"]
    township = selectors.report(tree.a, YEAR).total
    assert a.as_json() == township.as_json()  # the township row is the township's total
    assert (b.villages, b.letters_signed, b.letters_published, b.letters_expected) == (1, 1, 0, 1)
    assert (b.items, b.not_assessed, b.fulfilment_text) == (1, 1, "0.00%")
    assert (b.at_risk, b.overdue, b.villages_confirmed, b.rated) == (0, 1, 0, 0)
    assert b.stage_list == [1, 0, 0, 0, 0] and not b.measures

    t = rep.total
    assert (t.villages, t.letters_signed, t.letters_published, t.letters_expected) == (
        3, 6, 5, 7,
    )  # fmt: skip
    assert (t.items, t.fulfilled, t.partly, t.not_fulfilled, t.not_assessed) == (20, 10, 2, 2, 6)
    assert t.fulfilment_text == "50.00%"
    assert (t.at_risk, t.overdue) == (0, 1)
    assert (t.villages_confirmed, t.rated, t.below_yellow, t.below_resignation, t.no_valid) == (
        2, 3, 2, 1, 1,
    )  # fmt: skip
    assert dict(zip(selectors.GRADE_KEYS, t.grade_list, strict=True)) == GRADES_A
    assert t.as_json()["cases"] == {**STAGES_A, "pending": 2}
    assert t.as_json()["measures_decided"] == MEASURES_A


def test_page_shows_the_figures_and_truncated_rates(tree, cast, data, pinned):
    c = Client()
    c.force_login(cast.secretary_a)
    html = c.get(f"/reports/?year={YEAR}").content.decode()
    assert 'data-col="rate">66.66%' in html and "66.67%" not in html
    assert 'data-col="team_rate">59.99%' in html and "60.00%" not in html
    assert 'data-col="letters">5 / 6' in html  # the total
    assert 'data-col="rate">52.63%' in html


def test_default_year_is_the_latest_with_data(tree, cast, data, pinned):
    c = Client()
    c.force_login(cast.district)
    r = c.get("/reports/")
    assert r.context["year"] == 2026  # 河口村's 2026 letter is signed
    assert r.context["years"] == [2026, 2025]
    assert r.context["rep"].total.letters_signed == 1


def test_thresholds_follow_the_district_settings(tree, cast, data, pinned, system):
    """With the yellow card below 59.99% the 59.995% secretary is no longer below it."""
    from jiannuo.organisation.policy import DEFAULT_POLICY, set_policy

    policy = DEFAULT_POLICY.to_json()
    policy["accountability"]["yellow_card_below"] = "5999/100"
    set_policy(actor=cast.district, district=tree.district, year_from=2025, data=policy)
    rep = selectors.report(tree.a, YEAR)
    assert rep.yellow_below == "59.99"
    assert _rows(rep)["柳树村"].below_yellow == 0
    assert _rows(rep)["河口村"].below_yellow == 1


def test_supervision_counts_until_the_year_is_confirmed(tree, data, pinned):
    """§五.3: supervision's rating of the year in progress counts while the year is open; once
    the township confirms the year's results, every item has its verdict instead."""
    from jiannuo.evaluation.models import YearResult

    YearResult.objects.filter(village__in=[tree.a1, tree.a2]).update(state=YearResult.DRAFT)
    rep = selectors.report(tree.a, YEAR)
    by_unit = {r.unit.pk: r.figures for r in rep.rows}
    assert (by_unit[tree.a1.pk].at_risk, by_unit[tree.a1.pk].overdue) == (8, 4)
    assert (by_unit[tree.a2.pk].at_risk, by_unit[tree.a2.pk].overdue) == (2, 1)
    assert (rep.total.at_risk, rep.total.overdue) == (10, 5)
