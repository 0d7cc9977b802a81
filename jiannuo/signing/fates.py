"""The signing records the audit log guards (``core.audit.register_fate``): what was signed
(the version and its hash) and the scans of the originals, with their SHA-256 — checked by
``jiannuo audit verify`` against the last audited state."""

from __future__ import annotations

from jiannuo.core.audit import register_fate


def signed_state(s) -> dict:
    return {
        "letter": s.letter_id,
        "version": s.version_id,
        "verify_code": s.verify_code,
        "content_hash": s.content_hash,
        "scan": s.scan.name if s.scan else "",
        "scans": list(s.scans.order_by("pk").values_list("sha256", "file", "reason")),
    }


def register() -> None:
    register_fate("signing.signedletter", signed_state)
