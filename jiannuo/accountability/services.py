"""Writes of the accountability step (seed §四; DOMAIN.md "Due process").

The rules (``accountability.rules``) propose; people decide. ``preview`` shows a township's
year of proposals and what changed since the cases were opened; ``run_open`` opens a case per
new proposal (never a duplicate: one key per person, post, year and measure) and refreshes the
facts of undecided cases. Each ``case_*`` function is one workflow action of ``rules.TRANSITIONS``
with its guard, a ``Transition`` row and an audit row, in one transaction; any refusal saves
nothing. Times come from ``now`` (default ``timezone.now()``) so tests can move the clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError, check_version
from jiannuo.core.models import Transition
from jiannuo.core.permissions import has_perm, person_ids, require, same_person
from jiannuo.core.rules import Finding
from jiannuo.organisation import services as org
from jiannuo.organisation.models import Person, Post, Unit
from jiannuo.organisation.policy import policy_for

from . import facts as facts_mod
from . import rules
from .models import Case, Run

OBJECT_TYPE = "accountability.case"
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


# --------------------------------------------------------------------------- helpers


def _msgid(message) -> str:
    """The untranslated template of a (lazy) message: stored, translated when shown."""
    args = getattr(message, "_args", None)
    return str(args[0]) if args else str(message)


def _plain(value):
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _reasons(p: rules.Proposal) -> list[dict]:
    return _plain(
        [
            {"rule": r.rule, "clause": r.clause, "message": _msgid(r.message), "facts": r.facts}
            for r in p.reasons
        ]
    )


def _person_id(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).values_list("pk", flat=True).first()


def _now(now):
    return now or timezone.now()


def _when(dt) -> str:
    return date_format(timezone.localtime(dt), "Y-m-d H:i")


def is_cadre_of(user, case: Case) -> bool:
    """Whether ``user`` answers for ``case``: the cadre of a post case; for a team case the
    village's branch secretary or committee director (Party B of the team letter)."""
    if case.subject == rules.TEAM:
        return has_perm(user, "accountability.team", case.village)
    return case.person_id is not None and _person_id(user) == case.person_id


def _own_case(user, case: Case) -> bool:
    """Whether deciding ``case`` would be deciding one's own case: compared by roster person
    (every person behind the account), never by account."""
    pids = person_ids(user)
    if not pids:
        return False
    if case.subject == rules.TEAM:
        return Post.objects.filter(
            person_id__in=pids, village_id=case.village_id, kind__in=Post.TEAM
        ).exists()
    return case.person_id in pids


def _require_cadre(user, case: Case) -> None:
    if not is_cadre_of(user, case):
        raise PermissionDenied(_("Only the cadre concerned may do this."))


def _refuse_own(user, case: Case) -> None:
    if _own_case(user, case):
        raise ServiceError(
            _("You may not decide a case about yourself or your own village team."),
            code="own_case",
        )


def _text(value, what, code) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(what, code=code)
    return value


# --------------------------------------------------------------------------- preview and run


@dataclass
class Row:
    key: str
    proposal: rules.Proposal
    case: Case | None
    change: str
    person: Person | None = None
    village: Unit | None = None

    @property
    def measure_label(self):
        from .models import MEASURE_LABELS

        return MEASURE_LABELS.get(self.proposal.measure, self.proposal.measure)

    @property
    def explanations(self) -> list[str]:
        return [r.explain() for r in self.proposal.reasons]


@dataclass
class Preview:
    township: Unit
    year: int
    rows: list[Row] = field(default_factory=list)
    gone: list[Case] = field(default_factory=list)
    flags: list[Finding] = field(default_factory=list)
    has_facts: bool = False

    def count(self, change: str) -> int:
        return sum(1 for r in self.rows if r.change == change)

    @property
    def changed_after_decision(self) -> list[Row]:
        return [r for r in self.rows if r.change == CHANGED and r.case.state not in rules.UNDECIDED]

    def summary(self) -> dict[str, Any]:
        return {
            "new": [r.key for r in self.rows if r.change == NEW],
            "changed": [r.key for r in self.rows if r.change == CHANGED],
            "unchanged": self.count(UNCHANGED),
            "gone": [c.key for c in self.gone],
            "flags": len(self.flags),
        }


