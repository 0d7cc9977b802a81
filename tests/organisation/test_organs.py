"""The organs printed on official documents (issue #18): the township's from its type (镇党委,
街道党工委), the village's party organisation as recorded (支部, 总支, 党委), with defaults when
none was given; a table of cases, then the service and the demo district."""

from __future__ import annotations

import pytest

from jiannuo.core.errors import ServiceError
from jiannuo.organisation import organs
from jiannuo.organisation import services as org
from jiannuo.organisation.models import Unit

TOWNSHIPS = [
    # name, type, committee, full name, deputy secretary
    ("石桥镇", Unit.TOWN, "石桥镇党委", "中共石桥镇委员会", "石桥镇党委副书记"),
    (
        "东湖街道",
        Unit.SUBDISTRICT,
        "东湖街道党工委",
        "中共东湖街道工作委员会",
        "东湖街道党工委副书记",
    ),
    ("东湖街道", "", "东湖街道党工委", "中共东湖街道工作委员会", "东湖街道党工委副书记"),
    ("石桥镇", "", "石桥镇党委", "中共石桥镇委员会", "石桥镇党委副书记"),
]
VILLAGES = [
    # party_org, short, full, secretary
    (Unit.BRANCH, "柳树村党支部", "中共柳树村支部委员会", "村党支部书记"),
    (Unit.GENERAL_BRANCH, "柳树村党总支", "中共柳树村总支部委员会", "村党总支书记"),
    (Unit.PARTY_COMMITTEE, "柳树村党委", "中共柳树村委员会", "村党委书记"),
    ("", "柳树村党支部", "中共柳树村支部委员会", "村党支部书记"),
]


@pytest.mark.parametrize(("name", "kind", "short", "full", "deputy"), TOWNSHIPS)
def test_township_organs(name, kind, short, full, deputy):
    unit = Unit(kind=Unit.TOWNSHIP, name=name, township_type=kind)
    assert organs.township_committee(unit) == short
    assert organs.township_committee_full(unit) == full
    assert organs.township_title(unit, "副书记") == deputy


@pytest.mark.parametrize(("party_org", "short", "full", "secretary"), VILLAGES)
def test_village_organs(party_org, short, full, secretary):
    unit = Unit(kind=Unit.VILLAGE, name="柳树村", party_org=party_org)
    assert organs.village_party(unit) == short
    assert organs.village_party_full(unit) == full
    assert organs.village_title(unit, "书记") == secretary
    assert organs.village_committee(unit) == "柳树村村民委员会"


@pytest.mark.django_db
def test_unit_create_records_the_organ_kind_with_defaults(tree, system):
    assert tree.a1.party_org == Unit.BRANCH  # default
    v = org.unit_create(
        actor=system, kind=Unit.VILLAGE, name="大村", code="SQ09", parent=tree.a,
        party_org=Unit.GENERAL_BRANCH,
    )  # fmt: skip
    assert Unit.objects.get(pk=v.pk).party_org == Unit.GENERAL_BRANCH
    t = org.unit_create(
        actor=system, kind=Unit.TOWNSHIP, name="西山街道", code="XS", parent=tree.district
    )
    assert t.township_type == Unit.SUBDISTRICT  # derived from the name
    with pytest.raises(ServiceError):
        org.unit_create(
            actor=system, kind=Unit.VILLAGE, name="小村", code="SQ10", parent=tree.a,
            party_org="bureau",
        )  # fmt: skip


@pytest.mark.django_db
def test_demo_records_a_general_branch():
    from jiannuo.demo import load_organisation

    load_organisation()
    assert Unit.objects.get(name="东湖村").party_org == Unit.GENERAL_BRANCH
    assert Unit.objects.get(name="柳树村").party_org == Unit.BRANCH
    assert Unit.objects.get(name="东湖街道").township_type == Unit.SUBDISTRICT
