"""Phone ballots (§三.6; DOMAIN.md anonymity): one-time codes, one sheet per code, the presiding
officer opens and closes, results only after closing; bad codes are refused, nothing counted."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiannuo.core.errors import ServiceError
from jiannuo.evaluation import services
from jiannuo.evaluation.models import Ballot, BallotCode, Round, Tally, Voter
from jiannuo.organisation.models import Post
from tests.conftest import make_person

from .conftest import YEAR, checkin_all, is_spent, issue_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    return issue_codes(checkin_all(rnd, cast.supervisor), cast.supervisor)


def sheet(rnd, option="satisfied", **by_target):
    return {str(t.pk): by_target.get(str(t.pk), option) for t in rnd.targets.all()}


def codes(rnd):
    return rnd.codes


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
    assert BallotCode.objects.filter(round=phone, spent=False).count() == 10


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
    assert not BallotCode.objects.filter(spent=True).exists()


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
    assert is_spent(c) is False


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
    issue_codes(rnd, cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)  # 7 of 10 ≥ 2/3


def test_double_checkin_is_refused(phone, cast):
    v = Voter.objects.filter(round=phone).first()
    with pytest.raises(ServiceError) as exc:
        services.voter_checkin(actor=cast.supervisor, round=phone, voter=v)
    assert exc.value.code == "duplicate"


def test_one_live_round_per_village_and_year(phone, cast, tree):
    with pytest.raises(ServiceError):
        services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="paper")


# --- Code slips: bearer slips issued once attendance is complete (issue #12) ------------------


@pytest.fixture
def present(tree, cast, letters, voters):
    """A phone round, everyone checked in, no slips printed yet."""
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    return checkin_all(rnd, cast.supervisor)


def test_slips_are_one_per_voter_present_and_stored_only_as_digests(present, cast):
    codes = services.slips_issue(actor=cast.supervisor, round=present)
    assert len(codes) == len(set(codes)) == present.present == 10
    rows = list(BallotCode.objects.filter(round=present).values("digest", "spent"))
    assert sorted(r["digest"] for r in rows) == sorted(services.code_digest(c) for c in codes)
    assert not any(r["spent"] for r in rows)
    stored = str(list(BallotCode.objects.values_list()))
    assert not any(c in stored for c in codes)  # no plaintext code anywhere in the table
    # The code table has no person, no voter, no time and no sequence.
    assert {f.name for f in BallotCode._meta.get_fields()} == {"digest", "round", "spent"}


def test_the_round_opens_only_with_its_slips_printed(present, cast):
    with pytest.raises(ServiceError) as exc:
        services.round_open(actor=cast.supervisor, round=present)
    assert exc.value.code == "no_slips"
    services.slips_issue(actor=cast.supervisor, round=present)
    services.round_open(actor=cast.supervisor, round=present)


def test_printing_again_voids_the_slips_printed_before(present, cast):
    first = services.slips_issue(actor=cast.supervisor, round=present)
    second = services.slips_issue(actor=cast.supervisor, round=present)
    assert not set(first) & set(second)
    assert BallotCode.objects.filter(round=present).count() == 10
    services.round_open(actor=cast.supervisor, round=present)
    with pytest.raises(ServiceError) as exc:
        services.ballot_cast(code=first[0], choices=sheet(present))
    assert exc.value.code == "unknown_code"
    services.ballot_cast(code=second[0], choices=sheet(present))


def test_a_reloaded_slips_page_does_not_void_the_slips(present, cast):
    seen = Round.objects.get(pk=present.pk).version
    services.slips_issue(actor=cast.supervisor, round=present, version=seen)
    with pytest.raises(ServiceError) as exc:  # the same form sent again
        services.slips_issue(actor=cast.supervisor, round=present, version=seen)
    assert exc.value.status == 409
    assert BallotCode.objects.filter(round=present).count() == 10


def test_a_late_checkin_voids_the_printed_slips_and_none_after_opening(
    tree, cast, system, letters, voters
):
    """No batch of codes ever belongs to one person: a check-in after printing voids the whole
    batch (before the vote), and nobody is checked in once the vote has started."""
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    late, *others = list(Voter.objects.filter(round=rnd))
    for v in others:
        services.voter_checkin(actor=cast.supervisor, round=rnd, voter=v)
    printed = services.slips_issue(actor=cast.supervisor, round=rnd)
    row = services.voter_checkin(actor=cast.supervisor, round=rnd, voter=late)
    assert row.slips_voided == 9
    assert not BallotCode.objects.filter(round=rnd).exists()
    codes = services.slips_issue(actor=cast.supervisor, round=rnd)
    assert len(codes) == 10 and not set(codes) & set(printed)
    services.round_open(actor=cast.supervisor, round=rnd)
    extra = make_person(system, tree.a1, "代表迟到", Post.REPRESENTATIVE)
    latest = Voter.objects.create(round=rnd, person=extra)
    with pytest.raises(ServiceError) as exc:
        services.voter_checkin(actor=cast.supervisor, round=rnd, voter=latest)
    assert exc.value.code == "late_checkin"
    with pytest.raises(ServiceError) as exc:
        services.slips_issue(actor=cast.supervisor, round=rnd)
    assert exc.value.code == "not_draft"
    assert BallotCode.objects.filter(round=rnd).count() == 10


def test_only_the_presiding_officer_prints_slips_and_only_for_phone_rounds(present, cast, tree):
    for user in (cast.branch, cast.voter, cast.outsider, cast.secretary_b, cast.member):
        with pytest.raises(PermissionDenied):
            services.slips_issue(actor=user, round=present)
    assert not BallotCode.objects.exists()
    services.round_void(actor=cast.supervisor, round=present, reason="改为纸质")
    paper = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="paper")
    checkin_all(paper, cast.supervisor)
    with pytest.raises(ServiceError) as exc:
        services.slips_issue(actor=cast.supervisor, round=paper)
    assert exc.value.code == "not_phone"


def test_no_slips_before_anyone_is_present(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    with pytest.raises(ServiceError) as exc:
        services.slips_issue(actor=cast.supervisor, round=rnd)
    assert exc.value.code == "nobody_present"


def test_closing_counts_codes_spent_and_a_recount_agrees(phone, cast):
    """Issued = codes printed, returned = ballots = codes spent; the ballots stay, so counting
    them again gives the tallies."""
    services.round_open(actor=cast.supervisor, round=phone)
    for n, c in enumerate(codes(phone)[:6]):
        services.ballot_cast(code=c, choices=sheet(phone, "dissatisfied" if n % 2 else "abstain"))
    services.round_close(actor=cast.supervisor, round=phone)
    tallies = {t.target_id: t for t in Tally.objects.filter(round=phone)}
    assert {(t.issued, t.returned) for t in tallies.values()} == {(10, 6)}
    assert BallotCode.objects.filter(round=phone, spent=True).count() == 6
    assert Ballot.objects.filter(round=phone).count() == 6
    recount = services.phone_counts(phone)
    assert {tid: t.counts for tid, t in tallies.items()} == recount
    assert {c["dissatisfied"] for c in recount.values()} == {3}
