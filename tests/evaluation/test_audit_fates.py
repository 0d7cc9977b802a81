"""Records that decide people's fates are covered by the audit log (issue #12): a tally, the
ballots, a verdict or a grade changed in the database behind the services' back no longer
matches its last audited state, and ``jiannuo audit verify`` names it (§三.6)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jiannuo.core import audit
from jiannuo.evaluation import rules
from jiannuo.evaluation.models import Ballot, PostResult, Round, Tally, Verdict


def _sql(statement, params=()):
    with connection.cursor() as cur:
        cur.execute(statement, list(params))


def test_a_completed_year_verifies_with_every_fate_record_audited(completed):
    result = audit.verify()
    assert result.ok, result
    # verdicts, tallies, the round and the year result all carry an audited state
    assert result.fates_checked >= Verdict.objects.count() + Tally.objects.count() + 2


def test_an_edited_verdict_is_named(completed):
    verdict = Verdict.objects.get(item=completed.goal)
    _sql(
        "UPDATE evaluation_verdict SET verdict = 'fulfilled', reason = '' WHERE id = %s",
        [verdict.pk],
    )
    result = audit.verify()
    assert (result.ok, result.reason, result.record) == (
        False,
        "state",
        f"evaluation.verdict #{verdict.pk}",
    )
    with pytest.raises(CommandError, match=f"evaluation.verdict #{verdict.pk}"):
        call_command("audit", "verify")


def test_a_deleted_verdict_is_named(completed):
    verdict = Verdict.objects.exclude(item=completed.goal).first()
    _sql("DELETE FROM evaluation_verdict WHERE id = %s", [verdict.pk])
    assert audit.verify().record == f"evaluation.verdict #{verdict.pk}"


def test_edited_tally_counts_are_named(completed):
    tally = Tally.objects.first()
    counts = dict(tally.counts, satisfied=tally.counts.get("satisfied", 0) + 3)
    _sql(
        "UPDATE evaluation_tally SET counts = %s WHERE id = %s",
        [__import__("json").dumps(counts), tally.pk],
    )
    assert audit.verify().record == f"evaluation.tally #{tally.pk}"


def test_an_edited_grade_is_named(completed):
    post = (
        PostResult.objects.filter(grade=rules.INCOMPETENT).first()
        or PostResult.objects.exclude(grade="").first()
    )
    better = rules.EXCELLENT if post.grade != rules.EXCELLENT else rules.COMPETENT
    _sql("UPDATE evaluation_postresult SET grade = %s WHERE id = %s", [better, post.pk])
    assert audit.verify().record == f"evaluation.yearresult #{post.result_id}"


def test_a_ballot_added_after_the_close_is_named(completed):
    rnd = Round.objects.get(pk=completed.result.round_id)
    Ballot.objects.create(round=rnd, choices={})
    assert audit.verify().record == f"evaluation.round #{rnd.pk}"
