"""Phone ballots (§三.6; DOMAIN.md anonymity): one-time codes, one sheet per code, the presiding
officer opens and closes, results only after closing; bad codes are refused, nothing counted."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiannuo.core.errors import ServiceError
from jiannuo.evaluation import services
from jiannuo.evaluation.models import Ballot, Round, Tally, Voter

from .conftest import YEAR, checkin_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    return checkin_all(rnd, cast.supervisor)


def sheet(rnd, option="satisfied", **by_target):
    return {str(t.pk): by_target.get(str(t.pk), option) for t in rnd.targets.all()}


def codes(rnd):
    return list(Voter.objects.filter(round=rnd, present=True).values_list("code", flat=True))


def test_round_has_a_ballot_for_every_cadre_and_the_team(phone, letters):
    targets = list(phone.targets.order_by("position"))
    assert targets[0].post_id is None
    assert {t.post_id for t in targets[1:]} == {
        letters.posts.secretary.pk,
        letters.posts.director.pk,
        letters.posts.member.pk,
    }
    assert phone.eligible == 10 and phone.present == 10
    assert len(set(codes(phone))) == 10  # one code per voter present


def test_a_code_casts_one_sheet_and_results_come_at_closing(phone, cast):
    services.round_open(actor=cast.supervisor, round=phone)
    for c in codes(phone)[:7]:
        services.ballot_cast(code=c, choices=sheet(phone))
    assert Ballot.objects.filter(round=phone).count() == 7
    assert not Tally.objects.filter(round=phone).exists()  # nothing to see before closing
    services.round_close(actor=cast.supervisor, round=phone)
    tallies = list(Tally.objects.filter(round=phone))
    assert len(tallies) == 4
    assert all(
        (t.issued, t.returned, t.spoiled, t.counts["satisfied"]) == (10, 7, 0, 7) and t.confirmed
        for t in tallies
    )


@pytest.mark.parametrize(
    ("state", "code"),
    [("draft", "not_open"), ("closed", "round_closed")],
)
def test_votes_outside_the_open_round_are_refused(phone, cast, state, code):
    if state == "closed":
        services.round_open(actor=cast.supervisor, round=phone)
        services.round_close(actor=cast.supervisor, round=phone)
    with pytest.raises(ServiceError) as exc:
        services.ballot_cast(code=codes(phone)[0], choices=sheet(phone))
    assert exc.value.code == code
    assert not Ballot.objects.exists()
    assert not Voter.objects.filter(used=True).exists()


def test_reused_unknown_and_foreign_codes_are_refused(phone, cast, tree, system):
    services.round_open(actor=cast.supervisor, round=phone)
    c = codes(phone)[0]
    services.ballot_cast(code=c, choices=sheet(phone))
    with pytest.raises(ServiceError) as exc:
        services.ballot_cast(code=c, choices=sheet(phone))
    assert exc.value.code == "code_used"
    with pytest.raises(ServiceError) as exc:
        services.ballot_cast(code="no-such-code", choices=sheet(phone))
    assert exc.value.code == "unknown_code"
    with pytest.raises(ServiceError) as exc:
        services.ballot_cast(code=codes(phone)[1], choices=sheet(phone), round_id=phone.pk + 99)
    assert exc.value.code == "foreign_code"
    assert Ballot.objects.count() == 1


@pytest.mark.parametrize(
    "bad",
    [
        "missing",
        "unknown_option",
        "extra_target",
        "huge_target_id",
        "padded_target_id",
        "not_a_string",
        "not_a_mapping",
    ],
)
def test_incomplete_or_malformed_sheets_are_refused_and_the_code_stays_unused(phone, cast, bad):
    services.round_open(actor=cast.supervisor, round=phone)
    choices = sheet(phone)
    first = next(iter(choices))
    if bad == "missing":
        del choices[first]
    elif bad == "unknown_option":
        choices[first] = "spoiled"
    elif bad == "extra_target":
        choices["999999"] = "satisfied"
    elif bad == "huge_target_id":  # beyond a 64-bit id: refused, not a database error
        choices["9" * 40] = "satisfied"
    elif bad == "padded_target_id":
        choices["0" + first] = choices.pop(first)
    elif bad == "not_a_string":
        choices[first] = 1
    else:
        choices = ["satisfied"]
    c = codes(phone)[0]
    with pytest.raises(ServiceError):
        services.ballot_cast(code=c, choices=choices)
    assert not Ballot.objects.exists()
    assert Voter.objects.get(code=c).used is False


def test_only_the_presiding_officer_opens_and_closes(phone, cast):
    for user in (cast.branch, cast.voter, cast.outsider, cast.secretary_b):
        with pytest.raises(PermissionDenied):
            services.round_open(actor=user, round=phone)
    services.round_open(actor=cast.supervisor, round=phone)
    with pytest.raises(PermissionDenied):
        services.round_close(actor=cast.member, round=phone)
    assert Round.objects.get(pk=phone.pk).state == Round.OPEN


def test_quorum_is_needed_to_open(tree, cast, letters, voters):
    """§四.3 / DOMAIN: a representatives' meeting needs at least two thirds present."""
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    for v in Voter.objects.filter(round=rnd)[:6]:
        services.voter_checkin(actor=cast.supervisor, round=rnd, voter=v)
    with pytest.raises(ServiceError) as exc:
        services.round_open(actor=cast.supervisor, round=rnd)
    assert exc.value.code == "quorum_not_met"
    services.voter_checkin(
        actor=cast.supervisor, round=rnd, voter=Voter.objects.filter(round=rnd, present=False)[0]
    )
    services.round_open(actor=cast.supervisor, round=rnd)  # 7 of 10 ≥ 2/3


def test_double_checkin_is_refused(phone, cast):
    v = Voter.objects.filter(round=phone).first()
    with pytest.raises(ServiceError) as exc:
        services.voter_checkin(actor=cast.supervisor, round=phone, voter=v)
    assert exc.value.code == "duplicate"


def test_one_live_round_per_village_and_year(phone, cast, tree):
    with pytest.raises(ServiceError):
        services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="paper")
