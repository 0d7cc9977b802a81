"""DOMAIN.md anonymity: the system stores who received a ballot and the counts, never who chose
what. The schema itself holds no link from a ballot to a voter or a code."""

from __future__ import annotations

import pytest
from django.db import connection

from jiannuo.evaluation import services
from jiannuo.evaluation.models import Ballot, Round, Voter

from .conftest import YEAR, checkin_all

pytestmark = pytest.mark.django_db


def test_ballot_model_has_no_link_to_a_voter_a_person_a_code_or_a_time():
    fields = {f.name: f for f in Ballot._meta.get_fields()}
    assert set(fields) == {"id", "round", "choices"}
    relations = {f.name: f.related_model for f in fields.values() if f.is_relation}
    assert relations == {"round": Ballot._meta.get_field("round").related_model}
    assert Ballot._meta.get_field("id").get_internal_type() == "UUIDField"  # random, no sequence
    assert Ballot._meta.ordering == ["id"]
    # Nothing points at a ballot either.
    assert not [f for f in Voter._meta.get_fields() if f.is_relation and f.related_model is Ballot]
    assert not Ballot._meta.related_objects


def test_database_schema_has_no_link_from_ballot_to_voter():
    table = Ballot._meta.db_table
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
        relations = connection.introspection.get_relations(cursor, table)
        constraints = connection.introspection.get_constraints(cursor, table)
    assert columns == {"id", "round_id", "choices"}
    assert {v[1] for v in relations.values()} == {Round._meta.db_table}
    voter_table = Voter._meta.db_table
    for c in constraints.values():
        assert not c.get("foreign_key") or c["foreign_key"][0] != voter_table
    with connection.cursor() as cursor:
        voter_relations = connection.introspection.get_relations(cursor, voter_table)
    assert table not in {v[1] for v in voter_relations.values()}


def test_a_cast_ballot_carries_only_the_choices(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    checkin_all(rnd, cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)
    code = Voter.objects.filter(round=rnd).first().code
    services.ballot_cast(code=code, choices={str(t.pk): "satisfied" for t in rnd.targets.all()})
    (row,) = Ballot.objects.values()
    assert set(row) == {"id", "round_id", "choices"}
    assert code not in str(row)
    assert Voter.objects.get(code=code).used is True
