"""Accountability's records that decide people's fates (§四): a case and its measure,
registered with the audit log (``core.audit.register_fate``)."""

from __future__ import annotations

from jiannuo.core.audit import register_fate


def case_state(c) -> dict:
    return {
        "key": c.key,
        "village": c.village_id,
        "year": c.year,
        "subject": c.subject,
        "person": c.person_id,
        "post": c.post_id,
        "measure": c.measure,
        "clause": c.clause,
        "state": c.state,
        "decision": c.decision,
        "decided_by": c.decided_by_id,
        "approved_by": c.approved_by_id,
        "number": c.number,
        "appeal_outcome": c.appeal_outcome,
        "appeal_decision": c.appeal_decision,
        "outcome": c.outcome,
    }


def register() -> None:
    register_fate("accountability.case", case_state)
