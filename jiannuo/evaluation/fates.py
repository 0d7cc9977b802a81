"""The evaluation's records that decide people's fates (§三.6), registered with the audit log
(``core.audit.register_fate``): every audit entry about one stores the hash of its state
below, and ``jiannuo audit verify`` checks that today's rows still match the last audited
state. Only decisive fields are in a state (not timestamps or lock versions).

Ballots and counts: the round's state carries, once the round is closed, the number of
ballots and a digest of their choices (sorted, so it says nothing about the order they were
cast) and the counts of the phone tallies the close produced; paper tallies are audited on
their own. To adapt to a new ballot model, change :func:`ballots` only.
"""

from __future__ import annotations

import hashlib
import json

from jiannuo.core.audit import register_fate


def ballots(rnd) -> dict:
    """Count and order-free digest of the round's ballots (the only ballot-model code here)."""
    from .models import Ballot

    sheets = sorted(
        json.dumps(c, sort_keys=True)
        for c in Ballot.objects.filter(round=rnd).values_list("choices", flat=True)
    )
    return {"n": len(sheets), "digest": hashlib.sha256("\n".join(sheets).encode()).hexdigest()}


def tally_fields(t) -> dict:
    return {
        "target": t.target_id,
        "issued": t.issued,
        "returned": t.returned,
        "spoiled": t.spoiled,
        "counts": t.counts,
        "source": t.source,
        "confirmed_by": t.confirmed_by_id,
    }


def round_state(rnd) -> dict:
    from .models import Round, Tally

    state = {
        "village": rnd.village_id,
        "year": rnd.year,
        "method": rnd.method,
        "state": rnd.state,
        "options": rnd.options,
        "eligible": rnd.eligible,
        "present": rnd.present,
        "void_reason": rnd.void_reason,
    }
    if rnd.state == Round.CLOSED:
        state["ballots"] = ballots(rnd)
        state["phone_tallies"] = [
            tally_fields(t)
            for t in Tally.objects.filter(round=rnd, source=Tally.PHONE).order_by("target_id")
        ]
    return state


def tally_state(t) -> dict:
    return {"round": t.round_id, **tally_fields(t)}


def verdict_state(v) -> dict:
    return {"item": v.item_id, "verdict": v.verdict, "reason": v.reason, "year": v.year}


def result_state(r) -> dict:
    """The year's confirmed results with every post's figures and grade."""
    return {
        "village": r.village_id,
        "year": r.year,
        "state": r.state,
        "round": r.round_id,
        "confirmed_by": r.confirmed_by_id,
        "posts": [
            {
                "post": p.post_id,
                "person": p.person_id,
                "satisfied": p.satisfied,
                "valid": p.valid,
                "goals_met": p.goals_met,
                "pledges_met": p.pledges_met,
                "graded": p.graded,
                "grade": p.grade,
                "grade_rule": p.grade_rule,
            }
            for p in r.posts.order_by("pk")
        ],
    }


def register() -> None:
    register_fate("evaluation.round", round_state)
    register_fate("evaluation.tally", tally_state)
    register_fate("evaluation.verdict", verdict_state)
    register_fate("evaluation.yearresult", result_state)
