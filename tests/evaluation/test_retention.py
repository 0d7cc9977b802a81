"""A democratic evaluation's record — the round, its targets, voters, ballots and tallies — is
kept (issue #18; DOMAIN.md 30 years): every ORM path to delete it is refused and deletes
nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from jiannuo.evaluation.models import Ballot, Round, Tally, Target, Voter
from jiannuo.signing.retention import KeptRecordError

from .conftest import paper_round

pytestmark = pytest.mark.django_db


def test_a_counted_round_and_its_tallies_cannot_be_deleted(tree, cast, letters, voters):
    rnd = paper_round(tree.a1, cast)
    Ballot.objects.create(round=rnd, choices={})
    counts = {m: m.objects.count() for m in (Round, Target, Voter, Ballot, Tally)}
    assert all(counts.values())
    deletions = [
        lambda: rnd.delete(),
        lambda: Round.objects.filter(pk=rnd.pk).delete(),
        lambda: Tally.objects.filter(round=rnd).delete(),
        lambda: Target.objects.filter(round=rnd).delete(),  # would cascade to the tallies
        lambda: Voter.objects.filter(round=rnd).delete(),
        lambda: Ballot.objects.filter(round=rnd).delete(),
    ]
    for delete in deletions:
        with pytest.raises(KeptRecordError):
            with transaction.atomic():
                delete()
    assert counts == {m: m.objects.count() for m in counts}
