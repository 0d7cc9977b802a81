"""The actual party organs and titles printed on official documents (issue #18).

A 镇 is led by its 党委 (中共石桥镇委员会), a 街道 by the 党工委 its district sends
(中共东湖街道工作委员会); a village's party organisation is a 支部, a 总支 or a 党委 as recorded
on the unit (``Unit.party_org``). Official text is Chinese by nature, so these are not
translated. Plain functions of a unit: templates and PDFs call them, nothing is stored twice.
"""

from __future__ import annotations

from .models import Unit

#: Short name suffix, full-name suffix (after the unit's name) and the secretary's title stem.
_VILLAGE = {
    Unit.BRANCH: ("党支部", "支部委员会"),
    Unit.GENERAL_BRANCH: ("党总支", "总支部委员会"),
    Unit.PARTY_COMMITTEE: ("党委", "委员会"),
}
_TOWNSHIP = {
    Unit.TOWN: ("党委", "委员会"),
    Unit.SUBDISTRICT: ("党工委", "工作委员会"),
}


def default_township_type(name: str) -> str:
    """A township's type from its name when none was given: "…街道" is a subdistrict."""
    return Unit.SUBDISTRICT if (name or "").strip().endswith("街道") else Unit.TOWN


def default_party_org(name: str) -> str:
    """A village's party organisation when none was recorded: a branch (党支部), the usual."""
    return Unit.BRANCH


def township_type(unit: Unit) -> str:
    return unit.township_type or default_township_type(unit.name)


def village_org(unit: Unit) -> str:
    return unit.party_org or default_party_org(unit.name)


# --- Townships -------------------------------------------------------------------------------


def township_committee(unit: Unit) -> str:
    """The short name of the township's party organ: 石桥镇党委, 东湖街道党工委."""
    return unit.name + _TOWNSHIP[township_type(unit)][0]


def township_committee_full(unit: Unit) -> str:
    """The full name: 中共石桥镇委员会, 中共东湖街道工作委员会."""
    return f"中共{unit.name}{_TOWNSHIP[township_type(unit)][1]}"


def township_title(unit: Unit, title: str) -> str:
    """A title in the township's party organ: ``township_title(dh, "副书记")`` → 东湖街道党工委副书记."""
    return township_committee(unit) + title


# --- Villages --------------------------------------------------------------------------------


def village_party(unit: Unit) -> str:
    """The village's party organisation, short: 柳树村党支部, 东湖村党总支."""
    return unit.name + _VILLAGE[village_org(unit)][0]


def village_party_full(unit: Unit) -> str:
    """Its full name: 中共柳树村支部委员会, 中共东湖村总支部委员会, 中共某村委员会."""
    return f"中共{unit.name}{_VILLAGE[village_org(unit)][1]}"


def village_party_kind(unit: Unit) -> str:
    """Without the village's name, for titles: 党支部, 党总支, 党委."""
    return _VILLAGE[village_org(unit)][0]


def village_committee(unit: Unit) -> str:
    """The villagers' committee: 柳树村村民委员会."""
    return f"{unit.name}村民委员会"


def village_title(unit: Unit, title: str) -> str:
    """A title in the village's party organisation: ``village_title(v, "书记")`` → 村党总支书记."""
    return "村" + village_party_kind(unit) + title
