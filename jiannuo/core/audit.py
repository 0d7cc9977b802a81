"""The append-only, hash-chained, sealed audit log.

Every service function calls :func:`record` inside its transaction. The chain is ordered by
a lock on the single ``AuditHead`` row, so concurrent writers cannot fork it.

Tamper-evidence against someone with database access (issue #12):

- each entry's hash covers the previous entry's hash (the chain);
- each entry and the head carry a *seal*: an HMAC-SHA256 with ``settings.AUDIT_KEY``, a key
  kept outside the database (environment, or a file in the data directory for the demo). A
  rewritten chain — an entry edited, deleted or truncated and every later hash recomputed —
  no longer carries valid seals;
- the chain head (:func:`published_head`, ``#id-hash16``) is printed on every village board
  and on the reports, so whoever holds one can check that the chain still contains it
  (``jiannuo audit verify --head …``) even against someone who also has the key;
- "fate records" — the rows that decide people's fates (tallies and ballots, grades,
  verdicts, case measures, signed letters) — are registered with a canonical-state function:
  every audit entry about one carries the hash of its state, and :func:`verify` checks that
  today's rows still match the last audited state of each.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from django.apps import apps
from django.conf import settings
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
    if entry.state_hash:  # entries before fate records were sealed keep their hash
        payload["state"] = entry.state_hash
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _key() -> bytes:
    return settings.AUDIT_KEY.encode()


def seal(entry_hash_: str) -> str:
    """The entry's seal: HMAC-SHA256 of its hash with the audit key (not in the database)."""
    return hmac.new(_key(), f"entry:{entry_hash_}".encode(), hashlib.sha256).hexdigest()


def head_seal(last_id: int, last_hash: str) -> str:
    """The head's seal: without the key, the head cannot be moved back after a truncation."""
    return hmac.new(_key(), f"head:{last_id}:{last_hash}".encode(), hashlib.sha256).hexdigest()


# --- Fate records -----------------------------------------------------------------------------

#: model label (``app.model``) → canonical state of one row (a JSON-able dict).
FATES: dict[str, Callable] = {}
DELETED = "deleted"


def register_fate(label: str, state: Callable) -> None:
    """Register a model whose rows decide people's fates. ``state(obj)`` returns the fields
    (and related rows) that must not change without an audit entry; every :func:`record` on
    such a row stores the hash of its state, and :func:`verify` compares today's rows."""
    FATES[label.lower()] = state


def state_hash(state) -> str:
    blob = json.dumps(_plain(state), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _fate_state_hash(object_type: str, object_id) -> str:
    """The state hash of the fate record as it is now in the database ("" if not a fate)."""
    fn = FATES.get(object_type)
    if fn is None or object_id in (None, ""):
        return ""
    model = apps.get_model(object_type)
    row = model._base_manager.filter(pk=object_id).first()
    return state_hash(fn(row)) if row is not None else DELETED


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
        state_hash=_fate_state_hash(object_type or "", object_id),
    )
    entry.hash = entry_hash(entry)
    entry.mac = seal(entry.hash)
    entry.save()
    head.last_id = entry.pk
    head.last_hash = entry.hash
    head.mac = head_seal(entry.pk, entry.hash)
    head.save(update_fields=["last_id", "last_hash", "mac"])
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""
    #: For reason "state": the fate record that no longer matches ("app.model #pk").
    record: str = ""
    #: Fate records checked against their last audited state.
    fates_checked: int = 0


def parse_head(text: str) -> tuple[int, str]:
    """``#123-0a1b2c3d4e5f6789`` (as printed) → (123, "0a1b2c3d4e5f6789")."""
    ident, _sep, prefix = text.strip().lstrip("#").partition("-")
    if not ident.isdigit() or len(prefix) < 8 or any(c not in "0123456789abcdef" for c in prefix):
        raise ValueError(text)
    return int(ident), prefix


def published_head() -> str:
    """The chain head as printed on the boards and reports: ``#id-<16 hex of its hash>``."""
    head = AuditHead.objects.filter(pk=1).only("last_id", "last_hash").first()
    if head is None or not head.last_id:
        return ""
    return f"#{head.last_id}-{head.last_hash[:16]}"


def verify(batch: int = 2000, heads=()) -> VerifyResult:
    """Walk the whole chain; report the first entry whose link, hash or seal does not hold,
    a head moved back, a published head (``heads``: ``#id-hash16`` strings someone holds) no
    longer in the chain, then the first fate record that no longer matches its audited state.
    """
    prev = GENESIS
    checked = 0
    last_id = 0
    held = dict(parse_head(h) for h in heads)
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
            if not hmac.compare_digest(entry.mac or "", seal(entry.hash)):
                return VerifyResult(False, checked, entry.pk, "seal")
            if entry.pk in held and not entry.hash.startswith(held.pop(entry.pk)):
                return VerifyResult(False, checked, entry.pk, "published")
            prev = entry.hash
            last_id = entry.pk
            checked += 1
    if held:
        return VerifyResult(False, checked, min(held), "published")
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (
        (head.last_id, head.last_hash) != (last_id, prev)
        or not hmac.compare_digest(head.mac or "", head_seal(head.last_id, head.last_hash))
    ):
        return VerifyResult(False, checked, head.last_id, "tail")
    if head is None and checked:
        return VerifyResult(False, checked, last_id, "tail")
    return verify_fates(checked)


def _audited_states() -> dict[tuple[str, str], tuple[int, str]]:
    """(object type, id) → (entry id, state hash) of the last entry about each fate record."""
    last: dict = {}
    rows = (
        AuditEntry.objects.filter(object_type__in=list(FATES))
        .exclude(state_hash="")
        .order_by("id")
        .values_list("id", "object_type", "object_id", "state_hash")
    )
    for pk, object_type, object_id, h in rows.iterator():
        last[(object_type, object_id)] = (pk, h)
    return last


def verify_fates(checked: int = 0) -> VerifyResult:
    """Compare every fate record with its last audited state; name the first (by the entry
    that audited it) that was changed or deleted since. Rows never audited (made before the
    upgrade, or by the demo's direct set-up) are not compared."""
    audited = _audited_states()
    broken = []
    seen = set()
    n = 0
    for label, fn in FATES.items():
        model = apps.get_model(label)
        for row in model._base_manager.order_by("pk").iterator():
            key = (label, str(row.pk))
            seen.add(key)
            if key not in audited:
                continue
            n += 1
            entry_id, h = audited[key]
            if state_hash(fn(row)) != h:
                broken.append((entry_id, f"{label} #{row.pk}"))
    for (label, object_id), (entry_id, h) in audited.items():
        if (label, object_id) not in seen and h != DELETED:
            broken.append((entry_id, f"{label} #{object_id}"))
    if broken:
        entry_id, what = min(broken)
        return VerifyResult(False, checked, entry_id, "state", what, n)
    return VerifyResult(True, checked, fates_checked=n)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields that changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
