"""``jiannuo backup`` and ``jiannuo restore``: the whole installation in one archive.

A backup is one ``.tar.gz`` holding

- ``database/jiannuo.sqlite3`` (SQLite's online backup API: safe while the server runs) or
  ``database/jiannuo.pgdump`` (``pg_dump -Fc``, run in an exported snapshot);
- ``media/…``: every uploaded file (scans of signed originals, evidence, photos) as it is;
- ``manifest.json``: the SHA-256 of every file above, the row count of every table and the
  audit chain's head, all read from the same snapshot as the database copy.

``restore`` checks every hash first, refuses a target database or media folder that is not
empty, restores, then runs the audit chain check and compares each table's rows with the
manifest. Nothing here holds a secret: ``SECRET_KEY`` is kept apart from backups.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

FORMAT = "jiannuo-backup/1"
MANIFEST = "manifest.json"
SQLITE_NAME = "database/jiannuo.sqlite3"
PG_NAME = "database/jiannuo.pgdump"
AUDIT_HEAD_TABLE = "core_audithead"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(include_views=False))


def _census(cursor, tables: list[str], quote) -> tuple[dict[str, int], dict | None]:
    """Rows per table and the audit head, read through a DB-API cursor."""
    rows = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (known table names)
        rows[table] = int(cursor.fetchone()[0])
    head = None
    if AUDIT_HEAD_TABLE in tables:
        cursor.execute(f"SELECT last_id, last_hash FROM {AUDIT_HEAD_TABLE} WHERE id = 1")  # noqa: S608
        got = cursor.fetchone()
        if got:
            head = {"last_id": got[0], "last_hash": got[1]}
    return rows, head


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    env["PGDATABASE"] = str(db["NAME"])
    return env


def _pg_tool(name: str) -> str:
    """The client tool matching the server's major version (Debian keeps one per version)."""
    with connection.cursor() as c:
        c.execute("SHOW server_version_num")
        major = int(c.fetchone()[0]) // 10000
    for candidate in (f"/usr/lib/postgresql/{major}/bin/{name}", shutil.which(name)):
        if candidate and Path(candidate).is_file():
            out = subprocess.run([candidate, "--version"], capture_output=True, text=True)
            version = out.stdout.split()[-1] if out.stdout else ""
            if version.split(".")[0] == str(major):
                return candidate
            if candidate == shutil.which(name):
                raise BackupError(
                    f"{name} {version} does not match the PostgreSQL {major} server: install "
                    f"postgresql-client-{major}."
                )
    raise BackupError(f"{name} not found: install postgresql-client (apt-get install …).")


def _pg_connect():
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
    )


def _pg_dump(target: Path) -> tuple[dict[str, int], dict | None]:
    """``pg_dump -Fc`` of an exported snapshot; counts and head read in the same snapshot."""
    tool = _pg_tool("pg_dump")
    tables = _tables()
    with _pg_connect() as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        with conn.cursor() as cur:
            rows, head = _census(cur, tables, lambda t: '"' + t.replace('"', '""') + '"')
        out = subprocess.run(
            [tool, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", target],
            env=_pg_env(connection.settings_dict),
            capture_output=True,
            text=True,
        )
        conn.rollback()
    if out.returncode != 0:
        raise BackupError(f"pg_dump failed: {out.stderr.strip()}")
    return rows, head


def _pg_restore(dump: Path) -> None:
    tool = _pg_tool("pg_restore")
    out = subprocess.run(
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "-d",
            str(connection.settings_dict["NAME"]),
            dump,
        ],
        env=_pg_env(connection.settings_dict),
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise BackupError(f"pg_restore failed: {out.stderr.strip()}")


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_copy(target: Path) -> tuple[dict[str, int], dict | None]:
    """SQLite's online backup of the live database (consistent while the server writes)."""
    connection.ensure_connection()
    dest = sqlite3.connect(target)
    try:
        connection.connection.backup(dest)
        rows, head = _census(dest.cursor(), _tables(), _sqlite_quote)
    finally:
        dest.close()
    return rows, head


# --- Backup --------------------------------------------------------------------------------


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def create(out: Path) -> dict:
    """Write the backup archive ``out``; return its manifest."""
    out = Path(out)
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups of a {vendor} database are not supported.")
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        db_name = SQLITE_NAME if vendor == "sqlite" else PG_NAME
        db_file = Path(tmp) / PurePosixPath(db_name).name
        rows, head = _sqlite_copy(db_file) if vendor == "sqlite" else _pg_dump(db_file)
        files = {db_name: sha256_file(db_file)}
        media_files = _media_files(media)
        for path in media_files:
            files["media/" + path.relative_to(media).as_posix()] = sha256_file(path)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": vendor, "file": db_name},
            "rows": rows,
            "audit_head": head,
            "files": files,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(db_file, arcname=db_name)
            for path in media_files:
                tar.add(path, arcname="media/" + path.relative_to(media).as_posix())
        os.replace(partial, out)
    return manifest


# --- Restore -------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    manifest: dict
    audit_ok: bool = False
    audit_checked: int = 0
    audit_reason: str = ""
    mismatched: dict = field(default_factory=dict)  # table: (expected, found)

    @property
    def ok(self) -> bool:
        return self.audit_ok and not self.mismatched


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"The archive holds an unsafe path: {name!r}.")
    return path


