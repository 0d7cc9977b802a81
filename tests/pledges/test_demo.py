"""The pledges demo: letters for 2026 in every state the process knows (§三.2–3, §五.2)."""

import pytest

from jiannuo.demo import load
from jiannuo.pledges import rules
from jiannuo.pledges.models import Letter, LetterVersion
from tests.helpers import DEMO_DAY


@pytest.mark.django_db
def test_demo_puts_the_villages_in_their_states():
    load(today=DEMO_DAY)

    def states(village):
        return sorted(
            set(
                Letter.objects.filter(village__name=village, year=2026).values_list(
                    "state", flat=True
                )
            )
        )

    assert states("柳树村") == [rules.APPROVED]
    assert states("王家庄村") == [rules.SUBMITTED]
    assert rules.RETURNED in states("河口村") and rules.DRAFT in states("河口村")
    assert set(states("东湖村")) == {rules.JOINT_MEETING, rules.TABLED}
    assert states("杏花村") == [rules.DRAFT]
    assert states("桃园村") == []
    blocked = LetterVersion.objects.filter(
        letter__village__name="杏花村", letter__kind="team", blocking_count__gt=0
    )
    assert blocked.exists()
    # 王家庄村 (一肩挑): the secretary-director has one own letter, no member letter for it.
    wjz = Letter.objects.filter(village__name="王家庄村", year=2026)
    assert wjz.filter(kind="secretary").count() == 1
    assert not wjz.filter(kind="member", post__kind="committee_director").exists()
