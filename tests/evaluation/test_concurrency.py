"""A code can never count twice, even when submitted concurrently (issue #6 "Performance").

Real threads, each with its own database connection, call the ballot service at the same
moment (a barrier). The tests assert counts, never timing. They run on SQLite (IMMEDIATE
transactions, WAL) and on PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connection

from jiannuo.core.errors import ServiceError
from jiannuo.evaluation import services
from jiannuo.evaluation.models import Ballot, BallotCode, Round, Voter
from jiannuo.organisation.models import Person, Post

from .conftest import YEAR

pytestmark = pytest.mark.django_db(transaction=True)


def open_round(tree, cast, n_voters):
    """A phone round with ``n_voters`` representatives, all present, its slips printed
    (``rnd.codes``)."""
    people = Person.objects.bulk_create(
        Person(village=tree.a1, name=f"代表{i:03d}", phone=f"1370000{i:04d}")
        for i in range(n_voters)
    )
    Post.objects.bulk_create(
        Post(person=p, village=tree.a1, kind=Post.REPRESENTATIVE, start=tree.term.start)
        for p in people
    )
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    present = Voter.objects.filter(round=rnd).update(present=True)
    Round.objects.filter(pk=rnd.pk).update(present=present)
    codes = services.slips_issue(actor=cast.supervisor, round=rnd)
    services.round_open(actor=cast.supervisor, round=rnd)
    rnd.refresh_from_db()
    rnd.codes = codes
    return rnd


def discard_failed_transaction():
    """SQLite's test database is in memory with a shared cache, where a busy table fails at
    once ("database table is locked", which the busy timeout does not cover), even at COMMIT.
    Django cannot close an in-memory connection after a failed commit, so the phone (this
    thread) discards the failed transaction itself before it tries again, as a client would."""
    raw = connection.connection
    while raw is not None and raw.in_transaction:
        try:
            raw.rollback()
        except Exception:
            time.sleep(0.001)
    connection.needs_rollback = False


def cast_ballot(code, choices, barrier):
    """One voter's phone: wait for the others, submit, report accepted / refused."""
    try:
        barrier.wait()
        for _attempt in range(20000):
            try:
                services.ballot_cast(code=code, choices=choices)
                return "accepted"
            except ServiceError as exc:
                return exc.code
            except OperationalError:
                discard_failed_transaction()
                time.sleep(random.uniform(0.0005, 0.003))
                continue
        return "gave_up"
    finally:
        connection.close()


def test_same_code_eight_times_at_once_is_counted_once_200_times(tree, cast, letters):
    rnd = open_round(tree, cast, 198)
    choices = {str(t.pk): "satisfied" for t in rnd.targets.all()}
    rounds = len(rnd.codes)
    assert rounds == 200  # with the cast's party member and representative
    with ThreadPoolExecutor(max_workers=8) as pool:
        for code in rnd.codes:
            barrier = threading.Barrier(8)
            outcomes = list(
                pool.map(lambda _i, c=code, b=barrier: cast_ballot(c, choices, b), range(8))
            )
            assert outcomes.count("accepted") == 1, outcomes
            assert outcomes.count("code_used") == 7, outcomes
    assert Ballot.objects.filter(round=rnd).count() == rounds
    assert BallotCode.objects.filter(round=rnd, spent=True).count() == rounds


def test_hundred_voters_at_once_give_hundred_ballots(tree, cast, letters):
    rnd = open_round(tree, cast, 98)  # + the cast's two voters
    choices = {str(t.pk): "basically_satisfied" for t in rnd.targets.all()}
    codes = rnd.codes
    # 100 phones, 10 submitting at any moment (each batch of 10 released together).
    barriers = [threading.Barrier(10) for _ in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(
            pool.map(
                lambda ic: cast_ballot(ic[1], choices, barriers[ic[0] // 10]), enumerate(codes)
            )
        )
    assert outcomes.count("accepted") == 100, set(outcomes)
    assert Ballot.objects.filter(round=rnd).count() == 100
    services.round_close(actor=cast.supervisor, round=rnd)
    tally = Round.objects.get(pk=rnd.pk).tallies.first()
    assert (tally.issued, tally.returned, tally.counts["basically_satisfied"]) == (100, 100, 100)
