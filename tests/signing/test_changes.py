"""Changes after signing (#4.7; DOMAIN.md "a signed letter is immutable: any change is a new
version that goes through approval and signing again").

The whole path through the real pledges workflow: a member's letter approved, voted, signed and
published; the branch opens a change with a reason; the new version is edited, agreed by the
joint meeting, consulted, approved by the township, voted at a second ceremony and signed. The
first version stays in force until the last signature of the second; then it is superseded,
the bulletin shows the new version in force and keeps the old one in its history, and the old
version's verification page says it was replaced.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from jiannuo.core.errors import ServiceError
from jiannuo.core.models import AuditEntry, Transition
from jiannuo.organisation.models import Post
from jiannuo.pledges import rules as pledge_rules
from jiannuo.pledges import services as pledge_services
from jiannuo.pledges.models import Letter, LetterVersion
from jiannuo.signing import rules, services
from jiannuo.signing.models import SignedLetter
from tests.conftest import make_person
from tests.pledges.conftest import (
    YEAR,
    consult,
    fill_member,
    fill_team,
    hold_joint_meeting,
    reload,
    table_all,
)

FIRST = timezone.make_aware(datetime(2026, 3, 20, 9, 0))
SECOND = timezone.make_aware(datetime(2026, 6, 20, 9, 0))


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _approve(letters, cast, tree):
    table_all(letters, cast.branch)
    hold_joint_meeting(tree.a1, tree.term, letters, cast.branch)
    consult(tree.a1, tree.term, letters, cast.branch)
    pledge_services.period_submit(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    for letter in letters:
        pledge_services.letter_approve(actor=cast.deputy_a, letter=reload(letter))
    return [reload(x) for x in letters]


def _ceremony(cast, tree, when, people):
    c = services.ceremony_schedule(
        actor=cast.branch,
        village=tree.a1,
        term=tree.term,
        year=YEAR,
        scheduled_at=when,
        place="村委会",
    )
    c = services.ceremony_hold(actor=cast.branch, ceremony=c)
    for p in people:
        services.attendance_checkin(actor=cast.branch, ceremony=c, person=p)
    return c


def _current(letter):
    letter = reload(letter)
    return LetterVersion.objects.get(letter=letter, number=letter.current_number)


def _vote_and_sign(c, letter, cast, party):
    services.vote_record(actor=cast.branch, ceremony=c, letter=letter, for_=3, against=0, abstain=0)
    v = _current(letter)
    services.sign(
        actor=cast.branch, version=v, role=rules.PARTY_MEMBER_REP, person=party,
        content_hash=v.content_hash,
    )  # fmt: skip
    services.sign(actor=cast.voter, version=v, role=rules.VILLAGER_REP, content_hash=v.content_hash)
    services.sign(
        actor=cast.member, version=v, role=rules.MEMBER, content_hash=v.content_hash,
        consent_publication=True,
    )  # fmt: skip
    return SignedLetter.objects.get(version=v)


@pytest.fixture
def signed_v1(cast, tree, system):
    """柳树村's 2026 letters through the real pledges workflow; the member's letter signed."""
    pledge_services.letters_prepare(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    by_post = {
        x.post.kind if x.post_id else "team": x
        for x in Letter.objects.filter(village=tree.a1, year=YEAR).select_related("post")
    }
    team = fill_team(
        by_post["team"], cast.branch, cast.branch_person.posts.get(kind="branch_secretary")
    )
    others = [
        fill_member(by_post[k], cast.branch, team)
        for k in (Post.BRANCH_SECRETARY, Post.COMMITTEE_DIRECTOR, Post.COMMITTEE_MEMBER)
    ]
    approved = _approve([team, *others], cast, tree)
    member = approved[3]
    party = make_person(system, tree.a1, "周小红", Post.PARTY_MEMBER)
    rep2 = make_person(system, tree.a1, "孙大山", Post.REPRESENTATIVE)
    c1 = _ceremony(cast, tree, FIRST, [party, rep2, cast.voter_person])
    signed = _vote_and_sign(c1, member, cast, party)
    assert signed.in_force and signed.published_at is not None
    return signed, member, party, rep2


def _board(client, tree):
    with override("en"):
        return client.get(reverse("bulletin:village", args=[tree.a1.code])).content.decode()


def test_change_after_signing_whole_path(client, signed_v1, cast, tree):
    """#4.7: amend → edit → joint meeting → consultation → approval → vote → signing again."""
    v1_signed, member, party, rep2 = signed_v1
    assert "负责年内硬化村内道路3公里" in _board(client, tree)

    new = services.letter_amend(actor=cast.branch, letter=member, reasons="道路改线，里程调整")
    member = reload(member)
    assert (new.number, new.state, member.state) == (2, pledge_rules.RETURNED, "returned")
    assert new.items.count() == 4  # the signed content is copied into the new version
    t = Transition.objects.get(action="amend_after_signing")
    assert (t.from_state, t.to_state, t.note) == ("approved", "returned", "道路改线，里程调整")
    assert AuditEntry.objects.filter(action="letter.amend_after_signing").exists()
    v1_signed.refresh_from_db()
    assert v1_signed.in_force and v1_signed.change_reason == "道路改线，里程调整"
    # The letter's history names the step in Chinese, not by its code.
    client.force_login(cast.branch)
    history = client.get(reverse("pledges:letter", args=[member.pk])).content.decode()
    assert "签订后变更" in history and "amend_after_signing" not in history
    client.logout()

    # The version in force stays on the board while the change goes through approval.
    item = new.items.get(category="work_goal")
    pledge_services.item_update(
        actor=cast.branch, item=item, version=member.version,
        category="work_goal", text="年内硬化村内道路5公里", target="5公里",
        deadline=item.deadline, breaks_down_ids=list(item.breaks_down.values_list("pk", flat=True)),
    )  # fmt: skip
    page = _board(client, tree)
    assert "负责年内硬化村内道路3公里" in page and "道路5公里" not in page

    # Signing the new version before approval is refused.
    with pytest.raises(ServiceError) as exc:
        services.sign(actor=cast.member, version=_current(member), role=rules.MEMBER,
                      content_hash="x")  # fmt: skip
    assert exc.value.code == "not_approved"

    member = _approve([member], cast, tree)[0]
    c2 = _ceremony(cast, tree, SECOND, [party, rep2, cast.voter_person])
    services.vote_record(
        actor=cast.branch, ceremony=c2, letter=member, for_=3, against=0, abstain=0
    )
    v2 = _current(member)
    services.sign(
        actor=cast.branch, version=v2, role=rules.PARTY_MEMBER_REP, person=party,
        content_hash=v2.content_hash,
    )  # fmt: skip
    # Part-signed: the first version is still in force.
    v1_signed.refresh_from_db()
    assert v1_signed.in_force
    services.sign(
        actor=cast.voter, version=v2, role=rules.VILLAGER_REP, content_hash=v2.content_hash
    )
    services.sign(
        actor=cast.member, version=v2, role=rules.MEMBER, content_hash=v2.content_hash,
        consent_publication=True,
    )  # fmt: skip

    v2_signed = SignedLetter.objects.get(version=v2)
    v1_signed.refresh_from_db()
    assert v2_signed.in_force and not v1_signed.in_force
    assert v1_signed.superseded_by == v2_signed
    assert services.signed_in_force(member) == v2_signed
    assert AuditEntry.objects.filter(action="signed_letter.supersede").count() == 1
    assert v2_signed.copies.count() == 3  # new originals to print and receipt

    page = _board(client, tree)
    assert "年内硬化村内道路5公里" in page and "负责年内硬化村内道路3公里" not in page
    assert f'data-letter="{member.pk}"' in page
    assert page.count(f'data-letter="{member.pk}"') == 2  # both versions in the history
    assert "道路改线，里程调整" in page and "→ v2" in page

    with override("en"):
        r = client.get(reverse("signing:verify", args=[v1_signed.verify_code]))
    assert 'id="superseded"' in r.text and "道路改线，里程调整" in r.text
    assert reverse("signing:verify", args=[v2_signed.verify_code]) in r.text
    with override("en"):
        r = client.get(reverse("signing:verify", args=[v2_signed.verify_code]))
    assert 'id="superseded"' not in r.text and 'id="in-force"' in r.text