def _township(unit: Unit) -> Unit:
    if unit.kind != Unit.TOWNSHIP:
        raise ServiceError(_("Measures are proposed per township."), code="not_a_township")
    return unit


def _check_year(year) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ServiceError(_("The year must be between 2000 and 2100."), code="year_invalid")
    return year


def preview(*, actor, township: Unit, year: int, facts=None) -> Preview:
    """§四: the year's proposals for ``township``, each compared with the case it opened."""
    _township(township)
    _check_year(year)
    require(actor, "accountability.run", township)
    settings = policy_for(township, year).accountability
    if facts is None:
        facts = facts_mod.collect(township, year, settings)
    village_ids = set(
        Unit.objects.filter(parent=township, kind=Unit.VILLAGE).values_list("pk", flat=True)
    )
    current = [p for p in facts.current if p.village_id in village_ids]
    teams = [t for t in facts.teams if t.village_id in village_ids]
    outcome = rules.assess(current, teams, facts.history, settings)
    proposals = rules.keyed(outcome.proposals)
    existing = {
        c.key: c
        for c in Case.objects.filter(township=township, year=year).select_related(
            "person", "village"
        )
    }
    people = Person.objects.in_bulk(
        {p.person_id for p in proposals.values() if p.person_id is not None}
    )
    villages = Unit.objects.in_bulk({p.village_id for p in proposals.values()})
    out = Preview(township, year, flags=outcome.flags, has_facts=bool(current or teams))
    for key, p in proposals.items():
        case = existing.get(key)
        if case is None:
            change = NEW
        elif case.facts == _plain(dict(p.facts)):
            change = UNCHANGED
        else:
            change = CHANGED
        out.rows.append(
            Row(key, p, case, change, people.get(p.person_id), villages.get(p.village_id))
        )
    out.gone = [
        c
        for k, c in existing.items()
        if k not in proposals and c.state not in (rules.DISMISSED, rules.REVOKED)
    ]
    return out


def run_open(*, actor, township: Unit, year: int, facts=None, now=None) -> Run:
    """§四: open a case for every new proposal of the year; refresh the facts of undecided
    cases whose proposal changed; record the run and what changed. Running again never
    duplicates a case (one key per person, post, year and measure)."""
    now = _now(now)
    pv = preview(actor=actor, township=township, year=year, facts=facts)
    if not pv.has_facts:
        raise ServiceError(
            _("%(township)s has no confirmed year-end results for %(year)s.")
            % {"township": township.name, "year": year},
            code="no_facts",
        )
    policy = policy_for(township, year)
    with transaction.atomic():
        for row in pv.rows:
            p = row.proposal
            if row.change == NEW:
                case = Case.objects.create(
                    key=row.key,
                    township=township,
                    village_id=p.village_id,
                    year=p.year,
                    subject=p.subject,
                    person_id=p.person_id,
                    post_id=p.post_id,
                    post_kind=p.post_kind or "",
                    measure=p.measure,
                    clause=p.clause,
                    leading=p.leading,
                    reasons=_reasons(p),
                    facts=_plain(dict(p.facts)),
                    opened_by=actor,
                    opened_at=now,
                    reply_due=now + timedelta(days=policy.reply_days),
                )
                _transition(actor, case, "", "open", rules.PROPOSED)
                audit.record(
                    actor,
                    "case.open",
                    case,
                    changes={"key": case.key, "measure": case.measure, "facts": case.facts},
                )
                row.case = case
            elif row.change == CHANGED and row.case.state in rules.UNDECIDED:
                case = Case.objects.select_for_update().get(pk=row.case.pk)
                before = case.facts
                case.facts = _plain(dict(p.facts))
                case.reasons = _reasons(p)
                case.leading = p.leading
                case.version += 1
                case.save(update_fields=["facts", "reasons", "leading", "version", "changed_at"])
                _transition(actor, case, case.state, "refresh", case.state)
                audit.record(actor, "case.refresh", case, changes={"facts": [before, case.facts]})
        summary = pv.summary()
        summary["changed_after_decision"] = [r.key for r in pv.changed_after_decision]
        run = Run.objects.create(
            township=township,
            year=year,
            created_by=actor,
            summary=summary,
            flags=_plain(
                [{"rule": f.rule, "clause": f.clause, "message": f.explain()} for f in pv.flags]
            ),
        )
        audit.record(actor, "accountability.run", run, changes=summary)
    return run