def _read_checked(archive: Path, into: Path) -> dict:
    """Unpack ``archive`` into ``into`` after checking it against its manifest."""
    try:
        tar = tarfile.open(archive, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not a Jiannuo backup: {exc}") from exc
    with tar:
        try:
            manifest = json.load(tar.extractfile(MANIFEST))
        except (KeyError, ValueError) as exc:
            raise BackupError(f"{archive} has no readable {MANIFEST}.") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
        seen = set()
        for member in tar.getmembers():
            if member.name == MANIFEST:
                continue
            rel = _safe_name(member.name)
            if not member.isfile():
                raise BackupError(f"The archive holds a non-file entry: {member.name!r}.")
            target = into / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            seen.add(member.name)
    expected = manifest["files"]
    missing = sorted(set(expected) - seen)
    extra = sorted(seen - set(expected))
    altered = sorted(n for n in set(expected) & seen if sha256_file(into / n) != expected[n])
    if missing or extra or altered:
        raise BackupError(
            "The backup does not match its manifest: "
            + "; ".join(
                f"{what}: {', '.join(names)}"
                for what, names in (
                    ("missing", missing),
                    ("unexpected", extra),
                    ("altered", altered),
                )
                if names
            )
        )
    return manifest


def _target_tables() -> int:
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        if str(name) == ":memory:" or not Path(name).exists() or Path(name).stat().st_size == 0:
            return 0
    return len(connection.introspection.table_names())


def _target_label() -> str:
    return str(connection.settings_dict["NAME"])


def restore(archive: Path) -> RestoreReport:
    """Restore ``archive`` into the configured, empty database and media folder."""
    from . import audit

    archive = Path(archive)
    vendor = connection.vendor
    media = Path(settings.MEDIA_ROOT)
    if _target_tables():
        raise BackupError(
            f"The target database {_target_label()} is not empty: restore only into an empty "
            "database (a new SQLite data directory, or a database made with createdb)."
        )
    if media.is_dir() and any(media.iterdir()):
        raise BackupError(
            f"The media folder {media} is not empty: restore only into an empty data directory."
        )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        manifest = _read_checked(archive, tmp)
        made_by = manifest["database"]["vendor"]
        if made_by != vendor:
            raise BackupError(
                f"This backup is of a {made_by} database; the target is {vendor}. Restore it "
                f"into a {made_by} database."
            )
        db_file = tmp / manifest["database"]["file"]
        connections.close_all()
        if vendor == "sqlite":
            target = Path(connection.settings_dict["NAME"])
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            shutil.copyfile(db_file, target.with_name(target.name + ".part"))
            os.replace(target.with_name(target.name + ".part"), target)
        else:
            _pg_restore(db_file)
        media_root = tmp / "media"
        if media_root.is_dir():
            shutil.copytree(media_root, media, dirs_exist_ok=True)
    report = RestoreReport(manifest)
    result = audit.verify()
    report.audit_ok, report.audit_checked, report.audit_reason = (
        result.ok,
        result.checked,
        result.reason,
    )
    tables = set(_tables())
    with connection.cursor() as cur:
        quote = connection.ops.quote_name
        found, head = _census(cur, sorted(tables & set(manifest["rows"])), quote)
    for table, expected in manifest["rows"].items():
        got = found.get(table)
        if got != expected:
            report.mismatched[table] = (expected, got)
    if head != manifest.get("audit_head"):
        report.audit_ok = False
        report.audit_reason = "head differs from the manifest"
    return report
