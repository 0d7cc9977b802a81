# ruff: noqa: F811  (the evaluation fixtures are imported, then requested by name)
"""§四.2 economic measures end to end (issue #14): a loss is recorded against one of the signed
letter's own breach clauses (chosen, not typed); the clause's share or sum is data of the
letter; the case proposes the computed amount with the clause cited; township staff may record
a different amount only with a reason.

Cast: ``assessor_a`` records the loss (assessment group), ``secretary_a`` opens and decides the
case, ``staff_a`` carries it out; ``branch`` (a cadre) may not record losses.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jiannuo.accountability import rules, services
from jiannuo.accountability.models import Case
from jiannuo.core.errors import ServiceError
from jiannuo.evaluation import services as ev
from jiannuo.evaluation.models import Loss
from tests.evaluation.conftest import assess, group, letters, paper_round, voters  # noqa: F401

pytestmark = pytest.mark.django_db
YEAR = 2025


def director_clause(letters):
    return letters.director.version.clauses.get(category="economic_loss")


def record(cast, tree, letters, **kw):
    values = {
        "actor": cast.assessor_a,
        "village": tree.a1,
        "year": YEAR,
        "amount": "20000",
        "cause": "dereliction",
        "description": "村道工程未经验收即付款，返工造成集体损失",
        "posts": [letters.posts.director],
    }
    values.update(kw)
    return ev.loss_record(**values)


@pytest.mark.usefixtures("group")
def test_loss_is_recorded_against_a_clause_of_the_responsible_posts_signed_letter(
    cast, tree, letters
):
    clause = director_clause(letters)
    loss = record(cast, tree, letters, clause=clause)
    assert (loss.clause, loss.breach_clause) == (clause, clause.code)
    # By its number in the letter, too: it resolves to the director's own clause.
    loss = record(cast, tree, letters, breach_clause="2")
    assert loss.clause == clause


@pytest.mark.usefixtures("group")
@pytest.mark.parametrize("pick", ["typed", "other_letter", "wrong_category", "forged"])
def test_a_clause_not_in_the_responsible_letters_is_refused(cast, tree, letters, pick):
    """Not typed: a number that is no economic-loss clause of the director's letter, another
    cadre's clause, a clause of another category or a forged id is refused; nothing saved."""
    kw = {
        "typed": {"breach_clause": "第5条"},
        "other_letter": {"clause": letters.member.version.clauses.get(category="economic_loss")},
        "wrong_category": {"clause": letters.director.version.clauses.get(category="unmet_goals")},
        "forged": {"clause": 999999},
    }[pick]
    with pytest.raises(ServiceError) as exc:
        record(cast, tree, letters, **kw)
    assert exc.value.code == "clause"
    assert not Loss.objects.exists()


def test_cadres_may_not_record_losses(cast, tree, letters, group):
    with pytest.raises(PermissionDenied):
        record(cast, tree, letters, actor=cast.branch, clause=director_clause(letters))


@pytest.fixture
def penalty_case(cast, tree, letters, group, voters):
    """2025 confirmed with a 20,000-yuan loss by the director against clause 2 (10% of the
    loss), and the economic-penalty case decided 60 days ago (appeal window closed)."""
    record(cast, tree, letters, clause=director_clause(letters))
    assess(letters, cast.assessor_a)
    paper_round(tree.a1, cast)
    ev.results_confirm(actor=cast.secretary_a, village=tree.a1, year=YEAR)
    then = timezone.now() - timedelta(days=60)
    services.run_open(actor=cast.secretary_a, township=tree.a, year=YEAR, now=then)
    case = Case.objects.get(measure=rules.ECONOMIC_PENALTY)
    services.case_decide(
        actor=cast.secretary_a,
        case=case,
        decision="按承诺书第2条赔偿",
        now=then + timedelta(days=8),
    )
    case.refresh_from_db()
    return case


def test_case_proposes_ten_percent_of_the_loss_citing_the_clause(penalty_case):
    """§四.2: 10% of 20,000 → 2,000 yuan proposed, clause 2 and its text cited."""
    case = penalty_case
    assert case.proposed_amount == Decimal("2000.00")
    assert case.facts["breach_clause"] == "2"
    assert case.facts["clause_measure"] == "按损失额的10%承担赔偿责任"
    (reason,) = case.explain()
    assert "2000.00" in reason and "按损失额的10%承担赔偿责任" in reason


def test_staff_record_the_proposed_amount_or_another_with_a_reason(penalty_case, cast):
    with pytest.raises(ServiceError) as exc:
        services.case_carry_out(
            actor=cast.staff_a, case=penalty_case, outcome=rules.PENALTY_PAID, amount="1500"
        )
    assert exc.value.code == "amount_reason_required"
    done = services.case_carry_out(
        actor=cast.staff_a,
        case=penalty_case,
        outcome=rules.PENALTY_PAID,
        amount="1500",
        note="经镇党委研究，考虑其主动挽回部分损失，减为1500元",
    )
    assert done.amount == Decimal("1500") and done.state == rules.CARRIED_OUT


def test_proposed_amount_needs_no_reason(penalty_case, cast):
    done = services.case_carry_out(
        actor=cast.staff_a, case=penalty_case, outcome=rules.PENALTY_PAID, amount="2000"
    )
    assert done.amount == Decimal("2000")


# --------------------------------------------------------------------------- API


def post(client, url, data):
    return client.post("/api/v1" + url, data=json.dumps(data), content_type="application/json")


def test_api_loss_by_clause_id_and_refusal_of_a_foreign_clause(client, cast, tree, letters, group):
    client.force_login(cast.assessor_a)
    body = {
        "village_id": tree.a1.pk,
        "year": YEAR,
        "amount": "20000",
        "cause": "dereliction",
        "description": "返工损失",
        "post_ids": [letters.posts.director.pk],
    }
    foreign = letters.member.version.clauses.get(category="economic_loss")
    r = post(client, "/evaluation/losses", {**body, "clause_id": foreign.pk})
    assert r.status_code == 400 and r.json()["code"] == "clause"
    r = post(client, "/evaluation/losses", {**body, "clause_id": director_clause(letters).pk})
    assert r.status_code == 201, r.content
    assert Loss.objects.get(pk=r.json()["id"]).clause == director_clause(letters)


def test_api_case_shows_the_proposal_and_carry_out_needs_a_reason(client, cast, penalty_case):
    client.force_login(cast.staff_a)
    r = client.get(f"/api/v1/accountability/cases/{penalty_case.pk}")
    assert r.status_code == 200 and r.json()["proposed_amount"] == "2000.00"
    url = f"/accountability/cases/{penalty_case.pk}/carry_out"
    r = post(client, url, {"outcome": rules.PENALTY_PAID, "amount": "1000"})
    assert r.status_code == 400 and r.json()["code"] == "amount_reason_required"
    r = post(
        client, url, {"outcome": rules.PENALTY_PAID, "amount": "1000", "note": "部分已由保险赔付"}
    )
    assert r.status_code == 200, r.content
    assert r.json()["amount"] == "1000.00" and r.json()["state"] == rules.CARRIED_OUT