# --------------------------------------------------------------------------- the workflow


def _transition(actor, case: Case, from_state: str, action: str, to_state: str, note=""):
    Transition.record(actor, case, OBJECT_TYPE, from_state, action, to_state, note)


def _step(actor, case: Case, action: str, version, guard, apply, note="") -> Case:
    """Lock the case, check the transition and the guard, apply, record. All or nothing."""
    with transaction.atomic():
        row = Case.objects.select_for_update().select_related("village", "township").get(pk=case.pk)
        check_version(row.version, version, _("Someone else changed this case; reload."))
        to_state = rules.next_state(row.state, action)
        if to_state is None:
            raise ServiceError(
                _("This case is “%(state)s”: that step is not possible now.")
                % {"state": row.state_label},
                code="out_of_order",
            )
        guard(row)
        from_state = row.state
        changes = apply(row) or {}
        row.state = to_state
        row.version += 1
        row.save()
        _transition(actor, row, from_state, action, to_state, note)
        audit.record(
            actor, f"case.{action}", row, changes={"state": [from_state, to_state], **changes}
        )
    case.__dict__.update({k: v for k, v in row.__dict__.items() if not k.startswith("_")})
    return row


def _policy(case: Case):
    return policy_for(case.village, case.year)


def _number(case: Case) -> str:
    return f"{case.township.code}-{case.year}-{case.pk:05d}"


def _put_in_force(case: Case, now) -> None:
    case.in_force_at = now
    case.appeal_due = now + timedelta(days=_policy(case).appeal_days)
    case.number = case.number or _number(case)


def case_reply(*, actor, case: Case, text: str, version=None, now=None) -> Case:
    """申辩: the cadre answers the proposal within the reply window."""
    now = _now(now)
    _require_cadre(actor, case)
    text = _text(text, _("Write your reply."), "reply_empty")

    def guard(row):
        if now > row.reply_due:
            raise ServiceError(
                _("The reply window closed on %(due)s.") % {"due": _when(row.reply_due)},
                code="reply_window_closed",
            )

    def apply(row):
        row.reply, row.replied_at = text, now
        return {"reply": text}

    return _step(actor, case, "reply", version, guard, apply)


def case_waive(*, actor, case: Case, version=None, now=None) -> Case:
    """The cadre declines to reply, so the township may decide before the window closes."""
    now = _now(now)
    _require_cadre(actor, case)

    def apply(row):
        row.reply_waived, row.replied_at = True, now
        return {"reply_waived": True}

    return _step(actor, case, "waive", version, lambda row: None, apply)


def _reply_window_guard(now):
    def guard(row):
        if row.replied_at is None and not row.reply_waived and now < row.reply_due:
            raise ServiceError(
                _(
                    "The cadre may reply until %(due)s: decide after that, or once they have "
                    "replied or waived the reply."
                )
                % {"due": _when(row.reply_due)},
                code="reply_window_open",
            )

    return guard


