"""The append-only, hash-chained audit log.

Every service function calls :func:`record` inside its transaction. The chain is ordered by
a lock on the single ``AuditHead`` row, so concurrent writers cannot fork it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import transaction
from django.utils import timezone

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _plain(value):
    """JSON-safe copy of ``value``: dates, decimals and models become strings."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def entry_hash(entry: AuditEntry) -> str:
    payload = {
        "prev": entry.prev_hash,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": str(entry.object_id),
        "unit_id": entry.unit_id,
        "changes": entry.changes,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if getattr(actor, "is_anonymous", False):
        return "public"
    return actor.get_username()


def record(
    actor, action: str, obj=None, *, changes=None, unit=None, object_type=None, object_id=None
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside a transaction")
    # The head row is created by migration core.0002 (get_or_create covers a flushed test
    # database); locking it orders the chain.
    AuditHead.objects.get_or_create(pk=1)
    head = AuditHead.objects.select_for_update().get(pk=1)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        if unit is None:
            unit = getattr(obj, "audit_unit", None)
    unit_id = getattr(unit, "pk", unit)
    is_user = actor is not None and not getattr(actor, "is_anonymous", False)
    entry = AuditEntry(
        at=timezone.now(),
        actor_id=actor.pk if is_user else None,
        actor_label=actor_label(actor),
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        unit_id=unit_id,
        changes=_plain(changes or {}),
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry)
    entry.save()
    head.last_id = entry.pk
    head.last_hash = entry.hash
    head.save(update_fields=["last_id", "last_hash"])
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify(batch: int = 2000) -> VerifyResult:
    """Walk the whole chain; report the first entry whose hash or link does not hold."""
    prev = GENESIS
    checked = 0
    last_id = 0
    qs = AuditEntry.objects.order_by("id")
    while True:
        rows = list(qs.filter(id__gt=last_id)[:batch])
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != prev:
                return VerifyResult(False, checked, entry.pk, "link")
            if entry_hash(entry) != entry.hash:
                return VerifyResult(False, checked, entry.pk, "content")
            prev = entry.hash
            last_id = entry.pk
            checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_id, head.last_hash) != (last_id, prev):
        return VerifyResult(False, checked, head.last_id, "tail")
    return VerifyResult(True, checked)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields that changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
