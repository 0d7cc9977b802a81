"""A paper tally is confirmed by a second *person*, not a second account of the person who
entered it (issue #12 part 3: "two approvers" compare persons)."""

import pytest
from django.contrib.auth.models import User

from jiannuo.accounts import services as accounts
from jiannuo.core import roles
from jiannuo.core.errors import ServiceError
from jiannuo.evaluation import services
from jiannuo.evaluation.models import Tally
from jiannuo.organisation.models import Person

from .conftest import YEAR, checkin_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="paper")
    checkin_all(rnd, cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)
    services.round_close(actor=cast.supervisor, round=rnd)
    rnd.refresh_from_db()
    return rnd


def test_a_second_account_of_the_person_who_entered_a_tally_cannot_confirm_it(paper, cast, tree):
    t = services.tally_enter(
        actor=cast.staff_a,
        target=paper.targets.get(post__isnull=True),
        issued=10,
        returned=10,
        spoiled=1,
        counts={"satisfied": 5, "basically_satisfied": 2, "dissatisfied": 1, "abstain": 1},
    )
    person = Person.objects.get(user=cast.staff_a)
    other = User.objects.create_user("staff_a_new", password="Shiqiao2026x")
    Person.objects.filter(pk=person.pk).update(user=other)  # the account is re-issued
    person.refresh_from_db()
    accounts.role_assign(
        actor=cast.secretary_a, role=roles.TOWNSHIP_STAFF, unit=tree.a, person=person
    )
    with pytest.raises(ServiceError) as exc:
        services.tally_confirm(actor=other, tally=t)
    assert exc.value.code == "own_entry"
    assert not Tally.objects.get(pk=t.pk).confirmed