def case_decide(*, actor, case: Case, decision: str, version=None, now=None) -> Case:
    """The township party committee decides to apply the measure (named decision-maker). A
    resignation demand then waits for a second approver; any other measure is in force."""
    now = _now(now)
    require(actor, "accountability.decide", case.village)
    _refuse_own(actor, case)
    decision = _text(decision, _("Write the decision and its grounds."), "decision_empty")
    action = rules.decide_action(case.measure)
    window = _reply_window_guard(now)

    def apply(row):
        row.decision, row.decided_by, row.decided_at = decision, actor, now
        if action == "decide":
            _put_in_force(row, now)
        return {"decision": decision, "decided_by": actor.get_username()}

    return _step(actor, case, action, version, window, apply)


def case_dismiss(*, actor, case: Case, decision: str, version=None, now=None) -> Case:
    """The township party committee decides not to apply the measure, with its grounds."""
    now = _now(now)
    require(actor, "accountability.decide", case.village)
    _refuse_own(actor, case)
    decision = _text(decision, _("Write the grounds for dismissing the case."), "decision_empty")

    def apply(row):
        row.decision, row.decided_by, row.decided_at = decision, actor, now
        return {"decision": decision}

    return _step(actor, case, "dismiss", version, lambda row: None, apply)


def _second_approver_guard(actor):
    def guard(row):
        # Persons, not accounts: a second account of the decision-maker is the same person.
        if same_person(actor, row.decided_by_id):
            raise ServiceError(
                _("The second approval must come from someone other than the decision-maker."),
                code="same_approver",
            )

    return guard


def case_approve(*, actor, case: Case, version=None, now=None) -> Case:
    """The second approver confirms a resignation demand: it is in force."""
    now = _now(now)
    require(actor, "accountability.decide", case.village)
    _refuse_own(actor, case)

    def apply(row):
        row.approved_by, row.approved_at = actor, now
        _put_in_force(row, now)
        return {"approved_by": actor.get_username()}

    return _step(actor, case, "approve", version, _second_approver_guard(actor), apply)


def case_reject(*, actor, case: Case, note: str, version=None, now=None) -> Case:
    """The second approver refuses: the case goes back for a new decision."""
    require(actor, "accountability.decide", case.village)
    _refuse_own(actor, case)
    note = _text(note, _("Say why the approval is refused."), "note_empty")

    def apply(row):
        before = row.decided_by.get_username() if row.decided_by_id else ""
        row.decided_by, row.decided_at, row.decision = None, None, ""
        return {"refused": note, "decided_by": [before, None]}

    return _step(actor, case, "reject", version, _second_approver_guard(actor), apply, note)


def case_appeal(*, actor, case: Case, text: str, version=None, now=None) -> Case:
    """申诉: the cadre appeals within the window; the measure stays in force meanwhile."""
    now = _now(now)
    _require_cadre(actor, case)
    text = _text(text, _("Write the grounds of your appeal."), "appeal_empty")

    def guard(row):
        if row.appealed_at is not None:
            raise ServiceError(_("This decision has already been appealed."), code="appealed")
        if row.appeal_due is None or now > row.appeal_due:
            raise ServiceError(
                _("The appeal window closed on %(due)s.") % {"due": _when(row.appeal_due)},
                code="appeal_window_closed",
            )

    def apply(row):
        row.appeal, row.appealed_at = text, now
        return {"appeal": text}

    return _step(actor, case, "appeal", version, guard, apply)


def case_decide_appeal(
    *, actor, case: Case, uphold: bool, decision: str, version=None, now=None
) -> Case:
    """The appeal is decided by someone who took no part in the decision: upheld (the measure
    stays) or overturned (the measure is revoked)."""
    now = _now(now)
    require(actor, "accountability.appeal_decide", case.village)
    _refuse_own(actor, case)
    decision = _text(decision, _("Write the appeal decision and its grounds."), "decision_empty")

    def guard(row):
        if same_person(actor, row.decided_by_id) or same_person(actor, row.approved_by_id):
            raise ServiceError(
                _("An appeal must be decided by someone who took no part in the decision."),
                code="took_part",
            )

    def apply(row):
        row.appeal_decision, row.appeal_decided_by, row.appeal_decided_at = decision, actor, now
        row.appeal_outcome = "upheld" if uphold else "overturned"
        return {"appeal_outcome": row.appeal_outcome, "appeal_decision": decision}

    return _step(actor, case, "uphold" if uphold else "overturn", version, guard, apply)


