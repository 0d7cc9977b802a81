"""Ballot secrecy (issue #12; DOMAIN.md anonymity; docs/ARCHITECTURE.md "Guarantees"): no stored
data links a person to a ballot. Attendance (``Voter``) holds who is present; the codes
(``BallotCode``) are bearer slips kept as digests; the ballots (``Ballot``) are sheets with
random ids. The schema has no link, and the joins an attacker with a database dump would try —
PostgreSQL's ``xmin`` and ``ctid``, SQLite's ``rowid``, time stamps, audit rows — find none.
Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import itertools
import json

import pytest
from django.db import connection, models

from jiannuo.core.models import AuditEntry, Transition
from jiannuo.evaluation import services
from jiannuo.evaluation.models import Ballot, BallotCode, Round, Voter
from jiannuo.organisation.models import Person, Post

from .conftest import YEAR, checkin_all, issue_codes

TIME_FIELDS = (models.DateTimeField, models.DateField, models.TimeField)


def test_the_three_tables_hold_no_link_no_time_and_no_sequence():
    fields = {f.name: f for f in Ballot._meta.get_fields()}
    assert set(fields) == {"id", "round", "choices"}
    assert Ballot._meta.get_field("id").get_internal_type() == "UUIDField"  # random, no sequence
    assert Ballot._meta.ordering == ["id"]
    codes = {f.name: f for f in BallotCode._meta.get_fields()}
    assert set(codes) == {"digest", "round", "spent"}  # no person, no voter, no time
    assert BallotCode._meta.pk.name == "digest"  # no sequence
    attendance = {f.name for f in Voter._meta.get_fields()}
    assert attendance == {"id", "round", "person", "present"}  # no code, no "has voted"
    for model in (Ballot, BallotCode, Voter):
        assert not [f for f in model._meta.get_fields() if isinstance(f, TIME_FIELDS)]
        related = {f.related_model for f in model._meta.get_fields() if f.is_relation}
        assert not related & {Ballot, BallotCode, Voter} - {model}
        assert not [r for r in model._meta.related_objects]


@pytest.mark.django_db
def test_database_schema_has_no_link_between_ballots_codes_and_attendance():
    tables = {m._meta.db_table: m for m in (Ballot, BallotCode, Voter)}
    expected = {
        Ballot: {"id", "round_id", "choices"},
        BallotCode: {"digest", "round_id", "spent"},
        Voter: {"id", "round_id", "person_id", "present"},
    }
    with connection.cursor() as cursor:
        for table, model in tables.items():
            relations = connection.introspection.get_relations(cursor, table)
            assert {v[1] for v in relations.values()} <= {
                Round._meta.db_table,
                Person._meta.db_table,
            }
            description = connection.introspection.get_table_description(cursor, table)
            assert {c.name for c in description} == expected[model]


@pytest.mark.django_db
def test_a_cast_ballot_carries_only_the_choices(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    issue_codes(checkin_all(rnd, cast.supervisor), cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)
    code = rnd.codes[0]
    services.ballot_cast(code=code, choices={str(t.pk): "satisfied" for t in rnd.targets.all()})
    (row,) = Ballot.objects.values()
    assert set(row) == {"id", "round_id", "choices"}
    assert code not in str(row)
    assert BallotCode.objects.get(digest=services.code_digest(code)).spent is True
    assert not BallotCode.objects.filter(digest=code).exists()  # stored hashed


# --- The attacker's joins ---------------------------------------------------------------------


def rows(table: str, extra: str = "") -> list[tuple]:
    """``(physical position, xmin or None, *columns)`` of a table's rows in physical order:
    PostgreSQL's ``ctid`` (and ``xmin``), SQLite's ``rowid``."""
    qn = connection.ops.quote_name(table)
    cols = f", {extra}" if extra else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT ctid::text, xmin::text{cols} FROM {qn} ORDER BY ctid")
        else:
            cursor.execute(f"SELECT rowid, NULL{cols} FROM {qn} ORDER BY rowid")
        return cursor.fetchall()


def correct_guesses(guessed: list, truth: list) -> int:
    return sum(1 for g, t in zip(guessed, truth, strict=True) if g == t)


@pytest.mark.django_db(transaction=True)
def test_twenty_ballots_cannot_be_joined_to_attendance(tree, cast, letters):
    """20 voters sign in, one after another; the slips are handed out in sign-in order and the
    voters vote in that same order, each with a different sheet — the worst case for secrecy.
    Then an attacker reads the database after the meeting and pairs ballots with attendance by
    every order the database keeps: ``xmin`` (PostgreSQL), physical order (``ctid``/``rowid``) of
    the ballots and of the codes, time stamps, audit rows. No pairing does better than chance.

    On the design before issue #12 (the code on the voter's row, spent by the statement that
    inserts the ballot) every ballot shares its ``xmin`` with its voter's row and the ballots lie
    in sign-in order: 20 of 20 found."""
    people = Person.objects.bulk_create(
        Person(village=tree.a1, name=f"投票人{i:02d}", phone=f"1380000{i:04d}") for i in range(18)
    )
    Post.objects.bulk_create(
        Post(person=p, village=tree.a1, kind=Post.REPRESENTATIVE, start=tree.term.start)
        for p in people
    )
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    attendance = list(Voter.objects.filter(round=rnd).order_by("-person__phone"))
    assert len(attendance) == 20  # with the cast's party member and representative
    for voter in attendance:  # sign-in order: one transaction each
        services.voter_checkin(actor=cast.supervisor, round=rnd, voter=voter)
    codes = services.slips_issue(actor=cast.supervisor, round=rnd)
    services.round_open(actor=cast.supervisor, round=rnd)
    targets = [str(t) for t in rnd.targets.order_by("id").values_list("id", flat=True)]
    options = ["satisfied", "basically_satisfied", "dissatisfied", "abstain"]
    sheets = [
        dict(zip(targets, combo, strict=True))
        for combo in itertools.islice(itertools.product(options, repeat=len(targets)), 0, 80, 4)
    ]
    assert len({json.dumps(s) for s in sheets}) == 20  # each voter's choice is recognisable
    handed = dict(zip([v.pk for v in attendance], codes, strict=True))  # slip k to voter k
    audit_before = AuditEntry.objects.count(), Transition.objects.count()
    for voter in attendance:  # casting order = sign-in order
        services.ballot_cast(code=handed[voter.pk], choices=sheets[attendance.index(voter)])
    # Casting wrote no audit or history row: nothing with a time of day per ballot.
    assert (AuditEntry.objects.count(), Transition.objects.count()) == audit_before

    voter_rows = {r[2]: r for r in rows(Voter._meta.db_table, "id")}
    if connection.vendor == "postgresql":
        # During the vote the spend ties a code to its ballot (same xmin), never a person.
        voter_xmins = {r[1] for r in voter_rows.values()}
        live = rows(Ballot._meta.db_table)
        assert not {r[1] for r in live} & voter_xmins

    services.round_close(actor=cast.supervisor, round=rnd)

    ballots = rows(Ballot._meta.db_table, "choices")
    code_rows = rows(BallotCode._meta.db_table, "digest")
    assert len(ballots) == 20 and len(code_rows) == 20

    def sheet(value):
        return json.loads(value) if isinstance(value, str) else value

    in_physical_order = [sheet(r[2]) for r in ballots]
    # Join 1: ballots in physical order against the attendance order (and its reverse).
    assert correct_guesses(in_physical_order, sheets) < 10
    assert correct_guesses(in_physical_order[::-1], sheets) < 10
    # Join 2: codes in physical order against the attendance order: whose slip was whose.
    digests_by_position = [r[2] for r in code_rows]
    handed_digests = [services.code_digest(handed[v.pk]) for v in attendance]
    assert correct_guesses(digests_by_position, handed_digests) < 10
    # Join 3: no stored time on any of the three tables (checked on the schema as well).
    with connection.cursor() as cursor:
        for model in (Ballot, BallotCode, Voter):
            description = connection.introspection.get_table_description(
                cursor, model._meta.db_table
            )
            kinds = {connection.introspection.get_field_type(c.type_code, c) for c in description}
            assert not kinds & {"DateTimeField", "DateField", "TimeField"}
    if connection.vendor == "postgresql":
        # Join 4: xmin. Every ballot and every code was rewritten by the closing transaction:
        # one xmin for all of them, shared with no attendance row.
        xmins = {r[1] for r in ballots} | {r[1] for r in code_rows}
        assert len(xmins) == 1
        assert not xmins & {r[1] for r in voter_rows.values()}
        # Ordering the attendance by xmin gives the sign-in order (attendance is no secret)…
        by_xmin = sorted(voter_rows.values(), key=lambda r: int(r[1]))
        assert [r[2] for r in by_xmin] == [v.pk for v in attendance]
        # …but ballots have no order of their own to lay against it.
    # The count matches the codes spent, and a recount of the sheets gives the tallies.
    rnd = Round.objects.get(pk=rnd.pk)
    assert BallotCode.objects.filter(round=rnd, spent=True).count() == 20
    tallies = {t.target_id: t.counts for t in rnd.tallies.all()}
    assert tallies == services.phone_counts(rnd)
    assert {t.returned for t in rnd.tallies.all()} == {20}
