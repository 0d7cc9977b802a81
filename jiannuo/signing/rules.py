"""Rules for signing and keeping pledge letters (seed §三.4–5).

Plain Python, no ORM and no settings.

- §三.4 — at the signing ceremony each cadre reads their letter, the party members and
  villager representatives present discuss and vote, and the letter is signed on the spot:
  the team letter by the township party committee's deputy secretary (Party A) and the branch
  secretary and committee director (Party B); the secretary's own letter and each member
  letter by party-member and villager representatives (Party A) and the cadre (Party B).
- §三.5 — the team letter is made in two originals (township, branch), the secretary's and
  members' letters in three (township, branch, the cadre); a letter is archived once every
  original has a custody receipt (DOMAIN.md "Documents").
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from jiannuo.core.rules import BLOCK, INFO, Finding

PARTY_A = "A"
PARTY_B = "B"

TOWNSHIP_DEPUTY_SECRETARY = "township_deputy_secretary"
BRANCH_SECRETARY = "branch_secretary"
COMMITTEE_DIRECTOR = "committee_director"
MEMBER = "member"
PARTY_MEMBER_REP = "party_member_rep"
VILLAGER_REP = "villager_rep"

#: Roles filled by any one of a group (the representatives), not by a named person.
REPRESENTATIVE_ROLES = (PARTY_MEMBER_REP, VILLAGER_REP)

LETTER_KINDS = ("team", "secretary", "member")

#: Custodians of the printed originals (§三.5), in the order the copies are numbered.
TOWNSHIP = "township"
BRANCH = "branch"
CADRE = "cadre"

VOTE_RULES = ("more_than_half_present", "more_than_half_votes_cast", "two_thirds_present")

#: Every rule id of this module and the seed clause it applies.
RULES: Mapping[str, str] = {
    "signing.role_not_on_letter": "§三.4",
    "signing.wrong_person": "§三.4",
    "signing.party_conflict": "§三.4",
    "signing.already_signed": "§三.4",
    "signing.no_open_slot": "§三.4",
    "signing.vote_negative": "§三.4",
    "signing.vote_no_attendees": "§三.4",
    "signing.vote_exceeds_present": "§三.4",
    "signing.vote_not_all_cast": "§三.4",
}


def _finding(rule: str, message, severity: str = BLOCK, **facts) -> Finding:
    return Finding(rule=rule, clause=RULES[rule], message=message, facts=facts, severity=severity)


@dataclass(frozen=True)
class Signatory:
    """One signature a letter needs.

    ``person_id`` is the named person for a post, or ``None`` for a representative's slot that
    any party-member (or villager) representative present may fill. ``also_as`` lists further
    roles the same signature covers: under 一肩挑 the branch secretary who is also committee
    director signs the team letter once, holding both roles.
    """

    party: str
    role: str
    person_id: Hashable | None = None
    also_as: tuple[str, ...] = ()

    @property
    def roles(self) -> tuple[str, ...]:
        return (self.role, *self.also_as)


@dataclass(frozen=True)
class Signature:
    """A signature given: who signed, in which role."""

    person_id: Hashable
    role: str


def _require(value: Hashable | None, name: str, kind: str) -> Hashable:
    if value is None:
        raise ValueError(f"A {kind} letter needs {name}.")
    return value


def _representatives(party_rep_count: int, villager_rep_count: int) -> list[Signatory]:
    if party_rep_count < 1 or villager_rep_count < 1:
        raise ValueError("Party A needs at least one party-member and one villager representative.")
    return [Signatory(PARTY_A, PARTY_MEMBER_REP) for _ in range(party_rep_count)] + [
        Signatory(PARTY_A, VILLAGER_REP) for _ in range(villager_rep_count)
    ]


def required_signatories(
    kind: str,
    *,
    township_deputy_secretary: Hashable | None = None,
    branch_secretary: Hashable | None = None,
    committee_director: Hashable | None = None,
    cadre: Hashable | None = None,
    party_rep_count: int = 1,
    villager_rep_count: int = 1,
) -> tuple[Signatory, ...]:
    """§三.4: the signatures ``kind`` of letter needs, Party A first.

    - ``team``: Party A the township deputy secretary; Party B the branch secretary and the
      committee director — one signature when one person holds both posts (一肩挑).
    - ``secretary``: Party A ``party_rep_count`` party-member and ``villager_rep_count``
      villager representatives; Party B the secretary (``cadre``, or ``branch_secretary``).
    - ``member``: Party A the representatives as above; Party B the member (``cadre``).

    Raises ``ValueError`` when a named signatory is missing or the kind is unknown.
    """
    if kind == "team":
        deputy = _require(township_deputy_secretary, "township_deputy_secretary", kind)
        secretary = _require(branch_secretary, "branch_secretary", kind)
        director = _require(committee_director, "committee_director", kind)
        party_a = Signatory(PARTY_A, TOWNSHIP_DEPUTY_SECRETARY, deputy)
        if secretary == director:
            return (party_a, Signatory(PARTY_B, BRANCH_SECRETARY, secretary, (COMMITTEE_DIRECTOR,)))
        return (
            party_a,
            Signatory(PARTY_B, BRANCH_SECRETARY, secretary),
            Signatory(PARTY_B, COMMITTEE_DIRECTOR, director),
        )
    if kind == "secretary":
        if cadre is not None and branch_secretary is not None and cadre != branch_secretary:
            raise ValueError("The secretary's letter is signed by the branch secretary.")
        person = _require(cadre if cadre is not None else branch_secretary, "cadre", kind)
        return (
            *_representatives(party_rep_count, villager_rep_count),
            Signatory(PARTY_B, BRANCH_SECRETARY, person),
        )
    if kind == "member":
        person = _require(cadre, "cadre", kind)
        return (
            *_representatives(party_rep_count, villager_rep_count),
            Signatory(PARTY_B, MEMBER, person),
        )
    raise ValueError(f"Unknown letter kind {kind!r}; use {LETTER_KINDS}.")


def _signatures(given: Iterable[Signature | tuple[Hashable, str]]) -> list[Signature]:
    return [g if isinstance(g, Signature) else Signature(*g) for g in given]


def missing_signatures(
    required: Sequence[Signatory], given: Iterable[Signature | tuple[Hashable, str]]
) -> list[Signatory]:
    """§三.4: the required signatures not yet given; ``[]`` when the letter is fully signed.

    A named signatory is satisfied by their signature in any of their roles. Representative
    slots are filled by distinct persons signing in that role, not counting the letter's named
    signatories (a cadre cannot sign for Party A of their own letter).
    """
    signed = _signatures(given)
    named = {req.person_id for req in required if req.person_id is not None}
    missing: list[Signatory] = []
    filled: dict[str, int] = {}
    for role in REPRESENTATIVE_ROLES:
        filled[role] = len({s.person_id for s in signed if s.role == role} - named)
    for req in required:
        if req.person_id is None:
            if filled.get(req.role, 0) > 0:
                filled[req.role] -= 1
            else:
                missing.append(req)
        elif not any(s.person_id == req.person_id and s.role in req.roles for s in signed):
            missing.append(req)
    return missing


def may_sign(
    required: Sequence[Signatory],
    person_id: Hashable,
    role: str,
    *,
    given: Iterable[Signature | tuple[Hashable, str]] = (),
) -> Finding | None:
    """§三.4: ``None`` if ``person_id`` may sign the letter in ``role`` now, else why not.

    Refuses a role the letter does not have, a named post signed by someone else, a Party B
    cadre signing for Party A, a second signature by the same person (under 一肩挑 the one
    signature covers both posts), and a representative when all such slots are filled.
    """
    facts = {"person_id": person_id, "role": role}
    matching = [req for req in required if role in req.roles]
    if not matching:
        return _finding(
            "signing.role_not_on_letter",
            _("This letter has no signature for the role %(role)s."),
            **facts,
        )
    named = [req for req in matching if req.person_id is not None]
    if named and all(req.person_id != person_id for req in named):
        return _finding(
            "signing.wrong_person",
            _("Person %(person_id)s does not hold the post %(role)s on this letter."),
            **facts,
        )
    if not named and any(req.person_id == person_id for req in required):
        return _finding(
            "signing.party_conflict",
            _("Person %(person_id)s signs this letter for Party B and cannot sign for Party A."),
            **facts,
        )
    signed = _signatures(given)
    if any(s.person_id == person_id for s in signed):
        return _finding(
            "signing.already_signed",
            _("Person %(person_id)s has already signed this letter."),
            **facts,
        )
    if not named and len({s.person_id for s in signed if s.role == role}) >= len(matching):
        return _finding(
            "signing.no_open_slot",
            _("All %(slots)s signatures for %(role)s have been given."),
            slots=len(matching),
            **facts,
        )
    return None


def copies(kind: str) -> tuple[str, ...]:
    """§三.5: the custodians of the printed originals, one per copy, in copy order."""
    if kind == "team":
        return (TOWNSHIP, BRANCH)
    if kind in ("secretary", "member"):
        return (TOWNSHIP, BRANCH, CADRE)
    raise ValueError(f"Unknown letter kind {kind!r}; use {LETTER_KINDS}.")


def copy_label(i: int, n: int) -> str:
    """The label printed on original ``i`` of ``n``: "第 i 份 / 共 n 份" (a document text)."""
    if not 1 <= i <= n:
        raise ValueError(f"Copy {i} of {n} does not exist.")
    return f"第 {i} 份 / 共 {n} 份"


def is_archived(copies_total: int, receipts: Iterable[int]) -> bool:
    """§三.5: every original (numbered 1..``copies_total``) has a custody receipt.

    ``receipts`` are the copy numbers with a receipt; duplicates count once.
    """
    if copies_total < 1:
        raise ValueError("A letter has at least one original.")
    numbers = set(receipts)
    unknown = sorted(k for k in numbers if not 1 <= k <= copies_total)
    if unknown:
        raise ValueError(f"No original numbered {unknown} among {copies_total}.")
    return len(numbers) == copies_total


def check_vote(for_: int, against: int, abstain: int, present: int) -> list[Finding]:
    """§三.4: the ceremony vote's counts are possible.

    Blocks a negative count, a vote with nobody present, and more votes than attendees;
    notes (info) attendees who did not vote.
    """
    counts = {"for_": for_, "against": against, "abstain": abstain, "present": present}
    negative = [
        _finding(
            "signing.vote_negative",
            _("The count %(field)s is negative (%(value)s)."),
            field=name,
            value=value,
        )
        for name, value in counts.items()
        if value < 0
    ]
    if negative:
        return negative
    if present == 0:
        return [_finding("signing.vote_no_attendees", _("Nobody was present to vote."), **counts)]
    cast = for_ + against + abstain
    if cast > present:
        return [
            _finding(
                "signing.vote_exceeds_present",
                _("%(cast)s votes were counted but only %(present)s attended."),
                cast=cast,
                **counts,
            )
        ]
    if cast < present:
        return [
            _finding(
                "signing.vote_not_all_cast",
                _("%(cast)s of %(present)s attendees voted."),
                INFO,
                cast=cast,
                **counts,
            )
        ]
    return []


def vote_passes(
    for_: int, against: int, abstain: int, present: int, *, rule: str = "more_than_half_present"
) -> bool:
    """§三.4 (表决通过): whether the letter passes the ceremony vote. Exact integer comparisons.

    - ``more_than_half_present`` (default, DOMAIN.md): ``2 * for_ > present``;
    - ``more_than_half_votes_cast``: ``2 * for_ > for_ + against + abstain`` (abstentions are
      votes cast);
    - ``two_thirds_present``: at least two thirds, ``3 * for_ >= 2 * present``.

    Raises ``ValueError`` for an unknown rule or counts that ``check_vote`` blocks.
    """
    if rule not in VOTE_RULES:
        raise ValueError(f"Unknown vote rule {rule!r}; use {VOTE_RULES}.")
    blocking = [f.rule for f in check_vote(for_, against, abstain, present) if f.blocking]
    if blocking:
        raise ValueError(f"Impossible vote counts: {', '.join(blocking)}.")
    if rule == "more_than_half_present":
        return 2 * for_ > present
    if rule == "more_than_half_votes_cast":
        return 2 * for_ > for_ + against + abstain
    return 3 * for_ >= 2 * present