def case_carry_out(
    *,
    actor,
    case: Case,
    outcome: str,
    note: str = "",
    amount=None,
    sanction: str = "",
    version=None,
    now=None,
) -> Case:
    """The measure is carried out once the appeal window has closed or the appeal was decided:
    penalty paid, notice or warning issued, honours withheld, the competent body's sanction
    recorded; a resignation demand of a village committee post ends only by the legal path
    (resignation accepted, recall vote, termination after two consecutive 不称职), a party post
    by party procedure. An outcome that vacates the post ends it on the roster."""
    now = _now(now)
    require(actor, "accountability.carry_out", case.village)
    allowed = rules.carry_out_outcomes_for(case.measure, case.post_kinds)
    if outcome not in allowed:
        raise ServiceError(
            _("This measure cannot be carried out that way."), code="outcome_invalid"
        )
    value = None
    if case.measure == rules.ECONOMIC_PENALTY:
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, TypeError, ValueError):
            value = None
        if value is None or not value.is_finite() or value <= 0:
            raise ServiceError(_("Give the amount paid, in yuan."), code="amount_invalid")
        proposed = case.proposed_amount
        if proposed is not None and value != proposed and not (note or "").strip():
            raise ServiceError(
                _(
                    "The letter's clause calls for %(proposed)s yuan: give the reason for "
                    "recording %(amount)s yuan in the note."
                )
                % {"proposed": proposed, "amount": value},
                code="amount_reason_required",
            )
    if outcome == rules.SANCTION_RECORDED and sanction not in rules.SANCTIONS:
        raise ServiceError(_("Choose the sanction the competent body imposed."), code="sanction")
    if outcome == rules.TERMINATED_TWO_INCOMPETENT:
        incompetent = set(
            Case.objects.filter(
                post_id=case.post_id,
                measure=rules.NO_HONOURS,
                state__in=rules.IN_FORCE,
                year__in=[case.year - 1, case.year],
            ).values_list("year", flat=True)
        )
        if incompetent != {case.year - 1, case.year}:
            raise ServiceError(
                _(
                    "The post ends this way only after two consecutive years graded "
                    "incompetent, decided and in force."
                ),
                code="not_two_incompetent",
            )

    def guard(row):
        if row.appealed_at is None and row.appeal_due and now <= row.appeal_due:
            raise ServiceError(
                _("The appeal window is open until %(due)s; carry out the measure after it.")
                % {"due": _when(row.appeal_due)},
                code="appeal_window_open",
            )

    def apply(row):
        row.outcome, row.outcome_note, row.amount = outcome, (note or "").strip(), value
        row.sanction = sanction if outcome == rules.SANCTION_RECORDED else ""
        row.carried_out_by, row.carried_out_at = actor, now
        if outcome in rules.VACATING and row.post_id:
            post = Post.objects.get(pk=row.post_id)
            if post.end is None or post.end > timezone.localdate(now):
                org.post_end(actor=actor, post=post, end=timezone.localdate(now))
        return {"outcome": outcome, "amount": value, "sanction": row.sanction}

    return _step(actor, case, "carry_out", version, guard, apply, note)


ACTIONS = {
    "reply": case_reply,
    "waive": case_waive,
    "decide": case_decide,
    "dismiss": case_dismiss,
    "approve": case_approve,
    "reject": case_reject,
    "appeal": case_appeal,
    "decide_appeal": case_decide_appeal,
    "carry_out": case_carry_out,
}
