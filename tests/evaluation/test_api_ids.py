"""Ids a client needs come from the API, not only from the HTML (issue #13): the voters of a
round for check-in, and a letter version's id for signing."""

import json

import pytest
from django.test import Client

from jiannuo.evaluation import services
from jiannuo.evaluation.models import Voter
from jiannuo.pledges.models import Letter

from .conftest import YEAR

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_presiding_officer_lists_voters_and_checks_one_in(cast, tree, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    c = _client(cast.supervisor)
    page = c.get(f"/api/v1/evaluation/rounds/{rnd.pk}/voters").json()
    assert page["count"] == Voter.objects.filter(round=rnd).count() > 0
    first = page["items"][0]
    assert set(first) == {"id", "person_id", "name", "present"}  # never a code, never "used"
    r = c.post(
        f"/api/v1/evaluation/rounds/{rnd.pk}/checkins",
        json.dumps({"voter_id": first["id"]}),
        content_type="application/json",
    )
    assert r.status_code == 201
    again = c.get(f"/api/v1/evaluation/rounds/{rnd.pk}/voters").json()["items"]
    assert next(v for v in again if v["id"] == first["id"])["present"] is True


@pytest.mark.parametrize(("who", "status"), [("branch", 403), ("voter", 404), ("outsider", 404)])
def test_others_do_not_get_the_voter_list(cast, tree, letters, voters, who, status):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    r = _client(getattr(cast, who)).get(f"/api/v1/evaluation/rounds/{rnd.pk}/voters")
    assert r.status_code == status


def test_a_letters_versions_carry_their_ids(cast, tree, letters):
    letter = Letter.objects.filter(village=tree.a1).first()
    r = _client(cast.secretary_a).get(f"/api/v1/pledges/letters/{letter.pk}")
    assert r.status_code == 200
    versions = r.json()["versions"]
    assert versions and all(isinstance(v["id"], int) for v in versions)
    assert {v["id"] for v in versions} == set(letter.versions.values_list("pk", flat=True))


def test_the_township_lists_who_may_join_an_assessment_group(cast, tree):
    r = _client(cast.secretary_a).get(f"/api/v1/evaluation/townships/{tree.a.pk}/assessors")
    assert r.status_code == 200
    usernames = {u["username"] for u in r.json()["items"]}
    assert "assessor_a" in usernames and "secretary_b" not in usernames
    assert "branch" not in usernames


@pytest.mark.parametrize("who", ["secretary_b", "branch", "outsider"])
def test_others_do_not_list_a_townships_assessors(cast, tree, who):
    r = _client(getattr(cast, who)).get(f"/api/v1/evaluation/townships/{tree.a.pk}/assessors")
    assert r.status_code == 404