def test_amend_refusals(signed_v1, cast, tree):
    """Only a signed letter in force, by the branch or township, with a reason; nothing saved."""
    _signed, member, *_ = signed_v1
    before = (LetterVersion.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ServiceError) as exc:
        services.letter_amend(actor=cast.branch, letter=member, reasons="  ")
    assert exc.value.code == "reasons"
    for user in (cast.member, cast.voter, cast.branch_a2, cast.secretary_b, cast.outsider):
        with pytest.raises(PermissionDenied):
            services.letter_amend(actor=user, letter=member, reasons="理由")
    director = Letter.objects.get(village=tree.a1, post__kind=Post.COMMITTEE_DIRECTOR)
    with pytest.raises(ServiceError) as exc:  # approved, but never signed
        services.letter_amend(actor=cast.branch, letter=director, reasons="理由")
    assert exc.value.code == "not_signed"
    assert (LetterVersion.objects.count(), AuditEntry.objects.count()) == before

    services.letter_amend(actor=cast.deputy_a, letter=member, reasons="乡镇要求调整")
    with pytest.raises(ServiceError) as exc:  # a change is already under way
        services.letter_amend(actor=cast.branch, letter=member, reasons="再改")
    assert exc.value.code == "not_signed"


def test_supersede_service_for_other_steps(signed_v1, cast, tree):
    """``signed_letter_supersede``: idempotent, permission-checked, refuses unsigned/older."""
    v1_signed, member, party, rep2 = signed_v1
    assert services.signed_letter_supersede(actor=cast.branch, new=v1_signed) == []
    with pytest.raises(PermissionDenied):
        services.signed_letter_supersede(actor=cast.member, new=v1_signed)

    services.letter_amend(actor=cast.branch, letter=member, reasons="客观原因调整")
    member = _approve([reload(member)], cast, tree)[0]
    c2 = _ceremony(cast, tree, SECOND, [party, rep2, cast.voter_person])
    v2_signed = _vote_and_sign(c2, member, cast, party)
    v1_signed.refresh_from_db()
    assert v1_signed.superseded_by == v2_signed
    # Called again by another step: nothing more to do.
    assert services.signed_letter_supersede(actor=cast.deputy_a, new=v2_signed) == []
    with pytest.raises(ServiceError) as exc:
        services.signed_letter_supersede(actor=cast.deputy_a, new=v1_signed)
    assert exc.value.code == "not_latest"


def test_failed_vote_on_the_change_keeps_the_signed_version(signed_v1, cast, tree):
    """A change voted down goes back to the joint meeting; the signed version stays in force."""
    v1_signed, member, party, rep2 = signed_v1
    services.letter_amend(actor=cast.branch, letter=member, reasons="调整目标")
    member = _approve([reload(member)], cast, tree)[0]
    c2 = _ceremony(cast, tree, SECOND, [party, rep2, cast.voter_person])
    vote = services.vote_record(
        actor=cast.branch, ceremony=c2, letter=member, for_=1, against=2, abstain=0
    )
    assert not vote.passed
    member = reload(member)
    assert member.state == pledge_rules.RETURNED and member.current_number == 3
    v1_signed.refresh_from_db()
    assert v1_signed.in_force and services.signed_in_force(member) == v1_signed
