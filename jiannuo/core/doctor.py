"""``jiannuo doctor``: check the installation and say plainly what to fix."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F


def _fonts() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    out = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return out.stdout.splitlines()


def checks():
    """Yield (ok: bool | None, what, how to fix). None is a warning."""
    try:
        connection.ensure_connection()
        yield True, f"database reachable ({connection.vendor})", ""
    except Exception as exc:
        yield False, f"database not reachable: {exc}", "check DATABASE_URL and that the server runs"
        return
    plan = MigrationExecutor(connection).migration_plan(
        MigrationExecutor(connection).loader.graph.leaf_nodes()
    )
    if plan:
        yield False, f"{len(plan)} migration(s) not applied", "run: jiannuo migrate"
    else:
        yield True, "migrations applied", ""
    fonts = _fonts()
    if any("Noto Serif CJK SC" in f or "Noto Sans CJK SC" in f for f in fonts):
        yield True, "Noto CJK fonts installed (official PDF letters)", ""
    else:
        yield (
            False,
            "no Noto CJK font: PDF letters would show boxes instead of Chinese",
            "apt-get install fonts-noto-cjk",
        )
    if ctypes.util.find_library("harfbuzz-subset"):
        yield True, "libharfbuzz-subset present (fast PDF font subsetting)", ""
    else:
        yield (
            None,
            "libharfbuzz-subset missing: PDF letters render about 20 times slower",
            "apt-get install libharfbuzz-subset0",
        )
    try:
        import weasyprint  # noqa: F401

        yield True, "WeasyPrint loads", ""
    except Exception as exc:
        yield (
            False,
            f"WeasyPrint does not load: {exc}",
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0",
        )
    from . import publicurl

    if error := publicurl.problem():
        yield (
            False if settings.PRODUCTION else None,
            f"{error}: the QR codes and links printed on originals would not open",
            "set PUBLIC_BASE_URL=https://<the public host> (docs/settings.md)",
        )
    else:
        yield True, f"public address for printed links: {settings.PUBLIC_BASE_URL}", ""
    if settings.PRODUCTION:
        from django.core.management import call_command
        from django.core.management.base import SystemCheckError

        try:
            call_command("check", deploy=True, fail_level="WARNING", verbosity=0)
            yield True, "production settings pass 'check --deploy'", ""
        except SystemCheckError as exc:
            yield False, f"production settings: {exc}", "see docs/settings.md"
        if connection.vendor == "sqlite":
            yield None, "production on SQLite", "set DATABASE_URL=postgresql://… for production"
    else:
        yield (
            None,
            "demo mode: not hardened for production",
            "set JIANNUO_ENV=production, SECRET_KEY, AUDIT_KEY, ALLOWED_HOSTS, PUBLIC_BASE_URL and DATABASE_URL",
        )
    if os.getenv("AUDIT_KEY"):
        yield True, "AUDIT_KEY set: the audit log is sealed with a key outside the database", ""
    else:
        yield (
            False if settings.PRODUCTION else None,
            "AUDIT_KEY not in the environment: the audit log is sealed with the key in "
            f"{settings.DATA_DIR / 'audit_key'}",
            "set AUDIT_KEY (random, 40+ characters; keep a copy apart from the database "
            "backups) — see docs/settings.md",
        )
    if not plan:
        yield from _decision_grants()
        from . import audit

        result = audit.verify()
        if result.ok:
            yield True, f"audit chain holds ({result.checked} entries)", ""
        else:
            yield (
                False,
                f"{result.record} no longer matches its audited state (entry #{result.broken_id})"
                if result.reason == "state"
                else f"audit chain broken at entry #{result.broken_id} ({result.reason})",
                "run: jiannuo audit verify; restore from backup",
            )


def _decision_grants():
    """Decision roles granted before grants were tied to persons confer nothing now."""
    from jiannuo.accounts.models import RoleAssignment

    from .roles import DECISION_ROLES

    bare = (
        RoleAssignment.objects.filter(role__in=DECISION_ROLES, revoked_at__isnull=True)
        .exclude(person__user=F("user"))
        .values_list("user__username", flat=True)
    )
    names = sorted(set(bare))
    if names:
        yield (
            None,
            f"decision roles with no person on a roster (they confer nothing): {', '.join(names)}",
            "the district grants them again on 人员与授权 (accounts/users), to the person",
        )
    else:
        yield True, "every decision role is held by a person on a roster", ""


def run(out) -> int:
    failed = 0
    for ok, what, fix in checks():
        mark = {True: "OK  ", False: "FAIL", None: "WARN"}[ok]
        out(f"[{mark}] {what}" + (f"\n       → {fix}" if fix else ""))
        failed += ok is False
    out("All checks passed." if not failed else f"{failed} problem(s) to fix.")
    return 1 if failed else 0
