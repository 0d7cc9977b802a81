"""From the evaluation step's real confirmed year to accountability cases (seed §三.6 → §四):
the facts come through ``accountability.facts.collect`` → ``evaluation.facts.year_facts``."""

import pytest

from jiannuo.accountability import rules, services
from jiannuo.accountability.models import Case
from tests.evaluation.conftest import completed, group, letters, voters  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("completed")
def test_a_confirmed_year_opens_the_measures_it_calls_for(cast, tree):
    """柳树村 2025, confirmed by the township: the member's work goal was not met (§四.1: no
    honours), her pledges not fulfilled and 4 of 10 satisfied (§四.3: yellow card, and below
    50% resignation demanded); nobody else is touched."""
    pv = services.preview(actor=cast.secretary_a, township=tree.a, year=2025)
    assert pv.has_facts
    assert {(r.proposal.person_id, r.proposal.measure) for r in pv.rows} == {
        (cast.member_person.pk, rules.NO_HONOURS),
        (cast.member_person.pk, rules.YELLOW_CARD),
        (cast.member_person.pk, rules.RESIGNATION),
    }
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025)
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025)
    assert Case.objects.count() == 3
    demand = Case.objects.get(measure=rules.RESIGNATION)
    assert demand.facts["rate"] == "40.00%"
    assert demand.post.kind == "committee_member"


def test_an_unconfirmed_year_opens_nothing(cast, tree):
    from jiannuo.core.errors import ServiceError

    with pytest.raises(ServiceError) as exc:
        services.run_open(actor=cast.secretary_a, township=tree.a, year=2025)
    assert exc.value.code == "no_facts"
