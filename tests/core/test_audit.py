"""The audit log: every write leaves an entry; the hash chain exposes tampering."""

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jiannuo.core import audit
from jiannuo.core.models import AppendOnlyError, AuditEntry


def test_service_writes_leave_a_chained_audit_trail(tree):
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.action for e in entries][:3] == ["unit.create", "unit.create", "unit.create"]
    assert entries[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert audit.verify().ok
    assert audit.verify().checked == len(entries)


def test_entries_cannot_be_changed_through_the_application(tree):
    entry = AuditEntry.objects.first()
    entry.action = "something.else"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_verify_names_the_entry_edited_in_the_database(tree, capsys):
    target = AuditEntry.objects.order_by("id")[2]
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE core_auditentry SET changes = %s WHERE id = %s", ['{"x": 1}', target.pk]
        )
    result = audit.verify()
    assert (result.ok, result.broken_id, result.reason) == (False, target.pk, "content")
    with pytest.raises(CommandError, match=f"#{target.pk}"):
        call_command("audit", "verify")


def test_verify_names_the_entry_after_a_deleted_one(tree):
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE id = %s", [ids[1]])
    result = audit.verify()
    assert (result.ok, result.broken_id, result.reason) == (False, ids[2], "link")


def test_verify_notices_deleted_newest_entries(tree):
    last = AuditEntry.objects.order_by("-id").first()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE id = %s", [last.pk])
    assert audit.verify().reason == "tail"


def test_audit_verify_command_passes_on_an_intact_chain(tree, capsys):
    call_command("audit", "verify")
    assert "OK" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(tree, system):
    with pytest.raises(RuntimeError):
        audit.record(system, "x", tree.a)
