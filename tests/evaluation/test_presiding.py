"""Who presides over the democratic evaluation and who enters and co-signs its count (issue #14).

A village without a supervision committee (DOMAIN.md "No supervision body") still holds its
round, presided as the district policy says — by default the township's staff present the round
and enter the count and a villagers' representative co-signs it. An impossible count (more
ballots returned than issued) voids the round whoever enters it.

Cast: ``staff_a`` (township staff) and ``secretary_a`` stand in for the committee; ``voter`` is a
villager representative of 柳树村; ``supervisor`` chaired the committee until its end;
``branch`` (the branch secretary, a cadre being evaluated) and ``branch_a2`` must be refused.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jiannuo.core.errors import ServiceError
from jiannuo.core.models import Transition
from jiannuo.evaluation import presiding, services
from jiannuo.evaluation.models import Round, Tally
from jiannuo.organisation import services as org
from jiannuo.organisation.models import Post
from jiannuo.organisation.policy import DEFAULT_POLICY, policy_for, set_policy

from .conftest import YEAR, checkin_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_committee(tree, cast, system, letters, voters):
    """柳树村's supervision committee ended in 2024: the village has none today."""
    post = cast.supervisor_person.posts.get(kind=Post.SUPERVISION_CHAIR)
    org.post_end(actor=system, post=post, end=date(2024, 12, 31))
    return tree.a1


def team_target(rnd):
    return rnd.targets.get(post=None)


def closed_paper_round(village, presiding_user):
    rnd = services.round_create(actor=presiding_user, village=village, year=YEAR, method="paper")
    checkin_all(rnd, presiding_user)
    services.round_open(actor=presiding_user, round=rnd)
    services.round_close(actor=presiding_user, round=rnd)
    rnd.refresh_from_db()
    return rnd


def test_default_policy_names_township_staff_and_a_representative():
    """DOMAIN.md "No supervision body": the defaults of the district setting."""
    assert DEFAULT_POLICY.presiding_without_supervision == "township"
    assert DEFAULT_POLICY.count_cosigned_without_supervision == "representative"


def test_an_unknown_stand_in_is_refused(tree, cast):
    data = {**DEFAULT_POLICY.to_json(), "presiding_without_supervision": "the_mayor"}
    with pytest.raises(ServiceError) as exc:
        set_policy(actor=cast.district, district=tree.district, year_from=YEAR, data=data)
    assert exc.value.code == "policy_invalid"
    assert "stand_in_unknown" in [d["rule"] for d in exc.value.details]


def test_without_a_committee_township_staff_present_and_a_representative_cosigns(
    no_committee, cast
):
    """§三.6 with DOMAIN.md "No supervision body": nobody could open the round before; now the
    township's staff present it and enter the count, a representative co-signs it."""
    arr = presiding.arrangement(no_committee, YEAR)
    assert (arr.supervision_committee, arr.presides, arr.cosigns) == (
        False,
        "township",
        "representative",
    )
    for refused in (cast.supervisor, cast.branch, cast.voter, cast.branch_a2):
        with pytest.raises(PermissionDenied):
            services.round_create(actor=refused, village=no_committee, year=YEAR, method="paper")
    rnd = closed_paper_round(no_committee, cast.staff_a)
    assert rnd.state == Round.CLOSED
    tally = services.tally_enter(
        actor=cast.staff_a,
        target=team_target(rnd),
        issued=rnd.present,
        returned=rnd.present,
        spoiled=0,
        counts={"satisfied": rnd.present},
    )
    # The township may not co-sign its own count: a representative does.
    for refused in (cast.secretary_a, cast.supervisor, cast.branch):
        with pytest.raises(PermissionDenied):
            services.tally_confirm(actor=refused, tally=tally)
    done = services.tally_confirm(actor=cast.voter, tally=tally)
    assert done.confirmed_by == cast.voter


def test_the_policy_can_let_a_representative_preside_and_the_township_cosign(
    no_committee, tree, cast
):
    data = {
        **DEFAULT_POLICY.to_json(),
        "presiding_without_supervision": "representative",
        "count_cosigned_without_supervision": "township",
    }
    set_policy(actor=cast.district, district=tree.district, year_from=YEAR, data=data)
    assert policy_for(no_committee, YEAR).presiding_without_supervision == "representative"
    with pytest.raises(PermissionDenied):
        services.round_open(
            actor=cast.branch,
            round=services.round_create(
                actor=cast.staff_a, village=no_committee, year=YEAR, method="paper"
            ),
        )
    rnd = Round.objects.get(village=no_committee, year=YEAR)
    with pytest.raises(PermissionDenied):  # the township no longer presents it
        services.voter_checkin(actor=cast.staff_a, round=rnd, voter=rnd.voters.first())
    checkin_all(rnd, cast.voter)
    services.round_open(actor=cast.voter, round=rnd)
    services.round_close(actor=cast.voter, round=rnd)
    tally = services.tally_enter(
        actor=cast.voter,
        target=team_target(rnd),
        issued=rnd.present,
        returned=rnd.present,
        spoiled=0,
        counts={"satisfied": rnd.present},
    )
    with pytest.raises(PermissionDenied):
        services.tally_confirm(actor=cast.branch, tally=tally)
    assert services.tally_confirm(actor=cast.staff_a, tally=tally).confirmed


