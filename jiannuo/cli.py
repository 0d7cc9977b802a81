"""The ``jiannuo`` command: demo, serve, doctor, audit, and every Django management command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEMO_PASSWORD = "jiannuo2026"


def _setup(data_dir: str | None, mode: str | None = None) -> None:
    if data_dir:
        os.environ["JIANNUO_DATA_DIR"] = str(Path(data_dir).resolve())
    if mode:
        os.environ.setdefault("JIANNUO_ENV", mode)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings")
    import django

    django.setup()


def _server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data-dir", default=None, help="where the SQLite database lives")
    parser.add_argument("--workers", type=int, default=2)


def _migrate() -> bool:
    """Apply migrations; return True when the database was empty before."""
    from django.core.management import call_command

    from jiannuo.organisation.models import Unit

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    return not Unit.objects.exists()


def _run_gunicorn(host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from jiannuo.wsgi import application

    class App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", os.getenv("ACCESS_LOG") or None)
            self.cfg.set("timeout", 120)

        def load(self):
            return application

    App().run()


def cmd_demo(args) -> int:
    # Printed originals carry the demo's own address in their QR codes.
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{args.host}:{args.port}")
    _setup(args.data_dir, "demo")
    from django.conf import settings

    new = _migrate()
    if new:
        from jiannuo.demo import load

        print("Loading the demo district (first start)…", flush=True)
        load()
    from jiannuo.demo import LOGINS

    url = f"http://{args.host}:{args.port}/"
    print(f"\n践诺 Jiannuo demo: {url}")
    print(f"Data directory: {settings.DATA_DIR}")
    print(f"API: {url}api/v1/docs  (OpenAPI: {url}api/v1/openapi.json)")
    print(f"Demo log-ins (password {DEMO_PASSWORD} for all):")
    for username, role in LOGINS:
        print(f"  {username:<14} {role}")
    print(flush=True)
    _run_gunicorn(args.host, args.port, args.workers)
    return 0


def cmd_serve(args) -> int:
    _setup(args.data_dir)
    _migrate()
    print(f"践诺 Jiannuo: http://{args.host}:{args.port}/", flush=True)
    _run_gunicorn(args.host, args.port, args.workers)
    return 0


def cmd_doctor(args) -> int:
    _setup(args.data_dir)
    from jiannuo.core.doctor import run

    return run(print)


def cmd_backup(args) -> int:
    _setup(args.data_dir)
    from jiannuo.core import backup

    try:
        manifest = backup.create(Path(args.out))
    except backup.BackupError as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    rows = sum(manifest["rows"].values())
    print(
        f"Backup written to {args.out}: {manifest['database']['vendor']} database "
        f"({rows} rows in {len(manifest['rows'])} tables), {len(manifest['files']) - 1} "
        f"uploaded file(s), audit head #{(manifest['audit_head'] or {}).get('last_id')}."
    )
    return 0


def cmd_restore(args) -> int:
    _setup(args.data_dir)
    from jiannuo.core import backup

    try:
        report = backup.restore(Path(args.file))
    except backup.BackupError as exc:
        print(f"Restore refused: {exc}", file=sys.stderr)
        return 1
    print(f"Restored {args.file} (made {report.manifest['created_at']}).")
    if report.audit_ok:
        print(f"[OK  ] audit chain holds ({report.audit_checked} entries)")
    else:
        print(f"[FAIL] audit chain broken: {report.audit_reason}")
    if report.mismatched:
        for table, (expected, found) in sorted(report.mismatched.items()):
            print(f"[FAIL] {table}: {found} rows, the manifest says {expected}")
    else:
        print(f"[OK  ] row counts match the manifest ({len(report.manifest['rows'])} tables)")
    return 0 if report.ok else 1


def cmd_archive(args) -> int:
    _setup(args.data_dir)
    from jiannuo.signing import archive

    try:
        result = archive.export_for_cli(
            args.unit, year=args.year, term=args.term, out=Path(args.out)
        )
    except archive.ArchiveError as exc:
        print(f"Archive export refused: {exc}", file=sys.stderr)
        return 1
    print(f"Archive written to {args.out}: {result} file(s) with manifest and verify.py.")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="jiannuo",
        description="践诺 Jiannuo. Commands: demo, serve, doctor, backup, restore, archive, audit verify, or any Django "
        "management command (migrate, createsuperuser, …).",
    )
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="start with an embedded database and a demo district")
    _server_args(demo)
    serve = sub.add_parser("serve", help="start the production server (no demo data)")
    _server_args(serve)
    doctor = sub.add_parser("doctor", help="check the installation and say what to fix")
    doctor.add_argument("--data-dir", default=None)
    backup = sub.add_parser(
        "backup", help="write the database, uploaded files and a manifest into one archive"
    )
    backup.add_argument("--out", required=True, help="the archive to write (.tar.gz)")
    backup.add_argument("--data-dir", default=None)
    restore = sub.add_parser("restore", help="restore a backup into an empty database and check it")
    restore.add_argument("file", help="an archive written by 'jiannuo backup'")
    restore.add_argument("--data-dir", default=None)
    archive = sub.add_parser(
        "archive", help="export a village's year (or a township's term) for the archives"
    )
    archive.add_argument("unit", help="the code of a village (with --year) or township")
    archive.add_argument("--year", type=int, default=None)
    archive.add_argument("--term", default=None, help="a township's term, by its start year")
    archive.add_argument("--out", required=True, help="the zip to write")
    archive.add_argument("--data-dir", default=None)
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    commands = {
        "demo": cmd_demo,
        "serve": cmd_serve,
        "doctor": cmd_doctor,
        "backup": cmd_backup,
        "restore": cmd_restore,
        "archive": cmd_archive,
    }
    if argv[0] in commands:
        args = parser.parse_args(argv)
        return commands[args.command](args)
    # Everything else goes to Django: jiannuo migrate, jiannuo audit verify, …
    data_dir = None
    if "--data-dir" in argv:
        i = argv.index("--data-dir")
        data_dir = argv[i + 1]
        del argv[i : i + 2]
    _setup(data_dir)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jiannuo", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
