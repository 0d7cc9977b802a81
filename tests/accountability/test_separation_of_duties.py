"""Two real people per decision (issue #12, part 3; seed §四: measures are decided by the
township party committee, and a resignation demand needs two approvers — DOMAIN.md "Due
process").

The attack these tests reproduce: a township deputy secretary creates a new "township
secretary" account and gives the second approval of their own decision with it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from jiannuo.accountability import rules, services
from jiannuo.accountability.models import Case
from jiannuo.accounts import services as accounts
from jiannuo.accounts.models import RoleAssignment
from jiannuo.core import roles
from jiannuo.core.errors import ServiceError
from jiannuo.organisation.models import Person

pytestmark = pytest.mark.django_db

PASSWORD = "Shiqiao2026x"


def client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def awaiting(cast, tree, year_facts):
    """The director's resignation demand, decided by the deputy secretary: it now waits for
    the second approver."""
    services.run_open(actor=cast.secretary_a, township=tree.a, year=2025, facts=year_facts)
    case = Case.objects.get(person=cast.director_person, measure=rules.RESIGNATION)
    services.case_waive(actor=cast.director, case=case)
    return case


def _fake_secretary_form(tree):
    # Both today's field names and the new form's: the attack is the same request either way.
    return {
        "form": "official",
        "name": "石桥镇书记",
        "phone": "13800001234",
        "username": "fake_sec",
        "full_name": "石桥镇党委书记",
        "password": PASSWORD,
        "role": roles.TOWNSHIP_SECRETARY,
        "unit": tree.a.pk,
    }


def test_deputy_cannot_make_a_secretary_and_approve_their_own_decision_on_the_pages(
    cast, tree, awaiting
):
    """End to end through the pages: the deputy's "secretary" account is refused, and nothing
    the deputy can do gives the resignation demand its second approval."""
    deputy = client(cast.deputy_a)
    r = deputy.post(reverse("accounts:users"), _fake_secretary_form(tree))
    assert r.status_code == 400
    assert not RoleAssignment.objects.filter(
        role=roles.TOWNSHIP_SECRETARY, unit=tree.a, user__username="fake_sec"
    ).exists()
    # The deputy decides on the page.
    r = deputy.post(
        reverse("accountability:case_act", args=[awaiting.pk, "decide"]),
        {"decision": "责令辞职", "version": awaiting.version},
    )
    assert r.status_code == 302
    awaiting.refresh_from_db()
    assert awaiting.state == rules.AWAITING_APPROVAL
    # Whatever account the deputy made, it cannot log in as a secretary and approve.
    fake = Client()
    fake.post(reverse("accounts:login"), {"username": "fake_sec", "password": PASSWORD})
    fake.post(
        reverse("accountability:case_act", args=[awaiting.pk, "approve"]),
        {"version": awaiting.version},
    )
    awaiting.refresh_from_db()
    assert awaiting.state == rules.AWAITING_APPROVAL and awaiting.in_force_at is None


def test_an_account_with_no_person_cannot_give_the_second_approval_through_the_api(
    cast, tree, awaiting
):
    """End to end through the API: a "secretary" account such as today's page made (a grant
    with no person on a roster) holds no decision role, so its bearer token cannot approve."""
    services.case_decide(actor=cast.deputy_a, case=awaiting, decision="责令辞职")
    fake = User.objects.create_user("fake_sec", password=PASSWORD)
    RoleAssignment.objects.create(user=fake, role=roles.TOWNSHIP_SECRETARY, unit=tree.a)
    _token, key = accounts.token_create(actor=fake, name="attack")
    r = Client().post(
        f"/api/v1/accountability/cases/{awaiting.pk}/approve",
        {},
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )
    assert r.status_code in (403, 404)
    awaiting.refresh_from_db()
    assert awaiting.state == rules.AWAITING_APPROVAL and awaiting.in_force_at is None


def test_two_approvers_are_two_persons_not_two_accounts(cast, tree, system, awaiting):
    """The deputy's person later gets a new account, which the district makes secretary:
    still the same person, so that account may not give the second approval."""
    services.case_decide(actor=cast.deputy_a, case=awaiting, decision="责令辞职")
    person = Person.objects.get(user=cast.deputy_a)
    new_account = User.objects.create_user("deputy_new", password=PASSWORD)
    Person.objects.filter(pk=person.pk).update(user=new_account)  # the account is re-issued
    person.refresh_from_db()
    accounts.role_assign(
        actor=cast.district, role=roles.TOWNSHIP_SECRETARY, unit=tree.a, person=person
    )
    with pytest.raises(ServiceError) as exc:
        services.case_approve(actor=new_account, case=awaiting)
    assert exc.value.code == "same_approver"
    awaiting.refresh_from_db()
    assert awaiting.state == rules.AWAITING_APPROVAL
    # A different person (the real secretary) approves.
    services.case_approve(actor=cast.secretary_a, case=awaiting)
    awaiting.refresh_from_db()
    assert awaiting.in_force_at is not None


def test_an_appeal_is_not_decided_by_a_second_account_of_a_decision_maker(
    cast, tree, system, awaiting
):
    """ "Took no part in the decision" compares persons too."""
    services.case_decide(actor=cast.deputy_a, case=awaiting, decision="责令辞职")
    services.case_approve(actor=cast.secretary_a, case=awaiting)
    services.case_appeal(actor=cast.director, case=awaiting, text="不服")
    person = Person.objects.get(user=cast.secretary_a)
    other = User.objects.create_user("secretary_new", password=PASSWORD)
    Person.objects.filter(pk=person.pk).update(user=other)
    person.refresh_from_db()
    # The level above the district (a superuser) makes that person's new account district admin.
    accounts.role_assign(actor=system, role=roles.DISTRICT_ADMIN, unit=tree.district, person=person)
    with pytest.raises(ServiceError) as exc:
        services.case_decide_appeal(actor=other, case=awaiting, uphold=True, decision="维持")
    assert exc.value.code == "took_part"


def test_a_decision_grant_without_a_person_confers_nothing(cast, tree, awaiting):
    bare = User.objects.create_user("bare", password=PASSWORD)
    RoleAssignment.objects.create(user=bare, role=roles.TOWNSHIP_DEPUTY, unit=tree.a)
    with pytest.raises(PermissionDenied):
        services.case_decide(actor=bare, case=awaiting, decision="责令辞职")
