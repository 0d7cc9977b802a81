"""Who may do what with pledge letters, role by role (§三.2–3: the village drafts, the
township party committee approves; a village never approves its own letters)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jiannuo.pledges import rules, services

from .conftest import reload, to_submitted

# role → (sees 柳树村's letters, edits the team letter, edits the member's own letter,
#         decides submitted letters)
MATRIX = {
    "district": (True, False, False, False),
    "secretary_a": (True, False, False, True),
    "deputy_a": (True, False, False, True),
    "staff_a": (True, False, False, False),
    "assessor_a": (True, False, False, False),
    "secretary_b": (False, False, False, False),
    "branch": (True, True, True, False),
    "director": (True, True, True, False),
    "member": (True, False, True, False),
    "supervisor": (True, False, False, False),
    "voter": (False, False, False, False),
    "branch_a2": (False, False, False, False),
    "outsider": (False, False, False, False),
}


@pytest.mark.parametrize(("who", "expected"), MATRIX.items(), ids=list(MATRIX))
def test_letter_page_visibility(client, cast, letters, who, expected):
    """Outside the user's scope a letter does not exist (404)."""
    client.force_login(getattr(cast, who))
    response = client.get(reverse("pledges:letter", args=[letters.team.pk]))
    assert response.status_code == (200 if expected[0] else 404)


@pytest.mark.parametrize(("who", "expected"), MATRIX.items(), ids=list(MATRIX))
def test_editing_by_role(cast, letters, who, expected):
    """The secretary and the director edit every letter; a member only their own."""
    user = getattr(cast, who)
    for letter, allowed in ((letters.team, expected[1]), (letters.member, expected[2])):
        letter = reload(letter)
        call = lambda letter=letter: services.item_add(  # noqa: E731
            actor=user,
            letter=letter,
            version=letter.version,
            category="work_goal",
            text="年内硬化村内道路3公里",
        )
        if allowed:
            call()
        else:
            with pytest.raises(PermissionDenied):
                call()


@pytest.mark.parametrize(("who", "expected"), MATRIX.items(), ids=list(MATRIX))
def test_only_the_township_party_committee_approves(complete, cast, tree, who, expected):
    """§三.3: TOWNSHIP_SECRETARY / TOWNSHIP_DEPUTY of that township approve; nobody else —
    neither the village (its own letters), nor the district, nor another township."""
    letters = to_submitted(complete.all, cast, tree)
    user = getattr(cast, who)
    if expected[3]:
        services.letter_approve(actor=user, letter=letters[0])
        assert reload(letters[0]).state == rules.APPROVED
    else:
        for decide in (
            lambda: services.letter_approve(actor=user, letter=letters[0]),
            lambda: services.letter_return(actor=user, letter=letters[0], reasons="x"),
            lambda: services.letter_redo(actor=user, letter=letters[0], reasons="x"),
        ):
            with pytest.raises(PermissionDenied):
                decide()
        assert reload(letters[0]).state == rules.SUBMITTED


def test_township_secretary_who_is_also_a_village_cadre_cannot_approve_that_village(
    complete, cast, tree, system
):
    """A village can never approve its own letters, even through a township role."""
    from jiannuo.core import roles
    from tests.conftest import make_official

    letters = to_submitted(complete.all, cast, tree)
    make_official(cast.branch, roles.TOWNSHIP_SECRETARY, tree.a, person=cast.branch_person)
    branch = type(cast.branch).objects.get(pk=cast.branch.pk)  # fresh grants
    with pytest.raises(PermissionDenied):
        services.letter_approve(actor=branch, letter=letters[0])


@pytest.mark.parametrize("who", ["director", "member", "supervisor", "secretary_a"])
def test_only_the_branch_runs_meetings_and_submits(complete, cast, tree, who):
    user = getattr(cast, who)
    with pytest.raises(PermissionDenied):
        services.period_submit(actor=user, village=tree.a1, term=tree.term, year=2026)
    with pytest.raises(PermissionDenied):
        services.joint_meeting_record(
            actor=user,
            village=tree.a1,
            term=tree.term,
            year=2026,
            date=tree.term.start,
            attendance=[],
            decisions={complete.team.pk: ("approved", "")},
        )


def test_township_b_is_refused_on_the_page_too(client, complete, cast, tree):
    letters = to_submitted(complete.all, cast, tree)
    client.force_login(cast.secretary_b)
    response = client.post(reverse("pledges:act", args=[letters[0].pk, "approve"]))
    assert response.status_code == 404
    assert reload(letters[0]).state == rules.SUBMITTED


def test_village_approving_on_the_page_is_refused(client, complete, cast, tree):
    letters = to_submitted(complete.all, cast, tree)
    client.force_login(cast.branch)
    response = client.post(reverse("pledges:act", args=[letters[0].pk, "approve"]))
    assert response.status_code == 403
    assert reload(letters[0]).state == rules.SUBMITTED
