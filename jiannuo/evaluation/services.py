"""Writes of the year-end step (§三.6, §四): the assessment group and its verdicts, losses and
breaches; the democratic evaluation round (paper tallies, phone ballots); the township's
confirmation of the year's results.

Every function checks permission and state, runs in one transaction and writes audit rows;
round and result state changes write a ``Transition`` row. The rules are ``evaluation.rules``;
district settings come from ``policy_for``.

Ballot secrecy (docs/ARCHITECTURE.md "Guarantees"): attendance (``Voter``) never meets a code.
The round issues its codes in one batch once attendance is complete (``slips_issue``: as many
as voters present, stored as digests, printed without names in random order); check-in after
that voids them (before the vote) or is refused (during it). Casting a phone ballot writes only
two rows — the code marked spent (one conditional UPDATE) and a ``Ballot`` with a random id —
and no audit row, since an audit row per ballot would order ballots against codes. Closing the
round rewrites its ballots and codes in random order, so that their physical order and
``xmin`` no longer tell the order of casting. The round's opening, slips and closing are audited with the counts.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import secrets
import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core import audit
from jiannuo.core import roles as core_roles
from jiannuo.core.errors import ConflictError, ServiceError, check_version
from jiannuo.core.models import Transition
from jiannuo.core.permissions import has_perm, require, roles_at, same_person
from jiannuo.organisation.models import Person, Post, Term, Unit
from jiannuo.organisation.policy import policy_for
from jiannuo.pledges.models import Letter, PledgeItem
from jiannuo.signing import integrity, retention
from jiannuo.signing.models import SignedLetter

from . import presiding, rules
from .models import (
    FULFILLED,
    LOSS_CAUSES,
    REASONS,
    VERDICTS,
    AssessmentGroup,
    Ballot,
    BallotCode,
    Breach,
    Loss,
    PostResult,
    Round,
    Tally,
    Target,
    Verdict,
    Voter,
    YearResult,
)

#: The round workflow as data: (state, action) → next state.
ROUND_TRANSITIONS = {
    (Round.DRAFT, "open"): Round.OPEN,
    (Round.OPEN, "close"): Round.CLOSED,
    (Round.DRAFT, "void"): Round.VOID,
    (Round.OPEN, "void"): Round.VOID,
    (Round.CLOSED, "void"): Round.VOID,
}
RESULT_TRANSITIONS = {("", "confirm"): YearResult.CONFIRMED}

ASSESSOR_ROLES = {
    core_roles.ASSESSOR,
    core_roles.TOWNSHIP_STAFF,
    core_roles.TOWNSHIP_DEPUTY,
    core_roles.TOWNSHIP_SECRETARY,
}


def term_for(village: Unit, year: int) -> Term:
    term = (
        Term.objects.filter(district_id=village.district_id, start__year__lte=year)
        .filter(end__year__gte=year)
        .order_by("-start")
        .first()
    )
    if term is None:
        raise ServiceError(_("No term of office covers %(year)s.") % {"year": year}, code="no_term")
    return term


def in_force_letters(village, year: int):
    """The signed letters in force for ``village`` and ``year`` (team and every post)."""
    return (
        SignedLetter.objects.filter(
            letter__village=village, letter__year=year, superseded_at__isnull=True
        )
        .select_related("letter", "letter__post", "letter__post__person", "version")
        .order_by("letter__kind", "letter__post_id")
    )


def _result_confirmed(village, year) -> bool:
    return YearResult.objects.filter(
        village=village, year=year, state=YearResult.CONFIRMED
    ).exists()


def _not_confirmed(village, year):
    if _result_confirmed(village, year):
        raise ConflictError(
            _("The results of %(year)s are confirmed; they can no longer change.") % {"year": year},
            code="results_confirmed",
        )


# --- Assessment group ------------------------------------------------------------------------


def group_create(*, actor, township: Unit, year: int, name: str, members, villages):
    """§三.6: the township forms the assessment group for a year."""
    if township.kind != Unit.TOWNSHIP:
        raise ServiceError(_("An assessment group belongs to a township."), code="not_township")
    require(actor, "evaluation.manage", township)
    name = (name or "").strip()
    members, villages = list(members), list(villages)
    if not name:
        raise ServiceError(_("Give the group a name."), code="name")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ServiceError(_("The year must be between 2000 and 2100."), code="year_invalid")
    if not members:
        raise ServiceError(_("The group needs at least one member."), code="members")
    refused = [u.get_username() for u in members if not (roles_at(u, township) & ASSESSOR_ROLES)]
    if refused:
        raise ServiceError(
            _("Not assessors or township staff of this township: %(names)s.")
            % {"names": ", ".join(refused)},
            code="member_not_assessor",
        )
    if not villages:
        raise ServiceError(_("Assign at least one village."), code="villages")
    outside = [v.name for v in villages if v.kind != Unit.VILLAGE or v.parent_id != township.pk]
    if outside:
        raise ServiceError(
            _("Not villages of this township: %(names)s.") % {"names": ", ".join(outside)},
            code="village_outside",
        )
    if AssessmentGroup.objects.filter(township=township, year=year, name=name).exists():
        raise ServiceError(_("A group of that name exists for the year."), code="duplicate")
    with transaction.atomic():
        group = AssessmentGroup.objects.create(
            township=township, year=year, name=name, created_by=actor
        )
        group.members.set(members)
        group.villages.set(villages)
        audit.record(
            actor,
            "assessment_group.create",
            group,
            changes={
                "year": year,
                "name": name,
                "members": [u.pk for u in members],
                "villages": [v.pk for v in villages],
            },
        )
    return group


def is_assessor_for(user, village: Unit, year: int) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and has_perm(user, "evaluation.assess", village)
        and AssessmentGroup.objects.filter(year=year, members=user, villages=village).exists()
    )


def _require_assessor(actor, village: Unit, year: int) -> None:
    require(actor, "evaluation.assess", village)
    if not AssessmentGroup.objects.filter(year=year, members=actor, villages=village).exists():
        raise PermissionDenied(
            _("Only members of the assessment group for %(village)s in %(year)s may do this.")
            % {"village": village.name, "year": year}
        )


# --- Verdicts, losses, breaches --------------------------------------------------------------


def verdict_record(
    *, actor, item: PledgeItem, verdict: str, reason: str = "", evidence: str = "", version=None
) -> Verdict:
    """§三.6: the assessment group's verdict on one pledged item of a letter in force.

    ``version`` is the version of the verdict the user read; ``None`` (or 0) means they saw no
    verdict. Changing an existing verdict without naming its current version is a conflict
    (409 with both versions): two assessors never silently overwrite each other.
    """
    signed = (
        SignedLetter.objects.filter(version_id=item.letter_version_id, superseded_at__isnull=True)
        .select_related("letter", "letter__village")
        .first()
    )
    if signed is None or signed.letter.year is None:
        raise ServiceError(
            _("Only items of a signed annual letter in force are assessed."), code="not_in_force"
        )
    village, year = signed.letter.village, signed.letter.year
    _require_assessor(actor, village, year)
    if verdict not in dict(VERDICTS):
        raise ServiceError(_("Choose fulfilled, partly or not fulfilled."), code="verdict")
    reason = reason or ""
    if reason and reason not in dict(REASONS):
        raise ServiceError(_("Unknown reason."), code="reason")
    if verdict != FULFILLED and not reason:
        raise ServiceError(
            _("Give the reason why the item was not (fully) fulfilled."), code="reason_required"
        )
    if verdict == FULFILLED:
        reason = ""
    evidence = (evidence or "").strip()
    integrity.require_intact(signed)  # a verdict is on the signed text, not on an edited row
    if version in ("", None):
        version = None
    with transaction.atomic():
        _not_confirmed(village, year)
        # The item's row orders concurrent first verdicts too (no verdict row to lock yet).
        PledgeItem.objects.select_for_update().filter(pk=item.pk).first()
        row = Verdict.objects.select_for_update().filter(item=item).first()
        before = None
        if row is None:
            row = Verdict(item=item, village=village, year=year)
        else:
            check_version(
                row.version,
                0 if version is None else version,
                _(
                    "Someone else changed this verdict meanwhile (you read version "
                    "%(yours)s, it is now version %(current)s); reload and try again."
                )
                % {"yours": version or 0, "current": row.version},
            )
            before = {"verdict": row.verdict, "reason": row.reason}
            row.version += 1
        row.verdict, row.reason, row.evidence, row.recorded_by = verdict, reason, evidence, actor
        row.save()
        audit.record(
            actor,
            "verdict.record",
            row,
            changes={"item": item.pk, "verdict": verdict, "reason": reason, "before": before},
        )
    return row


def _posts_of(village: Unit, posts) -> list[Post]:
    posts = list(posts or [])
    wrong = [p for p in posts if p.village_id != village.pk]
    if wrong:
        raise ServiceError(_("The responsible posts must be of this village."), code="post")
    return posts


def loss_clauses(village: Unit, year: int, posts=(), team: bool = False):
    """The economic-loss clauses (§四.2) of the letters in force for ``village`` and ``year``
    that a loss of ``posts`` (and/or the team) may be recorded against: the responsible posts'
    own letters (under 一肩挑 the secretary's letter covers the director's post), the team
    letter for a team loss; all of them when nothing is named yet."""
    from jiannuo.pledges.models import BreachClause

    signed = list(in_force_letters(village, year))
    post_ids = {p.pk for p in posts}
    person_ids = {p.person_id for p in posts}
    order = {p.pk: i for i, p in enumerate(posts)}
    chosen = []
    for s in signed:
        letter = s.letter
        if not post_ids and not team:
            ok = True
        elif letter.kind == Letter.TEAM:
            ok = team
        else:
            ok = letter.post_id in post_ids or (
                letter.post is not None and letter.post.person_id in person_ids
            )
        if ok:
            chosen.append(s)
    rank = {
        s.version_id: (
            order.get(s.letter.post_id, len(order)) if s.letter.post_id else len(order) + 1
        )
        for s in chosen
    }
    clauses = BreachClause.objects.filter(
        letter_version_id__in=list(rank), category="economic_loss"
    ).select_related("letter_version__letter__post__person")
    return sorted(clauses, key=lambda c: (rank[c.letter_version_id], c.position, c.pk))


def _letter_clause(village, year, posts, team, clause, code):
    if clause in (None, "") and not (code or "").strip():
        return None
    allowed = loss_clauses(village, year, posts, team)
    if clause not in (None, ""):
        clause_id = getattr(clause, "pk", clause)
        found = next((c for c in allowed if str(c.pk) == str(clause_id)), None)
    else:
        found = next((c for c in allowed if c.code == code.strip()), None)
    if found is None:
        raise ServiceError(
            _(
                "Choose an economic-loss clause of the signed letters of the responsible posts "
                "(or of the team letter)."
            ),
            code="clause",
        )
    return found


def loss_record(
    *,
    actor,
    village: Unit,
    year: int,
    amount,
    cause: str,
    description: str,
    posts=(),
    team: bool = False,
    clause=None,
    breach_clause: str = "",
) -> Loss:
    """§四.2: a loss to the collective or villagers, its cause and the posts responsible,
    recorded against one of the signed letters' own economic-loss clauses — ``clause`` (a
    ``BreachClause`` or its id) or its number ``breach_clause`` — never a clause typed in."""
    _require_assessor(actor, village, year)
    try:
        amount = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise ServiceError(_("The amount must be a number of yuan."), code="amount") from None
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:
        raise ServiceError(_("The amount must be a positive number of yuan."), code="amount")
    if cause not in dict(LOSS_CAUSES):
        raise ServiceError(_("Choose the cause of the loss."), code="cause")
    description = (description or "").strip()
    if not description:
        raise ServiceError(_("Describe the loss."), code="description")
    posts = _posts_of(village, posts)
    if not posts and not team:
        raise ServiceError(
            _("Name the responsible posts or attribute the loss to the team."), code="posts"
        )
    chosen = _letter_clause(village, year, posts, team, clause, breach_clause)
    with transaction.atomic():
        _not_confirmed(village, year)
        loss = Loss.objects.create(
            village=village,
            year=year,
            amount=amount,
            cause=cause,
            breach_clause=chosen.code if chosen else "",
            clause=chosen,
            description=description[:500],
            team=bool(team),
            recorded_by=actor,
        )
        loss.posts.set(posts)
        audit.record(
            actor,
            "loss.record",
            loss,
            changes={
                "amount": amount,
                "cause": cause,
                "posts": [p.pk for p in posts],
                "team": bool(team),
                "breach_clause": loss.breach_clause,
                "clause": loss.clause_id,
            },
        )
    return loss


def breach_record(
    *,
    actor,
    village: Unit,
    year: int,
    kind: str,
    description: str,
    post: Post | None = None,
    referred_to: str = "",
) -> Breach:
    """§四.4: a broken integrity pledge (post or team) or a discipline violation (a post),
    referred to the competent body."""
    _require_assessor(actor, village, year)
    if kind not in dict(Breach.KINDS):
        raise ServiceError(_("Choose integrity or discipline."), code="kind")
    description = (description or "").strip()
    if not description:
        raise ServiceError(_("Describe what happened."), code="description")
    if post is not None:
        _posts_of(village, [post])
    if kind == Breach.DISCIPLINE and post is None:
        raise ServiceError(_("A discipline violation names the post."), code="post")
    with transaction.atomic():
        _not_confirmed(village, year)
        breach = Breach.objects.create(
            village=village,
            year=year,
            kind=kind,
            post=post,
            description=description[:500],
            referred_to=(referred_to or "").strip()[:100],
            recorded_by=actor,
        )
        audit.record(
            actor,
            f"breach.{kind}",
            breach,
            changes={"post": getattr(post, "pk", None), "referred_to": breach.referred_to},
        )
    return breach


# --- The evaluation round --------------------------------------------------------------------


def eligible_voters(village: Unit, kinds, day=None):
    """Party members and/or villager representatives on the rosters on ``day``."""
    day = day or timezone.localdate()
    return (
        Person.objects.filter(posts__village=village, posts__kind__in=list(kinds))
        .filter(posts__start__lte=day)
        .filter(Q(posts__end__isnull=True) | Q(posts__end__gte=day))
        .distinct()
        .order_by("name", "id")
    )


def _may_preside(actor, village, year) -> bool:
    return presiding.may_preside(actor, village, year)


def round_create(*, actor, village: Unit, year: int, method: str) -> Round:
    """§三.6: a democratic evaluation round of a village for a year, with a ballot for every
    cadre with a signed letter for the year and one for the team; the voters are taken from
    the rosters as the district settings say."""
    if not (_may_preside(actor, village, year) or has_perm(actor, "evaluation.manage", village)):
        raise PermissionDenied(_("You are not allowed to do this here."))
    if method not in dict(Round.METHODS):
        raise ServiceError(_("Choose paper or phone ballots."), code="method")
    policy = policy_for(village, year)
    term = term_for(village, year)
    letters = list(in_force_letters(village, year))
    if not any(s.letter.kind == Letter.TEAM for s in letters):
        raise ServiceError(
            _("%(village)s has no signed team letter for %(year)s to evaluate.")
            % {"village": village.name, "year": year},
            code="no_letters",
        )
    voters = list(eligible_voters(village, policy.voter_kinds))
    if not voters:
        raise ServiceError(_("The rosters list no eligible voter."), code="no_voters")
    with transaction.atomic():
        if Round.objects.filter(village=village, year=year).exclude(state=Round.VOID).exists():
            raise ConflictError(
                _("A round for %(year)s exists already.") % {"year": year}, code="duplicate"
            )
        rnd = Round.objects.create(
            village=village,
            term=term,
            year=year,
            method=method,
            meeting_kind=policy.meeting_kind,
            options=list(policy.satisfaction.options),
            eligible=len(voters),
            created_by=actor,
        )
        targets = [Target(round=rnd, post=None, label=_("The village team"), position=0)]
        seen = set()
        for s in letters:
            post = s.letter.post
            if post is None or post.pk in seen:
                continue
            seen.add(post.pk)
            targets.append(
                Target(
                    round=rnd,
                    post=post,
                    label=f"{post.get_kind_display()} {post.person.name}",
                    position=len(targets),
                )
            )
        Target.objects.bulk_create(targets)
        Voter.objects.bulk_create(Voter(round=rnd, person=p) for p in voters)
        Transition.record(actor, rnd, "evaluation.round", "", "create", Round.DRAFT)
        audit.record(
            actor,
            "round.create",
            rnd,
            changes={"year": year, "method": method, "eligible": len(voters)},
        )
    return rnd


def _new_code() -> str:
    return secrets.token_urlsafe(9)  # 72 random bits: a digest cannot be turned back


def code_digest(code: str) -> str:
    """What the database keeps of a voting code: its SHA-256, in hexadecimal."""
    return hashlib.sha256(code.encode()).hexdigest()


def _codes_issued(rnd: Round) -> int:
    return BallotCode.objects.filter(round=rnd).count()


def voter_checkin(*, actor, round: Round, voter: Voter) -> Voter:
    """The presiding officer records a voter present (attendance only: no code, no ballot).

    Once voting has started nobody is checked in any more: the paper ballots and the phone
    slips were issued for those present at the opening. In a phone round whose slips are
    printed but not yet open, a late check-in voids the printed slips (none can have been
    used): the slips are printed again for everyone, so that no batch of codes ever belongs
    to one person."""
    presiding.require_preside(actor, round.village, round.year)
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round.pk)
        if rnd.state not in (Round.DRAFT, Round.OPEN):
            raise ServiceError(_("This round is closed."), code="closed")
        if rnd.state == Round.OPEN:
            if rnd.method == Round.PAPER:
                raise ServiceError(
                    _("Paper ballots were issued when the round opened."), code="late_checkin"
                )
            raise ServiceError(
                _("Voting has started: the code slips were issued to those present."),
                code="late_checkin",
            )
        row = Voter.objects.select_for_update().get(pk=voter.pk, round=rnd)
        if row.present:
            raise ServiceError(
                _("%(name)s is already checked in.") % {"name": row.person.name}, code="duplicate"
            )
        row.present = True
        row.save(update_fields=["present"])
        voided, _by_model = BallotCode.objects.filter(round=rnd).delete()
        rnd.present = Voter.objects.filter(round=rnd, present=True).count()
        rnd.version += 1
        rnd.save(update_fields=["present", "version"])
        changes = {"present": rnd.present}
        if voided:
            changes["slips_voided"] = voided
        audit.record(actor, "round.checkin", rnd, changes=changes)
    row.slips_voided = voided
    return row


def slips_issue(*, actor, round: Round, version=None) -> list[str]:
    """A phone round's one-time codes, one per voter present, to print as slips without names
    and hand out like paper ballots. Returns the codes in random order; only their digests are
    kept, so this is the only moment they can be printed. Issuing again before the vote voids
    the slips printed before (none can have been used); ``version`` (the round's, as the page
    showed it) keeps a reloaded page from doing so unawares."""
    presiding.require_preside(actor, round.village, round.year)
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round.pk)
        check_version(
            rnd.version,
            version,
            _("The round changed meanwhile (were the slips printed already?); reload the page."),
        )
        if rnd.method != Round.PHONE:
            raise ServiceError(_("Only phone rounds have code slips."), code="not_phone")
        if rnd.state != Round.DRAFT:
            raise ServiceError(
                _("The code slips are printed before the round opens."), code="not_draft"
            )
        present = Voter.objects.filter(round=rnd, present=True).count()
        if not present:
            raise ServiceError(_("No voter has been checked in yet."), code="nobody_present")
        voided, _by_model = BallotCode.objects.filter(round=rnd).delete()
        codes = {code_digest(c): c for c in (_new_code() for _i in range(present))}
        if len(codes) != present:  # 72-bit codes: never in practice; refuse rather than merge
            raise ConflictError(_("Please try again."), code="code_collision")
        # Rows in digest order (which follows nothing), slips in another random order.
        BallotCode.objects.bulk_create(BallotCode(digest=d, round=rnd) for d in sorted(codes))
        slips = list(codes.values())
        random.SystemRandom().shuffle(slips)
        rnd.version += 1
        rnd.save(update_fields=["version"])
        audit.record(actor, "round.slips", rnd, changes={"issued": present, "voided": voided})
    return slips


def _step(actor, rnd: Round, action: str, note: str = "") -> tuple[Round, str]:
    to_state = ROUND_TRANSITIONS.get((rnd.state, action))
    if to_state is None:
        raise ServiceError(
            _("This round is “%(state)s”: that step is not possible now.")
            % {"state": rnd.get_state_display()},
            code="out_of_order",
        )
    from_state = rnd.state
    rnd.state = to_state
    rnd.version += 1
    Transition.record(actor, rnd, "evaluation.round", from_state, action, to_state, note)
    return rnd, from_state


def round_open(*, actor, round: Round) -> Round:
    """The presiding officer opens the round once the meeting has its quorum."""
    presiding.require_preside(actor, round.village, round.year)
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round.pk)
        present = Voter.objects.filter(round=rnd, present=True).count()
        if rnd.state == Round.DRAFT:
            finding = rules.quorum(rnd.meeting_kind, rnd.eligible, present)
            if finding is not None:
                raise ServiceError(finding.explain(), code=finding.rule)
            if rnd.method == Round.PHONE and _codes_issued(rnd) != present:
                raise ServiceError(
                    _("Print the code slips for the %(n)s voters present first.") % {"n": present},
                    code="no_slips",
                )
        _step(actor, rnd, "open")
        rnd.present = present
        rnd.opened_by = actor
        rnd.opened_at = timezone.now()
        rnd.save()
        audit.record(actor, "round.open", rnd, changes={"present": present})
    return rnd


#: Casting a phone ballot sheet. The sheet is first put in canonical form in Python (target
#: ids as sorted integers, the options it uses); the database then checks it against the round.
#:
#: The code is looked up by its digest (``code_digest``); no table holds the code itself.
#:
#: PostgreSQL: ONE statement, its own transaction (one round trip in autocommit): it locks the
#: code's round row in share mode only if the round is open (and, for the API, is the round in
#: the URL), its targets are exactly the sheet's and every option used is one of the round's;
#: marks the code spent only if it is unspent; and inserts the ballot only if the code was spent.
#: Closing a round (``SELECT … FOR UPDATE``) waits for ballots in flight, so none lands in a
#: closed round; two sheets with the same code serialise on the code row and the second finds
#: it spent. SQLite has no UPDATE inside WITH: the same checks run as an UPDATE … RETURNING and
#: the INSERT in one IMMEDIATE transaction, which serialises writers anyway; the ballot gets a
#: random ``rowid`` there, so that the table's order is not the order of casting.
_CAST_SQL = {
    "postgresql": """
        WITH r AS (
            SELECT id FROM {round}
            WHERE id = (SELECT round_id FROM {code} WHERE digest = %(digest)s)
              AND state = %(open)s{same_round}
              AND options @> %(used)s::jsonb
              AND ARRAY(
                  SELECT t.id FROM {target} AS t WHERE t.round_id = {round}.id ORDER BY t.id
              )::bigint[] = %(targets)s::bigint[]
            FOR SHARE
        ), spent AS (
            UPDATE {code} AS c SET spent = true FROM r
            WHERE c.digest = %(digest)s AND NOT c.spent AND c.round_id = r.id
            RETURNING c.round_id
        )
        INSERT INTO {ballot} (id, round_id, choices)
        SELECT gen_random_uuid(), spent.round_id, %(choices)s::jsonb FROM spent
    """,
    "sqlite": """
        UPDATE {code} SET spent = 1
        WHERE digest = %(digest)s AND NOT spent AND round_id IN (
            SELECT id FROM {round} WHERE state = %(open)s{same_round}
        )
        RETURNING round_id, (SELECT options FROM {round} AS r WHERE r.id = {code}.round_id),
            (SELECT group_concat(t.id) FROM {target} AS t WHERE t.round_id = {code}.round_id)
    """,
}


@functools.cache
def _cast_sql(vendor: str, same_round: bool) -> tuple[str, str]:
    """``(spend, insert)``: on PostgreSQL ``spend`` is the whole cast and ``insert`` is unused."""
    qn = connection.ops.quote_name
    spend = _CAST_SQL["postgresql" if vendor == "postgresql" else "sqlite"].format(
        round=qn(Round._meta.db_table),
        code=qn(BallotCode._meta.db_table),
        target=qn(Target._meta.db_table),
        ballot=qn(Ballot._meta.db_table),
        same_round=" AND id = %(round_id)s" if same_round else "",
    )
    insert = (
        f"INSERT INTO {qn(Ballot._meta.db_table)} (rowid, id, round_id, choices) "  # noqa: S608
        "VALUES (%(rowid)s, %(id)s, %(round_id)s, %(choices)s)"
    )
    return spend, insert


def _canonical(choices) -> dict[str, str] | None:
    """The sheet as ``{"<target id>": "<option>"}`` with ids in ascending order, or ``None`` when
    it is not even shaped like a sheet (then ``_refusal`` says what is wrong)."""
    if not isinstance(choices, Mapping):
        return None
    clean = {}
    for key, option in choices.items():
        key = str(key)
        # Decimal ids as the database writes them: no sign, no padding, within 64 bits.
        if not (key.isdigit() and len(key) <= 18 and key == str(int(key))):
            return None
        if not isinstance(option, str):
            return None
        clean[key] = option
    return {key: clean[key] for key in sorted(clean, key=int)}


def _cast_postgresql(code: str, sheet: dict[str, str], round_id: int | None) -> bool:
    """One prepared statement (planned once per connection; see ``prepare_threshold`` in
    settings), outside Django's query log, so ``django_assert_num_queries`` does not see it.
    The parameters go as text (the statement casts them): the cheapest for the driver. The
    ballot's random id comes from PostgreSQL's ``gen_random_uuid()``."""
    import psycopg

    params = {
        "digest": code_digest(code),
        "open": Round.OPEN,
        "used": json.dumps(sorted(set(sheet.values()))),
        "targets": "{" + ",".join(sheet) + "}",  # keys are canonical decimal ids
        "choices": json.dumps(sheet),
    }
    if round_id is not None:
        params["round_id"] = round_id
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_cast_sql("postgresql", round_id is not None)[0], params, prepare=True)
        return cursor.rowcount == 1


def _cast_sqlite(code: str, sheet: dict[str, str], round_id: int | None) -> bool:
    spend, insert = _cast_sql(connection.vendor, round_id is not None)
    pk, field = Ballot._meta.pk, Ballot._meta.get_field("choices")
    params = {
        "digest": code_digest(code),
        "open": Round.OPEN,
        "rowid": 1 + secrets.randbelow(2**62),  # the table's order follows nothing
        "id": pk.get_db_prep_value(pk.get_default(), connection),
        "choices": field.get_db_prep_value(sheet, connection),
    }
    if round_id is not None:
        params["round_id"] = round_id
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(spend, params)
        row = cursor.fetchone()
        if row is None:
            return False
        rid, options, targets = row
        targets = sorted(int(t) for t in (targets or "").split(",") if t)
        if [int(key) for key in sheet] != targets or not set(sheet.values()) <= set(
            json.loads(options)
        ):
            transaction.set_rollback(True)  # the code stays unspent
            return False
        params["round_id"] = rid
        cursor.execute(insert, params)
        return True


def ballot_cast(*, code: str, choices: Mapping[str, str], round_id: int | None = None) -> None:
    """A voter's phone ballot sheet (public: the one-time code is the credential).

    ``choices`` maps every target id of the round to one of the round's options. The code is
    spent in the same transaction as the ballot is inserted, and only if it was unspent, so it
    can never count twice, even when submitted concurrently. That transaction ties the code to
    the ballot (PostgreSQL's ``xmin``) until the round closes, which is harmless: no stored data
    ties a code to a person. Returns nothing: a ballot has no receipt that could identify it.

    An accepted sheet costs one statement on PostgreSQL (see ``_CAST_SQL``). A refused one is
    explained by ``_refusal`` — unknown code, foreign code, bad sheet, round not open, code
    used, in that order — and nothing is saved.
    """
    code = (code or "").strip()
    if round_id is not None:
        round_id = int(round_id)
    sheet = _canonical(choices)
    if code and sheet is not None:
        cast = _cast_postgresql if connection.vendor == "postgresql" else _cast_sqlite
        if cast(code, sheet, round_id):
            return
    raise _refusal(code, choices, round_id)


def _refusal(code: str, choices, round_id: int | None) -> ServiceError:
    """Why a sheet was not accepted (nothing was written)."""
    voter = (
        BallotCode.objects.filter(digest=code_digest(code))
        .values("round_id", "round__state", "round__options")
        .first()
        if code
        else None
    )
    if voter is None:
        return ServiceError(_("This voting code is unknown."), code="unknown_code")
    if round_id is not None and round_id != voter["round_id"]:
        return ServiceError(_("This voting code belongs to another round."), code="foreign_code")
    targets = (
        Target.objects.filter(round_id=voter["round_id"]).order_by().values_list("id", flat=True)
    )
    try:
        _check_choices(choices, list(targets), voter["round__options"])
        _require_open(voter["round__state"])
    except ServiceError as exc:
        return exc
    # Open round, known code, good sheet, yet nothing spent: the code was used (perhaps a moment
    # ago, by the same sheet sent twice).
    return ServiceError(_("This voting code has already been used."), code="code_used")


def _require_open(state):
    if state == Round.DRAFT:
        raise ServiceError(_("Voting has not started yet."), code="not_open")
    if state != Round.OPEN:
        raise ServiceError(
            _("Voting is closed; this code can no longer be used."), code="round_closed"
        )


def _check_choices(choices, targets, options) -> dict[str, str]:
    if not isinstance(choices, Mapping):
        raise ServiceError(_("The ballot is malformed."), code="malformed")
    clean = {}
    for tid in targets:
        choice = choices.get(str(tid), choices.get(tid))
        if choice not in options:
            raise ServiceError(
                _("Choose one option for every cadre and for the team."), code="incomplete"
            )
        clean[str(tid)] = choice
    extra = {str(k) for k in choices} - set(clean)
    if extra:
        raise ServiceError(_("The ballot is malformed."), code="malformed")
    return clean


def phone_counts(rnd: Round) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {
        t: {o: 0 for o in rnd.options} for t in rnd.targets.values_list("id", flat=True)
    }
    for choices in Ballot.objects.filter(round=rnd).values_list("choices", flat=True):
        for tid, option in choices.items():
            counts[int(tid)][option] += 1
    return counts


def _reshuffle(rnd: Round) -> int:
    """Rewrite the round's ballots and codes in a random order (ballots with fresh random ids)
    in the closing transaction. Until then PostgreSQL keeps the order of casting: each ballot's
    ``xmin`` is its own transaction, shared with its code's row, and each spent code's row and
    each ballot lie in the table (``ctid``) in the order they were written. Afterwards every
    ballot and every code carries the closing transaction's ``xmin`` and lies where the shuffle
    put it (SQLite's ``rowid`` likewise). The sheets and the spent flags are unchanged, so a
    recount gives the same counts. (The deleted row versions stay in PostgreSQL's data files
    until vacuumed; see the threat model in docs/ARCHITECTURE.md.) Returns the ballots."""
    shuffle = random.SystemRandom().shuffle
    ballots = Ballot.objects.filter(round=rnd)
    sheets = list(ballots.values_list("choices", flat=True))
    with retention.rewriting("evaluation.ballot"):  # kept records: every sheet is written again
        ballots.delete()
    shuffle(sheets)
    Ballot.objects.bulk_create(Ballot(id=uuid.uuid4(), round=rnd, choices=c) for c in sheets)
    codes = BallotCode.objects.filter(round=rnd)
    slips = list(codes.values_list("digest", "spent"))
    codes.delete()
    shuffle(slips)
    BallotCode.objects.bulk_create(BallotCode(digest=d, round=rnd, spent=s) for d, s in slips)
    return len(sheets)


def round_close(*, actor, round: Round) -> Round:
    """The presiding officer closes the round. A phone round's ballots are shuffled and counted
    at once (issued = codes issued, returned = ballots cast = codes spent); a paper round's
    tallies follow."""
    presiding.require_preside(actor, round.village, round.year)
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round.pk)
        _step(actor, rnd, "close")
        rnd.closed_at = timezone.now()
        rnd.save()
        changes = {"state": rnd.state}
        if rnd.method == Round.PHONE:
            issued = _codes_issued(rnd)
            returned = _reshuffle(rnd)
            spent = BallotCode.objects.filter(round=rnd, spent=True).count()
            if spent != returned:  # one code, one ballot: never expected; refuse to count
                raise ConflictError(
                    _("%(spent)s codes spent but %(returned)s ballots: the count stops here.")
                    % {"spent": spent, "returned": returned},
                    code="count_mismatch",
                )
            now = timezone.now()
            per_target = phone_counts(rnd)
            Tally.objects.bulk_create(
                Tally(
                    round=rnd,
                    target_id=tid,
                    issued=issued,
                    returned=returned,
                    spoiled=0,
                    counts=counts,
                    source=Tally.PHONE,
                    entered_by=None,
                    confirmed_by=actor,
                    confirmed_at=now,
                )
                for tid, counts in per_target.items()
            )
            changes.update(issued=issued, returned=returned)
        audit.record(actor, "round.close", rnd, changes=changes)
    return rnd


def round_void(*, actor, round: Round, reason: str) -> Round:
    presiding.require_preside(actor, round.village, round.year)
    return _void(actor, round, reason)


def _void(actor, round: Round, reason: str) -> Round:
    """Void the round, whoever's step calls for it (a presiding officer's decision, or an
    impossible count entered by whoever enters counts)."""
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round.pk)
        _not_confirmed(rnd.village, rnd.year)
        _step(actor, rnd, "void", reason)
        rnd.void_reason = reason[:300]
        rnd.save()
        audit.record(actor, "round.void", rnd, changes={"reason": reason})
    return rnd


def _ints(**values) -> dict[str, int]:
    out = {}
    for name, value in values.items():
        try:
            out[name] = int(value)
        except (TypeError, ValueError):
            raise ServiceError(
                _("%(field)s must be a whole number.") % {"field": name}, code="not_a_number"
            ) from None
    return out


def tally_enter(
    *, actor, target: Target, issued, returned, spoiled, counts: Mapping[str, object]
) -> Tally:
    """The count of a paper round for one cadre (or the team). It counts only once a second
    person confirms it. More returned than issued voids the round."""
    rnd = Round.objects.select_related("village").get(pk=target.round_id)
    presiding.require_enter_count(actor, rnd.village, rnd.year)
    if rnd.method != Round.PAPER:
        raise ServiceError(_("Phone rounds are counted by the system."), code="not_paper")
    if rnd.state != Round.CLOSED:
        raise ServiceError(_("Tallies are entered after the round closes."), code="not_closed")
    nums = _ints(issued=issued, returned=returned, spoiled=spoiled)
    option_counts = _ints(**{str(k): v for k, v in counts.items()})
    policy = policy_for(rnd.village, rnd.year)
    findings = [
        f
        for f in rules.check_tally(**nums, counts=option_counts, settings=policy.satisfaction)
        if f.severity != rules.WARN
    ]
    if any(f.rule == rules.RETURNED_EXCEEDS_ISSUED for f in findings):
        # DOMAIN.md: more ballots returned than issued voids the round, whoever enters it.
        _void(
            actor,
            rnd,
            next(f for f in findings if f.rule == rules.RETURNED_EXCEEDS_ISSUED).explain(),
        )
        raise ServiceError(
            next(f for f in findings if f.rule == rules.RETURNED_EXCEEDS_ISSUED).explain(),
            code="round_void",
        )
    if findings:
        raise ServiceError(
            "; ".join(f.explain() for f in findings),
            code=findings[0].rule,
            details=[{"rule": f.rule, "message": f.explain()} for f in findings],
        )
    if nums["issued"] > rnd.present:
        raise ServiceError(
            _("%(issued)s ballots issued, but only %(present)s voters were present.")
            % {"issued": nums["issued"], "present": rnd.present},
            code="issued_exceeds_present",
        )
    with transaction.atomic():
        _not_confirmed(rnd.village, rnd.year)
        row = Tally.objects.select_for_update().filter(target=target).first()
        if row is not None and row.confirmed:
            raise ConflictError(_("This tally is confirmed already."), code="confirmed")
        if row is None:
            row = Tally(round=rnd, target=target)
        else:
            row.version += 1
        row.issued, row.returned, row.spoiled = nums["issued"], nums["returned"], nums["spoiled"]
        row.counts = {o: option_counts.get(o, 0) for o in rnd.options}
        row.entered_by = actor
        row.source = Tally.PAPER
        row.save()
        audit.record(actor, "tally.enter", row, changes={**nums, "counts": row.counts})
    return row


def tally_confirm(*, actor, tally: Tally) -> Tally:
    """A second person confirms a paper tally; the person who entered it may not."""
    presiding.require_confirm_count(actor, tally.round.village, tally.round.year)
    with transaction.atomic():
        row = Tally.objects.select_for_update().select_related("round").get(pk=tally.pk)
        if row.confirmed:
            raise ConflictError(_("This tally is confirmed already."), code="confirmed")
        if row.version != tally.version:
            raise ConflictError(_("The tally was changed meanwhile; check it again."))
        if same_person(actor, row.entered_by_id):
            raise ServiceError(
                _("A tally must be confirmed by a second person, not the one who entered it."),
                code="own_entry",
            )
        row.confirmed_by = actor
        row.confirmed_at = timezone.now()
        row.save()
        audit.record(actor, "tally.confirm", row, changes={"entered_by": row.entered_by_id})
    return row


# --- The year's results ----------------------------------------------------------------------


def months_served(post: Post, year: int) -> int:
    start = max(post.start, date(year, 1, 1))
    end = min(post.end or date(year, 12, 31), date(year, 12, 31))
    if end < start:
        return 0
    return min(12, ((end - start).days + 1) * 12 // 365)


def _met(items, verdicts, category=None) -> bool | None:
    chosen = [i for i in items if category is None or i.category == category]
    if any(i.pk not in verdicts for i in chosen):
        return None
    return all(verdicts[i.pk] == FULFILLED for i in chosen)


def compute_results(village: Unit, year: int) -> dict:
    """The year's results as they would be confirmed, and what is still missing."""
    policy = policy_for(village, year)
    letters = list(in_force_letters(village, year))
    items = {
        s.pk: list(PledgeItem.objects.filter(letter_version_id=s.version_id).order_by("position"))
        for s in letters
    }
    all_items = [i for lst in items.values() for i in lst]
    verdicts = dict(
        Verdict.objects.filter(item_id__in=[i.pk for i in all_items]).values_list(
            "item_id", "verdict"
        )
    )
    missing_verdicts = sum(1 for i in all_items if i.pk not in verdicts)
    rnd = (
        Round.objects.filter(village=village, year=year)
        .exclude(state=Round.VOID)
        .prefetch_related("targets")
        .first()
    )
    tallies = {}
    problems = []
    if rnd is None:
        problems.append(_("No democratic evaluation round has been held."))
    elif rnd.state != Round.CLOSED:
        problems.append(_("The evaluation round is not closed."))
    else:
        tallies = {t.target_id: t for t in Tally.objects.filter(round=rnd)}
        unconfirmed = [
            t for t in rnd.targets.all() if not getattr(tallies.get(t.pk), "confirmed", 0)
        ]
        if unconfirmed:
            problems.append(
                _("%(n)s tallies are missing or not confirmed by a second person.")
                % {"n": len(unconfirmed)}
            )
    if missing_verdicts:
        problems.append(_("%(n)s pledge items have no verdict.") % {"n": missing_verdicts})
    # Grades are decided only on letters that still match what was signed (signing.integrity).
    checked = integrity.check(letters, items=all_items)
    for s in letters:
        if checked[s.pk].tampered:
            problems.append(
                _("The signed letter %(code)s has been tampered with: %(reason)s.")
                % {"code": s.verify_code, "reason": checked[s.pk].reason_label}
            )
    targets = {t.post_id: t for t in rnd.targets.all()} if rnd else {}
    rows = []
    flags = []
    for s in letters:
        post = s.letter.post
        t = targets.get(post.pk if post else None)
        tally = tallies.get(t.pk) if t else None
        sat = valid = None
        rate = None
        if tally is not None and tally.confirmed:
            counts = {o: tally.counts.get(o, 0) for o in policy.satisfaction.options}
            valid = sum(counts[o] for o in policy.satisfaction.valid_options)
            sat = sum(counts[o] for o in policy.satisfaction.numerator)
            rate = rules.satisfaction_rate(counts, policy.satisfaction)
            if rate is None:
                flags.append(
                    _("No valid ballot for %(who)s: no rate; a person must look.")
                    % {"who": t.label}
                )
        goals = _met(items[s.pk], verdicts, "work_goal")
        pledges = _met(items[s.pk], verdicts)
        months = months_served(post, year) if post else 12
        decision = rules.grade(
            goals_met=goals, satisfaction=rate, months_served=months, scheme=policy.grades
        )
        rows.append(
            {
                "post": post,
                "person": post.person if post else None,
                "label": t.label if t else (str(_("The village team")) if post is None else ""),
                "satisfied": sat,
                "valid": valid,
                "rate": rate,
                "rate_text": rules.format_percent(rate),
                "goals_met": goals,
                "pledges_met": pledges,
                "months_served": months,
                "graded": months >= policy.grades.min_months_served,
                "grade": decision.grade or "",
                "grade_label": rules.GRADE_LABELS.get(decision.grade, ""),
                "grade_rule": decision.rule,
            }
        )
        if post is not None and not rows[-1]["label"]:
            rows[-1]["label"] = f"{post.get_kind_display()} {post.person.name}"
    rows.sort(key=lambda r: (r["post"] is not None, getattr(r["post"], "pk", 0)))
    return {"round": rnd, "rows": rows, "problems": problems, "flags": flags, "policy": policy}


def results_confirm(*, actor, village: Unit, year: int) -> YearResult:
    """§三.6: the township reviews and confirms the year's results; only then do they count
    (``facts.year_facts``) and go to the bulletin as the settings allow."""
    require(actor, "evaluation.manage", village)
    with transaction.atomic():
        if YearResult.objects.select_for_update().filter(village=village, year=year).exists():
            raise ConflictError(
                _("The results of %(year)s are confirmed already.") % {"year": year},
                code="results_confirmed",
            )
        computed = compute_results(village, year)
        if computed["problems"]:
            raise ServiceError(
                " ".join(str(p) for p in computed["problems"]), code="results_incomplete"
            )
        result = YearResult.objects.create(
            village=village,
            term=computed["round"].term,
            year=year,
            state=YearResult.CONFIRMED,
            round=computed["round"],
            confirmed_by=actor,
            confirmed_at=timezone.now(),
        )
        PostResult.objects.bulk_create(
            PostResult(
                result=result,
                post=r["post"],
                person=r["person"],
                label=r["label"],
                satisfied=r["satisfied"],
                valid=r["valid"],
                goals_met=r["goals_met"],
                pledges_met=r["pledges_met"],
                months_served=r["months_served"],
                graded=r["graded"],
                grade=r["grade"],
                grade_rule=r["grade_rule"],
            )
            for r in computed["rows"]
        )
        Transition.record(actor, result, "evaluation.result", "", "confirm", YearResult.CONFIRMED)
        audit.record(
            actor,
            "results.confirm",
            result,
            changes={
                "year": year,
                "rows": [
                    {
                        "post": getattr(r["post"], "pk", None),
                        "rate": r["rate_text"],
                        "grade": r["grade"],
                    }
                    for r in computed["rows"]
                ],
            },
        )
    return result