def test_with_a_committee_it_presides_and_township_staff_do_not(tree, cast, letters, voters):
    """Where the village has its supervision committee nothing changes: it presides."""
    arr = presiding.arrangement(tree.a1, YEAR)
    assert (arr.supervision_committee, arr.presides) == (True, "supervision_committee")
    rnd = services.round_create(actor=cast.staff_a, village=tree.a1, year=YEAR, method="paper")
    with pytest.raises(PermissionDenied):
        services.round_open(actor=cast.staff_a, round=rnd)
    with pytest.raises(PermissionDenied):
        services.voter_checkin(actor=cast.voter, round=rnd, voter=rnd.voters.first())


def test_staff_entering_more_returned_than_issued_void_the_round(tree, cast, letters, voters):
    """DOMAIN.md: "More ballots returned than issued voids the round" — whoever enters the
    count (township staff used to get 403 and the round stayed closed)."""
    rnd = closed_paper_round(tree.a1, cast.supervisor)
    with pytest.raises(ServiceError) as exc:
        services.tally_enter(
            actor=cast.staff_a,
            target=team_target(rnd),
            issued=9,
            returned=10,
            spoiled=0,
            counts={"satisfied": 10},
        )
    assert exc.value.code == "round_void"
    rnd.refresh_from_db()
    assert rnd.state == Round.VOID and "10" in rnd.void_reason
    assert not Tally.objects.exists()
    void = Transition.objects.get(object_type="evaluation.round", action="void")
    assert void.actor == cast.staff_a


def test_someone_who_may_not_enter_counts_cannot_void_by_an_impossible_count(
    tree, cast, letters, voters
):
    rnd = closed_paper_round(tree.a1, cast.supervisor)
    with pytest.raises(PermissionDenied):
        services.tally_enter(
            actor=cast.branch,
            target=team_target(rnd),
            issued=9,
            returned=10,
            spoiled=0,
            counts={"satisfied": 10},
        )
    assert Round.objects.get(pk=rnd.pk).state == Round.CLOSED


# --------------------------------------------------------------------------- API and pages


def api(client, method, url, data=None):
    if method == "get":
        return client.get("/api/v1" + url)
    return getattr(client, method)(
        "/api/v1" + url, data=json.dumps(data or {}), content_type="application/json"
    )


def test_api_round_without_committee_by_staff_cosigned_by_a_representative(
    client, no_committee, cast
):
    client.force_login(cast.staff_a)
    r = api(
        client,
        "post",
        "/evaluation/rounds",
        {"village_id": no_committee.pk, "year": YEAR, "method": "paper"},
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    rnd = Round.objects.get(pk=pk)
    for voter in rnd.voters.all():
        assert (
            api(
                client, "post", f"/evaluation/rounds/{pk}/checkins", {"voter_id": voter.pk}
            ).status_code
            == 201
        )
    assert api(client, "post", f"/evaluation/rounds/{pk}/steps/open").status_code == 200
    assert api(client, "post", f"/evaluation/rounds/{pk}/steps/close").status_code == 200
    rnd.refresh_from_db()
    target = team_target(rnd)
    r = api(
        client,
        "post",
        f"/evaluation/rounds/{pk}/tallies",
        {
            "target_id": target.pk,
            "issued": rnd.present,
            "returned": rnd.present,
            "spoiled": 0,
            "counts": {"satisfied": rnd.present},
        },
    )
    assert r.status_code == 201, r.content
    tally_id = r.json()["id"]
    client.force_login(cast.branch)
    assert api(client, "post", f"/evaluation/tallies/{tally_id}/confirm").status_code == 403
    client.force_login(cast.voter)
    r = api(client, "post", f"/evaluation/tallies/{tally_id}/confirm")
    assert r.status_code == 200, r.content
    assert Tally.objects.get(pk=tally_id).confirmed_by == cast.voter


def test_api_impossible_count_by_staff_voids_the_round(client, tree, cast, letters, voters):
    rnd = closed_paper_round(tree.a1, cast.supervisor)
    client.force_login(cast.staff_a)
    r = api(
        client,
        "post",
        f"/evaluation/rounds/{rnd.pk}/tallies",
        {
            "target_id": team_target(rnd).pk,
            "issued": 9,
            "returned": 10,
            "spoiled": 0,
            "counts": {"satisfied": 10},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "round_void"
    assert Round.objects.get(pk=rnd.pk).state == Round.VOID


def test_round_page_shows_who_presides_and_cosigns(client, no_committee, cast):
    rnd = services.round_create(actor=cast.staff_a, village=no_committee, year=YEAR, method="paper")
    client.force_login(cast.staff_a)
    r = client.get(reverse("evaluation:round", args=[rnd.pk]))
    assert r.status_code == 200
    page = r.content.decode()
    assert 'id="presiding"' in page and 'id="open-round"' in page
    assert "镇(街道)工作人员" in page and "一名村民代表" in page
    client.force_login(cast.voter)  # the co-signing representative reaches the round
    assert client.get(reverse("evaluation:round", args=[rnd.pk])).status_code == 200
    client.force_login(cast.branch_a2)
    assert client.get(reverse("evaluation:round", args=[rnd.pk])).status_code == 404
