"""A case's measure decides a cadre's fate (§四): changed in the database behind the services'
back, it no longer matches its last audited state and ``jiannuo audit verify`` names the case
(issue #12)."""

from __future__ import annotations

from django.db import connection

from jiannuo.accountability import rules, services
from jiannuo.core import audit

from .conftest import days


def test_cases_opened_and_decided_verify(cast, opened):
    case = opened[(cast.member_person.pk, rules.CRITICISM)]
    services.case_decide(actor=cast.secretary_a, case=case, decision="依规处理", now=days(8))
    result = audit.verify()
    assert result.ok, result
    assert result.fates_checked >= len(opened)


def test_a_softened_measure_is_named(cast, opened):
    case = opened[(cast.director_person.pk, rules.RESIGNATION)]
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE accountability_case SET measure = %s WHERE id = %s", [rules.CRITICISM, case.pk]
        )
    result = audit.verify()
    assert (result.ok, result.reason, result.record) == (
        False,
        "state",
        f"accountability.case #{case.pk}",
    )


def test_a_forged_decision_is_named(cast, opened):
    case = opened[(cast.member_person.pk, rules.CRITICISM)]
    services.case_decide(actor=cast.secretary_a, case=case, decision="依规处理", now=days(8))
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE accountability_case SET state = 'dismissed', decision = '不予处理' "
            "WHERE id = %s",
            [case.pk],
        )
    assert audit.verify().record == f"accountability.case #{case.pk}"
