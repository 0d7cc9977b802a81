"""The audit chain resists a rewrite by someone with database access (issue #12).

Two defences, each tested: every entry and the head carry a seal (HMAC-SHA256 with
``settings.AUDIT_KEY``, a key that is not in the database), and the chain head is published
where the database cannot reach it (the village board, the annual report) so that a rewritten
chain no longer contains a head someone already holds — even a rewrite by someone who also
has the key. Each attack is done in plain SQL: edit, delete, truncate, and rechain.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from jiannuo.core import audit
from jiannuo.core.models import AuditEntry, AuditHead


def _sql(statement, params=()):
    with connection.cursor() as cur:
        cur.execute(statement, list(params))


def rechain(start_id: int, *, key_known: bool = False) -> None:
    """Recompute every hash from entry ``start_id`` on, as an attacker would after editing or
    deleting an entry, and move the head. Seals are recomputed only if the attacker has the
    key (``key_known``)."""
    prev = AuditEntry.objects.filter(id__lt=start_id).order_by("-id").first()
    prev_hash = prev.hash if prev else audit.GENESIS
    last = None
    for entry in AuditEntry.objects.filter(id__gte=start_id).order_by("id"):
        entry.prev_hash = prev_hash
        entry.hash = entry_hash = audit.entry_hash(entry)
        mac = audit.seal(entry_hash) if key_known else entry.mac
        _sql(
            "UPDATE core_auditentry SET prev_hash = %s, hash = %s, mac = %s WHERE id = %s",
            [prev_hash, entry_hash, mac, entry.pk],
        )
        prev_hash, last = entry_hash, entry.pk
    move_head(last, prev_hash, key_known=key_known)


def move_head(last_id, last_hash, *, key_known=False):
    head = AuditHead.objects.get(pk=1)
    mac = audit.head_seal(last_id, last_hash) if key_known else head.mac
    _sql(
        "UPDATE core_audithead SET last_id = %s, last_hash = %s, mac = %s WHERE id = 1",
        [last_id, last_hash, mac],
    )


def ids():
    return list(AuditEntry.objects.order_by("id").values_list("id", flat=True))


def test_intact_chain_is_sealed_and_verifies(tree):
    assert all(e.mac == audit.seal(e.hash) for e in AuditEntry.objects.all())
    assert audit.verify().ok


def test_seal_uses_a_key_outside_the_database(tree, settings):
    """The same database with another key does not verify: the key is not in the database."""
    settings.AUDIT_KEY = "another-key-entirely"
    result = audit.verify()
    assert (result.ok, result.broken_id, result.reason) == (False, ids()[0], "seal")


def test_edit_then_rechain_is_detected(tree):
    target = ids()[2]
    _sql("UPDATE core_auditentry SET actor_label = 'mallory' WHERE id = %s", [target])
    assert audit.verify().reason == "content"  # a plain edit
    rechain(target)
    result = audit.verify()
    assert (result.ok, result.broken_id, result.reason) == (False, target, "seal")
    with pytest.raises(CommandError, match=f"#{target}.*audit key"):
        call_command("audit", "verify")


def test_delete_then_rechain_is_detected(tree):
    all_ids = ids()
    _sql("DELETE FROM core_auditentry WHERE id = %s", [all_ids[1]])
    assert audit.verify().reason == "link"  # a plain delete
    rechain(all_ids[2])
    result = audit.verify()
    assert (result.ok, result.broken_id, result.reason) == (False, all_ids[2], "seal")


def test_truncate_with_the_head_moved_back_is_detected(tree):
    all_ids = ids()
    keep = AuditEntry.objects.get(pk=all_ids[-3])
    _sql("DELETE FROM core_auditentry WHERE id > %s", [keep.pk])
    move_head(keep.pk, keep.hash)  # the attacker cannot seal the moved head
    result = audit.verify()
    assert (result.ok, result.reason) == (False, "tail")


def test_published_head_catches_a_rewrite_even_with_the_key(tree):
    """Someone holding a printed head detects a rewrite made with the key itself."""
    held = audit.published_head()
    assert held.startswith(f"#{ids()[-1]}-")
    assert audit.verify(heads=[held]).ok
    call_command("audit", "verify", "--head", held)
    target = ids()[1]
    _sql("UPDATE core_auditentry SET actor_label = 'mallory' WHERE id = %s", [target])
    rechain(target, key_known=True)
    assert audit.verify().ok  # the key alone no longer protects the chain…
    result = audit.verify(heads=[held])  # …but the printed head does
    assert (result.ok, result.reason) == (False, "published")
    with pytest.raises(CommandError, match="published"):
        call_command("audit", "verify", "--head", held)


def test_published_head_catches_a_truncation_even_with_the_key(tree):
    held = audit.published_head()
    keep = AuditEntry.objects.order_by("-id")[2]
    _sql("DELETE FROM core_auditentry WHERE id > %s", [keep.pk])
    move_head(keep.pk, keep.hash, key_known=True)
    assert audit.verify().ok
    result = audit.verify(heads=[held])
    assert (result.ok, result.reason) == (False, "published")


def test_truncating_everything_is_caught_by_the_published_head(tree):
    held = audit.published_head()
    _sql("DELETE FROM core_auditentry")
    _sql("DELETE FROM core_audithead")
    assert audit.verify(heads=[held]).reason == "published"


def test_board_and_report_publish_the_chain_head(tree, cast):
    cache.clear()  # the board is cached by content; its head is the one of its rendering
    head = audit.published_head()
    body = Client().get(reverse("bulletin:village", args=[tree.a1.code])).content.decode()
    assert head in body
    client = Client()
    client.force_login(cast.district)
    assert head in client.get(reverse("reports:index")).content.decode()
